//! The energy–accuracy Pareto front of trained networks: widths × passes trained at the rig's
//! noise, each read on variants of the rig (laser power, ADC bits), energy per input from the
//! cost model.

use super::{
    Common, NetShape, Spread, Tally, check_passes, check_widths, load, net_config, net_energy,
    setup, training,
};
use crate::pareto::{front as pareto_front, grid_rig};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::ForwardNoise;
use lightloop_nn::loopnet::phi::Phi;
use lightloop_nn::loopnet::train::train;
use lightloop_nn::sensing::Sensing;
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use lightloop_twin::LoopTwin;
use serde::Serialize;
use std::collections::HashMap;

/// The Pareto experiment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// `common.width` is checked but not trained: `widths` are.
    #[serde(flatten)]
    pub common: Common,
    /// Widths of the trained networks, each 4 … 1024.
    pub widths: Vec<usize>,
    /// Loop passes T of the trained networks, each 1 … 1024.
    pub passes: Vec<usize>,
    /// Laser power per channel relative to the rig's, dB, each −60 … 60 (settings above the
    /// laser's maximum are skipped).
    pub laser_db: Vec<f64>,
    /// ADC bits, each 1 … 24 (the rig's own bits are always included).
    pub adc_bits: Vec<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            widths: vec![16, 32, 64],
            passes: vec![2, 8, 32],
            laser_db: vec![-24.0, -12.0, 0.0, 6.0],
            adc_bits: vec![4, 8],
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        check_widths("widths", &self.widths)?;
        check_passes("passes", &self.passes, 1, 1024)?;
        if self.laser_db.is_empty()
            || self
                .laser_db
                .iter()
                .any(|d| !d.is_finite() || d.abs() > 60.0)
        {
            return Err(LabError::config("laser_db", "must be −60 … 60 dB"));
        }
        if self.adc_bits.iter().any(|b| !(1..=24).contains(b)) {
            return Err(LabError::config("adc_bits", "must be 1 … 24"));
        }
        Ok(())
    }
}

/// One network read on one variant of the rig (a row of pareto.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParetoRow {
    pub width: usize,
    pub passes: usize,
    pub laser_offset_db: f64,
    pub adc_bits: u32,
    pub seed: u64,
    pub test_accuracy: f64,
    /// Cost model's energy per input of this network on this variant of the rig, J.
    pub j_per_input: f64,
}

/// One setting (network and rig variant) with its median accuracy over seeds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ParetoPoint {
    pub width: usize,
    pub passes: usize,
    pub offset_db: f64,
    pub bits: u32,
    pub accuracy: f64,
    /// J per input.
    pub energy: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<ParetoRow>,
    /// Every setting: variants (laser, then bits) × widths × passes.
    pub points: Vec<ParetoPoint>,
    /// The settings on the front of (energy, error), in increasing energy.
    pub front: Vec<ParetoPoint>,
    /// Laser settings left out, each with its reason.
    pub skipped: Vec<String>,
    /// The line naming rig, epochs and seeds.
    pub basis: String,
    /// pareto.
    #[serde(skip)]
    pub plots: Vec<Plot>,
}

/// One variant of the rig: its grid point and the noise a network sees on it.
struct Variant {
    offset_db: f64,
    bits: u32,
    rig: Rig,
    noise: ForwardNoise,
}

pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let c = &config.common;
    let s = setup(rig)?;
    let mut bits = config.adc_bits.clone();
    bits.push(rig.adc.bits);
    bits.sort_unstable();
    bits.dedup();
    // The rig's variants, checked before any training.
    let (rig_dbm, max_dbm) = (rig.laser.power.dbm(), rig.laser.max_power.dbm());
    let mut variants = Vec::new();
    let mut skipped = Vec::new();
    for &off in &config.laser_db {
        if rig_dbm + off > max_dbm + 1e-9 {
            skipped.push(format!(
                "laser {off:+} dB: {:.1} dBm is above the laser's maximum of {max_dbm:.1} dBm",
                rig_dbm + off
            ));
            continue;
        }
        for &b in &bits {
            let v = grid_rig(rig, off, b).map_err(|p| {
                LabError::Incompatible(format!(
                    "the rig at laser {off:+} dB and a {b}-bit ADC: {}",
                    lightloop_rig::validate::describe(&p)
                ))
            })?;
            let phi = Phi::new(LoopTwin::from_rig(&v, 0.0, 1));
            variants.push(Variant {
                offset_db: off,
                bits: b,
                noise: ForwardNoise {
                    pass_sd: phi.pass_noise_sd(),
                    sensing: Sensing::from_rig(&v, None, None),
                },
                rig: v,
            });
        }
    }
    // Energy of every (width, T) on every variant: the cost model is cheap.
    let mut energy = HashMap::new();
    // Seed 1's data: its classes size the cost model's network, and it trains the first seed.
    let mut first = Some(load(c.task, 1)?);
    let classes = first.as_ref().map_or(0, |d| d.classes);
    for (v, var) in variants.iter().enumerate() {
        for &w in &config.widths {
            for &t in &config.passes {
                let shape = NetShape::one_reading(w, t, classes);
                energy.insert((v, w, t), net_energy(&var.rig, &shape)?);
            }
        }
    }
    let settings = c.settings();
    let mut tally = Tally::new(
        progress,
        config.widths.len() * config.passes.len() * c.seeds as usize,
        "networks trained and read on every rig variant",
    );
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = match first.take() {
            Some(d) if seed == 1 => d,
            _ => load(c.task, seed)?,
        };
        for &w in &config.widths {
            for &t in &config.passes {
                let (net, _) = train(
                    net_config(c, w, &data, t, seed),
                    s.phi.clone(),
                    &s.noise,
                    &settings,
                    &data,
                )
                .map_err(training)?;
                for (v, var) in variants.iter().enumerate() {
                    // One noise stream for every variant (common random numbers).
                    let acc = net.accuracy(&data.test_x, &data.test_y, t, &var.noise, u64::MAX)?;
                    rows.push(ParetoRow {
                        width: w,
                        passes: t,
                        laser_offset_db: var.offset_db,
                        adc_bits: var.bits,
                        seed,
                        test_accuracy: acc,
                        j_per_input: energy[&(v, w, t)],
                    });
                }
                tally.step();
            }
        }
    }

    // Medians over seeds, then the front of (energy, error).
    let mut points = Vec::new();
    for (v, var) in variants.iter().enumerate() {
        for &w in &config.widths {
            for &t in &config.passes {
                let acc = Spread::of(
                    rows.iter()
                        .filter(|r| {
                            r.width == w
                                && r.passes == t
                                && r.laser_offset_db == var.offset_db
                                && r.adc_bits == var.bits
                        })
                        .map(|r| r.test_accuracy)
                        .collect(),
                )
                .median;
                points.push(ParetoPoint {
                    width: w,
                    passes: t,
                    offset_db: var.offset_db,
                    bits: var.bits,
                    accuracy: acc,
                    energy: energy[&(v, w, t)],
                });
            }
        }
    }
    let on_front = pareto_front(
        &points
            .iter()
            .map(|p| (p.energy, 1.0 - p.accuracy))
            .collect::<Vec<_>>(),
    );
    let mut front: Vec<ParetoPoint> = points
        .iter()
        .zip(&on_front)
        .filter(|(_, f)| **f)
        .map(|(p, _)| *p)
        .collect();
    front.sort_by(|x, y| x.energy.total_cmp(&y.energy));
    let basis = format!(
        "rig {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.epochs,
        c.seed_range()
    );
    let clouds: Vec<Series> = config
        .widths
        .iter()
        .map(|w| {
            Series::line(
                format!("width {w} (every T, laser power and ADC)"),
                points
                    .iter()
                    .filter(|p| p.width == *w)
                    .map(|p| (p.energy, p.accuracy))
                    .collect(),
            )
        })
        .collect();
    let line = Series::line(
        "Pareto front",
        front.iter().map(|p| (p.energy, p.accuracy)).collect(),
    );
    let plot = Plot {
        name: "pareto".into(),
        axes: Axes::new(
            format!("{} accuracy versus energy per input — {basis}", c.task),
            "J per input (cost model, every load counted)",
            "test accuracy (median over seeds)",
        )
        .log_x(),
        kind: Kind::Scatter {
            clouds,
            lines: vec![line],
        },
    };
    Ok(Outcome {
        rows,
        points,
        front,
        skipped,
        basis,
        plots: vec![plot],
    })
}

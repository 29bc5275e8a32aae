//! Accuracy of a network trained at the rig's noise, read out at other photon counts and ADC
//! resolutions.

use super::{Common, Spread, Tally, load, net_config, setup, spread_series, training};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::ForwardNoise;
use lightloop_nn::loopnet::train::train;
use lightloop_nn::sensing::Sensing;
use lightloop_plot::Axes;
use lightloop_rig::Rig;
use serde::Serialize;

/// The readout sweep.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: Common,
    /// Loop passes T of the trained network, 1 … 4096.
    pub passes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            passes: 8,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        if self.passes == 0 || self.passes > 4096 {
            return Err(LabError::config("passes", "must be 1 … 4096"));
        }
        Ok(())
    }
}

/// ADC bits of the resolution sweep.
pub const ADC_BITS: [u32; 8] = [2, 3, 4, 5, 6, 8, 10, 12];

/// One network read at one setting (a row of readout.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadoutRow {
    /// "photons" or "adc bits".
    pub sweep: &'static str,
    pub seed: u64,
    pub photons_per_sample: Option<f64>,
    pub adc_bits: Option<u32>,
    pub test_accuracy: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<ReadoutRow>,
    /// Photons per sample and the accuracy over seeds, in increasing photons.
    pub by_photons: Vec<(f64, Spread)>,
    /// ADC bits and the accuracy over seeds, in increasing bits.
    pub by_bits: Vec<(u32, Spread)>,
    /// The line naming rig, width, T, epochs and seeds.
    pub basis: String,
    /// accuracy_vs_photons, accuracy_vs_adc_bits.
    #[serde(skip)]
    pub plots: Vec<Plot>,
}

pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let c = &config.common;
    let s = setup(rig)?;
    let settings = c.settings();
    // Photons per sample at the readout's full scale: 10^3 … 10^9.
    let photons: Vec<f64> = (3..=9).map(|e| 10f64.powi(e)).collect();
    let mut tally = Tally::new(progress, c.seeds as usize, "networks trained and read out");
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        let (net, _) = train(
            net_config(c, c.width, &data, config.passes, seed),
            s.phi.clone(),
            &s.noise,
            &settings,
            &data,
        )
        .map_err(training)?;
        let mut eval = |sweep: &'static str, sensing: Sensing, k: u64| -> Result<(), LabError> {
            let noise = ForwardNoise {
                pass_sd: s.noise.pass_sd,
                sensing,
            };
            let acc = net.accuracy(
                &data.test_x,
                &data.test_y,
                config.passes,
                &noise,
                10_000 + k,
            )?;
            rows.push(ReadoutRow {
                sweep,
                seed,
                photons_per_sample: sensing.photons_per_sample,
                adc_bits: sensing.adc_bits,
                test_accuracy: acc,
            });
            Ok(())
        };
        for (k, p) in photons.iter().enumerate() {
            eval("photons", Sensing::from_rig(rig, Some(*p), None), k as u64)?;
        }
        for (k, bb) in ADC_BITS.iter().enumerate() {
            eval(
                "adc bits",
                Sensing::from_rig(rig, None, Some(*bb)),
                100 + k as u64,
            )?;
        }
        tally.step();
    }
    let med = |sweep: &str, pick: &dyn Fn(&ReadoutRow) -> f64| -> Vec<(f64, Spread)> {
        let mut xs: Vec<f64> = rows.iter().filter(|r| r.sweep == sweep).map(pick).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs.into_iter()
            .map(|x| {
                let acc = Spread::of(
                    rows.iter()
                        .filter(|r| r.sweep == sweep && pick(r) == x)
                        .map(|r| r.test_accuracy)
                        .collect(),
                );
                (x, acc)
            })
            .collect()
    };
    let by_photons = med("photons", &|r| r.photons_per_sample.unwrap_or(f64::NAN));
    let by_bits = med("adc bits", &|r| r.adc_bits.map_or(f64::NAN, f64::from));
    let basis = format!(
        "rig {}, width {}, T = {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.width,
        config.passes,
        c.epochs,
        c.seed_range()
    );
    let series = |v: &[(f64, Spread)]| spread_series("median (min–max over seeds)", v);
    let plots = vec![
        Plot {
            name: "accuracy_vs_photons".into(),
            axes: Axes::new(
                format!("{} accuracy versus photons per sample — {basis}", c.task),
                "photons per sample at the readout's full scale",
                "test accuracy",
            )
            .log_x(),
            kind: Kind::Lines(vec![series(&by_photons)]),
        },
        Plot {
            name: "accuracy_vs_adc_bits".into(),
            axes: Axes::new(
                format!("{} accuracy versus ADC bits — {basis}", c.task),
                "ADC bits",
                "test accuracy",
            ),
            kind: Kind::Lines(vec![series(&by_bits)]),
        },
    ];
    Ok(Outcome {
        rows,
        by_bits: by_bits.into_iter().map(|(b, m)| (b as u32, m)).collect(),
        by_photons,
        basis,
        plots,
    })
}

//! `lightloop experiment pareto`: the energy–accuracy Pareto front of trained loop networks.

use super::{Common, NetShape, config, setup};
use crate::commands::output::OutputDir;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{Align, Table, si};
use clap::Args;
use lightloop_base::stats::median_min_max;
use lightloop_lab::pareto::front as pareto_front;
use lightloop_nn::loopnet::ForwardNoise;
use lightloop_nn::loopnet::phi::Phi;
use lightloop_nn::loopnet::train::{TrainSettings, train};
use lightloop_nn::sensing::Sensing;
use lightloop_plot::{Axes, Series, scatter_chart};
use lightloop_twin::LoopTwin;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct ParetoArgs {
    #[command(flatten)]
    pub common: Common,
    /// Widths of the trained networks, comma-separated (replaces --width)
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 32, 64])]
    pub widths: Vec<usize>,
    /// Loop passes T of the trained networks, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![2usize, 8, 32])]
    pub passes: Vec<usize>,
    /// Laser power per channel relative to the rig's, dB, comma-separated (settings above the
    /// laser's maximum are skipped)
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true,
          default_values_t = vec![-24.0, -12.0, 0.0, 6.0])]
    pub laser_db: Vec<f64>,
    /// ADC bits, comma-separated (the rig's own bits are always included)
    #[arg(long, value_delimiter = ',', default_values_t = vec![4u32, 8])]
    pub adc_bits: Vec<u32>,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-pareto",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct ParetoRow {
    width: usize,
    passes: usize,
    laser_offset_db: f64,
    adc_bits: u32,
    seed: u64,
    test_accuracy: f64,
    /// Cost model's energy per input of this network on this variant of the rig, J.
    j_per_input: f64,
}

/// One variant of the rig: its overrides, the noise a network sees on it.
struct Variant {
    offset_db: f64,
    bits: u32,
    sets: Vec<String>,
    noise: ForwardNoise,
}

pub fn run(a: &ParetoArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    if a.widths.is_empty() || a.widths.iter().any(|w| !(4..=1024).contains(w)) {
        return Err(CliError::BadInput("--widths must be 4 … 1024".into()));
    }
    if a.passes.is_empty() || a.passes.iter().any(|p| !(1..=1024).contains(p)) {
        return Err(CliError::BadInput("--passes must be 1 … 1024".into()));
    }
    if a.laser_db.is_empty() || a.laser_db.iter().any(|d| !d.is_finite() || d.abs() > 60.0) {
        return Err(CliError::BadInput("--laser-db must be −60 … 60 dB".into()));
    }
    if a.adc_bits.iter().any(|b| !(1..=24).contains(b)) {
        return Err(CliError::BadInput("--adc-bits must be 1 … 24".into()));
    }
    let mut bits = a.adc_bits.clone();
    bits.push(s.rig.adc.bits);
    bits.sort_unstable();
    bits.dedup();
    // The rig's variants, checked before any training.
    let (rig_dbm, max_dbm) = (s.rig.laser.power.dbm(), s.rig.laser.max_power.dbm());
    let mut variants = Vec::new();
    let mut skipped = Vec::new();
    for &off in &a.laser_db {
        if rig_dbm + off > max_dbm + 1e-9 {
            skipped.push(format!(
                "laser {off:+} dB: {:.1} dBm is above the laser's maximum of {max_dbm:.1} dBm",
                rig_dbm + off
            ));
            continue;
        }
        for &b in &bits {
            let extra = pareto_sets(&s.rig, off, b);
            let mut sets = a.common.sets.clone();
            sets.extend(extra.iter().cloned());
            let rig = load_rig(&a.common.rig, &sets)?.value;
            let phi = Phi::new(LoopTwin::from_rig(&rig, 0.0, 1));
            variants.push(Variant {
                offset_db: off,
                bits: b,
                sets,
                noise: ForwardNoise {
                    pass_sd: phi.pass_noise_sd(),
                    sensing: Sensing::from_rig(&rig, None, None),
                },
            });
        }
    }
    // Energy of every (width, T) on every variant: the cost model is cheap.
    let mut energy = std::collections::HashMap::new();
    // Seed 1's data: its classes size the cost model's network, and it trains the first seed.
    let mut first = Some(s.task.load(1).map_err(CliError::Message)?);
    let classes = first.as_ref().map_or(0, |d| d.classes);
    for (v, var) in variants.iter().enumerate() {
        let common = Common {
            sets: var.sets.clone(),
            ..a.common.clone()
        };
        for &w in &a.widths {
            for &t in &a.passes {
                let shape = NetShape::one_reading(w, t, classes);
                energy.insert((v, w, t), super::net_energy(&common, &shape)?);
            }
        }
    }
    let out = OutputDir::create(&a.out, "pareto.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let nets = (a.widths.len() * a.passes.len()) as u64 * a.common.seeds;
    let b = super::super::progress(nets, "networks trained and read on every rig variant");
    let msg = |e: candle_core::Error| CliError::Message(e.to_string());
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = match first.take() {
            Some(d) if seed == 1 => d,
            _ => s.task.load(seed).map_err(CliError::Message)?,
        };
        for &w in &a.widths {
            for &t in &a.passes {
                let common = Common {
                    width: w,
                    ..a.common.clone()
                };
                let (net, _) = train(
                    config(&common, &data, t, seed),
                    s.phi.clone(),
                    &s.noise,
                    &settings,
                    &data,
                )
                .map_err(CliError::Message)?;
                for (v, var) in variants.iter().enumerate() {
                    // One noise stream for every variant (common random numbers).
                    let acc = net
                        .accuracy(&data.test_x, &data.test_y, t, &var.noise, u64::MAX)
                        .map_err(msg)?;
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
                b.inc(1);
            }
        }
    }
    b.finish_and_clear();

    // Medians over seeds, then the front of (energy, error).
    struct Point {
        width: usize,
        passes: usize,
        offset_db: f64,
        bits: u32,
        accuracy: f64,
        energy: f64,
    }
    let mut points = Vec::new();
    for (v, var) in variants.iter().enumerate() {
        for &w in &a.widths {
            for &t in &a.passes {
                let (acc, _, _) = median_min_max(
                    rows.iter()
                        .filter(|r| {
                            r.width == w
                                && r.passes == t
                                && r.laser_offset_db == var.offset_db
                                && r.adc_bits == var.bits
                        })
                        .map(|r| r.test_accuracy)
                        .collect(),
                );
                points.push(Point {
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
    let mut front: Vec<&Point> = points
        .iter()
        .zip(&on_front)
        .filter(|(_, f)| **f)
        .map(|(p, _)| p)
        .collect();
    front.sort_by(|x, y| x.energy.total_cmp(&y.energy));
    let mut table = Table::new(
        &[
            "J per input",
            "test accuracy (median)",
            "width",
            "passes T",
            "laser (dB from rig)",
            "ADC bits",
        ],
        &[Align::Right; 6],
    );
    for p in &front {
        table.row(vec![
            si(p.energy, "J"),
            format!("{:.4}", p.accuracy),
            p.width.to_string(),
            p.passes.to_string(),
            format!("{:+}", p.offset_db),
            p.bits.to_string(),
        ]);
    }
    let basis = format!(
        "rig {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.epochs, a.common.seeds
    );
    println!(
        "energy–accuracy Pareto front on {}: {basis}; {} settings, {} on the front\n",
        s.task,
        points.len(),
        front.len()
    );
    println!("{}", table.render());
    for line in &skipped {
        println!("skipped: {line}");
    }
    let clouds: Vec<Series> = a
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
    let svg = scatter_chart(
        &Axes::new(
            format!("{} accuracy versus energy per input — {basis}", s.task),
            "J per input (cost model, every load counted)",
            "test accuracy (median over seeds)",
        )
        .log_x(),
        &clouds,
        &[line],
    )?;
    out.text("pareto.svg", &svg)?;
    out.csv("pareto.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\neach network is trained once at the rig's own noise, then read on every variant of the rig (laser power per channel, ADC bits with the rig's ENOB shortfall and a fixed Walden figure of merit); its activation stays the trained one (the loop's gain trim holds the operating point), only the ASE per pass and the readout's noise change. Energy: the cost model's deep-loop decoder at the network's width and T with one reading at T.\nwrote {}/{{pareto.csv, pareto.svg}}",
        dir.display()
    );
    Ok(())
}

/// The `--set` overrides of one grid point (the same rig as `lightloop_lab::pareto::grid_rig`):
/// the laser power `offset_db` from the rig's, and the ADC at `bits` with the rig's ENOB
/// shortfall and its energy per conversion at a fixed Walden figure of merit.
fn pareto_sets(rig: &lightloop_rig::Rig, offset_db: f64, bits: u32) -> Vec<String> {
    let mut sets = Vec::new();
    if offset_db != 0.0 {
        sets.push(format!(
            "laser.power=\"{:.3} dBm\"",
            rig.laser.power.dbm() + offset_db
        ));
    }
    if bits != rig.adc.bits {
        let enob = rig.adc.enob_at(bits);
        sets.push(format!("adc.bits={bits}"));
        sets.push(format!("adc.enob={enob:?}"));
        if let Some(e) = rig.adc.energy_per_conversion {
            let scaled = e.si() * 2f64.powf(enob - rig.adc.enob);
            sets.push(format!("adc.energy_per_conversion=\"{scaled:e} J\""));
        }
    }
    sets
}

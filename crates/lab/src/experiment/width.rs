//! Test accuracy and the cost model's energy per input versus the loop's width.

use super::{
    Common, NetShape, Spread, Tally, check_widths, load, net_config, net_energy, setup,
    spread_series, training,
};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::train::train;
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;
use std::time::Instant;

/// The width sweep.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// `common.width` is checked but not trained: `widths` are.
    #[serde(flatten)]
    pub common: Common,
    /// Widths of the loop state, each 4 … 1024.
    pub widths: Vec<usize>,
    /// Loop passes T, 1 … 4096.
    pub passes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            widths: vec![16, 32, 64, 128],
            passes: 8,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        check_widths("widths", &self.widths)?;
        if self.passes == 0 || self.passes > 4096 {
            return Err(LabError::config("passes", "must be 1 … 4096"));
        }
        self.common.validate()
    }
}

/// One trained network (a row of width.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WidthRow {
    pub width: usize,
    pub passes: usize,
    pub seed: u64,
    pub test_accuracy: f64,
    /// The cost model's energy for one input through the network of this width and passes on
    /// the rig (see [`super::net_energy`]: the loop, one reading, its host head), J.
    pub j_per_input: f64,
    pub train_seconds: f64,
}

/// The medians at one width.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WidthSummary {
    pub width: usize,
    pub accuracy: Spread,
    /// J per input.
    pub energy: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<WidthRow>,
    /// One per width, in the configuration's order.
    pub summary: Vec<WidthSummary>,
    /// The line naming rig, T, epochs and seeds.
    pub basis: String,
    /// accuracy_vs_width, accuracy_vs_energy.
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
    // Energy per input from the cost model: the network of each width (as `pareto` costs it:
    // one reading after T passes). Seed 1's data gives the number of classes.
    let classes = load(c.task, 1)?.classes;
    let energy = config
        .widths
        .iter()
        .map(|&w| net_energy(rig, &NetShape::one_reading(w, config.passes, classes)))
        .collect::<Result<Vec<f64>, LabError>>()?;
    let settings = c.settings();
    let mut tally = Tally::new(
        progress,
        config.widths.len() * c.seeds as usize,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        for (k, &w) in config.widths.iter().enumerate() {
            let start = Instant::now();
            let (_, acc) = train(
                net_config(c, w, &data, config.passes, seed),
                s.phi.clone(),
                &s.noise,
                &settings,
                &data,
            )
            .map_err(training)?;
            rows.push(WidthRow {
                width: w,
                passes: config.passes,
                seed,
                test_accuracy: acc,
                j_per_input: energy[k],
                train_seconds: start.elapsed().as_secs_f64(),
            });
            tally.step();
        }
    }
    let summary: Vec<WidthSummary> = config
        .widths
        .iter()
        .zip(&energy)
        .map(|(&w, &e)| WidthSummary {
            width: w,
            accuracy: Spread::of(
                rows.iter()
                    .filter(|r| r.width == w)
                    .map(|r| r.test_accuracy)
                    .collect(),
            ),
            energy: e,
        })
        .collect();
    let basis = format!(
        "rig {}, T = {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        config.passes,
        c.epochs,
        c.seed_range()
    );
    let by_width: Vec<(f64, Spread)> = summary
        .iter()
        .map(|m| (m.width as f64, m.accuracy))
        .collect();
    let plots = vec![
        Plot {
            name: "accuracy_vs_width".into(),
            axes: Axes::new(
                format!("{} accuracy versus loop width — {basis}", c.task),
                "width of the loop state (channels × slots)",
                "test accuracy",
            )
            .log_x(),
            kind: Kind::Lines(vec![spread_series(
                "median (min–max over seeds)",
                &by_width,
            )]),
        },
        Plot {
            name: "accuracy_vs_energy".into(),
            axes: Axes::new(
                format!("{} accuracy versus energy per input — {basis}", c.task),
                "J per input (cost model, network of this width)",
                "test accuracy (median)",
            )
            .log_x(),
            kind: Kind::Lines(vec![Series::line(
                "one point per width",
                summary
                    .iter()
                    .map(|m| (m.energy, m.accuracy.median))
                    .collect(),
            )]),
        },
    ];
    Ok(Outcome {
        rows,
        summary,
        basis,
        plots,
    })
}

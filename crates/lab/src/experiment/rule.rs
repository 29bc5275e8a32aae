//! Backpropagation through the passes against Direct Feedback Alignment (fixed random
//! feedback, an optics-friendly rule) and a deep reservoir (only the readout trained), versus
//! the loop's passes.

use super::{
    Common, Spread, Tally, check_passes, load, net_config, setup, spread_series, training,
};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::dfa;
use lightloop_nn::loopnet::train::train;
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;

/// The training-rule comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: Common,
    /// Loop passes T, each 1 … 4096.
    pub passes: Vec<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            passes: vec![1, 4, 16, 64],
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        check_passes("passes", &self.passes, 1, 4096)
    }
}

/// The rules compared, in the order of the rows and the summary.
pub const RULES: [&str; 3] = ["backprop", "dfa", "reservoir"];

/// One network (a row of rule.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    /// "backprop", "dfa" or "reservoir" (loop left at its random start, readout trained).
    pub rule: &'static str,
    pub passes: usize,
    pub seed: u64,
    pub test_accuracy: f64,
}

/// The accuracy over seeds of each rule at one T.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleSummary {
    pub passes: usize,
    /// In the order of [`RULES`].
    pub accuracy: [Spread; 3],
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<RuleRow>,
    /// One per T, in the configuration's order.
    pub summary: Vec<RuleSummary>,
    /// The line naming rig, width, epochs and seeds.
    pub basis: String,
    /// accuracy_vs_passes.
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
    let mut tally = Tally::new(
        progress,
        RULES.len() * config.passes.len() * c.seeds as usize,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        for &t in &config.passes {
            for rule in RULES {
                let mut cfg = net_config(c, c.width, &data, t, seed);
                cfg.readout_only = rule == "reservoir";
                let trained = if rule == "dfa" {
                    dfa::train(cfg, s.phi.clone(), &s.noise, &settings, &data)
                } else {
                    train(cfg, s.phi.clone(), &s.noise, &settings, &data)
                };
                let (_, acc) = trained.map_err(training)?;
                rows.push(RuleRow {
                    rule,
                    passes: t,
                    seed,
                    test_accuracy: acc,
                });
                tally.step();
            }
        }
    }
    let summary: Vec<RuleSummary> = config
        .passes
        .iter()
        .map(|&t| RuleSummary {
            passes: t,
            accuracy: RULES.map(|rule| {
                Spread::of(
                    rows.iter()
                        .filter(|r| r.passes == t && r.rule == rule)
                        .map(|r| r.test_accuracy)
                        .collect(),
                )
            }),
        })
        .collect();
    let basis = format!(
        "rig {}, width {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.width,
        c.epochs,
        c.seed_range()
    );
    let series: Vec<Series> = [
        "backpropagation through the passes",
        "direct feedback alignment",
        "reservoir: loop at its random start, readout trained",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| {
        let curve: Vec<(f64, Spread)> = summary
            .iter()
            .map(|m| (m.passes as f64, m.accuracy[i]))
            .collect();
        spread_series(format!("{name} (median, min–max)"), &curve)
    })
    .collect();
    let plot = Plot {
        name: "accuracy_vs_passes".into(),
        axes: Axes::new(
            format!(
                "{} accuracy versus passes by training rule — {basis}",
                c.task
            ),
            "loop passes T",
            "test accuracy",
        )
        .log_x(),
        kind: Kind::Lines(series),
    };
    Ok(Outcome {
        rows,
        summary,
        basis,
        plots: vec![plot],
    })
}

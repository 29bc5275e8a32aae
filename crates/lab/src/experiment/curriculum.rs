//! Deep loops trained at full depth from the start against a curriculum in depth (the passes
//! double during training).

use super::{
    Common, Spread, Tally, check_passes, load, net_config, setup, spread_series, training,
};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::train::{TrainSettings, train};
use lightloop_plot::Axes;
use lightloop_rig::Rig;
use serde::Serialize;

/// The curriculum experiment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: Common,
    /// Loop passes T of the trained networks, each 2 … 4096.
    pub passes: Vec<usize>,
    /// Passes at the start of the curriculum (doubled at equal shares of the epochs up to T):
    /// at least 1 and below every T.
    pub start: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            passes: vec![16, 64],
            start: 2,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        check_passes("passes", &self.passes, 2, 4096)?;
        if self.start == 0 || self.passes.iter().any(|p| self.start >= *p) {
            return Err(LabError::config(
                "start",
                "must be at least 1 and below every passes value",
            ));
        }
        self.common.validate()
    }
}

/// One depth and seed, trained both ways (a row of curriculum.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurriculumRow {
    pub seed: u64,
    pub passes: usize,
    pub curriculum_start: usize,
    pub full_depth_accuracy: f64,
    pub curriculum_accuracy: f64,
}

/// The medians at one T.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurriculumSummary {
    pub passes: usize,
    pub full_depth: Spread,
    pub curriculum: Spread,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<CurriculumRow>,
    /// One per T, in the configuration's order.
    pub summary: Vec<CurriculumSummary>,
    /// The line naming rig, width, start, epochs and seeds.
    pub basis: String,
    /// curriculum.
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
    let plain = c.settings();
    let staged = TrainSettings {
        curriculum_start: Some(config.start),
        ..plain
    };
    let mut tally = Tally::new(
        progress,
        2 * config.passes.len() * c.seeds as usize,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        for &t in &config.passes {
            let mut acc = [0.0; 2];
            for (k, settings) in [plain, staged].iter().enumerate() {
                acc[k] = train(
                    net_config(c, c.width, &data, t, seed),
                    s.phi.clone(),
                    &s.noise,
                    settings,
                    &data,
                )
                .map_err(training)?
                .1;
                tally.step();
            }
            rows.push(CurriculumRow {
                seed,
                passes: t,
                curriculum_start: config.start,
                full_depth_accuracy: acc[0],
                curriculum_accuracy: acc[1],
            });
        }
    }
    let basis = format!(
        "rig {}, width {}, curriculum from {} passes, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.width,
        config.start,
        c.epochs,
        c.seed_range()
    );
    let summary: Vec<CurriculumSummary> = config
        .passes
        .iter()
        .map(|&t| {
            let med = |f: &dyn Fn(&CurriculumRow) -> f64| {
                Spread::of(rows.iter().filter(|r| r.passes == t).map(f).collect())
            };
            CurriculumSummary {
                passes: t,
                full_depth: med(&|r| r.full_depth_accuracy),
                curriculum: med(&|r| r.curriculum_accuracy),
            }
        })
        .collect();
    let curve = |f: fn(&CurriculumSummary) -> Spread| -> Vec<(f64, Spread)> {
        summary.iter().map(|m| (m.passes as f64, f(m))).collect()
    };
    let plot = Plot {
        name: "curriculum".into(),
        axes: Axes::new(
            format!(
                "{} accuracy: full depth versus a depth curriculum — {basis}",
                c.task
            ),
            "loop passes T at the end of training",
            "test accuracy at the rig's noise",
        )
        .log_x(),
        kind: Kind::Lines(vec![
            spread_series("full depth from the start", &curve(|m| m.full_depth)),
            spread_series("curriculum (passes doubling)", &curve(|m| m.curriculum)),
        ]),
    };
    Ok(Outcome {
        rows,
        summary,
        basis,
        plots: vec![plot],
    })
}

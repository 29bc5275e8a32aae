//! Students trained from scratch against students distilled from a wider noiseless teacher.

use super::{Common, Spread, Tally, check_widths, load, net_config, setup, training};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::ForwardNoise;
use lightloop_nn::loopnet::train::{Distillation, train, train_distilled};
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;

/// The distillation experiment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// `common.width` is checked but not trained: `widths` and `teacher_width` are.
    #[serde(flatten)]
    pub common: Common,
    /// Student widths, each 4 … 1024.
    pub widths: Vec<usize>,
    /// Width of the teacher (the same loop network, trained without noise), 4 … 1024.
    pub teacher_width: usize,
    /// Loop passes T of teacher and students, 1 … 4096.
    pub passes: usize,
    /// Distillation temperature τ (> 0).
    pub temperature: f64,
    /// Weight of the distillation term, 0 … 1 (the rest is the label cross-entropy).
    pub weight: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            widths: vec![16, 32],
            teacher_width: 256,
            passes: 8,
            temperature: 4.0,
            weight: 0.7,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        check_widths("widths", &self.widths)?;
        if !(4..=1024).contains(&self.teacher_width) {
            return Err(LabError::config(
                "teacher_width",
                format!("must be 4 … 1024, not {}", self.teacher_width),
            ));
        }
        if self.passes == 0 || self.passes > 4096 {
            return Err(LabError::config("passes", "must be 1 … 4096"));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(LabError::config(
                "temperature",
                format!("must be positive, not {}", self.temperature),
            ));
        }
        if !(0.0..=1.0).contains(&self.weight) {
            return Err(LabError::config(
                "weight",
                format!("must be in 0 … 1, not {}", self.weight),
            ));
        }
        self.common.validate()
    }
}

/// One student width and seed (a row of distill.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistillRow {
    pub seed: u64,
    pub width: usize,
    pub passes: usize,
    pub teacher_width: usize,
    pub teacher_accuracy_noiseless: f64,
    pub scratch_accuracy: f64,
    pub distilled_accuracy: f64,
}

/// Medians over seeds at one student width.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DistillSummary {
    pub width: usize,
    pub scratch: f64,
    pub distilled: f64,
    pub teacher_noiseless: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<DistillRow>,
    /// One per student width, in the configuration's order.
    pub summary: Vec<DistillSummary>,
    /// The line naming rig, T, teacher, τ, weight, epochs and seeds.
    pub basis: String,
    /// distill.
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
    let t = config.passes;
    let s = setup(rig)?;
    let settings = c.settings();
    let mut tally = Tally::new(
        progress,
        c.seeds as usize * (1 + 2 * config.widths.len()),
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        let off = ForwardNoise::off();
        let (teacher, _) = train(
            net_config(c, config.teacher_width, &data, t, seed),
            s.phi.clone(),
            &off,
            &settings,
            &data,
        )
        .map_err(training)?;
        let teacher_acc = teacher.accuracy(&data.test_x, &data.test_y, t, &off, 0)?;
        let logits = teacher.forward(&data.train_x, t, &off, 0)?.detach();
        tally.step();
        for &w in &config.widths {
            let cfg = net_config(c, w, &data, t, seed);
            let (_, scratch) =
                train(cfg, s.phi.clone(), &s.noise, &settings, &data).map_err(training)?;
            tally.step();
            let (_, distilled) = train_distilled(
                cfg,
                s.phi.clone(),
                &s.noise,
                &settings,
                &data,
                Some(Distillation {
                    teacher_logits: &logits,
                    temperature: config.temperature,
                    weight: config.weight,
                }),
            )
            .map_err(training)?;
            tally.step();
            rows.push(DistillRow {
                seed,
                width: w,
                passes: t,
                teacher_width: config.teacher_width,
                teacher_accuracy_noiseless: teacher_acc,
                scratch_accuracy: scratch,
                distilled_accuracy: distilled,
            });
        }
    }
    let basis = format!(
        "rig {}, T = {}, teacher width {} without noise, τ = {}, weight {}, {} epochs, {}",
        rig.rig.name,
        t,
        config.teacher_width,
        config.temperature,
        config.weight,
        c.epochs,
        c.seed_range()
    );
    let med = |w: usize, f: &dyn Fn(&DistillRow) -> f64| {
        Spread::of(rows.iter().filter(|r| r.width == w).map(f).collect()).median
    };
    let summary: Vec<DistillSummary> = config
        .widths
        .iter()
        .map(|&w| DistillSummary {
            width: w,
            scratch: med(w, &|r| r.scratch_accuracy),
            distilled: med(w, &|r| r.distilled_accuracy),
            teacher_noiseless: med(w, &|r| r.teacher_accuracy_noiseless),
        })
        .collect();
    let plot = Plot {
        name: "distill".into(),
        axes: Axes::new(
            format!(
                "{} students: from scratch versus distilled — {basis}",
                c.task
            ),
            "student width",
            "test accuracy at the rig's noise (median)",
        )
        .log_x(),
        kind: Kind::Lines(vec![
            Series::line(
                "from scratch",
                summary
                    .iter()
                    .map(|m| (m.width as f64, m.scratch))
                    .collect(),
            ),
            Series::line(
                "distilled",
                summary
                    .iter()
                    .map(|m| (m.width as f64, m.distilled))
                    .collect(),
            ),
        ]),
    };
    Ok(Outcome {
        rows,
        summary,
        basis,
        plots: vec![plot],
    })
}

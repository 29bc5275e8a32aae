//! The gain sweep: a model's largest Lyapunov exponent, memory capacity, effective rank and a
//! task's score per gain; the edge of chaos and the best operating point.

use super::{
    build, collect, headline, lyapunov, par_map, score, spec, validate_engine_noise, validate_knobs,
};
use crate::plot::Kind as PlotKind;
use crate::{LabError, Plot, Progress};
use lightloop_base::rng::stream;
use lightloop_base::stats::median_min_max;
use lightloop_nn::dynamics::participation_ratio;
use lightloop_nn::reservoir::Kind;
use lightloop_nn::sensing::Sensing;
use lightloop_nn::suite::Task;
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;

/// A model's gain swept over `gains`, seeds 1 … `seeds` at each.
#[derive(Debug, Clone)]
pub struct Config {
    /// A model with a gain that changes what it computes (not the linear baseline).
    pub model: Kind,
    /// The task scored at each gain.
    pub task: Task,
    /// The gains, each finite and ≥ 0; empty: [`DEFAULT_GAIN_FACTORS`] times the model's
    /// default gain.
    pub gains: Vec<f64>,
    /// Nodes, 1 … 10 000; `None`: the model's default.
    pub nodes: Option<usize>,
    /// Input drive relative to the model's default (> 0).
    pub input_scale: f64,
    /// Switch off the noise inside the reservoir; refused for soa-engine.
    pub no_inner_noise: bool,
    /// Seeds per gain, at least 1.
    pub seeds: u64,
}

/// The default grid, as multiples of the model's default gain.
pub const DEFAULT_GAIN_FACTORS: [f64; 10] = [0.25, 0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.15, 1.3, 1.6];

impl Default for Config {
    fn default() -> Self {
        Self {
            model: Kind::Esn,
            task: Task::Narma10,
            gains: Vec::new(),
            nodes: None,
            input_scale: 1.0,
            no_inner_noise: false,
            seeds: 3,
        }
    }
}

impl Config {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), LabError> {
        validate_engine_noise(self.model, self.no_inner_noise)?;
        if !self.model.has_gain() {
            return Err(LabError::config(
                "model",
                format!(
                    "cannot be `{}`: it has no gain that changes what it computes, so there is \
                     nothing to sweep",
                    self.model
                ),
            ));
        }
        if let Some(g) = self.gains.iter().find(|g| !(g.is_finite() && **g >= 0.0)) {
            return Err(LabError::config(
                "gains",
                format!("must be finite and ≥ 0, not {g}"),
            ));
        }
        if self.seeds == 0 {
            return Err(LabError::config("seeds", "must be at least 1"));
        }
        validate_knobs(self.nodes, self.input_scale)
    }

    /// The gains swept, in order.
    pub fn gains(&self) -> Vec<f64> {
        if self.gains.is_empty() {
            let g0 = self.model.gain_meaning().1;
            DEFAULT_GAIN_FACTORS.iter().map(|f| f * g0).collect()
        } else {
            self.gains.clone()
        }
    }
}

/// One gain × seed (the rows of gain_sweep.csv); a point that failed has its `error` and no
/// numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    pub gain: f64,
    pub seed: u64,
    pub lyapunov_per_step: Option<f64>,
    /// The task's headline metric (NRMSE, SER, accuracy or MC).
    pub metric: String,
    pub score_ideal: Option<f64>,
    pub score_rig_readout: Option<f64>,
    pub memory_capacity: Option<f64>,
    pub participation_ratio: Option<f64>,
    pub error: String,
}

/// Medians over the seeds at one gain (the finite values; `None` where there are none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GainPoint {
    pub gain: f64,
    pub lyapunov: Option<f64>,
    /// The task's metric with an ideal readout.
    pub ideal: Option<f64>,
    /// The task's metric with the rig's readout.
    pub rig: Option<f64>,
    pub memory: Option<f64>,
}

/// What the sweep found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every gain × seed, gains in order.
    pub rows: Vec<SweepRow>,
    /// Medians per gain, in the order of the gains.
    pub points: Vec<GainPoint>,
    /// The task's headline metric ("score" when no point ran).
    pub metric: String,
    /// Whether lower values of the metric are better.
    pub lower_is_better: bool,
    /// The gain at which the median Lyapunov exponent first crosses 0 from below (linear
    /// between the two gains around it).
    pub edge_of_chaos: Option<f64>,
    /// The gain with the best median held-out score with an ideal readout, and that score
    /// (picked on the test scores themselves, so optimistic).
    pub best_ideal: Option<(f64, f64)>,
    /// The same with the rig's readout.
    pub best_rig: Option<(f64, f64)>,
    /// `lyapunov_vs_gain` and `score_vs_gain`.
    pub plots: Vec<Plot>,
}

/// Runs the sweep on `rig`: every gain × seed in parallel, one progress step each. A point that
/// fails (a gain the rig cannot set, a diverging trajectory) is a row with its error, not a
/// failure of the sweep.
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let task = config.task;
    let gains = config.gains();
    let rig_sensing = Sensing::from_rig(rig, None, None);
    let jobs: Vec<(f64, u64)> = gains
        .iter()
        .flat_map(|g| (1..=config.seeds).map(move |s| (*g, s)))
        .collect();
    let rows: Vec<SweepRow> = par_map(
        &jobs,
        |&(gain, seed)| {
            point(config, gain, seed, rig, &rig_sensing).unwrap_or_else(|e| SweepRow {
                gain,
                seed,
                lyapunov_per_step: None,
                metric: String::new(),
                score_ideal: None,
                score_rig_readout: None,
                memory_capacity: None,
                participation_ratio: None,
                error: e.to_string(),
            })
        },
        (0, jobs.len(), "gains × seeds"),
        progress,
    );
    // Medians per gain.
    let points: Vec<GainPoint> = gains
        .iter()
        .map(|g| {
            let sel: Vec<&SweepRow> = rows.iter().filter(|r| r.gain == *g).collect();
            let med = |f: &dyn Fn(&SweepRow) -> Option<f64>| {
                let v: Vec<f64> = sel
                    .iter()
                    .filter_map(|r| f(r))
                    .filter(|x| x.is_finite())
                    .collect();
                (!v.is_empty()).then(|| median_min_max(v).0)
            };
            GainPoint {
                gain: *g,
                lyapunov: med(&|r| r.lyapunov_per_step),
                ideal: med(&|r| r.score_ideal),
                rig: med(&|r| r.score_rig_readout),
                memory: med(&|r| r.memory_capacity),
            }
        })
        .collect();
    let lower_is_better = !matches!(task, Task::JapaneseVowels | Task::MemoryCapacity);
    let metric = rows
        .iter()
        .find(|r| !r.metric.is_empty())
        .map_or("score".to_string(), |r| r.metric.clone());
    let edge_of_chaos = edge_of_chaos(&points);
    let best = |score: fn(&GainPoint) -> Option<f64>| {
        points
            .iter()
            .filter_map(|p| score(p).map(|v| (p.gain, v)))
            .min_by(|x, y| {
                if lower_is_better {
                    x.1.total_cmp(&y.1)
                } else {
                    y.1.total_cmp(&x.1)
                }
            })
    };
    let best_ideal = best(|p| p.ideal);
    let best_rig = best(|p| p.rig);
    let plots = plots(config, rig, &points, &metric);
    Ok(Outcome {
        rows,
        points,
        metric,
        lower_is_better,
        edge_of_chaos,
        best_ideal,
        best_rig,
        plots,
    })
}

/// The gain at which the median Lyapunov exponent first crosses 0 from below, linear between
/// the two gains around the crossing.
fn edge_of_chaos(points: &[GainPoint]) -> Option<f64> {
    points
        .windows(2)
        .find_map(|w| match (w[0].lyapunov, w[1].lyapunov) {
            (Some(a), Some(b)) if a <= 0.0 && b > 0.0 => {
                Some(w[0].gain + (w[1].gain - w[0].gain) * (-a) / (b - a))
            }
            _ => None,
        })
}

/// The Lyapunov exponent and the score against the gain.
fn plots(config: &Config, rig: &Rig, points: &[GainPoint], metric: &str) -> Vec<Plot> {
    let (model, task) = (config.model, config.task);
    let (meaning, _) = model.gain_meaning();
    let series = |name: &str, value: fn(&GainPoint) -> Option<f64>| Series {
        name: name.into(),
        points: points
            .iter()
            .filter_map(|p| value(p).filter(|v| v.is_finite()).map(|v| (p.gain, v)))
            .collect(),
        intervals: None,
        dashed: false,
    };
    let title_tail = format!(
        "{model} on rig {}, seeds 1–{}, medians",
        rig.rig.name, config.seeds
    );
    vec![
        Plot {
            name: "lyapunov_vs_gain".into(),
            axes: Axes::new(
                format!("Largest Lyapunov exponent vs gain — {title_tail}"),
                meaning,
                "λ_max per input step",
            ),
            kind: PlotKind::Lines(vec![series("λ_max (noise off)", |p| p.lyapunov)]),
        },
        Plot {
            name: "score_vs_gain".into(),
            axes: Axes::new(
                format!("{task} {metric} vs gain — {title_tail}"),
                meaning,
                metric.to_string(),
            ),
            kind: PlotKind::Lines(vec![
                series("ideal readout", |p| p.ideal),
                series("rig readout", |p| p.rig),
            ]),
        },
    ]
}

/// One gain × seed: the Lyapunov exponent, the task with an ideal and with the rig's readout,
/// and the memory capacity with its states' participation ratio.
fn point(
    config: &Config,
    gain: f64,
    seed: u64,
    rig: &Rig,
    rig_sensing: &Sensing,
) -> Result<SweepRow, LabError> {
    let task = config.task;
    let s = spec(
        config.model,
        config.nodes,
        config.input_scale,
        config.no_inner_noise,
        Some(gain),
        seed,
    );
    let lyap = lyapunov(&s, rig)?;
    let mut r = build(&s, rig, task.inputs())?;
    let c = collect(task, r.as_mut(), seed)?;
    let ideal = score(
        &c,
        &Sensing::ideal(),
        &mut stream(seed, "sweep.ideal", 0, 0),
    )?;
    let noisy = score(&c, rig_sensing, &mut stream(seed, "sweep.rig", 0, 0))?;
    let mut r = build(&s, rig, 1)?;
    let mc = collect(Task::MemoryCapacity, r.as_mut(), seed)?;
    let mcs = score(&mc, &Sensing::ideal(), &mut stream(seed, "sweep.mc", 0, 0))?;
    let (metric, v, _) = headline(&task, &ideal);
    Ok(SweepRow {
        gain,
        seed,
        lyapunov_per_step: lyap,
        metric: metric.into(),
        score_ideal: Some(v),
        score_rig_readout: Some(headline(&task, &noisy).1),
        memory_capacity: mcs.memory_capacity,
        participation_ratio: Some(participation_ratio(&mc.states[..5000])),
        error: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edge_of_chaos_is_the_first_crossing_from_below() {
        let at = |gain: f64, lyapunov: Option<f64>| GainPoint {
            gain,
            lyapunov,
            ideal: None,
            rig: None,
            memory: None,
        };
        let points = [
            at(0.5, Some(-0.4)),
            at(1.0, Some(-0.1)),
            at(1.5, Some(0.2)),
            at(2.0, Some(-0.3)),
            at(2.5, Some(0.1)),
        ];
        let edge = edge_of_chaos(&points).unwrap();
        assert!((edge - (1.0 + 0.5 * 0.1 / 0.3)).abs() < 1e-12, "{edge}");
        // A gap (a failed gain) breaks the pair; no crossing, no edge.
        assert_eq!(
            edge_of_chaos(&[at(1.0, Some(-0.1)), at(1.5, None), at(2.0, Some(0.2))]),
            None
        );
        assert_eq!(edge_of_chaos(&points[..2]), None);
        assert_eq!(edge_of_chaos(&[]), None);
        // Exactly 0 counts as the stable side.
        assert_eq!(
            edge_of_chaos(&[at(1.0, Some(0.0)), at(2.0, Some(0.5))]),
            Some(1.0)
        );
    }
}

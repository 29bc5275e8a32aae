//! The benchmark suite: every model × task × readout noise level × seed, with spreads, the
//! published figures, and each model's dynamics (largest Lyapunov exponent, effective rank,
//! autocorrelation of its states).

use super::{build, collect, headline, lyapunov, par_map, score, spec, validate_knobs};
use crate::{LabError, Progress};
use lightloop_base::rng::stream;
use lightloop_base::stats::median_min_max;
use lightloop_nn::dynamics::{autocorrelation, autocorrelation_half_life, participation_ratio};
use lightloop_nn::reservoir::{Kind, Spec};
use lightloop_nn::sensing::{Sensing, levels};
use lightloop_nn::suite::{Score, Task};
use lightloop_rig::Rig;
use serde::Serialize;
use std::collections::HashMap;

/// The suite: `models` × `tasks` × readout levels × seeds 1 … `seeds`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The models; empty: all of them ([`Kind::ALL`]).
    pub models: Vec<Kind>,
    /// The tasks; empty: the standard suite ([`Task::suite`]), or with `quick`
    /// [`QUICK_TASKS`].
    pub tasks: Vec<Task>,
    /// Nodes of every reservoir, 1 … 10 000; `None`: each model's default.
    pub nodes: Option<usize>,
    /// Input drive relative to each model's default (> 0).
    pub input_scale: f64,
    /// Switch off the noise inside the reservoirs, except soa-engine's, which cannot be (the
    /// summary says so).
    pub no_inner_noise: bool,
    /// Seeds per model and task (1 … `seeds`), at least 1.
    pub seeds: u64,
    /// At most two seeds, [`QUICK_TASKS`] unless `tasks` are given, four readout levels: a
    /// look in under a minute.
    pub quick: bool,
}

/// The tasks of a quick suite.
pub const QUICK_TASKS: [Task; 3] = [Task::Narma10, Task::SantaFe, Task::MemoryCapacity];

impl Default for Config {
    fn default() -> Self {
        Self {
            models: Vec::new(),
            tasks: Vec::new(),
            nodes: None,
            input_scale: 1.0,
            no_inner_noise: false,
            seeds: 5,
            quick: false,
        }
    }
}

impl Config {
    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), LabError> {
        if self.seeds() == 0 {
            return Err(LabError::config("seeds", "must be at least 1"));
        }
        validate_knobs(self.nodes, self.input_scale)
    }

    /// [`Config::validate`], then that every model builds on `rig` (before the long run;
    /// a front end that opens output files calls this first). [`run`] calls it.
    pub fn check(&self, rig: &Rig) -> Result<(), LabError> {
        self.validate()?;
        for m in self.models() {
            lightloop_nn::reservoir::build(&self.spec(m, 1), rig, 1)
                .map_err(|e| LabError::Incompatible(format!("{m}: {e}")))?;
        }
        Ok(())
    }

    /// The models run.
    pub fn models(&self) -> Vec<Kind> {
        if self.models.is_empty() {
            Kind::ALL.to_vec()
        } else {
            self.models.clone()
        }
    }

    /// The tasks run.
    pub fn tasks(&self) -> Vec<Task> {
        if !self.tasks.is_empty() {
            self.tasks.clone()
        } else if self.quick {
            QUICK_TASKS.to_vec()
        } else {
            Task::suite()
        }
    }

    /// Seeds per cell: `seeds`, at most 2 when quick.
    pub fn seeds(&self) -> u64 {
        if self.quick {
            self.seeds.min(2)
        } else {
            self.seeds
        }
    }

    /// The readout levels (name, readout) of the columns on `rig`.
    pub fn levels(&self, rig: &Rig) -> Vec<(String, Sensing)> {
        levels(rig, self.quick)
    }

    fn spec(&self, model: Kind, seed: u64) -> Spec {
        spec(
            model,
            self.nodes,
            self.input_scale,
            self.no_inner_noise,
            None,
            seed,
        )
    }
}

/// One model × task × readout level × seed (the rows of runs.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteRow {
    pub model: String,
    pub task: String,
    pub readout: String,
    pub seed: u64,
    pub nodes: usize,
    pub gain: f64,
    /// Whether the reservoir's own noise (the SOA's ASE) was on.
    pub inner_noise: bool,
    pub nmse: Option<f64>,
    pub nrmse: Option<f64>,
    pub accuracy: Option<f64>,
    pub ser: Option<f64>,
    pub test_symbols: Option<usize>,
    pub memory_capacity: Option<f64>,
    pub nonlinear_capacity: Option<f64>,
    pub lambda: f64,
    pub photons_per_sample: Option<f64>,
    pub adc_bits: Option<u32>,
}

/// One model × task × readout level over the seeds: the task's headline metric's median and
/// range (the rows of summary.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    pub model: String,
    pub task: String,
    pub readout: String,
    pub metric: String,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub nmse_median: Option<f64>,
    pub nrmse_median: Option<f64>,
    pub seeds: usize,
    pub published: String,
}

/// One model × seed's dynamics (the rows of dynamics.csv): the largest Lyapunov exponent with
/// the inner noise off, and statistics of the states under the memory-capacity task's i.i.d.
/// input (its first 5 000 steps).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicsRow {
    pub model: String,
    pub seed: u64,
    pub gain: f64,
    /// `None` where the state is not a plain vector (the physics engine).
    pub lyapunov_per_step: Option<f64>,
    pub participation_ratio: f64,
    pub autocorrelation_lag1: f64,
    pub autocorrelation_half_life_steps: Option<usize>,
}

/// What the suite found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every model × task × seed × readout level, in that nesting order.
    pub runs: Vec<SuiteRow>,
    /// Every model × task × readout level.
    pub summary: Vec<SummaryRow>,
    /// Every model × seed.
    pub dynamics: Vec<DynamicsRow>,
    /// The readout levels of the columns: name and readout.
    pub levels: Vec<(String, Sensing)>,
    /// The summary as Markdown (summary.md): the configuration, a line on what the numbers
    /// mean against predicting the mean and against the digital reference (esn), one table per
    /// task, notes on the models and the dynamics table.
    pub markdown: String,
}

/// Runs the suite on `rig`: the model × task × seed runs (each scored at every readout level),
/// then the dynamics of every model × seed; one progress step per run.
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.check(rig)?;
    let (models, tasks, seeds) = (config.models(), config.tasks(), config.seeds());
    let lv = config.levels(rig);
    let jobs: Vec<(Kind, usize, u64)> = models
        .iter()
        .flat_map(|m| (0..tasks.len()).flat_map(move |t| (1..=seeds).map(move |s| (*m, t, s))))
        .collect();
    let total = jobs.len() + models.len() * seeds as usize;
    // Each job's rows, and the state statistics of the memory-capacity run (the dynamics table
    // reuses them rather than running the reservoir again).
    type Job = (Vec<SuiteRow>, Option<((Kind, u64), StateStats)>);
    let results: Vec<Result<Job, LabError>> = par_map(
        &jobs,
        |&(m, ti, seed)| {
            let task = tasks[ti];
            let s = config.spec(m, seed);
            let mut r = build(&s, rig, task.inputs())?;
            let c = collect(task, r.as_mut(), seed)?;
            let stats = (task == Task::MemoryCapacity).then(|| ((m, seed), state_stats(&c.states)));
            let mut rows = Vec::new();
            for (li, (name, sensing)) in lv.iter().enumerate() {
                // Keyed by the task's name, not its place in the task list.
                let purpose = format!("reservoir.sensing.{}", task.name());
                let mut rng = stream(seed, &purpose, li as u64, 0);
                let sc = score(&c, sensing, &mut rng)?;
                rows.push(SuiteRow {
                    model: m.to_string(),
                    task: task.name(),
                    readout: name.clone(),
                    seed,
                    nodes: s.nodes,
                    gain: s.gain(),
                    inner_noise: s.noisy_inside(),
                    nmse: sc.nmse,
                    nrmse: sc.nrmse,
                    accuracy: sc.accuracy,
                    ser: sc.ser,
                    test_symbols: sc.symbols,
                    memory_capacity: sc.memory_capacity,
                    nonlinear_capacity: sc.nonlinear_capacity,
                    lambda: sc.lambda,
                    photons_per_sample: sensing.photons_per_sample,
                    adc_bits: sensing.adc_bits,
                });
            }
            Ok((rows, stats))
        },
        (0, total, "model × task × seed runs"),
        progress,
    );
    let (mut runs, mut known) = (Vec::new(), HashMap::new());
    for r in results {
        let (job_rows, stats) = r?;
        runs.extend(job_rows);
        known.extend(stats);
    }
    let dyn_jobs: Vec<(Kind, u64)> = models
        .iter()
        .flat_map(|m| (1..=seeds).map(move |s| (*m, s)))
        .collect();
    let dynamics = par_map(
        &dyn_jobs,
        |&(m, seed)| dynamics_of(&config.spec(m, seed), rig, known.get(&(m, seed)).copied()),
        (
            jobs.len(),
            total,
            "dynamics (Lyapunov exponent, effective rank)",
        ),
        progress,
    );
    let dynamics = dynamics.into_iter().collect::<Result<Vec<_>, LabError>>()?;
    let summary = summarise(&runs, &models, &tasks, &lv);
    let mut markdown = markdown(
        &summary,
        &lv,
        &tasks,
        &models,
        rig,
        seeds,
        config.no_inner_noise,
    );
    markdown += &dynamics_markdown(&dynamics, &models);
    Ok(Outcome {
        runs,
        summary,
        dynamics,
        levels: lv,
        markdown,
    })
}

/// Statistics of a reservoir's states under the memory-capacity task's i.i.d. input (its first
/// 5 000 steps).
#[derive(Debug, Clone, Copy)]
struct StateStats {
    participation_ratio: f64,
    autocorrelation_lag1: f64,
    half_life: Option<usize>,
}

fn state_stats(states: &[Vec<f64>]) -> StateStats {
    let s = &states[..states.len().min(5000)];
    StateStats {
        participation_ratio: participation_ratio(s),
        autocorrelation_lag1: autocorrelation(s, 1).first().copied().unwrap_or(f64::NAN),
        half_life: autocorrelation_half_life(s, 100),
    }
}

/// The dynamics row of one reservoir: its Lyapunov exponent, and the statistics of its states
/// under the memory-capacity input (`known` when the suite has run that task already).
fn dynamics_of(s: &Spec, rig: &Rig, known: Option<StateStats>) -> Result<DynamicsRow, LabError> {
    let lyap = lyapunov(s, rig)?;
    let st = match known {
        Some(k) => k,
        None => {
            let mut r = build(s, rig, 1)?;
            let c = collect(Task::MemoryCapacity, r.as_mut(), s.seed)?;
            state_stats(&c.states)
        }
    };
    Ok(DynamicsRow {
        model: s.model.to_string(),
        seed: s.seed,
        gain: s.gain(),
        lyapunov_per_step: lyap,
        participation_ratio: st.participation_ratio,
        autocorrelation_lag1: st.autocorrelation_lag1,
        autocorrelation_half_life_steps: st.half_life,
    })
}

/// The headline metric's median and range per model × task × readout level.
fn summarise(
    rows: &[SuiteRow],
    models: &[Kind],
    tasks: &[Task],
    lv: &[(String, Sensing)],
) -> Vec<SummaryRow> {
    let mut summary = Vec::new();
    for m in models {
        for task in tasks {
            for (name, _) in lv {
                let sel: Vec<&SuiteRow> = rows
                    .iter()
                    .filter(|r| r.model == m.name() && r.task == task.name() && &r.readout == name)
                    .collect();
                let metric_of = |r: &SuiteRow| {
                    let sc = Score {
                        nmse: r.nmse,
                        nrmse: r.nrmse,
                        accuracy: r.accuracy,
                        ser: r.ser,
                        memory_capacity: r.memory_capacity,
                        ..Score::default()
                    };
                    headline(task, &sc)
                };
                let metric = sel.first().map_or("", |r| metric_of(r).0);
                let (median, min, max) =
                    median_min_max(sel.iter().map(|r| metric_of(r).1).collect());
                let med = |f: &dyn Fn(&SuiteRow) -> Option<f64>| {
                    let v: Vec<f64> = sel.iter().filter_map(|r| f(r)).collect();
                    (!v.is_empty()).then(|| median_min_max(v).0)
                };
                summary.push(SummaryRow {
                    model: m.to_string(),
                    task: task.name(),
                    readout: name.clone(),
                    metric: metric.into(),
                    median,
                    min,
                    max,
                    nmse_median: med(&|r| r.nmse),
                    nrmse_median: med(&|r| r.nrmse),
                    seeds: sel.len(),
                    published: task.published().unwrap_or("").into(),
                });
            }
        }
    }
    summary
}

/// The Markdown summary: the configuration, how to read the numbers, one table per task, notes
/// on the models.
fn markdown(
    summary: &[SummaryRow],
    lv: &[(String, Sensing)],
    tasks: &[Task],
    models: &[Kind],
    rig: &Rig,
    seeds: u64,
    no_inner_noise: bool,
) -> String {
    let mut s = format!(
        "# Reservoir benchmark suite\n\nrig `{}`; {seeds} seed(s) per cell: median [min – max] on held-out data; \
NMSE and NRMSE medians in summary.csv. Readout levels:\n\n",
        rig.rig.name
    );
    for (name, sensing) in lv {
        s += &format!("- **{name}**: {}\n", sensing.label());
    }
    s += if no_inner_noise {
        "\nThe noise inside the reservoirs (the SOA's ASE in the loops) is switched off \
(--no-inner-noise), except soa-engine's, which cannot be.\n"
    } else {
        "\nThe columns change the readout only: the noise inside the reservoirs (the SOA's ASE in \
soa-twin, soa-engine and ternary) is on in every column, ideal included \
(--no-inner-noise switches it off).\n"
    };
    s += "\nSimplifications: the readout's shot noise is taken at full scale; node ranges are calibrated onto the receiver's swing; the SOA loop adds its input and feedback in power.\n";
    s += &reading(tasks, models);
    for task in tasks {
        let metric = summary
            .iter()
            .find(|r| r.task == task.name())
            .map_or("", |r| r.metric.as_str());
        s += &format!("\n## {task} — {metric}\n\n| model |");
        for (name, _) in lv {
            s += &format!(" {name} |");
        }
        s += "\n|---|";
        s += &"---|".repeat(lv.len());
        s += "\n";
        for m in models {
            s += &format!("| {m} |");
            for (name, _) in lv {
                if let Some(r) = summary
                    .iter()
                    .find(|r| r.model == m.name() && r.task == task.name() && &r.readout == name)
                {
                    s += &format!(" {:.3} [{:.3} – {:.3}] |", r.median, r.min, r.max);
                } else {
                    s += " — |";
                }
            }
            s += "\n";
        }
        if let Some(p) = task.published() {
            s += &format!("\npublished: {p}\n");
        }
    }
    let caveats: Vec<String> = models
        .iter()
        .filter_map(|m| m.caveat().map(|c| format!("- **{m}**: {c}\n")))
        .collect();
    if !caveats.is_empty() {
        s += "\n## Notes on the models\n\n";
        s += &caveats.concat();
    }
    s
}

/// One line on what the numbers mean: each metric of `tasks` against what no model at all would
/// score, and every model against the digital reference (esn) and the linear baseline.
fn reading(tasks: &[Task], models: &[Kind]) -> String {
    // In the order the tables come, each metric once.
    let mut nothing: Vec<&str> = Vec::new();
    for t in tasks {
        let line = match t {
            Task::Equalisation { .. } => "SER 0.75 is guessing among the four symbols",
            Task::JapaneseVowels => "accuracy 1/9 is guessing among the nine speakers",
            Task::MemoryCapacity => {
                "MC adds up how well the input 1 … 100 steps back is recalled (1 for each step \
                 recalled exactly), so at most 100 and at most the nodes"
            }
            _ => "NRMSE 1 is what predicting the task's mean scores and 0 a perfect prediction",
        };
        if !nothing.contains(&line) {
            nothing.push(line);
        }
    }
    let esn = if models.contains(&Kind::Esn) {
        "the esn row, a software echo-state network, is the digital reference the other models \
         are measured against"
    } else {
        "esn, the software echo-state network that is the digital reference, is not in this run"
    };
    let linear = if models.contains(&Kind::Linear) {
        "; a model no better than the linear row (a tapped delay line) gains nothing from its \
         nonlinearity"
    } else {
        ""
    };
    format!(
        "\nReading the tables: {}; {esn}{linear}.\n",
        nothing.join("; ")
    )
}

/// The Markdown dynamics table: medians over the seeds per model.
fn dynamics_markdown(dynamics: &[DynamicsRow], models: &[Kind]) -> String {
    let mut md = String::from(
        "\n## Dynamics (inner noise off for the Lyapunov exponent; states under i.i.d. input)\n\n\
| model | gain | largest Lyapunov exponent /step | participation ratio | lag-1 autocorrelation |\n|---|---|---|---|---|\n",
    );
    for m in models {
        let sel: Vec<&DynamicsRow> = dynamics.iter().filter(|d| d.model == m.name()).collect();
        let med = |f: &dyn Fn(&DynamicsRow) -> Option<f64>| {
            median_min_max(sel.iter().filter_map(|d| f(d)).collect()).0
        };
        let lyap = med(&|d| d.lyapunov_per_step);
        md += &format!(
            "| {m} | {} | {} | {:.2} | {:.3} |\n",
            sel.first().map_or(f64::NAN, |d| d.gain),
            if lyap.is_nan() {
                "— (engine state not a vector)".to_string()
            } else {
                format!("{lyap:.3}")
            },
            med(&|d| Some(d.participation_ratio)),
            med(&|d| Some(d.autocorrelation_lag1)),
        );
    }
    md
}

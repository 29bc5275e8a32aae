//! Experiments with deep-loop ternary networks on the rig's twin, trained with candle on the
//! CPU: the input is encoded once, multiplied optically by a ternary matrix, and the state
//! circulates T times through the loop h ← h + α_t·φ(g·A·h + noise) (one ternary A for every
//! pass, φ the rig's saturable absorber and SOA, the ASE of the rig's SOA as noise) before the
//! photodiodes read it once (the rig's receiver noise and ADC) and a digital layer classifies.
//! Training is noise-aware: the rig's noise is injected in every forward pass.
//!
//! One module per experiment, each with a `Config` (its `Default` the command line's defaults,
//! `validate` naming the bad field), `run(&config, &rig, progress)` and an `Outcome`: the rows
//! (serialisable, as written to CSV), the medians behind the summary tables, and the plots.
//! [`loop_training`] is the training-speed benchmark of the reference loop model.
//!
//! The energy of a network comes from the cost model ([`net_cost`]): the seed deep-loop decoder
//! resized to the network, derived in memory from the rig given.

pub mod cadence;
pub mod curriculum;
pub mod depth;
pub mod distill;
pub mod gain;
pub mod halting;
pub mod loop_training;
pub mod pareto;
pub mod readout;
pub mod rule;
pub mod width;

use crate::{LabError, Progress};
use lightloop_base::stats::median_min_max;
use lightloop_nn::loopnet::phi::Phi;
use lightloop_nn::loopnet::train::{Dataset, TrainSettings};
use lightloop_nn::loopnet::{ForwardNoise, LoopNetConfig};
use lightloop_nn::sensing::Sensing;
use lightloop_plot::Series;
use lightloop_rig::presets::DEFAULT_WORKLOAD;
use lightloop_rig::{Derive, Rig};
use lightloop_twin::LoopTwin;
use serde::Serialize;

pub use lightloop_nn::loopnet::train::NetTask;

/// What every loop-network experiment is configured with. Configurations read and write as
/// flat records (the common fields beside the experiment's own, `task` by its name), so that
/// front ends can set any field by name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Common {
    /// Width of the loop state (slots × channels); experiments with a list of widths train
    /// those instead.
    pub width: usize,
    /// Training epochs.
    pub epochs: usize,
    /// Seeds 1 … `seeds` (weights, batches, noise, data split).
    pub seeds: u64,
    /// The task: the 8×8 digits, parity-N (12 ≤ N ≤ 24) or chars-K (1 ≤ K ≤ 16).
    #[serde(with = "task_by_name")]
    pub task: NetTask,
    /// Rank of a shared analog adapter U·Vᵀ beside the ternary loop matrix (0: none; not in
    /// the cost model's energy).
    pub adapter_rank: usize,
}

/// A task written and read by its name (`digits`, `parity-16`, `chars-4`).
mod task_by_name {
    use super::NetTask;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NetTask, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NetTask, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl Default for Common {
    fn default() -> Self {
        Self {
            width: 64,
            epochs: 20,
            seeds: 2,
            task: NetTask::Digits,
            adapter_rank: 0,
        }
    }
}

impl Common {
    /// Checks the shared fields.
    pub fn validate(&self) -> Result<(), LabError> {
        if !(4..=1024).contains(&self.width) {
            return Err(LabError::config(
                "width",
                format!("must be 4 … 1024, not {}", self.width),
            ));
        }
        if self.adapter_rank > self.width {
            return Err(LabError::config(
                "adapter_rank",
                format!("must be at most the width ({})", self.width),
            ));
        }
        if self.epochs == 0 {
            return Err(LabError::config("epochs", "must be at least 1"));
        }
        if self.seeds == 0 {
            return Err(LabError::config("seeds", "must be at least 1"));
        }
        match self.task {
            NetTask::Parity { bits } if !(12..=24).contains(&bits) => Err(LabError::config(
                "task",
                format!(
                    "parity-N takes 12 ≤ N ≤ 24 bits so that 3 000 distinct codes exist, not {bits}"
                ),
            )),
            NetTask::Chars { context } if !(1..=16).contains(&context) => Err(LabError::config(
                "task",
                format!("chars-K takes a context of 1 ≤ K ≤ 16 characters, not {context}"),
            )),
            _ => Ok(()),
        }
    }

    /// Training settings: the defaults at these epochs.
    fn settings(&self) -> TrainSettings {
        TrainSettings {
            epochs: self.epochs,
            ..TrainSettings::default()
        }
    }

    /// "seeds 1–N" as the summaries write it.
    fn seed_range(&self) -> String {
        format!("seeds 1–{}", self.seeds)
    }
}

/// A median over seeds with its range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// The median, minimum and maximum of `values` (NaNs dropped; all NaN when none is left).
    pub fn of(values: Vec<f64>) -> Self {
        let (median, min, max) = median_min_max(values);
        Self { median, min, max }
    }
}

/// The rig's activation and the noise a network trains and is read at.
#[derive(Clone)]
struct Setup {
    phi: Phi,
    noise: ForwardNoise,
}

/// The loop's activation φ and the rig's noise; the rig needs an SOA.
fn setup(rig: &Rig) -> Result<Setup, LabError> {
    if rig.soa.is_none() {
        return Err(LabError::Incompatible(format!(
            "rig `{}` has no SOA: the loop networks need the loop's amplifier",
            rig.rig.name
        )));
    }
    let phi = Phi::new(LoopTwin::from_rig(rig, 0.0, 1));
    let noise = ForwardNoise {
        pass_sd: phi.pass_noise_sd(),
        sensing: Sensing::from_rig(rig, None, None),
    };
    Ok(Setup { phi, noise })
}

/// The network of `width` and `passes` for `data`, with the common adapter.
fn net_config(c: &Common, width: usize, data: &Dataset, passes: usize, seed: u64) -> LoopNetConfig {
    LoopNetConfig {
        adapter_rank: c.adapter_rank,
        ..LoopNetConfig::new(data.inputs, width, passes, data.classes, seed)
    }
}

/// The task's data for `seed`.
fn load(task: NetTask, seed: u64) -> Result<Dataset, LabError> {
    Ok(task.load(seed)?)
}

/// A training failure.
fn training(e: lightloop_nn::NnError) -> LabError {
    e.into()
}

/// Counts finished units of work and reports them.
struct Tally<'p> {
    progress: &'p mut dyn FnMut(Progress),
    done: usize,
    total: usize,
    what: &'static str,
}

impl<'p> Tally<'p> {
    fn new(progress: &'p mut dyn FnMut(Progress), total: usize, what: &'static str) -> Self {
        progress(Progress {
            done: 0,
            total,
            what,
        });
        Self {
            progress,
            done: 0,
            total,
            what,
        }
    }

    fn step(&mut self) {
        self.done += 1;
        (self.progress)(Progress {
            done: self.done,
            total: self.total,
            what: self.what,
        });
    }
}

/// A series of medians with their min–max intervals.
fn spread_series(name: impl Into<String>, points: &[(f64, Spread)]) -> Series {
    Series {
        name: name.into(),
        points: points.iter().map(|(x, s)| (*x, s.median)).collect(),
        intervals: Some(points.iter().map(|(_, s)| (s.min, s.max)).collect()),
        dashed: false,
    }
}

/// A loop network's size as the cost model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetShape {
    pub width: usize,
    /// Loop passes T.
    pub passes: usize,
    pub classes: usize,
    /// Positions a prediction attends over (1 for an image; K for a K-character context).
    pub context: usize,
    /// Passes between readings of the state (exits or attention checkpoints; T for one
    /// reading).
    pub cadence: usize,
    /// Mean passes run (dynamic halting; T when absent).
    pub halting_depth: Option<f64>,
    /// Width of the host attention head at a reading (`None`: the width, at most 64).
    pub head: Option<usize>,
}

impl NetShape {
    /// A classifier read once, after its T passes, from one input (`width` and `pareto` cost
    /// their networks so).
    pub fn one_reading(width: usize, passes: usize, classes: usize) -> Self {
        Self {
            width,
            passes,
            classes,
            context: 1,
            cadence: passes,
            halting_depth: None,
            head: None,
        }
    }
}

/// A prediction's energy and latency: one decode step of the resized decoder (the loop run
/// once for the new vector), not a serving cycle with its prompt's prefill.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PredictionCost {
    /// J.
    pub energy: f64,
    /// s.
    pub latency: f64,
}

/// The cost model's energy and latency per prediction of a loop network on `rig`: one decode
/// step of the seed deep-loop decoder (deep-loop-2048) resized to the network (d_model =
/// width, one head, the classes as vocabulary, the context, T passes, a reading every
/// `cadence` passes with its host attention core). One new vector runs the loop per
/// prediction: in a stream of characters the earlier positions' keys and values are cached, as
/// the decoder's KV cache. Simplified: the host's attention core stands for whatever the
/// network computes digitally at a reading (a classifier and halting head, or an attention
/// layer), and a reading re-encodes the state (DAC) as a checkpoint does.
pub fn net_cost(rig: &Rig, n: &NetShape) -> Result<PredictionCost, LabError> {
    let base = lightloop_rig::load_workload(DEFAULT_WORKLOAD, &[])?.value;
    let head = n.head.unwrap_or(n.width.min(64));
    let context = n.context.max(1);
    let wl = base
        .modified(|w| {
            if let Some(m) = w.model.as_mut() {
                m.d_model = n.width as u32;
                m.heads = 1;
                m.kv_heads = 1;
                m.head_dim = Some(head as u32);
                m.vocab = n.classes as u32;
                m.context = (context + 1) as u32;
            }
            w.run.prompt_tokens = context as u32;
            w.run.generated_tokens = 1;
            if let Some(l) = w.loop_block.as_mut() {
                l.micro_steps = n.passes as u32;
                l.attention_cadence = Some(n.cadence.clamp(1, n.passes.max(1)) as u32);
                if let Some(h) = n.halting_depth {
                    l.halting_depth = Some(h);
                }
            }
        })
        .map_err(|p| {
            LabError::Incompatible(format!(
                "the cost model's network: {}",
                lightloop_rig::validate::describe(&p)
            ))
        })?;
    let e = lightloop_cost::evaluate(rig, &wl)?;
    Ok(PredictionCost {
        energy: e.step.ledger.total() / e.step.tokens,
        latency: e.step.time,
    })
}

/// [`net_cost`]'s energy, J per prediction.
pub fn net_energy(rig: &Rig, n: &NetShape) -> Result<f64, LabError> {
    Ok(net_cost(rig, n)?.energy)
}

/// Checks a list of passes: not empty, each in `lo ..= hi`.
fn check_passes(
    field: &'static str,
    passes: &[usize],
    lo: usize,
    hi: usize,
) -> Result<(), LabError> {
    if passes.is_empty() || passes.iter().any(|p| !(lo..=hi).contains(p)) {
        return Err(LabError::config(field, format!("must be {lo} … {hi}")));
    }
    Ok(())
}

/// Checks a list of widths: not empty, each 4 … 1024.
fn check_widths(field: &'static str, widths: &[usize]) -> Result<(), LabError> {
    if widths.is_empty() || widths.iter().any(|w| !(4..=1024).contains(w)) {
        return Err(LabError::config(field, "must be 4 … 1024"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_validation_names_the_field() {
        assert!(Common::default().validate().is_ok());
        let bad = |c: Common| match c.validate() {
            Err(LabError::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let c = Common::default();
        assert_eq!(
            bad(Common {
                width: 2,
                ..c.clone()
            }),
            "width"
        );
        assert_eq!(
            bad(Common {
                adapter_rank: 65,
                ..c.clone()
            }),
            "adapter_rank"
        );
        assert_eq!(
            bad(Common {
                epochs: 0,
                ..c.clone()
            }),
            "epochs"
        );
        assert_eq!(
            bad(Common {
                seeds: 0,
                ..c.clone()
            }),
            "seeds"
        );
        assert_eq!(
            bad(Common {
                task: NetTask::Chars { context: 99 },
                ..c
            }),
            "task"
        );
    }

    /// The cost model's network follows the shape: wider and deeper costs more, and a width the
    /// rig's channels cannot hold is refused as incompatible.
    #[test]
    fn net_cost_grows_with_width_and_passes() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let e = |w, t| net_energy(&rig, &NetShape::one_reading(w, t, 10)).unwrap();
        assert!(e(16, 2) > 0.0);
        assert!(e(32, 2) > e(16, 2));
        assert!(e(16, 8) > e(16, 2));
        let err = net_energy(&rig, &NetShape::one_reading(8, 2, 10)).unwrap_err();
        assert!(err.is_input(), "{err}");
        assert!(err.to_string().contains("does not divide"), "{err}");
    }
}

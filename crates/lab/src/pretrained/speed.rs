//! The speed of the simulation: tokens per second of SmolLM2 over one window (a whole-window
//! forward pass, as in prefill) — candle-transformers' quantised Llama (the plain digital
//! baseline, Q4_1 kernels), this crate's forward pass with dequantised f32 weights, and the same
//! with the rig's optical mapping on the twin (ternary and analog weights).

use super::{english_ids, locate};
use crate::{LabError, Progress};
use lightloop_base::stats::median_min_max;
use lightloop_models::eval as measure;
use lightloop_models::linear::{AdcRange, Optics, Weights};
use lightloop_models::llama::Llama;
use lightloop_models::reference::Reference;
use lightloop_rig::{OpticalOp, Rig};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// The workload preset whose `optical_ops` are mapped onto the optics.
const WORKLOAD: &str = "smollm2-135m";

/// How the forward passes are timed.
#[derive(Debug, Clone)]
pub struct Config {
    /// Tokens per window (one forward pass), 2 … 2048.
    pub window: usize,
    /// Rounds; each times every forward pass once, in turn, so that machine noise affects all
    /// alike.
    pub rounds: usize,
    /// Folder holding SmolLM2's files; `None`: the cache that `lightloop model fetch` fills.
    pub model_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            window: 128,
            rounds: 5,
            model_dir: None,
        }
    }
}

impl Config {
    /// Checks the fields, naming the first bad one.
    pub fn validate(&self) -> Result<(), LabError> {
        if !(2..=2048).contains(&self.window) {
            return Err(LabError::config(
                "window",
                format!("must be 2 … 2048, not {}", self.window),
            ));
        }
        if self.rounds == 0 {
            return Err(LabError::config("rounds", "must be at least 1"));
        }
        Ok(())
    }
}

/// One forward pass timed (a row of the benchmark's table).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub forward_pass: &'static str,
    /// Median, fastest and slowest round, seconds.
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    /// The window's tokens over the median time.
    pub tokens_per_s: f64,
    /// Tokens per second over the baseline's (the first row).
    pub relative_to_baseline: f64,
}

/// What the benchmark measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub window: usize,
    /// Rayon threads the passes ran on.
    pub threads: usize,
    /// The layers on the optics (the smollm2-135m workload's).
    pub ops: Vec<OpticalOp>,
    /// The baseline (candle-transformers' quantised Llama), the digital forward pass, then the
    /// optical twin with ternary and with analog weights.
    pub rows: Vec<Row>,
    /// Per round, the digital pass's time over the twin's (ternary, analog): the twin's tokens
    /// per second over the digital pass's, the passes run back to back.
    pub round_ratios: Vec<(f64, f64)>,
}

impl Outcome {
    /// Simulated tokens per second on the twin over the baseline's: (ternary, analog).
    pub fn twin_over_baseline(&self) -> (f64, f64) {
        (
            self.rows[2].relative_to_baseline,
            self.rows[3].relative_to_baseline,
        )
    }

    /// Simulated tokens per second on the twin over lightloop's own digital f32 pass:
    /// (ternary, analog), the median of the rounds' ratios. Each round runs the passes back to
    /// back, so a slow spell of a shared machine moves both sides of a round's ratio alike
    /// (the ratio of the rows' medians, from passes seconds apart, swung 0.96–1.22 over three
    /// runs on a 2-core machine). Analog weights take the same f32 products as the digital
    /// pass, plus the noise, so their ratio stays below 1; ternary weights take the integer
    /// kernel.
    pub fn twin_over_digital(&self) -> (f64, f64) {
        let median = |pick: fn(&(f64, f64)) -> f64| {
            median_min_max(self.round_ratios.iter().map(pick).collect()).0
        };
        (median(|r| r.0), median(|r| r.1))
    }
}

/// Times the forward passes over one window of data/english.txt (from character 12 000), the
/// optical ones on `rig`'s twin (worst-case ADC span, seed 1). `progress` hears of each round.
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let window = config.window;
    let (_, dir) = locate("smollm2", config.model_dir.as_deref())?;
    let path = dir.join("model.gguf");
    let (mut model, ct) = Llama::from_gguf(&path)?;
    let tok = measure::gguf_tokenizer(&ct, &path)?;
    let mut reference = Reference::from_gguf(&path)?;
    let ids = english_ids(&tok, 12_000, window, "window")?;
    let ops = lightloop_rig::load_workload(WORKLOAD, &[])?
        .value
        .run
        .optical_ops;
    let threads = rayon::current_num_threads();
    let optics = |w: Weights| Optics {
        rig: rig.clone(),
        weights: w,
        photons: None,
        adc_range: AdcRange::WorstCase,
        seed: 1,
        threads,
    };
    let mut times = [const { Vec::new() }; 4];
    for round in 0..config.rounds {
        progress(Progress {
            done: round,
            total: config.rounds,
            what: "rounds",
        });
        let t = Instant::now();
        reference.last_logits(&ids)?;
        times[0].push(t.elapsed().as_secs_f64());
        model.map(&ops, None)?;
        let t = Instant::now();
        model.forward(&ids)?;
        times[1].push(t.elapsed().as_secs_f64());
        for (k, w) in [Weights::Ternary, Weights::Analog].into_iter().enumerate() {
            model.map(&ops, Some(&optics(w)))?;
            let t = Instant::now();
            model.forward(&ids)?;
            times[2 + k].push(t.elapsed().as_secs_f64());
        }
    }
    progress(Progress {
        done: config.rounds,
        total: config.rounds,
        what: "rounds",
    });
    let round_ratios = (0..config.rounds)
        .map(|r| (times[1][r] / times[2][r], times[1][r] / times[3][r]))
        .collect();
    let stats: Vec<(f64, f64, f64)> = times.into_iter().map(median_min_max).collect();
    let rate = |(median, _, _): (f64, f64, f64)| window as f64 / median;
    let baseline = rate(stats[0]);
    let rows = [
        "candle-transformers quantized_llama, Q4_1 (baseline)",
        "lightloop, digital (dequantised f32)",
        "lightloop, optical twin, ternary weights",
        "lightloop, optical twin, analog weights",
    ]
    .into_iter()
    .zip(stats)
    .map(|(forward_pass, s)| Row {
        forward_pass,
        median_s: s.0,
        min_s: s.1,
        max_s: s.2,
        tokens_per_s: rate(s),
        relative_to_baseline: rate(s) / baseline,
    })
    .collect();
    Ok(Outcome {
        window,
        threads,
        ops,
        rows,
        round_ratios,
    })
}

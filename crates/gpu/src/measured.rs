//! Published measurements of GPUs serving language models, each with its source (the
//! citations are in `docs/references.md`, section "GPU serving measurements") and the scenario
//! it was measured in; and their prediction by the serving model.
//!
//! The points marked [`Role::Fit`] fix the serving stack's parameters ([`crate::fit`]); every
//! other point is held out and tests them. Throughputs count output tokens only (the MLPerf
//! and TensorRT-LLM conventions; ML.ENERGY reports the same). GPU power is the sum over the
//! measured GPUs (ML.ENERGY reads NVML); wall power is the whole servers' AC input (MLPerf
//! Power).
//!
//! Scenario assumptions lightloop adds, stated per source:
//! - **TensorRT-LLM performance overview** (trtllm-bench, requests issued at an infinite
//!   rate): the batch is as large as the KV cache allows, at most 2048 sequences per replica.
//! - **MLPerf Inference Offline, Llama 2 70B**: prompts average 222.3 tokens and generations
//!   294.45 (the dataset's means); the batch is the submission's `gpu_batch_size`, cut to
//!   what the KV cache holds.
//! - **ML.ENERGY v3** (vLLM 0.11.1, chat prompts): the batch is the measured mean number of
//!   running requests; the leaderboard does not publish prompt lengths, so lightloop takes
//!   [`ML_ENERGY_PROMPT`] tokens.

use crate::error::GpuError;
use crate::serving::{Serving, serve_batch};
use crate::split::Split;
use crate::stack::ServingStack;
use lightloop_rig::{Gpu, Workload, load_gpu, load_workload};
use serde::Serialize;

/// Prompt length assumed for ML.ENERGY's chat task, tokens: unpublished; 350 is where the
/// leaderboard's own KV-cache-limited runs (Llama-3.1-8B capped at 768 running 691, 70B on
/// four H100 capped at 1024 running 898) fill the cache at vLLM's 0.9 memory fraction.
pub const ML_ENERGY_PROMPT: u32 = 350;

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Output tokens per second of all the measured GPUs.
    TokensPerS,
    /// Mean power of the measured GPUs together, W.
    GpuPower,
    /// Mean AC power of the whole servers, W.
    WallPower,
}

impl Metric {
    pub fn unit(self) -> &'static str {
        match self {
            Metric::TokensPerS => "tokens/s",
            Metric::GpuPower | Metric::WallPower => "W",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Metric::TokensPerS => "output tokens/s",
            Metric::GpuPower => "GPU power",
            Metric::WallPower => "server power at the wall",
        }
    }
}

/// Whether a point fixed the fitted parameters or tests them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Fit,
    HeldOut,
    /// Shown with its prediction but not counted, for the reason given.
    Excluded(&'static str),
}

/// How many sequences a replica runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Batch {
    /// As measured (a mean number of running requests).
    Fixed(f64),
    /// As many as the KV cache holds, at most this many.
    KvLimited(f64),
}

/// One published measurement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub id: &'static str,
    /// Where it was published (a key of docs/references.md).
    pub source: &'static str,
    pub engine: &'static str,
    /// GPU preset.
    pub gpu: &'static str,
    /// GPUs measured together.
    pub gpus: u32,
    /// One replica's split; the measured GPUs hold gpus / split.gpus() replicas.
    pub split: Split,
    /// Workload preset with the model's shape.
    pub model: &'static str,
    pub weight_bits: u32,
    pub kv_bits: u32,
    pub prompt: u32,
    pub output: u32,
    pub batch: Batch,
    pub metric: Metric,
    pub measured: f64,
    pub role: Role,
}

const fn s(tp: u32, pp: u32) -> Split {
    Split::new(tp, pp, 1)
}

macro_rules! trt {
    ($id:literal, $gpu:literal, $tp:expr, $model:literal, $bits:literal, $isl:literal, $osl:literal, $v:expr, $role:expr) => {
        Point {
            id: $id,
            source: "TensorRT-LLM v1.0 performance overview",
            engine: "TensorRT-LLM 1.0",
            gpu: $gpu,
            gpus: $tp,
            split: s($tp, 1),
            model: $model,
            weight_bits: $bits,
            kv_bits: 8,
            prompt: $isl,
            output: $osl,
            batch: Batch::KvLimited(2048.0),
            metric: Metric::TokensPerS,
            measured: $v,
            role: $role,
        }
    };
}

macro_rules! mle {
    ($id:literal, $gpu:literal, $tp:expr, $model:literal, $bits:literal, $batch:expr, $out:literal, $metric:ident, $v:expr, $role:expr) => {
        Point {
            id: $id,
            source: "ML.ENERGY Leaderboard v3.0, lm-arena-chat",
            engine: "vLLM 0.11.1",
            gpu: $gpu,
            gpus: $tp,
            split: s($tp, 1),
            model: $model,
            weight_bits: $bits,
            kv_bits: 16,
            prompt: ML_ENERGY_PROMPT,
            output: $out,
            batch: Batch::Fixed($batch),
            metric: Metric::$metric,
            measured: $v,
            role: $role,
        }
    };
}

macro_rules! mlperf {
    ($id:literal, $src:literal, $gpu:literal, $split:expr, $bits:literal, $cap:expr, $metric:ident, $v:expr) => {
        Point {
            id: $id,
            source: $src,
            engine: "TensorRT-LLM (MLPerf submission)",
            gpu: $gpu,
            gpus: 8,
            split: $split,
            model: "llama-2-70b",
            weight_bits: $bits,
            kv_bits: 8,
            prompt: 222,
            output: 294,
            batch: Batch::KvLimited($cap),
            metric: Metric::$metric,
            measured: $v,
            role: Role::HeldOut,
        }
    };
}

/// Why ML.ENERGY's Llama-3.1-8B runs on B200 are shown but not counted.
const B200_8B: &str = "the engine, not the GPU, limits it: throughput falls from batch 64 to 128 and stays below the same engine's H100 at every batch from 64 to 512";

/// Every measured point.
pub const POINTS: &[Point] = &[
    // Fit: replicas of one GPU (TP1) on H100, H200 and B200, two dense models, short and long
    // prompts, and the power of one GPU over a batch sweep.
    trt!(
        "trt-8b-h100-128-2048",
        "h100-sxm",
        1,
        "llama-3-8b",
        8,
        128,
        2048,
        22_714.0,
        Role::Fit
    ),
    trt!(
        "trt-8b-h100-1000-1000",
        "h100-sxm",
        1,
        "llama-3-8b",
        8,
        1000,
        1000,
        15_220.0,
        Role::Fit
    ),
    trt!(
        "trt-8b-h100-2048-128",
        "h100-sxm",
        1,
        "llama-3-8b",
        8,
        2048,
        128,
        3_450.0,
        Role::Fit
    ),
    trt!(
        "trt-8b-h100-5000-500",
        "h100-sxm",
        1,
        "llama-3-8b",
        8,
        5000,
        500,
        3_459.0,
        Role::Fit
    ),
    trt!(
        "trt-70b-h200-1000-1000",
        "h200-sxm",
        1,
        "llama-3-70b",
        8,
        1000,
        1000,
        2_909.0,
        Role::Fit
    ),
    trt!(
        "trt-70b-h200-2048-128",
        "h200-sxm",
        1,
        "llama-3-70b",
        8,
        2048,
        128,
        442.0,
        Role::Fit
    ),
    trt!(
        "trt-70b-b200-128-2048",
        "b200",
        1,
        "llama-3-70b",
        4,
        128,
        2048,
        9_922.0,
        Role::Fit
    ),
    trt!(
        "trt-70b-b200-1000-1000",
        "b200",
        1,
        "llama-3-70b",
        4,
        1000,
        1000,
        7_007.0,
        Role::Fit
    ),
    trt!(
        "trt-70b-b200-2048-128",
        "b200",
        1,
        "llama-3-70b",
        4,
        2048,
        128,
        1_339.0,
        Role::Fit
    ),
    mle!(
        "mle-8b-h100-b8",
        "h100-sxm",
        1,
        "llama-3-8b",
        16,
        7.98,
        389,
        TokensPerS,
        1_069.6,
        Role::Fit
    ),
    mle!(
        "mle-8b-h100-b64",
        "h100-sxm",
        1,
        "llama-3-8b",
        16,
        63.9,
        389,
        TokensPerS,
        5_147.0,
        Role::Fit
    ),
    mle!(
        "mle-8b-h100-b255",
        "h100-sxm",
        1,
        "llama-3-8b",
        16,
        255.2,
        389,
        TokensPerS,
        9_010.0,
        Role::Fit
    ),
    mle!(
        "mle-8b-h100-b8-w",
        "h100-sxm",
        1,
        "llama-3-8b",
        16,
        7.98,
        389,
        GpuPower,
        486.4,
        Role::Fit
    ),
    mle!(
        "mle-8b-h100-b64-w",
        "h100-sxm",
        1,
        "llama-3-8b",
        16,
        63.9,
        389,
        GpuPower,
        610.0,
        Role::Fit
    ),
    mle!(
        "mle-8b-h100-b255-w",
        "h100-sxm",
        1,
        "llama-3-8b",
        16,
        255.2,
        389,
        GpuPower,
        691.0,
        Role::Fit
    ),
    // Held out: everything else. A GPU the fit never saw (GB200), a model it never saw
    // (405B), tensor and pipeline parallelism, MLPerf's dataset and engine settings, the power
    // of multi-GPU replicas and of whole servers at the wall.
    trt!(
        "trt-8b-h200-128-128",
        "h200-sxm",
        1,
        "llama-3-8b",
        8,
        128,
        128,
        27_911.0,
        Role::HeldOut
    ),
    trt!(
        "trt-8b-h100-20000-2000",
        "h100-sxm",
        1,
        "llama-3-8b",
        8,
        20000,
        2000,
        1_351.0,
        Role::HeldOut
    ),
    trt!(
        "trt-70b-h100tp2-1000-1000",
        "h100-sxm",
        2,
        "llama-3-70b",
        8,
        1000,
        1000,
        4_205.0,
        Role::HeldOut
    ),
    trt!(
        "trt-70b-h100tp2-5000-500",
        "h100-sxm",
        2,
        "llama-3-70b",
        8,
        5000,
        500,
        898.0,
        Role::HeldOut
    ),
    trt!(
        "trt-70b-gb200-1000-1000",
        "gb200-nvl72",
        1,
        "llama-3-70b",
        4,
        1000,
        1000,
        7_326.0,
        Role::HeldOut
    ),
    trt!(
        "trt-405b-h100tp8-1000-1000",
        "h100-sxm",
        8,
        "llama-3.1-405b",
        8,
        1000,
        1000,
        2_919.0,
        Role::HeldOut
    ),
    trt!(
        "trt-405b-h200tp8-1000-1000",
        "h200-sxm",
        8,
        "llama-3.1-405b",
        8,
        1000,
        1000,
        3_330.0,
        Role::HeldOut
    ),
    trt!(
        "trt-405b-b200tp4-1000-1000",
        "b200",
        4,
        "llama-3.1-405b",
        4,
        1000,
        1000,
        5_209.0,
        Role::HeldOut
    ),
    mlperf!(
        "mlperf50-70b-h100",
        "MLPerf Inference v5.0, NVIDIA H100-SXM-80GBx8_TRT, Llama 2 70B Offline",
        "h100-sxm",
        s(1, 2),
        8,
        1024.0,
        TokensPerS,
        31_306.8
    ),
    mlperf!(
        "mlperf50-70b-h200",
        "MLPerf Inference v5.0, NVIDIA H200-SXM-141GBx8_TRT, Llama 2 70B Offline",
        "h200-sxm",
        s(1, 1),
        8,
        2048.0,
        TokensPerS,
        34_988.2
    ),
    mlperf!(
        "mlperf50-70b-b200",
        "MLPerf Inference v5.0, NVIDIA B200-SXM-180GBx8_TRT, Llama 2 70B Offline",
        "b200",
        s(1, 1),
        4,
        2048.0,
        TokensPerS,
        98_858.0
    ),
    mlperf!(
        "mlperf51-70b-b200-wall",
        "MLPerf Inference v5.1 Power, Lenovo SR680a V3 (8 × B200), Llama 2 70B Offline",
        "b200",
        s(1, 1),
        4,
        2048.0,
        WallPower,
        10_401.0
    ),
    mle!(
        "mle-8b-b200-b255",
        "b200",
        1,
        "llama-3-8b",
        16,
        255.2,
        399,
        TokensPerS,
        7_664.1,
        Role::Excluded(B200_8B)
    ),
    mle!(
        "mle-70b-h100tp4-b64",
        "h100-sxm",
        4,
        "llama-3-70b",
        16,
        63.8,
        352,
        TokensPerS,
        2_510.5,
        Role::HeldOut
    ),
    mle!(
        "mle-70b-h100tp4-b255",
        "h100-sxm",
        4,
        "llama-3-70b",
        16,
        255.3,
        349,
        TokensPerS,
        4_915.1,
        Role::HeldOut
    ),
    mle!(
        "mle-70b-b200tp2-b255",
        "b200",
        2,
        "llama-3-70b",
        16,
        255.3,
        361,
        TokensPerS,
        5_372.4,
        Role::HeldOut
    ),
    mle!(
        "mle-405b-h100tp8-b64",
        "h100-sxm",
        8,
        "llama-3.1-405b",
        8,
        63.9,
        360,
        TokensPerS,
        1_350.2,
        Role::HeldOut
    ),
    mle!(
        "mle-405b-b200tp8-b255",
        "b200",
        8,
        "llama-3.1-405b",
        16,
        255.1,
        366,
        TokensPerS,
        3_587.0,
        Role::HeldOut
    ),
    mle!(
        "mle-8b-b200-b255-w",
        "b200",
        1,
        "llama-3-8b",
        16,
        255.2,
        399,
        GpuPower,
        540.2,
        Role::Excluded(B200_8B)
    ),
    mle!(
        "mle-70b-h100tp4-b64-w",
        "h100-sxm",
        4,
        "llama-3-70b",
        16,
        63.8,
        352,
        GpuPower,
        2_001.5,
        Role::HeldOut
    ),
    mle!(
        "mle-70b-h100tp4-b255-w",
        "h100-sxm",
        4,
        "llama-3-70b",
        16,
        255.3,
        349,
        GpuPower,
        2_354.3,
        Role::HeldOut
    ),
    mle!(
        "mle-70b-b200tp2-b255-w",
        "b200",
        2,
        "llama-3-70b",
        16,
        255.3,
        361,
        GpuPower,
        1_941.7,
        Role::HeldOut
    ),
    mle!(
        "mle-405b-h100tp8-b64-w",
        "h100-sxm",
        8,
        "llama-3.1-405b",
        8,
        63.9,
        360,
        GpuPower,
        4_162.1,
        Role::HeldOut
    ),
    mle!(
        "mle-405b-b200tp8-b255-w",
        "b200",
        8,
        "llama-3.1-405b",
        16,
        255.1,
        366,
        GpuPower,
        7_642.9,
        Role::HeldOut
    ),
];

/// A point with its prediction.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Predicted {
    pub point: Point,
    pub predicted: f64,
    /// predicted / measured.
    pub ratio: f64,
    /// The replica as modelled.
    pub serving: Serving,
}

impl Predicted {
    /// |ln(predicted / measured)|: the error on the log scale.
    pub fn log_error(&self) -> f64 {
        self.ratio.ln().abs()
    }
}

/// The workload of a point: the model's shape with the point's scenario.
pub fn workload_of(p: &Point) -> Workload {
    let mut wl = load_workload(p.model, &[])
        .unwrap_or_else(|e| panic!("measured point {}: {e}", p.id))
        .value;
    wl.run.prompt_tokens = p.prompt;
    wl.run.generated_tokens = p.output;
    wl.run.weight_bits = p.weight_bits;
    wl.run.kv_bits = p.kv_bits;
    wl.run.optical_ops.clear();
    if let Some(m) = wl.model.as_mut() {
        m.context = m.context.max(p.prompt + p.output);
    }
    wl
}

/// The GPU preset of a point.
pub fn gpu_of(p: &Point) -> Gpu {
    load_gpu(p.gpu, &[])
        .unwrap_or_else(|e| panic!("measured point {}: {e}", p.id))
        .value
}

/// A point prepared for repeated prediction (the fit evaluates each many times).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub point: Point,
    pub gpu: Gpu,
    pub workload: Workload,
}

impl Prepared {
    pub fn new(point: Point) -> Self {
        Self {
            gpu: gpu_of(&point),
            workload: workload_of(&point),
            point,
        }
    }

    /// The serving model's value of the point's metric under `stack`.
    pub fn predict(&self, stack: &ServingStack) -> Result<Predicted, GpuError> {
        let p = &self.point;
        let batch = match p.batch {
            Batch::Fixed(b) | Batch::KvLimited(b) => b,
        };
        let s = serve_batch(&self.gpu, stack, &self.workload, p.split, batch)?;
        let replicas = (p.gpus / p.split.gpus()).max(1) as f64;
        let predicted = match p.metric {
            Metric::TokensPerS => replicas * s.tokens_per_s,
            Metric::GpuPower => replicas * s.gpus as f64 * s.gpu_power,
            Metric::WallPower => replicas * (s.gpus as f64 * s.gpu_power + s.host_power),
        };
        Ok(Predicted {
            point: *p,
            predicted,
            ratio: predicted / p.measured,
            serving: s,
        })
    }
}

/// Every point, prepared.
pub fn prepared() -> Vec<Prepared> {
    POINTS.iter().map(|p| Prepared::new(*p)).collect()
}

/// Geometric-mean absolute error, exp(mean |ln(predicted/measured)|) − 1.
pub fn geometric_mean_error(points: &[Predicted]) -> f64 {
    if points.is_empty() {
        return f64::NAN;
    }
    (points.iter().map(Predicted::log_error).sum::<f64>() / points.len() as f64).exp() - 1.0
}

/// Every point predicted under one stack, with the errors of the fit and held-out sets.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub rows: Vec<Row>,
    /// Geometric-mean absolute error of the fit points and of the held-out points.
    pub fit_error: f64,
    pub held_out_error: f64,
    pub fit_points: usize,
    pub held_out_points: usize,
    /// The worst held-out point's error, |predicted/measured − 1|.
    pub worst_held_out: f64,
}

/// One point and its prediction (or why the model cannot serve it).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub point: Point,
    pub predicted: Option<f64>,
    /// predicted/measured − 1.
    pub error: Option<f64>,
    pub failure: Option<String>,
}

/// Predicts every point of `points` under `stack`.
pub fn validate(points: &[Prepared], stack: &ServingStack) -> Validation {
    let mut rows = Vec::new();
    let (mut fit, mut held) = (Vec::new(), Vec::new());
    for p in points {
        match p.predict(stack) {
            Ok(x) => {
                rows.push(Row {
                    point: p.point,
                    predicted: Some(x.predicted),
                    error: Some(x.ratio - 1.0),
                    failure: None,
                });
                match p.point.role {
                    Role::Fit => fit.push(x),
                    Role::HeldOut => held.push(x),
                    Role::Excluded(_) => {}
                }
            }
            Err(e) => rows.push(Row {
                point: p.point,
                predicted: None,
                error: None,
                failure: Some(e.to_string()),
            }),
        }
    }
    let failed_held = rows
        .iter()
        .any(|r| r.failure.is_some() && r.point.role == Role::HeldOut);
    Validation {
        fit_error: geometric_mean_error(&fit),
        held_out_error: if failed_held {
            f64::INFINITY
        } else {
            geometric_mean_error(&held)
        },
        fit_points: fit.len(),
        held_out_points: held.len(),
        worst_held_out: held
            .iter()
            .map(|x| (x.ratio - 1.0).abs())
            .fold(0.0, f64::max),
        rows,
    }
}

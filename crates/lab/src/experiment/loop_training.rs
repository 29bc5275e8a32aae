//! Training speed of the reference loop model: width d, T tied ternary passes with the rig's
//! absorber/SOA activation, batch B, AdamW, on random inputs; the same model as
//! peers/pytorch/loop_bench.py.

use crate::{LabError, Progress};
use candle_core::{Device, Tensor};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use lightloop_base::rng::{stream, uniform};
use lightloop_nn::loopnet::phi::Phi;
use lightloop_nn::loopnet::{ForwardNoise, LoopNet, LoopNetConfig};
use lightloop_rig::Rig;
use lightloop_twin::LoopTwin;
use std::time::Instant;

/// Inputs per example (the digits' 8×8 pixels).
const INPUTS: usize = 64;
/// Classes.
const CLASSES: usize = 10;
/// Untimed steps before the clock starts.
const WARM_UP: u64 = 3;

/// The benchmark.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// Width d of the loop state, ≥ 1.
    pub width: usize,
    /// Passes T, ≥ 1.
    pub passes: usize,
    /// Batch size, ≥ 1.
    pub batch: usize,
    /// Seconds of timed steps (about; at least `min_steps` are run).
    pub seconds: f64,
    /// Timed steps at least.
    pub min_steps: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            width: 256,
            passes: 64,
            batch: 64,
            seconds: 3.0,
            min_steps: 5,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        for (field, v) in [
            ("width", self.width),
            ("passes", self.passes),
            ("batch", self.batch),
        ] {
            if v == 0 {
                return Err(LabError::config(field, "must be ≥ 1"));
            }
        }
        if !(self.seconds.is_finite() && self.seconds >= 0.0) {
            return Err(LabError::config(
                "seconds",
                format!(
                    "must be a non-negative number of seconds, not {}",
                    self.seconds
                ),
            ));
        }
        Ok(())
    }
}

/// What the timed steps achieved.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Outcome {
    /// Timed training steps.
    pub steps: u64,
    /// Their wall time, s.
    pub seconds: f64,
    /// `steps / seconds`.
    pub steps_per_second: f64,
    /// The cross-entropy of the last step.
    pub final_loss: f32,
    /// Threads candle runs matrix products on.
    pub matmul_threads: usize,
}

/// The rig's loop activation as its table: (a, φ(a), φ'(a)) on the tabulation grid.
pub fn activation(rig: &Rig) -> Vec<(f64, f64, f64)> {
    Phi::new(LoopTwin::from_rig(rig, 0.0, 1)).table().collect()
}

/// Trains the reference model on `rig`'s activation for about `config.seconds` after three
/// untimed steps, without noise; reports each timed step (`total` is the minimum).
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let phi = Phi::new(LoopTwin::from_rig(rig, 0.0, 1));
    let net = LoopNet::new(
        LoopNetConfig::new(INPUTS, config.width, config.passes, CLASSES, 1),
        phi,
    )?;
    let mut rng = stream(1, "bench.loop", 0, 0);
    let x: Vec<f32> = (0..config.batch * INPUTS)
        .map(|_| uniform(&mut rng) as f32)
        .collect();
    let y: Vec<u32> = (0..config.batch)
        .map(|_| (uniform(&mut rng) * CLASSES as f64) as u32 % CLASSES as u32)
        .collect();
    let dev = Device::Cpu;
    let x = Tensor::from_vec(x, (config.batch, INPUTS), &dev)?;
    let y = Tensor::from_vec(y, config.batch, &dev)?;
    let mut opt = AdamW::new(
        net.vars(),
        ParamsAdamW {
            lr: 3e-3,
            weight_decay: 0.0,
            ..Default::default()
        },
    )?;
    let off = ForwardNoise::off();
    let mut step = |call: u64| -> Result<f32, LabError> {
        let logits = net.forward(&x, config.passes, &off, call)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
        opt.backward_step(&loss)?;
        Ok(loss.to_scalar::<f32>()?)
    };
    for c in 0..WARM_UP {
        step(c)?;
    }
    let start = Instant::now();
    let mut n = 0u64;
    let mut loss = 0.0;
    while n < config.min_steps || start.elapsed().as_secs_f64() < config.seconds {
        loss = step(100 + n)?;
        n += 1;
        progress(Progress {
            done: n as usize,
            total: config.min_steps as usize,
            what: "training steps",
        });
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(Outcome {
        steps: n,
        seconds,
        steps_per_second: n as f64 / seconds,
        final_loss: loss,
        matmul_threads: candle_core::utils::get_num_threads(),
    })
}

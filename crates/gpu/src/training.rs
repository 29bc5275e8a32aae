//! Training on GPUs: FLOPs per token, time, energy and GPU-hours of a run.
//!
//! A training token costs 6·N_active FLOPs in its products (forward 2N, backward 4N; Kaplan et
//! al., "Scaling Laws for Neural Language Models", arXiv 2001.08361, §2.1) plus three times the
//! attention's forward FLOPs at the sequence's mean context. The run achieves a model-FLOPs
//! utilisation (MFU) of the BF16 dense peak: [`FITTED_MFU`], from Meta's Llama 3 405B
//! pre-training (8,192 to 16,384 H100 at 38–43 %). Each GPU draws the serving stack's power at
//! compute utilisation MFU and bandwidth utilisation [`TRAINING_BANDWIDTH_UTILISATION`]
//! (within its board limit), and its node's host power is counted beside it.

use crate::stack::ServingStack;
use lightloop_rig::work::Work;
use lightloop_rig::{Gpu, Workload};
use serde::Serialize;

/// Model-FLOPs utilisation of large dense training on H100: the middle of Meta's three
/// reported runs of Llama 3 405B (43 % on 8,192 GPUs, 41 % on 16,384, 38 % at 131k-token
/// sequences; "The Llama 3 Herd of Models", Table 4).
pub const FITTED_MFU: f64 = 0.41;

/// HBM bandwidth utilisation assumed while training (activations, optimiser state and weight
/// streaming at large batch); assumption.
pub const TRAINING_BANDWIDTH_UTILISATION: f64 = 0.3;

/// One training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Training {
    pub tokens: f64,
    pub gpus: f64,
    pub mfu: f64,
    pub flops_per_token: f64,
    pub flops: f64,
    /// Wall time of the run, s.
    pub time: f64,
    pub gpu_hours: f64,
    /// Per GPU, W (never above the TDP).
    pub gpu_power: f64,
    /// GPUs and their hosts' shares, before the facility's PUE, J.
    pub energy: f64,
    pub j_per_token: f64,
}

/// FLOPs of one training token of `wl` at sequence length `seq`.
pub fn flops_per_token(wl: &Workload, seq: f64) -> f64 {
    let w = Work::from_workload(wl);
    6.0 * w.params_active + 3.0 * w.attention_flops(seq / 2.0)
}

/// A run of `tokens` tokens of `wl` (its prompt length as the sequence) on `gpus` GPUs at
/// model-FLOPs utilisation `mfu` of the BF16 dense peak.
pub fn train(gpu: &Gpu, wl: &Workload, tokens: f64, gpus: f64, mfu: f64) -> Training {
    let seq = wl.run.prompt_tokens as f64;
    let per_token = flops_per_token(wl, seq);
    let flops = per_token * tokens;
    let time = flops / (gpus * gpu.compute.bf16_dense.si() * mfu);
    let stack = ServingStack::for_gpu(gpu);
    let p = stack.gpu_power(gpu, mfu, TRAINING_BANDWIDTH_UTILISATION);
    let host = gpu.node.host_power.si() / gpu.node.gpus as f64;
    let energy = gpus * (p + host) * time;
    Training {
        tokens,
        gpus,
        mfu,
        flops_per_token: per_token,
        flops,
        time,
        gpu_hours: gpus * time / 3600.0,
        gpu_power: p,
        energy,
        j_per_token: energy / tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Llama 3 405B's pre-training, 3.8 × 10²⁵ FLOPs (Llama 3 Herd of Models, §1): at the
    /// fitted MFU on H100 it takes 26 M GPU-hours; the model card reports 30.84 M for the
    /// whole of Llama 3.1 405B's training (pre-training, annealing, failures and restarts).
    #[test]
    fn llama_405b_gpu_hours() {
        let gpu = lightloop_rig::load_gpu("h100-sxm", &[]).unwrap().value;
        let hours = 3.8e25 / (989e12 * FITTED_MFU) / 3600.0;
        assert!((hours / 26.03e6 - 1.0).abs() < 0.01, "{hours}");
        let wl = lightloop_rig::load_workload("llama-3.1-405b", &["run.prompt_tokens=8192".into()])
            .unwrap()
            .value;
        let t = train(&gpu, &wl, 15.6e12, 16_384.0, FITTED_MFU);
        // 6·N·D alone is 3.8e25 for 405 B parameters and 15.6 T tokens; attention adds ~5 %.
        assert!(t.flops > 3.8e25 && t.flops < 4.2e25, "{}", t.flops);
        assert!(t.gpu_hours > 26e6 && t.gpu_hours < 31e6, "{}", t.gpu_hours);
        assert!(t.gpu_power <= 700.0);
    }
}

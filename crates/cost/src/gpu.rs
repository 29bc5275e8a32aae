//! The GPU baseline: a roofline for prefill and decode with batch and KV cache, a
//! utilisation-dependent power model, and one measured point that calibrates the serving
//! overhead.
//!
//! Roofline (Williams, Waterman & Patterson, CACM 52(4), 2009): a step takes
//! max(FLOPs / (peak·η_c), bytes / (bandwidth·η_m)). Decode reads every weight once per step
//! (shared by the batch) plus each sequence's KV cache (not shared). Power:
//! P = idle + (TDP − idle)·min(1, u_c + d_m·u_m) per GPU plus the host's share, with u_c and u_m
//! the achieved compute and bandwidth utilisations and d_m the draw of a bandwidth-bound step.
//! A step also takes at least as long as its chain of dependent kernels times the kernel latency.
//! Models that do not fit in one GPU's memory are split over the fewest GPUs that hold weights
//! and KV cache with 10 % headroom, with ideal tensor parallelism (interconnect time ignored).

use crate::work::{Work, WorkloadKindTag};
use lightloop_rig::{Gpu, Workload};
use serde::Serialize;
use std::sync::OnceLock;

/// Fraction of HBM usable for weights and KV cache.
pub const MEMORY_HEADROOM: f64 = 0.9;

/// One GPU configuration running one workload.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuEvaluation {
    pub gpus: f64,
    pub step_time: f64,
    pub tokens_per_s: f64,
    pub ttft: f64,
    /// Calibrated energy per token, J.
    pub j_per_token: f64,
    /// Before the calibration factor, J.
    pub j_per_token_model: f64,
    pub calibration_factor: f64,
    pub power_per_gpu: f64,
    /// All GPUs and their host shares, W.
    pub total_power: f64,
    pub compute_utilisation: f64,
    pub memory_utilisation: f64,
    pub memory_bound: bool,
    /// Whether the chain of dependent kernels, not the roofline, sets the step time.
    pub latency_bound: bool,
    pub macs_per_token: f64,
    pub fj_per_mac: f64,
    pub tops_per_w: f64,
    pub flops_per_step: f64,
    pub bytes_per_step: f64,
    /// Dense peak used (FP8 for ≤ 8-bit weights, else BF16), FLOP/s per GPU.
    pub peak_flops: f64,
}

/// The measured point that fixes the calibration factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    pub factor: f64,
    pub measured_j_per_token: f64,
    pub modelled_j_per_token: f64,
    pub description: &'static str,
}

/// ML.ENERGY Leaderboard v3.0 (December 2025): Llama-3.1-8B on one H100, vLLM 0.11.1,
/// batch 64: 0.12 J per output token ("LLM Inference Energy: A Longitudinal Analysis",
/// ml.energy blog). Text-conversation outputs average 717 tokens ("Diagnosing Inference Energy
/// Consumption with the ML.ENERGY Leaderboard v3.0"); the prompt length is an assumption.
pub const CALIBRATION_J_PER_TOKEN: f64 = 0.12;
pub const CALIBRATION_BATCH: u32 = 64;
pub const CALIBRATION_PROMPT: u32 = 256;
pub const CALIBRATION_OUTPUT: u32 = 717;
pub const CALIBRATION_DESCRIPTION: &str = "ML.ENERGY v3: Llama-3.1-8B, 1×H100, vLLM 0.11.1, batch 64, 0.12 J/token (prompt 256 assumed, 717 output tokens)";

/// The calibration factor k = measured / modelled J/token at the reference point, applied to
/// every GPU (it stands for serving-stack overheads the roofline does not see).
pub fn calibration() -> Calibration {
    static CAL: OnceLock<Calibration> = OnceLock::new();
    *CAL.get_or_init(|| {
        let sets = [
            format!("run.batch={CALIBRATION_BATCH}"),
            format!("run.prompt_tokens={CALIBRATION_PROMPT}"),
            format!("run.generated_tokens={CALIBRATION_OUTPUT}"),
            "run.weight_bits=16".to_string(),
        ];
        let wl = lightloop_rig::load_workload("llama-3-8b", &sets)
            .expect("the built-in llama-3-8b preset loads")
            .value;
        let gpu = lightloop_rig::load_gpu("h100-sxm", &[])
            .expect("the built-in h100-sxm preset loads")
            .value;
        let model = evaluate_gpu_with(&gpu, &wl, 1.0).j_per_token;
        Calibration {
            factor: CALIBRATION_J_PER_TOKEN / model,
            measured_j_per_token: CALIBRATION_J_PER_TOKEN,
            modelled_j_per_token: model,
            description: CALIBRATION_DESCRIPTION,
        }
    })
}

/// Evaluates `wl` on `gpu` with the calibration of [`calibration`].
pub fn evaluate_gpu(gpu: &Gpu, wl: &Workload) -> GpuEvaluation {
    evaluate_gpu_with(gpu, wl, calibration().factor)
}

struct Step {
    flops: f64,
    bytes: f64,
}

/// FLOPs and bytes of one step of `vectors` token-vectors at mean context `ctx`.
fn gpu_step(work: &Work, vectors: f64, sequences: f64, ctx: f64, kv_read: f64) -> (Step, f64) {
    let mut macs = 0.0;
    let mut weight_bytes = 0.0;
    for op in work.ops() {
        let v = op.vectors(vectors, sequences);
        macs += v * op.macs_per_use();
        weight_bytes += op.matrices_touched(vectors).min(v) * op.macs_per_use() * work.weight_bytes;
    }
    let d = work.loop_width as f64;
    macs += vectors * work.loop_passes * d * d;
    weight_bytes += d * d * work.weight_bytes;
    let attention = vectors * work.attention_macs(ctx);
    let flops = 2.0 * macs + vectors * (work.attention_flops(ctx) + work.elementwise_flops);
    let kv = (kv_read + vectors) * work.attention_layers * work.kv_bytes_per_position;
    let bytes = weight_bytes + kv + vectors * work.embedding_bytes;
    (Step { flops, bytes }, macs + attention)
}

/// Evaluates with an explicit calibration factor (1 = the uncalibrated model).
pub fn evaluate_gpu_with(gpu: &Gpu, wl: &Workload, factor: f64) -> GpuEvaluation {
    let work = Work::from_workload(wl);
    let batch = wl.run.batch as f64;
    let prompt = wl.run.prompt_tokens as f64;
    let generated = wl.run.generated_tokens as f64;
    let peak = if wl.run.weight_bits <= 8 {
        gpu.compute.fp8_dense.si()
    } else {
        gpu.compute.bf16_dense.si()
    };
    let bw = gpu.memory.bandwidth.si();
    let (eta_c, eta_m) = (gpu.efficiency.compute.si(), gpu.efficiency.memory.si());

    let kv_capacity =
        batch * (prompt + generated) * work.attention_layers * work.kv_bytes_per_position;
    let resident = work.params_total * work.weight_bytes + kv_capacity;
    let gpus = (resident / (MEMORY_HEADROOM * gpu.memory.capacity.si()))
        .ceil()
        .max(1.0);

    let chain = work.dependent_kernels * gpu.efficiency.dependent_kernel_latency.si();
    let roofline = |s: &Step| (s.flops / (gpus * peak * eta_c)).max(s.bytes / (gpus * bw * eta_m));
    let time_of = |s: &Step| roofline(s).max(chain);

    let (main, tokens, first) = match work.kind {
        WorkloadKindTag::Decoder => {
            let ctx = prompt + generated / 2.0;
            (
                gpu_step(&work, batch, batch, ctx, batch * ctx),
                batch,
                gpu_step(&work, prompt, 1.0, (prompt + 1.0) / 2.0, prompt).0,
            )
        }
        WorkloadKindTag::Encoder => (
            gpu_step(&work, batch * prompt, batch, prompt, batch * prompt),
            batch * prompt,
            gpu_step(&work, prompt, 1.0, prompt, prompt).0,
        ),
        WorkloadKindTag::Kernel => (
            gpu_step(&work, batch, batch, 0.0, 0.0),
            batch,
            gpu_step(&work, 1.0, 1.0, 0.0, 0.0).0,
        ),
    };
    let (step, macs) = main;
    let t = time_of(&step);
    let u_c = step.flops / (gpus * t * peak);
    let u_m = step.bytes / (gpus * t * bw);
    let p = &gpu.power;
    let dynamic = (u_c + p.memory_bound_draw.si() * u_m).min(1.0);
    let per_gpu = p.idle.si() + (p.tdp.si() - p.idle.si()) * dynamic;
    let total_power = gpus * (per_gpu + p.host_share.si());
    let j_model = total_power * t / tokens;
    let j = j_model * factor;
    let macs_per_token = macs / tokens;
    GpuEvaluation {
        gpus,
        step_time: t,
        tokens_per_s: tokens / t,
        ttft: time_of(&first),
        j_per_token: j,
        j_per_token_model: j_model,
        calibration_factor: factor,
        power_per_gpu: per_gpu,
        total_power,
        compute_utilisation: u_c,
        memory_utilisation: u_m,
        memory_bound: step.bytes / (bw * eta_m) > step.flops / (peak * eta_c),
        latency_bound: chain > roofline(&step),
        macs_per_token,
        fj_per_mac: j / macs_per_token * 1e15,
        tops_per_w: 2.0 * macs_per_token / j / 1e12,
        flops_per_step: step.flops,
        bytes_per_step: step.bytes,
        peak_flops: peak,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_rig::{load_gpu, load_workload};

    fn h100() -> Gpu {
        load_gpu("h100-sxm", &[]).unwrap().value
    }

    #[test]
    fn batch_one_decode_is_bandwidth_bound_by_hand() {
        // Llama-3-8B, batch 1, BF16: 16.06 GB of weights per step dominate; at 80 % of
        // 3.35 TB/s one step takes ≈ 6.0 ms.
        let wl = load_workload("llama-3-8b", &[]).unwrap().value;
        let e = evaluate_gpu_with(&h100(), &wl, 1.0);
        assert!(e.memory_bound);
        assert_eq!(e.gpus, 1.0);
        // Every matrix including the head, but only one embedding row.
        let weights = (32.0 * 218_103_808.0 + 128_256.0 * 4096.0) * 2.0;
        let kv = (512.0 + 128.0 + 1.0) * 32.0 * 4096.0;
        let embed = 4096.0 * 2.0;
        let t = (weights + kv + embed) / (3.35e12 * 0.8);
        assert!(
            (e.step_time / t - 1.0).abs() < 1e-9,
            "{} vs {t}",
            e.step_time
        );
        assert!((e.tokens_per_s - 1.0 / t).abs() < 1e-6);
    }

    #[test]
    fn calibration_reproduces_the_measured_point() {
        let cal = calibration();
        assert!(
            cal.factor > 0.5 && cal.factor < 5.0,
            "implausible serving overhead {}",
            cal.factor
        );
        let sets = [
            "run.batch=64",
            "run.prompt_tokens=256",
            "run.generated_tokens=717",
        ]
        .map(String::from);
        let wl = load_workload("llama-3-8b", &sets).unwrap().value;
        let e = evaluate_gpu(&h100(), &wl);
        assert!(
            (e.j_per_token / 0.12 - 1.0).abs() < 1e-9,
            "{}",
            e.j_per_token
        );
    }

    #[test]
    fn larger_batches_cut_energy_per_token_then_plateau() {
        let at = |b: u32| {
            let wl = load_workload("llama-3-8b", &[format!("run.batch={b}")])
                .unwrap()
                .value;
            evaluate_gpu(&h100(), &wl).j_per_token
        };
        let (e1, e64, e256, e512) = (at(1), at(64), at(256), at(512));
        assert!(
            e1 > e64 && e64 > e256 && e256 >= e512 * 0.99,
            "{e1} {e64} {e256} {e512}"
        );
        assert!(e256 / e512 < 1.3, "plateau: {e256} vs {e512}");
    }

    #[test]
    fn large_models_spread_over_gpus() {
        let wl = load_workload("llama-3-70b", &[]).unwrap().value;
        let e = evaluate_gpu(&h100(), &wl);
        // 141 GB of BF16 weights need two 80 GB GPUs at 90 % headroom.
        assert_eq!(e.gpus, 2.0);
        let wl = load_workload("moe-8k-a37b", &[]).unwrap().value;
        let e = evaluate_gpu(&h100(), &wl);
        assert!(e.gpus >= 10.0, "{}", e.gpus);
    }

    #[test]
    fn power_stays_between_idle_and_tdp() {
        for name in [
            "gpt2-small",
            "llama-3-8b",
            "deep-loop-2048",
            "minilm-l6",
            "loop-1024",
        ] {
            for b in [1, 16, 256] {
                let wl = load_workload(name, &[format!("run.batch={b}")])
                    .unwrap()
                    .value;
                let e = evaluate_gpu_with(&h100(), &wl, 1.0);
                assert!(
                    e.power_per_gpu >= 70.0 && e.power_per_gpu <= 700.0,
                    "{name} {b}: {}",
                    e.power_per_gpu
                );
                assert!(e.compute_utilisation <= 0.7 + 1e-9 && e.memory_utilisation <= 0.8 + 1e-9);
            }
        }
    }
}

//! The serving stack: what the software achieves of the hardware's peaks, its fixed costs, and
//! how the board's power follows its utilisation. These numbers are fitted (see
//! [`crate::fit`]) to the measurements marked "fit" in [`crate::measured`]; every other
//! measured point is held out to test them.

use lightloop_rig::gpu::{Gpu, ServingOverrides};
use serde::Serialize;

/// Achieved fractions of peak, overheads and the power model of a serving engine.
///
/// Time of one operation: max(FLOPs / (peak · η_c(M)), bytes / (bandwidth · η_m)), with
/// η_c(M) = compute_efficiency · M / (M + gemm_half_rows) for a product over M token rows
/// (small products fill the tensor cores' tiles poorly). Attention reads the KV cache at
/// `attention_efficiency` of the bandwidth. Each step pays `step_overhead`, each layer
/// `layer_overhead`.
///
/// Power of one GPU: P = idle + (TDP − idle) · min(1, power_active + power_compute · u_c +
/// power_memory · u_m), with u_c and u_m the achieved fractions of peak FLOP/s and of HBM
/// bandwidth over the phase; never above the TDP.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServingStack {
    pub compute_efficiency: f64,
    /// The same for 4-bit products (Blackwell's FP4 tensor cores).
    pub fp4_compute_efficiency: f64,
    /// Token rows at which a product reaches half of `compute_efficiency`.
    pub gemm_half_rows: f64,
    pub memory_efficiency: f64,
    pub attention_efficiency: f64,
    /// Fixed time per decode step, s.
    pub step_overhead: f64,
    /// Time per layer per step beyond the roofline, s.
    pub layer_overhead: f64,
    pub power_active: f64,
    pub power_compute: f64,
    pub power_memory: f64,
    /// Fraction of HBM the engine may fill with weights and KV cache (vLLM's default 0.9).
    pub memory_fraction: f64,
    /// Tokens of prompt prefilled together when many requests wait (chunked prefill).
    pub prefill_chunk: f64,
}

/// The fitted values, produced by `lightloop gpu validate --fit` on the fit points of
/// [`crate::measured::POINTS`]; a test re-runs the fit and checks these are its result.
pub const FITTED: [f64; 10] = [
    0.6457,   // compute_efficiency
    0.3863,   // fp4_compute_efficiency
    199.2,    // gemm_half_rows
    0.92,     // memory_efficiency
    0.8139,   // attention_efficiency
    1.698e-3, // step_overhead, s
    29.52e-6, // layer_overhead, s
    0.0858,   // power_active
    2.882,    // power_compute
    0.8664,   // power_memory
];

/// Names of the fitted parameters, in the order of [`FITTED`].
pub const PARAMETERS: [&str; 10] = [
    "compute_efficiency",
    "fp4_compute_efficiency",
    "gemm_half_rows",
    "memory_efficiency",
    "attention_efficiency",
    "step_overhead",
    "layer_overhead",
    "power_active",
    "power_compute",
    "power_memory",
];

impl ServingStack {
    /// The fitted stack.
    pub fn fitted() -> Self {
        Self::from_parameters(&FITTED)
    }

    /// A stack from the fitted parameters' values, in the order of [`PARAMETERS`].
    pub fn from_parameters(p: &[f64; 10]) -> Self {
        Self {
            compute_efficiency: p[0],
            fp4_compute_efficiency: p[1],
            gemm_half_rows: p[2],
            memory_efficiency: p[3],
            attention_efficiency: p[4],
            step_overhead: p[5],
            layer_overhead: p[6],
            power_active: p[7],
            power_compute: p[8],
            power_memory: p[9],
            memory_fraction: 0.9,
            prefill_chunk: 8192.0,
        }
    }

    /// The fitted parameters' values, in the order of [`PARAMETERS`].
    pub fn parameters(&self) -> [f64; 10] {
        [
            self.compute_efficiency,
            self.fp4_compute_efficiency,
            self.gemm_half_rows,
            self.memory_efficiency,
            self.attention_efficiency,
            self.step_overhead,
            self.layer_overhead,
            self.power_active,
            self.power_compute,
            self.power_memory,
        ]
    }

    /// The fitted stack with a GPU description's `[serving]` overrides applied.
    pub fn for_gpu(gpu: &Gpu) -> Self {
        let mut s = Self::fitted();
        if let Some(o) = &gpu.serving {
            s.apply(o);
        }
        s
    }

    /// Applies the overrides that are set.
    pub fn apply(&mut self, o: &ServingOverrides) {
        if let Some(v) = o.compute_efficiency {
            self.compute_efficiency = v.si();
        }
        if let Some(v) = o.memory_efficiency {
            self.memory_efficiency = v.si();
        }
        if let Some(v) = o.attention_efficiency {
            self.attention_efficiency = v.si();
        }
        if let Some(v) = o.step_overhead {
            self.step_overhead = v.si();
        }
        if let Some(v) = o.layer_overhead {
            self.layer_overhead = v.si();
        }
        if let Some(v) = o.power_active {
            self.power_active = v.si();
        }
        if let Some(v) = o.power_compute {
            self.power_compute = v;
        }
        if let Some(v) = o.power_memory {
            self.power_memory = v;
        }
    }

    /// Achieved fraction of peak of a product over `rows` token rows, with weights of
    /// `weight_bits`.
    #[inline]
    pub fn compute_efficiency_at(&self, rows: f64, weight_bits: f64) -> f64 {
        let top = if weight_bits <= 4.0 {
            self.fp4_compute_efficiency
        } else {
            self.compute_efficiency
        };
        top * rows / (rows + self.gemm_half_rows)
    }

    /// Power of one GPU at compute utilisation `u_c` and bandwidth utilisation `u_m`, W:
    /// never below idle, never above the TDP.
    #[inline]
    pub fn gpu_power(&self, gpu: &Gpu, u_c: f64, u_m: f64) -> f64 {
        let (idle, tdp) = (gpu.power.idle.si(), gpu.power.tdp.si());
        let load = (self.power_active + self.power_compute * u_c + self.power_memory * u_m)
            .clamp(0.0, 1.0);
        idle + (tdp - idle) * load
    }
}

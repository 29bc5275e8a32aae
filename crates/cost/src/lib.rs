//! # lightloop-cost
//!
//! Analytic models of an optical co-processor rig running a workload: the energy ledger
//! (every watt, DC loads included), throughput and latency derived from the architecture, the
//! noise budget of a readout, a GPU baseline, the audit of published claims, and parameter
//! sweeps. Everything here is a pure function of the descriptions in `lightloop-rig`.

/// `$wide`, a call of the AVX2 build of a loop (a `#[target_feature(enable = "avx2")]` copy of
/// its plain build, in the caller's `unsafe` block), when the processor has AVX2; `$plain`, the
/// plain build, otherwise. Both builds run the same operations in the same order (no fused
/// multiply-adds), so they give the same numbers; only the width of the vector instructions
/// differs.
#[macro_export]
macro_rules! avx2_or {
    ($wide:expr, $plain:expr $(,)?) => {{
        #[cfg(target_arch = "x86_64")]
        let result = if std::arch::is_x86_feature_detected!("avx2") {
            $wide
        } else {
            $plain
        };
        #[cfg(not(target_arch = "x86_64"))]
        let result = $plain;
        result
    }};
}

pub mod audit;
pub mod evaluate;

pub mod ledger;
pub mod noise;
pub mod optics;
pub mod rng;
pub mod stats;
pub mod sweep;

pub use evaluate::{Check, Evaluation, Incompatible, evaluate};
pub use ledger::{Category, Item, Ledger};
pub use lightloop_gpu::{GpuEvaluation, evaluate_gpu};
pub use lightloop_rig::work::{self, Work};
pub use noise::{NoiseBudget, NoiseParams, ReadoutPoint};

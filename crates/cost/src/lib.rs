//! # lightloop-cost
//!
//! Analytic models of an optical co-processor rig running a workload: the energy ledger
//! (every watt, DC loads included), throughput and latency derived from the architecture, the
//! noise budget of a readout, a GPU baseline, the audit of published claims, and parameter
//! sweeps (which, like Monte-Carlo counts, can be split into shards and merged). Everything
//! here is a pure function of the descriptions in `lightloop-rig`.

pub mod audit;
pub mod decision;
pub mod dispersion;
pub mod error;
pub mod evaluate;
pub mod impairments;
pub mod lane_gain;

pub mod ledger;
pub mod levels;
pub mod mode_multiplexing;
pub mod noise;
pub mod optics;
pub mod polarisation;
pub mod regeneration;
pub mod shard;
pub mod sweep;
pub mod verdict;

pub use error::CostError;
pub use evaluate::{Check, Evaluation, Incompatible, evaluate};
pub use ledger::{Category, Item, Ledger};
pub use lightloop_gpu::{GpuEvaluation, evaluate_gpu};
pub use lightloop_rig::work::{self, Work};
pub use noise::{NoiseBudget, NoiseParams, ReadoutPoint};

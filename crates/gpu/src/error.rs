//! What can go wrong placing a model on GPUs.

use thiserror::Error;

/// Why a workload cannot be served with a given split.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GpuError {
    /// The split does not divide the model (heads, KV heads, layers, experts) or the hardware.
    #[error("invalid split {split}: {reason}")]
    InvalidSplit { split: String, reason: String },
    /// Weights and the KV cache of one sequence do not fit the split's memory.
    #[error(
        "{split} does not fit: each GPU needs {needed_gb:.1} GB for weights and one sequence's KV cache, {usable_gb:.1} GB is usable"
    )]
    DoesNotFit {
        split: String,
        needed_gb: f64,
        usable_gb: f64,
    },
    /// No valid split up to the search's limit fits the model.
    #[error("no valid split of at most {max_gpus} GPUs holds the model")]
    NoSplitFits { max_gpus: u32 },
    /// A workload the serving model does not cover.
    #[error("{0}")]
    Unsupported(String),
}

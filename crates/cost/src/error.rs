//! What can go wrong in the cost model and its sweeps.

use crate::evaluate::Incompatible;
use std::path::PathBuf;
use thiserror::Error;

/// The cost crate's errors, for callers to match.
#[derive(Debug, Error)]
pub enum CostError {
    /// The rig and the workload cannot be evaluated together (each problem names its key).
    #[error("{0}")]
    Incompatible(#[from] Incompatible),
    /// A sweep specification that does not parse, or an axis no description knows.
    #[error("{0}")]
    Spec(String),
    /// A sweep's output could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The output already holds a finished sweep.
    #[error("{} already holds a finished sweep; pass --force to overwrite it", .0.display())]
    Exists(PathBuf),
    /// The output's partial file is not what this sweep wrote: a link, or a header that
    /// differs from the sweep's columns.
    #[error("{}: {why}; pass --force to discard it, or choose another output", path.display())]
    Tampered { path: PathBuf, why: String },
    /// The output's partial file belongs to another sweep.
    #[error("{} holds a partial run of a different sweep (other descriptions, axes or format); pass --force to discard it, or choose another output", .0.display())]
    Mismatch(PathBuf),
}

impl CostError {
    /// Whether the cause is the user's input rather than the machine (the file system).
    pub fn is_input(&self) -> bool {
        !matches!(self, CostError::Io { .. })
    }
}

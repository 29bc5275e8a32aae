//! What can go wrong building or running a network or reservoir.

use crate::datasets::DataError;
use thiserror::Error;

/// Why a model could not be built on a rig, or a task run or scored.
#[derive(Debug, Error)]
pub enum NnError {
    /// The rig cannot build this model (no SOA for the loop, an operating point the optics
    /// cannot reach, a gain the attenuator cannot give).
    #[error("{0}")]
    Incompatible(String),
    /// A setting out of its range (a task with too few codes, a density outside (0, 1]).
    #[error("{0}")]
    Setting(String),
    /// A task's data could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A computation failed (a readout no regularisation could fit, a tensor operation).
    #[error("{0}")]
    Numerical(String),
}

impl NnError {
    /// Whether the cause is the user's choice (rig, setting) rather than data or computation.
    pub fn is_input(&self) -> bool {
        matches!(self, NnError::Incompatible(_) | NnError::Setting(_))
    }
}

impl From<candle_core::Error> for NnError {
    fn from(e: candle_core::Error) -> Self {
        NnError::Numerical(format!("tensor computation: {e}"))
    }
}

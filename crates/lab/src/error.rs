//! What can go wrong running an experiment.

use lightloop_rig::InputErrors;
use thiserror::Error;

/// Why an experiment did not run to the end.
#[derive(Debug, Error)]
pub enum LabError {
    /// A rig or workload description has problems, with file, line and key.
    #[error("{0}")]
    Input(#[from] InputErrors),
    /// A configuration field out of its range or inconsistent with another.
    #[error("{field}: {message}")]
    Config {
        field: &'static str,
        message: String,
    },
    /// The rig and the experiment do not go together (a loop network on a rig without an SOA,
    /// a model too wide for the rig, ...).
    #[error("{0}")]
    Incompatible(String),
    /// A task's data or a model's files could not be read.
    #[error("{0}")]
    Data(String),
    /// A computation failed (a tensor operation, a singular fit, ...).
    #[error("{0}")]
    Numerical(String),
    /// A pretrained model could not be loaded or run.
    #[error(transparent)]
    Model(#[from] lightloop_models::Error),
}

impl LabError {
    /// A configuration error naming its field.
    pub fn config(field: &'static str, message: impl Into<String>) -> Self {
        LabError::Config {
            field,
            message: message.into(),
        }
    }

    /// Whether the cause is the user's input (a description, a configuration, an incompatible
    /// pair), as opposed to a failure of the computation.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            LabError::Input(_) | LabError::Config { .. } | LabError::Incompatible(_)
        )
    }
}

impl From<candle_core::Error> for LabError {
    fn from(e: candle_core::Error) -> Self {
        LabError::Numerical(format!("tensor computation: {e}"))
    }
}

impl From<lightloop_nn::NnError> for LabError {
    fn from(e: lightloop_nn::NnError) -> Self {
        use lightloop_nn::NnError;
        match e {
            NnError::Incompatible(m) | NnError::Setting(m) => LabError::Incompatible(m),
            NnError::Data(d) => LabError::Data(d.to_string()),
            NnError::Numerical(m) => LabError::Numerical(m),
        }
    }
}

impl From<lightloop_cost::Incompatible> for LabError {
    fn from(e: lightloop_cost::Incompatible) -> Self {
        LabError::Incompatible(e.to_string())
    }
}

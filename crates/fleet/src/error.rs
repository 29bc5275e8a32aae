//! What can go wrong sizing a fleet.

use lightloop_rig::InputErrors;
use thiserror::Error;

#[derive(Debug, Clone, Error)]
pub enum FleetError {
    /// A description (deployment, model, GPU or rig) has problems, with file, line and key.
    #[error("{0}")]
    Input(#[from] InputErrors),
    /// The deployment's model, changed to its precision and traffic, is not a valid workload.
    #[error("the deployment's model at its precision and lengths is not valid: {0}")]
    Model(String),
    /// A rig cannot run the model.
    #[error("{0}")]
    Incompatible(#[from] lightloop_cost::Incompatible),
}

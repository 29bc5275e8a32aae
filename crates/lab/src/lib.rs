//! # lightloop-lab
//!
//! The science of lightloop as functions of typed configurations, so that every front end (the
//! command line, the dashboard, Python, a distributed sweep) runs the same code:
//!
//! `Config` (with `Default`, and `validate` naming the bad field) → `run(&config, &rig,
//! progress)` → an outcome of serialisable rows, a summary, and plot specifications
//! ([`Plot`]) the front end draws and writes.
//!
//! - [`experiment`]: loop networks trained on the twin, one module per experiment.
//! - [`pareto`]: Pareto fronts of energy against error.
//! - [`pretrained`]: real pretrained transformers (SmolLM2, MiniLM) with their linear layers on
//!   the rig's twin, a SmolLM2 FFN rolled K times around the loop, and the simulation's speed.
//! - [`reservoir`]: reservoir computing on the rig: one model on one task, the benchmark suite
//!   with the models' dynamics, and the gain sweep.

pub mod error;
pub mod experiment;
pub mod pareto;
pub mod plot;
pub mod pretrained;
pub mod progress;
pub mod reservoir;

pub use error::LabError;
pub use plot::Plot;
pub use progress::Progress;

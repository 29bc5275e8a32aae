//! Networks on the optical twin: the data sets the tool ships, the benchmark tasks with their
//! exact definitions, and (as they land) reservoirs, readouts and trained loop models.

pub mod datasets;
pub mod dynamics;
pub mod error;
pub mod esn;
pub mod loopnet;
pub mod reservoir;
pub mod ridge;
mod sell16;
pub mod sensing;
pub mod suite;
pub mod tasks;

pub use error::NnError;

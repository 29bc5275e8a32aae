//! Networks on the optical twin: the data sets the tool ships, the benchmark tasks with their
//! exact definitions, and (as they land) reservoirs, readouts and trained loop models.

pub mod datasets;
pub mod esn;
pub mod ridge;
pub mod tasks;

//! # lightloop-twin
//!
//! Fast statistical models of the optical operations of a rig, for training and evaluating
//! networks: each operation's output is its ideal value plus noise whose variance comes from the
//! cost model's noise budget for the rig, and its energy and time come from the cost model.
//! Tests hold the twin's output statistics against the time-domain engine (`lightloop-physics`).
//! Random draws use streams keyed by (seed, purpose, row, call): same seed, same numbers, for
//! any thread count.

pub mod loop_step;
pub mod noise;
pub mod speed;
pub mod ternary_gemm;
pub mod vmm;

pub use loop_step::{LoopState, LoopTwin};
pub use noise::VmmNoise;
pub use vmm::{NoisyVmm, TernaryMatrix};

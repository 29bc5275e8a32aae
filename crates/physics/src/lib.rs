//! # lightloop-physics
//!
//! Time-domain simulation of a rig: every part as a stage that processes blocks of samples
//! (complex field plus incoherent background per channel), chains and the analog loop built from
//! the rig, and the bench instruments that measure what a lab would. Random draws come from
//! streams keyed by (seed, purpose, channel, trial), so results do not depend on thread count.

pub mod adc;
pub mod analog_loop;
pub mod ase;
pub mod chain;
pub mod clock;
pub mod comparator;
pub mod coupler;
pub mod drift;
pub mod edfa;
pub mod fastmath;
pub mod fibre;
pub mod filter;
pub mod gaussian;
pub mod instruments;
pub mod laser;
pub mod link;
pub mod modulator;
pub mod photodiode;
pub mod speed;

pub mod saturable_absorber;
pub mod selector;
pub mod signal;
pub mod soa;
mod speculative;
pub mod stage;
pub mod tia;
pub mod vmm;

pub use lightloop_base::rng;
pub use signal::{Clock, Light};
pub use stage::{ElectricalStage, Stage};

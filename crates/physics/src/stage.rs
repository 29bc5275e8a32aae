//! The stage traits: a component processes blocks of samples in place and reports its energy.

use crate::rng::Rng;
use crate::signal::Light;
use lightloop_cost::Ledger;

/// An optical component acting on one channel's light.
pub trait Stage: Send {
    /// Name of the part, for reports.
    fn name(&self) -> &'static str;
    /// Processes one block in place. State (gain, absorption, filters, delay lines) carries over
    /// to the next block.
    fn process(&mut self, light: &mut Light, rng: &mut Rng);
    /// Adds the energy used over `elapsed` seconds of operation to `ledger`: static power × time
    /// plus the per-event energy of what the stage has done so far.
    fn energy(&self, elapsed: f64, ledger: &mut Ledger);
}

/// An electrical component acting on one receiver's samples (current or voltage).
pub trait ElectricalStage: Send {
    fn name(&self) -> &'static str;
    fn process(&mut self, samples: &mut [f64], rng: &mut Rng);
    fn energy(&self, elapsed: f64, ledger: &mut Ledger);
}

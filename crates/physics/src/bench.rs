//! Throughput measurement of the reference chain (used by `lightloop bench`).

use crate::chain::{ReferenceChain, SimSettings};
use lightloop_rig::Rig;
use std::time::Instant;

/// Channel-samples per second of the reference chain of `rig` on the calling thread, all noise
/// on, measured over about `seconds` in blocks of `symbols` ternary symbols.
pub fn chain_samples_per_second(rig: &Rig, seconds: f64, symbols: usize) -> f64 {
    let sim = SimSettings::default();
    let mut chain = ReferenceChain::from_rig(rig, &sim, 0, 0);
    chain.set_received_power(50e-6);
    chain.calibrate(64);
    let pattern: Vec<i8> = (0..symbols)
        .map(|k| ((k * 7 + k / 3) % 3) as i8 - 1)
        .collect();
    let sps = chain.clock.samples_per_symbol;
    let start = Instant::now();
    let mut samples = 0usize;
    while start.elapsed().as_secs_f64() < seconds {
        let r = chain.readout(&pattern);
        std::hint::black_box(chain.decide(&r));
        samples += symbols * sps;
    }
    samples as f64 / start.elapsed().as_secs_f64()
}

//! Throughput measurement of the reference chain (used by `lightloop bench`).

use crate::chain::{PartTimes, ReferenceChain, SimSettings};
use lightloop_rig::Rig;
use std::time::Instant;

/// Channel-samples per second of the reference chain of `rig` on the calling thread, all noise
/// on, measured over about `seconds` in blocks of `symbols` ternary symbols.
pub fn chain_samples_per_second(rig: &Rig, seconds: f64, symbols: usize) -> f64 {
    let (samples, elapsed, _) = run(rig, seconds, symbols, false);
    samples as f64 / elapsed
}

/// Nanoseconds per channel-sample spent in each part of the same run as
/// [`chain_samples_per_second`] (timed part by part; see [`PartTimes`]).
pub fn chain_part_times(rig: &Rig, seconds: f64, symbols: usize) -> Vec<(&'static str, f64)> {
    let (samples, _, times) = run(rig, seconds, symbols, true);
    times
        .map(|t| t.parts)
        .unwrap_or_default()
        .into_iter()
        .map(|(part, s)| (part, s / samples as f64 * 1e9))
        .collect()
}

/// The benchmark's run: samples sent, seconds taken and, when `timing`, the time per part.
fn run(rig: &Rig, seconds: f64, symbols: usize, timing: bool) -> (usize, f64, Option<PartTimes>) {
    let sim = SimSettings::default();
    let mut chain = ReferenceChain::from_rig(rig, &sim, 0, 0);
    chain.set_received_power(50e-6);
    chain.calibrate(64);
    chain.time_parts(timing);
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
    let elapsed = start.elapsed().as_secs_f64();
    (samples, elapsed, chain.part_times().cloned())
}

//! Bit- and symbol-error rates of the reference chain versus received optical power and slot
//! time, counted over random ternary symbols, each with its Wilson interval, the eye it was
//! measured on, the Gaussian prediction from that eye, and the cost model's noise-budget bound.
//!
//! Each point is an independent run (its own random streams, keyed by the point's index), so a
//! sweep gives the same numbers whatever the thread count. The comparator's thresholds are
//! calibrated on a training block before counting, as the bench procedure would.

use super::count::{ErrorCount, count_errors, random_symbols};
use super::eye::Eye;
use crate::chain::{ReferenceChain, SimSettings};
use crate::rng::{Rng, stream};
use lightloop_cost::levels::LevelBudget;
use lightloop_cost::noise::NoiseParams;
use lightloop_rig::Rig;
use lightloop_rig::constants::photon_energy;
use lightloop_rig::rig::ReadoutKind;
use lightloop_rig::units::Time;
use rayon::prelude::*;
use serde::Serialize;

/// How much to count per point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CountSettings {
    /// Symbols counted per point.
    pub symbols: usize,
    /// Training symbols per level for threshold calibration.
    pub calibration: usize,
    /// Symbols per simulated block.
    pub block: usize,
}

impl Default for CountSettings {
    fn default() -> Self {
        Self {
            symbols: 200_000,
            calibration: 500,
            block: 8192,
        }
    }
}

/// One point of an error-rate curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BerPoint {
    /// Full-scale (+1 level) power at the photodiode, W.
    pub received_power_w: f64,
    pub received_power_dbm: f64,
    pub symbol_period_s: f64,
    /// Photons of the full-scale level per symbol at the photodiode.
    pub photons_per_symbol: f64,
    pub symbols: ErrorCount,
    /// Bit errors under the two-bit code of [`super::count::ternary_code`].
    pub bits: ErrorCount,
    pub eye: Eye,
    /// Symbol-error rate predicted from the measured eye (Gaussian noise per level) and the
    /// comparator's input noise and hysteresis ([`Eye::predicted_ser`]).
    pub ser_gaussian: f64,
    /// The cost model's ternary symbol-error rate at this power from the levels the SOA and
    /// absorber leave (their steady-state transfers), each level's own noise, thresholds midway
    /// between the levels and the chain's comparator (its input noise and hysteresis)
    /// ([`budget_ser`]); it leaves out the parts' inter-symbol interference.
    pub ser_noise_budget: f64,
}

/// Counts errors of `rig`'s chain at `received_power`, run `trial`.
pub fn measure(
    rig: &Rig,
    sim: &SimSettings,
    received_power: f64,
    count: &CountSettings,
    trial: u64,
) -> BerPoint {
    let mut chain = ReferenceChain::from_rig(rig, sim, 0, trial);
    chain.set_received_power(received_power);
    chain.calibrate(count.calibration);
    let mut rng = stream(sim.seed, "bench.symbols", 0, trial);
    let counted = count_symbols(
        &mut chain,
        &mut rng,
        count.symbols,
        count.block,
        |_, _, _, _| Ok::<(), std::convert::Infallible>(()),
    )
    .unwrap_or_else(|e| match e {});
    let eye = counted.eye;
    let period = rig.topology.symbol_period.si();
    BerPoint {
        received_power_w: received_power,
        received_power_dbm: 10.0 * (received_power / 1e-3).log10(),
        symbol_period_s: period,
        photons_per_symbol: received_power * period / photon_energy(rig.topology.wavelength.si()),
        symbols: counted.symbols,
        bits: counted.bits,
        ser_gaussian: eye.predicted_ser(chain.comparator.noise, chain.comparator.hysteresis),
        ser_noise_budget: budget_ser(rig, &chain),
        eye,
    }
}

/// What [`count_symbols`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Counted {
    pub symbols: ErrorCount,
    /// Bit errors under the two-bit code of [`super::count::ternary_code`].
    pub bits: ErrorCount,
    /// The eye of the first block.
    pub eye: Eye,
}

/// What one run of the reference chain measured: the counts with their intervals, the eye,
/// and the energy the chain's parts drew, as `simulate` reports them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measured {
    pub received_power_w: f64,
    pub symbol_period_s: f64,
    pub symbols: ErrorCount,
    pub bits: ErrorCount,
    pub eye: Eye,
    /// The symbol-error rate a Gaussian reading of the eye predicts with the comparator's noise
    /// and hysteresis.
    pub ser_gaussian_from_eye: f64,
    pub simulated_seconds: f64,
    pub ledger: Vec<super::plan::LedgerLine>,
    pub energy_per_symbol_j: f64,
}

impl Measured {
    /// The figures of `counted`, sent through `chain` at full-scale `power` (W) on `rig`.
    pub fn of(rig: &Rig, power: f64, chain: &ReferenceChain, counted: &Counted) -> Self {
        let ledger = chain.energy();
        let eye = counted.eye;
        Self {
            received_power_w: power,
            symbol_period_s: rig.topology.symbol_period.si(),
            symbols: counted.symbols,
            bits: counted.bits,
            ser_gaussian_from_eye: eye
                .predicted_ser(chain.comparator.noise, chain.comparator.hysteresis),
            eye,
            simulated_seconds: chain.elapsed(),
            energy_per_symbol_j: ledger.total() / counted.symbols.trials.max(1) as f64,
            ledger: super::plan::ledger_lines(&ledger),
        }
    }
}

/// The most samples per symbol a run may ask for: the chain holds a block of 8192 symbols of
/// samples in memory (several buffers of 8 bytes per sample), 64 MiB each at this limit.
pub const MAX_SAMPLES_PER_SYMBOL: usize = 1024;
/// The rate a run's time is estimated at before it starts, channel-samples per second on one
/// core (the reference chain runs at 2–3·10⁷ on the machines it is benchmarked on).
pub const ESTIMATED_RATE: f64 = 1e7;

/// Sends `n` (≥ 1) random symbols from `rng` through a calibrated `chain` in blocks of `block`,
/// counting symbol and bit errors; `each(first_index, sent, readout, decided)` sees every block
/// (to write a trace) and may stop the run with its error.
pub fn count_symbols<E>(
    chain: &mut ReferenceChain,
    rng: &mut Rng,
    n: usize,
    block: usize,
    mut each: impl FnMut(usize, &[i8], &[f64], &[i8]) -> Result<(), E>,
) -> Result<Counted, E> {
    let (mut sym_err, mut bit_err, mut sent) = (0u64, 0u64, 0usize);
    let mut eye = None;
    while sent < n.max(1) {
        let k = block.min(n.max(1) - sent).max(1);
        let symbols = random_symbols(k, rng);
        let r = chain.readout(&symbols);
        let d = chain.decide(&r);
        let (s, b) = count_errors(&symbols, &d);
        sym_err += s;
        bit_err += b;
        eye.get_or_insert_with(|| Eye::measure(&r, &symbols, chain.comparator.thresholds));
        each(sent, &symbols, &r, &d)?;
        sent += k;
    }
    Ok(Counted {
        symbols: ErrorCount::new(sym_err, sent as u64),
        bits: ErrorCount::new(bit_err, 2 * sent as u64),
        eye: eye.expect("at least one block is sent"),
    })
}

/// The noise budget's ternary SER at the chain's operating point, from the levels the chain's
/// SOA and absorber leave ([`ReferenceChain::steady_levels`], the cost model's
/// [`LevelBudget`]): each level's own noise, thresholds midway between the levels as the
/// calibration puts them, the comparator's noise and hysteresis.
pub fn budget_ser(rig: &Rig, chain: &ReferenceChain) -> f64 {
    level_budget(rig, chain).ser()
}

/// The cost model's [`LevelBudget`] of the chain as it is set: its steady-state levels at the
/// photodiode, read over one symbol by the comparator (the chain decides with the comparator,
/// whatever the rig's own readout), one amplified pass when it has an SOA.
pub fn level_budget(rig: &Rig, chain: &ReferenceChain) -> LevelBudget {
    let params = NoiseParams::for_readout(rig, ReadoutKind::Comparator);
    LevelBudget::at(
        &params,
        chain.steady_levels(),
        rig.topology.symbol_period.si(),
        if chain.soa.is_some() { 1.0 } else { 0.0 },
    )
}

/// Error rates versus received power (W), one independent run per point, in parallel.
pub fn versus_power(
    rig: &Rig,
    sim: &SimSettings,
    powers: &[f64],
    count: &CountSettings,
) -> Vec<BerPoint> {
    powers
        .par_iter()
        .enumerate()
        .map(|(i, p)| measure(rig, sim, *p, count, i as u64))
        .collect()
}

/// Error rates versus slot time (s) at a fixed received power: shorter slots collect fewer
/// photons and see more inter-symbol interference from the modulator, amplifier and receiver.
pub fn versus_slot_time(
    rig: &Rig,
    sim: &SimSettings,
    periods: &[f64],
    received_power: f64,
    count: &CountSettings,
) -> Vec<BerPoint> {
    periods
        .par_iter()
        .enumerate()
        .map(|(i, t)| slot_time_point(rig, sim, *t, received_power, count, i))
        .collect()
}

/// Point `index` of [`versus_slot_time`]: the error rate at slot time `period` (s), its own
/// run (trial 1000 + index).
pub fn slot_time_point(
    rig: &Rig,
    sim: &SimSettings,
    period: f64,
    received_power: f64,
    count: &CountSettings,
    index: usize,
) -> BerPoint {
    let mut r = rig.clone();
    r.topology.symbol_period = Time::new(period);
    measure(&r, sim, received_power, count, 1000 + index as u64)
}

//! Faults and graceful degradation on the multi-channel link: a dead channel, a hot channel and a
//! stuck TDM selector (see [`crate::link::Fault`]).
//!
//! The procedure a bench would follow: calibrate the healthy link, inject the fault, count errors
//! per channel (what operation sees before anyone notices), re-calibrate, flag every channel
//! whose pilot eye has closed (margin < `flag_margin` σ: its levels cannot be told apart) and
//! count again. Degradation is graceful when the channels left in service keep their error rate:
//! the summary gives the healthy channels' rate before and after beside the fault-free baseline.

use super::count::{ErrorCount, count_errors, random_symbols};
use super::eye::Eye;
use crate::chain::SimSettings;
use crate::link::{Fault, Link};
use crate::rng::stream;
use lightloop_rig::Rig;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FaultSettings {
    pub channels: usize,
    pub received_power: f64,
    pub symbols: usize,
    pub calibration: usize,
    /// Channels whose eye margin after re-calibration is below this many σ are taken out.
    pub flag_margin: f64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            channels: 8,
            received_power: 1e-5,
            symbols: 20_000,
            calibration: 200,
            flag_margin: 1.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultOutcome {
    /// "none" for the fault-free baseline.
    pub fault: String,
    /// Per-channel errors right after the fault, thresholds as calibrated before it.
    pub before_recalibration: Vec<ErrorCount>,
    /// Per-channel errors after re-calibration.
    pub after_recalibration: Vec<ErrorCount>,
    /// Pilot eye margin per channel after re-calibration, σ.
    pub margins: Vec<f64>,
    /// Channels taken out of service.
    pub flagged: Vec<usize>,
    /// Errors of the channels kept in service, after re-calibration.
    pub in_service: ErrorCount,
    /// Fraction of the link's width still in service.
    pub capacity: f64,
}

fn count(link: &mut Link, blocks: &[Vec<i8>]) -> Vec<ErrorCount> {
    let r = link.readout(blocks);
    let d = link.decide(&r);
    blocks
        .iter()
        .zip(&d)
        .map(|(b, d)| ErrorCount::new(count_errors(b, d).0, b.len() as u64))
        .collect()
}

/// Runs the procedure for `fault` (`None`: the baseline). Every run uses the same streams.
pub fn run(rig: &Rig, sim: &SimSettings, s: &FaultSettings, fault: Option<Fault>) -> FaultOutcome {
    let mut link = Link::from_rig(rig, sim, s.channels, 0);
    link.set_received_power(s.received_power);
    link.calibrate(s.calibration);
    if let Some(f) = fault {
        link.inject(f);
    }
    let mut rng = stream(sim.seed, "bench.faults", 0, 0);
    let mut blocks = || -> Vec<Vec<i8>> {
        (0..s.channels)
            .map(|_| random_symbols(s.symbols, &mut rng))
            .collect()
    };
    let before = count(&mut link, &blocks());
    link.calibrate(s.calibration);
    // Pilot eye per channel, thresholds as now calibrated.
    let pilot_blocks = link.training_blocks(s.calibration);
    let pr = link.readout(&pilot_blocks);
    let margins: Vec<f64> = pr
        .iter()
        .zip(&pilot_blocks)
        .zip(&link.chains)
        .map(|((r, b), c)| {
            let m = Eye::measure(r, b, c.comparator.thresholds).margin_sigma;
            if m.is_nan() { f64::NEG_INFINITY } else { m }
        })
        .collect();
    let flagged: Vec<usize> = (0..s.channels)
        .filter(|c| margins[*c] < s.flag_margin)
        .collect();
    let after = count(&mut link, &blocks());
    let in_service = after
        .iter()
        .enumerate()
        .filter(|(c, _)| !flagged.contains(c))
        .fold(ErrorCount::new(0, 0), |acc, (_, e)| acc.plus(e));
    FaultOutcome {
        fault: fault.map(|f| f.label()).unwrap_or_else(|| "none".into()),
        before_recalibration: before,
        after_recalibration: after,
        margins,
        capacity: 1.0 - flagged.len() as f64 / s.channels as f64,
        flagged,
        in_service,
    }
}

/// The standard fault set on channel `c` of `rig`: dead, hot (×4 power), stuck selector
/// (frames of the rig's slots per channel).
pub fn standard_faults(rig: &Rig, c: usize) -> Vec<Fault> {
    vec![
        Fault::Dead { channel: c },
        Fault::Hot {
            channel: c,
            factor: 4.0,
        },
        Fault::StuckSelector {
            channel: c,
            frame: rig.topology.slots_per_channel.max(2) as usize,
        },
    ]
}

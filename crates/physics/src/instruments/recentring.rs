//! Threshold re-centring under drift: a policy (never, every N frames, or when the measured
//! margin falls below x σ), what it buys in errors and what it costs in time and energy, and a
//! cold start from mis-biased thresholds.
//!
//! Each frame sends a block of random symbols and a short pilot block of known symbols, from
//! which the receiver measures its eye margin (as a real link would from pilot symbols). Between
//! frames the rig idles for `frame_interval`, during which the drift (a random walk of the
//! temperature, moving gain and receiver offset; see [`crate::drift`]) advances. A re-centring
//! re-runs the threshold calibration; it takes the rig's `calibration.duration` of down time and
//! draws `calibration.power` meanwhile. Duty = calibrations × duration ÷ (operating time).

use super::count::{ErrorCount, count_errors, random_symbols};
use super::eye::Eye;
use crate::chain::{ReferenceChain, SimSettings, training_pattern};
use crate::rng::stream;
use lightloop_rig::Rig;
use rayon::prelude::*;
use serde::Serialize;

/// When to re-centre.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "policy", rename_all = "kebab-case")]
pub enum Policy {
    Never,
    EveryFrames { frames: usize },
    MarginBelow { sigma: f64 },
}

impl Policy {
    pub fn label(&self) -> String {
        match self {
            Policy::Never => "never".into(),
            Policy::EveryFrames { frames } => format!("every {frames} frames"),
            Policy::MarginBelow { sigma } => format!("when margin < {sigma} σ"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RecentringSettings {
    pub frames: usize,
    pub frame_symbols: usize,
    /// Known pilot symbols per level in each frame.
    pub pilots: usize,
    /// Idle time between frames, s (drift advances over it).
    pub frame_interval: f64,
    pub received_power: f64,
    /// Threshold offset at a cold start, as a fraction of the level spacing (0 = calibrated).
    pub cold_offset: f64,
}

impl Default for RecentringSettings {
    fn default() -> Self {
        Self {
            frames: 400,
            frame_symbols: 2048,
            pilots: 32,
            frame_interval: 600.0,
            received_power: 1e-5,
            cold_offset: 0.0,
        }
    }
}

/// The outcome of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyOutcome {
    pub policy: Policy,
    pub label: String,
    pub symbols: ErrorCount,
    pub calibrations: usize,
    /// Share of time spent re-centring.
    pub duty: f64,
    /// Energy of the re-centrings, J.
    pub calibration_energy: f64,
    /// Smallest margin seen on the pilots, σ.
    pub worst_margin_sigma: f64,
    /// First frame from which errors stay at or below the target rate for the rest of the run
    /// (None: never).
    pub frames_to_lock: Option<usize>,
    /// Errors per frame, for plots.
    #[serde(skip)]
    pub errors_per_frame: Vec<u64>,
    /// Temperature excursion at the end of the run, K.
    pub final_delta_t: f64,
}

/// Runs `policy` on `rig`'s chain. The same seed gives every policy the same drift and noise, so
/// outcomes differ only by the policy.
pub fn run(
    rig: &Rig,
    sim: &SimSettings,
    s: &RecentringSettings,
    policy: Policy,
    target_ser: f64,
) -> PolicyOutcome {
    let mut chain = ReferenceChain::from_rig(rig, sim, 0, 0);
    chain.set_received_power(s.received_power);
    let means = chain.calibrate(200);
    if s.cold_offset != 0.0 {
        let shift = s.cold_offset * (means[2] - means[0]) / 2.0;
        let (t1, t2) = chain.comparator.thresholds;
        chain.comparator.thresholds = (t1 + shift, t2 + shift);
    }
    let mut rng = stream(sim.seed, "bench.recentring", 0, 0);
    let pilots = training_pattern(s.pilots);
    let (mut errors, mut sent, mut calibrations) = (0u64, 0u64, 0usize);
    let mut worst = f64::INFINITY;
    let mut per_frame = Vec::with_capacity(s.frames);
    let cal_time = rig.calibration.duration.si();
    for f in 0..s.frames {
        let symbols = random_symbols(s.frame_symbols, &mut rng);
        let r = chain.readout(&symbols);
        let d = chain.decide(&r);
        let (e, _) = count_errors(&symbols, &d);
        errors += e;
        sent += symbols.len() as u64;
        per_frame.push(e);
        let pr = chain.readout(&pilots);
        let margin = Eye::measure(&pr, &pilots, chain.comparator.thresholds).margin_sigma;
        worst = worst.min(margin);
        let recentre = match policy {
            Policy::Never => false,
            Policy::EveryFrames { frames } => (f + 1) % frames.max(1) == 0,
            Policy::MarginBelow { sigma } => margin < sigma,
        };
        if recentre {
            chain.calibrate(s.pilots.max(64));
            calibrations += 1;
        }
        chain.idle(s.frame_interval);
    }
    let target_errors = target_ser * s.frame_symbols as f64;
    let frames_to_lock =
        (0..=per_frame.len()).find(|k| per_frame[*k..].iter().all(|e| *e as f64 <= target_errors));
    let operating = s.frames as f64 * s.frame_interval;
    PolicyOutcome {
        policy,
        label: policy.label(),
        symbols: ErrorCount::new(errors, sent),
        calibrations,
        duty: calibrations as f64 * cal_time / (operating + calibrations as f64 * cal_time),
        calibration_energy: calibrations as f64 * cal_time * rig.calibration.power.si(),
        worst_margin_sigma: worst,
        frames_to_lock: frames_to_lock.filter(|k| *k < per_frame.len()),
        errors_per_frame: per_frame,
        final_delta_t: chain.drift.delta_t,
    }
}

/// Every policy of `policies`, in parallel (each its own run with the same streams).
pub fn compare(
    rig: &Rig,
    sim: &SimSettings,
    s: &RecentringSettings,
    policies: &[Policy],
    target_ser: f64,
) -> Vec<PolicyOutcome> {
    policies
        .par_iter()
        .map(|p| run(rig, sim, s, *p, target_ser))
        .collect()
}

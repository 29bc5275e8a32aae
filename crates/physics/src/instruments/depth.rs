//! How deep the analog loop can run: SNR of the state per pass, the rate at which its ternary
//! decisions flip under noise per pass, and the energy of one useful update — measured by
//! Monte-Carlo runs of [`AnalogLoop`] on the rig.
//!
//! Each trial enters the same vector, runs the loop and reads every value after every pass
//! (homodyne monitor tap). Per pass n and value k the trials give a mean m̄ₙₖ and variance vₙₖ;
//! the state's SNR is Σₖ m̄ₙₖ² / Σₖ vₙₖ. Its 95 % interval treats Σₖ vₙₖ as a χ² estimate with
//! d·(trials − 1) degrees of freedom in the normal approximation, relative half-width
//! 1.96·√(2/(d·(trials − 1))) — approximate, as the values' variances differ.
//!
//! A decision error at pass n is a ternary decision (thresholds ±½·rms of the means) that
//! differs from the decision on the noise-averaged value m̄ₙₖ: it counts what noise does to the
//! loop's ternary state, not whether the network's function is right.

use super::count::ErrorCount;
use crate::adc::Adc;
use crate::analog_loop::{AnalogLoop, Instability, Mixing};
use crate::chain::SimSettings;
use crate::laser::Laser;
use crate::modulator::Modulator;
use crate::rng::stream;
use crate::signal::{Clock, Light};
use crate::soa::Soa;
use crate::stage::Stage;
use lightloop_base::stats::Z95;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;
use rayon::prelude::*;
use serde::Serialize;

/// The loop experiment's size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DepthSettings {
    pub channels: usize,
    pub slots: usize,
    pub passes: usize,
    pub trials: usize,
    /// Fraction of nonzero weights in the mixing matrix.
    pub density: f64,
    /// Local-oscillator power of the homodyne readout, W.
    pub lo_power: f64,
}

impl Default for DepthSettings {
    fn default() -> Self {
        Self {
            channels: 4,
            slots: 8,
            passes: 64,
            trials: 400,
            density: 0.3,
            lo_power: 1e-3,
        }
    }
}

/// One pass of the depth curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PassPoint {
    pub pass: usize,
    pub snr: f64,
    pub snr_db: f64,
    pub snr_db_low: f64,
    pub snr_db_high: f64,
    pub decisions: ErrorCount,
}

/// The loop's depth curve and its energy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthCurve {
    pub settings: DepthSettings,
    pub points: Vec<PassPoint>,
    /// Why some trial stopped early, if one did (the curve then ends at the last full pass).
    pub instability: Option<Instability>,
    /// Last pass whose SNR is at or above the rig's readout target SNR (None: not even the first).
    pub passes_to_target: Option<usize>,
    pub target_snr_db: f64,
    pub energy: UpdateEnergy,
}

/// Energy of a loop run of one vector: entry (DAC and modulator), passes (amplifiers, laser and
/// every static load over the loop's time), exit (ADC), per useful update.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UpdateEnergy {
    #[serde(skip)]
    pub ledger: Ledger,
    /// Wall-plug joules of one run (entry, all passes, exit).
    pub joules_per_run: f64,
    /// MAC-equivalents of one run: passes × d² (one d × d product per pass).
    pub mac_equivalents: f64,
    pub joules_per_mac: f64,
    pub joules_per_pass: f64,
    /// Share of the run's energy that is static power × time.
    pub static_share: f64,
}

/// Runs the depth experiment on `rig`.
pub fn measure(rig: &Rig, sim: &SimSettings, s: &DepthSettings) -> DepthCurve {
    let d = s.channels * s.slots;
    let mixing = Mixing::random(d, s.density, sim.seed);
    let x: Vec<f64> = {
        let mut rng = stream(sim.seed, "bench.loop-input", 0, 0);
        (0..d)
            .map(|_| 2.0 * crate::rng::uniform(&mut rng) - 1.0)
            .collect()
    };
    // Trials in parallel chunks; each trial's streams are keyed by its index.
    let chunk = s
        .trials
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let runs: Vec<(Vec<Vec<f64>>, Option<Instability>, f64)> = (0..s.trials)
        .collect::<Vec<_>>()
        .par_chunks(chunk)
        .flat_map_iter(|ts| {
            let mut l = AnalogLoop::from_rig(
                rig,
                mixing.clone(),
                s.channels,
                s.slots,
                s.lo_power,
                sim.seed,
                0,
            );
            ts.iter()
                .map(|t| {
                    l.reset(rig, sim.seed, *t as u64);
                    let (r, e) = l.run(&x, s.passes);
                    (r, e, l.elapsed())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let instability = runs.iter().find_map(|r| r.1);
    let full = runs.iter().map(|r| r.0.len()).min().unwrap_or(0);
    let mut points = Vec::with_capacity(full);
    for n in 0..full {
        let mut signal = 0.0;
        let mut noise = 0.0;
        let mut means = vec![0.0; d];
        for (k, m) in means.iter_mut().enumerate() {
            let v: Vec<f64> = runs.iter().map(|r| r.0[n][k]).collect();
            let (mean, var) = mean_var(&v);
            *m = mean;
            signal += mean * mean;
            noise += var;
        }
        let rms = (signal / d as f64).sqrt();
        let t = 0.5 * rms;
        let decide = |v: f64| {
            if v > t {
                1
            } else if v < -t {
                -1
            } else {
                0
            }
        };
        let errors = runs
            .iter()
            .map(|r| {
                (0..d)
                    .filter(|k| decide(r.0[n][*k]) != decide(means[*k]))
                    .count() as u64
            })
            .sum();
        let snr = signal / noise;
        let rel = Z95 * (2.0 / (d as f64 * (runs.len() as f64 - 1.0).max(1.0))).sqrt();
        points.push(PassPoint {
            pass: n + 1,
            snr,
            snr_db: db(snr),
            snr_db_low: db(snr / (1.0 + rel)),
            snr_db_high: db(snr / (1.0 - rel).max(1e-9)),
            decisions: ErrorCount::new(errors, (runs.len() * d) as u64),
        });
    }
    let target_snr_db = rig.readout.target_snr.db();
    let passes_to_target = points
        .iter()
        .take_while(|p| p.snr_db >= target_snr_db)
        .last()
        .map(|p| p.pass);
    let elapsed = runs.first().map(|r| r.2).unwrap_or(0.0);
    let energy = update_energy(rig, &mixing, s, full, elapsed);
    DepthCurve {
        settings: *s,
        points,
        instability,
        passes_to_target,
        target_snr_db,
        energy,
    }
}

/// The ledger of one run of `passes` passes lasting `elapsed` seconds, filled by the stages
/// that do the work: the modulator (with its DAC) for the entry, the loop's SOAs, one laser
/// (the loop is coherent: one source feeds every slot), the ADC for the exit, and the rig's
/// control, cooling and clock loads over the run's time.
fn update_energy(
    rig: &Rig,
    mixing: &Mixing,
    s: &DepthSettings,
    passes: usize,
    elapsed: f64,
) -> UpdateEnergy {
    let d = mixing.d;
    let clock = Clock::new(rig.topology.symbol_period.si(), 1);
    let mut ledger = Ledger::default();
    let mut rng = stream(0, "bench.energy", 0, 0);
    let mut m = Modulator::from_rig(rig, &clock);
    m.set_symbols(&vec![0.5; d]);
    m.process(&mut Light::dark(d), &mut rng);
    let entry = s.slots as f64 * rig.topology.symbol_period.si();
    let total_time = elapsed + entry;
    m.energy(total_time, &mut ledger);
    for _ in 0..s.channels {
        if let Some(soa) = Soa::from_rig(rig, &clock) {
            soa.energy(total_time, &mut ledger);
        }
    }
    Laser::from_rig(rig, &clock).energy(total_time, &mut ledger);
    let mut adc = Adc::from_rig(rig, 1.0);
    (0..d).for_each(|_| {
        adc.convert(0.5, &mut rng);
    });
    adc.energy(total_time, &mut ledger);
    ledger.add(Item::Cooling, rig.control.tec_power.si() * total_time);
    ledger.add(
        Item::ControlElectronics,
        rig.control.electronics_power.si() * total_time,
    );
    ledger.add(
        Item::ChannelControl,
        rig.control.per_channel_power.si() * s.channels as f64 * total_time,
    );
    ledger.add(Item::Clock, rig.clock.power.si() * total_time);
    let joules = ledger.total();
    let macs = (passes * d * d) as f64;
    UpdateEnergy {
        ledger,
        joules_per_run: joules,
        mac_equivalents: macs,
        joules_per_mac: joules / macs.max(1.0),
        joules_per_pass: joules / passes.max(1) as f64,
        static_share: ledger.static_total() / joules,
    }
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0),
    )
}

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

//! The whole bench test plan on one rig: every instrument of this module, sized by
//! [`PlanSettings`] (a quick and a full size), with the settings, the seed and the
//! simplifications recorded next to the results.

use super::ber::{self, BerPoint, CountSettings};
use super::crosstalk::{self, CrosstalkMatrix};
use super::depth::{self, DepthCurve, DepthSettings};
use super::faults::{self, FaultOutcome, FaultSettings};
use super::recentring::{self, Policy, PolicyOutcome, RecentringSettings};
use super::return_map::{self, ReturnMap};
use crate::chain::SimSettings;
use lightloop_cost::Ledger;
use lightloop_rig::Rig;
use serde::Serialize;

/// Sizes of every experiment of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSettings {
    pub sim: SimSettings,
    /// Received full-scale powers of the error-rate curve, W.
    pub powers: Vec<f64>,
    pub count: CountSettings,
    /// Slot times of the slot-time curve, s, at `slot_power`.
    pub slot_times: Vec<f64>,
    pub slot_power: f64,
    pub depth: DepthSettings,
    /// (slots, passes, trials) of the return map's noisy runs.
    pub return_runs: (usize, usize, usize),
    pub crosstalk_channels: usize,
    pub recentring: RecentringSettings,
    pub faults: FaultSettings,
    /// Symbol-error rate a link must keep (lock criterion of the cold start).
    pub target_ser: f64,
}

/// `n` powers from `lo` to `hi` W, evenly spaced in dB.
pub fn log_space(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo * (hi / lo).powf(i as f64 / (n - 1).max(1) as f64))
        .collect()
}

impl PlanSettings {
    /// The full plan (about fifteen seconds on two cores for the seed rig).
    pub fn full(seed: u64) -> Self {
        Self {
            sim: SimSettings {
                seed,
                ..SimSettings::default()
            },
            powers: log_space(1e-7, 1e-4, 13),
            count: CountSettings::default(),
            slot_times: vec![0.1e-9, 0.2e-9, 0.5e-9, 1e-9, 2e-9, 6e-9, 20e-9],
            slot_power: 1e-5,
            depth: DepthSettings::default(),
            return_runs: (64, 32, 16),
            crosstalk_channels: 8,
            recentring: RecentringSettings {
                received_power: 1e-5,
                frame_interval: 600.0,
                ..RecentringSettings::default()
            },
            faults: FaultSettings {
                received_power: 1e-5,
                ..FaultSettings::default()
            },
            target_ser: 1e-3,
        }
    }

    /// A quick look: fewer points and symbols (about two seconds).
    pub fn quick(seed: u64) -> Self {
        let full = Self::full(seed);
        Self {
            powers: log_space(1e-7, 1e-4, 7),
            count: CountSettings {
                symbols: 20_000,
                ..full.count
            },
            slot_times: vec![0.2e-9, 1e-9, 6e-9],
            depth: DepthSettings {
                passes: 24,
                trials: 120,
                ..full.depth
            },
            return_runs: (32, 16, 4),
            crosstalk_channels: 4,
            recentring: RecentringSettings {
                frames: 100,
                frame_symbols: 1024,
                ..full.recentring
            },
            faults: FaultSettings {
                channels: 4,
                symbols: 4000,
                ..full.faults
            },
            ..full
        }
    }
}

/// One line of an energy ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerLine {
    pub category: &'static str,
    pub item: &'static str,
    pub joules: f64,
}

/// The lines of a ledger with non-zero entries.
pub fn ledger_lines(l: &Ledger) -> Vec<LedgerLine> {
    l.entries()
        .map(|(i, j)| LedgerLine {
            category: i.category().label(),
            item: i.label(),
            joules: j,
        })
        .collect()
}

/// Everything the plan measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestPlan {
    pub rig: String,
    pub seed: u64,
    pub settings: PlanSettings,
    pub ber_vs_power: Vec<BerPoint>,
    pub ber_vs_slot_time: Vec<BerPoint>,
    /// The loop experiments need a loop amplifier: `None` for a rig without an SOA.
    pub depth: Option<DepthCurve>,
    /// The ledger of one loop run (entry, passes, exit) of the depth experiment.
    pub loop_ledger: Vec<LedgerLine>,
    pub return_map: Option<ReturnMap>,
    pub crosstalk: CrosstalkMatrix,
    pub recentring: Vec<PolicyOutcome>,
    pub cold_start: Vec<PolicyOutcome>,
    pub faults: Vec<FaultOutcome>,
    /// Simplifications behind the numbers.
    pub notes: Vec<&'static str>,
}

/// The plan's steps, for progress reporting.
pub const STEPS: [&str; 7] = [
    "error rate vs received power",
    "error rate vs slot time",
    "SNR and decisions vs loop depth",
    "return map",
    "crosstalk matrix",
    "re-centring and cold start",
    "faults",
];

/// Runs the plan; `progress(step)` is called before each step of [`STEPS`].
pub fn run(rig: &Rig, s: &PlanSettings, progress: &mut dyn FnMut(usize)) -> TestPlan {
    let sim = &s.sim;
    progress(0);
    let ber_vs_power = ber::versus_power(rig, sim, &s.powers, &s.count);
    progress(1);
    let ber_vs_slot_time = ber::versus_slot_time(rig, sim, &s.slot_times, s.slot_power, &s.count);
    progress(2);
    // No more lanes than the rig has.
    let lanes = |n: usize| n.min(rig.topology.channels.max(1) as usize);
    let has_loop = rig.soa.is_some();
    let ds = DepthSettings {
        channels: lanes(s.depth.channels),
        ..s.depth
    };
    let depth = has_loop.then(|| depth::measure(rig, sim, &ds));
    progress(3);
    let return_map = has_loop.then(|| return_map::measure(rig, sim, 2.0, 201, s.return_runs));
    progress(4);
    let crosstalk = crosstalk::measure(rig, sim, lanes(s.crosstalk_channels), s.slot_power, 4096);
    progress(5);
    let policies = [
        Policy::Never,
        Policy::EveryFrames { frames: 20 },
        Policy::MarginBelow { sigma: 3.0 },
    ];
    let recentring = recentring::compare(rig, sim, &s.recentring, &policies, s.target_ser);
    let cold = RecentringSettings {
        cold_offset: 0.6,
        ..s.recentring
    };
    let cold_start = recentring::compare(rig, sim, &cold, &policies, s.target_ser);
    progress(6);
    let fs = FaultSettings {
        channels: lanes(s.faults.channels),
        ..s.faults
    };
    let mut faults = vec![faults::run(rig, sim, &fs, None)];
    let victim = fs.channels / 2;
    faults.extend(
        faults::standard_faults(rig, victim)
            .into_iter()
            .map(|f| faults::run(rig, sim, &fs, Some(f))),
    );
    TestPlan {
        rig: rig.rig.name.clone(),
        seed: sim.seed,
        settings: s.clone(),
        ber_vs_power,
        ber_vs_slot_time,
        loop_ledger: depth
            .as_ref()
            .map(|d| ledger_lines(&d.energy.ledger))
            .unwrap_or_default(),
        depth,
        return_map,
        crosstalk,
        recentring,
        cold_start,
        faults,
        notes: vec![
            "Error rates are counted on the time-domain reference chain of one channel (laser → modulator → path → SOA → absorber → photodiode → TIA → comparator), thresholds calibrated on a training block.",
            "\"SER from eye\" predicts the count from the measured levels and the comparator's input noise and hysteresis (a Markov chain over the previous decision); \"budget\" is the cost model's analytic SER for the same comparator (its input noise and hysteresis, equally spaced levels, midpoint thresholds), which misses the compression of the top level by the SOA and absorber: it is optimistic where that compression eats the margin.",
            "Loop depth: a coherent loop of channels × slots values with a random ternary mixing mesh, state power held by the trim; monitor readouts by homodyne detection; mixing is applied at once per pass and mesh crosstalk is not modelled.",
            "The return map uses the absorber's and SOA's steady-state transfers (slots long against their recovery times).",
            "Crosstalk is nearest-neighbour at the rig's stated level; drift is a temperature random walk with typical coefficients, not datasheet figures.",
        ],
    }
}

//! The whole bench test plan on one rig: every instrument of this module, sized by
//! [`PlanSettings`] (a quick and a full size), with the settings, the seed and the
//! simplifications recorded next to the results.

use super::ber::{self, BerPoint, CountSettings};
use super::crosstalk::{self, CrosstalkMatrix};
use super::depth::{self, DepthCurve, DepthSettings};
use super::faults::{self, FaultOutcome, FaultSettings};
use super::rare::{self, RareEstimate, RareSettings};
use super::recentring::{self, Policy, PolicyOutcome, RecentringSettings};
use super::return_map::{self, ReturnMap};
use crate::chain::SimSettings;
use lightloop_cost::Ledger;
use lightloop_cost::shard::{MergedRows, RowShard, Shard, ShardHeader, ShardKind, run_id};
use lightloop_rig::Rig;
use rayon::prelude::*;
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
    /// When set, the error rates versus power are estimated once more with this estimator
    /// ([`rare`]; importance sampling reaches rates the count cannot), at the same powers on
    /// chains calibrated as the count's. `None` in [`PlanSettings::full`] and
    /// [`PlanSettings::quick`].
    pub rare: Option<RareSettings>,
}

/// One point of the error rate versus power by a [`rare`] estimator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RarePoint {
    pub received_power_w: f64,
    pub received_power_dbm: f64,
    #[serde(flatten)]
    pub estimate: RareEstimate,
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
            rare: None,
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
    /// The same powers by [`PlanSettings::rare`]'s estimator (empty when it is not set).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ser_vs_power_rare: Vec<RarePoint>,
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

/// Simplifications behind the plan's numbers.
pub const NOTES: [&str; 5] = [
    "Error rates are counted on the time-domain reference chain of one channel (laser → modulator → path → SOA → absorber → photodiode → TIA → comparator), thresholds calibrated on a training block.",
    "\"SER from eye\" predicts the count from the measured levels and the comparator's input noise and hysteresis (a Markov chain over the previous decision); \"budget\" is the cost model's analytic SER for the same comparator (its input noise and hysteresis) from the levels the SOA's gain saturation and the absorber leave (their steady-state transfers, the functions the chain sets its power with), each level's own noise, thresholds midway between the levels; the inter-symbol interference of the parts' dynamics is left out.",
    "Loop depth: a coherent loop of channels × slots values with a random ternary mixing mesh, state power held by the trim; monitor readouts by homodyne detection; mixing is applied at once per pass and mesh crosstalk is not modelled.",
    "The return map uses the absorber's and SOA's steady-state transfers (slots long against their recovery times).",
    "Crosstalk is nearest-neighbour at the rig's stated level; drift is a temperature random walk with typical coefficients, not datasheet figures.",
];

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

/// One independent measurement of the plan, the unit a shard of the plan runs: a point of one
/// of the error-rate curves, or one whole instrument. What an item measures depends only on
/// the rig, the settings and the item (each has its own random streams), so the plan put
/// together from items run anywhere is the plan run in one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// Point `i` of the error rate against received power.
    Power(usize),
    /// Point `i` of the error rate against slot time.
    SlotTime(usize),
    Depth,
    ReturnMap,
    Crosstalk,
    /// Re-centring policies, and the cold start.
    Recentring,
    Faults,
}

/// The items of the plan, in order: the points of the two curves, then the instruments.
pub fn items(s: &PlanSettings) -> Vec<Item> {
    (0..s.powers.len())
        .map(Item::Power)
        .chain((0..s.slot_times.len()).map(Item::SlotTime))
        .chain([
            Item::Depth,
            Item::ReturnMap,
            Item::Crosstalk,
            Item::Recentring,
            Item::Faults,
        ])
        .collect()
}

/// What one [`Item`] measured: the fields of [`TestPlan`] it fills, under their names (a
/// curve's point is appended to its curve).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Part {
    Power {
        ber_vs_power: BerPoint,
    },
    SlotTime {
        ber_vs_slot_time: BerPoint,
    },
    Depth {
        depth: Option<DepthCurve>,
        loop_ledger: Vec<LedgerLine>,
    },
    ReturnMap {
        return_map: Option<ReturnMap>,
    },
    Crosstalk {
        crosstalk: CrosstalkMatrix,
    },
    Recentring {
        recentring: Vec<PolicyOutcome>,
        cold_start: Vec<PolicyOutcome>,
    },
    Faults {
        faults: Vec<FaultOutcome>,
    },
}

/// No more lanes than the rig has.
fn lanes(rig: &Rig, n: usize) -> usize {
    n.min(rig.topology.channels.max(1) as usize)
}

/// Measures one item of the plan.
pub fn measure(rig: &Rig, s: &PlanSettings, item: Item) -> Part {
    match item {
        Item::Power(i) => Part::Power {
            ber_vs_power: power_point(rig, s, i),
        },
        Item::SlotTime(i) => Part::SlotTime {
            ber_vs_slot_time: slot_time_point(rig, s, i),
        },
        Item::Depth => {
            let (depth, loop_ledger) = depth(rig, s);
            Part::Depth { depth, loop_ledger }
        }
        Item::ReturnMap => Part::ReturnMap {
            return_map: return_map(rig, s),
        },
        Item::Crosstalk => Part::Crosstalk {
            crosstalk: crosstalk(rig, s),
        },
        Item::Recentring => {
            let (recentring, cold_start) = recentring(rig, s);
            Part::Recentring {
                recentring,
                cold_start,
            }
        }
        Item::Faults => Part::Faults {
            faults: faults(rig, s),
        },
    }
}

fn power_point(rig: &Rig, s: &PlanSettings, i: usize) -> BerPoint {
    ber::measure(rig, &s.sim, s.powers[i], &s.count, i as u64)
}

/// The error rates versus power by [`PlanSettings::rare`]'s estimator, point i on the chain of
/// trial i calibrated as the count's ([`ber::measure`]); none when it is not set or
/// [`rare::check`] refuses it. (Not an [`Item`]: a sharded plan runs the count only.)
fn rare_points(rig: &Rig, s: &PlanSettings) -> Vec<RarePoint> {
    let Some(r) = s.rare.filter(|r| rare::check(r).is_ok()) else {
        return Vec::new();
    };
    let settings = RareSettings {
        calibration: s.count.calibration,
        ..r
    };
    s.powers
        .par_iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let estimate = rare::estimate(rig, &s.sim, *p, &settings, i as u64).ok()?;
            Some(RarePoint {
                received_power_w: *p,
                received_power_dbm: 10.0 * (p / 1e-3).log10(),
                estimate,
            })
        })
        .collect()
}

fn slot_time_point(rig: &Rig, s: &PlanSettings, i: usize) -> BerPoint {
    ber::slot_time_point(rig, &s.sim, s.slot_times[i], s.slot_power, &s.count, i)
}

/// The loop experiments need a loop amplifier: `None` for a rig without an SOA.
fn depth(rig: &Rig, s: &PlanSettings) -> (Option<DepthCurve>, Vec<LedgerLine>) {
    let ds = DepthSettings {
        channels: lanes(rig, s.depth.channels),
        ..s.depth
    };
    let depth = rig.soa.is_some().then(|| depth::measure(rig, &s.sim, &ds));
    let ledger = depth
        .as_ref()
        .map(|d| ledger_lines(&d.energy.ledger))
        .unwrap_or_default();
    (depth, ledger)
}

fn return_map(rig: &Rig, s: &PlanSettings) -> Option<ReturnMap> {
    rig.soa
        .is_some()
        .then(|| return_map::measure(rig, &s.sim, 2.0, 201, s.return_runs))
}

fn crosstalk(rig: &Rig, s: &PlanSettings) -> CrosstalkMatrix {
    crosstalk::measure(
        rig,
        &s.sim,
        lanes(rig, s.crosstalk_channels),
        s.slot_power,
        4096,
    )
}

/// The re-centring policies from calibrated thresholds, and from a cold start.
fn recentring(rig: &Rig, s: &PlanSettings) -> (Vec<PolicyOutcome>, Vec<PolicyOutcome>) {
    let policies = [
        Policy::Never,
        Policy::EveryFrames { frames: 20 },
        Policy::MarginBelow { sigma: 3.0 },
    ];
    let cold = RecentringSettings {
        cold_offset: 0.6,
        ..s.recentring
    };
    (
        recentring::compare(rig, &s.sim, &s.recentring, &policies, s.target_ser),
        recentring::compare(rig, &s.sim, &cold, &policies, s.target_ser),
    )
}

/// The healthy run, then each standard fault on the middle channel.
fn faults(rig: &Rig, s: &PlanSettings) -> Vec<FaultOutcome> {
    let fs = FaultSettings {
        channels: lanes(rig, s.faults.channels),
        ..s.faults
    };
    let mut out = vec![faults::run(rig, &s.sim, &fs, None)];
    let victim = fs.channels / 2;
    out.extend(
        faults::standard_faults(rig, victim)
            .into_iter()
            .map(|f| faults::run(rig, &s.sim, &fs, Some(f))),
    );
    out
}

/// Runs the plan; `progress(step)` is called before each step of [`STEPS`]. The points of each
/// curve run in parallel.
pub fn run(rig: &Rig, s: &PlanSettings, progress: &mut dyn FnMut(usize)) -> TestPlan {
    progress(0);
    let ber_vs_power = (0..s.powers.len())
        .into_par_iter()
        .map(|i| power_point(rig, s, i))
        .collect();
    let ser_vs_power_rare = rare_points(rig, s);
    progress(1);
    let ber_vs_slot_time = (0..s.slot_times.len())
        .into_par_iter()
        .map(|i| slot_time_point(rig, s, i))
        .collect();
    progress(2);
    let (depth, loop_ledger) = depth(rig, s);
    progress(3);
    let return_map = return_map(rig, s);
    progress(4);
    let crosstalk = crosstalk(rig, s);
    progress(5);
    let (recentring, cold_start) = recentring(rig, s);
    progress(6);
    let faults = faults(rig, s);
    TestPlan {
        rig: rig.rig.name.clone(),
        seed: s.sim.seed,
        settings: s.clone(),
        ber_vs_power,
        ser_vs_power_rare,
        ber_vs_slot_time,
        depth,
        loop_ledger,
        return_map,
        crosstalk,
        recentring,
        cold_start,
        faults,
        notes: NOTES.to_vec(),
    }
}

/// The plan as JSON (as [`TestPlan`] serialises) put together from its items' parts (each as
/// [`Part`] serialises, in item order, e.g. read back from the shards of a plan): the rig's
/// name, the seed, the settings and the notes, and every part's fields.
pub fn assemble(rig: &str, s: &PlanSettings, parts: &[serde_json::Value]) -> serde_json::Value {
    use serde_json::{Value, json};
    let mut plan = json!({
        "rig": rig,
        "seed": s.sim.seed,
        "settings": s,
        "ber_vs_power": [],
        "ber_vs_slot_time": [],
        "notes": NOTES,
    });
    let fields = plan.as_object_mut().expect("an object");
    for part in parts {
        for (k, v) in part.as_object().into_iter().flatten() {
            match fields.get_mut(k) {
                Some(Value::Array(curve)) if k.starts_with("ber_vs_") => curve.push(v.clone()),
                _ => {
                    fields.insert(k.clone(), v.clone());
                }
            }
        }
    }
    plan
}

/// The identity of a plan run, carried by each of its shards: the rig as loaded (`rig_toml`,
/// overrides applied) and its name, the size (quick or full), the seed and the version.
pub fn identity(rig: &Rig, rig_toml: &str, quick: bool, seed: u64) -> serde_json::Value {
    serde_json::json!({
        "lightloop_test_plan": 1,
        "version": env!("CARGO_PKG_VERSION"),
        "rig": rig_toml,
        "rig_name": rig.rig.name,
        "quick": quick,
        "seed": seed,
    })
}

/// The settings of a quick or full plan with `seed`.
pub fn settings(quick: bool, seed: u64) -> PlanSettings {
    if quick {
        PlanSettings::quick(seed)
    } else {
        PlanSettings::full(seed)
    }
}

/// Shard `shard` of the plan ([`items`] split in contiguous blocks): its items measured in
/// parallel, as a shard file for [`from_merged`]. Refused when there are more shards than items.
pub fn run_shard(
    rig: &Rig,
    rig_toml: &str,
    quick: bool,
    seed: u64,
    shard: Shard,
) -> Result<RowShard, String> {
    let s = settings(quick, seed);
    let items = items(&s);
    let total = items.len() as u64;
    if shard.count > total {
        return Err(format!(
            "{shard}: more shards than the plan's {total} measurements (each shard measures at least one)"
        ));
    }
    let r = shard.range(total);
    let rows = items[r.start as usize..r.end as usize]
        .par_iter()
        .map(|it| serde_json::to_value(measure(rig, &s, *it)).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, String>>()?;
    let about = identity(rig, rig_toml, quick, seed);
    Ok(RowShard {
        header: ShardHeader::new(
            ShardKind::Rows,
            run_id(&about.to_string()),
            shard,
            total,
            format!(
                "test plan ({}) of rig {}, seed {seed}",
                if quick { "quick" } else { "full" },
                rig.rig.name
            ),
        ),
        about,
        rows,
    })
}

/// The plan as JSON ([`assemble`]) from the merged shards of a plan run; `None` when `merged`
/// is not a plan's.
pub fn from_merged(merged: &MergedRows) -> Option<serde_json::Value> {
    let about = &merged.about;
    about.get("lightloop_test_plan")?;
    let quick = about.get("quick")?.as_bool()?;
    let seed = about.get("seed")?.as_u64()?;
    let name = about.get("rig_name")?.as_str()?;
    Some(assemble(name, &settings(quick, seed), &merged.rows))
}

//! # lightloop-dashboard
//!
//! The dashboard's model, without its server: the sliders and choices over a rig's main
//! settings ([`knobs`], [`CHOICES`]), a request's settings parsed and checked ([`parse`]), the
//! rig they describe derived in memory ([`rig_at`]), and the answers the page shows — the
//! headline figures, the verdict against the GPU and two plots ([`update`]), the break-even
//! moves ([`break_even_moves`]), the rig as TOML ([`rig_toml`]) and the fleet panel
//! ([`fleet_update`]). A front end (the command line's HTTP server) turns a
//! [`DashboardError`] into its answer.

use lightloop_cost::verdict::{Comparison, Lever, break_even, with_lever};
use lightloop_cost::{Category, evaluate, evaluate_gpu};
use lightloop_fleet::{FleetError, Hardware};
use lightloop_plot::{self as chart, Axes, Series};
use lightloop_report::sections::check_pair;
use lightloop_rig::gpu::Gpu;
use lightloop_rig::presets::DEFAULT_DEPLOYMENT;
use lightloop_rig::rig::{Architecture, OpticalMemory, Tier, WeightStorage, Weights};
use lightloop_rig::units::{Energy, Power, Time};
use lightloop_rig::workload::Workload;
use lightloop_rig::{Deployment, Derive, InputErrors, Rig, load_rig};
use serde::Serialize;

/// Why a request or the start could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// A parameter out of range, unknown or repeated, or a setting the rig cannot run (the
    /// message says which and why).
    #[error("{0}")]
    BadRequest(String),
    /// A query longer than the dashboard reads.
    #[error("{0}")]
    TooLong(String),
    /// A computation or a rendering failed.
    #[error("{0}")]
    Failed(String),
    /// A starting description has problems.
    #[error(transparent)]
    Input(#[from] InputErrors),
    /// The fleet panel's deployment could not be set up.
    #[error(transparent)]
    Fleet(#[from] FleetError),
}

/// How a slider moves through its range.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Evenly in the logarithm.
    Log,
    /// Through powers of two (widths that divide a model's d_model).
    PowersOfTwo,
}

/// One slider: its query key, label, range and scale.
#[derive(Clone)]
pub struct Knob {
    pub key: &'static str,
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    pub scale: Scale,
    pub integer: bool,
    /// Why the range ends where it does, when a limit of the rig sets it.
    pub limit: Option<String>,
}

const fn knob(
    key: &'static str,
    label: &'static str,
    min: f64,
    max: f64,
    scale: Scale,
    integer: bool,
) -> Knob {
    Knob {
        key,
        label,
        min,
        max,
        scale,
        integer,
        limit: None,
    }
}

/// The rig's sliders, before the rig's own limits are applied (see [`knobs`]).
pub const KNOBS: [Knob; 11] = [
    knob(
        "channels",
        "channels N",
        1.0,
        4096.0,
        Scale::PowersOfTwo,
        true,
    ),
    knob(
        "readout_width",
        "readout width M",
        1.0,
        4096.0,
        Scale::PowersOfTwo,
        true,
    ),
    knob("loop_passes", "loop passes", 1.0, 1024.0, Scale::Log, true),
    knob(
        "wdm_lanes",
        "WDM lanes λ",
        1.0,
        64.0,
        Scale::PowersOfTwo,
        true,
    ),
    knob(
        "symbol_period_ns",
        "symbol period (ns)",
        0.05,
        100.0,
        Scale::Log,
        false,
    ),
    knob(
        "laser_dbm",
        "laser power per channel (dBm)",
        -10.0,
        30.0,
        Scale::Linear,
        false,
    ),
    knob("adc_bits", "ADC bits", 1.0, 16.0, Scale::Linear, true),
    knob(
        "eo_pj",
        "E/O energy per conversion (pJ)",
        0.001,
        1000.0,
        Scale::Log,
        false,
    ),
    knob(
        "oe_pj",
        "O/E energy per conversion (pJ)",
        0.001,
        1000.0,
        Scale::Log,
        false,
    ),
    knob(
        "dc_scale",
        "every DC load, × the rig's",
        1e-6,
        10.0,
        Scale::Log,
        false,
    ),
    knob(
        "host_scale",
        "host power and energy, × the rig's",
        1e-6,
        10.0,
        Scale::Log,
        false,
    ),
];

/// The sliders for `rig`: the laser's range ends at the rig's `laser.max_power`.
pub fn knobs(rig: &Rig) -> Vec<Knob> {
    let mut k = KNOBS.to_vec();
    let max_dbm = rig.laser.max_power.dbm();
    if max_dbm < k[5].max {
        k[5].max = (max_dbm * 100.0).floor() / 100.0;
        k[5].limit = Some(format!(
            "up to the rig's laser.max_power, {} dBm ({})",
            significant(max_dbm, 4),
            rig.laser.max_power
        ));
    }
    k
}

/// Choices beside the sliders: the build tier and the settings tiers C and D need.
pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
    pub options: &'static [&'static str],
}

pub const CHOICES: [Choice; 4] = [
    Choice {
        key: "tier",
        label: "build tier",
        options: &["A", "B", "C", "D"],
    },
    Choice {
        key: "weights",
        label: "weight storage (tiers C, D: persistent)",
        options: &["redriven", "persistent"],
    },
    Choice {
        key: "optical_memory",
        label: "KV cache in optical memory (tier D)",
        options: &["no", "yes"],
    },
    Choice {
        key: "architecture",
        label: "architecture (tiers C, D: one that holds weights)",
        options: &[
            "tdm-dot-product",
            "wdm-broadcast-and-weight",
            "crossbar",
            "free-space-slm-camera",
            "scattering-medium",
            "delay-line-reservoir",
        ],
    },
];

fn architecture(name: &str) -> Architecture {
    match name {
        "wdm-broadcast-and-weight" => Architecture::WdmBroadcastAndWeight,
        "crossbar" => Architecture::Crossbar,
        "free-space-slm-camera" => Architecture::FreeSpaceSlmCamera,
        "scattering-medium" => Architecture::ScatteringMedium,
        "delay-line-reservoir" => Architecture::DelayLineReservoir,
        _ => Architecture::TdmDotProduct,
    }
}

/// The fleet panel's sliders: traffic, targets and the facility of the default deployment.
pub const FLEET_KNOBS: [Knob; 6] = [
    knob(
        "tokens_per_s",
        "traffic at the busiest hour (output tokens/s)",
        100.0,
        1e8,
        Scale::Log,
        false,
    ),
    knob(
        "ttft_s",
        "target: time to first token (s)",
        0.05,
        10_000.0,
        Scale::Log,
        false,
    ),
    knob(
        "tpot_ms",
        "target: time per output token (ms)",
        1.0,
        100_000.0,
        Scale::Log,
        false,
    ),
    knob(
        "usd_per_kwh",
        "electricity price (USD/kWh)",
        0.02,
        0.4,
        Scale::Log,
        false,
    ),
    knob("pue", "PUE", 1.0, 2.5, Scale::Linear, false),
    knob(
        "load_pct",
        "mean load (% of the busiest hour)",
        5.0,
        100.0,
        Scale::Linear,
        true,
    ),
];

/// The longest query string accepted.
const MAX_QUERY: usize = 1024;

/// What the server holds: the starting rig and the workload, and the deployment the fleet
/// panel sizes (the default one, with this rig as its optical option).
pub struct Base {
    pub rig: Rig,
    pub workload: Workload,
    pub gpu: Gpu,
    pub deployment: Deployment,
    pub fleet_model: Workload,
    pub fleet_hardware: Hardware,
    /// The sliders, with the rig's limits.
    pub knobs: Vec<Knob>,
    /// Persistent weight cells (tier-c-1024's), used when the rig's weights are re-driven and
    /// persistent storage is chosen.
    pub persistent_weights: Weights,
    /// An optical memory (tier-d-1024's), used when the rig has none and one is chosen.
    pub optical_memory: OpticalMemory,
}

impl Base {
    /// The dashboard's state for `rig` and `workload` held in memory, compared with `gpu`.
    pub fn new(rig: Rig, workload: Workload, gpu: Gpu) -> Result<Self, DashboardError> {
        let deployment = lightloop_rig::load_deployment(DEFAULT_DEPLOYMENT, &[])?.value;
        let fleet_model = lightloop_fleet::served_model(&deployment)?;
        let mut fleet_hardware = Hardware::of(&deployment)?;
        fleet_hardware.rigs = vec![rig.clone()];
        let tier_d = load_rig("tier-d-1024", &[])?.value;
        let optical_memory = tier_d
            .optical_memory
            .clone()
            .ok_or_else(|| DashboardError::Failed("tier-d-1024 has no optical memory".into()))?;
        Ok(Self {
            knobs: knobs(&rig),
            rig,
            workload,
            gpu,
            deployment,
            fleet_model,
            fleet_hardware,
            persistent_weights: tier_d.weights,
            optical_memory,
        })
    }

    /// The fleet knobs' starting values, from the deployment.
    pub fn fleet_start(&self) -> Vec<f64> {
        let d = &self.deployment;
        vec![
            d.traffic.output_tokens_per_s(),
            d.targets.ttft.si(),
            d.targets.tpot.si() * 1e3,
            d.facility.electricity_price.si() * 3.6e6,
            d.facility.pue,
            d.facility.utilisation.si() * 100.0,
        ]
    }

    /// The starting value of each knob, from the rig (rounded as the page shows them).
    pub fn start(&self) -> Vec<f64> {
        let r = &self.rig;
        let t = &r.topology;
        [
            t.channels as f64,
            t.readout_width as f64,
            t.loop_passes as f64,
            t.wdm_lanes as f64,
            t.symbol_period.si() * 1e9,
            r.laser.power.dbm(),
            r.adc.bits as f64,
            r.dac.energy_per_conversion.si() * 1e12,
            r.adc.conversion_energy() * 1e12,
            1.0,
            1.0,
        ]
        .map(|x| significant(x, 6))
        .to_vec()
    }

    /// The starting choice of each of [`CHOICES`].
    pub fn start_choices(&self) -> Vec<&'static str> {
        let r = &self.rig;
        vec![
            CHOICES[0].options[r.rig.tier as usize],
            match r.weights.storage {
                WeightStorage::Redriven => "redriven",
                WeightStorage::Persistent => "persistent",
            },
            if r.optical_memory.is_some() {
                "yes"
            } else {
                "no"
            },
            CHOICES[3]
                .options
                .iter()
                .find(|o| architecture(o) == r.topology.architecture)
                .copied()
                .unwrap_or("tdm-dot-product"),
        ]
    }
}

/// `x` to `digits` significant figures (a value the page can show without binary noise:
/// 1.1, not 1.0999999999999999).
pub fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// A request's answer.
#[derive(Serialize)]
pub struct Update {
    /// "<rig> uses N times the energy per token of <GPU> and is M times slower on …".
    pub verdict: String,
    /// The rig against the GPU, ratios rig ÷ GPU (> 1: the rig uses more, or is slower).
    pub comparison: Comparison,
    /// The settings that differ from the starting rig, "channels N 16 → 64".
    pub modified: Vec<String>,
    pub fj_per_mac: f64,
    pub j_per_token: f64,
    pub tokens_per_s: f64,
    pub ttft_s: f64,
    pub gpu: String,
    pub snr_db: f64,
    pub limited_by: &'static str,
    pub warnings: Vec<String>,
    pub plot_size: String,
    pub plot_ledger: String,
}

fn bad(m: String) -> DashboardError {
    DashboardError::BadRequest(m)
}

/// One dashboard state: a value per knob and an option per choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub values: Vec<f64>,
    pub choices: Vec<&'static str>,
}

/// Parses `key=value&…` into one value per knob and one option per choice (the rig's when
/// absent), checking keys, characters, duplicates and ranges.
pub fn parse(base: &Base, query: &str) -> Result<Setting, DashboardError> {
    let (values, choices) = parse_knobs(
        &base.knobs,
        base.start(),
        &CHOICES,
        base.start_choices(),
        query,
    )?;
    Ok(Setting { values, choices })
}

/// Parses `key=value&…` against `knobs` (values in `start` when absent) and `choices`.
fn parse_knobs(
    knobs: &[Knob],
    mut values: Vec<f64>,
    choices: &[Choice],
    mut picked: Vec<&'static str>,
    query: &str,
) -> Result<(Vec<f64>, Vec<&'static str>), DashboardError> {
    if query.len() > MAX_QUERY {
        return Err(DashboardError::TooLong(format!(
            "query longer than {MAX_QUERY} characters"
        )));
    }
    let mut seen = vec![false; knobs.len() + choices.len()];
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| bad(format!("'{pair}' is not key=value")))?;
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(bad(format!("{k}: '{v}' is not a number")));
        }
        if let Some(j) = choices.iter().position(|c| c.key == k) {
            if std::mem::replace(&mut seen[knobs.len() + j], true) {
                return Err(bad(format!("{k} given twice")));
            }
            let c = &choices[j];
            picked[j] =
                c.options.iter().find(|o| **o == v).ok_or_else(|| {
                    bad(format!("{k}: '{v}' is not one of {}", c.options.join(", ")))
                })?;
            continue;
        }
        let i = knobs.iter().position(|n| n.key == k).ok_or_else(|| {
            let keys: Vec<&str> = knobs
                .iter()
                .map(|n| n.key)
                .chain(choices.iter().map(|c| c.key))
                .collect();
            bad(format!(
                "unknown parameter '{k}' (known: {})",
                keys.join(", ")
            ))
        })?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(bad(format!("{k} given twice")));
        }
        let n = &knobs[i];
        let x: f64 = v
            .parse()
            .map_err(|_| bad(format!("{k}: '{v}' is not a number")))?;
        if !x.is_finite() || x < n.min || x > n.max {
            let why = n
                .limit
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            return Err(bad(format!(
                "{k} = {v} is outside {} … {}{why}",
                n.min, n.max
            )));
        }
        if n.integer && x.fract() != 0.0 {
            return Err(bad(format!("{k} = {v} must be a whole number")));
        }
        values[i] = x;
    }
    Ok((values, picked))
}

/// The rig at a dashboard setting, derived in memory and validated; a rejection says in plain
/// words what the rig cannot do.
pub fn rig_at(base: &Base, s: &Setting) -> Result<Rig, DashboardError> {
    let v = &s.values;
    let enob_ratio = base.rig.adc.enob / base.rig.adc.bits as f64;
    let plain = |p: Vec<lightloop_rig::Problem>| {
        bad(format!(
            "the rig cannot be built with these settings: {}",
            lightloop_rig::validate::describe(&p)
        ))
    };
    let rig = base
        .rig
        .modified(|r| {
            let t = &mut r.topology;
            t.channels = v[0] as u32;
            t.readout_width = v[1] as u32;
            t.loop_passes = v[2] as u32;
            t.wdm_lanes = v[3] as u32;
            t.symbol_period = Time::new(v[4] / 1e9);
            r.laser.power = Power::from_dbm(v[5]);
            r.adc.bits = v[6] as u32;
            r.adc.enob = v[6] * enob_ratio;
            r.dac.energy_per_conversion = Energy::new(v[7] / 1e12);
            let oe = Energy::new(v[8] / 1e12);
            if r.adc.energy_per_conversion.is_some() {
                r.adc.energy_per_conversion = Some(oe);
            } else {
                r.adc.walden_fom = Some(Energy::new(oe.si() / 2f64.powf(r.adc.enob)));
            }
            r.rig.tier = match s.choices[0] {
                "A" => Tier::A,
                "B" => Tier::B,
                "C" => Tier::C,
                _ => Tier::D,
            };
            match (s.choices[1], r.weights.storage) {
                ("persistent", WeightStorage::Redriven) => {
                    let p = &base.persistent_weights;
                    r.weights.storage = WeightStorage::Persistent;
                    r.weights.write_energy = p.write_energy;
                    r.weights.write_time = p.write_time;
                    r.weights.hold_power = p.hold_power;
                    r.weights.reprogram_interval = p.reprogram_interval;
                }
                ("redriven", _) => r.weights.storage = WeightStorage::Redriven,
                _ => {}
            }
            match s.choices[2] {
                "yes" => {
                    r.optical_memory
                        .get_or_insert_with(|| base.optical_memory.clone());
                }
                _ => r.optical_memory = None,
            }
            r.topology.architecture = architecture(s.choices[3]);
        })
        .map_err(plain)?;
    let rig = with_lever(&rig, Lever::DcLoads, v[9]).map_err(plain)?;
    let rig = with_lever(&rig, Lever::HostPower, v[10]).map_err(plain)?;
    check_pair(&rig, &base.workload).map_err(|p| {
        bad(format!(
            "the rig cannot run {}: {}: {}",
            base.workload.workload.name, p.key, p.message
        ))
    })?;
    Ok(rig)
}

/// The settings that differ from the starting rig, "channels N 16 → 64".
fn modified(base: &Base, s: &Setting) -> Vec<String> {
    let mut out = Vec::new();
    for ((k, now), was) in base.knobs.iter().zip(&s.values).zip(base.start()) {
        if significant(*now, 3) != significant(was, 3) {
            out.push(format!(
                "{} {} → {}",
                k.label,
                significant(was, 4),
                significant(*now, 4)
            ));
        }
    }
    for ((c, now), was) in CHOICES.iter().zip(&s.choices).zip(base.start_choices()) {
        if *now != was {
            out.push(format!("{} {was} → {now}", c.label));
        }
    }
    out
}

/// The rig's name at a setting: the starting rig's, or "<name>, modified".
fn name_at(base: &Base, modified: &[String]) -> String {
    if modified.is_empty() {
        base.rig.rig.name.clone()
    } else {
        format!("{}, modified", base.rig.rig.name)
    }
}

/// The answer to one slider change.
pub fn update(base: &Base, query: &str) -> Result<Update, DashboardError> {
    let s = parse(base, query)?;
    let rig = rig_at(base, &s)?;
    let e = evaluate(&rig, &base.workload).map_err(|e| bad(e.to_string()))?;
    let g = evaluate_gpu(&base.gpu, &base.workload).map_err(|e| bad(e.to_string()))?;
    // fJ/MAC versus N = channels, the other knobs as set; the current N marked.
    let mut pts = Vec::new();
    for n in [1u32, 4, 16, 64, 256, 1024, 4096] {
        let mut at = s.clone();
        at.values[0] = n as f64;
        if let Ok(e) = rig_at(base, &at)
            .and_then(|r| evaluate(&r, &base.workload).map_err(|e| bad(e.to_string())))
        {
            pts.push((n as f64, e.metrics.fj_per_mac));
        }
    }
    let size = chart::line_chart(
        &Axes::new(
            "fJ per MAC versus channels N",
            "channels N",
            "fJ per MAC (all energy)",
        )
        .log_x()
        .log_y(),
        &[
            Series::line("other knobs as set", pts),
            Series::line("current", vec![(s.values[0], e.metrics.fj_per_mac)]),
        ],
    )
    .map_err(|m| DashboardError::Failed(m.to_string()))?;
    let modified = modified(base, &s);
    let name = name_at(base, &modified);
    let ledger = chart::bar_chart(
        &Axes::new("Energy per token by category", "", "J per token"),
        std::slice::from_ref(&name),
        &Category::ALL
            .iter()
            .map(|c| (c.label().to_string(), vec![e.per_token.category(*c)]))
            .collect::<Vec<_>>(),
        true,
    )
    .map_err(|m| DashboardError::Failed(m.to_string()))?;
    let comparison = Comparison::new(
        &name,
        &base.workload.workload.name,
        &base.gpu.gpu.name,
        &e,
        g.j_per_token,
        g.tokens_per_s,
    );
    Ok(Update {
        verdict: comparison.sentence(),
        comparison,
        modified,
        fj_per_mac: e.metrics.fj_per_mac,
        j_per_token: e.metrics.j_per_token,
        tokens_per_s: e.metrics.tokens_per_s,
        ttft_s: e.metrics.ttft,
        gpu: base.gpu.gpu.name.clone(),
        snr_db: e.noise.snr_db,
        limited_by: e.rates.limited_by,
        warnings: e.check_messages(),
        plot_size: size,
        plot_ledger: ledger,
    })
}

/// One break-even change, as the dashboard offers it: the slider values that make it.
#[derive(Serialize)]
pub struct BreakEvenMove {
    pub lever: &'static str,
    pub change: String,
    /// `(knob key, value)` pairs that set the solved value; empty when out of reach or beyond
    /// a slider's range (then `note` says why).
    pub moves: Vec<(&'static str, f64)>,
    pub note: String,
}

/// What single change at the current setting would bring the rig's energy per token level with
/// the GPU's: the cost model's inverse solve ([`break_even`]) mapped onto the sliders.
pub fn break_even_moves(base: &Base, query: &str) -> Result<Vec<BreakEvenMove>, DashboardError> {
    let s = parse(base, query)?;
    let rig = rig_at(base, &s)?;
    let g = evaluate_gpu(&base.gpu, &base.workload).map_err(|e| bad(e.to_string()))?;
    let key = |k: &str| base.knobs.iter().position(|n| n.key == k).unwrap_or(0);
    Ok(break_even(&rig, &base.workload, g.j_per_token)
        .into_iter()
        .map(|b| {
            let already = b.at_parity == Some(b.now);
            let moves: Vec<(&'static str, f64)> = match (b.lever, b.at_parity) {
                (_, None) => vec![],
                _ if already => vec![],
                (Lever::Channels, Some(x)) => vec![("channels", x)],
                (Lever::WdmLanes, Some(x)) => vec![("wdm_lanes", x)],
                (Lever::SymbolPeriod, Some(x)) => vec![("symbol_period_ns", x * 1e9)],
                (Lever::ConversionEnergy, Some(f)) => vec![
                    ("eo_pj", s.values[key("eo_pj")] * f),
                    ("oe_pj", s.values[key("oe_pj")] * f),
                ],
                (Lever::DcLoads, Some(f)) => vec![("dc_scale", s.values[key("dc_scale")] * f)],
                (Lever::HostPower, Some(f)) => {
                    vec![("host_scale", s.values[key("host_scale")] * f)]
                }
            };
            let outside: Vec<String> = moves
                .iter()
                .filter_map(|(k, x)| {
                    let n = &base.knobs[key(k)];
                    (*x < n.min || *x > n.max).then(|| {
                        format!(
                            "{} would need {}, beyond the slider's {} … {}",
                            n.label,
                            significant(*x, 3),
                            n.min,
                            n.max
                        )
                    })
                })
                .collect();
            let note = if b.at_parity.is_none() || already {
                b.change.clone()
            } else {
                outside.join("; ")
            };
            BreakEvenMove {
                lever: b.lever.name(),
                change: b.change,
                moves: if outside.is_empty() { moves } else { vec![] },
                note,
            }
        })
        .collect())
}

/// The rig at a setting as a TOML description (named "<rig>, modified" when changed).
pub fn rig_toml(base: &Base, query: &str) -> Result<String, DashboardError> {
    let s = parse(base, query)?;
    let mut rig = rig_at(base, &s)?;
    let modified = modified(base, &s);
    rig.rig.name = name_at(base, &modified);
    let head = if modified.is_empty() {
        format!("# {} as the dashboard started\n", base.rig.rig.name)
    } else {
        format!(
            "# {} with the dashboard's changes: {}\n",
            base.rig.rig.name,
            modified.join("; ")
        )
    };
    toml::to_string(&rig)
        .map(|t| head + &t)
        .map_err(|e| DashboardError::Failed(e.to_string()))
}

/// One option in the fleet panel.
#[derive(Serialize)]
pub struct FleetOption {
    pub hardware: String,
    pub meets_targets: bool,
    pub configuration: String,
    pub devices: String,
    pub wall_mw: f64,
    pub usd_per_m_tokens: f64,
    pub binding: Option<String>,
}

/// The fleet panel's answer.
#[derive(Serialize)]
pub struct FleetUpdate {
    pub verdict: String,
    pub options: Vec<FleetOption>,
    pub plot: String,
}

/// The deployment re-sized for the fleet sliders.
pub fn fleet_update(base: &Base, query: &str) -> Result<FleetUpdate, DashboardError> {
    use lightloop_rig::units::{EnergyPrice, Fraction, Time};
    let (v, _) = parse_knobs(&FLEET_KNOBS, base.fleet_start(), &[], vec![], query)?;
    let mut d = base.deployment.clone();
    d.traffic.requests_per_s = None;
    d.traffic.tokens_per_s = Some(v[0]);
    d.targets.ttft = Time::new(v[1]);
    d.targets.tpot = Time::new(v[2] * 1e-3);
    d.facility.electricity_price = EnergyPrice::new(v[3] / 3.6e6);
    d.facility.pue = v[4];
    d.facility.utilisation = Fraction::new(v[5] / 100.0);
    let a = lightloop_fleet::size(&d, &base.fleet_model, &base.fleet_hardware);
    let options: Vec<FleetOption> = a
        .options
        .iter()
        .filter_map(|o| {
            o.shown().map(|s| FleetOption {
                hardware: o.hardware.clone(),
                meets_targets: s.meets_targets,
                configuration: s.configuration.clone(),
                devices: lightloop_fleet::verdict::device_count(s.kind, s.devices),
                wall_mw: s.power.wall_busy / 1e6,
                usd_per_m_tokens: s.cost.usd_per_m_tokens,
                binding: o.binding.clone(),
            })
        })
        .collect();
    let plot = chart::bar_chart(
        &Axes::new(
            "Cost per million tokens of each option",
            "",
            "USD per million tokens",
        )
        .log_y(),
        &options
            .iter()
            .map(|o| o.hardware.clone())
            .collect::<Vec<_>>(),
        &[(
            "cheapest configuration (closest to the targets where none meets them)".to_string(),
            options.iter().map(|o| o.usd_per_m_tokens).collect(),
        )],
        false,
    )
    .map_err(|m| DashboardError::Failed(m.to_string()))?;
    Ok(FleetUpdate {
        verdict: lightloop_fleet::verdict::verdict(&a),
        options,
        plot,
    })
}

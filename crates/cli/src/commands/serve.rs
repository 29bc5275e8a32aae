//! `lightloop serve`: a local dashboard. Sliders move the rig's main knobs; each change asks the
//! server for the headline figures and two plots, computed by the cost model and drawn by the
//! report's plotting code.

use super::compare::DEFAULT_GPUS;
use crate::load::{CliError, CliResult, load_gpu, load_pair};
use axum::Router;
use axum::extract::RawQuery;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clap::Args;
use lightloop_cost::verdict::{Comparison, Lever, break_even, with_lever};
use lightloop_cost::{Category, evaluate, evaluate_gpu};
use lightloop_fleet::Hardware;
use lightloop_plot::{self as chart, Axes, Series};
use lightloop_report::html::escape;
use lightloop_report::sections::check_pair;
use lightloop_rig::Deployment;
use lightloop_rig::gpu::Gpu;
use lightloop_rig::presets::{DEFAULT_DEPLOYMENT, DEFAULT_RIG, DEFAULT_WORKLOAD};
use lightloop_rig::rig::{Architecture, OpticalMemory, Tier, WeightStorage, Weights};
use lightloop_rig::units::{Energy, Power, Time};
use lightloop_rig::workload::Workload;
use lightloop_rig::{Derive, Rig, load_rig};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub const LONG_ABOUT: &str = "Starts a local dashboard: sliders for channels N, readout width M, loop \
passes, WDM lanes, symbol period, laser power, ADC bits, E/O and O/E energy per conversion and the \
build tier; the headline figures (fJ/MAC, J/token, tokens/s, ratio to the first GPU) and the plots \
update as a slider moves. The rig and workload given are the starting point. The O/E slider acts on \
rigs that give adc.energy_per_conversion (not a Walden figure of merit); laser power stands in for \
photons per sample.\n\n\
The server listens on 127.0.0.1 (this machine only) unless --host says otherwise; it prints its \
address and runs until interrupted (Ctrl-C). Parameters outside their ranges get a 400 answer that \
names the parameter.\n\nExample:\n  lightloop serve --port 8750   then open http://127.0.0.1:8750/";

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Starting rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Workload: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_WORKLOAD, value_name = "WORKLOAD")]
    pub workload: String,
    /// Address to listen on (127.0.0.1: this machine only; any other needs --allow-remote)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port (0: any free port; the address is printed)
    #[arg(long, default_value_t = 8750)]
    pub port: u16,
    /// Listen on an address other machines can reach. The dashboard has no authentication:
    /// anyone who reaches the port can use it
    #[arg(long)]
    pub allow_remote: bool,
}

/// How long a client may take to send a request's headers (also the idle time allowed on a
/// kept-alive connection), and the longest a connection may stay open.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECTION_LIMIT: Duration = Duration::from_secs(300);
/// Pending connections the listener queues.
const BACKLOG: u32 = 4096;

/// Whether a request's `Host` header names this machine (`localhost`, a loopback address, or
/// the address listened on), with any port. A page on a foreign name that resolves to
/// 127.0.0.1 (DNS rebinding) is refused.
pub fn local_host(host: &str, bound: &SocketAddr) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip == bound.ip())
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
    pub fn load(rig: &str, workload: &str) -> CliResult<Self> {
        let pair = load_pair(rig, workload, &[])?;
        let deployment = lightloop_rig::load_deployment(DEFAULT_DEPLOYMENT, &[])?.value;
        let fleet_model = lightloop_fleet::served_model(&deployment)?;
        let mut fleet_hardware = Hardware::of(&deployment)?;
        fleet_hardware.rigs = vec![pair.rig.value.clone()];
        let tier_d = load_rig("tier-d-1024", &[])?.value;
        let optical_memory = tier_d
            .optical_memory
            .clone()
            .ok_or_else(|| CliError::Message("tier-d-1024 has no optical memory".into()))?;
        Ok(Self {
            knobs: knobs(&pair.rig.value),
            rig: pair.rig.value,
            workload: pair.workload.value,
            gpu: load_gpu(DEFAULT_GPUS[0])?.value,
            deployment,
            fleet_model,
            fleet_hardware,
            persistent_weights: tier_d.weights,
            optical_memory,
        })
    }

    /// The fleet knobs' starting values, from the deployment.
    fn fleet_start(&self) -> Vec<f64> {
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
    fn start(&self) -> Vec<f64> {
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
    fn start_choices(&self) -> Vec<&'static str> {
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

/// Rejected input: the HTTP status and a message.
#[derive(Debug)]
pub struct Rejected(pub StatusCode, pub String);

fn bad(m: String) -> Rejected {
    Rejected(StatusCode::BAD_REQUEST, m)
}

/// One dashboard state: a value per knob and an option per choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub values: Vec<f64>,
    pub choices: Vec<&'static str>,
}

/// Parses `key=value&…` into one value per knob and one option per choice (the rig's when
/// absent), checking keys, characters, duplicates and ranges.
pub fn parse(base: &Base, query: &str) -> Result<Setting, Rejected> {
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
) -> Result<(Vec<f64>, Vec<&'static str>), Rejected> {
    if query.len() > MAX_QUERY {
        return Err(Rejected(
            StatusCode::URI_TOO_LONG,
            format!("query longer than {MAX_QUERY} characters"),
        ));
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
pub fn rig_at(base: &Base, s: &Setting) -> Result<Rig, Rejected> {
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
pub fn update(base: &Base, query: &str) -> Result<Update, Rejected> {
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
    .map_err(|m| Rejected(StatusCode::INTERNAL_SERVER_ERROR, m.to_string()))?;
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
    .map_err(|m| Rejected(StatusCode::INTERNAL_SERVER_ERROR, m.to_string()))?;
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
pub fn break_even_moves(base: &Base, query: &str) -> Result<Vec<BreakEvenMove>, Rejected> {
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
pub fn rig_toml(base: &Base, query: &str) -> Result<String, Rejected> {
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
        .map_err(|e| Rejected(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
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
pub fn fleet_update(base: &Base, query: &str) -> Result<FleetUpdate, Rejected> {
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
    .map_err(|m| Rejected(StatusCode::INTERNAL_SERVER_ERROR, m.to_string()))?;
    Ok(FleetUpdate {
        verdict: lightloop_fleet::verdict::verdict(&a),
        options,
        plot,
    })
}

/// `<label>` elements with range inputs for `knobs`, starting at `start`.
fn slider_html(knobs: &[Knob], start: &[f64]) -> String {
    let mut out = String::new();
    for (n, v) in knobs.iter().zip(start) {
        let v = v.clamp(n.min, n.max);
        let (lo, hi, val, step) = match n.scale {
            Scale::Log => (n.min.log10(), n.max.log10(), v.log10(), 0.01),
            Scale::PowersOfTwo => (n.min.log2(), n.max.log2(), v.log2().round(), 1.0),
            Scale::Linear => (n.min, n.max, v, if n.integer { 1.0 } else { 0.05 }),
        };
        let limit = n
            .limit
            .as_deref()
            .map(|l| format!("<small>{}</small>", escape(l)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<label>{label}{limit}<input type=\"range\" id=\"{key}\" data-scale=\"{scale}\" data-int=\"{int}\" data-start=\"{v}\" \
             min=\"{lo}\" max=\"{hi}\" step=\"{step}\" value=\"{val}\"><output id=\"{key}-v\"></output></label>\n",
            label = escape(n.label),
            key = n.key,
            scale = match n.scale {
                Scale::Linear => "linear",
                Scale::Log => "log",
                Scale::PowersOfTwo => "pow2",
            },
            int = n.integer,
        ));
    }
    out
}

/// `<label>` elements with selects for [`CHOICES`], starting at `start`.
fn choice_html(start: &[&str]) -> String {
    CHOICES
        .iter()
        .zip(start)
        .map(|(c, now)| {
            let options: String = c
                .options
                .iter()
                .map(|o| {
                    format!(
                        "<option{}>{o}</option>",
                        if o == now { " selected" } else { "" }
                    )
                })
                .collect();
            format!(
                "<label>{}<select id=\"{}\" class=\"choice\">{options}</select></label>\n",
                escape(c.label),
                c.key
            )
        })
        .collect()
}

/// The page: sliders, headline figures and plot slots; a small script asks /api/update.
pub fn page(base: &Base) -> String {
    let sliders = slider_html(&base.knobs, &base.start());
    let choices = choice_html(&base.start_choices());
    let fleet_sliders = slider_html(&FLEET_KNOBS, &base.fleet_start());
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>lightloop dashboard: {rig}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}}
#knobs{{display:grid;grid-template-columns:repeat(3,1fr);gap:.4em 2em;max-width:1200px}}
label{{display:flex;flex-direction:column;font-size:.9em}}label small{{color:#666}}output{{font-variant-numeric:tabular-nums;color:#0072B2}}
#head{{display:flex;gap:2.5em;margin:1em 0;font-size:1.1em}}#head b{{display:block;font-size:1.5em}}
.verdict{{font-size:1.15em;font-weight:600;max-width:1200px}}.stale{{opacity:.35}}
#plots{{display:flex;flex-wrap:wrap;gap:1em}}#status{{color:#8a4b00;min-height:1.3em;max-width:1200px}}
#fleet-knobs{{display:grid;grid-template-columns:repeat(3,1fr);gap:.4em 2em;max-width:1200px}}
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border-bottom:1px solid #ccc;padding:.2em .8em;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style></head><body>
<h1>lightloop dashboard</h1><p>Rig {rig} ({desc}), workload {wl}; figures from the analytic cost model.
<a id="permalink" href="">permalink to this setting</a> · <a id="download" href="/api/rig.toml" download="rig.toml">download the rig as TOML</a></p>
<p id="verdict-rig" class="verdict"></p>
<div id="knobs">{sliders}{choices}</div>
<div id="head"><div>fJ per MAC<b id="fj">–</b></div><div>J per token<b id="jtok">–</b></div>
<div>tokens per second<b id="tps">–</b></div><div>energy per token, rig ÷ <span id="gpu"></span><b id="ratio">–</b></div>
<div>time per token, rig ÷ GPU<b id="tratio">–</b></div>
<div>readout SNR (dB)<b id="snr">–</b></div></div><p id="status"></p>
<div id="plots"><div id="plot-size"></div><div id="plot-ledger"></div></div>
<h2>Break-even</h2><p>Any one of these changes, the others held, would bring the rig's energy per token level with <span id="gpu2"></span>'s (solved by the cost model). "apply" moves the sliders there.</p>
<table id="break-even"><thead><tr><th>change</th><th>how far</th><th></th></tr></thead><tbody></tbody></table>
<h2>Fleet: {dep} on GPUs and on this rig</h2>
<p>The {dep} deployment ({model}) sized on every option: the cheapest configuration that meets the targets, or the closest.</p>
<div id="fleet-knobs">{fleet_sliders}</div>
<p id="verdict"></p><table id="fleet"><thead><tr><th>option</th><th>targets met</th><th>configuration</th><th>devices</th><th>MW at the wall (busiest)</th><th>USD per million tokens</th></tr></thead><tbody></tbody></table>
<div id="plot-fleet"></div>
<p><label style="display:inline">scenario name <input id="snap-name" value="scenario 1"></label> <button id="snap">save snapshot</button></p>
<table id="snapshots"><thead></thead><tbody></tbody></table>
<script>
const fmt = x => (Math.abs(x) >= 0.01 && Math.abs(x) < 1e5) ? (+x.toPrecision(4)).toString() : x.toExponential(3);
const ratio = x => (x >= 1 ? (+x.toPrecision(3)) + '× (more)' : (+x.toPrecision(3)) + '× (less)');
const knobs = [...document.querySelectorAll('#knobs input[type=range]')];
const choices = [...document.querySelectorAll('#knobs select')];
const fknobs = [...document.querySelectorAll('#fleet-knobs input[type=range]')];
function value(k) {{ if (k.dataset.moved !== '1') return +(+k.dataset.start).toPrecision(6); let v = +k.value; if (k.dataset.scale === 'log') v = Math.pow(10, v);
  if (k.dataset.scale === 'pow2') v = Math.pow(2, v);
  if (k.dataset.int === 'true') v = Math.round(v); else v = +v.toPrecision(3); return v; }}
function place(k, v) {{ k.value = k.dataset.scale === 'log' ? Math.log10(v) : k.dataset.scale === 'pow2' ? Math.log2(v) : v;
  k.dataset.moved = '1'; if (k.dataset.int !== 'true') {{ k.dataset.moved = '0'; k.dataset.start = v; }} }}
// A permalink's state: the URL's query sets the sliders and choices.
const given = new URLSearchParams(location.search);
[...knobs, ...fknobs].forEach(k => {{ if (given.has(k.id)) place(k, +given.get(k.id)); }});
choices.forEach(c => {{ if (given.has(c.id)) c.value = given.get(c.id); }});
const rigQuery = () => knobs.map(k => k.id + '=' + value(k)).join('&') + '&' + choices.map(c => c.id + '=' + c.value).join('&');
const fleetQuery = () => fknobs.map(k => k.id + '=' + value(k)).join('&');
function remember() {{ const url = '?' + rigQuery() + '&' + fleetQuery(); history.replaceState(null, '', url);
  document.getElementById('permalink').href = url; document.getElementById('download').href = '/api/rig.toml?' + rigQuery(); }}
let timer = null, seq = 0;
async function refresh() {{
  const q = rigQuery();
  knobs.forEach(k => document.getElementById(k.id + '-v').textContent = value(k));
  const mine = ++seq;
  const r = await fetch('/api/update?' + q);
  if (mine !== seq) return;
  const st = document.getElementById('status');
  const stale = ['head', 'plots', 'verdict-rig', 'break-even'].map(id => document.getElementById(id));
  if (!r.ok) {{ st.textContent = 'Not computed: ' + await r.text() + ' The dimmed figures are for the last setting the rig could run.';
    stale.forEach(e => e.classList.add('stale')); document.body.dataset.rejected = q; return; }}
  stale.forEach(e => e.classList.remove('stale'));
  const u = await r.json();
  document.getElementById('verdict-rig').textContent = u.verdict;
  document.getElementById('fj').textContent = fmt(u.fj_per_mac);
  document.getElementById('jtok').textContent = fmt(u.j_per_token);
  document.getElementById('tps').textContent = fmt(u.tokens_per_s);
  document.getElementById('gpu').textContent = u.gpu;
  document.getElementById('gpu2').textContent = u.gpu;
  document.getElementById('ratio').textContent = ratio(u.comparison.energy_ratio);
  document.getElementById('tratio').textContent = ratio(u.comparison.time_ratio).replace('more', 'slower').replace('less', 'faster');
  document.getElementById('snr').textContent = u.snr_db.toFixed(1);
  document.getElementById('plot-size').innerHTML = u.plot_size;
  document.getElementById('plot-ledger').innerHTML = u.plot_ledger;
  st.textContent = 'Throughput limited by ' + u.limited_by + '. ' + (u.modified.length ? 'Changed: ' + u.modified.join('; ') + '. ' : '') + u.warnings.join(' ');
  remember();
  document.body.dataset.updates = (+(document.body.dataset.updates || 0) + 1).toString();
  refreshBreakEven(q, mine);
}}
async function refreshBreakEven(q, mine) {{
  const r = await fetch('/api/break-even?' + q);
  if (mine !== seq || !r.ok) return;
  const rows = await r.json();
  const body = document.querySelector('#break-even tbody');
  body.innerHTML = '';
  rows.forEach(b => {{
    const tr = body.insertRow();
    tr.insertCell().textContent = b.lever;
    tr.insertCell().textContent = b.change;
    const cell = tr.insertCell();
    if (b.moves.length) {{ const btn = document.createElement('button'); btn.textContent = 'apply'; btn.dataset.lever = b.lever;
      btn.addEventListener('click', () => {{ b.moves.forEach(([key, v]) => place(document.getElementById(key), v)); refresh(); }});
      cell.appendChild(btn); }} else cell.textContent = b.note;
  }});
  document.body.dataset.breakEven = (+(document.body.dataset.breakEven || 0) + 1).toString();
}}
function soon() {{ clearTimeout(timer); timer = setTimeout(refresh, 60); }}
knobs.forEach(k => k.addEventListener('input', () => {{ k.dataset.moved = '1'; soon(); }}));
choices.forEach(c => c.addEventListener('change', () => {{
  // Tiers C and D need persistent weights; tier D an optical memory for the KV cache.
  const tier = document.getElementById('tier').value;
  if (c.id === 'tier' && (tier === 'C' || tier === 'D')) document.getElementById('weights').value = 'persistent';
  if (c.id === 'tier' && tier === 'D') document.getElementById('optical_memory').value = 'yes';
  const arch = document.getElementById('architecture');
  if (c.id === 'tier' && (tier === 'C' || tier === 'D') && arch.value === 'tdm-dot-product') arch.value = 'crossbar';
  soon(); }}));
let ftimer = null, fseq = 0, last = null;
const snapshots = [];
async function refreshFleet() {{
  const q = fleetQuery();
  fknobs.forEach(k => document.getElementById(k.id + '-v').textContent = value(k));
  const mine = ++fseq;
  const r = await fetch('/api/fleet?' + q);
  if (mine !== fseq) return;
  if (!r.ok) {{ document.getElementById('verdict').textContent = 'Not computed: ' + await r.text(); return; }}
  const u = await r.json();
  last = {{ query: q, options: u.options }};
  document.getElementById('verdict').textContent = u.verdict;
  document.querySelector('#fleet tbody').innerHTML = u.options.map(o =>
    `<tr><td>${{o.hardware}}</td><td>${{o.meets_targets ? 'yes' : 'no'}}</td><td>${{o.configuration}}</td><td>${{o.devices}}</td>` +
    `<td class="mw">${{fmt(o.wall_mw)}}</td><td class="usd">${{fmt(o.usd_per_m_tokens)}}</td></tr>`).join('');
  document.getElementById('plot-fleet').innerHTML = u.plot;
  remember();
  document.body.dataset.fleetUpdates = (+(document.body.dataset.fleetUpdates || 0) + 1).toString();
}}
function fsoon() {{ clearTimeout(ftimer); ftimer = setTimeout(refreshFleet, 60); }}
fknobs.forEach(k => k.addEventListener('input', () => {{ k.dataset.moved = '1'; fsoon(); }}));
document.getElementById('snap').addEventListener('click', () => {{
  if (!last) return;
  snapshots.push({{ name: document.getElementById('snap-name').value, query: last.query, options: last.options }});
  const names = snapshots[0].options.map(o => o.hardware);
  document.querySelector('#snapshots thead').innerHTML = '<tr><th>scenario</th>' +
    names.map(n => `<th>${{n}}: USD/M tokens</th><th>${{n}}: MW</th>`).join('') + '</tr>';
  document.querySelector('#snapshots tbody').innerHTML = snapshots.map(s => `<tr><td title="${{s.query}}">${{s.name}}</td>` +
    s.options.map(o => `<td>${{fmt(o.usd_per_m_tokens)}}${{o.meets_targets ? '' : ' (misses)'}}</td><td>${{fmt(o.wall_mw)}}</td>`).join('') + '</tr>').join('');
  document.getElementById('snap-name').value = 'scenario ' + (snapshots.length + 1);
}});
refresh();
refreshFleet();
</script></body></html>
"#,
        rig = escape(&base.rig.rig.name),
        desc = escape(&base.rig.rig.description),
        wl = escape(&base.workload.workload.name),
        dep = escape(&base.deployment.deployment.name),
        model = escape(&base.fleet_model.workload.name),
    )
}

async fn api(base: Arc<Base>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let answer = tokio::task::spawn_blocking(move || update(&base, &q)).await;
    respond(answer)
}

async fn api_break_even(base: Arc<Base>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let answer = tokio::task::spawn_blocking(move || break_even_moves(&base, &q)).await;
    respond(answer)
}

async fn api_rig_toml(base: Arc<Base>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    match tokio::task::spawn_blocking(move || rig_toml(&base, &q)).await {
        Ok(Ok(text)) => (
            [
                (header::CONTENT_TYPE, "application/toml; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"rig.toml\"",
                ),
            ],
            text,
        )
            .into_response(),
        Ok(Err(Rejected(code, m))) => (code, m).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the rig could not be written",
        )
            .into_response(),
    }
}

async fn api_fleet(base: Arc<Base>, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let answer = tokio::task::spawn_blocking(move || fleet_update(&base, &q)).await;
    respond(answer)
}

fn respond<T: Serialize>(answer: Result<Result<T, Rejected>, tokio::task::JoinError>) -> Response {
    match answer {
        Ok(Ok(u)) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&u).unwrap_or_else(|_| "{}".into()),
        )
            .into_response(),
        Ok(Err(Rejected(code, m))) => (code, m).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the update failed").into_response(),
    }
}

pub fn run(a: &ServeArgs) -> CliResult<()> {
    if !a.host.is_loopback() && !a.allow_remote {
        return Err(CliError::BadInput(format!(
            "--host {}: the dashboard has no authentication, so it listens on this machine only (127.0.0.1) unless --allow-remote is given",
            a.host
        )));
    }
    let base = Arc::new(Base::load(&a.rig, &a.workload)?);
    let html = page(&base);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("starting the server: {e}")))?;
    rt.block_on(async move {
        let app =
            Router::new()
                .route(
                    "/",
                    get(move || async move {
                        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html)
                    }),
                )
                .route(
                    "/api/update",
                    get({
                        let base = base.clone();
                        move |q| api(base.clone(), q)
                    }),
                )
                .route(
                    "/api/break-even",
                    get({
                        let base = base.clone();
                        move |q| api_break_even(base.clone(), q)
                    }),
                )
                .route(
                    "/api/rig.toml",
                    get({
                        let base = base.clone();
                        move |q| api_rig_toml(base.clone(), q)
                    }),
                )
                .route(
                    "/api/fleet",
                    get({
                        let base = base.clone();
                        move |q| api_fleet(base.clone(), q)
                    }),
                );
        let bind = SocketAddr::new(a.host, a.port);
        let socket = if bind.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        };
        let listening = |e: std::io::Error| {
            CliError::Message(format!("listening on {}:{}: {e}", a.host, a.port))
        };
        let socket = socket.map_err(listening)?;
        socket.set_reuseaddr(true).map_err(listening)?;
        socket.bind(bind).map_err(listening)?;
        let listener = socket.listen(BACKLOG).map_err(listening)?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Message(e.to_string()))?;
        if a.allow_remote {
            eprintln!(
                "warning: listening on {addr}, reachable from other machines; the dashboard has no authentication"
            );
        }
        let remote = a.allow_remote;
        let app = app.layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                let host = req
                    .headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                if remote || local_host(host, &addr) {
                    next.run(req).await
                } else {
                    (
                        StatusCode::FORBIDDEN,
                        "this dashboard answers only requests addressed to this machine (Host: localhost or 127.0.0.1)",
                    )
                        .into_response()
                }
            },
        ));
        println!("lightloop dashboard on http://{addr}/  (Ctrl-C stops it)");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // Each connection is served with a limit on the time to send its headers and on its
        // whole life, so that a half-sent request holds nothing; Ctrl-C stops accepting and
        // the runtime is shut down within a second, open connections or not.
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(c) => c,
                    // Out of descriptors or a reset before accept: keep serving.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = &mut ctrl_c => break,
            };
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let mut http = hyper::server::conn::http1::Builder::new();
                http.timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT);
                let conn =
                    http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_LIMIT, conn).await;
            });
        }
        Ok::<(), CliError>(())
    })?;
    rt.shutdown_timeout(Duration::from_millis(500));
    Ok(())
}

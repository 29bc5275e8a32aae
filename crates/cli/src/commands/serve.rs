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
use lightloop_cost::{Category, evaluate, evaluate_gpu};
use lightloop_fleet::Hardware;
use lightloop_plot::{self as chart, Axes, Series};
use lightloop_report::html::escape;
use lightloop_report::sections::check_pair;
use lightloop_rig::Deployment;
use lightloop_rig::gpu::Gpu;
use lightloop_rig::presets::{DEFAULT_DEPLOYMENT, DEFAULT_RIG, DEFAULT_WORKLOAD};
use lightloop_rig::workload::Workload;
use lightloop_rig::{Rig, load_rig};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::Arc;

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
    /// Address to listen on (127.0.0.1: this machine only)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port (0: any free port; the address is printed)
    #[arg(long, default_value_t = 8750)]
    pub port: u16,
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
pub struct Knob {
    pub key: &'static str,
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    pub scale: Scale,
    pub integer: bool,
}

pub const KNOBS: [Knob; 9] = [
    Knob {
        key: "channels",
        label: "channels N",
        min: 1.0,
        max: 4096.0,
        scale: Scale::PowersOfTwo,
        integer: true,
    },
    Knob {
        key: "readout_width",
        label: "readout width M",
        min: 1.0,
        max: 4096.0,
        scale: Scale::PowersOfTwo,
        integer: true,
    },
    Knob {
        key: "loop_passes",
        label: "loop passes",
        min: 1.0,
        max: 1024.0,
        scale: Scale::Log,
        integer: true,
    },
    Knob {
        key: "wdm_lanes",
        label: "WDM lanes λ",
        min: 1.0,
        max: 64.0,
        scale: Scale::PowersOfTwo,
        integer: true,
    },
    Knob {
        key: "symbol_period_ns",
        label: "symbol period (ns)",
        min: 0.05,
        max: 100.0,
        scale: Scale::Log,
        integer: false,
    },
    Knob {
        key: "laser_dbm",
        label: "laser power per channel (dBm)",
        min: -10.0,
        max: 30.0,
        scale: Scale::Linear,
        integer: false,
    },
    Knob {
        key: "adc_bits",
        label: "ADC bits",
        min: 1.0,
        max: 16.0,
        scale: Scale::Linear,
        integer: true,
    },
    Knob {
        key: "eo_pj",
        label: "E/O energy per conversion (pJ)",
        min: 0.001,
        max: 1000.0,
        scale: Scale::Log,
        integer: false,
    },
    Knob {
        key: "oe_pj",
        label: "O/E energy per conversion (pJ)",
        min: 0.001,
        max: 1000.0,
        scale: Scale::Log,
        integer: false,
    },
];

/// The fleet panel's sliders: traffic, targets and the facility of the default deployment.
pub const FLEET_KNOBS: [Knob; 6] = [
    Knob {
        key: "tokens_per_s",
        label: "traffic at the busiest hour (output tokens/s)",
        min: 100.0,
        max: 1e8,
        scale: Scale::Log,
        integer: false,
    },
    Knob {
        key: "ttft_s",
        label: "target: time to first token (s)",
        min: 0.05,
        max: 10_000.0,
        scale: Scale::Log,
        integer: false,
    },
    Knob {
        key: "tpot_ms",
        label: "target: time per output token (ms)",
        min: 1.0,
        max: 100_000.0,
        scale: Scale::Log,
        integer: false,
    },
    Knob {
        key: "usd_per_kwh",
        label: "electricity price (USD/kWh)",
        min: 0.02,
        max: 0.4,
        scale: Scale::Log,
        integer: false,
    },
    Knob {
        key: "pue",
        label: "PUE",
        min: 1.0,
        max: 2.5,
        scale: Scale::Linear,
        integer: false,
    },
    Knob {
        key: "load_pct",
        label: "mean load (% of the busiest hour)",
        min: 5.0,
        max: 100.0,
        scale: Scale::Linear,
        integer: true,
    },
];

/// The longest query string accepted.
const MAX_QUERY: usize = 1024;

/// What the server holds: the starting rig and the workload, and the deployment the fleet
/// panel sizes (the default one, with this rig as its optical option).
pub struct Base {
    pub rig_spec: String,
    pub rig: Rig,
    pub workload: Workload,
    pub gpu: Gpu,
    pub deployment: Deployment,
    pub fleet_model: Workload,
    pub fleet_hardware: Hardware,
}

impl Base {
    pub fn load(rig: &str, workload: &str) -> CliResult<Self> {
        let pair = load_pair(rig, workload, &[])?;
        let deployment = lightloop_rig::load_deployment(DEFAULT_DEPLOYMENT, &[])?.value;
        let fleet_model = lightloop_fleet::served_model(&deployment)?;
        let mut fleet_hardware = Hardware::of(&deployment)?;
        fleet_hardware.rigs = vec![pair.rig.value.clone()];
        Ok(Self {
            rig_spec: rig.to_string(),
            rig: pair.rig.value,
            workload: pair.workload.value,
            gpu: load_gpu(DEFAULT_GPUS[0])?.value,
            deployment,
            fleet_model,
            fleet_hardware,
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

    /// The starting value of each knob, from the rig.
    fn start(&self) -> Vec<f64> {
        let r = &self.rig;
        let t = &r.topology;
        vec![
            t.channels as f64,
            t.readout_width as f64,
            t.loop_passes as f64,
            t.wdm_lanes as f64,
            t.symbol_period.si() * 1e9,
            10.0 * (r.laser.power.si() * 1e3).log10(),
            r.adc.bits as f64,
            r.dac.energy_per_conversion.si() * 1e12,
            r.adc.conversion_energy() * 1e12,
        ]
    }
}

/// A request's answer.
#[derive(Serialize)]
pub struct Update {
    pub fj_per_mac: f64,
    pub j_per_token: f64,
    pub tokens_per_s: f64,
    pub ttft_s: f64,
    pub gpu: String,
    /// GPU J/token ÷ the rig's (> 1: the rig uses less energy).
    pub energy_ratio_to_gpu: f64,
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

/// Parses `key=value&…` into one value per knob (the rig's value when absent), checking keys,
/// characters, duplicates and ranges.
pub fn parse(base: &Base, query: &str) -> Result<(Vec<f64>, Option<char>), Rejected> {
    parse_knobs(&KNOBS, base.start(), query, true)
}

/// Parses `key=value&…` against `knobs` (values in `start` when absent); `tier=A…D` is
/// accepted when `with_tier`.
fn parse_knobs(
    knobs: &[Knob],
    mut values: Vec<f64>,
    query: &str,
    with_tier: bool,
) -> Result<(Vec<f64>, Option<char>), Rejected> {
    if query.len() > MAX_QUERY {
        return Err(Rejected(
            StatusCode::URI_TOO_LONG,
            format!("query longer than {MAX_QUERY} characters"),
        ));
    }
    let mut seen = vec![false; knobs.len()];
    let mut tier = None;
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
        if with_tier && k == "tier" {
            tier = match v {
                "A" | "B" | "C" | "D" => v.chars().next(),
                _ => return Err(bad(format!("tier: '{v}' is not one of A, B, C, D"))),
            };
            continue;
        }
        let i = knobs.iter().position(|n| n.key == k).ok_or_else(|| {
            let keys: Vec<&str> = knobs.iter().map(|n| n.key).collect();
            bad(format!(
                "unknown parameter '{k}' (known: {}{})",
                keys.join(", "),
                if with_tier { ", tier" } else { "" }
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
            return Err(bad(format!("{k} = {v} is outside {} … {}", n.min, n.max)));
        }
        if n.integer && x.fract() != 0.0 {
            return Err(bad(format!("{k} = {v} must be a whole number")));
        }
        values[i] = x;
    }
    Ok((values, tier))
}

/// The rig overrides for knob values (and a tier).
fn overrides(base: &Base, v: &[f64], tier: Option<char>) -> Vec<String> {
    let enob_ratio = base.rig.adc.enob / base.rig.adc.bits as f64;
    let mut s = vec![
        format!("topology.channels={}", v[0]),
        format!("topology.readout_width={}", v[1]),
        format!("topology.loop_passes={}", v[2]),
        format!("topology.wdm_lanes={}", v[3]),
        format!("topology.symbol_period=\"{} ns\"", v[4]),
        format!("laser.power=\"{} dBm\"", v[5]),
        format!("adc.bits={}", v[6]),
        format!("adc.enob={}", v[6] * enob_ratio),
        format!("dac.energy_per_conversion=\"{} pJ\"", v[7]),
    ];
    if base.rig.adc.energy_per_conversion.is_some() {
        s.push(format!("adc.energy_per_conversion=\"{} pJ\"", v[8]));
    }
    if let Some(t) = tier {
        s.push(format!("rig.tier=\"{t}\""));
    }
    s
}

fn rig_for(base: &Base, sets: &[String]) -> Result<Rig, Rejected> {
    let rig = load_rig(&base.rig_spec, sets)
        .map_err(|e| {
            bad(e
                .to_string()
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" "))
        })?
        .value;
    check_pair(&rig, &base.workload).map_err(|p| bad(format!("{}: {}", p.key, p.message)))?;
    Ok(rig)
}

/// The answer to one slider change.
pub fn update(base: &Base, query: &str) -> Result<Update, Rejected> {
    let (v, tier) = parse(base, query)?;
    let sets = overrides(base, &v, tier);
    let rig = rig_for(base, &sets)?;
    let e = evaluate(&rig, &base.workload).map_err(|e| bad(e.to_string()))?;
    let g = evaluate_gpu(&base.gpu, &base.workload).map_err(|e| bad(e.to_string()))?;
    // fJ/MAC versus N = channels, the other knobs as set; the current N marked.
    let mut pts = Vec::new();
    for n in [1u32, 4, 16, 64, 256, 1024, 4096] {
        let mut s = sets.clone();
        s.push(format!("topology.channels={n}"));
        if let Ok(e) = rig_for(base, &s)
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
            Series::line("current", vec![(v[0], e.metrics.fj_per_mac)]),
        ],
    )
    .map_err(|m| Rejected(StatusCode::INTERNAL_SERVER_ERROR, m.to_string()))?;
    let ledger = chart::bar_chart(
        &Axes::new("Energy per token by category", "", "J per token"),
        std::slice::from_ref(&rig.rig.name),
        &Category::ALL
            .iter()
            .map(|c| (c.label().to_string(), vec![e.per_token.category(*c)]))
            .collect::<Vec<_>>(),
        true,
    )
    .map_err(|m| Rejected(StatusCode::INTERNAL_SERVER_ERROR, m.to_string()))?;
    Ok(Update {
        fj_per_mac: e.metrics.fj_per_mac,
        j_per_token: e.metrics.j_per_token,
        tokens_per_s: e.metrics.tokens_per_s,
        ttft_s: e.metrics.ttft,
        gpu: base.gpu.gpu.name.clone(),
        energy_ratio_to_gpu: g.j_per_token / e.metrics.j_per_token,
        snr_db: e.noise.snr_db,
        limited_by: e.rates.limited_by,
        warnings: e.check_messages(),
        plot_size: size,
        plot_ledger: ledger,
    })
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
    let (v, _) = parse_knobs(&FLEET_KNOBS, base.fleet_start(), query, false)?;
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
        let (lo, hi, val, step) = match n.scale {
            Scale::Log => (n.min.log10(), n.max.log10(), v.max(n.min).log10(), 0.01),
            Scale::PowersOfTwo => (n.min.log2(), n.max.log2(), v.max(n.min).log2().round(), 1.0),
            Scale::Linear => (n.min, n.max, *v, if n.integer { 1.0 } else { 0.05 }),
        };
        out.push_str(&format!(
            "<label>{label}<input type=\"range\" id=\"{key}\" data-scale=\"{scale}\" data-int=\"{int}\" data-start=\"{v}\" \
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

/// The page: sliders, headline figures and plot slots; a small script asks /api/update.
pub fn page(base: &Base) -> String {
    let sliders = slider_html(&KNOBS, &base.start());
    let fleet_sliders = slider_html(&FLEET_KNOBS, &base.fleet_start());
    let tier = format!("{:?}", base.rig.rig.tier);
    let tiers: String = ["A", "B", "C", "D"]
        .iter()
        .map(|t| {
            format!(
                "<option{}>{t}</option>",
                if *t == tier { " selected" } else { "" }
            )
        })
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>lightloop dashboard: {rig}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}}
#knobs{{display:grid;grid-template-columns:repeat(3,1fr);gap:.4em 2em;max-width:1200px}}
label{{display:flex;flex-direction:column;font-size:.9em}}output{{font-variant-numeric:tabular-nums;color:#0072B2}}
#head{{display:flex;gap:2.5em;margin:1em 0;font-size:1.1em}}#head b{{display:block;font-size:1.5em}}
#plots{{display:flex;flex-wrap:wrap;gap:1em}}#status{{color:#8a4b00;min-height:1.3em}}
#fleet-knobs{{display:grid;grid-template-columns:repeat(3,1fr);gap:.4em 2em;max-width:1200px}}
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border-bottom:1px solid #ccc;padding:.2em .8em;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style></head><body>
<h1>lightloop dashboard</h1><p>Rig {rig} ({desc}), workload {wl}; figures from the analytic cost model.</p>
<div id="knobs">{sliders}<label>build tier<select id="tier">{tiers}</select></label></div>
<div id="head"><div>fJ per MAC<b id="fj">–</b></div><div>J per token<b id="jtok">–</b></div>
<div>tokens per second<b id="tps">–</b></div><div>energy ratio to <span id="gpu"></span><b id="ratio">–</b></div>
<div>readout SNR (dB)<b id="snr">–</b></div></div><p id="status"></p>
<div id="plots"><div id="plot-size"></div><div id="plot-ledger"></div></div>
<h2>Fleet: {dep} on GPUs and on this rig</h2>
<p>The {dep} deployment ({model}) sized on every option: the cheapest configuration that meets the targets, or the closest.</p>
<div id="fleet-knobs">{fleet_sliders}</div>
<p id="verdict"></p><table id="fleet"><thead><tr><th>option</th><th>targets met</th><th>configuration</th><th>devices</th><th>MW at the wall (busiest)</th><th>USD per million tokens</th></tr></thead><tbody></tbody></table>
<div id="plot-fleet"></div>
<p><label style="display:inline">scenario name <input id="snap-name" value="scenario 1"></label> <button id="snap">save snapshot</button></p>
<table id="snapshots"><thead></thead><tbody></tbody></table>
<script>
const fmt = x => (Math.abs(x) >= 0.01 && Math.abs(x) < 1e5) ? (+x.toPrecision(4)).toString() : x.toExponential(3);
const knobs = [...document.querySelectorAll('#knobs input[type=range]')];
const fknobs = [...document.querySelectorAll('#fleet-knobs input[type=range]')];
function value(k) {{ if (k.dataset.moved !== '1') return +(+k.dataset.start).toPrecision(6); let v = +k.value; if (k.dataset.scale === 'log') v = Math.pow(10, v);
  if (k.dataset.scale === 'pow2') v = Math.pow(2, v);
  if (k.dataset.int === 'true') v = Math.round(v); else v = +v.toPrecision(3); return v; }}
let timer = null, seq = 0;
async function refresh() {{
  const q = knobs.map(k => k.id + '=' + value(k)).join('&') + '&tier=' + document.getElementById('tier').value;
  knobs.forEach(k => document.getElementById(k.id + '-v').textContent = value(k));
  const mine = ++seq;
  const r = await fetch('/api/update?' + q);
  if (mine !== seq) return;
  const st = document.getElementById('status');
  if (!r.ok) {{ st.textContent = 'Not computed: ' + await r.text(); return; }}
  const u = await r.json();
  document.getElementById('fj').textContent = fmt(u.fj_per_mac);
  document.getElementById('jtok').textContent = fmt(u.j_per_token);
  document.getElementById('tps').textContent = fmt(u.tokens_per_s);
  document.getElementById('gpu').textContent = u.gpu;
  document.getElementById('ratio').textContent = fmt(u.energy_ratio_to_gpu);
  document.getElementById('snr').textContent = u.snr_db.toFixed(1);
  document.getElementById('plot-size').innerHTML = u.plot_size;
  document.getElementById('plot-ledger').innerHTML = u.plot_ledger;
  st.textContent = 'Throughput limited by ' + u.limited_by + '. ' + u.warnings.join(' ');
  document.body.dataset.updates = (+(document.body.dataset.updates || 0) + 1).toString();
}}
function soon() {{ clearTimeout(timer); timer = setTimeout(refresh, 60); }}
knobs.forEach(k => k.addEventListener('input', () => {{ k.dataset.moved = '1'; soon(); }}));
document.getElementById('tier').addEventListener('change', soon);
let ftimer = null, fseq = 0, last = null;
const snapshots = [];
async function refreshFleet() {{
  const q = fknobs.map(k => k.id + '=' + value(k)).join('&');
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
                    "/api/fleet",
                    get({
                        let base = base.clone();
                        move |q| api_fleet(base.clone(), q)
                    }),
                );
        let listener = tokio::net::TcpListener::bind((a.host, a.port))
            .await
            .map_err(|e| CliError::Message(format!("listening on {}:{}: {e}", a.host, a.port)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Message(e.to_string()))?;
        println!("lightloop dashboard on http://{addr}/  (Ctrl-C stops it)");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| CliError::Message(format!("server: {e}")))
    })
}

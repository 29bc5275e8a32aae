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
pub use lightloop_dashboard::*;
use lightloop_report::html::escape;
use lightloop_rig::presets::{DEFAULT_RIG, DEFAULT_WORKLOAD};
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
        Ok(Err(e)) => (status(&e), e.to_string()).into_response(),
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

fn respond<T: Serialize>(
    answer: Result<Result<T, DashboardError>, tokio::task::JoinError>,
) -> Response {
    match answer {
        Ok(Ok(u)) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&u).unwrap_or_else(|_| "{}".into()),
        )
            .into_response(),
        Ok(Err(e)) => (status(&e), e.to_string()).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the update failed").into_response(),
    }
}

/// The starting state: the rig and workload named on the command line, against the first
/// default GPU.
pub fn load_base(rig: &str, workload: &str) -> CliResult<Base> {
    let pair = load_pair(rig, workload, &[])?;
    let gpu = load_gpu(DEFAULT_GPUS[0])?.value;
    Base::new(pair.rig.value, pair.workload.value, gpu).map_err(|e| match e {
        DashboardError::Input(i) => CliError::Input(i),
        other => CliError::Message(other.to_string()),
    })
}

/// The HTTP answer to a dashboard error.
fn status(e: &DashboardError) -> StatusCode {
    match e {
        DashboardError::BadRequest(_) | DashboardError::Input(_) => StatusCode::BAD_REQUEST,
        DashboardError::TooLong(_) => StatusCode::URI_TOO_LONG,
        DashboardError::Failed(_) | DashboardError::Fleet(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn run(a: &ServeArgs) -> CliResult<()> {
    if !a.host.is_loopback() && !a.allow_remote {
        return Err(CliError::BadInput(format!(
            "--host {}: the dashboard has no authentication, so it listens on this machine only (127.0.0.1) unless --allow-remote is given",
            a.host
        )));
    }
    let base = Arc::new(load_base(&a.rig, &a.workload)?);
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

//! The time-domain engine from Python: `simulate` (one channel's reference chain at one received
//! power, its trace as NumPy arrays) and `test_plan` (the bench's measurement plan).

use crate::convert::to_py;
use crate::cost::cost_fail;
use crate::desc::rig_or_default;
use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_cost::CostError;
use lightloop_cost::shard::{self, Shard};
use lightloop_physics::chain::SimSettings;
use lightloop_physics::instruments::ber;
use lightloop_physics::instruments::monte_carlo::{Count, Names};
use lightloop_physics::instruments::plan;
use lightloop_physics::instruments::rare::{self, Estimator, RareSettings};
use lightloop_rig::units::{dim, parse_quantity};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// A received power given as a string with its unit ("-30 dBm", "1 µW") or a float in W.
fn power_arg(v: &Bound<'_, PyAny>) -> Result<f64> {
    let p = if let Ok(s) = v.extract::<String>() {
        parse_quantity::<dim::Power>(&s).map_err(|e| Fail::arg("power", format!("{s:?}: {e:?}")))?
    } else {
        v.extract::<f64>().map_err(|_| {
            Fail::arg(
                "power",
                "expected a power with its unit (\"-30 dBm\") or a float in W",
            )
        })?
    };
    if !(p.is_finite() && p > 0.0) {
        return Err(Fail::arg(
            "power",
            format!("the received power must be positive, not {p} W"),
        ));
    }
    Ok(p)
}

/// What Python calls the settings of a count, for messages.
const NAMES: Names = Names {
    power: "power",
    symbols: "symbols",
    samples_per_symbol: "samples_per_symbol",
    time_limit: "time_limit",
    shard: "shard",
};

/// Runs the reference chain of one channel of the rig (laser → modulator → path → SOA →
/// saturable absorber → attenuator → photodiode → TIA → integrate-and-dump → ternary
/// comparator) on `symbols` random ternary symbols at the full-scale received `power` (a
/// string with its unit, "-30 dBm", or a float in W), every noise source on. Returns a dict:
/// the symbol- and bit-error counts with Wilson 95 % intervals, the eye (V), the energy ledger
/// (J) and, with `trace=True`, the arrays `sent` (int8), `readout_v` (float64) and `decided`
/// (int8), one entry per symbol. The same seed gives the same numbers whatever the thread
/// count. Ctrl-C stops it within a block of 8192 symbols.
///
/// `shard="K/N"` with `out=` counts only shard K of N of the symbols, on streams keyed by the
/// seed and K, and writes its counts to `out` (JSON) for `merge_counts` or `lightloop merge`,
/// exactly as `lightloop simulate --shard K/N --out FILE` does.
///
/// `estimator` chooses how the error rates are estimated, as `lightloop simulate --estimator`:
/// "brute" (count errors, Wilson interval), "importance" (importance sampling of the receiver's
/// and comparator's noise along the error's direction from a pilot run: rates down to 1e-15
/// in seconds, normal 95 % interval from the weighted indicators), "cross-entropy" (the shift
/// learned by cross-entropy) or "auto" (brute force when the symbols are expected to show 100
/// errors). A biased estimate returns `symbol_error_rate` and `bit_error_rate` (rate, low, high,
/// effective sample size, the brute-force symbols it replaces), the per-class estimates and the
/// notes; it takes no `trace` or `shard`.
#[pyfunction]
#[pyo3(signature = (rig = None, power = None, symbols = 100_000, samples_per_symbol = 8, seed = 1, trace = false, time_limit = 3600.0, progress = None, shard = None, out = None, force = false, estimator = "brute", pilot = 2000))]
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    py: Python<'_>,
    rig: Option<&Bound<'_, PyAny>>,
    power: Option<&Bound<'_, PyAny>>,
    symbols: u64,
    samples_per_symbol: usize,
    seed: u64,
    trace: bool,
    time_limit: f64,
    progress: Option<&Bound<'_, PyAny>>,
    shard: Option<&str>,
    out: Option<PathBuf>,
    force: bool,
    estimator: &str,
    pilot: usize,
) -> PyResult<Py<PyAny>> {
    let loaded = rig_or_default(rig)?;
    let rig = &loaded.value;
    let power = match power {
        Some(p) => power_arg(p)?,
        None => parse_quantity::<dim::Power>("-30 dBm").expect("a valid power"),
    };
    let shard: Option<Shard> = shard
        .map(|s| {
            s.parse()
                .map_err(|e: CostError| Fail::arg("shard", e.to_string()))
        })
        .transpose()?;
    if shard.is_some() != out.is_some() {
        return Err(Fail::arg("out", "shard= and out= go together").into());
    }
    if let (Some(o), false) = (&out, force)
        && o.exists()
    {
        return Err(Fail::arg(
            "out",
            format!(
                "{} already exists; pass force=True to overwrite it",
                o.display()
            ),
        )
        .into());
    }
    let count = Count {
        power,
        symbols,
        samples_per_symbol,
        seed,
        shard,
    };
    count
        .check(time_limit)
        .map_err(|e| Fail::arg(e.key(&NAMES), e.message(&count, &NAMES)))?;
    let estimator: Estimator =
        serde_json::from_value(serde_json::Value::from(estimator)).map_err(|_| {
            Fail::arg(
                "estimator",
                format!("`{estimator}` is not one of brute, importance, cross-entropy, auto"),
            )
        })?;
    if estimator != Estimator::Brute {
        if trace || shard.is_some() {
            return Err(Fail::arg(
                "estimator",
                format!("{estimator}: trace= and shard= count brute force only"),
            )
            .into());
        }
        return rare_estimate(py, rig, &count, estimator, pilot, progress);
    }
    let r = count.range();
    let own = r.end - r.start;
    // A trace holds 10 bytes per symbol: bounded like the run itself.
    if trace && own > 100_000_000 {
        return Err(Fail::arg(
            "trace",
            "a trace holds at most 10⁸ symbols (1 GB); run without trace=True",
        )
        .into());
    }
    let out_ = long(py, Some(1), progress, |control| {
        let (mut sent, mut readout, mut decided) = (Vec::new(), Vec::new(), Vec::new());
        let (chain, counted) = count.run(rig, |first, s, r, d| {
            control.check()?;
            if trace {
                sent.extend_from_slice(s);
                readout.extend_from_slice(r);
                decided.extend_from_slice(d);
            }
            control.progress((first + s.len()) as u64, own);
            Ok::<(), Fail>(())
        })?;
        Ok((chain, counted, sent, readout, decided))
    })?;
    let (chain, counted, sent, readout, decided) = out_;
    if let Some(o) = &out {
        let rig_toml =
            toml::to_string(&loaded.doc.table).map_err(|e| Fail::Failed(e.to_string()))?;
        if let Some(file) = count.shard_file(rig, &rig_toml, &chain, &counted) {
            file.write(o, force).map_err(cost_fail)?;
        }
    }
    #[derive(serde::Serialize)]
    struct Report {
        rig: String,
        seed: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        shard: Option<Shard>,
        first_symbol: u64,
        #[serde(flatten)]
        measured: ber::Measured,
    }
    let report = Report {
        rig: rig.rig.name.clone(),
        seed,
        shard,
        first_symbol: r.start,
        measured: ber::Measured::of(rig, power, &chain, &counted),
    };
    let d = to_py(py, &report)?;
    if trace {
        let dict = d.bind(py).cast::<PyDict>()?.clone();
        let sent: Bound<'_, PyArray1<i8>> = sent.into_pyarray(py);
        dict.set_item("sent", sent)?;
        dict.set_item("readout_v", readout.into_pyarray(py))?;
        dict.set_item("decided", decided.into_pyarray(py))?;
    }
    Ok(d)
}

/// The error rates of `count` by a biased (or automatically chosen) estimator
/// ([`rare::estimate`]), as `lightloop simulate --estimator … --json` reports them.
fn rare_estimate(
    py: Python<'_>,
    rig: &lightloop_rig::Rig,
    count: &Count,
    estimator: Estimator,
    pilot: usize,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let settings = RareSettings {
        estimator,
        symbols: count.symbols as usize,
        pilot,
        ..RareSettings::default()
    };
    rare::check(&settings).map_err(|e| Fail::arg("estimator", e.to_string()))?;
    let sim = SimSettings {
        seed: count.seed,
        samples_per_symbol: count.samples_per_symbol,
        ..SimSettings::default()
    };
    let estimate = long(py, Some(1), progress, |control| {
        let e = rare::estimate(rig, &sim, count.power, &settings, count.stream_key())
            .map_err(|e| Fail::arg("estimator", e.to_string()))?;
        control.progress(1, 1);
        Ok(e)
    })?;
    to_py(
        py,
        &rare::Report::new(rig, count.seed, count.power, estimate),
    )
}

/// Merges the shard files of a Monte-Carlo run (`simulate(shard=…, out=…)` or `lightloop
/// simulate --shard`) into `out` (JSON, written whole or not at all): the counts added into one
/// error rate with its Wilson 95 % interval, the energy and simulated time summed. Refuses,
/// naming the file or shard, shards of other runs, repeated, missing or unfinished shards.
/// Returns what was written, as a dict.
#[pyfunction]
#[pyo3(signature = (shards, out, force = false))]
pub fn merge_counts(
    py: Python<'_>,
    shards: Vec<PathBuf>,
    out: PathBuf,
    force: bool,
) -> PyResult<Py<PyAny>> {
    let merged = py.detach(|| -> Result<_> {
        let merged = shard::merge_counts(&shards).map_err(cost_fail)?;
        let text =
            serde_json::to_string_pretty(&merged).map_err(|e| Fail::Failed(e.to_string()))? + "\n";
        shard::write_atomic(&out, text.as_bytes(), force).map_err(cost_fail)?;
        Ok(merged)
    })?;
    to_py(py, &merged)
}

/// The bench's measurement plan on the time-domain engine (error rate against received power
/// and slot time, SNR against loop passes, the return map, crosstalk, re-centring, cold start,
/// faults), as a dict of tables. `quick=True` (the default) runs the short plan in seconds.
/// The plan's measurements run in parallel, each on its own random streams, so the result is
/// the command line's `test-plan --json` whatever the thread count; Ctrl-C stops it between
/// measurements.
#[pyfunction]
#[pyo3(signature = (rig = None, quick = true, seed = 1, threads = None, progress = None))]
pub fn test_plan(
    py: Python<'_>,
    rig: Option<&Bound<'_, PyAny>>,
    quick: bool,
    seed: u64,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    let rig = rig_or_default(rig)?.value;
    let settings = plan::settings(quick, seed);
    let items = plan::items(&settings);
    let total = items.len() as u64;
    let parts = long(py, threads, progress, |control| {
        let done = AtomicU64::new(0);
        items
            .par_iter()
            .map(|item| {
                control.check()?;
                let part = serde_json::to_value(plan::measure(&rig, &settings, *item))
                    .map_err(|e| Fail::Failed(e.to_string()))?;
                control.progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                Ok(part)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    to_py(py, &plan::assemble(&rig.rig.name, &settings, &parts))
}

//! The cost model from Python: `evaluate`, `compare`, `audit` and `sweep`.

use crate::convert::to_py;
use crate::desc::{gpu_arg, rig_arg, workload_arg};
use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_cost::shard::Shard;
use lightloop_cost::sweep::{self, Axis, Format, Output, Sweep, Values, parse_axis};
use lightloop_cost::{Category, CostError};
use lightloop_rig::{InputErrors, Loaded};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::PathBuf;

/// The cost model's answer for one rig on one workload: energy per token with its ledger,
/// throughput and latency from the schedule, and the noise budget. Figures are in SI units
/// (J, s, tokens/s); `to_dict()` gives everything, as `lightloop energy --json` does.
#[pyclass(module = "lightloop", frozen)]
pub struct Evaluation {
    inner: lightloop_cost::Evaluation,
    rig: String,
    workload: String,
}

#[pymethods]
impl Evaluation {
    /// Energy per output token, J (prefill and decode of a serving cycle, every watt counted).
    #[getter]
    fn j_per_token(&self) -> f64 {
        self.inner.metrics.j_per_token
    }
    /// Output tokens per second.
    #[getter]
    fn tokens_per_s(&self) -> f64 {
        self.inner.metrics.tokens_per_s
    }
    /// Time of one decode step of the batch, s.
    #[getter]
    fn step_time(&self) -> f64 {
        self.inner.metrics.step_time
    }
    /// Time to first token, s.
    #[getter]
    fn ttft(&self) -> f64 {
        self.inner.metrics.ttft
    }
    /// Energy per MAC over all MACs of a token (optical and host), J.
    #[getter]
    fn j_per_mac(&self) -> f64 {
        self.inner.metrics.fj_per_mac * 1e-15
    }
    /// Delivered tera-operations per second per watt (2 operations per MAC).
    #[getter]
    fn tops_per_w(&self) -> f64 {
        self.inner.metrics.tops_per_w
    }
    /// The share of the energy that is DC power × time (lasers, TECs, bias, idle host).
    #[getter]
    fn static_fraction(&self) -> f64 {
        self.inner.metrics.static_fraction
    }
    /// The share of a token's MACs done optically.
    #[getter]
    fn optical_fraction(&self) -> f64 {
        self.inner.metrics.optical_fraction
    }
    /// The readout's signal-to-noise ratio, dB.
    #[getter]
    fn snr_db(&self) -> f64 {
        self.inner.noise.snr_db
    }
    /// The energy per token by ledger item, J: {item: joules}.
    #[getter]
    fn ledger<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (item, j) in self.inner.per_token.entries() {
            d.set_item(item.label(), j)?;
        }
        Ok(d)
    }
    /// The energy per token by category (optics, converters, host, …), J.
    #[getter]
    fn categories<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for c in Category::ALL {
            d.set_item(c.label(), self.inner.per_token.category(c))?;
        }
        Ok(d)
    }
    /// A sentence for each check that fired (symbol rate limited, SNR below target, …).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.check_messages()
    }
    /// Everything the model computed, as nested dicts (the JSON of `lightloop energy --json`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "Evaluation({} on {}: {} per token, {} tokens/s)",
            self.rig,
            self.workload,
            lightloop_base::words::figure(self.inner.metrics.j_per_token) + " J",
            lightloop_base::words::figure(self.inner.metrics.tokens_per_s)
        )
    }
}

/// Located problems of a pair that cannot be evaluated together.
fn incompatible(
    rig: &Loaded<lightloop_rig::Rig>,
    wl: &Loaded<lightloop_rig::Workload>,
    e: lightloop_cost::Incompatible,
) -> Fail {
    let mut errors = wl.doc.problems_to_errors(e.workload).0;
    errors.extend(rig.doc.problems_to_errors(e.rig).0);
    Fail::Input(InputErrors(errors))
}

fn evaluate_pair(
    rig: &Loaded<lightloop_rig::Rig>,
    wl: &Loaded<lightloop_rig::Workload>,
) -> Result<lightloop_cost::Evaluation> {
    lightloop_cost::evaluate(&rig.value, &wl.value).map_err(|e| incompatible(rig, wl, e))
}

/// Evaluates a rig on a workload with the cost model: energy per token (every watt counted),
/// throughput and latency, the noise budget. `rig` and `workload` are objects or preset
/// names/paths. Raises InputError, naming the keys, when the two cannot go together.
#[pyfunction]
pub fn evaluate(rig: &Bound<'_, PyAny>, workload: &Bound<'_, PyAny>) -> PyResult<Evaluation> {
    let (r, w);
    let (rig_ref, wl_ref) = match (
        rig.cast::<crate::desc::Rig>(),
        workload.cast::<crate::desc::Workload>(),
    ) {
        // The common case borrows the descriptions instead of copying them.
        (Ok(a), Ok(b)) => (&a.get().inner, &b.get().inner),
        _ => {
            r = rig_arg(rig)?;
            w = workload_arg(workload)?;
            (&r, &w)
        }
    };
    let inner = evaluate_pair(rig_ref, wl_ref)?;
    Ok(Evaluation {
        inner,
        rig: rig_ref.value.rig.name.clone(),
        workload: wl_ref.value.workload.name.clone(),
    })
}

pub(crate) fn cost_fail(e: CostError) -> Fail {
    Fail::of(e.is_input(), e)
}

/// The rig against GPU baselines on one workload: the verdict in words (the rig's figure over
/// the GPU's, > 1 meaning the rig uses more energy or is slower), each GPU's serving figures,
/// and what single change would reach the first GPU's energy per token. `gpus` defaults to
/// H100 SXM, H200 SXM and B200.
#[pyfunction]
#[pyo3(signature = (rig, workload, gpus = None))]
pub fn compare(
    py: Python<'_>,
    rig: &Bound<'_, PyAny>,
    workload: &Bound<'_, PyAny>,
    gpus: Option<Vec<Bound<'_, PyAny>>>,
) -> PyResult<Py<PyAny>> {
    let r = rig_arg(rig)?;
    let w = workload_arg(workload)?;
    let e = evaluate_pair(&r, &w)?;
    let gpus = crate::desc::gpus_or_default(gpus)?;
    let compared =
        lightloop_cost::verdict::compare(&r.value, &w.value, &e, &gpus).map_err(cost_fail)?;
    #[derive(serde::Serialize)]
    struct Out<'a> {
        rig: &'a str,
        workload: &'a str,
        #[serde(flatten)]
        compared: lightloop_cost::verdict::Compared,
        optical: &'a lightloop_cost::Evaluation,
    }
    to_py(
        py,
        &Out {
            rig: &r.value.rig.name,
            workload: &w.value.workload.name,
            compared,
            optical: &e,
        },
    )
}

/// The claims audit: each published figure reproduced under its own assumptions, beside the
/// physically consistent one, with the rig (default seed-16ch) for the 16-channel rows.
#[pyfunction]
#[pyo3(signature = (rig = None))]
pub fn audit(py: Python<'_>, rig: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let loaded = crate::desc::rig_or_default(rig)?;
    let name = loaded.value.rig.name.clone();
    let rigs = lightloop_cost::audit::AuditRigs::with_seed(name, loaded.value);
    let deployment: Loaded<lightloop_rig::Deployment> = crate::desc::preset(
        lightloop_rig::DescKind::Deployment,
        lightloop_rig::presets::DEFAULT_DEPLOYMENT,
    )?;
    let claims =
        lightloop_fleet::claims::full_audit(&rigs, &deployment.value).map_err(Fail::from)?;
    to_py(py, &claims)
}

/// An axis from Python: a list of values, or a range spec ("lin:1 mW..5 mW:5", "log:1..1024:11").
fn axis(key: &str, v: &Bound<'_, PyAny>) -> Result<Axis> {
    if let Ok(s) = v.cast::<PyString>() {
        let spec = s.to_str().map_err(|e| Fail::arg("vary", e.to_string()))?;
        return parse_axis(&format!("{key}={spec}")).map_err(|e| Fail::arg("vary", e.to_string()));
    }
    let items: Vec<Bound<'_, PyAny>> = v
        .try_iter()
        .map_err(|_| {
            Fail::arg(
                "vary",
                format!("{key}: expected a list of values or a range such as \"lin:1..2:3\""),
            )
        })?
        .collect::<PyResult<_>>()
        .map_err(|e| Fail::arg("vary", e.to_string()))?;
    let values = items
        .iter()
        .map(|x| {
            crate::convert::py_to_toml(x).ok_or_else(|| {
                Fail::arg(
                    "vary",
                    format!("{key}: a value that is not a str, int, float or bool"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if values.is_empty() {
        return Err(Fail::arg("vary", format!("{key}: no values")));
    }
    Ok(Axis {
        key: key.to_string(),
        values: Values::List(values),
    })
}

/// The sweep of `vary` over the base descriptions, checked before any point runs.
fn build_sweep(
    rig: &Bound<'_, PyAny>,
    workload: &Bound<'_, PyAny>,
    vary: &Bound<'_, PyDict>,
    gpu: Option<&Bound<'_, PyAny>>,
    max_points: u64,
) -> PyResult<Sweep> {
    let r = rig_arg(rig)?;
    let w = workload_arg(workload)?;
    let g = gpu.map(gpu_arg).transpose()?;
    let mut axes = Vec::new();
    for (k, v) in vary.iter() {
        let key: String = k.extract()?;
        axes.push(axis(&key, &v)?);
    }
    if axes.is_empty() {
        return Err(Fail::arg(
            "vary",
            "at least one axis: {\"topology.channels\": [8, 16, 32]}",
        )
        .into());
    }
    let points: u128 = axes.iter().map(|a| a.values.len() as u128).product();
    if points > u128::from(max_points) {
        return Err(Fail::arg(
            "max_points",
            format!("the grid has {points} points, more than max_points={max_points}; raise it or sweep fewer values"),
        )
        .into());
    }
    let s = Sweep {
        rig_table: r.doc.table.clone(),
        workload_table: w.doc.table.clone(),
        label: format!(
            "rig {} ({}), workload {} ({}){}",
            r.value.rig.name,
            r.doc.main_origin(),
            w.value.workload.name,
            w.doc.main_origin(),
            g.as_ref()
                .map(|g| format!(", gpu {}", g.value.gpu.name))
                .unwrap_or_default()
        ),
        gpu: g.map(|g| g.value),
        axes,
    };
    s.preflight().map_err(cost_fail)?;
    Ok(s)
}

/// Runs a design sweep to a file (CSV or JSON lines, by its extension), with the command line's
/// guarantees: rows in grid order whatever the thread count, a killed run resumed from
/// `OUT.partial` with its checksums verified, only a finished sweep under `OUT`. With
/// `shard="K/N"` only shard K of N is run (its contiguous block of grid points), written to
/// `out` with its description in `OUT.shard`, for `merge_sweep`. Returns the run's summary.
/// `lightloop.sweep` wraps it and returns a DataFrame.
#[pyfunction]
#[pyo3(signature = (rig, workload, vary, out, gpu = None, threads = None, force = false, max_points = 1_000_000_000, progress = None, shard = None))]
#[allow(clippy::too_many_arguments)]
pub fn sweep_to_file(
    py: Python<'_>,
    rig: &Bound<'_, PyAny>,
    workload: &Bound<'_, PyAny>,
    vary: &Bound<'_, PyDict>,
    out: PathBuf,
    gpu: Option<&Bound<'_, PyAny>>,
    threads: Option<usize>,
    force: bool,
    max_points: u64,
    progress: Option<&Bound<'_, PyAny>>,
    shard: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let format = Format::from_path(&out).ok_or_else(|| {
        Fail::arg(
            "out",
            format!("{}: the output must end in .csv or .jsonl", out.display()),
        )
    })?;
    let shard: Option<Shard> = shard
        .map(|s| {
            s.parse()
                .map_err(|e: CostError| Fail::arg("shard", e.to_string()))
        })
        .transpose()?;
    let s = build_sweep(rig, workload, vary, gpu, max_points)?;
    let output = Output {
        path: out.clone(),
        format,
        force,
    };
    let summary = long(py, threads, progress, |control| {
        let report = |done: u64, total: u64| control.progress(done, total);
        let summary = sweep::run_until(&s, &output, shard, &report, &|| control.cancelled())
            .map_err(cost_fail)?;
        // Interrupted: the partial file stays for the next run to resume.
        control.check()?;
        Ok(summary)
    })?;
    #[derive(serde::Serialize)]
    struct Record {
        out: String,
        #[serde(flatten)]
        summary: sweep::RunSummary,
    }
    let place = if summary.finished {
        out
    } else {
        output.partial_path()
    };
    to_py(
        py,
        &Record {
            out: place.display().to_string(),
            summary,
        },
    )
}

/// Merges the shard files of one sweep (all of 1/N … N/N, each once, finished) into `out`, the
/// bytes a one-process sweep writes; refuses shards of another run, missing or repeated shards,
/// naming them. Returns the merge's summary.
#[pyfunction]
#[pyo3(signature = (shards, out, force = false))]
pub fn merge_sweep(
    py: Python<'_>,
    shards: Vec<PathBuf>,
    out: PathBuf,
    force: bool,
) -> PyResult<Py<PyAny>> {
    let format = Format::from_path(&out).ok_or_else(|| {
        Fail::arg(
            "out",
            format!("{}: the output must end in .csv or .jsonl", out.display()),
        )
    })?;
    let output = Output {
        path: out,
        format,
        force,
    };
    let summary = py
        .detach(|| sweep::merge(&shards, &output))
        .map_err(cost_fail)?;
    to_py(py, &summary)
}

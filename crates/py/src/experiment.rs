//! The loop-network experiments from Python: `experiment(name, rig, **config)` runs one of the
//! ten experiments of `lightloop experiment` through [`lightloop_lab::experiment`] and returns
//! its rows and summaries (the CSVs' tables) as dicts; `experiment_config(name)` gives the
//! defaults, the fields `**config` may set.

use crate::convert::{py_to_json, to_py};
use crate::desc::rig_or_default;
use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_lab::Progress;
use lightloop_lab::experiment as ex;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The experiments, as the command line names them.
pub const NAMES: [&str; 10] = [
    "depth",
    "readout",
    "width",
    "distill",
    "curriculum",
    "gain",
    "halting",
    "cadence",
    "pareto",
    "rule",
];

/// The configuration `C::default()` with `overrides` set on top; unknown fields are refused with
/// the known ones listed, and a value of the wrong type names its field.
fn configured<C: Default + Serialize + DeserializeOwned>(
    name: &str,
    overrides: &serde_json::Map<String, serde_json::Value>,
) -> Result<C> {
    let mut value = serde_json::to_value(C::default()).map_err(|e| Fail::Failed(e.to_string()))?;
    let fields = value.as_object_mut().expect("a configuration is a record");
    let known: Vec<String> = fields.keys().cloned().collect();
    let unknown: Vec<&String> = overrides
        .keys()
        .filter(|k| !fields.contains_key(*k))
        .collect();
    if !unknown.is_empty() {
        return Err(Fail::arg(
            "config",
            format!(
                "experiment {name} has no field {}; its fields are {}",
                unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                known.join(", ")
            ),
        ));
    }
    for (k, v) in overrides {
        fields.insert(k.clone(), v.clone());
    }
    serde_json::from_value(value)
        .map_err(|e| Fail::arg("config", format!("experiment {name}: {e}")))
}

fn defaults<C: Default + Serialize>(py: Python<'_>) -> PyResult<Py<PyAny>> {
    to_py(py, &C::default())
}

/// The default configuration of experiment `name`: the fields `experiment(name, **config)` may
/// set, with their defaults.
#[pyfunction]
pub fn experiment_config(py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
    match name {
        "depth" => defaults::<ex::depth::Config>(py),
        "readout" => defaults::<ex::readout::Config>(py),
        "width" => defaults::<ex::width::Config>(py),
        "distill" => defaults::<ex::distill::Config>(py),
        "curriculum" => defaults::<ex::curriculum::Config>(py),
        "gain" => defaults::<ex::gain::Config>(py),
        "halting" => defaults::<ex::halting::Config>(py),
        "cadence" => defaults::<ex::cadence::Config>(py),
        "pareto" => defaults::<ex::pareto::Config>(py),
        "rule" => defaults::<ex::rule::Config>(py),
        _ => Err(unknown(name).into()),
    }
}

fn unknown(name: &str) -> Fail {
    Fail::arg(
        "name",
        format!(
            "no experiment `{name}`{}; the experiments are {}",
            lightloop_rig::document::suggest(name, &NAMES),
            NAMES.join(", ")
        ),
    )
}

/// Runs loop-network experiment `name` (depth, readout, width, distill, curriculum, gain,
/// halting, cadence, pareto, rule; see `lightloop experiment --help`) on `rig` (default
/// seed-16ch) with its default configuration changed by `**config` (`experiment_config(name)`
/// lists the fields; e.g. `epochs=2, seeds=1, passes=[1, 4]`). Returns the experiment's tables
/// (`rows`, `summary`, …) as lists of dicts, the rows those of its CSV files. The same seeds
/// give the same rows whatever the thread count.
#[pyfunction]
#[pyo3(signature = (name, rig = None, threads = None, progress = None, **config))]
pub fn experiment(
    py: Python<'_>,
    name: &str,
    rig: Option<&Bound<'_, PyAny>>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    config: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let rig = rig_or_default(rig)?.value;
    let mut overrides = serde_json::Map::new();
    if let Some(d) = config {
        for (k, v) in d.iter() {
            let key: String = k.extract()?;
            let value = py_to_json(&v).ok_or_else(|| {
                Fail::arg(&key, "expected a number, string, bool or a list of them")
            })?;
            overrides.insert(key, value);
        }
    }
    macro_rules! run {
        ($($name:literal => $module:ident),* $(,)?) => {
            match name {
                $($name => {
                    let c: ex::$module::Config = configured($name, &overrides)?;
                    let outcome = long(py, threads, progress, |control| {
                        let mut report = |p: Progress| control.progress(p.done as u64, p.total as u64);
                        if control.cancelled() {
                            return Err(Fail::Cancelled);
                        }
                        ex::$module::run(&c, &rig, &mut report).map_err(|e| Fail::of(e.is_input(), e))
                    })?;
                    to_py(py, &outcome)
                })*
                _ => Err(unknown(name).into()),
            }
        };
    }
    run!(
        "depth" => depth,
        "readout" => readout,
        "width" => width,
        "distill" => distill,
        "curriculum" => curriculum,
        "gain" => gain,
        "halting" => halting,
        "cadence" => cadence,
        "pareto" => pareto,
        "rule" => rule,
    )
}

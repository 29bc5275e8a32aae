//! Descriptions as Python objects: `Rig`, `Workload`, `Gpu` and `Deployment`, each a
//! validated description with the document it was read from, so that problems are located
//! (file, line, key) exactly as on the command line, and a changed copy (`with_`) is
//! validated again and titled as modified.

use crate::convert::{py_to_toml, to_py, toml_to_py};
use crate::error::{Fail, Result};
use lightloop_rig::document::{Layer, insert_dotted};
use lightloop_rig::provenance::Named;
use lightloop_rig::{
    DescKind, Document, ErrorKind, InputError as RigInputError, InputErrors, Loaded, Validate,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;

/// Reads a description from a preset name.
pub fn preset<T>(kind: DescKind, name: &str) -> Result<Loaded<T>>
where
    T: DeserializeOwned + Validate + Serialize + Named,
{
    if lightloop_rig::presets::text(kind, name).is_none() {
        let names = lightloop_rig::presets::names(kind);
        return Err(Fail::arg(
            "name",
            format!(
                "no {} preset `{name}`{}; the presets are {}",
                kind.noun(),
                lightloop_rig::document::suggest(name, &names),
                names.join(", ")
            ),
        ));
    }
    parse(kind, Document::load(kind, name)?)
}

/// Reads a description from a file path, or from TOML text (a string with a newline or `=`).
pub fn from_toml<T>(kind: DescKind, source: &Bound<'_, PyAny>) -> Result<Loaded<T>>
where
    T: DeserializeOwned + Validate + Serialize + Named,
{
    if let Ok(s) = source.cast::<PyString>() {
        let text = s.to_str().map_err(|e| Fail::arg("source", e.to_string()))?;
        if text.contains('\n') || text.contains('=') {
            return parse(kind, Document::from_text(kind, "<string>", text, None)?);
        }
    }
    let path: PathBuf = source.extract().map_err(|_| {
        Fail::arg(
            "source",
            "expected a path (str or os.PathLike) or the TOML text of a description",
        )
    })?;
    parse(kind, Document::from_file(kind, &path)?)
}

fn parse<T>(kind: DescKind, doc: Document) -> Result<Loaded<T>>
where
    T: DeserializeOwned + Validate + Serialize + Named,
{
    let value = doc.parse::<T>()?;
    Ok(Loaded::new(kind, doc, value))
}

/// The description with `values` (dotted key → value) set on top, validated again. A float for
/// a key whose value carries a unit is read in that unit's SI form (W, s, Hz, …; dB for ratios).
pub fn with<T>(
    kind: DescKind,
    base: &Loaded<T>,
    values: &[(String, Bound<'_, PyAny>)],
) -> Result<Loaded<T>>
where
    T: DeserializeOwned + Validate + Serialize + Named,
{
    let mut doc = base.doc.clone();
    let resolved = toml::Table::try_from(&base.value).ok();
    let mut problems = Vec::new();
    for (key, v) in values {
        let origin = format!("with_ {key}");
        let Some(mut value) = py_to_toml(v) else {
            problems.push(RigInputError {
                key: Some(key.clone()),
                ..RigInputError::bare(
                    ErrorKind::WrongType,
                    &origin,
                    format!(
                        "cannot use a {} as a value: give a str (with its unit, \"12 dBm\"), an int, a float (SI) or a bool",
                        v.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                    ),
                )
            });
            continue;
        };
        if let toml::Value::Float(f) = value
            && let Some(toml::Value::String(current)) =
                resolved.as_ref().and_then(|t| lookup(t, key))
            && let Some(unit) = lightloop_rig::units::stored_unit_of(current)
        {
            value = toml::Value::String(format!("{f:e} {unit}"));
        }
        if let Err(p) = insert_dotted(&mut doc.table, key, value.clone()) {
            problems.push(RigInputError {
                key: Some(key.clone()),
                ..RigInputError::bare(ErrorKind::WrongType, &origin, p.message)
            });
            continue;
        }
        doc.layers.push(Layer {
            origin,
            text: format!("{key} = {value}"),
            dir: None,
        });
    }
    if !problems.is_empty() {
        return Err(Fail::Input(InputErrors(problems)));
    }
    parse(kind, doc)
}

/// The value at a dotted key of a table.
pub fn lookup<'a>(t: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut v = t.get(parts.next()?)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

/// The keyword arguments and the mapping given to `with_`, in order.
pub fn assignments<'py>(
    values: Option<&Bound<'py, PyDict>>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let mut out = Vec::new();
    for d in [values, kwargs].into_iter().flatten() {
        for (k, v) in d.iter() {
            out.push((k.extract::<String>()?, v));
        }
    }
    Ok(out)
}

/// The description written back as TOML (every value resolved), headed by its title.
pub fn to_toml<T: Serialize + Named>(d: &Loaded<T>) -> Result<String> {
    let body = toml::to_string(&d.value).map_err(|e| Fail::Failed(e.to_string()))?;
    Ok(format!("# {}\n{body}", d.provenance.title))
}

/// A pickled layer: its origin, text and folder.
type LayerState = (String, String, Option<String>);

/// The pickled state of a document: its merged table as TOML and its layers.
fn state(doc: &Document) -> Result<(String, Vec<LayerState>)> {
    let table = toml::to_string(&doc.table).map_err(|e| Fail::Failed(e.to_string()))?;
    let layers = doc
        .layers
        .iter()
        .map(|l| {
            (
                l.origin.clone(),
                l.text.clone(),
                l.dir.as_ref().map(|d| d.display().to_string()),
            )
        })
        .collect();
    Ok((table, layers))
}

fn from_state<T>(kind: DescKind, table: &str, layers: Vec<LayerState>) -> Result<Loaded<T>>
where
    T: DeserializeOwned + Validate + Serialize + Named,
{
    let table: toml::Table =
        toml::from_str(table).map_err(|e| Fail::arg("state", e.to_string()))?;
    let doc = Document {
        kind,
        layers: layers
            .into_iter()
            .map(|(origin, text, dir)| Layer {
                origin,
                text,
                dir: dir.map(PathBuf::from),
            })
            .collect(),
        table,
    };
    parse(kind, doc)
}

macro_rules! description {
    ($Py:ident, $T:ty, $kind:expr, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "lightloop", frozen)]
        #[derive(Clone)]
        pub struct $Py {
            pub inner: Loaded<$T>,
        }

        #[pymethods]
        impl $Py {
            /// A built-in description by name (`presets()` lists them).
            #[staticmethod]
            fn preset(name: &str) -> PyResult<Self> {
                Ok(Self {
                    inner: preset($kind, name)?,
                })
            }

            /// The names of the built-in descriptions.
            #[staticmethod]
            fn presets() -> Vec<&'static str> {
                lightloop_rig::presets::names($kind)
            }

            /// Reads a description from a TOML file (a path) or from TOML text; it may extend a
            /// preset (`extends = "seed-16ch"`). Problems raise InputError naming file, line
            /// and key, all at once.
            #[staticmethod]
            fn from_toml(source: &Bound<'_, PyAny>) -> PyResult<Self> {
                Ok(Self {
                    inner: from_toml($kind, source)?,
                })
            }

            /// A copy with keys changed, validated again: `with_({"laser.power": "12 dBm"})`
            /// or `with_(**{"topology.channels": 32})`. Values are strings with units as in a
            /// TOML file, ints, bools, or floats in SI units (W, s, Hz, …; dB for ratios).
            #[pyo3(signature = (values = None, **kwargs))]
            fn with_(
                &self,
                values: Option<&Bound<'_, PyDict>>,
                kwargs: Option<&Bound<'_, PyDict>>,
            ) -> PyResult<Self> {
                let a = assignments(values, kwargs)?;
                Ok(Self {
                    inner: with($kind, &self.inner, &a)?,
                })
            }

            /// The description as TOML, every value resolved; `from_toml` reads it back.
            fn to_toml(&self) -> PyResult<String> {
                Ok(to_toml(&self.inner)?)
            }

            /// The description as nested dicts, quantities in their written form.
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                to_py(py, &self.inner.value)
            }

            /// The value at a dotted key (`"laser.power"`), as written in TOML.
            fn get<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
                let table = toml::Table::try_from(&self.inner.value)
                    .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
                match lookup(&table, key) {
                    Some(v) => toml_to_py(py, v),
                    None => Err(pyo3::exceptions::PyKeyError::new_err(key.to_string())),
                }
            }

            /// The name: the preset's or file's, with ", modified" when values were changed.
            #[getter]
            fn name(&self) -> String {
                self.inner.provenance.title.clone()
            }

            /// Each value that differs from the preset it is based on: key, value, preset's
            /// value and the layer that set it.
            #[getter]
            fn differences(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                to_py(py, &self.inner.provenance.differences)
            }

            fn __repr__(&self) -> String {
                format!("{}({:?})", stringify!($Py), self.inner.provenance.title)
            }

            /// Pickling (for process pools and Ray): the document's layers and merged table,
            /// so that the copy is read again exactly as the original was.
            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
            ) -> PyResult<(
                Bound<'py, PyAny>,
                (String, Vec<(String, String, Option<String>)>),
            )> {
                let (table, layers) = state(&slf.get().inner.doc)?;
                Ok((slf.get_type().getattr("_from_state")?, (table, layers)))
            }

            /// Rebuilds a description from its pickled state.
            #[staticmethod]
            fn _from_state(
                table: &str,
                layers: Vec<(String, String, Option<String>)>,
            ) -> PyResult<Self> {
                Ok(Self {
                    inner: from_state($kind, table, layers)?,
                })
            }
        }
    };
}

description!(
    Rig,
    lightloop_rig::Rig,
    DescKind::Rig,
    "An optical rig: lasers, modulators, the loop, converters, host. `Rig.preset(\"seed-16ch\")`, `Rig.from_toml(path_or_text)`, `rig.with_(**{\"laser.power\": \"12 dBm\"})`."
);
description!(
    Workload,
    lightloop_rig::Workload,
    DescKind::Workload,
    "A workload: the network (a transformer or a loop network) and how it is served (batch, prompt and generated tokens)."
);
description!(
    Gpu,
    lightloop_rig::Gpu,
    DescKind::Gpu,
    "A GPU baseline: peak FLOP/s, HBM, board power, interconnect, host."
);
description!(
    Deployment,
    lightloop_rig::Deployment,
    DescKind::Deployment,
    "A deployment: the served model, the demand, the hardware options and the facility's economics."
);

/// A rig given as a `Rig` or as a preset name or path.
pub fn rig_arg(v: &Bound<'_, PyAny>) -> PyResult<Loaded<lightloop_rig::Rig>> {
    if let Ok(r) = v.cast::<Rig>() {
        return Ok(r.get().inner.clone());
    }
    Ok(by_name(DescKind::Rig, v, "rig")?)
}

/// A workload given as a `Workload` or as a preset name or path.
pub fn workload_arg(v: &Bound<'_, PyAny>) -> PyResult<Loaded<lightloop_rig::Workload>> {
    if let Ok(w) = v.cast::<Workload>() {
        return Ok(w.get().inner.clone());
    }
    Ok(by_name(DescKind::Workload, v, "workload")?)
}

/// A GPU given as a `Gpu` or as a preset name or path.
pub fn gpu_arg(v: &Bound<'_, PyAny>) -> PyResult<Loaded<lightloop_rig::Gpu>> {
    if let Ok(g) = v.cast::<Gpu>() {
        return Ok(g.get().inner.clone());
    }
    Ok(by_name(DescKind::Gpu, v, "gpu")?)
}

/// A deployment given as a `Deployment` or as a preset name or path.
pub fn deployment_arg(v: &Bound<'_, PyAny>) -> PyResult<Loaded<lightloop_rig::Deployment>> {
    if let Ok(d) = v.cast::<Deployment>() {
        return Ok(d.get().inner.clone());
    }
    Ok(by_name(DescKind::Deployment, v, "deployment")?)
}

fn by_name<T>(kind: DescKind, v: &Bound<'_, PyAny>, arg: &str) -> Result<Loaded<T>>
where
    T: DeserializeOwned + Validate + Serialize + Named,
{
    let spec: PathBuf = v.extract().map_err(|_| {
        Fail::arg(
            arg,
            format!(
                "expected a lightloop.{} or a preset name or path",
                match kind {
                    DescKind::Rig => "Rig",
                    DescKind::Workload => "Workload",
                    DescKind::Gpu => "Gpu",
                    _ => "Deployment",
                }
            ),
        )
    })?;
    let doc = Document::load(kind, &spec.to_string_lossy())?;
    parse(kind, doc)
}

/// The rig given, or the default rig (seed-16ch) when none is.
pub fn rig_or_default(v: Option<&Bound<'_, PyAny>>) -> PyResult<Loaded<lightloop_rig::Rig>> {
    match v {
        Some(r) => rig_arg(r),
        None => Ok(preset(DescKind::Rig, lightloop_rig::presets::DEFAULT_RIG)?),
    }
}

/// The GPUs given, or the default baselines (H100 SXM, H200 SXM, B200).
pub fn gpus_or_default(v: Option<Vec<Bound<'_, PyAny>>>) -> PyResult<Vec<lightloop_rig::Gpu>> {
    match v {
        Some(list) => list.iter().map(|g| gpu_arg(g).map(|l| l.value)).collect(),
        None => ["h100-sxm", "h200-sxm", "b200"]
            .iter()
            .map(|n| Ok(preset::<lightloop_rig::Gpu>(DescKind::Gpu, n)?.value))
            .collect(),
    }
}

//! Values across the boundary: serialisable results to Python objects (dicts, lists, floats;
//! non-finite numbers become None, as in the command line's JSON), and Python values to the
//! TOML values of a description.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use serde_json::Value;

/// Any serialisable value as plain Python objects.
pub fn to_py<T: Serialize>(py: Python<'_>, v: &T) -> PyResult<Py<PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    Ok(json(py, &value)?.unbind())
}

/// A JSON value as Python objects.
pub fn json<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| json(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A TOML value as Python objects.
pub fn toml_to_py<'py>(py: Python<'py>, v: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    let j = serde_json::to_value(v)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    json(py, &j)
}

/// A Python value as a description's TOML value: a string is read as `--set` reads it (`"16"`
/// is the integer 16, `"12 dBm"` a string), numbers and booleans as themselves, lists and
/// tuples element by element. `None` for anything else.
pub fn py_to_toml(v: &Bound<'_, PyAny>) -> Option<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return v.extract::<bool>().ok().map(toml::Value::Boolean);
    }
    if v.is_instance_of::<PyInt>() {
        return v.extract::<i64>().ok().map(toml::Value::Integer);
    }
    if v.is_instance_of::<PyFloat>() {
        return v.extract::<f64>().ok().map(toml::Value::Float);
    }
    if let Ok(s) = v.cast::<PyString>() {
        let s = s.to_str().ok()?;
        return Some(lightloop_rig::document::parse_value_literal(s.trim()));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: Option<Vec<_>> = v.try_iter().ok()?.map(|x| py_to_toml(&x.ok()?)).collect();
        return items.map(toml::Value::Array);
    }
    // NumPy scalars and other numbers.
    if let Ok(f) = v.extract::<f64>() {
        return Some(toml::Value::Float(f));
    }
    None
}

/// A Python value as JSON: None, bools, ints, floats, strings, lists and tuples, dicts with
/// string keys. `None` for anything else.
pub fn py_to_json(v: &Bound<'_, PyAny>) -> Option<Value> {
    if v.is_none() {
        return Some(Value::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return v.extract::<bool>().ok().map(Value::Bool);
    }
    if v.is_instance_of::<PyInt>() {
        return v.extract::<i64>().ok().map(Value::from);
    }
    if v.is_instance_of::<PyFloat>() {
        return v
            .extract::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s.to_str().ok().map(|s| Value::String(s.to_string()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut o = serde_json::Map::new();
        for (k, x) in d.iter() {
            o.insert(k.extract::<String>().ok()?, py_to_json(&x)?);
        }
        return Some(Value::Object(o));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: Option<Vec<_>> = v.try_iter().ok()?.map(|x| py_to_json(&x.ok()?)).collect();
        return items.map(Value::Array);
    }
    // NumPy scalars and other numbers.
    if let Ok(i) = v.extract::<i64>() {
        return Some(Value::from(i));
    }
    v.extract::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

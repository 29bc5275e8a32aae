//! Errors as Python exceptions: every problem of a description or an argument is raised at
//! once as `lightloop.InputError` (a `ValueError`) whose `.problems` lists them with file, line,
//! column, key and message, worded as on the command line; failures of the machine are
//! `RuntimeError`; an interrupted run is `KeyboardInterrupt`.

use lightloop_rig::{InputError as RigInputError, InputErrors};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

pyo3::create_exception!(
    lightloop,
    InputError,
    PyValueError,
    "A description or an argument that cannot be used. `.problems` lists every problem at once \
     (each a `lightloop.Problem` with file, line, column, key, message and kind), in the command \
     line's words."
);

/// One problem of a description or an argument.
#[pyclass(module = "lightloop", frozen, get_all)]
#[derive(Clone)]
pub struct Problem {
    /// The file, preset, string or argument the problem is in.
    pub file: String,
    /// Its line (1-based), when it has one.
    pub line: Option<usize>,
    /// Its column (1-based), when it has one.
    pub column: Option<usize>,
    /// The dotted key, when the problem is about one (`laser.power`).
    pub key: Option<String>,
    pub message: String,
    /// The kind of problem: `syntax`, `unknown-key`, `wrong-type`, `unit`, `range`, …
    pub kind: String,
}

#[pymethods]
impl Problem {
    fn __repr__(&self) -> String {
        format!(
            "Problem(file={:?}, line={:?}, key={:?}, message={:?})",
            self.file, self.line, self.key, self.message
        )
    }
    fn __str__(&self) -> String {
        let mut s = self.file.clone();
        if let Some(l) = self.line {
            s += &format!(":{l}");
        }
        s += ": ";
        if let Some(k) = &self.key {
            s += &format!("key `{k}`: ");
        }
        s + &self.message
    }
}

fn kind_name(e: &RigInputError) -> String {
    let debug = format!("{:?}", e.kind);
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What can go wrong in a call, before it becomes a Python exception.
#[derive(Debug)]
pub enum Fail {
    /// Located problems of descriptions.
    Input(InputErrors),
    /// An argument or combination that cannot be used: (argument, message).
    Argument(String, String),
    /// The machine failed (a file could not be written, a worker panicked).
    Failed(String),
    /// The run was interrupted (Ctrl-C) and stopped.
    Cancelled,
}

pub type Result<T> = std::result::Result<T, Fail>;

impl From<InputErrors> for Fail {
    fn from(e: InputErrors) -> Self {
        Fail::Input(e)
    }
}

impl From<lightloop_fleet::FleetError> for Fail {
    /// Every fleet error is about its descriptions: located ones keep their place.
    fn from(e: lightloop_fleet::FleetError) -> Self {
        match e {
            lightloop_fleet::FleetError::Input(errors) => Fail::Input(errors),
            other => Fail::of(true, other),
        }
    }
}

impl Fail {
    /// An argument that cannot be used, named as in Python.
    pub fn arg(name: &str, message: impl Into<String>) -> Self {
        Fail::Argument(name.to_string(), message.into())
    }

    /// A library error: the user's input (`is_input`) or the machine's failure.
    pub fn of(is_input: bool, message: impl std::fmt::Display) -> Self {
        if is_input {
            Fail::Argument(String::new(), message.to_string())
        } else {
            Fail::Failed(message.to_string())
        }
    }
}

impl From<Fail> for PyErr {
    fn from(f: Fail) -> PyErr {
        Python::attach(|py| match f {
            Fail::Input(errors) => {
                let problems: Vec<Problem> = errors
                    .0
                    .iter()
                    .map(|e| Problem {
                        file: e.file.clone(),
                        line: e.line,
                        column: e.column,
                        key: e.key.clone(),
                        message: e.message.clone(),
                        kind: kind_name(e),
                    })
                    .collect();
                raise_input(py, errors.to_string(), problems)
            }
            Fail::Argument(name, message) => {
                let file = if name.is_empty() {
                    "<call>".to_string()
                } else {
                    format!("argument {name}")
                };
                let text = if name.is_empty() {
                    message.clone()
                } else {
                    format!("{name}: {message}")
                };
                raise_input(
                    py,
                    text,
                    vec![Problem {
                        file,
                        line: None,
                        column: None,
                        key: (!name.is_empty()).then_some(name),
                        message,
                        kind: "argument".into(),
                    }],
                )
            }
            Fail::Failed(m) => PyRuntimeError::new_err(m),
            Fail::Cancelled => PyKeyboardInterrupt::new_err("interrupted; the run was stopped"),
        })
    }
}

fn raise_input(py: Python<'_>, text: String, problems: Vec<Problem>) -> PyErr {
    let err = InputError::new_err(text);
    let list = problems
        .into_iter()
        .map(|p| Py::new(py, p))
        .collect::<PyResult<Vec<_>>>()
        .and_then(|v| PyList::new(py, v));
    match list {
        Ok(list) => match err.value(py).setattr("problems", list) {
            Ok(()) => err,
            Err(e) => e,
        },
        Err(e) => e,
    }
}

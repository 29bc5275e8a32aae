//! Reservoirs on NumPy inputs, used as ReservoirPy's nodes are: `run` drives the reservoir and
//! returns its node states, `fit` trains a ridge readout on them, `predict` runs and reads out.

use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_nn::reservoir::{self, Kind, Reservoir as Dynamics, Spec};
use lightloop_nn::ridge::{Gram, Readout};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::sync::Mutex;

/// Steps between checks of the cancel flag and progress reports.
const STEPS_PER_CHECK: usize = 1024;

struct State {
    dynamics: Option<Box<dyn Dynamics>>,
    inputs: usize,
    readout: Option<Readout>,
}

/// A reservoir: the digital echo-state network (`"esn"`), the delay-line models
/// (`"delay-mg"`, `"delay-appeltant"`, `"delay-ikeda"`), the rig's loop on its twin
/// (`"soa-twin"`) or on the time-domain engine (`"soa-engine"`), the ternary loop, or the
/// linear baseline, built on `rig` (default seed-16ch) for the rig's noise. Inputs are arrays
/// of shape (steps, dimensions) with values in [0, 1], the range the models are driven over;
/// the state carries over from one call to the next until `reset()`.
#[pyclass(module = "lightloop")]
pub struct Reservoir {
    spec: Spec,
    rig: lightloop_rig::Rig,
    state: Mutex<State>,
}

fn inputs_of(x: &PyReadonlyArray2<'_, f64>) -> Result<Vec<f64>> {
    if x.shape()[1] == 0 {
        return Err(Fail::arg(
            "x",
            "at least one input dimension (a column per dimension)",
        ));
    }
    let a = x.as_array();
    if a.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(Fail::arg(
            "x",
            "inputs must lie in [0, 1] (the range the reservoir is driven over); scale them first, e.g. (x - x.min()) / (x.max() - x.min())",
        ));
    }
    Ok(a.iter().copied().collect())
}

impl Reservoir {
    /// Drives the reservoir over `x` (row-major, `steps` × `dims`) and returns its states
    /// (row-major, `steps` × nodes).
    fn drive(
        &self,
        py: Python<'_>,
        x: Vec<f64>,
        dims: usize,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<f64>, usize)> {
        let steps = x.len().checked_div(dims).unwrap_or(0);
        long(py, Some(1), progress, |control| {
            let mut st = self.state.lock().map_err(|_| {
                Fail::Failed("the reservoir's state was poisoned by an earlier failure".into())
            })?;
            if st.dynamics.is_none() {
                st.dynamics = Some(
                    reservoir::build(&self.spec, &self.rig, dims)
                        .map_err(|e| Fail::of(e.is_input(), e))?,
                );
                st.inputs = dims;
            } else if st.inputs != dims {
                return Err(Fail::arg(
                    "x",
                    format!(
                        "{dims} input dimensions, but the reservoir was first driven with {}",
                        st.inputs
                    ),
                ));
            }
            let dynamics = st.dynamics.as_mut().expect("built above");
            let n = dynamics.nodes();
            let mut out = vec![0.0; steps * n];
            for (t, (u, row)) in x.chunks(dims).zip(out.chunks_mut(n)).enumerate() {
                if t % STEPS_PER_CHECK == 0 {
                    control.check()?;
                    control.progress(t as u64, steps as u64);
                }
                dynamics.step(u, row);
            }
            control.progress(steps as u64, steps as u64);
            Ok((out, n))
        })
    }
}

fn array2(py: Python<'_>, data: Vec<f64>, cols: usize) -> PyResult<Bound<'_, PyArray2<f64>>> {
    let rows = data.len().checked_div(cols).unwrap_or(0);
    data.into_pyarray(py).reshape([rows, cols])
}

#[pymethods]
impl Reservoir {
    #[new]
    #[pyo3(signature = (kind = "esn", rig = None, nodes = None, gain = None, input_scale = 1.0, inner_noise = true, seed = 1))]
    fn new(
        kind: &str,
        rig: Option<&Bound<'_, PyAny>>,
        nodes: Option<usize>,
        gain: Option<f64>,
        input_scale: f64,
        inner_noise: bool,
        seed: u64,
    ) -> PyResult<Self> {
        let model: Kind = kind
            .parse()
            .map_err(|e: lightloop_nn::NnError| Fail::arg("kind", e.to_string()))?;
        let rig = crate::desc::rig_or_default(rig)?.value;
        let mut spec = Spec::new(model, seed);
        if let Some(n) = nodes {
            if n == 0 || n > 100_000 {
                return Err(Fail::arg("nodes", format!("between 1 and 100000, not {n}")).into());
            }
            spec.nodes = n;
        }
        spec.gain = gain;
        if !(input_scale.is_finite() && input_scale > 0.0) {
            return Err(Fail::arg("input_scale", "a positive number").into());
        }
        spec.input_scale = input_scale;
        if !inner_noise && model == Kind::SoaEngine {
            return Err(Fail::arg(
                "inner_noise",
                "soa-engine's noise is the physics engine's own and cannot be switched off",
            )
            .into());
        }
        spec.inner_noise = inner_noise;
        Ok(Self {
            spec,
            rig,
            state: Mutex::new(State {
                dynamics: None,
                inputs: 0,
                readout: None,
            }),
        })
    }

    /// The number of nodes asked for (the columns of the states).
    #[getter]
    fn units(&self) -> usize {
        self.spec.nodes
    }

    /// Back to the rest state, as between independent sequences (the readout is kept).
    fn reset(&self) {
        if let Ok(mut st) = self.state.lock()
            && let Some(d) = st.dynamics.as_mut()
        {
            d.reset();
        }
    }

    /// Drives the reservoir over `x` (steps × dimensions, values in [0, 1]) and returns its
    /// node states (steps × nodes).
    #[pyo3(signature = (x, progress = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let dims = x.shape()[1];
        let data = inputs_of(&x)?;
        let (states, n) = self.drive(py, data, dims, progress)?;
        array2(py, states, n)
    }

    /// Trains the ridge readout y ≈ W·[state, 1] from rest: drives the reservoir over `x`
    /// (steps × dimensions), drops the first `warmup` steps, and solves
    /// (XᵀX + ridge·I)·W = XᵀY. Returns self.
    #[pyo3(signature = (x, y, ridge = 1e-6, warmup = 0))]
    fn fit<'py>(
        slf: PyRef<'py, Self>,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        y: PyReadonlyArray2<'py, f64>,
        ridge: f64,
        warmup: usize,
    ) -> PyResult<PyRef<'py, Self>> {
        let (steps, dims) = (x.shape()[0], x.shape()[1]);
        let outputs = y.shape()[1];
        if y.shape()[0] != steps {
            return Err(Fail::arg("y", format!("{} rows, but x has {steps}", y.shape()[0])).into());
        }
        if warmup >= steps {
            return Err(Fail::arg(
                "warmup",
                format!("{warmup} steps leave none of the {steps} to fit"),
            )
            .into());
        }
        if !(ridge.is_finite() && ridge >= 0.0) {
            return Err(Fail::arg("ridge", "a finite number ≥ 0").into());
        }
        let targets: Vec<f64> = y.as_array().iter().copied().collect();
        if targets.iter().any(|v| !v.is_finite()) {
            return Err(Fail::arg("y", "targets must be finite").into());
        }
        let data = inputs_of(&x)?;
        slf.reset();
        let (states, n) = slf.drive(py, data, dims, None)?;
        let features: Vec<Vec<f64>> = states
            .chunks(n)
            .skip(warmup)
            .map(|s| s.iter().copied().chain([1.0]).collect())
            .collect();
        let targets: Vec<Vec<f64>> = targets
            .chunks(outputs)
            .skip(warmup)
            .map(<[f64]>::to_vec)
            .collect();
        let mut g = Gram::new(n + 1, outputs);
        g.add(&features, &targets);
        let readout = g.solve(ridge).ok_or_else(|| {
            Fail::arg(
                "ridge",
                "the regression is singular at this ridge; use a larger one",
            )
        })?;
        slf.state
            .lock()
            .map_err(|_| Fail::Failed("the reservoir's state was poisoned".into()))?
            .readout = Some(readout);
        Ok(slf)
    }

    /// Drives the reservoir over `x` from its current state and returns the trained readout's
    /// outputs (steps × outputs).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let dims = x.shape()[1];
        let data = inputs_of(&x)?;
        let readout = self
            .state
            .lock()
            .map_err(|_| Fail::Failed("the reservoir's state was poisoned".into()))?
            .readout
            .clone()
            .ok_or_else(|| Fail::arg("self", "no readout yet: call fit(x, y) first"))?;
        let (states, n) = self.drive(py, data, dims, None)?;
        let features: Vec<Vec<f64>> = states
            .chunks(n)
            .map(|s| s.iter().copied().chain([1.0]).collect())
            .collect();
        let outputs = readout.weights.len();
        let y: Vec<f64> = readout.apply_all(&features).into_iter().flatten().collect();
        array2(py, y, outputs)
    }

    fn __repr__(&self) -> String {
        format!(
            "Reservoir({:?}, nodes={}, gain={}, seed={})",
            self.spec.model.name(),
            self.spec.nodes,
            self.spec.gain(),
            self.spec.seed
        )
    }
}

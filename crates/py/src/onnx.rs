//! Users' own networks on the rig: an ONNX model (exported from PyTorch or any framework) whose
//! MatMul, Gemm and Conv layers with constant weights run on the optical twin (the rig's noise,
//! DAC and ADC) while the rest runs digitally, evaluated on NumPy data, with the cost model's
//! energy per inference for that mapping ([`lightloop_models::onnx`]).

use crate::convert::to_py;
use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_models::linear::{AdcRange, Weights};
use lightloop_models::onnx::{self, LayerChoice, Mapping, OnnxModel as Model, Output};
use numpy::{IntoPyArray, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::PathBuf;

fn model_fail(e: lightloop_models::Error) -> Fail {
    let input = !matches!(e, lightloop_models::Error::Candle(_));
    Fail::of(input, e)
}

/// One named input: its values (row-major) and shape.
type Feed = (String, Vec<f32>, Vec<usize>);

/// The named input arrays as float32, row-major.
fn inputs(feeds: &Bound<'_, PyDict>) -> Result<Vec<Feed>> {
    let mut out = Vec::new();
    for (k, v) in feeds.iter() {
        let name: String = k
            .extract()
            .map_err(|_| Fail::arg("inputs", "keys must be the model's input names"))?;
        let array: PyReadonlyArrayDyn<'_, f32> = v
            .extract()
            .or_else(|_| {
                // Other dtypes (float64 from NumPy's defaults) are converted.
                let np = v.py().import("numpy")?;
                np.call_method1("ascontiguousarray", (v.clone(), "float32"))?
                    .extract()
            })
            .map_err(|_| {
                Fail::arg(
                    "inputs",
                    format!("{name}: expected a NumPy array of numbers"),
                )
            })?;
        let shape = array.shape().to_vec();
        let data: Vec<f32> = array.as_array().iter().copied().collect();
        out.push((name, data, shape));
    }
    Ok(out)
}

/// The inputs as the model takes them: (name, values, shape) views.
fn refs(feeds: &[Feed]) -> Vec<onnx::Input<'_>> {
    feeds
        .iter()
        .map(|(n, d, s)| (n.as_str(), d.as_slice(), s.as_slice()))
        .collect()
}

fn outputs<'py>(py: Python<'py>, outs: Vec<Output>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for o in outs {
        let a: Bound<'py, PyArrayDyn<f32>> = o.data.into_pyarray(py).reshape(o.shape)?;
        d.set_item(o.name, a)?;
    }
    Ok(d)
}

/// An ONNX model read from a file path or from its bytes. `run(inputs)` evaluates it digitally
/// (the reference); `on_rig(rig, …)` puts its linear layers on the rig.
#[pyclass(module = "lightloop", frozen)]
pub struct OnnxModel {
    inner: Model,
}

#[pymethods]
impl OnnxModel {
    #[new]
    fn new(source: &Bound<'_, PyAny>) -> PyResult<Self> {
        let inner = if let Ok(b) = source.cast::<PyBytes>() {
            Model::from_bytes(b.as_bytes())
        } else {
            let path: PathBuf = source
                .extract()
                .map_err(|_| Fail::arg("source", "expected a path or the model's bytes"))?;
            Model::from_path(&path)
        }
        .map_err(model_fail)?;
        Ok(Self { inner })
    }

    /// The graph's inputs: name, element type and shape (None for a free dimension).
    #[getter]
    fn inputs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.inputs())
    }

    /// The graph's outputs.
    #[getter]
    fn outputs(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.outputs())
    }

    /// The layers that can run on the optics (MatMul, Gemm, Conv with constant weights): name,
    /// op, rows and columns of the product.
    #[getter]
    fn layers(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.layers())
    }

    /// Evaluates the model digitally on `inputs` ({name: array}); returns {name: array}.
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let feeds = self::inputs(inputs)?;
        let outs = long(py, None, None, |_| {
            self.inner.run(&refs(&feeds)).map_err(model_fail)
        })?;
        outputs(py, outs)
    }

    /// The model on `rig`: the layers in `optical` ("all", the default; "none"; or a list of
    /// layer names) run on the twin with `weights` ("analog": full-precision transmissions with a
    /// per-row scale; "ternary": {−1, 0, +1} with a per-row scale) and the converter span set
    /// by `adc` ("calibrated": from the first batch run, × `margin`; "worst-case"); `photons`
    /// per input per symbol replaces the rig's light when given. The same seed gives the same
    /// outputs whatever the thread count.
    #[pyo3(signature = (rig = None, optical = None, weights = "analog", adc = "calibrated", margin = 1.25, photons = None, seed = 1))]
    #[allow(clippy::too_many_arguments)]
    fn on_rig(
        &self,
        rig: Option<&Bound<'_, PyAny>>,
        optical: Option<&Bound<'_, PyAny>>,
        weights: &str,
        adc: &str,
        margin: f64,
        photons: Option<f64>,
        seed: u64,
    ) -> PyResult<OnRig> {
        let rig = crate::desc::rig_or_default(rig)?.value;
        let optical = match optical {
            None => LayerChoice::All,
            Some(o) => match o.extract::<String>() {
                Ok(s) if s == "all" => LayerChoice::All,
                Ok(s) if s == "none" => LayerChoice::None,
                Ok(s) => LayerChoice::Named(vec![s]),
                Err(_) => {
                    let names = o.extract::<Vec<String>>().map_err(|_| {
                        Fail::arg("optical", "\"all\", \"none\" or a list of layer names")
                    })?;
                    if names.is_empty() {
                        LayerChoice::None
                    } else {
                        LayerChoice::Named(names)
                    }
                }
            },
        };
        let weights: Weights = weights
            .parse()
            .map_err(|e: lightloop_models::Error| Fail::arg("weights", e.to_string()))?;
        let adc_range = match adc {
            "calibrated" => {
                if !(margin.is_finite() && margin >= 1.0) {
                    return Err(Fail::arg("margin", "a number ≥ 1").into());
                }
                AdcRange::Calibrated { margin }
            }
            "worst-case" => AdcRange::WorstCase,
            other => {
                return Err(Fail::arg(
                    "adc",
                    format!("`{other}`: expected \"calibrated\" or \"worst-case\""),
                )
                .into());
            }
        };
        if let Some(p) = photons
            && !(p.is_finite() && p > 0.0)
        {
            return Err(Fail::arg("photons", "a positive number").into());
        }
        let mapping = Mapping {
            optical,
            weights,
            adc_range,
            photons,
            seed,
        };
        let inner = self.inner.on_rig(&rig, &mapping).map_err(model_fail)?;
        Ok(OnRig { inner })
    }

    fn __repr__(&self) -> String {
        format!(
            "OnnxModel(opset {}, {} optical-capable layers)",
            self.inner.opset(),
            self.inner.layers().len()
        )
    }
}

/// An ONNX model on a rig (from `OnnxModel.on_rig`).
#[pyclass(module = "lightloop", frozen)]
pub struct OnRig {
    inner: onnx::OnRig,
}

#[pymethods]
impl OnRig {
    /// Runs the model on `inputs` ({name: array}) with the chosen layers on the twin; each call
    /// draws new noise. With a calibrated ADC, the first run (or `calibrate`) sets the spans.
    #[pyo3(signature = (inputs, threads = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: &Bound<'py, PyDict>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let feeds = self::inputs(inputs)?;
        let outs = long(py, threads, None, |_| {
            self.inner.run(&refs(&feeds)).map_err(model_fail)
        })?;
        outputs(py, outs)
    }

    /// Sets each optical layer's converter span from a calibration batch (not to be scored).
    fn calibrate(&self, py: Python<'_>, inputs: &Bound<'_, PyDict>) -> PyResult<()> {
        let feeds = self::inputs(inputs)?;
        long(py, None, None, |_| {
            self.inner.calibrate(&refs(&feeds)).map_err(model_fail)
        })
    }

    /// The cost model's energy per inference for this mapping, for inputs of the given shapes
    /// ({name: shape}, the leading axis the batch): each layer's MACs on the optics or the
    /// host, the energy by category, J per inference and inferences per second.
    fn cost(&self, py: Python<'_>, shapes: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let mut owned: Vec<(String, Vec<usize>)> = Vec::new();
        for (k, v) in shapes.iter() {
            owned.push((
                k.extract()?,
                v.extract()
                    .map_err(|_| Fail::arg("shapes", "each shape a sequence of ints"))?,
            ));
        }
        let refs: Vec<(&str, &[usize])> = owned
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_slice()))
            .collect();
        let report = self.inner.cost(&refs).map_err(model_fail)?;
        to_py(py, &report)
    }

    /// The names of the layers on the optics.
    #[getter]
    fn optical_layers(&self) -> Vec<String> {
        self.inner.optical_layers()
    }
}

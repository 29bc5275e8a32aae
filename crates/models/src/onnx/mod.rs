//! Users' own networks on the rig: an ONNX model (exported from PyTorch or any framework) whose
//! dense and convolution layers run on the optical twin while the rest runs digitally, evaluated
//! on the user's data, with the cost model's energy per inference for that mapping — what
//! aihwkit's `convert_to_analog` does for analog in-memory hardware.
//!
//! **Reading** ([`proto`]): the protobuf wire format is decoded by hand for the messages a
//! feed-forward graph needs; default-domain operator sets [`OPSETS`] are accepted.
//!
//! **Layers.** A `MatMul` whose second input is a constant 2-D matrix B (K × N), a `Gemm` whose
//! B is constant, and a 2-D `Conv` (group 1) whose kernel is constant are *optical-capable*:
//! each becomes a [`Linear`] layer y = W·x (+ b) with
//!
//! * MatMul: W = Bᵀ (N × K); the input's last axis is the product's, every leading position is
//!   one vector;
//! * Gemm: W = alpha·B' (B' = B if transB, else Bᵀ), bias beta·C when C is a constant that
//!   broadcasts along the outputs (shape [], [1], [N] or [1, N]; any other C is added on the
//!   host); transA is applied to the input on the host;
//! * Conv (NCHW): W = the kernel as an M × (C·kh·kw) matrix, applied to each receptive field
//!   (im2col: one vector per output position), with the bias inside the layer.
//!
//! Constants are initializers, `Constant` nodes and everything computed from constants alone
//! (folded once, when the model is read). A product of two activations (attention scores) is
//! not a layer and runs on the host. Chosen layers run through the twin as in [`crate::linear`]
//! (offset-encoded inputs, the rig's DAC, noise and ADC, ternary or analog weights).
//!
//! **Inputs** are given as f32 values with a shape; a declared integer input (token ids)
//! accepts whole numbers. Initializers that are also listed as graph inputs (older exporters)
//! stay constants: they are the weights, not inputs to override.
//!
//! **Noise.** Every layer draws from its own stream, keyed by the seed, the layer's index and
//! the call (a model's second run draws new noise); the same seed gives the same outputs for the
//! same calls whatever the number of threads. With [`AdcRange::Calibrated`] the first run sets
//! each layer's converter span ([`OnRig::calibrate`] runs one without keeping its outputs).
//!
//! **Cost** ([`OnRig::cost`]): see [`cost`].

pub mod cost;
mod ops;
pub mod proto;

pub use cost::{CostReport, LayerCost};

use crate::linear::{AdcRange, Linear, Optics, Weights};
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use lightloop_rig::Rig;
use ops::{Ctx, Ints, Layered, Profile};
use proto::{Dim, Node, dtype};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Default-domain operator sets accepted (PyTorch's exporters write 13–20; `onnx` 1.17–1.19
/// write up to 23).
pub const OPSETS: std::ops::RangeInclusive<i64> = 11..=23;

/// A value flowing through the graph.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    F(Tensor),
    I(Ints),
}

/// A graph input or output: name, element type and declared shape (`None`: a free dimension).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TensorInfo {
    pub name: String,
    pub elem_type: String,
    pub shape: Option<Vec<Option<usize>>>,
}

/// An optical-capable layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerInfo {
    /// The node's name, or its first output's name when the node has none.
    pub name: String,
    /// `MatMul`, `Gemm` or `Conv`.
    pub op: String,
    /// Outputs and inputs of the product W (rows × cols).
    pub rows: usize,
    pub cols: usize,
}

struct LayerSpec {
    info: LayerInfo,
    w: Tensor,
    bias: Option<Tensor>,
    bias_inside: bool,
}

struct Inner {
    opset: i64,
    /// Nodes to run, in dependency order (constant ones folded away).
    nodes: Vec<Node>,
    constants: HashMap<String, Value>,
    inputs: Vec<TensorInfo>,
    /// Declared element types of the inputs, by position.
    input_types: Vec<i32>,
    outputs: Vec<TensorInfo>,
    layers: Vec<LayerSpec>,
    layer_of: HashMap<usize, usize>,
    /// The layers as digital products (the reference, and the shapes for the cost).
    digital: Vec<Linear>,
}

/// An ONNX model read into memory.
#[derive(Clone)]
pub struct OnnxModel {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("opset", &self.inner.opset)
            .field("nodes", &self.inner.nodes.len())
            .field("layers", &self.layers())
            .finish()
    }
}

/// Which optical-capable layers go on the optics.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LayerChoice {
    All,
    /// Layers by name ([`LayerInfo::name`]); an unknown name is an error.
    Named(Vec<String>),
    None,
}

/// How a model is put on the rig.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mapping {
    pub optical: LayerChoice,
    pub weights: Weights,
    pub adc_range: AdcRange,
    /// Photons per input per symbol at full modulation in place of the rig's (`None`: the rig's).
    pub photons: Option<f64>,
    pub seed: u64,
}

impl Default for Mapping {
    /// Every capable layer, analog weights, a calibrated ADC span (×1.25), the rig's light,
    /// seed 1.
    fn default() -> Self {
        Self {
            optical: LayerChoice::All,
            weights: Weights::Analog,
            adc_range: AdcRange::Calibrated { margin: 1.25 },
            photons: None,
            seed: 1,
        }
    }
}

/// An output of a run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Output {
    pub name: String,
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// An input: (name, row-major values, shape).
pub type Input<'a> = (&'a str, &'a [f32], &'a [usize]);

fn err_at(i: usize, node: &Node, e: Error) -> Error {
    let name = if node.name.is_empty() {
        format!("#{i}")
    } else {
        format!("`{}`", node.name)
    };
    let e = match e {
        Error::Onnx(m) => m,
        e => e.to_string(),
    };
    Error::Onnx(format!("node {name} ({}): {e}", node.op_type))
}

fn layer_name(node: &Node) -> String {
    if node.name.is_empty() {
        node.outputs.first().cloned().unwrap_or_default()
    } else {
        node.name.clone()
    }
}

impl OnnxModel {
    /// Reads a model from the bytes of a `.onnx` file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let m = proto::Model::decode(bytes)?;
        let opset = m
            .opsets
            .iter()
            .find(|(d, _)| d.is_empty() || d == "ai.onnx")
            .map(|o| o.1)
            .ok_or_else(|| Error::Onnx("no default-domain operator set is imported".into()))?;
        if !OPSETS.contains(&opset) {
            return Err(Error::Onnx(format!(
                "operator set {opset} is not supported ({} to {})",
                OPSETS.start(),
                OPSETS.end()
            )));
        }
        let g = m.graph;
        let mut constants = HashMap::new();
        for t in &g.initializers {
            constants.insert(t.name.clone(), Value::from_proto(t)?);
        }
        let info = |v: &proto::ValueInfo| TensorInfo {
            name: v.name.clone(),
            elem_type: dtype::name(v.elem_type),
            shape: v.shape.as_ref().map(|s| {
                s.iter()
                    .map(|d| match d {
                        Dim::Fixed(n) => Some(*n),
                        _ => None,
                    })
                    .collect()
            }),
        };
        let declared: Vec<&proto::ValueInfo> = g
            .inputs
            .iter()
            .filter(|v| !constants.contains_key(&v.name))
            .collect();
        let inputs: Vec<TensorInfo> = declared.iter().map(|v| info(v)).collect();
        let input_types = declared.iter().map(|v| v.elem_type).collect();
        let outputs: Vec<TensorInfo> = g.outputs.iter().map(info).collect();

        // Dependency order (Kahn), refusing cycles and names that nothing produces.
        let mut available: HashSet<String> = constants.keys().cloned().collect();
        available.extend(inputs.iter().map(|i| i.name.clone()));
        let mut pending: Vec<Node> = g.nodes;
        let mut order: Vec<Node> = Vec::with_capacity(pending.len());
        while !pending.is_empty() {
            let before = pending.len();
            let mut k = 0;
            while k < pending.len() {
                let ready = pending[k]
                    .inputs
                    .iter()
                    .all(|i| i.is_empty() || available.contains(i));
                if ready {
                    let n = pending.remove(k);
                    available.extend(n.outputs.iter().filter(|o| !o.is_empty()).cloned());
                    order.push(n);
                } else {
                    k += 1;
                }
            }
            if pending.len() == before {
                let n = &pending[0];
                let missing: Vec<&String> = n
                    .inputs
                    .iter()
                    .filter(|i| !i.is_empty() && !available.contains(*i))
                    .collect();
                return Err(Error::Onnx(format!(
                    "node `{}` ({}) needs {missing:?}, which no input, initializer or node \
                     provides (or the graph has a cycle)",
                    layer_name(n),
                    n.op_type
                )));
            }
        }
        for o in &outputs {
            if !available.contains(&o.name) {
                return Err(Error::Onnx(format!(
                    "graph output `{}` is not produced by any node",
                    o.name
                )));
            }
        }

        // Fold every node whose inputs are all constants; find the capable layers.
        let mut nodes = Vec::new();
        let mut layers = Vec::new();
        let mut layer_of = HashMap::new();
        for (i, node) in order.into_iter().enumerate() {
            if !(node.domain.is_empty() || node.domain == "ai.onnx") {
                return Err(err_at(
                    i,
                    &node,
                    Error::Onnx(format!("domain `{}` is not supported", node.domain)),
                ));
            }
            let constant = |name: &String| name.is_empty() || constants.contains_key(name);
            if node.inputs.iter().all(constant) {
                let ins: Vec<Option<&Value>> =
                    node.inputs.iter().map(|n| constants.get(n)).collect();
                let mut ctx = Ctx {
                    opset,
                    layer: None,
                    profile: None,
                };
                let outs = ops::run(&node, &ins, &mut ctx).map_err(|e| err_at(i, &node, e))?;
                for (name, v) in node.outputs.iter().zip(outs) {
                    constants.insert(name.clone(), v);
                }
                continue;
            }
            let spec = layer_spec(&node, &constants).map_err(|e| err_at(i, &node, e))?;
            if let Some(s) = spec {
                layer_of.insert(nodes.len(), layers.len());
                layers.push(s);
            }
            nodes.push(node);
        }
        let digital = layers
            .iter()
            .map(|l| Linear::new(l.w.clone(), l.bias.clone()))
            .collect::<Result<_>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                opset,
                nodes,
                constants,
                inputs,
                input_types,
                outputs,
                layers,
                layer_of,
                digital,
            }),
        })
    }

    /// Reads a `.onnx` file (at most [`proto::MAX_BYTES`]).
    pub fn from_path(path: &Path) -> Result<Self> {
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if len > proto::MAX_BYTES as u64 {
            return Err(Error::format(
                path,
                format!("{len} bytes: larger than the 2 GiB an ONNX file may hold"),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes).map_err(|e| Error::format(path, e.to_string()))
    }

    /// The default-domain operator set the model imports.
    pub fn opset(&self) -> i64 {
        self.inner.opset
    }

    /// The inputs a run needs (initializers listed as inputs left out).
    pub fn inputs(&self) -> &[TensorInfo] {
        &self.inner.inputs
    }

    pub fn outputs(&self) -> &[TensorInfo] {
        &self.inner.outputs
    }

    /// The optical-capable layers, in run order.
    pub fn layers(&self) -> Vec<LayerInfo> {
        self.inner.layers.iter().map(|l| l.info.clone()).collect()
    }

    /// Runs the model digitally (the reference).
    pub fn run(&self, inputs: &[Input<'_>]) -> Result<Vec<Output>> {
        execute(&self.inner, &|k| &self.inner.digital[k], inputs, None)
    }

    /// The model on `rig` with `mapping`'s layers on its optical twin.
    pub fn on_rig(&self, rig: &Rig, mapping: &Mapping) -> Result<OnRig> {
        let inner = &self.inner;
        let chosen: Vec<bool> = match &mapping.optical {
            LayerChoice::All => vec![true; inner.layers.len()],
            LayerChoice::None => vec![false; inner.layers.len()],
            LayerChoice::Named(names) => {
                if let Some(n) = names
                    .iter()
                    .find(|n| !inner.layers.iter().any(|l| &l.info.name == *n))
                {
                    let known: Vec<&str> =
                        inner.layers.iter().map(|l| l.info.name.as_str()).collect();
                    return Err(Error::Invalid(format!(
                        "no optical-capable layer is named `{n}` (the layers: {})",
                        known.join(", ")
                    )));
                }
                inner
                    .layers
                    .iter()
                    .map(|l| names.contains(&l.info.name))
                    .collect()
            }
        };
        if let Some(p) = mapping.photons
            && !(p.is_finite() && p > 0.0)
        {
            return Err(Error::Invalid(format!("{p} photons per symbol")));
        }
        if let AdcRange::Calibrated { margin } = mapping.adc_range
            && !(margin.is_finite() && margin > 0.0)
        {
            return Err(Error::Invalid(format!("a calibration margin of {margin}")));
        }
        let optics = Optics {
            rig: rig.clone(),
            weights: mapping.weights,
            photons: mapping.photons,
            adc_range: mapping.adc_range,
            seed: mapping.seed,
            threads: rayon::current_num_threads(),
        };
        let mut optical = Vec::with_capacity(chosen.len());
        for (k, (l, on)) in inner.layers.iter().zip(&chosen).enumerate() {
            optical.push(if *on {
                let mut lin = Linear::new(l.w.clone(), l.bias.clone())?;
                lin.make_optical(&optics, k as u64)?;
                Some(lin)
            } else {
                None
            });
        }
        Ok(OnRig {
            model: self.clone(),
            optical,
            rig: rig.clone(),
            mapping: mapping.clone(),
        })
    }
}

/// The optical-capable layer of `node`, if it is one.
fn layer_spec(node: &Node, constants: &HashMap<String, Value>) -> Result<Option<LayerSpec>> {
    let constant = |k: usize| -> Option<&Value> {
        node.inputs
            .get(k)
            .filter(|n| !n.is_empty())
            .and_then(|n| constants.get(n))
    };
    let data_constant = constant(0).is_some();
    let Some(wv) = constant(1) else {
        return Ok(None);
    };
    if data_constant {
        return Ok(None);
    }
    let w = wv.float()?;
    let info = |rows, cols| LayerInfo {
        name: layer_name(node),
        op: node.op_type.clone(),
        rows,
        cols,
    };
    let spec = match node.op_type.as_str() {
        "MatMul" => {
            let Ok((k, n)) = w.dims2() else {
                return Ok(None);
            };
            LayerSpec {
                info: info(n, k),
                w: w.t()?.contiguous()?,
                bias: None,
                bias_inside: false,
            }
        }
        "Gemm" => {
            if w.rank() != 2 {
                return Err(Error::Onnx(format!("Gemm weight of shape {:?}", w.dims())));
            }
            let wm = if ops::attr_int(node, "transB", 0)? != 0 {
                w
            } else {
                w.t()?.contiguous()?
            };
            let alpha = match node.attributes.iter().find(|a| a.name == "alpha") {
                Some(proto::Attribute {
                    value: proto::AttrValue::Float(f),
                    ..
                }) => *f as f64,
                _ => 1.0,
            };
            let beta = match node.attributes.iter().find(|a| a.name == "beta") {
                Some(proto::Attribute {
                    value: proto::AttrValue::Float(f),
                    ..
                }) => *f as f64,
                _ => 1.0,
            };
            let (rows, cols) = wm.dims2()?;
            let (bias, inside) = match constant(2) {
                Some(cv) => {
                    let ct = cv.float()?;
                    let n = ct.elem_count();
                    let along_rows =
                        matches!(ct.dims(), [] | [_] | [1, _]) && (n == 1 || n == rows);
                    if along_rows {
                        let b = ct.flatten_all()?.affine(beta, 0.0)?;
                        let b = if n == 1 {
                            b.broadcast_as(rows)?.contiguous()?
                        } else {
                            b
                        };
                        (Some(b), true)
                    } else {
                        (None, false)
                    }
                }
                None => (None, node.inputs.get(2).is_none_or(|n| n.is_empty())),
            };
            LayerSpec {
                info: info(rows, cols),
                w: wm.affine(alpha, 0.0)?,
                bias,
                bias_inside: inside,
            }
        }
        "Conv" => {
            let &[m, c, kh, kw] = w.dims() else {
                return Ok(None);
            };
            if ops::attr_int(node, "group", 1)? != 1 {
                return Ok(None);
            }
            let (bias, inside) = match constant(2) {
                Some(b) => (Some(b.float()?.flatten_all()?), true),
                None => (None, node.inputs.get(2).is_none_or(|n| n.is_empty())),
            };
            if let Some(b) = &bias
                && b.elem_count() != m
            {
                return Err(Error::Onnx(format!(
                    "a bias of {} values for {m} output channels",
                    b.elem_count()
                )));
            }
            LayerSpec {
                info: info(m, c * kh * kw),
                w: w.reshape((m, c * kh * kw))?,
                bias,
                bias_inside: inside,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(spec))
}

/// Runs the graph with `layer(k)` as layer k's product.
fn execute<'a>(
    inner: &'a Inner,
    layer: &dyn Fn(usize) -> &'a Linear,
    inputs: &[Input<'_>],
    mut profile: Option<&mut Profile>,
) -> Result<Vec<Output>> {
    let mut env: HashMap<&str, Value> = HashMap::new();
    if let Some((name, ..)) = inputs
        .iter()
        .find(|(n, ..)| !inner.inputs.iter().any(|i| i.name == *n))
    {
        let known: Vec<&str> = inner.inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Error::Invalid(format!(
            "the model has no input `{name}` (its inputs: {})",
            known.join(", ")
        )));
    }
    for (k, info) in inner.inputs.iter().enumerate() {
        let Some((_, data, shape)) = inputs.iter().find(|(n, ..)| *n == info.name) else {
            return Err(Error::Invalid(format!(
                "input `{}` is missing (shape {})",
                info.name,
                describe_shape(&info.shape)
            )));
        };
        let n: usize = shape.iter().product();
        if data.len() != n {
            return Err(Error::Invalid(format!(
                "input `{}`: {} values for shape {shape:?} ({n} expected)",
                info.name,
                data.len()
            )));
        }
        if let Some(decl) = &info.shape {
            let fits = decl.len() == shape.len()
                && decl
                    .iter()
                    .zip(shape.iter())
                    .all(|(d, s)| d.is_none_or(|d| d == *s));
            if !fits {
                return Err(Error::Invalid(format!(
                    "input `{}` has shape {shape:?}; the model declares {}",
                    info.name,
                    describe_shape(&info.shape)
                )));
            }
        }
        let ty = inner.input_types[k];
        let v = match ty {
            dtype::FLOAT | dtype::DOUBLE | dtype::FLOAT16 | dtype::BFLOAT16 | 0 => Value::F(
                Tensor::from_vec(data.to_vec(), shape.to_vec(), &Device::Cpu)?,
            ),
            dtype::STRING => {
                return Err(Error::Invalid(format!(
                    "input `{}` is a string tensor",
                    info.name
                )));
            }
            _ => {
                let t = Tensor::from_vec(data.to_vec(), shape.to_vec(), &Device::Cpu)?;
                Value::I(Value::F(t).ints().map_err(|e| {
                    Error::Invalid(format!("input `{}` is of integers: {e}", info.name))
                })?)
            }
        };
        if k == 0
            && let Some(p) = profile.as_deref_mut()
        {
            p.inferences = shape.first().copied().unwrap_or(1) as f64;
        }
        env.insert(info.name.as_str(), v);
    }
    for (i, node) in inner.nodes.iter().enumerate() {
        let ins: Vec<Option<&Value>> = node
            .inputs
            .iter()
            .map(|n| {
                if n.is_empty() {
                    None
                } else {
                    env.get(n.as_str()).or_else(|| inner.constants.get(n))
                }
            })
            .collect();
        let layered = inner.layer_of.get(&i).map(|&k| Layered {
            linear: layer(k),
            index: k,
            bias_inside: inner.layers[k].bias_inside,
        });
        let mut ctx = Ctx {
            opset: inner.opset,
            layer: layered,
            profile: profile.as_deref_mut(),
        };
        let outs = ops::run(node, &ins, &mut ctx).map_err(|e| err_at(i, node, e))?;
        for (name, v) in node.outputs.iter().zip(outs) {
            if !name.is_empty() {
                env.insert(name.as_str(), v);
            }
        }
    }
    inner
        .outputs
        .iter()
        .map(|o| {
            let v = env
                .get(o.name.as_str())
                .or_else(|| inner.constants.get(&o.name))
                .ok_or_else(|| Error::Onnx(format!("output `{}` was not computed", o.name)))?;
            let t = v.float()?;
            Ok(Output {
                name: o.name.clone(),
                shape: t.dims().to_vec(),
                data: t.flatten_all()?.to_vec1::<f32>()?,
            })
        })
        .collect()
}

fn describe_shape(s: &Option<Vec<Option<usize>>>) -> String {
    match s {
        None => "undeclared".into(),
        Some(d) => format!(
            "[{}]",
            d.iter()
                .map(|x| x.map_or("?".to_string(), |v| v.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A model put on a rig: chosen layers on the optical twin.
#[derive(Debug)]
pub struct OnRig {
    model: OnnxModel,
    /// Layer k on the optics, or `None` (digital).
    optical: Vec<Option<Linear>>,
    rig: Rig,
    mapping: Mapping,
}

impl OnRig {
    /// Runs the model: the chosen layers on the twin, everything else digitally.
    pub fn run(&self, inputs: &[Input<'_>]) -> Result<Vec<Output>> {
        let inner = &self.model.inner;
        execute(
            inner,
            &|k| self.optical[k].as_ref().unwrap_or(&inner.digital[k]),
            inputs,
            None,
        )
    }

    /// Runs once without keeping the outputs: with [`AdcRange::Calibrated`] this sets every
    /// optical layer's converter span from `inputs` (data the caller does not score).
    pub fn calibrate(&self, inputs: &[Input<'_>]) -> Result<()> {
        self.run(inputs).map(|_| ())
    }

    /// Names of the layers on the optics.
    pub fn optical_layers(&self) -> Vec<String> {
        self.model
            .inner
            .layers
            .iter()
            .zip(&self.optical)
            .filter(|(_, o)| o.is_some())
            .map(|(l, _)| l.info.name.clone())
            .collect()
    }

    pub fn model(&self) -> &OnnxModel {
        &self.model
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    pub fn rig(&self) -> &Rig {
        &self.rig
    }

    /// Energy and time per inference of this mapping on the rig for inputs of the given shapes
    /// (one step of the cost model processes them all: an inference is one item along the
    /// first input's leading axis). The shapes are found by running the model digitally on
    /// zeros. See [`cost`] for what is priced.
    pub fn cost(&self, shapes: &[(&str, &[usize])]) -> Result<CostReport> {
        let inner = &self.model.inner;
        let zeros: Vec<Vec<f32>> = shapes
            .iter()
            .map(|(_, s)| vec![0f32; s.iter().product()])
            .collect();
        let inputs: Vec<Input<'_>> = shapes
            .iter()
            .zip(&zeros)
            .map(|((n, s), z)| (*n, z.as_slice(), *s))
            .collect();
        let mut profile = Profile {
            vectors: vec![0.0; inner.layers.len()],
            ..Default::default()
        };
        execute(inner, &|k| &inner.digital[k], &inputs, Some(&mut profile))?;
        let layers: Vec<(LayerInfo, bool)> = inner
            .layers
            .iter()
            .zip(&self.optical)
            .map(|(l, o)| (l.info.clone(), o.is_some()))
            .collect();
        cost::price(&self.rig, &layers, &profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_out_of_order_are_sorted_and_a_missing_producer_is_named() {
        use proto::*;
        let node = |name: &str, op: &str, ins: &[&str], outs: &[&str]| Node {
            name: name.into(),
            op_type: op.into(),
            inputs: ins.iter().map(|s| s.to_string()).collect(),
            outputs: outs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let model = |nodes: Vec<Node>| proto::Model {
            ir_version: 8,
            opsets: vec![(String::new(), 17)],
            producer: String::new(),
            graph: Graph {
                name: "g".into(),
                nodes,
                initializers: vec![],
                inputs: vec![ValueInfo::f32("x", &[None, Some(2)])],
                outputs: vec![ValueInfo::f32("z", &[None, Some(2)])],
            },
        };
        let m = OnnxModel::from_bytes(
            &model(vec![
                node("b", "Neg", &["y"], &["z"]),
                node("a", "Relu", &["x"], &["y"]),
            ])
            .encode(),
        )
        .unwrap();
        let out = m.run(&[("x", &[-1.0, 2.0], &[1, 2])]).unwrap();
        assert_eq!(out[0].data, vec![0.0, -2.0]);
        let e = OnnxModel::from_bytes(&model(vec![node("b", "Neg", &["q"], &["z"])]).encode())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`b`") && e.contains("\"q\""), "{e}");
    }
}

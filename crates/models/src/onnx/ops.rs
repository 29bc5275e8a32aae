//! The operators: each node's outputs from its inputs, on candle tensors (CPU, f32) for
//! floating-point values and plain vectors for the integer ones (shapes, axes, indices).
//!
//! Semantics follow the ONNX operator documentation (onnx.ai/onnx/operators) for opsets 11 to
//! the newest accepted; where an opset moved an attribute to an input (Unsqueeze, Squeeze,
//! ReduceSum axes at 13, ReduceMean at 18, Clip's bounds at 11) both forms are read. Softmax
//! before opset 13 flattens to 2-D at `axis` (default 1), from 13 it acts on `axis` (default −1).

use super::Value;
use super::proto::{AttrValue, Data, Node, Tensor as Proto, dtype};
use crate::linear::Linear;
use crate::{Error, Result};
use candle_core::{Device, Tensor};

/// Integer values with their shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Ints {
    pub data: Vec<i64>,
    pub shape: Vec<usize>,
}

impl Value {
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Value::F(t) => t.dims().to_vec(),
            Value::I(i) => i.shape.clone(),
        }
    }

    /// As f32 values (integers converted).
    pub fn float(&self) -> Result<Tensor> {
        match self {
            Value::F(t) => Ok(t.clone()),
            Value::I(i) => Ok(Tensor::from_vec(
                i.data.iter().map(|&v| v as f32).collect::<Vec<_>>(),
                i.shape.clone(),
                &Device::Cpu,
            )?),
        }
    }

    /// As integers (floats must hold whole numbers).
    pub fn ints(&self) -> Result<Ints> {
        match self {
            Value::I(i) => Ok(i.clone()),
            Value::F(t) => {
                let v = t.flatten_all()?.to_vec1::<f32>()?;
                let data = v
                    .iter()
                    .map(|&x| {
                        if x.fract() == 0.0 && x.abs() < 9.0e15 {
                            Ok(x as i64)
                        } else {
                            Err(Error::Onnx(format!("{x} where a whole number is needed")))
                        }
                    })
                    .collect::<Result<_>>()?;
                Ok(Ints {
                    data,
                    shape: t.dims().to_vec(),
                })
            }
        }
    }

    /// From a stored tensor.
    pub fn from_proto(t: &Proto) -> Result<Self> {
        Ok(match &t.data {
            Data::F32(v) => Value::F(Tensor::from_vec(v.clone(), t.dims.clone(), &Device::Cpu)?),
            Data::I64(v) => Value::I(Ints {
                data: v.clone(),
                shape: t.dims.clone(),
            }),
        })
    }
}

/// Work counted while running, for the cost model.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Vectors through each layer's product.
    pub vectors: Vec<f64>,
    /// Element-wise host FLOPs (everything but the layers' products).
    pub host_flops: f64,
    /// Multiply-accumulates of products between two activations (on the host).
    pub activation_macs: f64,
    /// The leading dimension of the first input: the inferences of the run.
    pub inferences: f64,
}

/// A node's optical-capable layer, as the interpreter needs it.
pub struct Layered<'a> {
    pub linear: &'a Linear,
    pub index: usize,
    /// Whether the node's bias input is inside the layer (else added here).
    pub bias_inside: bool,
}

pub struct Ctx<'a> {
    pub opset: i64,
    pub layer: Option<Layered<'a>>,
    pub profile: Option<&'a mut Profile>,
}

impl Ctx<'_> {
    fn flops(&mut self, n: f64) {
        if let Some(p) = self.profile.as_deref_mut() {
            p.host_flops += n;
        }
    }
    fn vectors(&mut self, layer: usize, n: f64) {
        if let Some(p) = self.profile.as_deref_mut()
            && let Some(v) = p.vectors.get_mut(layer)
        {
            *v += n;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Attributes

fn attr<'a>(node: &'a Node, name: &str) -> Option<&'a AttrValue> {
    node.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| &a.value)
}

fn wrong(name: &str, want: &str) -> Error {
    Error::Onnx(format!("attribute `{name}` is not {want}"))
}

pub fn attr_int(node: &Node, name: &str, default: i64) -> Result<i64> {
    match attr(node, name) {
        None => Ok(default),
        Some(AttrValue::Int(i)) => Ok(*i),
        Some(_) => Err(wrong(name, "an integer")),
    }
}

fn attr_float(node: &Node, name: &str, default: f32) -> Result<f32> {
    match attr(node, name) {
        None => Ok(default),
        Some(AttrValue::Float(f)) => Ok(*f),
        Some(_) => Err(wrong(name, "a float")),
    }
}

pub fn attr_ints(node: &Node, name: &str) -> Result<Option<Vec<i64>>> {
    match attr(node, name) {
        None => Ok(None),
        Some(AttrValue::Ints(v)) => Ok(Some(v.clone())),
        Some(_) => Err(wrong(name, "a list of integers")),
    }
}

fn attr_string(node: &Node, name: &str, default: &str) -> Result<String> {
    match attr(node, name) {
        None => Ok(default.into()),
        Some(AttrValue::String(s)) => Ok(String::from_utf8_lossy(s).into_owned()),
        Some(_) => Err(wrong(name, "a string")),
    }
}

/// Axis `a` of a rank-`rank` value (negative counts from the end).
fn axis(a: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let k = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&k) {
        Ok(k as usize)
    } else {
        Err(Error::Onnx(format!("axis {a} of a rank-{rank} value")))
    }
}

fn input<'a>(ins: &[Option<&'a Value>], k: usize, what: &str) -> Result<&'a Value> {
    ins.get(k)
        .copied()
        .flatten()
        .ok_or_else(|| Error::Onnx(format!("input {k} ({what}) is missing")))
}

fn opt<'a>(ins: &[Option<&'a Value>], k: usize) -> Option<&'a Value> {
    ins.get(k).copied().flatten()
}

fn count(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn cpu(v: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_vec(v, shape.to_vec(), &Device::Cpu)?)
}

fn vec_of(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

/// numpy broadcasting of two shapes.
fn broadcast(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let get = |s: &[usize], k: usize| {
        if k + s.len() >= n {
            s[k + s.len() - n]
        } else {
            1
        }
    };
    (0..n)
        .map(|k| match (get(a, k), get(b, k)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(Error::Onnx(format!(
                "shapes {a:?} and {b:?} do not broadcast"
            ))),
        })
        .collect()
}

/// Both values broadcast to their common shape, as flat f32 vectors.
fn broadcast_pair(a: &Tensor, b: &Tensor) -> Result<(Vec<f32>, Vec<f32>, Vec<usize>)> {
    let s = broadcast(a.dims(), b.dims())?;
    Ok((
        vec_of(&a.broadcast_as(s.clone())?.contiguous()?)?,
        vec_of(&b.broadcast_as(s.clone())?.contiguous()?)?,
        s,
    ))
}

/// Integer element-wise operation with broadcasting (shape arithmetic).
fn int_binary(a: &Ints, b: &Ints, f: impl Fn(i64, i64) -> Result<i64>) -> Result<Ints> {
    let shape = broadcast(&a.shape, &b.shape)?;
    let n = count(&shape);
    let index = |s: &[usize], mut flat: usize| -> usize {
        // The flat index into a value of shape `s` broadcast to `shape`.
        let mut idx = 0;
        let mut stride = 1;
        for k in (0..shape.len()).rev() {
            let coord = flat % shape[k];
            flat /= shape[k];
            if k + s.len() >= shape.len() {
                let d = s[k + s.len() - shape.len()];
                if d != 1 {
                    idx += coord * stride;
                }
                stride *= d;
            }
        }
        idx
    };
    let data = (0..n)
        .map(|i| f(a.data[index(&a.shape, i)], b.data[index(&b.shape, i)]))
        .collect::<Result<_>>()?;
    Ok(Ints { data, shape })
}

// ---------------------------------------------------------------------------------------------
// Shapes

/// ONNX Reshape's target: 0 copies the input's dimension (unless `allowzero`), −1 is inferred.
fn reshape_target(from: &[usize], spec: &[i64], allowzero: bool) -> Result<Vec<usize>> {
    let total = count(from);
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (k, &d) in spec.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(k);
                out.push(1);
            }
            0 if !allowzero => out.push(*from.get(k).ok_or_else(|| {
                Error::Onnx(format!(
                    "reshape: 0 at position {k} of a rank-{} input",
                    from.len()
                ))
            })?),
            d if d >= 0 => out.push(d as usize),
            _ => return Err(Error::Onnx(format!("reshape to {spec:?}"))),
        }
    }
    let known: usize = out.iter().product();
    if let Some(k) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(Error::Onnx(format!(
                "cannot reshape {from:?} ({total} values) to {spec:?}"
            )));
        }
        out[k] = total / known;
    }
    if count(&out) != total {
        return Err(Error::Onnx(format!(
            "cannot reshape {from:?} ({total} values) to {spec:?}"
        )));
    }
    Ok(out)
}

fn reshape(v: &Value, shape: Vec<usize>) -> Result<Value> {
    Ok(match v {
        Value::F(t) => Value::F(t.reshape(shape)?),
        Value::I(i) => Value::I(Ints {
            data: i.data.clone(),
            shape,
        }),
    })
}

/// Axes from the attribute (older opsets) or from input `k` (newer ones).
fn axes_of(node: &Node, ins: &[Option<&Value>], k: usize) -> Result<Option<Vec<i64>>> {
    if let Some(a) = attr_ints(node, "axes")? {
        return Ok(Some(a));
    }
    match opt(ins, k) {
        Some(v) => Ok(Some(v.ints()?.data)),
        None => Ok(None),
    }
}

/// Values of `v` gathered along `axis` at `indices` (numpy `take`).
fn gather(v: &Value, indices: &Ints, ax: usize) -> Result<Value> {
    let shape = v.shape();
    let n = shape[ax] as i64;
    let idx: Vec<usize> = indices
        .data
        .iter()
        .map(|&i| {
            let j = if i < 0 { i + n } else { i };
            if (0..n).contains(&j) {
                Ok(j as usize)
            } else {
                Err(Error::Onnx(format!("index {i} out of range for {n}")))
            }
        })
        .collect::<Result<_>>()?;
    let mut out_shape = shape[..ax].to_vec();
    out_shape.extend(&indices.shape);
    out_shape.extend(&shape[ax + 1..]);
    let outer = count(&shape[..ax]);
    let inner = count(&shape[ax + 1..]);
    let pick = |src: &dyn Fn(usize) -> f64| -> Vec<f64> {
        let mut out = Vec::with_capacity(outer * idx.len() * inner);
        for o in 0..outer {
            for &j in &idx {
                for i in 0..inner {
                    out.push(src((o * shape[ax] + j) * inner + i));
                }
            }
        }
        out
    };
    Ok(match v {
        Value::F(t) => {
            let d = vec_of(t)?;
            let out = pick(&|k| d[k] as f64);
            Value::F(cpu(
                out.into_iter().map(|x| x as f32).collect(),
                &out_shape,
            )?)
        }
        Value::I(i) => {
            let out = pick(&|k| i.data[k] as f64);
            Value::I(Ints {
                data: out.into_iter().map(|x| x as i64).collect(),
                shape: out_shape,
            })
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Convolution and pooling (2-D, NCHW)

/// Geometry of a 2-D window sliding over an H×W plane.
#[derive(Debug, Clone, Copy)]
struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    /// Padding before (top, left).
    pad: [usize; 2],
    out: [usize; 2],
}

fn two(v: &Option<Vec<i64>>, default: usize, name: &str) -> Result<[usize; 2]> {
    match v {
        None => Ok([default; 2]),
        Some(v) if v.len() == 2 && v.iter().all(|&x| x >= 0) => Ok([v[0] as usize, v[1] as usize]),
        Some(v) => Err(Error::Onnx(format!(
            "`{name}` = {v:?}: only 2-D windows are supported"
        ))),
    }
}

fn window(node: &Node, input: [usize; 2], kernel: [usize; 2], ceil_mode: bool) -> Result<Window> {
    let stride = two(&attr_ints(node, "strides")?, 1, "strides")?;
    let dilation = two(&attr_ints(node, "dilations")?, 1, "dilations")?;
    if stride.contains(&0) || dilation.contains(&0) || kernel.contains(&0) {
        return Err(Error::Onnx("zero stride, dilation or kernel size".into()));
    }
    let span = [
        (kernel[0] - 1) * dilation[0] + 1,
        (kernel[1] - 1) * dilation[1] + 1,
    ];
    let auto = attr_string(node, "auto_pad", "NOTSET")?;
    let (begin, end) = match auto.as_str() {
        "NOTSET" => match attr_ints(node, "pads")? {
            None => ([0, 0], [0, 0]),
            Some(p) if p.len() == 4 && p.iter().all(|&x| x >= 0) => (
                [p[0] as usize, p[1] as usize],
                [p[2] as usize, p[3] as usize],
            ),
            Some(p) => {
                return Err(Error::Onnx(format!(
                    "`pads` = {p:?}: expected 4 non-negative values"
                )));
            }
        },
        "VALID" => ([0, 0], [0, 0]),
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut b = [0; 2];
            let mut e = [0; 2];
            for k in 0..2 {
                let out = input[k].div_ceil(stride[k]);
                let total = ((out.max(1) - 1) * stride[k] + span[k]).saturating_sub(input[k]);
                let small = total / 2;
                (b[k], e[k]) = if auto == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
            }
            (b, e)
        }
        a => return Err(Error::Onnx(format!("auto_pad `{a}`"))),
    };
    let mut out = [0; 2];
    for k in 0..2 {
        let padded = input[k] + begin[k] + end[k];
        if padded < span[k] {
            return Err(Error::Onnx(format!(
                "a window of {} over {} (padded) values",
                span[k], padded
            )));
        }
        let steps = padded - span[k];
        out[k] = if ceil_mode {
            steps.div_ceil(stride[k]) + 1
        } else {
            steps / stride[k] + 1
        };
    }
    Ok(Window {
        kernel,
        stride,
        dilation,
        pad: begin,
        out,
    })
}

impl Window {
    /// The input coordinate of output `o`, kernel tap `i`, along `k` (None in the padding).
    #[inline]
    fn at(&self, k: usize, o: usize, i: usize, size: usize) -> Option<usize> {
        let p = (o * self.stride[k] + i * self.dilation[k]) as isize - self.pad[k] as isize;
        (p >= 0 && (p as usize) < size).then_some(p as usize)
    }
}

/// The im2col matrix of x (N, C, H, W): one row per (n, oh, ow), columns (c, i, j).
fn im2col(x: &[f32], n: usize, c: usize, h: usize, w: usize, win: &Window) -> Vec<f32> {
    let [kh, kw] = win.kernel;
    let [oh, ow] = win.out;
    let cols = c * kh * kw;
    let mut out = vec![0f32; n * oh * ow * cols];
    for b in 0..n {
        for y in 0..oh {
            for xo in 0..ow {
                let row = &mut out[((b * oh + y) * ow + xo) * cols..][..cols];
                for ch in 0..c {
                    let plane = &x[(b * c + ch) * h * w..][..h * w];
                    for i in 0..kh {
                        let Some(yy) = win.at(0, y, i, h) else {
                            continue;
                        };
                        for j in 0..kw {
                            if let Some(xx) = win.at(1, xo, j, w) {
                                row[(ch * kh + i) * kw + j] = plane[yy * w + xx];
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn nchw(t: &Tensor, what: &str) -> Result<[usize; 4]> {
    match t.dims() {
        &[n, c, h, w] => Ok([n, c, h, w]),
        d => Err(Error::Onnx(format!(
            "{what} of shape {d:?}: only 2-D (N, C, H, W) inputs are supported"
        ))),
    }
}

fn conv(node: &Node, ins: &[Option<&Value>], ctx: &mut Ctx) -> Result<Value> {
    let x = input(ins, 0, "X")?.float()?;
    let [n, c, h, w] = nchw(&x, "Conv input")?;
    let weight = input(ins, 1, "W")?.shape();
    let &[m, cg, kh, kw] = weight.as_slice() else {
        return Err(Error::Onnx(format!(
            "Conv weight of shape {weight:?}: only 2-D kernels are supported"
        )));
    };
    let group = attr_int(node, "group", 1)?;
    if group != 1 {
        return Err(Error::Onnx(format!(
            "Conv with group = {group}: only group = 1 is supported"
        )));
    }
    if cg != c {
        return Err(Error::Onnx(format!(
            "Conv of {c} input channels with a kernel for {cg}"
        )));
    }
    if let Some(k) = attr_ints(node, "kernel_shape")?
        && k != [kh as i64, kw as i64]
    {
        return Err(Error::Onnx(format!(
            "kernel_shape {k:?} disagrees with the weight's {weight:?}"
        )));
    }
    let win = window(node, [h, w], [kh, kw], false)?;
    let [oh, ow] = win.out;
    let cols = c * kh * kw;
    let patches = cpu(im2col(&vec_of(&x)?, n, c, h, w, &win), &[n * oh * ow, cols])?;
    let y = match &ctx.layer {
        Some(l) => {
            let (linear, index, inside) = (l.linear, l.index, l.bias_inside);
            ctx.vectors(index, (n * oh * ow) as f64);
            let y = linear.forward(&patches)?;
            let y = y
                .reshape((n, oh, ow, m))?
                .permute((0, 3, 1, 2))?
                .contiguous()?;
            if inside {
                return Ok(Value::F(y));
            }
            y
        }
        None => {
            // A weight computed at run time: the product on the host.
            let wm = input(ins, 1, "W")?.float()?.reshape((m, cols))?;
            ctx.flops(2.0 * (n * oh * ow * cols * m) as f64);
            patches
                .matmul(&wm.t()?)?
                .reshape((n, oh, ow, m))?
                .permute((0, 3, 1, 2))?
                .contiguous()?
        }
    };
    Ok(Value::F(match opt(ins, 2) {
        Some(b) => {
            ctx.flops(y.elem_count() as f64);
            y.broadcast_add(&b.float()?.reshape((1, m, 1, 1))?)?
        }
        None => y,
    }))
}

fn pool(node: &Node, ins: &[Option<&Value>], ctx: &mut Ctx, max: bool) -> Result<Value> {
    let x = input(ins, 0, "X")?.float()?;
    let [n, c, h, w] = nchw(&x, "pooling input")?;
    let kernel = two(&attr_ints(node, "kernel_shape")?, 0, "kernel_shape")?;
    let win = window(node, [h, w], kernel, attr_int(node, "ceil_mode", 0)? != 0)?;
    let include_pad = attr_int(node, "count_include_pad", 0)? != 0;
    let [oh, ow] = win.out;
    let xs = vec_of(&x)?;
    let mut out = vec![0f32; n * c * oh * ow];
    for p in 0..n * c {
        let plane = &xs[p * h * w..][..h * w];
        for y in 0..oh {
            for xo in 0..ow {
                let (mut acc, mut seen) = (if max { f32::NEG_INFINITY } else { 0.0 }, 0usize);
                for i in 0..kernel[0] {
                    for j in 0..kernel[1] {
                        match (win.at(0, y, i, h), win.at(1, xo, j, w)) {
                            (Some(yy), Some(xx)) => {
                                let v = plane[yy * w + xx];
                                acc = if max { acc.max(v) } else { acc + v };
                                seen += 1;
                            }
                            _ if include_pad && !max => seen += 1,
                            _ => {}
                        }
                    }
                }
                out[(p * oh + y) * ow + xo] = if max { acc } else { acc / seen.max(1) as f32 };
            }
        }
    }
    ctx.flops((out.len() * kernel[0] * kernel[1]) as f64);
    Ok(Value::F(cpu(out, &[n, c, oh, ow])?))
}

// ---------------------------------------------------------------------------------------------
// Products

/// MatMul: through the node's layer when it has one (x reshaped to rows of K), else a
/// broadcasting product of two activations on the host.
fn matmul(ins: &[Option<&Value>], ctx: &mut Ctx) -> Result<Value> {
    let a = input(ins, 0, "A")?.float()?;
    if let Some(l) = &ctx.layer {
        let (linear, index) = (l.linear, l.index);
        let k = linear.cols();
        let dims = a.dims().to_vec();
        if dims.last() != Some(&k) {
            return Err(Error::Onnx(format!(
                "MatMul of {dims:?} by a weight of {k} rows"
            )));
        }
        let rows = count(&dims[..dims.len() - 1]);
        ctx.vectors(index, rows as f64);
        let y = linear.forward(&a.reshape((rows, k))?)?;
        let mut out = dims[..dims.len() - 1].to_vec();
        out.push(linear.rows());
        return Ok(Value::F(y.reshape(out)?));
    }
    let b = input(ins, 1, "B")?.float()?;
    // numpy matmul: 1-D operands are promoted and the added axis removed afterwards.
    let (a2, squeeze_a) = if a.rank() == 1 {
        (a.unsqueeze(0)?, true)
    } else {
        (a, false)
    };
    let (b2, squeeze_b) = if b.rank() == 1 {
        (b.unsqueeze(1)?, true)
    } else {
        (b, false)
    };
    let mut y = a2.broadcast_matmul(&b2)?;
    let [.., m, kk] = a2.dims() else {
        unreachable!("rank ≥ 2")
    };
    let n = b2.dims()[b2.rank() - 1];
    ctx.flops(2.0 * (y.elem_count() / (m * n).max(1) * m * kk * n) as f64);
    if let Some(p) = ctx.profile.as_deref_mut() {
        p.activation_macs += (y.elem_count() * kk) as f64;
    }
    if squeeze_b {
        y = y.squeeze(y.rank() - 1)?;
    }
    if squeeze_a {
        y = y.squeeze(y.rank() - if squeeze_b { 1 } else { 2 })?;
    }
    Ok(Value::F(y))
}

/// Gemm: Y = alpha·A'·B' + beta·C.
fn gemm(node: &Node, ins: &[Option<&Value>], ctx: &mut Ctx) -> Result<Value> {
    let alpha = attr_float(node, "alpha", 1.0)? as f64;
    let beta = attr_float(node, "beta", 1.0)? as f64;
    let mut a = input(ins, 0, "A")?.float()?;
    if a.rank() != 2 {
        return Err(Error::Onnx(format!("Gemm input A of shape {:?}", a.dims())));
    }
    if attr_int(node, "transA", 0)? != 0 {
        a = a.t()?.contiguous()?;
    }
    let (y, inside) = match &ctx.layer {
        Some(l) => {
            // alpha is inside the layer's weights.
            let (linear, index, inside) = (l.linear, l.index, l.bias_inside);
            ctx.vectors(index, a.dims()[0] as f64);
            (linear.forward(&a)?, inside)
        }
        None => {
            let mut b = input(ins, 1, "B")?.float()?;
            if attr_int(node, "transB", 0)? != 0 {
                b = b.t()?;
            }
            let y = a.matmul(&b.contiguous()?)?;
            let (m, k) = a.dims2()?;
            ctx.flops(2.0 * (m * k * y.dims()[1]) as f64);
            if let Some(p) = ctx.profile.as_deref_mut() {
                p.activation_macs += (m * k * y.dims()[1]) as f64;
            }
            (y.affine(alpha, 0.0)?, false)
        }
    };
    Ok(Value::F(match opt(ins, 2) {
        Some(c) if !inside => {
            ctx.flops(y.elem_count() as f64);
            y.broadcast_add(&c.float()?.affine(beta, 0.0)?)?
        }
        _ => y,
    }))
}

// ---------------------------------------------------------------------------------------------
// The dispatcher

fn unary(
    x: &Value,
    ctx: &mut Ctx,
    flops: f64,
    f: impl Fn(&Tensor) -> candle_core::Result<Tensor>,
) -> Result<Value> {
    let t = x.float()?;
    ctx.flops(flops * t.elem_count() as f64);
    Ok(Value::F(f(&t)?))
}

/// Per-element host FLOPs charged to transcendental functions (exp, tanh, erf): about 5, the
/// figure the cost model uses per softmax score.
const TRANSCENDENTAL: f64 = 5.0;

/// The outputs of `node` for inputs `ins` (in order; `None` for a left-out optional input).
pub fn run(node: &Node, ins: &[Option<&Value>], ctx: &mut Ctx) -> Result<Vec<Value>> {
    let x0 = || input(ins, 0, "the data");
    let one = |v: Value| Ok(vec![v]);
    match node.op_type.as_str() {
        "MatMul" => one(matmul(ins, ctx)?),
        "Gemm" => one(gemm(node, ins, ctx)?),
        "Conv" => one(conv(node, ins, ctx)?),
        "Add" | "Sub" | "Mul" | "Div" | "Pow" => {
            let (a, b) = (x0()?, input(ins, 1, "B")?);
            if let (Value::I(a), Value::I(b)) = (a, b) {
                let op = node.op_type.clone();
                return one(Value::I(int_binary(a, b, |x, y| match op.as_str() {
                    "Add" => Ok(x.wrapping_add(y)),
                    "Sub" => Ok(x.wrapping_sub(y)),
                    "Mul" => Ok(x.wrapping_mul(y)),
                    "Div" if y != 0 => Ok(x.wrapping_div(y)),
                    "Pow" if (0..64).contains(&y) => Ok(x.wrapping_pow(y as u32)),
                    _ => Err(Error::Onnx(format!("integer {op} of {x} by {y}"))),
                })?));
            }
            let (a, b) = (a.float()?, b.float()?);
            let y = match node.op_type.as_str() {
                "Add" => a.broadcast_add(&b)?,
                "Sub" => a.broadcast_sub(&b)?,
                "Mul" => a.broadcast_mul(&b)?,
                "Div" => a.broadcast_div(&b)?,
                _ => {
                    let (x, e, s) = broadcast_pair(&a, &b)?;
                    let v = x.iter().zip(&e).map(|(x, e)| x.powf(*e)).collect();
                    cpu(v, &s)?
                }
            };
            ctx.flops(y.elem_count() as f64);
            one(Value::F(y))
        }
        "Relu" => one(unary(x0()?, ctx, 1.0, |t| t.relu())?),
        "LeakyRelu" => {
            let alpha = attr_float(node, "alpha", 0.01)? as f64;
            one(unary(x0()?, ctx, 2.0, |t| {
                t.relu()? - t.neg()?.relu()?.affine(alpha, 0.0)?
            })?)
        }
        "Sigmoid" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| {
            candle_nn::ops::sigmoid(t)
        })?),
        "Tanh" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| t.tanh())?),
        "Exp" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| t.exp())?),
        "Log" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| t.log())?),
        "Erf" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| t.erf())?),
        "Sqrt" => one(unary(x0()?, ctx, 1.0, |t| t.sqrt())?),
        "Neg" => one(unary(x0()?, ctx, 1.0, |t| t.neg())?),
        "Abs" => one(unary(x0()?, ctx, 1.0, |t| t.abs())?),
        "Reciprocal" => one(unary(x0()?, ctx, 1.0, |t| t.recip())?),
        "Gelu" => match attr_string(node, "approximate", "none")?.as_str() {
            "none" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| t.gelu_erf())?),
            "tanh" => one(unary(x0()?, ctx, TRANSCENDENTAL, |t| t.gelu())?),
            a => Err(Error::Onnx(format!("Gelu approximate = `{a}`"))),
        },
        "Clip" => {
            let x = x0()?.float()?;
            let bound = |k: usize, name: &str, d: f32| -> Result<f32> {
                match opt(ins, k) {
                    Some(v) => Ok(*vec_of(&v.float()?)?.first().unwrap_or(&d)),
                    None => attr_float(node, name, d),
                }
            };
            let (lo, hi) = (bound(1, "min", f32::MIN)?, bound(2, "max", f32::MAX)?);
            ctx.flops(x.elem_count() as f64);
            one(Value::F(x.clamp(lo, hi)?))
        }
        "Softmax" | "LogSoftmax" => {
            let x = x0()?.float()?;
            let rank = x.rank();
            let log = node.op_type == "LogSoftmax";
            let f = |t: &Tensor, d: usize| {
                if log {
                    candle_nn::ops::log_softmax(t, d)
                } else {
                    candle_nn::ops::softmax(t, d)
                }
            };
            ctx.flops(TRANSCENDENTAL * x.elem_count() as f64);
            let y = if ctx.opset >= 13 {
                f(&x, axis(attr_int(node, "axis", -1)?, rank)?)?
            } else {
                // Before opset 13: the input as 2-D, (dims before axis) × (the rest).
                let a = axis(attr_int(node, "axis", 1)?, rank)?;
                let d = x.dims().to_vec();
                let y = f(&x.reshape((count(&d[..a]), count(&d[a..])))?, 1)?;
                y.reshape(d)?
            };
            one(Value::F(y))
        }
        "Identity" | "Dropout" => {
            if node.outputs.len() > 1 && node.outputs[1..].iter().any(|o| !o.is_empty()) {
                return Err(Error::Onnx("Dropout's mask output is not supported".into()));
            }
            one(x0()?.clone())
        }
        "Flatten" => {
            let x = x0()?;
            let s = x.shape();
            let a = attr_int(node, "axis", 1)?;
            let a = if a == s.len() as i64 {
                s.len()
            } else {
                axis(a, s.len())?
            };
            one(reshape(x, vec![count(&s[..a]), count(&s[a..])])?)
        }
        "Reshape" => {
            let x = x0()?;
            let spec = input(ins, 1, "shape")?.ints()?.data;
            let to = reshape_target(&x.shape(), &spec, attr_int(node, "allowzero", 0)? != 0)?;
            one(reshape(x, to)?)
        }
        "Transpose" => {
            let x = x0()?;
            let rank = x.shape().len();
            let perm: Vec<usize> = match attr_ints(node, "perm")? {
                Some(p) => p.iter().map(|&a| axis(a, rank)).collect::<Result<_>>()?,
                None => (0..rank).rev().collect(),
            };
            let mut seen = perm.clone();
            seen.sort_unstable();
            if seen != (0..rank).collect::<Vec<_>>() {
                return Err(Error::Onnx(format!("perm {perm:?} of a rank-{rank} value")));
            }
            let t = x.float()?.permute(perm)?.contiguous()?;
            one(match x {
                Value::I(_) => Value::I(Value::F(t).ints()?),
                Value::F(_) => Value::F(t),
            })
        }
        "Unsqueeze" => {
            let x = x0()?;
            let mut shape = x.shape();
            let axes = axes_of(node, ins, 1)?
                .ok_or_else(|| Error::Onnx("Unsqueeze without axes".into()))?;
            let rank = shape.len() + axes.len();
            let mut axes: Vec<usize> =
                axes.iter().map(|&a| axis(a, rank)).collect::<Result<_>>()?;
            axes.sort_unstable();
            for a in axes {
                if a > shape.len() {
                    return Err(Error::Onnx(format!("unsqueeze at {a}")));
                }
                shape.insert(a, 1);
            }
            one(reshape(x, shape)?)
        }
        "Squeeze" => {
            let x = x0()?;
            let shape = x.shape();
            let out: Vec<usize> = match axes_of(node, ins, 1)? {
                None => shape.iter().copied().filter(|&d| d != 1).collect(),
                Some(axes) => {
                    let axes: Vec<usize> = axes
                        .iter()
                        .map(|&a| axis(a, shape.len()))
                        .collect::<Result<_>>()?;
                    if let Some(&a) = axes.iter().find(|&&a| shape[a] != 1) {
                        return Err(Error::Onnx(format!(
                            "squeezing axis {a} of size {}",
                            shape[a]
                        )));
                    }
                    shape
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| !axes.contains(k))
                        .map(|(_, &d)| d)
                        .collect()
                }
            };
            one(reshape(x, out)?)
        }
        "Concat" => {
            let vals: Vec<&Value> = ins.iter().flatten().copied().collect();
            let first = vals
                .first()
                .ok_or_else(|| Error::Onnx("Concat of nothing".into()))?;
            let rank = first.shape().len();
            let a = axis(attr_int(node, "axis", 0)?, rank)?;
            if vals
                .iter()
                .all(|v| matches!(v, Value::I(i) if i.shape.len() == 1))
            {
                let data: Vec<i64> = vals
                    .iter()
                    .flat_map(|v| match v {
                        Value::I(i) => i.data.clone(),
                        Value::F(_) => Vec::new(),
                    })
                    .collect();
                let n = data.len();
                return one(Value::I(Ints {
                    data,
                    shape: vec![n],
                }));
            }
            let ts: Vec<Tensor> = vals.iter().map(|v| v.float()).collect::<Result<_>>()?;
            one(Value::F(Tensor::cat(&ts, a)?))
        }
        "Shape" => {
            let s = x0()?.shape();
            let r = s.len() as i64;
            let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
            let start = clampi(attr_int(node, "start", 0)?);
            let end = clampi(attr_int(node, "end", r)?);
            let data: Vec<i64> = s[start..end.max(start)].iter().map(|&d| d as i64).collect();
            let n = data.len();
            one(Value::I(Ints {
                data,
                shape: vec![n],
            }))
        }
        "Gather" => {
            let x = x0()?;
            let rank = x.shape().len();
            let a = axis(attr_int(node, "axis", 0)?, rank)?;
            one(gather(x, &input(ins, 1, "indices")?.ints()?, a)?)
        }
        "Cast" => {
            let to = attr_int(node, "to", 0)? as i32;
            let x = x0()?;
            one(match to {
                dtype::FLOAT | dtype::DOUBLE | dtype::FLOAT16 | dtype::BFLOAT16 => {
                    Value::F(x.float()?)
                }
                dtype::INT64
                | dtype::INT32
                | dtype::INT16
                | dtype::INT8
                | dtype::UINT8
                | dtype::UINT16
                | dtype::UINT32
                | dtype::UINT64 => {
                    match x {
                        Value::I(i) => Value::I(i.clone()),
                        // Truncation toward zero, as C casts do.
                        Value::F(t) => Value::I(Ints {
                            data: vec_of(t)?.iter().map(|x| x.trunc() as i64).collect(),
                            shape: t.dims().to_vec(),
                        }),
                    }
                }
                dtype::BOOL => {
                    let i = x.float()?;
                    let v = vec_of(&i)?;
                    Value::I(Ints {
                        data: v.iter().map(|&x| i64::from(x != 0.0)).collect(),
                        shape: i.dims().to_vec(),
                    })
                }
                t => return Err(Error::Onnx(format!("Cast to {}", dtype::name(t)))),
            })
        }
        "Constant" => {
            let a = node
                .attributes
                .first()
                .ok_or_else(|| Error::Onnx("Constant without a value".into()))?;
            one(match (&a.name[..], &a.value) {
                ("value", AttrValue::Tensor(t)) => Value::from_proto(t)?,
                ("value_float", AttrValue::Float(f)) => Value::F(cpu(vec![*f], &[])?),
                ("value_floats", AttrValue::Floats(f)) => Value::F(cpu(f.clone(), &[f.len()])?),
                ("value_int", AttrValue::Int(i)) => Value::I(Ints {
                    data: vec![*i],
                    shape: vec![],
                }),
                ("value_ints", AttrValue::Ints(i)) => Value::I(Ints {
                    data: i.clone(),
                    shape: vec![i.len()],
                }),
                (n, _) => return Err(Error::Onnx(format!("Constant attribute `{n}`"))),
            })
        }
        "ConstantOfShape" => {
            let shape: Vec<usize> = input(ins, 0, "shape")?
                .ints()?
                .data
                .iter()
                .map(|&d| usize::try_from(d).map_err(|_| Error::Onnx(format!("dimension {d}"))))
                .collect::<Result<_>>()?;
            if count(&shape) > super::proto::MAX_BYTES {
                return Err(Error::Onnx(format!("a constant of shape {shape:?}")));
            }
            let fill = match attr(node, "value") {
                Some(AttrValue::Tensor(t)) => Value::from_proto(t)?,
                _ => Value::F(cpu(vec![0.0], &[1])?),
            };
            one(match fill {
                Value::F(t) => {
                    let v = vec_of(&t)?.first().copied().ok_or_else(|| {
                        Error::Onnx(format!(
                            "node {}: ConstantOfShape's value must hold one element",
                            node.name
                        ))
                    })?;
                    Value::F(cpu(vec![v; count(&shape)], &shape)?)
                }
                Value::I(i) => Value::I(Ints {
                    data: vec![i.data.first().copied().unwrap_or(0); count(&shape)],
                    shape,
                }),
            })
        }
        "BatchNormalization" => {
            let x = x0()?.float()?;
            if x.rank() < 2 {
                return Err(Error::Onnx(format!("BatchNormalization of {:?}", x.dims())));
            }
            let c = x.dims()[1];
            let mut pshape = vec![1; x.rank()];
            pshape[1] = c;
            let p = |k: usize, n: &str| -> Result<Tensor> {
                Ok(input(ins, k, n)?.float()?.reshape(pshape.clone())?)
            };
            let eps = attr_float(node, "epsilon", 1e-5)? as f64;
            let (scale, bias, mean, var) =
                (p(1, "scale")?, p(2, "B")?, p(3, "mean")?, p(4, "var")?);
            let inv = var.affine(1.0, eps)?.sqrt()?.recip()?;
            ctx.flops(4.0 * x.elem_count() as f64);
            let y = x
                .broadcast_sub(&mean)?
                .broadcast_mul(&inv.broadcast_mul(&scale)?)?
                .broadcast_add(&bias)?;
            one(Value::F(y))
        }
        "LayerNormalization" => {
            let x = x0()?.float()?;
            let rank = x.rank();
            let a = axis(attr_int(node, "axis", -1)?, rank)?;
            let eps = attr_float(node, "epsilon", 1e-5)? as f64;
            let dims: Vec<usize> = (a..rank).collect();
            let mean = x.mean_keepdim(dims.clone())?;
            let centred = x.broadcast_sub(&mean)?;
            let var = centred.sqr()?.mean_keepdim(dims)?;
            let mut y = centred.broadcast_div(&var.affine(1.0, eps)?.sqrt()?)?;
            y = y.broadcast_mul(&input(ins, 1, "Scale")?.float()?)?;
            if let Some(b) = opt(ins, 2) {
                y = y.broadcast_add(&b.float()?)?;
            }
            ctx.flops(TRANSCENDENTAL * x.elem_count() as f64);
            one(Value::F(y))
        }
        "ReduceMean" | "ReduceSum" | "ReduceMax" => {
            let x = x0()?.float()?;
            let rank = x.rank();
            let keep = attr_int(node, "keepdims", 1)? != 0;
            let axes: Vec<usize> = match axes_of(node, ins, 1)? {
                Some(a) if !a.is_empty() => {
                    a.iter().map(|&k| axis(k, rank)).collect::<Result<_>>()?
                }
                _ if attr_int(node, "noop_with_empty_axes", 0)? != 0 => return one(Value::F(x)),
                _ => (0..rank).collect(),
            };
            ctx.flops(x.elem_count() as f64);
            let mut y = match node.op_type.as_str() {
                "ReduceMean" => x.mean_keepdim(axes.clone())?,
                "ReduceSum" => x.sum_keepdim(axes.clone())?,
                _ => {
                    let mut y = x;
                    for &a in &axes {
                        y = y.max_keepdim(a)?;
                    }
                    y
                }
            };
            if !keep {
                let mut sorted = axes;
                sorted.sort_unstable();
                for a in sorted.into_iter().rev() {
                    y = y.squeeze(a)?;
                }
            }
            one(Value::F(y))
        }
        "MaxPool" => {
            if node.outputs.len() > 1 && !node.outputs[1].is_empty() {
                return Err(Error::Onnx(
                    "MaxPool's Indices output is not supported".into(),
                ));
            }
            one(pool(node, ins, ctx, true)?)
        }
        "AveragePool" => one(pool(node, ins, ctx, false)?),
        "GlobalAveragePool" | "GlobalMaxPool" => {
            let x = x0()?.float()?;
            if x.rank() < 3 {
                return Err(Error::Onnx(format!("global pooling of {:?}", x.dims())));
            }
            ctx.flops(x.elem_count() as f64);
            let mut y = x.clone();
            for a in (2..x.rank()).rev() {
                y = if node.op_type == "GlobalAveragePool" {
                    y.mean_keepdim(a)?
                } else {
                    y.max_keepdim(a)?
                };
            }
            one(Value::F(y))
        }
        op => Err(Error::Onnx(format!("operator `{op}` is not supported"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_follows_onnx_zero_and_minus_one() {
        assert_eq!(
            reshape_target(&[2, 3, 4], &[0, -1], false).unwrap(),
            vec![2, 12]
        );
        assert_eq!(
            reshape_target(&[2, 3, 4], &[-1, 4], false).unwrap(),
            vec![6, 4]
        );
        assert!(reshape_target(&[2, 3, 4], &[5, -1], false).is_err());
        assert!(reshape_target(&[2, 3, 4], &[-1, -1], false).is_err());
    }

    #[test]
    fn integer_broadcasting_matches_numpy() {
        let a = Ints {
            data: vec![1, 2, 3, 4, 5, 6],
            shape: vec![2, 3],
        };
        let b = Ints {
            data: vec![10, 20, 30],
            shape: vec![3],
        };
        let c = Ints {
            data: vec![100, 200],
            shape: vec![2, 1],
        };
        assert_eq!(
            int_binary(&a, &b, |x, y| Ok(x + y)).unwrap().data,
            vec![11, 22, 33, 14, 25, 36]
        );
        assert_eq!(
            int_binary(&a, &c, |x, y| Ok(x + y)).unwrap().data,
            vec![101, 102, 103, 204, 205, 206]
        );
    }

    #[test]
    fn same_padding_keeps_the_size_at_stride_one() {
        let node = Node {
            op_type: "Conv".into(),
            attributes: vec![super::super::proto::Attribute {
                name: "auto_pad".into(),
                value: AttrValue::String(b"SAME_UPPER".to_vec()),
            }],
            ..Default::default()
        };
        let w = window(&node, [7, 6], [3, 2], false).unwrap();
        assert_eq!(w.out, [7, 6]);
        assert_eq!(w.pad, [1, 0]);
    }
}

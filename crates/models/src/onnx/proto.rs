//! The subset of ONNX's protobuf messages that a feed-forward network needs, read from and written
//! to the protobuf wire format by hand (no generated code, no `protoc`).
//!
//! Messages and field numbers follow `onnx/onnx.proto` (ONNX 1.17): `ModelProto` (ir_version 1,
//! opset_import 8, producer_name 2, graph 7), `GraphProto` (node 1, name 2, initializer 5,
//! input 11, output 12), `NodeProto` (input 1, output 2, name 3, op_type 4, attribute 5,
//! domain 7), `AttributeProto` (name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, strings 9,
//! type 20), `TensorProto` (dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7,
//! name 8, raw_data 9, double_data 10, uint64_data 11, data_location 14), `ValueInfoProto`
//! (name 1, type 2), `TypeProto` (tensor_type 1: elem_type 1, shape 2), `TensorShapeProto`
//! (dim 1: dim_value 1, dim_param 2) and `OperatorSetIdProto` (domain 1, version 2). Every other
//! field is skipped by its wire type, as protobuf readers do.
//!
//! **Bounds.** A file is at most [`MAX_BYTES`] (protobuf's own 2 GiB limit); a tensor's element
//! count must match its dims and fit in memory's addressing; tensor data kept outside the file
//! (`data_location = EXTERNAL`), strings, complex and 8-bit float types are refused by name.
//! Malformed input (a truncated varint, a length past the end, a group wire type) is an error
//! naming the message and field being read, never a panic.

use crate::{Error, Result};

/// The largest model read: 2 GiB, protobuf's limit for one message.
pub const MAX_BYTES: usize = 2 << 30;

/// ONNX element types (`TensorProto.DataType`).
pub mod dtype {
    pub const FLOAT: i32 = 1;
    pub const UINT8: i32 = 2;
    pub const INT8: i32 = 3;
    pub const UINT16: i32 = 4;
    pub const INT16: i32 = 5;
    pub const INT32: i32 = 6;
    pub const INT64: i32 = 7;
    pub const STRING: i32 = 8;
    pub const BOOL: i32 = 9;
    pub const FLOAT16: i32 = 10;
    pub const DOUBLE: i32 = 11;
    pub const UINT32: i32 = 12;
    pub const UINT64: i32 = 13;
    pub const BFLOAT16: i32 = 16;

    /// The name ONNX gives element type `t`.
    pub fn name(t: i32) -> String {
        match t {
            0 => "UNDEFINED".into(),
            1 => "FLOAT".into(),
            2 => "UINT8".into(),
            3 => "INT8".into(),
            4 => "UINT16".into(),
            5 => "INT16".into(),
            6 => "INT32".into(),
            7 => "INT64".into(),
            8 => "STRING".into(),
            9 => "BOOL".into(),
            10 => "FLOAT16".into(),
            11 => "DOUBLE".into(),
            12 => "UINT32".into(),
            13 => "UINT64".into(),
            14 => "COMPLEX64".into(),
            15 => "COMPLEX128".into(),
            16 => "BFLOAT16".into(),
            t => format!("data type {t}"),
        }
    }
}

/// A model: its operator sets and its graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    pub ir_version: i64,
    /// (domain, version); the default domain is "" (also written "ai.onnx").
    pub opsets: Vec<(String, i64)>,
    pub producer: String,
    pub graph: Graph,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    pub name: String,
    pub nodes: Vec<Node>,
    pub initializers: Vec<Tensor>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    /// Input names in order; "" marks an optional input left out.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub value: AttrValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Float(f32),
    Int(i64),
    String(Vec<u8>),
    Tensor(Tensor),
    Floats(Vec<f32>),
    Ints(Vec<i64>),
    Strings(Vec<Vec<u8>>),
    /// A type this reader does not decode (graphs, sparse tensors, type protos), by its
    /// `AttributeType` number: an error if an operator asks for it.
    Unsupported(i32),
}

/// A tensor's values: floating-point types as f32, integer and boolean types as i64.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl Data {
    pub fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<usize>,
    /// The element type as stored in the file ([`dtype`]).
    pub data_type: i32,
    pub data: Data,
}

/// A dimension of a declared shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Fixed(usize),
    /// A named, free dimension (`batch`, `N`).
    Named(String),
    Unknown,
}

/// A graph input or output: its name, element type and shape when declared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueInfo {
    pub name: String,
    pub elem_type: i32,
    pub shape: Option<Vec<Dim>>,
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One field's payload.
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The message being read, for errors.
    what: &'static str,
}

fn bad(what: &str, message: impl std::fmt::Display) -> Error {
    Error::Onnx(format!("malformed {what}: {message}"))
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], what: &'static str) -> Self {
        Self { buf, pos: 0, what }
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(bad(self.what, "a varint runs past the end"));
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(bad(self.what, "a varint overflows 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad(self.what, "a varint is longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| {
                bad(
                    self.what,
                    format!(
                        "a field of {n} bytes at byte {} runs past the end ({} bytes)",
                        self.pos,
                        self.buf.len()
                    ),
                )
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next (field number, payload), or `None` at the end.
    fn field(&mut self) -> Result<Option<(u64, Wire<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let (number, wire) = (key >> 3, key & 7);
        if number == 0 {
            return Err(bad(self.what, "field number 0"));
        }
        let w = match wire {
            0 => Wire::Varint(self.varint()?),
            1 => Wire::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            )),
            2 => {
                let n = self.varint()?;
                let n = usize::try_from(n)
                    .map_err(|_| bad(self.what, format!("a length of {n} bytes")))?;
                Wire::Bytes(self.take(n)?)
            }
            5 => Wire::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            )),
            w => {
                return Err(bad(
                    self.what,
                    format!("field {number} has wire type {w} (groups are not used by ONNX)"),
                ));
            }
        };
        Ok(Some((number, w)))
    }
}

fn string(b: &[u8], what: &str) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| bad(what, "a name is not UTF-8"))
}

fn int(w: Wire<'_>, what: &str, field: &str) -> Result<i64> {
    match w {
        Wire::Varint(v) => Ok(v as i64),
        _ => Err(bad(what, format!("{field} is not a varint"))),
    }
}

fn bytes<'a>(w: Wire<'a>, what: &str, field: &str) -> Result<&'a [u8]> {
    match w {
        Wire::Bytes(b) => Ok(b),
        _ => Err(bad(what, format!("{field} is not length-delimited"))),
    }
}

/// Appends a repeated varint field, packed or not.
fn push_varints(out: &mut Vec<i64>, w: Wire<'_>, what: &'static str) -> Result<()> {
    match w {
        Wire::Varint(v) => out.push(v as i64),
        Wire::Bytes(b) => {
            let mut r = Reader::new(b, what);
            while r.pos < b.len() {
                out.push(r.varint()? as i64);
            }
        }
        _ => {
            return Err(bad(
                what,
                "a repeated integer field has a fixed-size wire type",
            ));
        }
    }
    Ok(())
}

/// Appends a repeated float field, packed or not.
fn push_f32s(out: &mut Vec<f32>, w: Wire<'_>, what: &str) -> Result<()> {
    match w {
        Wire::Fixed32(v) => out.push(f32::from_bits(v)),
        Wire::Bytes(b) if b.len() % 4 == 0 => out.extend(
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))),
        ),
        _ => return Err(bad(what, "a repeated float field is not 4-byte values")),
    }
    Ok(())
}

/// Appends a repeated double field, packed or not.
fn push_f64s(out: &mut Vec<f64>, w: Wire<'_>, what: &str) -> Result<()> {
    match w {
        Wire::Fixed64(v) => out.push(f64::from_bits(v)),
        Wire::Bytes(b) if b.len() % 8 == 0 => out.extend(
            b.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
        ),
        _ => return Err(bad(what, "a repeated double field is not 8-byte values")),
    }
    Ok(())
}

/// IEEE half precision to f32 (exact).
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        // Subnormal: frac·2⁻²⁴.
        (0, f) => return sign_of(h) * (f as f32) * 2f32.powi(-24),
        (31, 0) => sign | 0x7f80_0000,
        (31, f) => sign | 0x7f80_0000 | (f << 13),
        (e, f) => sign | ((e + 112) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

fn sign_of(h: u16) -> f32 {
    if h >> 15 == 1 { -1.0 } else { 1.0 }
}

impl Model {
    /// Decodes a serialised `ModelProto`.
    pub fn decode(buf: &[u8]) -> Result<Self> {
        if buf.len() > MAX_BYTES {
            return Err(Error::Onnx(format!(
                "{} bytes: larger than the 2 GiB a protobuf message may hold",
                buf.len()
            )));
        }
        let what = "ModelProto";
        let mut r = Reader::new(buf, what);
        let mut m = Model::default();
        let mut graph = None;
        while let Some((n, w)) = r.field()? {
            match n {
                1 => m.ir_version = int(w, what, "ir_version")?,
                2 => m.producer = string(bytes(w, what, "producer_name")?, what)?,
                7 => graph = Some(Graph::decode(bytes(w, what, "graph")?)?),
                8 => {
                    let b = bytes(w, what, "opset_import")?;
                    let mut o = Reader::new(b, "OperatorSetIdProto");
                    let (mut domain, mut version) = (String::new(), 0);
                    while let Some((n, w)) = o.field()? {
                        match n {
                            1 => domain = string(bytes(w, o.what, "domain")?, o.what)?,
                            2 => version = int(w, o.what, "version")?,
                            _ => {}
                        }
                    }
                    m.opsets.push((domain, version));
                }
                _ => {}
            }
        }
        m.graph = graph.ok_or_else(|| {
            Error::Onnx("no graph: the bytes are not an ONNX model (ModelProto.graph)".into())
        })?;
        Ok(m)
    }
}

impl Graph {
    fn decode(buf: &[u8]) -> Result<Self> {
        let what = "GraphProto";
        let mut r = Reader::new(buf, what);
        let mut g = Graph::default();
        while let Some((n, w)) = r.field()? {
            match n {
                1 => g.nodes.push(Node::decode(bytes(w, what, "node")?)?),
                2 => g.name = string(bytes(w, what, "name")?, what)?,
                5 => g
                    .initializers
                    .push(Tensor::decode(bytes(w, what, "initializer")?)?),
                11 => g.inputs.push(ValueInfo::decode(bytes(w, what, "input")?)?),
                12 => g
                    .outputs
                    .push(ValueInfo::decode(bytes(w, what, "output")?)?),
                15 => {
                    return Err(Error::Onnx("sparse initializers are not supported".into()));
                }
                _ => {}
            }
        }
        Ok(g)
    }
}

impl Node {
    fn decode(buf: &[u8]) -> Result<Self> {
        let what = "NodeProto";
        let mut r = Reader::new(buf, what);
        let mut node = Node::default();
        while let Some((n, w)) = r.field()? {
            match n {
                1 => node.inputs.push(string(bytes(w, what, "input")?, what)?),
                2 => node.outputs.push(string(bytes(w, what, "output")?, what)?),
                3 => node.name = string(bytes(w, what, "name")?, what)?,
                4 => node.op_type = string(bytes(w, what, "op_type")?, what)?,
                5 => node
                    .attributes
                    .push(Attribute::decode(bytes(w, what, "attribute")?)?),
                7 => node.domain = string(bytes(w, what, "domain")?, what)?,
                _ => {}
            }
        }
        Ok(node)
    }
}

impl Attribute {
    fn decode(buf: &[u8]) -> Result<Self> {
        let what = "AttributeProto";
        let mut r = Reader::new(buf, what);
        let mut name = String::new();
        let mut kind = 0i64;
        let (mut f, mut i, mut s, mut t) = (None, None, None, None);
        let (mut floats, mut ints, mut strings) = (Vec::new(), Vec::new(), Vec::new());
        let mut other = None;
        while let Some((n, w)) = r.field()? {
            match n {
                1 => name = string(bytes(w, what, "name")?, what)?,
                2 => match w {
                    Wire::Fixed32(v) => f = Some(f32::from_bits(v)),
                    _ => return Err(bad(what, "f is not a 4-byte float")),
                },
                3 => i = Some(int(w, what, "i")?),
                4 => s = Some(bytes(w, what, "s")?.to_vec()),
                5 => t = Some(Tensor::decode(bytes(w, what, "t")?)?),
                6 => other = Some(5),
                7 => push_f32s(&mut floats, w, what)?,
                8 => push_varints(&mut ints, w, what)?,
                9 => strings.push(bytes(w, what, "strings")?.to_vec()),
                10 => other = Some(9),
                11 => other = Some(10),
                22 => other = Some(11),
                20 => kind = int(w, what, "type")?,
                _ => {}
            }
        }
        // The type field says which value is meant; without it (old writers), the value present.
        let value = match kind {
            1 => AttrValue::Float(f.unwrap_or(0.0)),
            2 => AttrValue::Int(i.unwrap_or(0)),
            3 => AttrValue::String(s.unwrap_or_default()),
            4 => match t {
                Some(t) => AttrValue::Tensor(t),
                None => {
                    return Err(bad(
                        what,
                        format!("tensor attribute `{name}` has no tensor"),
                    ));
                }
            },
            6 => AttrValue::Floats(floats),
            7 => AttrValue::Ints(ints),
            8 => AttrValue::Strings(strings),
            0 => {
                if let Some(v) = f {
                    AttrValue::Float(v)
                } else if let Some(v) = i {
                    AttrValue::Int(v)
                } else if let Some(v) = s {
                    AttrValue::String(v)
                } else if let Some(v) = t {
                    AttrValue::Tensor(v)
                } else if !floats.is_empty() {
                    AttrValue::Floats(floats)
                } else if !ints.is_empty() {
                    AttrValue::Ints(ints)
                } else if !strings.is_empty() {
                    AttrValue::Strings(strings)
                } else {
                    AttrValue::Unsupported(other.unwrap_or(0))
                }
            }
            k => AttrValue::Unsupported(i32::try_from(k).unwrap_or(-1)),
        };
        Ok(Attribute { name, value })
    }
}

impl Tensor {
    fn decode(buf: &[u8]) -> Result<Self> {
        let what = "TensorProto";
        let mut r = Reader::new(buf, what);
        let mut name = String::new();
        let (mut dims, mut data_type) = (Vec::new(), 0i32);
        let (mut floats, mut i32s, mut i64s, mut doubles, mut u64s) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut raw: Option<&[u8]> = None;
        let mut external = false;
        while let Some((n, w)) = r.field()? {
            match n {
                1 => push_varints(&mut dims, w, what)?,
                2 => {
                    let t = int(w, what, "data_type")?;
                    data_type =
                        i32::try_from(t).map_err(|_| bad(what, format!("data type {t}")))?;
                }
                4 => push_f32s(&mut floats, w, what)?,
                5 => push_varints(&mut i32s, w, what)?,
                7 => push_varints(&mut i64s, w, what)?,
                8 => name = string(bytes(w, what, "name")?, what)?,
                9 => raw = Some(bytes(w, what, "raw_data")?),
                10 => push_f64s(&mut doubles, w, what)?,
                11 => push_varints(&mut u64s, w, what)?,
                14 => external = int(w, what, "data_location")? == 1,
                _ => {}
            }
        }
        let label = if name.is_empty() {
            "a tensor".to_string()
        } else {
            format!("tensor `{name}`")
        };
        if external {
            return Err(Error::Onnx(format!(
                "{label} keeps its data outside the file (external data is not supported: \
                 save the model with its weights inside)"
            )));
        }
        let dims: Vec<usize> = dims
            .iter()
            .map(|&d| {
                usize::try_from(d).map_err(|_| bad(what, format!("{label} has dimension {d}")))
            })
            .collect::<Result<_>>()?;
        let count = dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&c| c <= MAX_BYTES)
            .ok_or_else(|| {
                bad(
                    what,
                    format!("{label} has dims {dims:?}: too many elements"),
                )
            })?;
        // Raw bytes: little-endian values of the element's size.
        let raw_values = |size: usize| -> Result<Option<&[u8]>> {
            match raw {
                None => Ok(None),
                Some(b) if b.len() == count * size => Ok(Some(b)),
                Some(b) => Err(bad(
                    what,
                    format!(
                        "{label}: {} raw bytes for {count} values of {size} bytes (dims {dims:?})",
                        b.len()
                    ),
                )),
            }
        };
        use dtype::*;
        let data = match data_type {
            FLOAT => Data::F32(match raw_values(4)? {
                Some(b) => b
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect(),
                None => floats,
            }),
            DOUBLE => Data::F32(match raw_values(8)? {
                Some(b) => b
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                    .collect(),
                None => doubles.into_iter().map(|v| v as f32).collect(),
            }),
            FLOAT16 | BFLOAT16 => {
                let bits: Vec<u16> = match raw_values(2)? {
                    Some(b) => b
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect(),
                    None => i32s.iter().map(|&v| v as u16).collect(),
                };
                Data::F32(if data_type == FLOAT16 {
                    bits.into_iter().map(f16_to_f32).collect()
                } else {
                    bits.into_iter()
                        .map(|b| f32::from_bits((b as u32) << 16))
                        .collect()
                })
            }
            INT64 => Data::I64(match raw_values(8)? {
                Some(b) => b
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect(),
                None => i64s,
            }),
            UINT64 | UINT32 => {
                let size = if data_type == UINT64 { 8 } else { 4 };
                let v: Vec<u64> = match raw_values(size)? {
                    Some(b) => b
                        .chunks_exact(size)
                        .map(|c| {
                            let mut a = [0u8; 8];
                            a[..size].copy_from_slice(c);
                            u64::from_le_bytes(a)
                        })
                        .collect(),
                    None => u64s.iter().map(|&v| v as u64).collect(),
                };
                Data::I64(
                    v.into_iter()
                        .map(|x| {
                            i64::try_from(x)
                                .map_err(|_| bad(what, format!("{label} holds {x} (> 2⁶³)")))
                        })
                        .collect::<Result<_>>()?,
                )
            }
            INT32 | INT16 | INT8 | UINT16 | UINT8 | BOOL => {
                let (size, signed) = match data_type {
                    INT32 => (4, true),
                    INT16 => (2, true),
                    INT8 => (1, true),
                    UINT16 => (2, false),
                    _ => (1, false),
                };
                Data::I64(match raw_values(size)? {
                    Some(b) => b
                        .chunks_exact(size)
                        .map(|c| {
                            let mut a = [0u8; 8];
                            a[..size].copy_from_slice(c);
                            let u = u64::from_le_bytes(a);
                            if signed {
                                // Sign-extend from `size` bytes.
                                let shift = 64 - 8 * size as u32;
                                ((u << shift) as i64) >> shift
                            } else {
                                u as i64
                            }
                        })
                        .collect(),
                    // int32_data holds every small type, one value per entry; negative int32
                    // values are written as 64-bit varints, so the cast restores them.
                    None => i32s.iter().map(|&v| v as i32 as i64).collect(),
                })
            }
            0 => return Err(bad(what, format!("{label} has no data type"))),
            t => {
                return Err(Error::Onnx(format!(
                    "{label} has element type {}, which is not supported",
                    dtype::name(t)
                )));
            }
        };
        if data.len() != count {
            return Err(bad(
                what,
                format!(
                    "{label} has {} values for dims {dims:?} ({count} expected)",
                    data.len()
                ),
            ));
        }
        Ok(Tensor {
            name,
            dims,
            data_type,
            data,
        })
    }
}

impl ValueInfo {
    fn decode(buf: &[u8]) -> Result<Self> {
        let what = "ValueInfoProto";
        let mut r = Reader::new(buf, what);
        let mut v = ValueInfo::default();
        while let Some((n, w)) = r.field()? {
            match n {
                1 => v.name = string(bytes(w, what, "name")?, what)?,
                2 => {
                    // TypeProto: only tensor_type (1) is read.
                    let mut t = Reader::new(bytes(w, what, "type")?, "TypeProto");
                    while let Some((n, w)) = t.field()? {
                        if n != 1 {
                            continue;
                        }
                        let mut tt = Reader::new(bytes(w, t.what, "tensor_type")?, "TypeProto");
                        while let Some((n, w)) = tt.field()? {
                            match n {
                                1 => v.elem_type = int(w, tt.what, "elem_type")? as i32,
                                2 => {
                                    let b = bytes(w, tt.what, "shape")?;
                                    v.shape = Some(decode_shape(b)?);
                                }
                                _ => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(v)
    }
}

fn decode_shape(buf: &[u8]) -> Result<Vec<Dim>> {
    let what = "TensorShapeProto";
    let mut r = Reader::new(buf, what);
    let mut dims = Vec::new();
    while let Some((n, w)) = r.field()? {
        if n != 1 {
            continue;
        }
        let mut d = Reader::new(bytes(w, what, "dim")?, what);
        let mut dim = Dim::Unknown;
        while let Some((n, w)) = d.field()? {
            match n {
                1 => {
                    let v = int(w, what, "dim_value")?;
                    dim = match usize::try_from(v) {
                        Ok(v) => Dim::Fixed(v),
                        Err(_) => Dim::Unknown,
                    };
                }
                2 => dim = Dim::Named(string(bytes(w, what, "dim_param")?, what)?),
                _ => {}
            }
        }
        dims.push(dim);
    }
    Ok(dims)
}

// ---------------------------------------------------------------------------------------------
// Writing: the same subset, for models built in code (tests, examples). Float tensors are
// written as raw little-endian bytes, integer tensors as int64_data; attributes carry their type.

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u32, wire: u32) {
        self.varint(((field as u64) << 3) | wire as u64);
    }
    fn int(&mut self, field: u32, v: i64) {
        self.key(field, 0);
        self.varint(v as u64);
    }
    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, field: u32, s: &str) {
        self.bytes(field, s.as_bytes());
    }
    fn packed_ints(&mut self, field: u32, v: &[i64]) {
        let mut w = Writer(Vec::new());
        v.iter().for_each(|&x| w.varint(x as u64));
        self.bytes(field, &w.0);
    }
}

impl Model {
    /// The serialised `ModelProto`.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.int(1, self.ir_version);
        if !self.producer.is_empty() {
            w.str(2, &self.producer);
        }
        w.bytes(7, &self.graph.encode());
        for (domain, version) in &self.opsets {
            let mut o = Writer(Vec::new());
            if !domain.is_empty() {
                o.str(1, domain);
            }
            o.int(2, *version);
            w.bytes(8, &o.0);
        }
        w.0
    }
}

impl Graph {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        for n in &self.nodes {
            w.bytes(1, &n.encode());
        }
        w.str(2, &self.name);
        for t in &self.initializers {
            w.bytes(5, &t.encode());
        }
        for v in &self.inputs {
            w.bytes(11, &v.encode());
        }
        for v in &self.outputs {
            w.bytes(12, &v.encode());
        }
        w.0
    }
}

impl Node {
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        self.inputs.iter().for_each(|s| w.str(1, s));
        self.outputs.iter().for_each(|s| w.str(2, s));
        if !self.name.is_empty() {
            w.str(3, &self.name);
        }
        w.str(4, &self.op_type);
        for a in &self.attributes {
            let mut aw = Writer(Vec::new());
            aw.str(1, &a.name);
            let kind = match &a.value {
                AttrValue::Float(f) => {
                    aw.key(2, 5);
                    aw.0.extend_from_slice(&f.to_le_bytes());
                    1
                }
                AttrValue::Int(i) => {
                    aw.int(3, *i);
                    2
                }
                AttrValue::String(s) => {
                    aw.bytes(4, s);
                    3
                }
                AttrValue::Tensor(t) => {
                    aw.bytes(5, &t.encode());
                    4
                }
                AttrValue::Floats(v) => {
                    let b: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                    aw.bytes(7, &b);
                    6
                }
                AttrValue::Ints(v) => {
                    aw.packed_ints(8, v);
                    7
                }
                AttrValue::Strings(v) => {
                    v.iter().for_each(|s| aw.bytes(9, s));
                    8
                }
                AttrValue::Unsupported(k) => *k as i64,
            };
            aw.int(20, kind);
            w.bytes(5, &aw.0);
        }
        if !self.domain.is_empty() {
            w.str(7, &self.domain);
        }
        w.0
    }
}

impl Tensor {
    /// A float tensor (written as FLOAT).
    pub fn f32(name: &str, dims: &[usize], values: Vec<f32>) -> Self {
        Self {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: dtype::FLOAT,
            data: Data::F32(values),
        }
    }
    /// An INT64 tensor.
    pub fn i64(name: &str, dims: &[usize], values: Vec<i64>) -> Self {
        Self {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: dtype::INT64,
            data: Data::I64(values),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        let dims: Vec<i64> = self.dims.iter().map(|&d| d as i64).collect();
        w.packed_ints(1, &dims);
        match &self.data {
            Data::F32(v) => {
                w.int(2, dtype::FLOAT as i64);
                let b: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                w.bytes(9, &b);
            }
            Data::I64(v) => {
                w.int(2, dtype::INT64 as i64);
                w.packed_ints(7, v);
            }
        }
        if !self.name.is_empty() {
            w.str(8, &self.name);
        }
        w.0
    }
}

impl ValueInfo {
    /// A float tensor value with `shape` (`None` for a free dimension).
    pub fn f32(name: &str, shape: &[Option<usize>]) -> Self {
        Self {
            name: name.into(),
            elem_type: dtype::FLOAT,
            shape: Some(
                shape
                    .iter()
                    .map(|d| match d {
                        Some(v) => Dim::Fixed(*v),
                        None => Dim::Named("N".into()),
                    })
                    .collect(),
            ),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.str(1, &self.name);
        let mut tt = Writer(Vec::new());
        tt.int(1, self.elem_type as i64);
        if let Some(shape) = &self.shape {
            let mut s = Writer(Vec::new());
            for d in shape {
                let mut dw = Writer(Vec::new());
                match d {
                    Dim::Fixed(v) => dw.int(1, *v as i64),
                    Dim::Named(n) => dw.str(2, n),
                    Dim::Unknown => {}
                }
                s.bytes(1, &dw.0);
            }
            tt.bytes(2, &s.0);
        }
        let mut t = Writer(Vec::new());
        t.bytes(1, &tt.0);
        w.bytes(2, &t.0);
        w.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Model {
        Model {
            ir_version: 8,
            opsets: vec![(String::new(), 17)],
            producer: "test".into(),
            graph: Graph {
                name: "g".into(),
                nodes: vec![Node {
                    name: "fc".into(),
                    op_type: "Gemm".into(),
                    domain: String::new(),
                    inputs: vec!["x".into(), "w".into(), "".into()],
                    outputs: vec!["y".into()],
                    attributes: vec![
                        Attribute {
                            name: "alpha".into(),
                            value: AttrValue::Float(0.5),
                        },
                        Attribute {
                            name: "transB".into(),
                            value: AttrValue::Int(1),
                        },
                        Attribute {
                            name: "perm".into(),
                            value: AttrValue::Ints(vec![-1, 0, 300]),
                        },
                    ],
                }],
                initializers: vec![
                    Tensor::f32("w", &[2, 3], vec![1.0, -2.0, 3.5, 0.0, 1e-3, -7.0]),
                    Tensor::i64("s", &[2], vec![-1, 12]),
                ],
                inputs: vec![ValueInfo::f32("x", &[None, Some(3)])],
                outputs: vec![ValueInfo::f32("y", &[None, Some(2)])],
            },
        }
    }

    #[test]
    fn a_model_survives_encoding_and_decoding() {
        let m = sample();
        assert_eq!(Model::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn float_data_int32_data_and_small_raw_types_are_read() {
        // TensorProto { dims: [3] (unpacked), data_type: FLOAT, float_data: packed [1, 2, 3] }
        let mut w = Writer(Vec::new());
        w.int(1, 3);
        w.int(2, dtype::FLOAT as i64);
        let b: Vec<u8> = [1f32, 2.0, 3.0]
            .iter()
            .flat_map(|f| f.to_le_bytes())
            .collect();
        w.bytes(4, &b);
        let t = Tensor::decode(&w.0).unwrap();
        assert_eq!(t.data, Data::F32(vec![1.0, 2.0, 3.0]));
        // INT8 raw bytes, sign-extended.
        let mut w = Writer(Vec::new());
        w.packed_ints(1, &[2]);
        w.int(2, dtype::INT8 as i64);
        w.bytes(9, &[0xff, 0x05]);
        assert_eq!(Tensor::decode(&w.0).unwrap().data, Data::I64(vec![-1, 5]));
        // FLOAT16 raw: 1.0 = 0x3c00, −2.0 = 0xc000, 2⁻²⁴ (smallest subnormal) = 0x0001.
        let mut w = Writer(Vec::new());
        w.packed_ints(1, &[3]);
        w.int(2, dtype::FLOAT16 as i64);
        w.bytes(9, &[0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]);
        assert_eq!(
            Tensor::decode(&w.0).unwrap().data,
            Data::F32(vec![1.0, -2.0, 2f32.powi(-24)])
        );
    }

    #[test]
    fn every_truncation_of_a_model_is_an_error_or_a_smaller_model_never_a_panic() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            let _ = Model::decode(&bytes[..n]);
        }
        // Flipped bytes too.
        for k in 0..bytes.len() {
            let mut b = bytes.clone();
            b[k] ^= 0xa5;
            let _ = Model::decode(&b);
        }
    }

    #[test]
    fn values_that_disagree_with_dims_and_unknown_types_are_named() {
        let mut t = Tensor::f32("w", &[2, 2], vec![1.0; 3]);
        let e = Tensor::decode(&t.encode()).unwrap_err().to_string();
        assert!(e.contains("`w`") && e.contains("[2, 2]"), "{e}");
        t.dims = vec![3];
        let mut w = Writer(Vec::new());
        w.packed_ints(1, &[1]);
        w.int(2, dtype::STRING as i64);
        w.str(8, "names");
        let e = Tensor::decode(&w.0).unwrap_err().to_string();
        assert!(e.contains("STRING") && e.contains("`names`"), "{e}");
    }
}

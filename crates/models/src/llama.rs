//! A Llama-architecture decoder (SmolLM2) read from GGUF, with every linear layer a [`Linear`]
//! that can run on the optical twin.
//!
//! The forward pass follows the Llama design (Touvron et al. 2023, arXiv:2302.13971): RMSNorm
//! before attention and FFN, rotary position embedding, grouped-query attention, SwiGLU FFN
//! down(silu(gate·x) ⊙ up·x), a final RMSNorm and the output head (tied to the embedding when
//! the file has no `output.weight`). GGUF files written by llama.cpp's converter store the
//! query and key weights permuted for the interleaved rotary layout (pairs 2i, 2i+1), so the
//! interleaved form is applied here. Quantised weights (e.g. Q4_1) are dequantised to f32 once
//! at load: the digital reference is the quantised model's own weights, not the original BF16.
//! Whole windows are processed at once (no KV cache): enough for perplexity.

use crate::linear::{Linear, Optics};
use crate::{Error, Result};
use candle_core::quantized::gguf_file;
use candle_core::{D, DType, Device, IndexOp, Tensor};
use lightloop_rig::workload::OpticalOp;
use std::path::Path;

/// The shape of a Llama model, from the GGUF metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Config {
    pub d_model: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub d_ff: usize,
    pub vocab: usize,
    pub rms_eps: f64,
    pub rope_base: f64,
    pub context: usize,
}

impl Config {
    pub fn head_dim(&self) -> usize {
        self.d_model / self.heads
    }
}

struct Block {
    attn_norm: Tensor,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
    /// The FFN replaced by tied micro-steps ([`crate::retrofit`]).
    retrofit: Option<crate::retrofit::Retrofit>,
}

/// One layer's FFN block (see [`Llama::ffn`]).
pub struct Ffn<'a> {
    pub norm: &'a Tensor,
    pub eps: f32,
    pub gate: &'a Linear,
    pub up: &'a Linear,
    pub down: &'a Linear,
}

impl Ffn<'_> {
    /// The block's output for residual-stream input x: down(silu(gate·n) ⊙ up·n), n = RMSNorm(x).
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        let n = candle_nn::ops::rms_norm(x, self.norm, self.eps)?;
        Llama::ffn_apply(self.gate, self.up, self.down, &n)
    }
    pub fn normed(&self, x: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::rms_norm(x, self.norm, self.eps)?)
    }
}

enum Run {
    Logits(Tensor),
    Captured(Tensor, Tensor),
}

/// A loaded model.
pub struct Llama {
    pub config: Config,
    embed: Tensor,
    blocks: Vec<Block>,
    norm: Tensor,
    head: Linear,
    device: Device,
}

fn meta_u(ct: &gguf_file::Content, path: &Path, key: &str) -> Result<usize> {
    let v = ct
        .metadata
        .get(key)
        .ok_or_else(|| Error::format(path, format!("GGUF metadata has no `{key}`")))?;
    let n = match v {
        gguf_file::Value::U32(x) => *x as u64,
        gguf_file::Value::I32(x) if *x >= 0 => *x as u64,
        gguf_file::Value::U64(x) => *x,
        gguf_file::Value::I64(x) if *x >= 0 => *x as u64,
        other => {
            return Err(Error::format(
                path,
                format!("GGUF metadata `{key}` is {other:?}, expected a count"),
            ));
        }
    };
    Ok(n as usize)
}

/// A string of the GGUF metadata, empty when absent or not a string.
pub(crate) fn meta_str<'a>(ct: &'a gguf_file::Content, key: &str) -> &'a str {
    ct.metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .map_or("", |s| s.as_str())
}

fn meta_f(ct: &gguf_file::Content, key: &str, default: f64) -> f64 {
    match ct.metadata.get(key) {
        Some(gguf_file::Value::F32(x)) => *x as f64,
        Some(gguf_file::Value::F64(x)) => *x,
        _ => default,
    }
}

impl Llama {
    /// Reads a GGUF file with `general.architecture = llama`.
    pub fn from_gguf(path: &Path) -> Result<(Self, gguf_file::Content)> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let ct = gguf_file::Content::read(&mut f)
            .map_err(|e| Error::format(path, format!("not a readable GGUF file: {e}")))?;
        let arch = meta_str(&ct, "general.architecture");
        if arch != "llama" {
            return Err(Error::format(
                path,
                format!("architecture `{arch}` is not supported (only `llama`)"),
            ));
        }
        let device = Device::Cpu;
        let mut tensor = |name: &str| -> Result<Tensor> {
            let q = ct
                .tensor(&mut f, name, &device)
                .map_err(|e| Error::format(path, format!("tensor `{name}`: {e}")))?;
            Ok(q.dequantize(&device)?.to_dtype(DType::F32)?)
        };
        let embed = tensor("token_embd.weight")?;
        let (vocab, d_model) = embed.dims2()?;
        let config = Config {
            d_model,
            layers: meta_u(&ct, path, "llama.block_count")?,
            heads: meta_u(&ct, path, "llama.attention.head_count")?,
            kv_heads: meta_u(&ct, path, "llama.attention.head_count_kv")
                .or_else(|_| meta_u(&ct, path, "llama.attention.head_count"))?,
            d_ff: meta_u(&ct, path, "llama.feed_forward_length")?,
            vocab,
            rms_eps: meta_f(&ct, "llama.attention.layer_norm_rms_epsilon", 1e-5),
            rope_base: meta_f(&ct, "llama.rope.freq_base", 10_000.0),
            context: meta_u(&ct, path, "llama.context_length").unwrap_or(2048),
        };
        if config.heads == 0
            || config.kv_heads == 0
            || !d_model.is_multiple_of(config.heads)
            || !config.heads.is_multiple_of(config.kv_heads)
            || !config.head_dim().is_multiple_of(2)
        {
            return Err(Error::format(
                path,
                format!(
                    "inconsistent shape: d_model {d_model}, {} heads, {} KV heads",
                    config.heads, config.kv_heads
                ),
            ));
        }
        let mut blocks = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let mut lin = |n: &str| -> Result<Linear> {
                Linear::new(tensor(&format!("blk.{i}.{n}.weight"))?, None)
            };
            blocks.push(Block {
                q: lin("attn_q")?,
                k: lin("attn_k")?,
                v: lin("attn_v")?,
                o: lin("attn_output")?,
                gate: lin("ffn_gate")?,
                up: lin("ffn_up")?,
                down: lin("ffn_down")?,
                attn_norm: tensor(&format!("blk.{i}.attn_norm.weight"))?,
                ffn_norm: tensor(&format!("blk.{i}.ffn_norm.weight"))?,
                retrofit: None,
            });
        }
        let norm = tensor("output_norm.weight")?;
        let head = if ct.tensor_infos.contains_key("output.weight") {
            Linear::new(tensor("output.weight")?, None)?
        } else {
            Linear::new(embed.clone(), None)?
        };
        let model = Self {
            config,
            embed,
            blocks,
            norm,
            head,
            device,
        };
        model.check_shapes(path)?;
        Ok((model, ct))
    }

    fn check_shapes(&self, path: &Path) -> Result<()> {
        let c = &self.config;
        let hd = c.head_dim();
        for (i, b) in self.blocks.iter().enumerate() {
            let want = [
                ("attn_q", &b.q, c.heads * hd, c.d_model),
                ("attn_k", &b.k, c.kv_heads * hd, c.d_model),
                ("attn_v", &b.v, c.kv_heads * hd, c.d_model),
                ("attn_output", &b.o, c.d_model, c.heads * hd),
                ("ffn_gate", &b.gate, c.d_ff, c.d_model),
                ("ffn_up", &b.up, c.d_ff, c.d_model),
                ("ffn_down", &b.down, c.d_model, c.d_ff),
            ];
            for (name, l, rows, cols) in want {
                if l.rows() != rows || l.cols() != cols {
                    return Err(Error::format(
                        path,
                        format!(
                            "blk.{i}.{name}.weight is {}×{}, expected {rows}×{cols}",
                            l.rows(),
                            l.cols()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The linear layers with the optical operation they belong to, in a fixed order.
    fn linears_mut(&mut self) -> Vec<(OpticalOp, &mut Linear)> {
        let mut v = Vec::new();
        for b in &mut self.blocks {
            v.push((OpticalOp::Qkv, &mut b.q));
            v.push((OpticalOp::Qkv, &mut b.k));
            v.push((OpticalOp::Qkv, &mut b.v));
            v.push((OpticalOp::AttnOut, &mut b.o));
            v.push((OpticalOp::FfnUp, &mut b.gate));
            v.push((OpticalOp::FfnUp, &mut b.up));
            v.push((OpticalOp::FfnDown, &mut b.down));
        }
        v.push((OpticalOp::LmHead, &mut self.head));
        v
    }

    /// Maps the layers of `ops` onto the optical core (`None`: all digital); returns how many
    /// layers are optical.
    pub fn map(&mut self, ops: &[OpticalOp], optics: Option<&Optics>) -> Result<usize> {
        let mut n = 0;
        for (index, (op, l)) in self.linears_mut().into_iter().enumerate() {
            match optics {
                Some(o) if ops.contains(&op) => {
                    l.make_optical(o, index as u64)?;
                    n += 1;
                }
                _ => l.make_digital(),
            }
        }
        Ok(n)
    }

    /// Puts only layer `layer`'s FFN (gate, up, down) on the optical core; the rest is left as
    /// it is.
    pub fn map_ffn_of(&mut self, layer: usize, optics: &Optics) -> Result<()> {
        let n = self.blocks.len();
        let b = self.blocks.get_mut(layer).ok_or_else(|| {
            Error::Invalid(format!("layer {layer} does not exist (the model has {n})"))
        })?;
        let base = 7 * layer as u64;
        b.gate.make_optical(optics, base + 4)?;
        b.up.make_optical(optics, base + 5)?;
        b.down.make_optical(optics, base + 6)?;
        Ok(())
    }

    /// cos and sin of the rotary angles pos·base^(−2i/d_head), (tokens, d_head/2).
    fn rope_tables(&self, tokens: usize) -> Result<(Tensor, Tensor)> {
        let hd = self.config.head_dim();
        let inv: Vec<f32> = (0..hd / 2)
            .map(|i| (self.config.rope_base.powf(-((2 * i) as f64) / hd as f64)) as f32)
            .collect();
        let mut angles = Vec::with_capacity(tokens * hd / 2);
        for p in 0..tokens {
            angles.extend(inv.iter().map(|f| p as f32 * f));
        }
        let a = Tensor::from_vec(angles, (tokens, hd / 2), &self.device)?;
        Ok((a.cos()?, a.sin()?))
    }

    /// Replaces layer `layer`'s FFN by `r` (`None`: the original FFN).
    pub fn set_retrofit(
        &mut self,
        layer: usize,
        r: Option<crate::retrofit::Retrofit>,
    ) -> Result<()> {
        let n = self.blocks.len();
        let b = self.blocks.get_mut(layer).ok_or_else(|| {
            Error::Invalid(format!("layer {layer} does not exist (the model has {n})"))
        })?;
        b.retrofit = r;
        Ok(())
    }

    /// Layer `layer`'s FFN block: its RMSNorm and its three linear layers.
    pub fn ffn(&self, layer: usize) -> Result<Ffn<'_>> {
        let b = self.blocks.get(layer).ok_or_else(|| {
            Error::Invalid(format!(
                "layer {layer} does not exist (the model has {})",
                self.blocks.len()
            ))
        })?;
        Ok(Ffn {
            norm: &b.ffn_norm,
            eps: self.config.rms_eps as f32,
            gate: &b.gate,
            up: &b.up,
            down: &b.down,
        })
    }

    /// The original FFN: down(silu(gate·h) ⊙ up·h).
    pub fn ffn_apply(gate: &Linear, up: &Linear, down: &Linear, h: &Tensor) -> Result<Tensor> {
        down.forward(&(gate.forward(h)?.silu()? * up.forward(h)?)?)
    }

    /// Layer `layer`'s FFN block input (the residual stream before the block's RMSNorm) and
    /// the block's output, for a window of token ids.
    pub fn ffn_io(&self, ids: &[u32], layer: usize) -> Result<(Tensor, Tensor)> {
        match self.run(ids, Some(layer))? {
            Run::Captured(h, y) => Ok((h, y)),
            Run::Logits(_) => Err(Error::Invalid(format!(
                "layer {layer} does not exist (the model has {})",
                self.blocks.len()
            ))),
        }
    }

    /// Logits (tokens, vocab) for a window of token ids starting at position 0.
    pub fn forward(&self, ids: &[u32]) -> Result<Tensor> {
        match self.run(ids, None)? {
            Run::Logits(l) => Ok(l),
            Run::Captured(..) => unreachable!("nothing to capture"),
        }
    }

    fn run(&self, ids: &[u32], capture: Option<usize>) -> Result<Run> {
        let c = &self.config;
        let t = ids.len();
        if t == 0 {
            return Err(Error::Invalid("an empty window of tokens".into()));
        }
        if let Some(bad) = ids.iter().find(|&&i| i as usize >= c.vocab) {
            return Err(Error::Invalid(format!(
                "token id {bad} outside the vocabulary of {}",
                c.vocab
            )));
        }
        let (hd, h, kv) = (c.head_dim(), c.heads, c.kv_heads);
        let eps = c.rms_eps as f32;
        let (cos, sin) = self.rope_tables(t)?;
        let mask: Vec<f32> = (0..t * t)
            .map(|k| {
                if k % t > k / t {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, (t, t), &self.device)?;
        let idx = Tensor::from_vec(ids.to_vec(), t, &self.device)?;
        let mut x = self.embed.index_select(&idx, 0)?;
        for (layer, b) in self.blocks.iter().enumerate() {
            let hn = candle_nn::ops::rms_norm(&x, &b.attn_norm, eps)?;
            let heads = |y: Tensor, n: usize| -> Result<Tensor> {
                Ok(y.reshape((1, t, n, hd))?.transpose(1, 2)?.contiguous()?)
            };
            let q = candle_nn::rotary_emb::rope_i(&heads(b.q.forward(&hn)?, h)?, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope_i(&heads(b.k.forward(&hn)?, kv)?, &cos, &sin)?;
            let v = heads(b.v.forward(&hn)?, kv)?;
            // Grouped-query attention: query head j reads KV head j / (h / kv).
            let rep = |y: Tensor| -> Result<Tensor> {
                if h == kv {
                    return Ok(y);
                }
                Ok(y.unsqueeze(2)?
                    .expand((1, kv, h / kv, t, hd))?
                    .reshape((1, h, t, hd))?)
            };
            let (k, v) = (rep(k)?, rep(v)?);
            let att =
                (q.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?.broadcast_add(&mask)?;
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att
                .matmul(&v.contiguous()?)?
                .transpose(1, 2)?
                .reshape((t, h * hd))?;
            x = (x + b.o.forward(&y)?)?;
            let y = match &b.retrofit {
                None => {
                    let hn = candle_nn::ops::rms_norm(&x, &b.ffn_norm, eps)?;
                    Self::ffn_apply(&b.gate, &b.up, &b.down, &hn)?
                }
                Some(r) => r.forward(&x, &self.ffn(layer)?)?,
            };
            if capture == Some(layer) {
                return Ok(Run::Captured(x, y));
            }
            x = (x + y)?;
        }
        let x = candle_nn::ops::rms_norm(&x, &self.norm, eps)?;
        Ok(Run::Logits(self.head.forward(&x)?))
    }

    /// Summed negative log-likelihood (nats) of each next token in `ids` and how many were
    /// scored (ids.len() − 1).
    pub fn nll(&self, ids: &[u32]) -> Result<(f64, usize)> {
        if ids.len() < 2 {
            return Ok((0.0, 0));
        }
        let logits = self.forward(&ids[..ids.len() - 1])?;
        let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let mut total = 0.0;
        for (p, &next) in ids[1..].iter().enumerate() {
            let lp = logp.i((p, next as usize))?.to_scalar::<f32>()? as f64;
            total -= lp;
        }
        Ok((total, ids.len() - 1))
    }
}

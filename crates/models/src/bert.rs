//! A BERT encoder (all-MiniLM-L6-v2) read from safetensors, with every linear layer a
//! [`Linear`] that can run on the optical twin, and the sentence-transformers pooling: the mean
//! of the last hidden states over the sentence's tokens, then L2 normalisation.
//!
//! The forward pass follows BERT (Devlin et al. 2019, arXiv:1810.04805): word + position +
//! token-type embeddings and LayerNorm; per layer, self-attention with biases, output projection,
//! residual and LayerNorm (post-norm), then the GELU (erf form) MLP, residual and LayerNorm. One
//! sentence is encoded at a time, so no padding or attention mask is needed.

use crate::linear::{Linear, Optics};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use lightloop_rig::workload::OpticalOp;
use std::collections::HashMap;
use std::path::Path;

/// The fields of the model's `config.json` that the forward pass uses.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Config {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub vocab_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "two")]
    pub type_vocab_size: usize,
    #[serde(default = "eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "gelu")]
    pub hidden_act: String,
}

fn two() -> usize {
    2
}
fn eps() -> f64 {
    1e-12
}
fn gelu() -> String {
    "gelu".into()
}

struct Norm {
    w: Tensor,
    b: Tensor,
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    attn_norm: Norm,
    up: Linear,
    down: Linear,
    out_norm: Norm,
}

/// A loaded encoder.
pub struct Bert {
    pub config: Config,
    words: Tensor,
    positions: Tensor,
    types: Tensor,
    embed_norm: Norm,
    layers: Vec<Layer>,
    device: Device,
}

impl Bert {
    /// Reads `config.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let cpath = dir.join("config.json");
        let text = std::fs::read_to_string(&cpath).map_err(|e| Error::io(&cpath, e))?;
        let config: Config = serde_json::from_str(&text)
            .map_err(|e| Error::format(&cpath, format!("line {}: {e}", e.line())))?;
        if config.hidden_act != "gelu" {
            return Err(Error::format(
                &cpath,
                format!(
                    "hidden_act `{}` is not supported (only `gelu`)",
                    config.hidden_act
                ),
            ));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(Error::format(
                &cpath,
                "hidden_size is not a multiple of num_attention_heads",
            ));
        }
        let wpath = dir.join("model.safetensors");
        let device = Device::Cpu;
        let mut tensors: HashMap<String, Tensor> = candle_core::safetensors::load(&wpath, &device)
            .map_err(|e| Error::format(&wpath, format!("not readable safetensors: {e}")))?;
        let take = |tensors: &mut HashMap<String, Tensor>,
                    name: &str,
                    shape: &[usize]|
         -> Result<Tensor> {
            let t = tensors
                .remove(name)
                .ok_or_else(|| Error::format(&wpath, format!("no tensor `{name}`")))?;
            if t.dims() != shape {
                return Err(Error::format(
                    &wpath,
                    format!("`{name}` has shape {:?}, expected {shape:?}", t.dims()),
                ));
            }
            Ok(t.to_dtype(DType::F32)?)
        };
        let (d, f) = (config.hidden_size, config.intermediate_size);
        let norm = |tensors: &mut HashMap<String, Tensor>, p: &str| -> Result<Norm> {
            Ok(Norm {
                w: take(tensors, &format!("{p}.LayerNorm.weight"), &[d])?,
                b: take(tensors, &format!("{p}.LayerNorm.bias"), &[d])?,
            })
        };
        let embed_norm = norm(&mut tensors, "embeddings")?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let attn_norm = norm(&mut tensors, &format!("{p}.attention.output"))?;
            let out_norm = norm(&mut tensors, &format!("{p}.output"))?;
            let mut lin = |n: &str, rows: usize, cols: usize| -> Result<Linear> {
                Linear::new(
                    take(&mut tensors, &format!("{p}.{n}.weight"), &[rows, cols])?,
                    Some(take(&mut tensors, &format!("{p}.{n}.bias"), &[rows])?),
                )
            };
            layers.push(Layer {
                q: lin("attention.self.query", d, d)?,
                k: lin("attention.self.key", d, d)?,
                v: lin("attention.self.value", d, d)?,
                o: lin("attention.output.dense", d, d)?,
                up: lin("intermediate.dense", f, d)?,
                down: lin("output.dense", d, f)?,
                attn_norm,
                out_norm,
            });
        }
        let words = take(
            &mut tensors,
            "embeddings.word_embeddings.weight",
            &[config.vocab_size, d],
        )?;
        let positions = take(
            &mut tensors,
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, d],
        )?;
        let types = take(
            &mut tensors,
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, d],
        )?;
        Ok(Self {
            config,
            words,
            positions,
            types,
            embed_norm,
            layers,
            device,
        })
    }

    /// Maps the layers of `ops` onto the optical core (`None`: all digital); returns how many
    /// layers are optical. `ffn-up` is the intermediate layer, `ffn-down` the output layer.
    pub fn map(&mut self, ops: &[OpticalOp], optics: Option<&Optics>) -> Result<usize> {
        let mut n = 0;
        let mut index = 0u64;
        for l in &mut self.layers {
            for (op, lin) in [
                (OpticalOp::Qkv, &mut l.q),
                (OpticalOp::Qkv, &mut l.k),
                (OpticalOp::Qkv, &mut l.v),
                (OpticalOp::AttnOut, &mut l.o),
                (OpticalOp::FfnUp, &mut l.up),
                (OpticalOp::FfnDown, &mut l.down),
            ] {
                match optics {
                    Some(o) if ops.contains(&op) => {
                        lin.make_optical(o, index)?;
                        n += 1;
                    }
                    _ => lin.make_digital(),
                }
                index += 1;
            }
        }
        Ok(n)
    }

    fn layer_norm(x: &Tensor, n: &Norm, eps: f64) -> Result<Tensor> {
        Ok(candle_nn::ops::layer_norm(x, &n.w, &n.b, eps as f32)?)
    }

    /// Last hidden states (tokens, hidden) of one sentence's token ids.
    pub fn hidden(&self, ids: &[u32]) -> Result<Tensor> {
        let c = &self.config;
        let t = ids.len();
        if t == 0 || t > c.max_position_embeddings {
            return Err(Error::Invalid(format!(
                "a sentence of {t} tokens (1 to {} allowed)",
                c.max_position_embeddings
            )));
        }
        if let Some(bad) = ids.iter().find(|&&i| i as usize >= c.vocab_size) {
            return Err(Error::Invalid(format!(
                "token id {bad} outside the vocabulary of {}",
                c.vocab_size
            )));
        }
        let (h, d) = (c.num_attention_heads, c.hidden_size);
        let hd = d / h;
        let idx = Tensor::from_vec(ids.to_vec(), t, &self.device)?;
        let x = self
            .words
            .index_select(&idx, 0)?
            .add(&self.positions.narrow(0, 0, t)?)?
            .broadcast_add(&self.types.narrow(0, 0, 1)?)?;
        let mut x = Self::layer_norm(&x, &self.embed_norm, c.layer_norm_eps)?;
        for l in &self.layers {
            let heads = |y: Tensor| -> Result<Tensor> {
                Ok(y.reshape((1, t, h, hd))?.transpose(1, 2)?.contiguous()?)
            };
            let q = heads(l.q.forward(&x)?)?;
            let k = heads(l.k.forward(&x)?)?;
            let v = heads(l.v.forward(&x)?)?;
            let att = (q.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?;
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v)?.transpose(1, 2)?.reshape((t, d))?;
            x = Self::layer_norm(&(x + l.o.forward(&y)?)?, &l.attn_norm, c.layer_norm_eps)?;
            let m = l.down.forward(&l.up.forward(&x)?.gelu_erf()?)?;
            x = Self::layer_norm(&(x + m)?, &l.out_norm, c.layer_norm_eps)?;
        }
        Ok(x)
    }

    /// The sentence embedding: mean over tokens of the last hidden states, L2-normalised.
    pub fn embed(&self, ids: &[u32]) -> Result<Vec<f32>> {
        let mean = self.hidden(ids)?.mean(0)?.to_vec1::<f32>()?;
        let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt();
        Ok(mean.iter().map(|v| v / norm.max(1e-12)).collect())
    }
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        return f64::NAN;
    }
    dot / (na * nb)
}

//! Retrofitting depth: one layer's FFN replaced by K tied micro-steps of the same optical FFN.
//!
//! With x the residual stream entering the layer's FFN block and B(s) = F(RMSNorm(s)) the
//! block itself (F(n) = down(silu(gate·n) ⊙ up·n), the layer's own weights and norm), the
//! replacement is
//!
//!   s₀ = x,  s_k = s_{k−1} + α_k·B(s_{k−1})  (k = 1 … K),  output = s_K − x + U·V·RMSNorm(x),
//!
//! i.e. the pre-norm block rolled K times around a loop with tied weights, each pass a small
//! step (α_k = 1/K at the start: explicit Euler steps of ds/dt = B(s), so each pass is near the
//! identity; the norm inside every pass keeps the steps bounded), plus a shared low-rank adapter
//! U·V (rank r, U = 0 at the start). Only the K gains and the adapter are
//! trained, by distillation from the frozen model: the mean squared difference between the
//! block's output and the original FFN's output on the same inputs (local, layer-wise
//! distillation). Training is digital and noise-free; the evaluation can run the micro-steps on
//! the optical twin (the FFN's layers are whatever [`crate::llama::Llama::map`] made them).
//! At K = 1 with α = 1 and U = 0 the block is the original FFN exactly.

use crate::llama::{Ffn, Llama};
use crate::{Error, Result};
use candle_core::{DType, Device, IndexOp, Tensor, Var};
use candle_nn::Optimizer;

/// The trained replacement of one FFN.
#[derive(Debug, Clone)]
pub struct Retrofit {
    /// Per-step gains α_k (K).
    pub alphas: Tensor,
    /// Adapter U (d × r) and V (r × d).
    pub u: Tensor,
    pub v: Tensor,
}

impl Retrofit {
    /// The starting point: α_k = 1/K, U = 0, V small and seeded.
    pub fn init(d: usize, k: usize, rank: usize, seed: u64) -> Result<Self> {
        if k == 0 || rank == 0 {
            return Err(Error::Invalid(
                "K and the adapter rank must be at least 1".into(),
            ));
        }
        let mut rng = lightloop_base::rng::stream(seed, "models.retrofit", k as u64, 0);
        let scale = 1.0 / (d as f64).sqrt();
        let v: Vec<f32> = (0..rank * d)
            .map(|_| (lightloop_base::rng::uniform(&mut rng) * 2.0 - 1.0) as f32 * scale as f32)
            .collect();
        Ok(Self {
            alphas: Tensor::full(1.0 / k as f32, k, &Device::Cpu)?,
            u: Tensor::zeros((d, rank), DType::F32, &Device::Cpu)?,
            v: Tensor::from_vec(v, (rank, d), &Device::Cpu)?,
        })
    }

    /// Micro-steps K.
    pub fn steps(&self) -> usize {
        self.alphas.dims1().unwrap_or(0)
    }

    /// The block's output for the residual stream `x` (tokens × d) entering the FFN block.
    pub fn forward(&self, x: &Tensor, ffn: &Ffn) -> Result<Tensor> {
        Self::apply(&self.alphas, &self.u, &self.v, x, ffn)
    }

    fn apply(alphas: &Tensor, u: &Tensor, v: &Tensor, x: &Tensor, ffn: &Ffn) -> Result<Tensor> {
        let mut s = x.clone();
        for k in 0..alphas.dims1()? {
            let f = ffn.apply(&s)?;
            s = (s + f.broadcast_mul(&alphas.i(k)?)?)?;
        }
        let adapter = ffn.normed(x)?.matmul(&v.t()?)?.matmul(&u.t()?)?;
        Ok(((s - x)? + adapter)?)
    }
}

/// How a retrofit is trained.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub rank: usize,
    pub iterations: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// Mean squared error of a block against the original FFN outputs over `data` ((input,
/// target) pairs from [`Llama::ffn_io`]).
pub fn distillation_error(
    model: &Llama,
    layer: usize,
    r: &Retrofit,
    data: &[(Tensor, Tensor)],
) -> Result<f64> {
    let ffn = model.ffn(layer)?;
    let (mut sum, mut n) = (0.0, 0usize);
    for (h, y) in data {
        let e = (r.forward(h, &ffn)? - y)?
            .sqr()?
            .sum_all()?
            .to_scalar::<f32>()? as f64;
        sum += e;
        n += h.elem_count();
    }
    Ok(sum / n.max(1) as f64)
}

/// Trains the K gains and the adapter of a K-step replacement of `layer`'s FFN on `data`
/// (AdamW, one window per iteration in turn). The model's FFN layers must be digital.
pub fn train(
    model: &Llama,
    layer: usize,
    k: usize,
    data: &[(Tensor, Tensor)],
    t: &Training,
) -> Result<Retrofit> {
    if data.is_empty() {
        return Err(Error::Invalid("no distillation data".into()));
    }
    let ffn = model.ffn(layer)?;
    if ffn.gate.is_optical() || ffn.up.is_optical() || ffn.down.is_optical() {
        return Err(Error::Invalid(
            "train the retrofit with the FFN digital (map it back first)".into(),
        ));
    }
    let init = Retrofit::init(model.config.d_model, k, t.rank, t.seed)?;
    let alphas = Var::from_tensor(&init.alphas)?;
    let u = Var::from_tensor(&init.u)?;
    let v = Var::from_tensor(&init.v)?;
    let mut opt = candle_nn::AdamW::new(
        vec![alphas.clone(), u.clone(), v.clone()],
        candle_nn::ParamsAdamW {
            lr: t.learning_rate,
            weight_decay: 0.0,
            ..Default::default()
        },
    )?;
    for it in 0..t.iterations {
        let (h, y) = &data[it % data.len()];
        let out = Retrofit::apply(alphas.as_tensor(), u.as_tensor(), v.as_tensor(), h, &ffn)?;
        let loss = (out - y)?.sqr()?.mean_all()?;
        let l = loss.to_scalar::<f32>()?;
        if !l.is_finite() {
            return Err(Error::Invalid(format!(
                "the distillation of {k} steps diverged at iteration {it} (loss {l}); lower --lr"
            )));
        }
        opt.backward_step(&loss)?;
    }
    Ok(Retrofit {
        alphas: alphas.as_tensor().detach(),
        u: u.as_tensor().detach(),
        v: v.as_tensor().detach(),
    })
}

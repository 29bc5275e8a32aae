//! Deep-loop ternary networks on the twin, trained with candle (CPU).
//!
//! The model (architecture (b) of the loop issue: a tied-weight loop unrolled and trained end to
//! end): the input vector is encoded once (E/O) and multiplied optically by a ternary matrix,
//! then the state circulates T times through the loop,
//!
//!   h ← h + α_t·φ(g·A·h + n_t),
//!
//! A one ternary matrix for every pass (tied weights), g a learned gain, α_t learned per-pass
//! gains initialised near zero at min(0.1, 1/T) (near-identity passes, as LayerScale, scaled
//! with depth as DeepNorm scales its residual branches: with 0.1 at every depth, T = 1 024
//! trained to 20 % on the digits against 92 % with 1/T, 5 epochs), φ the rig's absorber and
//! SOA ([`phi::Phi`]), n_t the ASE of one pass; then the photodiodes read h once (with the
//! rig's readout noise and ADC) and a digital linear layer classifies.
//!
//! Ternary weights: each latent matrix W is ternarised as in Ternary Weight Networks (Li, Zhang &
//! Liu, arXiv:1605.04711, 2016): Δ = 0.7·mean|W|, Wₜ = s·sign(W)·[|W| > Δ] with s the mean |W|
//! above Δ, and the straight-through estimator W + (Wₜ − W)|detached carries the gradient to W.
//!
//! Three options change the loop:
//! - a fixed loop gain g ([`LoopNetConfig::loop_gain`]): A's scale is not learned but set so
//!   that the mesh has unit RMS gain on a random state (s = 1/√(mean non-zeros per row)), and g
//!   is not trained. g is then the small-signal gain of one pass into φ (whose small-signal
//!   slope is 1): the drive into the absorber/SOA. With both learned, g and s are one product
//!   and a sweep of either means nothing.
//! - a shared low-rank adapter ([`LoopNetConfig::adapter_rank`]): the loop's product becomes
//!   g·A·h + U·(Vᵀ·h) with U, V of rank r, analog and learned, the same for every pass (U starts
//!   at zero, so the loop starts as the ternary one). Physically a second, small analog mesh
//!   beside the ternary one; simplified: it adds no noise of its own and the cost model does
//!   not count it.
//! - exits every k passes ([`LoopNetConfig::exit_every`]): the photodiodes read the state after
//!   passes k, 2k, … and T, each reading with its own readout noise (a tap that leaves the
//!   light in the loop: simplified, the tap's loss is not modelled); the classifier is shared
//!   and a halting head λ_n = σ(w_h·r_n + b_h) reads the same reading (see [`halting`]).

pub mod attention;
pub mod dfa;
pub mod halting;
pub mod phi;
pub mod train;

use crate::sensing::Sensing;
use candle_core::{D, DType, Device, Result, Tensor, Var};
use lightloop_base::rng::{Rng, normal, stream};
use phi::Phi;

/// The TWN codes of `w` as a tensor ({−1, 0, +1}), its mask of kept weights and their count.
fn codes(w: &Tensor) -> Result<(Tensor, Tensor, f32)> {
    let delta = (w.abs()?.mean_all()? * 0.7)?;
    let pos = w.broadcast_gt(&delta)?.to_dtype(w.dtype())?;
    let neg = w.broadcast_lt(&delta.neg()?)?.to_dtype(w.dtype())?;
    let mask = (&pos + &neg)?;
    let kept = mask.sum_all()?.to_scalar::<f32>()?.max(1.0);
    Ok(((pos - neg)?, mask, kept))
}

/// Ternarises `w` (TWN) with a straight-through gradient.
pub fn ternary(w: &Tensor) -> Result<Tensor> {
    let (c, mask, kept) = codes(w)?;
    let scale = ((w.abs()? * &mask)?.sum_all()? / kept as f64)?;
    let t = c.broadcast_mul(&scale)?;
    w + (t - w)?.detach()
}

/// Ternarises the square matrix `w` at a fixed RMS gain: codes × g/√(mean non-zeros per row), so
/// that ‖Wₜ·x‖ ≈ g·‖x‖ for a state of random signs; straight-through gradient to `w`.
pub fn ternary_at_gain(w: &Tensor, gain: f64) -> Result<Tensor> {
    let (c, _, kept) = codes(w)?;
    let per_row = kept as f64 / w.dim(0)? as f64;
    let t = (c * (gain / per_row.sqrt()))?;
    w + (t - w)?.detach()
}

/// The ternary values {−1, 0, +1} of `w` (what the optical mesh would be programmed with).
pub fn ternary_codes(w: &Tensor) -> Result<Vec<i8>> {
    let delta = (w.abs()?.mean_all()?.to_scalar::<f32>()?) * 0.7;
    Ok(w.flatten_all()?
        .to_vec1::<f32>()?
        .into_iter()
        .map(|v| {
            if v > delta {
                1
            } else if v < -delta {
                -1
            } else {
                0
            }
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopNetConfig {
    pub inputs: usize,
    pub width: usize,
    pub passes: usize,
    pub classes: usize,
    /// Initial per-pass gain α_t.
    pub alpha_init: f64,
    pub seed: u64,
    /// Fixed small-signal loop gain g with A at unit RMS gain (`None`: g and A's scale learned).
    pub loop_gain: Option<f64>,
    /// Exits with a halting head every k passes (`None`: one reading after T passes).
    pub exit_every: Option<usize>,
    /// Rank of the shared analog adapter U·Vᵀ beside A (0: none).
    pub adapter_rank: usize,
    /// Train only the digital readout (and halting head): the loop and its input encoding stay
    /// at their random start, a deep reservoir (architecture (a)).
    pub readout_only: bool,
}

impl LoopNetConfig {
    /// A network with α_t = min(0.1, 1/T) at the start, learned loop gain and one exit.
    pub fn new(inputs: usize, width: usize, passes: usize, classes: usize, seed: u64) -> Self {
        Self {
            inputs,
            width,
            passes,
            classes,
            alpha_init: 0.1f64.min(1.0 / passes.max(1) as f64),
            seed,
            loop_gain: None,
            exit_every: None,
            adapter_rank: 0,
            readout_only: false,
        }
    }

    /// The passes after which the state is read: k, 2k, … below T, then T (just T without
    /// exits).
    pub fn exits(&self) -> Vec<usize> {
        let t = self.passes.max(1);
        match self.exit_every.filter(|k| *k >= 1) {
            Some(k) => (1..)
                .map(|n| n * k)
                .take_while(|p| *p < t)
                .chain(std::iter::once(t))
                .collect(),
            None => vec![t],
        }
    }
}

/// A loop network's parameters.
pub struct LoopNet {
    pub config: LoopNetConfig,
    pub w_in: Var,
    pub a: Var,
    pub gain: Var,
    pub alpha: Var,
    pub w_out: Var,
    pub b_out: Var,
    /// The halting head (trained only with exits).
    pub w_halt: Var,
    pub b_halt: Var,
    /// The adapter's U and V (width × rank; trained only with a rank above 0).
    pub adapter_u: Var,
    pub adapter_v: Var,
    phi: Phi,
}

/// The noise the forward pass injects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForwardNoise {
    /// ASE per pass, added to φ's argument (standard deviation in value units, 0: off).
    /// Simplification: the noise is absolute, so a network that learns a larger state (through
    /// the ternary scales and the gain g, which the mesh's passivity does not bound here) gains
    /// SNR for free; at the seed rig the ASE is far below the readout's noise.
    pub pass_sd: f64,
    /// The readout's sensing (its noise relative to the state's range, and its ADC).
    pub sensing: Sensing,
}

impl ForwardNoise {
    pub fn off() -> Self {
        Self {
            pass_sd: 0.0,
            sensing: Sensing::ideal(),
        }
    }

    /// The σ of a reading's noise relative to each value's range over the batch: the sensing's
    /// analog noise and, with an ADC, the variance of its steps (Δ²/12, Δ = range/2^ENOB).
    pub fn readout_sd(&self) -> f64 {
        let s = &self.sensing;
        let quant = s.adc_bits.map_or(0.0, |_| 4f64.powf(-s.adc_enob) / 12.0);
        (s.relative_sd.powi(2) + quant).sqrt()
    }
}

fn gaussian(rows: usize, cols: usize, sd: f64, rng: &mut Rng) -> Vec<f32> {
    (0..rows * cols)
        .map(|_| (sd * normal(rng)) as f32)
        .collect()
}

impl LoopNet {
    pub fn new(config: LoopNetConfig, phi: Phi) -> Result<Self> {
        let dev = Device::Cpu;
        let c = config;
        let mut rng = stream(c.seed, "loopnet.init", 0, 0);
        let mut mat = |r: usize, k: usize| {
            Var::from_vec(
                gaussian(r, k, 1.0 / (k as f64).sqrt(), &mut rng),
                (r, k),
                &dev,
            )
        };
        let w_in = mat(c.width, c.inputs)?;
        let a = mat(c.width, c.width)?;
        let w_out = mat(c.classes, c.width)?;
        Ok(Self {
            w_in,
            a,
            w_out,
            gain: Var::from_vec(vec![1.0f32], 1, &dev)?,
            alpha: Var::from_vec(
                vec![c.alpha_init as f32; c.passes.max(1)],
                c.passes.max(1),
                &dev,
            )?,
            b_out: Var::zeros(c.classes, DType::F32, &dev)?,
            w_halt: Var::zeros((c.width, 1), DType::F32, &dev)?,
            // σ(−2) ≈ 0.12: most examples go on at the first exits until the head learns.
            b_halt: Var::from_vec(vec![-2.0f32], 1, &dev)?,
            adapter_u: Var::zeros((c.width, c.adapter_rank), DType::F32, &dev)?,
            adapter_v: Var::from_vec(
                gaussian(
                    c.width,
                    c.adapter_rank,
                    1.0 / (c.width as f64).sqrt(),
                    &mut rng,
                ),
                (c.width, c.adapter_rank),
                &dev,
            )?,
            phi,
            config,
        })
    }

    /// The trained parameters (not g when the loop gain is fixed; the halting head only with
    /// exits; only the readout and halting head for a reservoir).
    pub fn vars(&self) -> Vec<Var> {
        let mut v = vec![self.w_out.clone(), self.b_out.clone()];
        if !self.config.readout_only {
            v.extend([self.w_in.clone(), self.a.clone(), self.alpha.clone()]);
            if self.config.loop_gain.is_none() {
                v.push(self.gain.clone());
            }
        }
        if self.config.exit_every.is_some() {
            v.push(self.w_halt.clone());
            v.push(self.b_halt.clone());
        }
        if self.config.adapter_rank > 0 && !self.config.readout_only {
            v.push(self.adapter_u.clone());
            v.push(self.adapter_v.clone());
        }
        v
    }

    /// (g·A + U·Vᵀ)ᵀ, the loop's product (transposed for row-major states).
    fn loop_matrix(&self) -> Result<Tensor> {
        let m = match self.config.loop_gain {
            Some(g) => ternary_at_gain(self.a.as_tensor(), g)?.t()?,
            None => ternary(self.a.as_tensor())?
                .t()?
                .broadcast_mul(self.gain.as_tensor())?,
        };
        if self.config.adapter_rank == 0 {
            return Ok(m);
        }
        m + self
            .adapter_v
            .as_tensor()
            .matmul(&self.adapter_u.as_tensor().t()?)
    }

    /// The classifier's logits for a reading of the state.
    pub fn classify(&self, read: &Tensor) -> Result<Tensor> {
        read.matmul(&self.w_out.as_tensor().t()?)?
            .broadcast_add(self.b_out.as_tensor())
    }

    /// The halting probability λ = σ(w_h·r + b_h) for a reading r of the state (batch).
    pub fn halt(&self, read: &Tensor) -> Result<Tensor> {
        candle_nn::ops::sigmoid(
            &read
                .matmul(self.w_halt.as_tensor())?
                .broadcast_add(self.b_halt.as_tensor())?,
        )?
        .squeeze(1)
    }

    /// Logits for a batch `x` (batch × inputs, values in [0, 1]) after `passes` passes (at most
    /// the configured number), noise from stream (seed, "loopnet.noise", `call`).
    pub fn forward(
        &self,
        x: &Tensor,
        passes: usize,
        noise: &ForwardNoise,
        call: u64,
    ) -> Result<Tensor> {
        let t = passes.min(self.config.passes);
        let read = self.readings(x, &[t], noise, call)?;
        self.classify(&read[0])
    }

    /// The readings of the state after each of `at` passes (ascending, at most the configured
    /// T), noise from stream (seed, "loopnet.noise", `call`): the ASE of every pass, and the
    /// readout noise of each reading.
    pub fn readings(
        &self,
        x: &Tensor,
        at: &[usize],
        noise: &ForwardNoise,
        call: u64,
    ) -> Result<Vec<Tensor>> {
        let mut rng = stream(self.config.seed, "loopnet.noise", call, 0);
        let mut h = x.matmul(&ternary(self.w_in.as_tensor())?.t()?)?;
        // g·Aᵀ once per forward pass rather than scaling every pass's product.
        let at_m = self.loop_matrix()?;
        let at: Vec<usize> = at.iter().map(|p| (*p).min(self.config.passes)).collect();
        debug_assert!(at.is_sorted(), "readings in the order of the passes");
        let last = at.last().copied().unwrap_or(0);
        let mut out = Vec::with_capacity(at.len());
        let mut next = at.iter().peekable();
        while next.next_if(|p| **p == 0).is_some() {
            out.push(self.read(&h, noise, &mut rng)?);
        }
        for t in 0..last {
            h = self.pass(&h, t, &at_m, noise.pass_sd, &mut rng)?;
            while next.next_if(|p| **p == t + 1).is_some() {
                out.push(self.read(&h, noise, &mut rng)?);
            }
        }
        Ok(out)
    }

    /// φ's argument in a pass: h·m plus the pass's ASE (standard deviation `pass_sd`, 0: none)
    /// drawn from `rng`.
    fn drive(h: &Tensor, m: &Tensor, pass_sd: f64, rng: &mut Rng) -> Result<Tensor> {
        let z = h.matmul(m)?;
        if pass_sd == 0.0 {
            return Ok(z);
        }
        let (b, w) = z.dims2()?;
        z + Tensor::from_vec(gaussian(b, w, pass_sd, rng), (b, w), h.device())?
    }

    /// Pass t of the loop on the state `h`: h + α_t·φ(h·m + n), m = [`Self::loop_matrix`], n the
    /// pass's ASE (standard deviation `pass_sd`, 0: none) drawn from `rng`.
    fn pass(
        &self,
        h: &Tensor,
        t: usize,
        m: &Tensor,
        pass_sd: f64,
        rng: &mut Rng,
    ) -> Result<Tensor> {
        let z = Self::drive(h, m, pass_sd, rng)?;
        let a_t = self.alpha.as_tensor().narrow(0, t, 1)?;
        h + self.phi.apply(&z)?.broadcast_mul(&a_t)?
    }

    /// The loop state after each pass (no noise, no readout), for diagnostics: `passes + 1`
    /// matrices (batch × width), the first the state entering the loop.
    pub fn states(&self, x: &Tensor, passes: usize) -> Result<Vec<Tensor>> {
        let mut h = x.matmul(&ternary(self.w_in.as_tensor())?.t()?)?;
        let at = self.loop_matrix()?;
        let mut out = vec![h.clone()];
        // No draws are made without noise: any stream will do.
        let mut rng = stream(self.config.seed, "loopnet.noise", 0, 0);
        for t in 0..passes.min(self.config.passes) {
            h = self.pass(&h, t, &at, 0.0, &mut rng)?;
            out.push(h.clone());
        }
        Ok(out)
    }

    /// The photodiodes' reading of the state: Gaussian noise of the sensing's relative σ and of
    /// the ADC's step (Δ²/12, Δ = range/2^ENOB) over the batch's range of each value, added in
    /// the forward pass (its gradient passes straight through).
    fn read(&self, h: &Tensor, noise: &ForwardNoise, rng: &mut Rng) -> Result<Tensor> {
        let rel = noise.readout_sd();
        if rel == 0.0 {
            return Ok(h.clone());
        }
        let range = (h.max_keepdim(0)? - h.min_keepdim(0)?)?.detach();
        let (b, w) = h.dims2()?;
        let z = Tensor::from_vec(gaussian(b, w, rel, rng), (b, w), h.device())?;
        h + z.broadcast_mul(&range)?
    }

    /// Fraction of `x`'s rows whose largest logit is their label.
    pub fn accuracy(
        &self,
        x: &Tensor,
        labels: &Tensor,
        passes: usize,
        noise: &ForwardNoise,
        call: u64,
    ) -> Result<f64> {
        Ok(self.scores(x, labels, passes, noise, call)?.accuracy)
    }

    /// Accuracy and cross-entropy of one forward pass of `x` (noise from `call`).
    pub fn scores(
        &self,
        x: &Tensor,
        labels: &Tensor,
        passes: usize,
        noise: &ForwardNoise,
        call: u64,
    ) -> Result<Scores> {
        Scores::of(&self.forward(x, passes, noise, call)?, labels)
    }
}

/// Scores of a network on labelled examples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Fraction of examples whose largest logit is their label.
    pub accuracy: f64,
    /// Mean cross-entropy of the labels, bits per example (for the character task: bits per
    /// character).
    pub bits_per_example: f64,
}

impl Scores {
    /// The scores of `logits` (examples × classes) against `labels`.
    pub fn of(logits: &Tensor, labels: &Tensor) -> Result<Self> {
        let right = logits
            .argmax(D::Minus1)?
            .eq(labels)?
            .to_dtype(DType::F32)?
            .sum_all()?
            .to_scalar::<f32>()?;
        let nats = candle_nn::loss::cross_entropy(logits, labels)?.to_scalar::<f32>()? as f64;
        Ok(Self {
            accuracy: right as f64 / logits.dim(0)? as f64,
            bits_per_example: nats / std::f64::consts::LN_2,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At a fixed loop gain g the ternary mesh has RMS gain g on states of random signs, and g
    /// is not among the trained parameters.
    #[test]
    fn a_fixed_loop_gain_sets_the_meshs_rms_gain() {
        let mut rng = stream(7, "test", 0, 0);
        let n = 256;
        let w = Tensor::from_vec(gaussian(n, n, 1.0, &mut rng), (n, n), &Device::Cpu).unwrap();
        let x: Vec<f32> = (0..n * 64)
            .map(|_| if normal(&mut rng) > 0.0 { 1.0 } else { -1.0 })
            .collect();
        let x = Tensor::from_vec(x, (64, n), &Device::Cpu).unwrap();
        let rms = |t: &Tensor| {
            t.sqr()
                .unwrap()
                .mean_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
                .sqrt()
        };
        for g in [0.5, 3.0] {
            let y = x
                .matmul(&ternary_at_gain(&w, g).unwrap().t().unwrap())
                .unwrap();
            let ratio = (rms(&y) / rms(&x)) as f64;
            assert!((ratio / g - 1.0).abs() < 0.03, "g {g}: RMS gain {ratio}");
        }
        let phi = phi::tests::seed_phi();
        let mut c = LoopNetConfig::new(4, 8, 2, 3, 1);
        let learned = LoopNet::new(c, phi.clone()).unwrap().vars().len();
        c.loop_gain = Some(2.0);
        assert_eq!(LoopNet::new(c, phi).unwrap().vars().len(), learned - 1);
    }

    /// The adapter starts at U = 0: a network with one computes what the same network without
    /// it computes, until training moves U.
    #[test]
    fn the_adapter_starts_as_the_ternary_loop() {
        let phi = phi::tests::seed_phi();
        let plain = LoopNetConfig::new(6, 8, 3, 4, 9);
        let adapted = LoopNetConfig {
            adapter_rank: 2,
            ..plain
        };
        let x = Tensor::from_vec(
            (0..12).map(|i| i as f32 / 12.0).collect(),
            (2, 6),
            &Device::Cpu,
        )
        .unwrap();
        let run = |c| {
            let net = LoopNet::new(c, phi.clone()).unwrap();
            let n = net.vars().len();
            let y: Vec<Vec<f32>> = net
                .forward(&x, 3, &ForwardNoise::off(), 0)
                .unwrap()
                .to_vec2()
                .unwrap();
            (y, n, net)
        };
        let (y0, n0, _) = run(plain);
        let (y1, n1, net) = run(adapted);
        assert_eq!(y0, y1);
        assert_eq!(n1, n0 + 2);
        // A non-zero U changes the product.
        net.adapter_u
            .set(&Tensor::ones((8, 2), DType::F32, &Device::Cpu).unwrap())
            .unwrap();
        let y2: Vec<Vec<f32>> = net
            .forward(&x, 3, &ForwardNoise::off(), 0)
            .unwrap()
            .to_vec2()
            .unwrap();
        assert_ne!(y0, y2);
    }

    #[test]
    fn a_network_with_a_silent_readout_costs_log2_classes_bits() {
        // Zero readout weights and bias: every logit is 0, so each label costs log2(10) bits.
        let phi = phi::tests::seed_phi();
        let config = LoopNetConfig::new(4, 8, 2, 10, 1);
        let net = LoopNet::new(config, phi).unwrap();
        net.w_out
            .set(&Tensor::zeros((10, 8), DType::F32, &Device::Cpu).unwrap())
            .unwrap();
        let x = Tensor::from_vec(vec![0.5f32; 12], (3, 4), &Device::Cpu).unwrap();
        let y = Tensor::from_vec(vec![0u32, 4, 9], 3, &Device::Cpu).unwrap();
        let bits = net
            .scores(&x, &y, 2, &ForwardNoise::off(), 0)
            .unwrap()
            .bits_per_example;
        assert!((bits - 10f64.log2()).abs() < 1e-5, "{bits}");
    }
}

//! Direct Feedback Alignment (Nøkland, "Direct Feedback Alignment Provides Learning in Deep
//! Neural Networks", NeurIPS 2016, arXiv:1609.01596) for the loop network: an optics-friendly
//! training rule, because the error reaches every pass through one fixed random matrix instead
//! of running backwards through the loop (which an optical loop cannot do).
//!
//! With e = (softmax(z) − onehot(y))/batch the output error and B a fixed random matrix
//! (width × classes, entries N(0, 1/classes)), every pass t gets the same projected error
//! δ = e·Bᵀ in place of ∂L/∂h_t, and the local updates are
//!
//!   ∂z_t = δ ⊙ α_t·φ'(z_t),   ΔA ∝ Σ_t ∂z_tᵀ·h_{t−1} (through g and the ternary STE),
//!   Δα_t ∝ Σ δ ⊙ φ(z_t),     ΔW_in ∝ δᵀ·x,
//!
//! while the digital readout layer gets its true gradient. They are applied by one surrogate
//! loss whose autograd gradient is exactly these updates (the error terms detached), so the
//! same optimiser (AdamW) runs both rules.
//!
//! Simplified: δ is the same for every pass (DFA's rule for a tied loop: no per-pass feedback
//! matrices), and the readout's noise and the ASE are in the forward pass as in training by
//! backpropagation.

use super::train::{Batch, Dataset, TrainSettings, fit};
use super::{ForwardNoise, LoopNet, LoopNetConfig, phi::Phi, ternary};
use crate::NnError;
use candle_core::{Device, Result, Tensor};
use lightloop_base::rng::stream;

/// The fixed random feedback matrix B of a network (width × classes), stream
/// (seed, "loopnet.dfa").
pub fn feedback(config: &LoopNetConfig) -> Result<Tensor> {
    let mut rng = stream(config.seed, "loopnet.dfa", 0, 0);
    let v = super::gaussian(
        config.width,
        config.classes,
        1.0 / (config.classes as f64).sqrt(),
        &mut rng,
    );
    Tensor::from_vec(v, (config.width, config.classes), &Device::Cpu)
}

/// The surrogate loss of one batch whose gradient is the DFA update (its value: the
/// cross-entropy plus terms that carry the updates, not a quantity to report).
pub fn dfa_loss(net: &LoopNet, b: &Batch, noise: &ForwardNoise, fb: &Tensor) -> Result<Tensor> {
    let c = net.config;
    let mut rng = stream(c.seed, "loopnet.noise", b.call, 0);
    let batch = b.x.dim(0)?;
    let encoded = b.x.matmul(&ternary(net.w_in.as_tensor())?.t()?)?;
    let m = net.loop_matrix()?;
    let m_fixed = m.detach();
    // The forward pass without gradients, keeping each pass's input and pre-activation.
    let mut h = encoded.detach();
    let (mut inputs, mut pre, mut acts) = (Vec::new(), Vec::new(), Vec::new());
    let passes = b.passes.min(c.passes);
    for _ in 0..passes {
        let z = LoopNet::drive(&h, &m_fixed, noise.pass_sd, &mut rng)?;
        let s = net.phi.apply(&z)?;
        inputs.push(h.clone());
        pre.push(z);
        let t = acts.len();
        let a_t = net.alpha.as_tensor().narrow(0, t, 1)?.detach();
        h = (&h + s.broadcast_mul(&a_t)?)?;
        acts.push(s);
    }
    let read = net.read(&h, noise, &mut rng)?.detach();
    let logits = net.classify(&read)?;
    let ce = candle_nn::loss::cross_entropy(&logits, b.y)?;
    let onehot = candle_nn::encoding::one_hot(b.y.clone(), c.classes, 1f32, 0f32)?;
    let e = ((candle_nn::ops::softmax_last_dim(&logits.detach())? - onehot)? / batch as f64)?;
    let delta = e.matmul(&fb.t()?)?;
    let mut loss = ce;
    // W_in: δᵀ·x through the ternary STE.
    loss = (loss + (encoded * &delta)?.sum_all()?)?;
    if passes > 0 {
        let alpha = net.alpha.as_tensor().narrow(0, 0, passes)?;
        let dz: Vec<Tensor> = pre
            .iter()
            .enumerate()
            .map(|(t, z)| {
                let a_t = alpha.narrow(0, t, 1)?.detach();
                (&delta * net.phi.slope_of(z)?)?.broadcast_mul(&a_t)
            })
            .collect::<Result<_>>()?;
        // A and g: Σ_t ⟨h_{t−1}·M, ∂z_t⟩ with M = (g·A)ᵀ carrying the gradient.
        let hs = Tensor::cat(&inputs, 0)?;
        let dzs = Tensor::cat(&dz, 0)?;
        loss = (loss + (hs.matmul(&m)? * dzs)?.sum_all()?)?;
        // α_t: Σ δ ⊙ φ(z_t).
        let ga: Vec<Tensor> = acts
            .iter()
            .map(|s| (s * &delta)?.sum_all())
            .collect::<Result<_>>()?;
        let ga = Tensor::stack(&ga, 0)?.detach();
        loss = (loss + (alpha * ga)?.sum_all()?)?;
    }
    Ok(loss)
}

/// Trains `config` with DFA (`noise` in every forward pass); returns the network and its test
/// accuracy under the same noise.
pub fn train(
    config: LoopNetConfig,
    phi: Phi,
    noise: &ForwardNoise,
    settings: &TrainSettings,
    data: &Dataset,
) -> std::result::Result<(LoopNet, f64), NnError> {
    let fb = feedback(&config)?;
    fit(config, phi, noise, settings, data, |net, b| {
        dfa_loss(net, b, noise, &fb)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loopnet::phi::tests::seed_phi as phi;
    use candle_core::DType;

    /// The surrogate's gradient for the readout layer is the true one, and for A it is the DFA
    /// update: checked against Σ_t (δ ⊙ α_t·φ'(z_t))ᵀ·h_{t−1}·g computed by hand.
    #[test]
    fn the_surrogate_gradient_is_the_dfa_update() {
        let c = LoopNetConfig::new(5, 6, 3, 4, 2);
        let net = LoopNet::new(c, phi()).unwrap();
        let fb = feedback(&c).unwrap();
        let dev = Device::Cpu;
        let x = Tensor::from_vec(
            (0..10).map(|i| (i % 3) as f32 / 2.0).collect(),
            (2, 5),
            &dev,
        )
        .unwrap();
        let y = Tensor::from_vec(vec![1u32, 3], 2, &dev).unwrap();
        let idx = Tensor::from_vec(vec![0u32, 1], 2, &dev).unwrap();
        let b = Batch {
            x: &x,
            y: &y,
            idx: &idx,
            passes: 3,
            call: 0,
        };
        let off = ForwardNoise::off();
        let grads = dfa_loss(&net, &b, &off, &fb).unwrap().backward().unwrap();
        // By hand.
        let at = ternary(net.a.as_tensor()).unwrap();
        let g = net.gain.as_tensor().to_vec1::<f32>().unwrap()[0];
        let mut h = x
            .matmul(&ternary(net.w_in.as_tensor()).unwrap().t().unwrap())
            .unwrap();
        let alpha: Vec<f32> = net.alpha.as_tensor().to_vec1().unwrap();
        let logits_of = |h: &Tensor| net.classify(h).unwrap();
        let mut hist = Vec::new();
        for a_t in &alpha {
            let z = (h.matmul(&at.t().unwrap()).unwrap() * g as f64).unwrap();
            hist.push((h.clone(), z.clone()));
            h = (&h + (net.phi.apply(&z).unwrap() * *a_t as f64).unwrap()).unwrap();
        }
        let p = candle_nn::ops::softmax_last_dim(&logits_of(&h)).unwrap();
        let onehot = candle_nn::encoding::one_hot(y.clone(), 4, 1f32, 0f32).unwrap();
        let e = ((p - onehot).unwrap() / 2.0).unwrap();
        let delta = e.matmul(&fb.t().unwrap()).unwrap();
        let mut want = Tensor::zeros((6, 6), DType::F32, &dev).unwrap();
        for ((hp, z), a_t) in hist.iter().zip(&alpha) {
            let dz = ((&delta * net.phi.slope_of(z).unwrap()).unwrap() * *a_t as f64).unwrap();
            want = (want + (dz.t().unwrap().matmul(hp).unwrap() * g as f64).unwrap()).unwrap();
        }
        let max_abs = |t: &Tensor| {
            t.abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        };
        let got = grads.get(&net.a).unwrap();
        let diff = max_abs(&(got - &want).unwrap());
        let scale = max_abs(&want);
        assert!(
            scale > 0.0 && diff < 1e-4 * scale.max(1e-3),
            "{diff} vs {scale}"
        );
        // The readout: the true gradient eᵀ·h_T.
        let want_out = e.t().unwrap().matmul(&h).unwrap();
        let d = max_abs(&(grads.get(&net.w_out).unwrap() - want_out).unwrap());
        assert!(d < 1e-5, "{d}");
    }

    /// DFA trains a loop network on the digits well above chance, noiselessly, in a few
    /// epochs (the rule works; how it compares with backpropagation is an experiment).
    #[test]
    fn dfa_learns_digits() {
        let data = Dataset::digits(1).unwrap();
        let c = LoopNetConfig::new(64, 64, 4, 10, 1);
        let settings = TrainSettings {
            epochs: 10,
            ..TrainSettings::default()
        };
        let (_, acc) = train(c, phi(), &ForwardNoise::off(), &settings, &data).unwrap();
        eprintln!("DFA digits accuracy {acc}");
        assert!(acc > 0.8, "{acc}");
    }
}

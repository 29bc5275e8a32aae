//! Architecture (c) of the loop issue: the optical loop with sparse digital attention
//! checkpoints, for sequences.
//!
//! Every position of a sequence (here the K characters before the one to predict) is encoded
//! once — one-hot character and one-hot position through a ternary matrix — and circulates in
//! the loop of [`super::LoopNet`] (tied ternary A, per-pass α_t, the rig's φ and ASE), time-
//! multiplexed position by position. Every `cadence` passes the photodiodes read all positions
//! (the rig's readout noise) and the host runs one small causal attention layer (one head,
//! digital f32 weights):
//!
//!   h_p ← r_p + W_o·Σ_{j ≤ p} softmax_j(q_p·k_j/√d_h)·v_j,  q = W_q·r, k = W_k·r, v = W_v·r,
//!
//! r the readings; the result is re-encoded into the loop. Without checkpoints each position
//! only ever sees its own character. After T passes the last position is read and a digital
//! layer predicts the next character. When a checkpoint falls on the last pass, the host
//! already holds the state and does not read it again.
//!
//! Simplified: the re-encoding after a checkpoint is exact (no DAC rounding); the attention has
//! no normalisation layer (the loop's φ saturates the state); positions are one-hot inputs,
//! not rotary or learned embeddings.

use super::train::{Batch, Dataset, TrainSettings, Trainable, fit_net};
use super::{ForwardNoise, LoopNet, LoopNetConfig, phi::Phi};
use crate::NnError;
use candle_core::{DType, Device, Result, Tensor, Var};
use lightloop_base::rng::{normal, stream};

/// A loop network with attention checkpoints.
pub struct SeqLoopNet {
    /// The loop (its `w_in` takes character and position one-hots; its readout layer predicts
    /// the next character from the last position).
    pub inner: LoopNet,
    /// Positions per sequence K.
    pub positions: usize,
    /// Alphabet size.
    pub alphabet: usize,
    /// Passes between checkpoints (`None`: no attention).
    pub cadence: Option<usize>,
    /// Head width d_h.
    pub head: usize,
    pub wq: Var,
    pub wk: Var,
    pub wv: Var,
    pub wo: Var,
}

impl SeqLoopNet {
    /// A network for sequences of `positions` characters of an `alphabet`, loop of `width` and
    /// `passes`, checkpoints every `cadence` passes, head width `head`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        alphabet: usize,
        positions: usize,
        width: usize,
        passes: usize,
        cadence: Option<usize>,
        head: usize,
        seed: u64,
        phi: Phi,
    ) -> Result<Self> {
        let config = LoopNetConfig::new(alphabet + positions, width, passes, alphabet, seed);
        let inner = LoopNet::new(config, phi)?;
        let mut rng = stream(seed, "seqloop.init", 0, 0);
        let mut mat = |r: usize, c: usize, scale: f64| {
            let sd = scale / (c as f64).sqrt();
            Var::from_vec(
                (0..r * c).map(|_| (sd * normal(&mut rng)) as f32).collect(),
                (r, c),
                &Device::Cpu,
            )
        };
        Ok(Self {
            wq: mat(head, width, 1.0)?,
            wk: mat(head, width, 1.0)?,
            wv: mat(head, width, 1.0)?,
            // Small output projection: checkpoints start near the identity.
            wo: mat(width, head, 0.1)?,
            inner,
            positions,
            alphabet,
            cadence: cadence.filter(|k| *k >= 1),
            head,
        })
    }

    /// The passes after which the host attends (k, 2k, … ≤ T).
    pub fn checkpoints(&self) -> Vec<usize> {
        let t = self.inner.config.passes;
        match self.cadence {
            Some(k) => (1..).map(|n| n * k).take_while(|p| *p <= t).collect(),
            None => Vec::new(),
        }
    }

    /// The loop's input rows for a batch of position-major one-hot contexts (batch × K·V):
    /// (batch·K) × (V + K), each character's one-hot followed by its position's.
    fn inputs(&self, x: &Tensor) -> Result<Tensor> {
        let (b, k, v) = (x.dim(0)?, self.positions, self.alphabet);
        let chars = x.reshape((b * k, v))?;
        let eye = Tensor::eye(k, DType::F32, x.device())?;
        let pos = eye.unsqueeze(0)?.expand((b, k, k))?.reshape((b * k, k))?;
        Tensor::cat(&[&chars, &pos], 1)
    }

    /// One causal attention layer over the positions of each sequence: `r` is (batch·K) × d.
    fn attend(&self, r: &Tensor) -> Result<Tensor> {
        let (k, d) = (self.positions, self.inner.config.width);
        let b = r.dim(0)? / k;
        let r3 = r.reshape((b, k, d))?;
        let proj = |w: &Var| r3.broadcast_matmul(&w.as_tensor().t()?);
        let (q, kk, v) = (proj(&self.wq)?, proj(&self.wk)?, proj(&self.wv)?);
        let scores = (q.matmul(&kk.transpose(1, 2)?)? / (self.head as f64).sqrt())?;
        // −∞ above the diagonal: position p attends to j ≤ p.
        let mask: Vec<f32> = (0..k * k)
            .map(|i| {
                if i % k > i / k {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, (k, k), r.device())?;
        let w = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&mask)?)?;
        let o = w.matmul(&v)?.broadcast_matmul(&self.wo.as_tensor().t()?)?;
        r + o.reshape((b * k, d))?
    }

    /// Logits of the next character for a batch of contexts, noise from stream
    /// (seed, "loopnet.noise", `call`).
    pub fn forward(&self, x: &Tensor, noise: &ForwardNoise, call: u64) -> Result<Tensor> {
        let net = &self.inner;
        let c = net.config;
        let mut rng = stream(c.seed, "loopnet.noise", call, 0);
        let rows = self.inputs(x)?;
        let mut h = rows.matmul(&super::ternary(net.w_in.as_tensor())?.t()?)?;
        let at = net.loop_matrix()?;
        let checkpoints = self.checkpoints();
        let mut digital = false;
        for t in 0..c.passes {
            h = net.pass(&h, t, &at, noise.pass_sd, &mut rng)?;
            digital = checkpoints.contains(&(t + 1));
            if digital {
                h = self.attend(&net.read(&h, noise, &mut rng)?)?;
            }
        }
        let (b, k) = (x.dim(0)?, self.positions);
        let last = h
            .reshape((b, k, c.width))?
            .narrow(1, k - 1, 1)?
            .squeeze(1)?;
        let last = if digital {
            last
        } else {
            net.read(&last, noise, &mut rng)?
        };
        net.classify(&last)
    }

    /// Accuracy and bits per character of `x` (noise stream `call`).
    pub fn scores(
        &self,
        x: &Tensor,
        y: &Tensor,
        noise: &ForwardNoise,
        call: u64,
    ) -> Result<super::Scores> {
        let logits = self.forward(x, noise, call)?;
        super::Scores::of(&logits, y)
    }
}

impl Trainable for SeqLoopNet {
    fn vars(&self) -> Vec<Var> {
        let mut v = self.inner.vars();
        if self.cadence.is_some() {
            v.extend([
                self.wq.clone(),
                self.wk.clone(),
                self.wv.clone(),
                self.wo.clone(),
            ]);
        }
        v
    }
    fn test_accuracy(&self, data: &Dataset, noise: &ForwardNoise, call: u64) -> Result<f64> {
        Ok(self
            .scores(&data.test_x, &data.test_y, noise, call)?
            .accuracy)
    }
    fn passes(&self) -> usize {
        self.inner.config.passes
    }
}

/// Trains `net` on next-character examples (`data` from [`Dataset::chars`] with the net's
/// positions and alphabet) with `noise` in every forward pass; returns it and its test accuracy.
pub fn train(
    net: SeqLoopNet,
    noise: &ForwardNoise,
    settings: &TrainSettings,
    data: &Dataset,
) -> std::result::Result<(SeqLoopNet, f64), NnError> {
    if data.inputs != net.positions * net.alphabet || data.classes != net.alphabet {
        return Err(NnError::Setting(format!(
            "the data has {} inputs and {} classes; the network takes {} positions of {} characters",
            data.inputs, data.classes, net.positions, net.alphabet
        )));
    }
    let seed = net.inner.config.seed;
    fit_net(net, seed, noise, settings, data, |n, b: &Batch| {
        let logits = n.forward(b.x, noise, b.call)?;
        candle_nn::loss::cross_entropy(&logits, b.y)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loopnet::phi::tests::seed_phi as phi;

    /// Causality: the last position's prediction does not change when a later position is
    /// changed — checked on the position before the last by reading the attention's output
    /// directly.
    #[test]
    fn attention_is_causal() {
        let net = SeqLoopNet::new(5, 4, 8, 4, Some(2), 4, 1, phi()).unwrap();
        let dev = Device::Cpu;
        let r = Tensor::from_vec(
            (0..2 * 4 * 8)
                .map(|i| ((i * 7) % 11) as f32 / 11.0)
                .collect(),
            (8, 8),
            &dev,
        )
        .unwrap();
        let mut changed: Vec<f32> = r.flatten_all().unwrap().to_vec1().unwrap();
        // Sequence 0, position 3 (the last): change it.
        for v in &mut changed[3 * 8..4 * 8] {
            *v += 1.0;
        }
        let changed = Tensor::from_vec(changed, (8, 8), &dev).unwrap();
        let a: Vec<Vec<f32>> = net.attend(&r).unwrap().to_vec2().unwrap();
        let b: Vec<Vec<f32>> = net.attend(&changed).unwrap().to_vec2().unwrap();
        for p in 0..3 {
            assert_eq!(a[p], b[p], "position {p} saw a later one");
        }
        assert_ne!(a[3], b[3]);
        // The other sequence is untouched.
        assert_eq!(a[4..], b[4..]);
    }

    #[test]
    fn checkpoints_fall_every_cadence_passes() {
        let mk = |k| SeqLoopNet::new(5, 4, 8, 8, k, 4, 1, phi()).unwrap();
        assert_eq!(mk(Some(3)).checkpoints(), vec![3, 6]);
        assert_eq!(mk(Some(8)).checkpoints(), vec![8]);
        assert!(mk(None).checkpoints().is_empty());
    }

    /// A task only attention can solve: the label is the first character of the context. The
    /// loop alone (no checkpoints) cannot see it from the last position; with checkpoints it
    /// learns it.
    #[test]
    fn attention_carries_the_context_to_the_last_position() {
        let (v, k, n) = (6usize, 3usize, 600usize);
        let mut rng = stream(5, "test", 0, 0);
        let mut draw = || ((normal(&mut rng).abs() * 1e6) as usize) % v;
        let make = |count: usize, draw: &mut dyn FnMut() -> usize| {
            let mut x = vec![0f32; count * k * v];
            let mut y = Vec::new();
            for e in 0..count {
                let cs: Vec<usize> = (0..k).map(|_| draw()).collect();
                for (j, c) in cs.iter().enumerate() {
                    x[(e * k + j) * v + c] = 1.0;
                }
                y.push(cs[0] as u32);
            }
            (
                Tensor::from_vec(x, (count, k * v), &Device::Cpu).unwrap(),
                Tensor::from_vec(y, count, &Device::Cpu).unwrap(),
            )
        };
        let (train_x, train_y) = make(n, &mut draw);
        let (test_x, test_y) = make(300, &mut draw);
        let data = Dataset {
            train_x,
            train_y,
            test_x,
            test_y,
            inputs: k * v,
            classes: v,
        };
        let settings = TrainSettings {
            epochs: 40,
            batch: 32,
            learning_rate: 1e-2,
            curriculum_start: None,
        };
        let off = ForwardNoise::off();
        let acc = |cadence| {
            let net = SeqLoopNet::new(v, k, 16, 4, cadence, 8, 3, phi()).unwrap();
            train(net, &off, &settings, &data).unwrap().1
        };
        let (with, without) = (acc(Some(2)), acc(None));
        eprintln!("first-character task: attention {with}, none {without}");
        assert!(without < 0.35, "without attention: {without}");
        assert!(with > 0.8, "with attention: {with}");
    }
}

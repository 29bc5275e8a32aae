//! Dynamic halting for loop networks with exits every k passes (PonderNet: Banino, Balaguer &
//! Blundell, arXiv:2107.05407, 2021; its ancestor ACT: Graves, arXiv:1603.08983, 2016).
//!
//! At exit n (after t_n passes) the halting head gives λ_n, the probability of stopping there
//! given that the example reached it. The probability of stopping at exit n is
//!
//!   p_n = λ_n·∏_{j<n} (1 − λ_j),   and the last exit takes the rest, p_N = ∏_{j<N} (1 − λ_j),
//!
//! and training minimises the expected loss of stopping, with a price on what the passes cost:
//!
//!   L = Σ_n p_n·(CE_n + C_n)  [+ w·mean_{n<N} KL(softmax z_N ‖ softmax z_n)],
//!
//! CE_n the cross-entropy of exit n's logits and C_n the price of stopping there, in nats: the
//! experiment sets C_n = μ_E·E_n + μ_t·τ_n with E_n and τ_n the cost model's energy and latency
//! per input when every input stops at exit n (passes, readings and conversions counted), so
//! that what one pass costs in joules and seconds is what it costs in the loss. The optional
//! second term is early-exit distillation: each earlier exit learns the last
//! exit's distribution (its gradient stops at the last exit). PonderNet's regulariser is
//! optional ([`Prior`]): β·KL(p ‖ q) with q the geometric distribution of parameter λ_p over the
//! exits, truncated as p is (the last exit takes the rest), which keeps some halting mass on
//! every exit so that the late exits keep learning. Training takes the expectation over the
//! exits rather than sampling them.
//!
//! At inference an example stops at its first exit with λ_n ≥ q (the last exit otherwise): q is
//! the budget knob, from q = 0 (everything stops at the first exit) to q > 1 (nothing stops
//! early).

use super::train::Batch;
use super::{ForwardNoise, LoopNet};
use crate::NnError;
use candle_core::{D, DType, Result, Tensor};
use candle_nn::ops::{log_softmax, softmax_last_dim};

/// The ponder cost and early-exit distillation of training with exits.
#[derive(Debug, Clone, PartialEq)]
pub struct Ponder {
    /// Price C_n of stopping at each exit, nats (one per exit).
    pub exit_cost: Vec<f64>,
    /// Weight w of early-exit distillation (0: off).
    pub distill: f64,
    /// PonderNet's geometric prior on the halting distribution (`None`: off).
    pub prior: Option<Prior>,
}

/// β·KL(p ‖ Geometric(λ_p)) in the loss (PonderNet uses β = 0.01).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// λ_p, the prior's probability of halting at each exit (0 < λ_p < 1).
    pub lambda: f64,
    /// β.
    pub weight: f64,
}

impl Prior {
    /// The truncated geometric distribution over `n` exits: λ(1 − λ)^k for k < n − 1, and the
    /// rest, (1 − λ)^(n−1), at the last exit.
    pub fn distribution(&self, n: usize) -> Vec<f64> {
        let l = self.lambda;
        (0..n)
            .map(|k| {
                if k + 1 < n {
                    l * (1.0 - l).powi(k as i32)
                } else {
                    (1.0 - l).powi(k as i32)
                }
            })
            .collect()
    }
}

/// −log p(label) of each row of `logits` (batch).
fn nll(logits: &Tensor, y: &Tensor) -> Result<Tensor> {
    log_softmax(logits, D::Minus1)?
        .gather(&y.unsqueeze(1)?, 1)?
        .squeeze(1)?
        .neg()
}

/// The PonderNet loss of one batch (every exit of the network; a depth curriculum does not
/// apply to networks with exits).
pub fn ponder_loss(
    net: &LoopNet,
    b: &Batch,
    noise: &ForwardNoise,
    ponder: &Ponder,
) -> Result<Tensor> {
    let exits = net.config.exits();
    assert_eq!(exits.len(), ponder.exit_cost.len(), "one price per exit");
    let reads = net.readings(b.x, &exits, noise, b.call)?;
    let n = reads.len();
    let batch = b.x.dim(0)?;
    let last = net.classify(&reads[n - 1])?;
    let target = softmax_last_dim(&last.detach())?;
    let log_target = log_softmax(&last.detach(), D::Minus1)?;
    let mut survive = Tensor::ones(batch, DType::F32, b.x.device())?;
    let mut expected = Tensor::zeros(batch, DType::F32, b.x.device())?;
    let mut kl = Tensor::zeros((), DType::F32, b.x.device())?;
    let mut halting = Vec::with_capacity(n);
    for (i, r) in reads.iter().enumerate() {
        let logits = if i + 1 == n {
            last.clone()
        } else {
            net.classify(r)?
        };
        let p = if i + 1 == n {
            survive.clone()
        } else {
            let lambda = net.halt(r)?;
            let p = (&survive * &lambda)?;
            survive = (&survive * (1.0 - lambda)?)?;
            p
        };
        let cost = (nll(&logits, b.y)? + ponder.exit_cost[i])?;
        expected = (expected + (&p * cost)?)?;
        halting.push(p);
        if ponder.distill > 0.0 && i + 1 < n {
            let d = (&target * (&log_target - log_softmax(&logits, D::Minus1)?)?)?
                .sum(1)?
                .mean_all()?;
            kl = (kl + d)?;
        }
    }
    let mut loss = expected.mean_all()?;
    if ponder.distill > 0.0 && n > 1 {
        loss = (loss + (kl * (ponder.distill / (n - 1) as f64))?)?;
    }
    if let Some(prior) = ponder.prior {
        let q = prior.distribution(n);
        let mut kl_prior = Tensor::zeros(batch, DType::F32, b.x.device())?;
        for (p, q) in halting.iter().zip(q) {
            let log_ratio = (p.clamp(1e-12f32, 1f32)?.log()? - q.max(1e-300).ln())?;
            kl_prior = (kl_prior + (p * log_ratio)?)?;
        }
        loss = (loss + (kl_prior.mean_all()? * prior.weight)?)?;
    }
    Ok(loss)
}

/// Trains a network with exits (`config.exit_every`) on the PonderNet loss, `noise` in every
/// forward pass; returns it and its test accuracy at the last exit.
pub fn train(
    config: super::LoopNetConfig,
    phi: super::phi::Phi,
    noise: &ForwardNoise,
    settings: &super::train::TrainSettings,
    data: &super::train::Dataset,
    ponder: &Ponder,
) -> std::result::Result<(LoopNet, f64), NnError> {
    if config.exits().len() != ponder.exit_cost.len() {
        return Err(NnError::Setting(format!(
            "{} exits but {} exit prices",
            config.exits().len(),
            ponder.exit_cost.len()
        )));
    }
    super::train::fit(config, phi, noise, settings, data, |net, b| {
        ponder_loss(net, b, noise, ponder)
    })
}

/// A network's readings of labelled examples at every exit: what each exit would answer and
/// what its halting head says, from which any halting policy is scored without running the
/// loop again.
#[derive(Debug, Clone)]
pub struct ExitRun {
    /// Passes before each exit.
    pub passes: Vec<usize>,
    /// λ_n of each example at each exit (exit × example; the last exit's is 1).
    pub lambda: Vec<Vec<f32>>,
    /// Whether each exit's answer is right (exit × example).
    pub right: Vec<Vec<bool>>,
}

/// How a halting policy does on a set of examples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Halted {
    pub accuracy: f64,
    /// Mean passes run per example.
    pub mean_passes: f64,
    /// Fraction of examples stopping before the last exit.
    pub early: f64,
    /// Mean energy per example over the examples' exits.
    pub mean_energy: f64,
    /// Mean latency per example over the examples' exits.
    pub mean_latency: f64,
}

impl ExitRun {
    /// Reads `x` at every exit of `net` (noise stream `call`).
    pub fn new(
        net: &LoopNet,
        x: &Tensor,
        y: &Tensor,
        noise: &ForwardNoise,
        call: u64,
    ) -> Result<Self> {
        let passes = net.config.exits();
        let reads = net.readings(x, &passes, noise, call)?;
        let labels: Vec<u32> = y.to_vec1()?;
        let mut lambda = Vec::new();
        let mut right = Vec::new();
        for (i, r) in reads.iter().enumerate() {
            let answer: Vec<u32> = net.classify(r)?.argmax(D::Minus1)?.to_vec1()?;
            right.push(answer.iter().zip(&labels).map(|(a, l)| a == l).collect());
            lambda.push(if i + 1 == reads.len() {
                vec![1.0; labels.len()]
            } else {
                net.halt(r)?.to_vec1()?
            });
        }
        Ok(Self {
            passes,
            lambda,
            right,
        })
    }

    /// The exit of each example at threshold q: its first exit with λ_n ≥ q, else the last.
    pub fn exits_at(&self, q: f64) -> Vec<usize> {
        let last = self.passes.len() - 1;
        (0..self.right[0].len())
            .map(|e| {
                (0..last)
                    .find(|n| self.lambda[*n][e] as f64 >= q)
                    .unwrap_or(last)
            })
            .collect()
    }

    /// Scores a choice of exit per example (`energy`, `latency`: one per exit).
    pub fn score(&self, exits: &[usize], energy: &[f64], latency: &[f64]) -> Halted {
        let m = exits.len().max(1) as f64;
        let last = self.passes.len() - 1;
        let mean = |f: &dyn Fn(usize, usize) -> f64| {
            exits.iter().enumerate().map(|(e, n)| f(e, *n)).sum::<f64>() / m
        };
        Halted {
            accuracy: mean(&|e, n| self.right[n][e] as u8 as f64),
            mean_passes: mean(&|_, n| self.passes[n] as f64),
            early: mean(&|_, n| (n < last) as u8 as f64),
            mean_energy: mean(&|_, n| energy[n]),
            mean_latency: mean(&|_, n| latency[n]),
        }
    }

    /// Every example stopping at exit `n` (a fixed depth).
    pub fn fixed(&self, n: usize) -> Vec<usize> {
        vec![n; self.right[0].len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loopnet::LoopNetConfig;
    use crate::loopnet::phi::tests::seed_phi as phi;
    use crate::loopnet::train::{Dataset, TrainSettings};

    #[test]
    fn exits_fall_every_k_passes_and_at_t() {
        let mut c = LoopNetConfig::new(4, 8, 10, 2, 1);
        assert_eq!(c.exits(), vec![10]);
        c.exit_every = Some(4);
        assert_eq!(c.exits(), vec![4, 8, 10]);
        c.exit_every = Some(5);
        assert_eq!(c.exits(), vec![5, 10]);
    }

    /// The halting distribution sums to one: with zero price and every CE the same, the loss
    /// is that CE whatever the λ (here: zero classifier, so CE = ln(classes) at every exit).
    #[test]
    fn the_halting_distribution_sums_to_one() {
        let mut c = LoopNetConfig::new(4, 8, 6, 5, 3);
        c.exit_every = Some(2);
        let net = LoopNet::new(c, phi()).unwrap();
        let dev = candle_core::Device::Cpu;
        net.w_out
            .set(&Tensor::zeros((5, 8), DType::F32, &dev).unwrap())
            .unwrap();
        // A halting head that is far from uniform: λ depends on the example.
        net.w_halt
            .set(
                &Tensor::from_vec((0..8).map(|i| i as f32 * 0.3 - 1.0).collect(), (8, 1), &dev)
                    .unwrap(),
            )
            .unwrap();
        let x = Tensor::from_vec(
            (0..12).map(|i| (i % 5) as f32 / 4.0).collect(),
            (3, 4),
            &dev,
        )
        .unwrap();
        let y = Tensor::from_vec(vec![0u32, 2, 4], 3, &dev).unwrap();
        let idx = Tensor::from_vec(vec![0u32, 1, 2], 3, &dev).unwrap();
        let b = Batch {
            x: &x,
            y: &y,
            idx: &idx,
            passes: 6,
            call: 0,
        };
        let ponder = Ponder {
            exit_cost: vec![0.0; 3],
            distill: 0.0,
            prior: None,
        };
        let loss = ponder_loss(&net, &b, &ForwardNoise::off(), &ponder)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap() as f64;
        assert!((loss - 5f64.ln()).abs() < 1e-5, "{loss}");
        // A price adds the expected price: with 1, 2, 3 nats at the exits the loss grows by
        // between 1 and 3 nats.
        let priced = Ponder {
            exit_cost: vec![1.0, 2.0, 3.0],
            distill: 0.0,
            prior: None,
        };
        let more = ponder_loss(&net, &b, &ForwardNoise::off(), &priced)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap() as f64
            - loss;
        assert!(more > 1.0 && more < 3.0, "{more}");
    }

    /// With no price and a heavy prior weight (the prior outweighs the exits' differences in
    /// cross-entropy), the learned halting distribution becomes the prior: the mean exit matches the truncated
    /// geometric distribution's mean.
    #[test]
    fn a_heavy_prior_makes_halting_geometric() {
        let data = Dataset::digits(4).unwrap();
        let mut c = LoopNetConfig::new(64, 16, 8, 10, 4);
        c.exit_every = Some(1);
        let prior = Prior {
            lambda: 0.3,
            weight: 50.0,
        };
        let q = prior.distribution(8);
        assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let want: f64 = q.iter().enumerate().map(|(k, q)| (k + 1) as f64 * q).sum();
        let settings = TrainSettings {
            epochs: 6,
            ..TrainSettings::default()
        };
        let ponder = Ponder {
            exit_cost: vec![0.0; 8],
            distill: 0.0,
            prior: Some(prior),
        };
        let off = ForwardNoise::off();
        let (net, _) = train(c, phi(), &off, &settings, &data, &ponder).unwrap();
        // The network's own halting distribution, averaged over the test images.
        let reads = net.readings(&data.test_x, &c.exits(), &off, 0).unwrap();
        let mut survive = vec![1.0f64; data.test_x.dim(0).unwrap()];
        let mut mean = 0.0;
        for (k, r) in reads.iter().enumerate() {
            let lambda: Vec<f32> = if k + 1 < reads.len() {
                net.halt(r).unwrap().to_vec1().unwrap()
            } else {
                vec![1.0; survive.len()]
            };
            for (s, l) in survive.iter_mut().zip(&lambda) {
                mean += (k + 1) as f64 * *s * *l as f64;
                *s *= 1.0 - *l as f64;
            }
        }
        mean /= data.test_x.dim(0).unwrap() as f64;
        assert!(
            (mean - want).abs() < 0.15 * want,
            "mean exit {mean}, prior's {want}"
        );
    }

    /// The policy bookkeeping: thresholds choose the first exit whose λ reaches them.
    #[test]
    fn thresholds_choose_the_first_confident_exit() {
        let run = ExitRun {
            passes: vec![2, 4, 6],
            lambda: vec![vec![0.9, 0.1, 0.5], vec![0.2, 0.8, 0.4], vec![1.0; 3]],
            right: vec![
                vec![true, false, false],
                vec![true, true, false],
                vec![true, true, true],
            ],
        };
        assert_eq!(run.exits_at(0.7), vec![0, 1, 2]);
        assert_eq!(run.exits_at(0.0), vec![0, 0, 0]);
        assert_eq!(run.exits_at(1.5), vec![2, 2, 2]);
        let h = run.score(&run.exits_at(0.7), &[1.0, 2.0, 3.0], &[0.0, 0.0, 6.0]);
        assert_eq!(h.accuracy, 1.0);
        assert_eq!(h.mean_passes, 4.0);
        assert!((h.early - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(h.mean_energy, 2.0);
        assert_eq!(h.mean_latency, 2.0);
        let f = run.score(&run.fixed(0), &[1.0, 2.0, 3.0], &[0.0; 3]);
        assert!((f.accuracy - 1.0 / 3.0).abs() < 1e-12);
    }

    /// Trained with a price on energy, a digits network learns to stop early on most images
    /// and keeps its accuracy; without a price it has no reason to.
    #[test]
    fn a_priced_network_stops_early_and_stays_accurate() {
        let data = Dataset::digits(1).unwrap();
        let mut c = LoopNetConfig::new(64, 32, 8, 10, 1);
        c.exit_every = Some(2);
        let passes: Vec<f64> = c.exits().iter().map(|t| *t as f64).collect();
        let settings = TrainSettings {
            epochs: 12,
            ..TrainSettings::default()
        };
        let off = ForwardNoise::off();
        let run = |price: f64| {
            let ponder = Ponder {
                exit_cost: passes.iter().map(|t| price * t).collect(),
                distill: 0.0,
                prior: None,
            };
            let (net, _) = train(c, phi(), &off, &settings, &data, &ponder).unwrap();
            let r = ExitRun::new(&net, &data.test_x, &data.test_y, &off, 0).unwrap();
            r.score(&r.exits_at(0.5), &passes, &passes)
        };
        let (priced, free) = (run(0.05), run(0.0));
        eprintln!("priced: {priced:?}\nfree: {free:?}");
        assert!(priced.mean_passes < 5.0, "{priced:?}");
        assert!(priced.accuracy > 0.85, "{priced:?}");
        assert!(free.mean_passes > priced.mean_passes + 1.0, "{free:?}");
    }
}

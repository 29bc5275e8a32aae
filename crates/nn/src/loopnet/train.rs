//! Training a loop network on a classification task: the 8×8 digits (scikit-learn's set,
//! shipped in data/) or n-bit parity (an algorithmic task where depth should matter).

use super::{ForwardNoise, LoopNet, LoopNetConfig, phi::Phi};
use crate::NnError;
use crate::datasets;
use candle_core::{Device, Result, Tensor};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use lightloop_base::rng::{Rng, stream, uniform};

/// Fisher–Yates shuffle of `v` with draws from `rng`.
fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = ((uniform(rng) * (i + 1) as f64) as usize).min(i);
        v.swap(i, j);
    }
}

/// A classification data set split into training and test sets.
pub struct Dataset {
    pub train_x: Tensor,
    pub train_y: Tensor,
    pub test_x: Tensor,
    pub test_y: Tensor,
    /// Input dimensions and classes.
    pub inputs: usize,
    pub classes: usize,
}

/// A classification task for the loop networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetTask {
    Digits,
    /// Parity of `bits` random bits (inputs 0/1): 2 000 training and 1 000 test codes, all
    /// distinct (no test code is seen in training).
    Parity {
        bits: usize,
    },
    /// Next character of data/english.txt from the `context` characters before it (one-hot
    /// inputs): a character-level language model, scored by next-character accuracy.
    Chars {
        context: usize,
    },
}

impl std::str::FromStr for NetTask {
    type Err = NnError;
    fn from_str(s: &str) -> std::result::Result<Self, NnError> {
        if s == "digits" {
            return Ok(NetTask::Digits);
        }
        if let Some(k) = s.strip_prefix("chars-") {
            return match k.parse::<usize>() {
                Ok(context) if (1..=16).contains(&context) => Ok(NetTask::Chars { context }),
                _ => Err(NnError::Setting(format!(
                    "unknown task `{s}`: chars-K takes a context of 1 ≤ K ≤ 16 characters"
                ))),
            };
        }
        match s.strip_prefix("parity-").map(str::parse::<usize>) {
            Some(Ok(bits)) if (12..=24).contains(&bits) => Ok(NetTask::Parity { bits }),
            _ => Err(NnError::Setting(format!(
                "unknown task `{s}` (known: digits, parity-N with 12 ≤ N ≤ 24 so that 3 000 distinct codes exist, chars-K with 1 ≤ K ≤ 16)"
            ))),
        }
    }
}

impl std::fmt::Display for NetTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetTask::Digits => f.write_str("digits"),
            NetTask::Parity { bits } => write!(f, "parity-{bits}"),
            NetTask::Chars { context } => write!(f, "chars-{context}"),
        }
    }
}

impl NetTask {
    pub fn load(self, seed: u64) -> std::result::Result<Dataset, NnError> {
        match self {
            NetTask::Digits => Dataset::digits(seed),
            NetTask::Parity { bits } => Dataset::parity(bits, seed),
            NetTask::Chars { context } => Dataset::chars(context, seed),
        }
    }
}

impl Dataset {
    /// Parity of `bits` bits: distinct random codes (a partial Fisher–Yates shuffle of all
    /// 2^bits), 2 000 for training and 1 000 for testing.
    pub fn parity(bits: usize, seed: u64) -> std::result::Result<Self, NnError> {
        let total = 1usize << bits;
        let (n_train, n_test) = (2_000, 1_000);
        if total < n_train + n_test {
            return Err(NnError::Setting(format!(
                "parity-{bits} has fewer than {} codes",
                n_train + n_test
            )));
        }
        let mut rng = stream(seed, "parity.codes", bits as u64, 0);
        // Partial shuffle through a sparse map of swapped positions.
        let mut swapped = std::collections::HashMap::new();
        let mut codes = Vec::with_capacity(n_train + n_test);
        for i in 0..n_train + n_test {
            let j = i + ((uniform(&mut rng) * (total - i) as f64) as usize).min(total - i - 1);
            let vi = *swapped.get(&i).unwrap_or(&i);
            let vj = *swapped.get(&j).unwrap_or(&j);
            swapped.insert(j, vi);
            codes.push(vj);
        }
        let dev = Device::Cpu;
        let tensors = |part: &[usize]| -> Result<(Tensor, Tensor)> {
            let x: Vec<f32> = part
                .iter()
                .flat_map(|c| (0..bits).map(move |b| ((c >> b) & 1) as f32))
                .collect();
            let y: Vec<u32> = part.iter().map(|c| c.count_ones() % 2).collect();
            Ok((
                Tensor::from_vec(x, (part.len(), bits), &dev)?,
                Tensor::from_vec(y, part.len(), &dev)?,
            ))
        };
        let (train_x, train_y) = tensors(&codes[..n_train])?;
        let (test_x, test_y) = tensors(&codes[n_train..])?;
        Ok(Self {
            train_x,
            train_y,
            test_x,
            test_y,
            inputs: bits,
            classes: 2,
        })
    }

    /// Next-character examples from data/english.txt: the `context` characters before each
    /// position, one-hot over the text's alphabet (inputs = context × alphabet), and the
    /// character at it. 16 000 training positions drawn (seeded) from the first 80 % of the text
    /// and 4 000 test positions from the last 20 %, so that no test character is in the
    /// training text.
    pub fn chars(context: usize, seed: u64) -> std::result::Result<Self, NnError> {
        let text = datasets::english_text().as_bytes();
        let mut alphabet: Vec<u8> = text.to_vec();
        alphabet.sort_unstable();
        alphabet.dedup();
        let mut index = [usize::MAX; 256];
        for (i, c) in alphabet.iter().enumerate() {
            index[*c as usize] = i;
        }
        let v = alphabet.len();
        let cut = text.len() * 4 / 5;
        let mut rng = stream(seed, "chars.positions", context as u64, 0);
        let mut draw = |lo: usize, hi: usize, n: usize| -> Vec<usize> {
            (0..n)
                .map(|_| lo + ((uniform(&mut rng) * (hi - lo) as f64) as usize).min(hi - lo - 1))
                .collect()
        };
        let train_pos = draw(context, cut, 16_000);
        let test_pos = draw(cut + context, text.len(), 4_000);
        let dev = Device::Cpu;
        let tensors = |pos: &[usize]| -> Result<(Tensor, Tensor)> {
            let mut x = vec![0f32; pos.len() * context * v];
            for (k, &p) in pos.iter().enumerate() {
                for j in 0..context {
                    let c = index[text[p - context + j] as usize];
                    x[(k * context + j) * v + c] = 1.0;
                }
            }
            let y: Vec<u32> = pos
                .iter()
                .map(|&p| index[text[p] as usize] as u32)
                .collect();
            Ok((
                Tensor::from_vec(x, (pos.len(), context * v), &dev)?,
                Tensor::from_vec(y, pos.len(), &dev)?,
            ))
        };
        let (train_x, train_y) = tensors(&train_pos)?;
        let (test_x, test_y) = tensors(&test_pos)?;
        Ok(Self {
            train_x,
            train_y,
            test_x,
            test_y,
            inputs: context * v,
            classes: v,
        })
    }

    /// The digits split into training and test sets (a seeded shuffle, 80 % / 20 %), pixels
    /// scaled to [0, 1].
    pub fn digits(seed: u64) -> std::result::Result<Self, NnError> {
        let mut all = datasets::digits()?;
        let mut rng = stream(seed, "digits.split", 0, 0);
        shuffle(&mut all, &mut rng);
        let cut = all.len() * 4 / 5;
        let dev = Device::Cpu;
        let tensors = |part: &[datasets::Example]| -> Result<(Tensor, Tensor)> {
            let x: Vec<f32> = part
                .iter()
                .flat_map(|e| e.features.iter().map(|v| (*v / 16.0) as f32))
                .collect();
            let y: Vec<u32> = part.iter().map(|e| e.label as u32).collect();
            Ok((
                Tensor::from_vec(x, (part.len(), 64), &dev)?,
                Tensor::from_vec(y, part.len(), &dev)?,
            ))
        };
        let (train_x, train_y) = tensors(&all[..cut])?;
        let (test_x, test_y) = tensors(&all[cut..])?;
        Ok(Self {
            train_x,
            train_y,
            test_x,
            test_y,
            inputs: 64,
            classes: 10,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    /// Curriculum in depth: training starts with this many passes and doubles them at equal
    /// shares of the epochs until the network's T (`None`: T from the start).
    pub curriculum_start: Option<usize>,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch: 64,
            learning_rate: 3e-3,
            curriculum_start: None,
        }
    }
}

impl TrainSettings {
    /// Passes trained in epoch `epoch` (0-based) of a network of `passes` passes: with a
    /// curriculum from T₀, the stages T₀, 2T₀, 4T₀, … (capped at T, the last stage T itself)
    /// each take an equal share of the epochs.
    pub fn passes_at(&self, epoch: usize, passes: usize) -> usize {
        let Some(t0) = self.curriculum_start.filter(|t| (1..passes).contains(t)) else {
            return passes;
        };
        let mut stages = 1;
        while t0 << (stages - 1) < passes {
            stages += 1;
        }
        let per_stage = self.epochs.div_ceil(stages).max(1);
        let stage = (epoch / per_stage).min(stages - 1);
        (t0 << stage).min(passes)
    }
}

/// Trains `config` on `data` with `noise` injected in every forward pass (noise-aware
/// training); returns the network and its test accuracy under the same noise.
pub fn train(
    config: LoopNetConfig,
    phi: Phi,
    noise: &ForwardNoise,
    settings: &TrainSettings,
    data: &Dataset,
) -> std::result::Result<(LoopNet, f64), NnError> {
    train_distilled(config, phi, noise, settings, data, None)
}

/// Knowledge distillation from a teacher (Hinton, Vinyals & Dean 2015, arXiv:1503.02531): the
/// loss is (1 − w)·CE(student, labels) + w·τ²·KL(softmax(z_t/τ) ‖ softmax(z_s/τ)).
#[derive(Debug, Clone, Copy)]
pub struct Distillation<'a> {
    /// The teacher's logits for every training example (examples × classes).
    pub teacher_logits: &'a Tensor,
    /// Temperature τ.
    pub temperature: f64,
    /// Weight w of the distillation term.
    pub weight: f64,
}

/// [`train`], with the distillation term of `teacher` in the loss when given.
pub fn train_distilled(
    config: LoopNetConfig,
    phi: Phi,
    noise: &ForwardNoise,
    settings: &TrainSettings,
    data: &Dataset,
    teacher: Option<Distillation>,
) -> std::result::Result<(LoopNet, f64), NnError> {
    fit(config, phi, noise, settings, data, |net, b| {
        let logits = net.forward(b.x, b.passes, noise, b.call)?;
        let loss = candle_nn::loss::cross_entropy(&logits, b.y)?;
        let Some(t) = &teacher else {
            return Ok(loss);
        };
        use candle_nn::ops::{log_softmax, softmax_last_dim};
        let tau = t.temperature;
        let zt = (t.teacher_logits.index_select(b.idx, 0)? / tau)?;
        let pt = softmax_last_dim(&zt)?;
        let kl = (&pt
            * (log_softmax(&zt, candle_core::D::Minus1)?
                - log_softmax(&(&logits / tau)?, candle_core::D::Minus1)?)?)?
        .sum(1)?
        .mean_all()?;
        (loss * (1.0 - t.weight))? + (kl * (t.weight * tau * tau))?
    })
}

/// One training batch as a loss sees it.
pub struct Batch<'a> {
    pub x: &'a Tensor,
    pub y: &'a Tensor,
    /// The batch's rows in the training set.
    pub idx: &'a Tensor,
    /// Passes trained in this epoch (the curriculum's).
    pub passes: usize,
    /// The noise stream's index of this batch.
    pub call: u64,
}

/// A network that [`fit`] trains.
pub(crate) trait Trainable {
    /// The trained parameters.
    fn vars(&self) -> Vec<candle_core::Var>;
    /// Test accuracy at full depth under `noise` (noise stream `call`).
    fn test_accuracy(&self, data: &Dataset, noise: &ForwardNoise, call: u64) -> Result<f64>;
    /// The loop's passes T (the most a depth curriculum reaches).
    fn passes(&self) -> usize;
}

impl Trainable for LoopNet {
    fn vars(&self) -> Vec<candle_core::Var> {
        LoopNet::vars(self)
    }
    fn test_accuracy(&self, data: &Dataset, noise: &ForwardNoise, call: u64) -> Result<f64> {
        self.accuracy(&data.test_x, &data.test_y, self.config.passes, noise, call)
    }
    fn passes(&self) -> usize {
        self.config.passes
    }
}

/// The training loop shared by every objective: AdamW over `net.vars()`, seeded batches, the
/// loss of each batch from `loss`; the test accuracy at the end (all T passes, under `noise`).
pub(crate) fn fit(
    config: LoopNetConfig,
    phi: Phi,
    noise: &ForwardNoise,
    settings: &TrainSettings,
    data: &Dataset,
    loss: impl Fn(&LoopNet, &Batch) -> Result<Tensor>,
) -> std::result::Result<(LoopNet, f64), NnError> {
    let net = LoopNet::new(config, phi)?;
    fit_net(net, config.seed, noise, settings, data, loss)
}

/// [`fit`] for a network already built (seed: the batches' stream).
pub(crate) fn fit_net<N: Trainable>(
    net: N,
    seed: u64,
    noise: &ForwardNoise,
    settings: &TrainSettings,
    data: &Dataset,
    loss: impl Fn(&N, &Batch) -> Result<Tensor>,
) -> std::result::Result<(N, f64), NnError> {
    let run = || -> Result<(N, f64)> {
        let mut opt = AdamW::new(
            net.vars(),
            ParamsAdamW {
                lr: settings.learning_rate,
                weight_decay: 0.0,
                ..Default::default()
            },
        )?;
        let n = data.train_x.dim(0)?;
        let mut rng = stream(seed, "loopnet.batches", 0, 0);
        let mut call = 0u64;
        for epoch in 0..settings.epochs {
            let passes = settings.passes_at(epoch, net.passes());
            let mut order: Vec<u32> = (0..n as u32).collect();
            shuffle(&mut order, &mut rng);
            for chunk in order.chunks(settings.batch) {
                let idx = Tensor::from_vec(chunk.to_vec(), chunk.len(), &Device::Cpu)?;
                let x = data.train_x.index_select(&idx, 0)?;
                let y = data.train_y.index_select(&idx, 0)?;
                let b = Batch {
                    x: &x,
                    y: &y,
                    idx: &idx,
                    passes,
                    call,
                };
                call += 1;
                opt.backward_step(&loss(&net, &b)?)?;
            }
        }
        let acc = net.test_accuracy(data, noise, u64::MAX)?;
        Ok((net, acc))
    };
    run().map_err(NnError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensing::Sensing;
    use candle_core::Var;
    use lightloop_twin::LoopTwin;

    /// A small loop network (width 64, 8 tied passes, ternary weights) trained under the
    /// default rig's noise (ASE per pass, the rig's photodiode/TIA noise and 8-bit ADC at the
    /// readout) classifies the held-out digits above 90 %.
    #[test]
    fn small_loop_model_learns_digits_under_the_default_rigs_noise() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let phi = Phi::new(LoopTwin::from_rig(&rig, 0.0, 1));
        let noise = ForwardNoise {
            pass_sd: phi.pass_noise_sd(),
            sensing: Sensing::from_rig(&rig, None, None),
        };
        let data = Dataset::digits(1).unwrap();
        assert_eq!((data.inputs, data.classes), (64, 10));
        let config = LoopNetConfig::new(64, 64, 8, 10, 1);
        let (_, acc) = train(config, phi, &noise, &TrainSettings::default(), &data).unwrap();
        eprintln!("digits test accuracy {acc:.4}");
        assert!(acc > 0.9, "{acc}");
    }

    /// A deep reservoir trains its readout and leaves the loop and its input encoding as they
    /// started.
    #[test]
    fn a_reservoir_trains_only_its_readout() {
        let phi = crate::loopnet::phi::tests::seed_phi();
        let data = Dataset::digits(3).unwrap();
        let config = LoopNetConfig {
            readout_only: true,
            ..LoopNetConfig::new(64, 32, 4, 10, 3)
        };
        let start = LoopNet::new(config, phi.clone()).unwrap();
        let settings = TrainSettings {
            epochs: 3,
            ..TrainSettings::default()
        };
        let (net, acc) = train(config, phi, &ForwardNoise::off(), &settings, &data).unwrap();
        let same = |a: &Var, b: &Var| {
            a.as_tensor().to_vec2::<f32>().unwrap() == b.as_tensor().to_vec2::<f32>().unwrap()
        };
        assert!(same(&net.a, &start.a) && same(&net.w_in, &start.w_in));
        assert!(!same(&net.w_out, &start.w_out));
        assert!(
            acc > 0.5,
            "a random ternary loop with a trained readout: {acc}"
        );
    }

    /// Parity codes are distinct across training and test, and labelled by their bit count.
    #[test]
    fn parity_codes_are_distinct_and_labelled() {
        let d = Dataset::parity(12, 3).unwrap();
        let rows = |x: &Tensor| -> Vec<Vec<u32>> {
            x.to_vec2::<f32>()
                .unwrap()
                .into_iter()
                .map(|r| r.into_iter().map(|v| v as u32).collect())
                .collect()
        };
        let (tr, te) = (rows(&d.train_x), rows(&d.test_x));
        let mut all: Vec<&Vec<u32>> = tr.iter().chain(&te).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 3_000);
        let labels: Vec<u32> = d.train_y.to_vec1().unwrap();
        for (r, y) in tr.iter().zip(labels) {
            assert_eq!(r.iter().sum::<u32>() % 2, y);
        }
        assert!("parity-8".parse::<NetTask>().is_err());
        assert_eq!(
            "parity-16".parse::<NetTask>().unwrap(),
            NetTask::Parity { bits: 16 }
        );
    }

    /// With the whole loss on the distillation term, the student follows the teacher, not the
    /// labels: a teacher that names the next class for every image makes a student that is
    /// wrong on the held-out labels almost always.
    #[test]
    fn a_student_learns_what_its_teacher_says() {
        let phi = crate::loopnet::phi::tests::seed_phi();
        let data = Dataset::digits(2).unwrap();
        let labels: Vec<u32> = data.train_y.to_vec1().unwrap();
        let shifted: Vec<f32> = labels
            .iter()
            .flat_map(|l| (0..10u32).map(move |c| if c == (l + 1) % 10 { 8.0 } else { 0.0 }))
            .collect();
        let teacher = Tensor::from_vec(shifted, (labels.len(), 10), &Device::Cpu).unwrap();
        let config = LoopNetConfig::new(64, 32, 2, 10, 2);
        let settings = TrainSettings {
            epochs: 8,
            ..TrainSettings::default()
        };
        let d = Distillation {
            teacher_logits: &teacher,
            temperature: 1.0,
            weight: 1.0,
        };
        let off = ForwardNoise::off();
        let (_, acc) =
            train_distilled(config, phi.clone(), &off, &settings, &data, Some(d)).unwrap();
        let (_, plain) = train(config, phi, &off, &settings, &data).unwrap();
        assert!(
            acc < 0.2,
            "a student of a wrong teacher scores {acc} on the labels"
        );
        assert!(plain > 0.8, "the same student on the labels scores {plain}");
    }

    #[test]
    fn the_depth_curriculum_doubles_the_passes_in_equal_shares_of_the_epochs() {
        let s = TrainSettings {
            epochs: 8,
            curriculum_start: Some(4),
            ..TrainSettings::default()
        };
        // T = 16: stages 4, 8, 16, two or three epochs each (8 epochs over 3 stages → 3, 3, 2).
        let got: Vec<usize> = (0..8).map(|e| s.passes_at(e, 16)).collect();
        assert_eq!(got, vec![4, 4, 4, 8, 8, 8, 16, 16]);
        // T = 12 is not a power of two times T₀: the last stage is capped at T.
        let got: Vec<usize> = (0..8).map(|e| s.passes_at(e, 12)).collect();
        assert_eq!(got, vec![4, 4, 4, 8, 8, 8, 12, 12]);
        // No curriculum, or one that starts at T or beyond: T from the start.
        let plain = TrainSettings {
            epochs: 8,
            ..TrainSettings::default()
        };
        assert!((0..8).all(|e| plain.passes_at(e, 16) == 16));
        let late = TrainSettings {
            curriculum_start: Some(16),
            ..s
        };
        assert!((0..8).all(|e| late.passes_at(e, 16) == 16));
    }

    #[test]
    fn character_examples_are_one_hot_contexts_of_the_next_character() {
        let d = Dataset::chars(3, 1).unwrap();
        let v = d.classes;
        assert!(v > 60 && v < 100, "alphabet of {v}");
        assert_eq!(d.inputs, 3 * v);
        assert_eq!(d.train_x.dims(), &[16_000, 3 * v]);
        assert_eq!(d.test_y.dims(), &[4_000]);
        // Exactly one 1 per context character.
        let row: Vec<f32> = d.train_x.get(0).unwrap().to_vec1().unwrap();
        for j in 0..3 {
            let ones = row[j * v..(j + 1) * v]
                .iter()
                .filter(|x| **x == 1.0)
                .count();
            assert_eq!(ones, 1);
        }
        assert!("chars-0".parse::<NetTask>().is_err());
        assert_eq!(
            "chars-8".parse::<NetTask>().unwrap(),
            NetTask::Chars { context: 8 }
        );
    }
}

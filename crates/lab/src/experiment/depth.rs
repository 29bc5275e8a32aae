//! Test accuracy versus loop passes T (each T trained from scratch), with the effective rank of
//! the loop state pass by pass and the accuracy of early exits of the deepest network.

use super::{
    Common, Spread, Tally, check_passes, load, net_config, setup, spread_series, training,
};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use candle_core::Tensor;
use lightloop_base::stats::q_function;
use lightloop_nn::dynamics::participation_ratio;
use lightloop_nn::loopnet::train::train;
use lightloop_nn::loopnet::{ForwardNoise, LoopNet, Scores};
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;
use std::time::Instant;

/// The depth sweep.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: Common,
    /// Loop passes T, each 1 … 4096.
    pub passes: Vec<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            passes: vec![1, 4, 16, 64, 256, 1024],
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        check_passes("passes", &self.passes, 1, 4096)
    }
}

/// One trained network (a row of depth.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepthRow {
    pub passes: usize,
    pub seed: u64,
    pub test_accuracy: f64,
    pub test_accuracy_noiseless: f64,
    pub train_seconds: f64,
    /// Cross-entropy of the test labels at the rig's noise, bits per example (bits per
    /// character for chars-K).
    pub test_bits_per_example: f64,
}

/// The deepest network read after each pass (a row of passes.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassRow {
    pub trained_passes: usize,
    pub seed: u64,
    pub exit_after_pass: usize,
    pub test_accuracy: f64,
    pub participation_ratio: f64,
}

/// A network's decisions against the readout's noise: the gap between each test input's two
/// largest logits without noise, and the σ the readout's noise gives that gap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Margin {
    /// σ of the readout's noise relative to each value's range over the test inputs (the
    /// receiver's noise and the ADC's steps), as the forward pass draws it.
    pub readout_sd: f64,
    /// Median over the test inputs of the σ that noise gives the gap between the largest logit
    /// and the runner-up.
    pub gap_sd: f64,
    /// Median over the test inputs of that gap without noise.
    pub gap: f64,
    /// Decisions the readout's noise is expected to change to the runner-up: Σ Q(gap/σ) over
    /// the test inputs (a third class overtaking is not counted).
    pub expected_changes: f64,
    /// Test inputs.
    pub inputs: usize,
}

impl Margin {
    /// The margin of `net`'s decisions on `x` after `passes` passes against the readout of
    /// `noise` (the ASE inside the loop is not counted).
    pub fn of(
        net: &LoopNet,
        x: &Tensor,
        passes: usize,
        noise: &ForwardNoise,
    ) -> Result<Self, LabError> {
        let read = net
            .readings(x, &[passes], &ForwardNoise::off(), 0)?
            .remove(0);
        let logits: Vec<Vec<f32>> = net.classify(&read)?.to_vec2()?;
        let h: Vec<Vec<f32>> = read.to_vec2()?;
        let w: Vec<Vec<f32>> = net.w_out.as_tensor().to_vec2()?;
        let width = w.first().map_or(0, Vec::len);
        // The noise of a reading is σ·range per value, the range over the batch (all inputs).
        let range: Vec<f64> = (0..width)
            .map(|j| {
                let (lo, hi) = h
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                        (lo.min(f64::from(r[j])), hi.max(f64::from(r[j])))
                    });
                hi - lo
            })
            .collect();
        let sd = noise.readout_sd();
        let (mut gaps, mut sds, mut expected) = (Vec::new(), Vec::new(), 0.0);
        for l in &logits {
            let mut order: Vec<usize> = (0..l.len()).collect();
            order.sort_by(|a, b| l[*b].total_cmp(&l[*a]));
            let (c, k) = (order[0], order[1]);
            let gap = f64::from(l[c]) - f64::from(l[k]);
            let gap_sd = sd
                * w[c]
                    .iter()
                    .zip(&w[k])
                    .zip(&range)
                    .map(|((a, b), r)| ((f64::from(*a) - f64::from(*b)) * r).powi(2))
                    .sum::<f64>()
                    .sqrt();
            expected += if gap_sd > 0.0 {
                q_function(gap / gap_sd)
            } else {
                0.0
            };
            gaps.push(gap);
            sds.push(gap_sd);
        }
        Ok(Self {
            readout_sd: sd,
            gap_sd: Spread::of(sds).median,
            gap: Spread::of(gaps).median,
            expected_changes: expected,
            inputs: logits.len(),
        })
    }

    /// The median of each field over `margins` (inputs: the first's).
    fn median(margins: &[Margin]) -> Self {
        let m = |f: fn(&Margin) -> f64| Spread::of(margins.iter().map(f).collect()).median;
        Self {
            readout_sd: m(|x| x.readout_sd),
            gap_sd: m(|x| x.gap_sd),
            gap: m(|x| x.gap),
            expected_changes: m(|x| x.expected_changes),
            inputs: margins.first().map_or(0, |x| x.inputs),
        }
    }
}

/// The medians at one T.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DepthSummary {
    pub passes: usize,
    /// Test accuracy at the rig's noise.
    pub accuracy: Spread,
    /// Median test accuracy of the same networks without noise.
    pub noiseless: f64,
    /// Mean training time, s.
    pub train_seconds: f64,
    /// The readout's noise against the networks' decisions (medians over seeds).
    pub margin: Margin,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<DepthRow>,
    pub passes: Vec<PassRow>,
    /// One per T, in the configuration's order.
    pub summary: Vec<DepthSummary>,
    /// The deepest T (whose early exits and ranks `passes` holds).
    pub deepest: usize,
    /// accuracy_vs_passes, early_exit, effective_rank.
    #[serde(skip)]
    pub plots: Vec<Plot>,
}

pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let c = &config.common;
    let s = setup(rig)?;
    let settings = c.settings();
    let mut tally = Tally::new(
        progress,
        config.passes.len() * c.seeds as usize,
        "networks trained",
    );
    let (mut rows, mut per_pass, mut margins) = (Vec::new(), Vec::new(), Vec::new());
    let deepest = *config.passes.iter().max().unwrap_or(&1);
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        for &t in &config.passes {
            let start = Instant::now();
            let (net, acc) = train(
                net_config(c, c.width, &data, t, seed),
                s.phi.clone(),
                &s.noise,
                &settings,
                &data,
            )
            .map_err(training)?;
            let secs = start.elapsed().as_secs_f64();
            let clean = net.accuracy(&data.test_x, &data.test_y, t, &ForwardNoise::off(), 0)?;
            let bits = net
                .scores(&data.test_x, &data.test_y, t, &s.noise, u64::MAX - 1)?
                .bits_per_example;
            margins.push((t, Margin::of(&net, &data.test_x, t, &s.noise)?));
            rows.push(DepthRow {
                passes: t,
                seed,
                test_accuracy: acc,
                test_accuracy_noiseless: clean,
                train_seconds: secs,
                test_bits_per_example: bits,
            });
            if t == deepest {
                // Early exits of the deepest network and the effective rank of its state.
                let states = net.states(&data.test_x, t)?;
                // The readings after every pass, from one run of the loop (one noise stream).
                let every: Vec<usize> = (1..=t).collect();
                let exits = net
                    .readings(&data.test_x, &every, &s.noise, 1_000)?
                    .iter()
                    .map(|r| Ok(Scores::of(&net.classify(r)?, &data.test_y)?.accuracy))
                    .collect::<candle_core::Result<Vec<f64>>>()?;
                for (k, h) in states.iter().enumerate() {
                    let m: Vec<Vec<f32>> = h.to_vec2()?;
                    let m: Vec<Vec<f64>> = m
                        .into_iter()
                        .map(|r| r.into_iter().map(f64::from).collect())
                        .collect();
                    let acc_k = if k == 0 { f64::NAN } else { exits[k - 1] };
                    per_pass.push(PassRow {
                        trained_passes: t,
                        seed,
                        exit_after_pass: k,
                        test_accuracy: acc_k,
                        participation_ratio: participation_ratio(&m),
                    });
                }
            }
            tally.step();
        }
    }
    let mut summary = Vec::new();
    for &t in &config.passes {
        let sel: Vec<&DepthRow> = rows.iter().filter(|r| r.passes == t).collect();
        summary.push(DepthSummary {
            passes: t,
            accuracy: Spread::of(sel.iter().map(|r| r.test_accuracy).collect()),
            noiseless: Spread::of(sel.iter().map(|r| r.test_accuracy_noiseless).collect()).median,
            train_seconds: sel.iter().map(|r| r.train_seconds).sum::<f64>() / sel.len() as f64,
            margin: Margin::median(
                &margins
                    .iter()
                    .filter(|m| m.0 == t)
                    .map(|m| m.1)
                    .collect::<Vec<_>>(),
            ),
        });
    }
    let basis = format!(
        "rig {}, width {}, {} epochs, {}",
        rig.rig.name,
        c.width,
        c.epochs,
        c.seed_range()
    );
    let points: Vec<(f64, Spread)> = summary
        .iter()
        .map(|m| (m.passes as f64, m.accuracy))
        .collect();
    let accuracy = Plot {
        name: "accuracy_vs_passes".into(),
        axes: Axes::new(
            format!("{} test accuracy versus loop passes — {basis}", c.task),
            "loop passes T (tied ternary weights)",
            "test accuracy",
        )
        .log_x(),
        kind: Kind::Lines(vec![
            spread_series("rig noise (median, min–max)", &points),
            Series {
                name: "same networks, noiseless".into(),
                points: summary
                    .iter()
                    .map(|m| (m.passes as f64, m.noiseless))
                    .collect(),
                dashed: true,
                ..Default::default()
            },
        ]),
    };
    let exits: Vec<(f64, f64)> = per_pass
        .iter()
        .filter(|r| r.seed == 1 && r.exit_after_pass > 0)
        .map(|r| (r.exit_after_pass as f64, r.test_accuracy))
        .collect();
    let ranks: Vec<(f64, f64)> = per_pass
        .iter()
        .filter(|r| r.seed == 1)
        .map(|r| ((r.exit_after_pass as f64).max(0.5), r.participation_ratio))
        .collect();
    let early_exit = Plot {
        name: "early_exit".into(),
        axes: Axes::new(
            format!("Early exits of the T = {deepest} network — {basis}, seed 1"),
            "passes before the readout",
            "test accuracy",
        )
        .log_x(),
        kind: Kind::Lines(vec![Series::line(
            "accuracy when read after k passes",
            exits,
        )]),
    };
    let rank = Plot {
        name: "effective_rank".into(),
        axes: Axes::new(
            format!("Effective rank of the loop state — T = {deepest}, {basis}, seed 1"),
            "pass (0.5 = entering the loop)",
            "participation ratio of the state covariance",
        )
        .log_x(),
        kind: Kind::Lines(vec![Series::line("participation ratio", ranks)]),
    };
    Ok(Outcome {
        rows,
        passes: per_pass,
        summary,
        deepest,
        plots: vec![accuracy, early_exit, rank],
    })
}

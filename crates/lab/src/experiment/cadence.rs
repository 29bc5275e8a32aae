//! A sequence task (chars-K) with every position in the loop and a digital causal attention
//! layer every K passes: accuracy and energy per character versus K.

use super::{Common, NetShape, NetTask, Spread, Tally, load, net_energy, setup, training};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::attention::{SeqLoopNet, train};
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;

/// The cadence experiment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    /// The task must be chars-K (chars-4 by default, where the other experiments take the
    /// digits); no adapter.
    #[serde(flatten)]
    pub common: Common,
    /// Loop passes T, 1 … 1024.
    pub passes: usize,
    /// Passes between attention checkpoints K, each 0 (no attention at all) … T.
    pub cadences: Vec<usize>,
    /// Width of the attention head d_h, 1 … the loop's width.
    pub head: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common {
                task: NetTask::Chars { context: 4 },
                ..Common::default()
            },
            passes: 8,
            cadences: vec![0, 8, 4, 2, 1],
            head: 16,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        if !matches!(self.common.task, NetTask::Chars { .. }) {
            return Err(LabError::config(
                "task",
                format!(
                    "must be chars-K: the cadence experiment needs a sequence task (not {})",
                    self.common.task
                ),
            ));
        }
        if self.common.adapter_rank > 0 {
            return Err(LabError::config(
                "adapter_rank",
                "must be 0: the cadence experiment has no adapter",
            ));
        }
        if self.passes == 0 || self.passes > 1024 {
            return Err(LabError::config("passes", "must be 1 … 1024"));
        }
        if self.cadences.is_empty() || self.cadences.iter().any(|k| *k > self.passes) {
            return Err(LabError::config(
                "cadences",
                format!("must be 0 (none) … passes ({})", self.passes),
            ));
        }
        if self.head == 0 || self.head > self.common.width {
            return Err(LabError::config("head", "must be 1 … the loop's width"));
        }
        Ok(())
    }
}

/// One network (a row of cadence.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CadenceRow {
    /// Passes between checkpoints (empty: no attention).
    pub cadence: Option<usize>,
    pub checkpoints: usize,
    pub seed: u64,
    pub passes: usize,
    pub test_accuracy: f64,
    pub test_bits_per_char: f64,
    /// Cost model's energy per predicted character, J.
    pub j_per_char: f64,
}

/// Medians over seeds at one cadence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CadenceSummary {
    /// Passes between checkpoints (`None`: no attention).
    pub cadence: Option<usize>,
    pub checkpoints: usize,
    /// Next-character accuracy.
    pub accuracy: Spread,
    pub bits_per_char: f64,
    /// J per character.
    pub energy: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<CadenceRow>,
    /// One per cadence, in the configuration's order.
    pub summary: Vec<CadenceSummary>,
    /// Characters of context K.
    pub context: usize,
    /// The line naming rig, width, T, head, epochs and seeds.
    pub basis: String,
    /// accuracy_vs_energy.
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
    let NetTask::Chars { context } = c.task else {
        return Err(LabError::config("task", "must be chars-K"));
    };
    let s = setup(rig)?;
    let settings = c.settings();
    let cadences: Vec<Option<usize>> = config
        .cadences
        .iter()
        .map(|k| Some(*k).filter(|k| *k > 0))
        .collect();
    let mut tally = Tally::new(
        progress,
        cadences.len() * c.seeds as usize,
        "networks trained",
    );
    let mut energy = Vec::new();
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        if energy.is_empty() {
            for k in &cadences {
                energy.push(net_energy(
                    rig,
                    &NetShape {
                        width: c.width,
                        passes: config.passes,
                        classes: data.classes,
                        context,
                        cadence: k.unwrap_or(config.passes),
                        halting_depth: None,
                        head: Some(config.head),
                    },
                )?);
            }
        }
        for (i, k) in cadences.iter().enumerate() {
            let net = SeqLoopNet::new(
                data.classes,
                context,
                c.width,
                config.passes,
                *k,
                config.head,
                seed,
                s.phi.clone(),
            )?;
            let checkpoints = net.checkpoints().len();
            let (net, acc) = train(net, &s.noise, &settings, &data).map_err(training)?;
            let bits = net
                .scores(&data.test_x, &data.test_y, &s.noise, u64::MAX - 1)?
                .bits_per_example;
            rows.push(CadenceRow {
                cadence: *k,
                checkpoints,
                seed,
                passes: config.passes,
                test_accuracy: acc,
                test_bits_per_char: bits,
                j_per_char: energy[i],
            });
            tally.step();
        }
    }
    let summary: Vec<CadenceSummary> = cadences
        .iter()
        .zip(&energy)
        .map(|(k, e)| {
            let sel: Vec<&CadenceRow> = rows.iter().filter(|r| r.cadence == *k).collect();
            CadenceSummary {
                cadence: *k,
                checkpoints: sel[0].checkpoints,
                accuracy: Spread::of(sel.iter().map(|r| r.test_accuracy).collect()),
                bits_per_char: Spread::of(sel.iter().map(|r| r.test_bits_per_char).collect())
                    .median,
                energy: *e,
            }
        })
        .collect();
    let (mut by_energy, mut none) = (Vec::new(), None);
    for m in &summary {
        match m.cadence {
            Some(_) => by_energy.push((m.energy, m.accuracy.median)),
            None => none = Some((m.energy, m.accuracy.median)),
        }
    }
    by_energy.sort_by(|x, y| x.0.total_cmp(&y.0));
    let basis = format!(
        "rig {}, width {}, T = {}, head {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.width,
        config.passes,
        config.head,
        c.epochs,
        c.seed_range()
    );
    let mut series = vec![Series::line(
        "checkpoints every K passes (one point per K)",
        by_energy,
    )];
    if let Some(p) = none {
        series.push(Series::line("no attention (the loop alone)", vec![p]));
    }
    let plot = Plot {
        name: "accuracy_vs_energy".into(),
        axes: Axes::new(
            format!(
                "{} next-character accuracy versus energy per character — {basis}",
                c.task
            ),
            "J per character (cost model: deep-loop decoder at this width and cadence)",
            "next-character accuracy (median over seeds)",
        )
        .log_x(),
        kind: Kind::Lines(series),
    };
    Ok(Outcome {
        rows,
        summary,
        context,
        basis,
        plots: vec![plot],
    })
}

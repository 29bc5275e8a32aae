//! Accuracy versus a fixed small-signal loop gain g (the mesh at unit RMS gain, g not trained),
//! beside the same network with g learned.

use super::{Common, Spread, Tally, load, net_config, setup, spread_series, training};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::dynamics::participation_ratio;
use lightloop_nn::loopnet::ForwardNoise;
use lightloop_nn::loopnet::train::train;
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;

/// The loop-gain sweep.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: Common,
    /// Fixed small-signal loop gains g, each in (0, 1000] (φ has unit slope at 0, the mesh
    /// unit RMS gain, so g is the gain of one pass for a small state).
    pub gains: Vec<f64>,
    /// Loop passes T, 1 … 4096.
    pub passes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            gains: vec![0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
            passes: 16,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        if self.passes == 0 || self.passes > 4096 {
            return Err(LabError::config("passes", "must be 1 … 4096"));
        }
        if self.gains.is_empty()
            || self
                .gains
                .iter()
                .any(|g| !g.is_finite() || *g <= 0.0 || *g > 1e3)
        {
            return Err(LabError::config(
                "gains",
                "must be positive numbers up to 1000",
            ));
        }
        Ok(())
    }
}

/// One network (a row of gain.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GainRow {
    /// The fixed loop gain g (empty: g and A's scale learned).
    pub loop_gain: Option<f64>,
    pub seed: u64,
    pub passes: usize,
    pub test_accuracy: f64,
    pub test_accuracy_noiseless: f64,
    /// Participation ratio of the final loop state over the test set (noiseless).
    pub participation_ratio: f64,
    /// Mean |α_t| of the trained per-pass gains.
    pub mean_abs_alpha: f64,
}

/// Medians over seeds at one setting.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GainSummary {
    /// The fixed gain (`None`: learned).
    pub loop_gain: Option<f64>,
    pub accuracy: Spread,
    pub noiseless: f64,
    pub participation_ratio: f64,
    pub mean_abs_alpha: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<GainRow>,
    /// The learned gain first, then each fixed gain in the configuration's order.
    pub summary: Vec<GainSummary>,
    /// The line naming rig, width, T, epochs and seeds.
    pub basis: String,
    /// accuracy_vs_gain.
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
    let t = config.passes;
    let s = setup(rig)?;
    let settings = c.settings();
    let settings_list: Vec<Option<f64>> = std::iter::once(None)
        .chain(config.gains.iter().map(|g| Some(*g)))
        .collect();
    let mut tally = Tally::new(
        progress,
        settings_list.len() * c.seeds as usize,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        for g in &settings_list {
            let mut cfg = net_config(c, c.width, &data, t, seed);
            cfg.loop_gain = *g;
            let (net, acc) =
                train(cfg, s.phi.clone(), &s.noise, &settings, &data).map_err(training)?;
            let clean = net.accuracy(&data.test_x, &data.test_y, t, &ForwardNoise::off(), 0)?;
            let last = net
                .states(&data.test_x, t)?
                .pop()
                .expect("the state entering the loop at least");
            let m: Vec<Vec<f64>> = last
                .to_vec2::<f32>()?
                .into_iter()
                .map(|r| r.into_iter().map(f64::from).collect())
                .collect();
            let alpha: Vec<f32> = net.alpha.as_tensor().to_vec1()?;
            rows.push(GainRow {
                loop_gain: *g,
                seed,
                passes: t,
                test_accuracy: acc,
                test_accuracy_noiseless: clean,
                participation_ratio: participation_ratio(&m),
                mean_abs_alpha: alpha.iter().map(|x| x.abs() as f64).sum::<f64>()
                    / alpha.len() as f64,
            });
            tally.step();
        }
    }
    let summary: Vec<GainSummary> = settings_list
        .iter()
        .map(|g| {
            let sel: Vec<&GainRow> = rows.iter().filter(|r| r.loop_gain == *g).collect();
            let med = |f: &dyn Fn(&GainRow) -> f64| Spread::of(sel.iter().map(|r| f(r)).collect());
            GainSummary {
                loop_gain: *g,
                accuracy: med(&|r| r.test_accuracy),
                noiseless: med(&|r| r.test_accuracy_noiseless).median,
                participation_ratio: med(&|r| r.participation_ratio).median,
                mean_abs_alpha: med(&|r| r.mean_abs_alpha).median,
            }
        })
        .collect();
    let mut points = Vec::new();
    let mut learned = f64::NAN;
    for m in &summary {
        match m.loop_gain {
            Some(g) => points.push((g, m.accuracy)),
            None => learned = m.accuracy.median,
        }
    }
    let basis = format!(
        "rig {}, width {}, T = {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.width,
        t,
        c.epochs,
        c.seed_range()
    );
    let lo = config.gains.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = config.gains.iter().copied().fold(0.0, f64::max);
    let plot = Plot {
        name: "accuracy_vs_gain".into(),
        axes: Axes::new(
            format!("{} accuracy versus loop gain — {basis}", c.task),
            "small-signal loop gain g of one pass (fixed, mesh at unit RMS gain)",
            "test accuracy",
        )
        .log_x(),
        kind: Kind::Lines(vec![
            spread_series("fixed g (median, min–max over seeds)", &points),
            Series {
                name: "g and A's scale learned (median)".into(),
                points: vec![(lo, learned), (hi, learned)],
                dashed: true,
                ..Default::default()
            },
        ]),
    };
    Ok(Outcome {
        rows,
        summary,
        basis,
        plots: vec![plot],
    })
}

//! Exits every k passes with a halting head trained with a price on the cost model's energy
//! (PonderNet): accuracy, mean passes and energy per input versus the halting threshold,
//! against stopping every input at the same exit.

use super::{Common, NetShape, PredictionCost, Spread, Tally, load, net_config, net_cost, setup};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_nn::loopnet::halting::{ExitRun, Halted, Ponder, Prior, train};
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;

/// The halting experiment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: Common,
    /// Loop passes T (the last exit), 2 … 4096.
    pub passes: usize,
    /// Passes between exits k, 1 … T − 1 (each exit reads the state and asks the halting
    /// head).
    pub every: usize,
    /// Prices μ of energy in the training loss, nats per µJ, each 0 … 1000 (one network per
    /// price and seed, each with `time_price`; a network with no price at all is always
    /// trained: its halting learns only from the cross-entropy, and it run to T is the
    /// reference quality).
    pub prices: Vec<f64>,
    /// Price of latency in the training loss, nats per µs, 0 … 1000 (the cost model's latency
    /// per input at each exit; added to the energy's price).
    pub time_price: f64,
    /// Weight of early-exit distillation, 0 … 10 (each earlier exit learns the last exit's
    /// answer).
    pub distill: f64,
    /// PonderNet's geometric prior: its halting probability per exit λ_p (0 < λ_p < 1; none
    /// when absent).
    pub prior_lambda: Option<f64>,
    /// Weight β of the prior's KL term, 0 … 1000 (PonderNet: 0.01).
    pub prior_weight: f64,
    /// Halting thresholds q at inference, each 0 … 1 (an example stops at its first exit with
    /// λ ≥ q).
    pub thresholds: Vec<f64>,
    /// Accuracy a policy may lose against the unpriced network run to T and still count as
    /// equal quality, 0 ≤ tolerance < 1.
    pub tolerance: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: Common::default(),
            passes: 32,
            every: 4,
            prices: vec![0.0, 3e-5, 1e-4, 1e-3],
            time_price: 0.0,
            distill: 0.5,
            prior_lambda: None,
            prior_weight: 0.01,
            thresholds: vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9],
            tolerance: 0.005,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), LabError> {
        self.common.validate()?;
        if self.passes < 2 || self.passes > 4096 {
            return Err(LabError::config("passes", "must be 2 … 4096"));
        }
        if self.every == 0 || self.every >= self.passes {
            return Err(LabError::config(
                "every",
                format!("must be 1 … passes − 1 ({})", self.passes - 1),
            ));
        }
        let bad =
            |v: &[f64], lo: f64, hi: f64| v.is_empty() || v.iter().any(|x| !(lo..=hi).contains(x));
        if bad(&self.prices, 0.0, 1e3) {
            return Err(LabError::config("prices", "must be 0 … 1000 nats per µJ"));
        }
        if bad(&self.thresholds, 0.0, 1.0) {
            return Err(LabError::config("thresholds", "must be 0 … 1"));
        }
        if !(0.0..=1e3).contains(&self.time_price) {
            return Err(LabError::config(
                "time_price",
                "must be 0 … 1000 nats per µs",
            ));
        }
        if self.prior_lambda.is_some_and(|l| !(l > 0.0 && l < 1.0)) {
            return Err(LabError::config(
                "prior_lambda",
                "must lie strictly between 0 and 1",
            ));
        }
        if !(0.0..=1e3).contains(&self.prior_weight) {
            return Err(LabError::config("prior_weight", "must be 0 … 1000"));
        }
        if !(0.0..=10.0).contains(&self.distill) {
            return Err(LabError::config("distill", "must be 0 … 10"));
        }
        if !(0.0..1.0).contains(&self.tolerance) {
            return Err(LabError::config("tolerance", "must be 0 … 1 (below 1)"));
        }
        Ok(())
    }

    /// The (energy price, time price) of each network trained: first the unpriced one, then
    /// each of `prices` with `time_price` (repeats dropped).
    pub fn networks(&self) -> Vec<(f64, f64)> {
        let mut prices = vec![(0.0, 0.0)];
        for p in &self.prices {
            if !prices.contains(&(*p, self.time_price)) {
                prices.push((*p, self.time_price));
            }
        }
        prices
    }
}

/// One policy on one network (a row of halting.csv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HaltRow {
    pub seed: u64,
    /// Price of energy in training, nats per µJ.
    pub price: f64,
    /// Price of latency in training, nats per µs.
    pub time_price: f64,
    /// "threshold" (per-example halting at λ ≥ q) or "fixed" (every input stops at one exit).
    pub policy: &'static str,
    /// q for "threshold", the exit's passes for "fixed".
    pub setting: f64,
    pub test_accuracy: f64,
    pub mean_passes: f64,
    /// Fraction of inputs stopping before T.
    pub early_fraction: f64,
    /// Cost model's energy per input, J (mean over the inputs' exits).
    pub j_per_input: f64,
    /// Cost model's latency per input, s (mean over the inputs' exits).
    pub latency_s: f64,
}

fn row(
    seed: u64,
    (price, time_price): (f64, f64),
    policy: &'static str,
    setting: f64,
    h: Halted,
) -> HaltRow {
    HaltRow {
        seed,
        price,
        time_price,
        policy,
        setting,
        test_accuracy: h.accuracy,
        mean_passes: h.mean_passes,
        early_fraction: h.early,
        j_per_input: h.mean_energy,
        latency_s: h.mean_latency,
    }
}

/// Medians over seeds of one policy at one setting.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HaltMedians {
    pub accuracy: f64,
    pub mean_passes: f64,
    pub early_fraction: f64,
    /// J per input.
    pub energy: f64,
}

/// One trained network's policies at equal quality.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PriceSummary {
    /// (energy price in nats per µJ, time price in nats per µs).
    pub price: (f64, f64),
    /// The network run to T.
    pub at_t: HaltMedians,
    /// The cheapest threshold q that keeps equal quality, if any.
    pub best_threshold: Option<(f64, HaltMedians)>,
    /// The shallowest fixed exit (its passes) that keeps equal quality, if any.
    pub fixed: Option<(usize, HaltMedians)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub rows: Vec<HaltRow>,
    /// The passes after which the state is read.
    pub exits: Vec<usize>,
    /// The cost model's energy and latency per input stopping at each exit.
    pub exit_cost: Vec<PredictionCost>,
    /// The unpriced network run to T: the reference quality.
    pub reference: HaltMedians,
    /// One per network trained (see [`Config::networks`]).
    pub summary: Vec<PriceSummary>,
    /// The line naming rig, width, T, exits, epochs and seeds.
    pub basis: String,
    /// accuracy_vs_energy.
    #[serde(skip)]
    pub plots: Vec<Plot>,
}

/// How a network's prices are written: "μ" or, with a time price, "μ, ν".
pub fn price_label((energy, time): (f64, f64)) -> String {
    if time > 0.0 {
        format!("{energy}, {time}")
    } else {
        format!("{energy}")
    }
}

pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let c = &config.common;
    let s = setup(rig)?;
    let prices = config.networks();
    let settings = c.settings();
    let mut tally = Tally::new(
        progress,
        prices.len() * c.seeds as usize,
        "networks trained",
    );
    let mut rows = Vec::new();
    let (mut exit_energy, mut exit_latency) = (Vec::new(), Vec::new());
    let mut exits = Vec::new();
    for seed in 1..=c.seeds {
        let data = load(c.task, seed)?;
        let mut cfg = net_config(c, c.width, &data, config.passes, seed);
        cfg.exit_every = Some(config.every);
        if exit_energy.is_empty() {
            exits = cfg.exits();
            for t in &exits {
                let m = net_cost(
                    rig,
                    &NetShape {
                        width: c.width,
                        passes: config.passes,
                        classes: data.classes,
                        context: 1,
                        cadence: config.every,
                        halting_depth: Some(*t as f64),
                        head: None,
                    },
                )?;
                exit_energy.push(m.energy);
                exit_latency.push(m.latency);
            }
        }
        for &(price, time_price) in &prices {
            let ponder = Ponder {
                exit_cost: exit_energy
                    .iter()
                    .zip(&exit_latency)
                    .map(|(e, t)| price * e * 1e6 + time_price * t * 1e6)
                    .collect(),
                distill: config.distill,
                prior: config.prior_lambda.map(|lambda| Prior {
                    lambda,
                    weight: config.prior_weight,
                }),
            };
            let (net, _) = train(cfg, s.phi.clone(), &s.noise, &settings, &data, &ponder)
                .map_err(LabError::from)?;
            let run = ExitRun::new(&net, &data.test_x, &data.test_y, &s.noise, u64::MAX)?;
            for &q in &config.thresholds {
                rows.push(row(
                    seed,
                    (price, time_price),
                    "threshold",
                    q,
                    run.score(&run.exits_at(q), &exit_energy, &exit_latency),
                ));
            }
            for (n, t) in exits.iter().enumerate() {
                rows.push(row(
                    seed,
                    (price, time_price),
                    "fixed",
                    *t as f64,
                    run.score(&run.fixed(n), &exit_energy, &exit_latency),
                ));
            }
            tally.step();
        }
    }

    // Medians over seeds of each (prices, policy, setting).
    let med =
        |(price, time_price): (f64, f64), policy: &str, setting: f64| -> Option<HaltMedians> {
            let sel: Vec<&HaltRow> = rows
                .iter()
                .filter(|r| {
                    r.price == price
                        && r.time_price == time_price
                        && r.policy == policy
                        && r.setting == setting
                })
                .collect();
            if sel.is_empty() {
                return None;
            }
            let m =
                |f: &dyn Fn(&HaltRow) -> f64| Spread::of(sel.iter().map(|r| f(r)).collect()).median;
            Some(HaltMedians {
                accuracy: m(&|r| r.test_accuracy),
                mean_passes: m(&|r| r.mean_passes),
                early_fraction: m(&|r| r.early_fraction),
                energy: m(&|r| r.j_per_input),
            })
        };
    let full_t = config.passes as f64;
    let reference = med((0.0, 0.0), "fixed", full_t).expect("the unpriced network is scored");
    let floor = reference.accuracy - config.tolerance;
    let mut summary = Vec::new();
    let mut series = Vec::new();
    for &price in &prices {
        let at_t = med(price, "fixed", full_t).expect("the last exit is scored");
        let best_threshold = config
            .thresholds
            .iter()
            .filter_map(|q| med(price, "threshold", *q).map(|m| (*q, m)))
            .filter(|(_, m)| m.accuracy >= floor)
            .min_by(|x, y| x.1.energy.total_cmp(&y.1.energy));
        let fixed = exits
            .iter()
            .filter_map(|t| med(price, "fixed", *t as f64).map(|m| (*t, m)))
            .find(|(_, m)| m.accuracy >= floor);
        summary.push(PriceSummary {
            price,
            at_t,
            best_threshold,
            fixed,
        });
        let curve: Vec<(f64, f64)> = config
            .thresholds
            .iter()
            .filter_map(|q| med(price, "threshold", *q))
            .map(|m| (m.energy, m.accuracy))
            .collect();
        series.push(Series::line(
            format!(
                "halting, trained at {} (threshold sweep)",
                price_label(price)
            ),
            curve,
        ));
    }
    series.push(Series {
        name: "unpriced network, every input stopped at one exit".into(),
        points: exits
            .iter()
            .filter_map(|t| med((0.0, 0.0), "fixed", *t as f64))
            .map(|m| (m.energy, m.accuracy))
            .collect(),
        dashed: true,
        ..Default::default()
    });
    let basis = format!(
        "rig {}, width {}, T = {}, exits every {}, {} epochs at the rig's noise, {}",
        rig.rig.name,
        c.width,
        config.passes,
        config.every,
        c.epochs,
        c.seed_range()
    );
    let plot = Plot {
        name: "accuracy_vs_energy".into(),
        axes: Axes::new(
            format!(
                "{}: halting — rig {}, width {}, T = {}, exits every {}",
                c.task, rig.rig.name, c.width, config.passes, config.every
            ),
            "J per input (cost model, mean over the inputs' exits)",
            "test accuracy (median over seeds)",
        )
        .log_x(),
        kind: Kind::Lines(series),
    };
    Ok(Outcome {
        rows,
        exit_cost: exit_energy
            .iter()
            .zip(&exit_latency)
            .map(|(e, l)| PredictionCost {
                energy: *e,
                latency: *l,
            })
            .collect(),
        exits,
        reference,
        summary,
        basis,
        plots: vec![plot],
    })
}

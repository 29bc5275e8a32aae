//! `lightloop experiment halting`: per-example halting priced by the cost model's energy.

use super::{Common, NetShape, config, net_cost, setup};
use crate::commands::output::OutputDir;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table, si};
use clap::Args;
use lightloop_base::stats::median_min_max;
use lightloop_nn::loopnet::halting::{ExitRun, Halted, Ponder, Prior, train};
use lightloop_nn::loopnet::train::TrainSettings;
use lightloop_plot::{Axes, Series, line_chart};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct HaltingArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T (the last exit)
    #[arg(long, default_value_t = 32)]
    pub passes: usize,
    /// Passes between exits k (each exit reads the state and asks the halting head)
    #[arg(long, default_value_t = 4)]
    pub every: usize,
    /// Prices μ of energy in the training loss, nats per µJ, comma-separated (one network per
    /// price and seed, each with --time-price; a network with no price at all is always
    /// trained: its halting learns only from the cross-entropy, and it run to T is the
    /// reference quality)
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.0, 3e-5, 1e-4, 1e-3])]
    pub prices: Vec<f64>,
    /// Price of latency in the training loss, nats per µs (the cost model's latency per input
    /// at each exit; added to the energy's price)
    #[arg(long, default_value_t = 0.0)]
    pub time_price: f64,
    /// Weight of early-exit distillation (each earlier exit learns the last exit's answer)
    #[arg(long, default_value_t = 0.5)]
    pub distill: f64,
    /// PonderNet's geometric prior: its halting probability per exit λ_p (0 < λ_p < 1; none
    /// by default)
    #[arg(long)]
    pub prior_lambda: Option<f64>,
    /// Weight β of the prior's KL term (PonderNet: 0.01)
    #[arg(long, default_value_t = 0.01)]
    pub prior_weight: f64,
    /// Halting thresholds q at inference, comma-separated (an example stops at its first exit
    /// with λ ≥ q)
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9])]
    pub thresholds: Vec<f64>,
    /// Accuracy a policy may lose against the unpriced network run to T and still count as
    /// equal quality
    #[arg(long, default_value_t = 0.005)]
    pub tolerance: f64,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-halting",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct HaltRow {
    seed: u64,
    /// Price of energy in training, nats per µJ.
    price: f64,
    /// Price of latency in training, nats per µs.
    time_price: f64,
    /// "threshold" (per-example halting at λ ≥ q) or "fixed" (every input stops at one exit).
    policy: &'static str,
    /// q for "threshold", the exit's passes for "fixed".
    setting: f64,
    test_accuracy: f64,
    mean_passes: f64,
    /// Fraction of inputs stopping before T.
    early_fraction: f64,
    /// Cost model's energy per input, J (mean over the inputs' exits).
    j_per_input: f64,
    /// Cost model's latency per input, s (mean over the inputs' exits).
    latency_s: f64,
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

pub fn run(a: &HaltingArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    if a.passes < 2 || a.passes > 4096 || a.every == 0 || a.every >= a.passes {
        return Err(CliError::BadInput(
            "--passes must be 2 … 4096 and --every 1 … passes − 1".into(),
        ));
    }
    let bad =
        |v: &[f64], lo: f64, hi: f64| v.is_empty() || v.iter().any(|x| !(lo..=hi).contains(x));
    if bad(&a.prices, 0.0, 1e3) {
        return Err(CliError::BadInput(
            "--prices must be 0 … 1000 nats per µJ".into(),
        ));
    }
    if bad(&a.thresholds, 0.0, 1.0) {
        return Err(CliError::BadInput("--thresholds must be 0 … 1".into()));
    }
    if !(0.0..=1e3).contains(&a.time_price) {
        return Err(CliError::BadInput(
            "--time-price must be 0 … 1000 nats per µs".into(),
        ));
    }
    if a.prior_lambda.is_some_and(|l| !(l > 0.0 && l < 1.0))
        || !(0.0..=1e3).contains(&a.prior_weight)
    {
        return Err(CliError::BadInput(
            "--prior-lambda must lie strictly between 0 and 1 and --prior-weight in 0 … 1000"
                .into(),
        ));
    }
    if !(0.0..=10.0).contains(&a.distill) || !(0.0..1.0).contains(&a.tolerance) {
        return Err(CliError::BadInput(
            "--distill must be 0 … 10 and --tolerance 0 … 1".into(),
        ));
    }
    // (energy price, time price) of each network; the first has none.
    let mut prices = vec![(0.0, 0.0)];
    for p in &a.prices {
        if !prices.contains(&(*p, a.time_price)) {
            prices.push((*p, a.time_price));
        }
    }
    let out = OutputDir::create(&a.out, "halting.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let msg = |e: candle_core::Error| CliError::Message(e.to_string());
    let b = super::super::progress(prices.len() as u64 * a.common.seeds, "networks trained");
    let mut rows = Vec::new();
    let (mut exit_energy, mut exit_latency) = (Vec::new(), Vec::new());
    let mut exits = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        let mut c = config(&a.common, &data, a.passes, seed);
        c.exit_every = Some(a.every);
        if exit_energy.is_empty() {
            exits = c.exits();
            for t in &exits {
                let m = net_cost(
                    &a.common,
                    &NetShape {
                        width: a.common.width,
                        passes: a.passes,
                        classes: data.classes,
                        context: 1,
                        cadence: a.every,
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
                distill: a.distill,
                prior: a.prior_lambda.map(|lambda| Prior {
                    lambda,
                    weight: a.prior_weight,
                }),
            };
            let (net, _) = train(c, s.phi.clone(), &s.noise, &settings, &data, &ponder)
                .map_err(CliError::Message)?;
            let run =
                ExitRun::new(&net, &data.test_x, &data.test_y, &s.noise, u64::MAX).map_err(msg)?;
            for &q in &a.thresholds {
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
            b.inc(1);
        }
    }
    b.finish_and_clear();

    // Medians over seeds of each (prices, policy, setting).
    let med = |(price, time_price): (f64, f64),
               policy: &str,
               setting: f64|
     -> Option<(f64, f64, f64, f64)> {
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
        let m = |f: &dyn Fn(&HaltRow) -> f64| median_min_max(sel.iter().map(|r| f(r)).collect()).0;
        Some((
            m(&|r| r.test_accuracy),
            m(&|r| r.mean_passes),
            m(&|r| r.early_fraction),
            m(&|r| r.j_per_input),
        ))
    };
    let full_t = a.passes as f64;
    let reference = med((0.0, 0.0), "fixed", full_t).expect("the unpriced network is scored");
    let floor = reference.0 - a.tolerance;
    let mut table = Table::new(
        &[
            "price (nats/µJ, nats/µs)",
            "accuracy at T",
            "J per input at T",
            "halting at equal quality: q",
            "accuracy",
            "mean passes",
            "stopped early",
            "J per input",
            "fixed depth at equal quality",
        ],
        &[
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    let mut series = Vec::new();
    for &price in &prices {
        let full = med(price, "fixed", full_t).expect("the last exit is scored");
        let label = if price.1 > 0.0 {
            format!("{}, {}", price.0, price.1)
        } else {
            format!("{}", price.0)
        };
        let best = a
            .thresholds
            .iter()
            .filter_map(|q| med(price, "threshold", *q).map(|m| (*q, m)))
            .filter(|(_, m)| m.0 >= floor)
            .min_by(|x, y| x.1.3.total_cmp(&y.1.3));
        let fixed = exits
            .iter()
            .filter_map(|t| med(price, "fixed", *t as f64).map(|m| (*t, m)))
            .find(|(_, m)| m.0 >= floor);
        let mut cells = vec![label.clone(), format!("{:.4}", full.0), si(full.3, "J")];
        match best {
            Some((q, m)) => cells.extend([
                format!("{q}"),
                format!("{:.4}", m.0),
                format!("{:.1}", m.1),
                format!("{:.0} %", 100.0 * m.2),
                si(m.3, "J"),
            ]),
            None => cells.extend([
                "none".into(),
                "–".into(),
                "–".into(),
                "–".into(),
                "–".into(),
            ]),
        }
        cells.push(fixed.map_or("–".into(), |(t, m)| format!("T = {t}: {}", si(m.3, "J"))));
        table.row(cells);
        let curve: Vec<(f64, f64)> = a
            .thresholds
            .iter()
            .filter_map(|q| med(price, "threshold", *q))
            .map(|m| (m.3, m.0))
            .collect();
        series.push(Series::line(
            format!("halting, trained at {label} (threshold sweep)"),
            curve,
        ));
    }
    series.push(Series {
        name: "unpriced network, every input stopped at one exit".into(),
        points: exits
            .iter()
            .filter_map(|t| med((0.0, 0.0), "fixed", *t as f64))
            .map(|m| (m.3, m.0))
            .collect(),
        dashed: true,
        ..Default::default()
    });
    let basis = format!(
        "rig {}, width {}, T = {}, exits every {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.passes, a.every, a.common.epochs, a.common.seeds
    );
    println!(
        "dynamic halting on {}: {basis} (medians); reference: the unpriced network run to T, accuracy {:.4}, {} per input\n",
        s.task,
        reference.0,
        si(reference.3, "J")
    );
    println!("{}", table.render());
    println!(
        "\nenergy and latency per input at each exit (cost model): {}",
        exits
            .iter()
            .zip(exit_energy.iter().zip(&exit_latency))
            .map(|(t, (e, l))| format!("{t}: {}, {}", si(*e, "J"), si(*l, "s")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let svg = line_chart(
        &Axes::new(
            format!(
                "{}: halting — rig {}, width {}, T = {}, exits every {}",
                s.task, s.rig.rig.name, a.common.width, a.passes, a.every
            ),
            "J per input (cost model, mean over the inputs' exits)",
            "test accuracy (median over seeds)",
        )
        .log_x(),
        &series,
    )?;
    out.text("accuracy_vs_energy.svg", &svg)?;
    out.csv("halting.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nequal quality: accuracy within {} of the reference; the cheapest threshold (and the shallowest fixed exit) that keeps it. Energies from the cost model's deep-loop workload at this width with a reading every {} passes (each reading costed as a checkpoint: readout, re-encoding and a host attention core).\nwrote {}/{{halting.csv, accuracy_vs_energy.svg}}",
        a.tolerance,
        a.every,
        dir.display()
    );
    Ok(())
}

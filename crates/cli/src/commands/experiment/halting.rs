//! `lightloop experiment halting`: per-example halting priced by the cost model's energy.

use super::{Common, run_into, valid, write_plots, wrote};
use crate::load::CliResult;
use crate::table::{Align, Table, si};
use clap::Args;
use lightloop_lab::experiment::halting::{self, Config, price_label};
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

pub fn run(a: &HaltingArgs) -> CliResult<()> {
    let config = valid(
        Config {
            common: a.common.lab()?,
            passes: a.passes,
            every: a.every,
            prices: a.prices.clone(),
            time_price: a.time_price,
            distill: a.distill,
            prior_lambda: a.prior_lambda,
            prior_weight: a.prior_weight,
            thresholds: a.thresholds.clone(),
            tolerance: a.tolerance,
        },
        Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "halting.csv", halting::run, &config, &rig)?;
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
        &[Align::Right; 9],
    );
    for m in &o.summary {
        let mut cells = vec![
            price_label(m.price),
            format!("{:.4}", m.at_t.accuracy),
            si(m.at_t.energy, "J"),
        ];
        match m.best_threshold {
            Some((q, h)) => cells.extend([
                format!("{q}"),
                format!("{:.4}", h.accuracy),
                format!("{:.1}", h.mean_passes),
                format!("{:.0} %", 100.0 * h.early_fraction),
                si(h.energy, "J"),
            ]),
            None => cells.extend([
                "none".into(),
                "–".into(),
                "–".into(),
                "–".into(),
                "–".into(),
            ]),
        }
        cells.push(m.fixed.map_or("–".into(), |(t, h)| {
            format!("T = {t}: {}", si(h.energy, "J"))
        }));
        table.row(cells);
    }
    println!(
        "dynamic halting on {}: {} (medians); reference: the unpriced network run to T, accuracy {:.4}, {} per input\n",
        config.common.task,
        o.basis,
        o.reference.accuracy,
        si(o.reference.energy, "J")
    );
    println!("{}", table.render());
    println!(
        "\nenergy and latency per input at each exit (cost model): {}",
        o.exits
            .iter()
            .zip(&o.exit_cost)
            .map(|(t, c)| format!("{t}: {}, {}", si(c.energy, "J"), si(c.latency, "s")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    write_plots(&out, &o.plots)?;
    out.csv("halting.csv", &o.rows)?;
    let dir = out.finish()?;
    println!(
        "\nequal quality: accuracy within {} of the reference; the cheapest threshold (and the shallowest fixed exit) that keeps it. Energies from the cost model's deep-loop workload at this width with a reading every {} passes (each reading costed as a checkpoint: readout, re-encoding and a host attention core).\n{}",
        a.tolerance,
        a.every,
        wrote(&dir, &["halting.csv"], &o.plots)
    );
    Ok(())
}

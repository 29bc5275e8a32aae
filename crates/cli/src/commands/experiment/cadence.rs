//! `lightloop experiment cadence`: the loop with digital attention checkpoints every K passes.

use super::{Common, run_into, valid, write_plots, wrote};
use crate::load::CliResult;
use crate::table::{Align, Table, si};
use clap::Args;
use lightloop_lab::experiment::cadence::{self, Config};
use std::path::PathBuf;

#[derive(Args)]
pub struct CadenceArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T
    #[arg(long, default_value_t = 8)]
    pub passes: usize,
    /// Passes between attention checkpoints K, comma-separated; 0: no attention at all
    #[arg(long, value_delimiter = ',', default_values_t = vec![0usize, 8, 4, 2, 1])]
    pub cadences: Vec<usize>,
    /// Width of the attention head d_h
    #[arg(long, default_value_t = 16)]
    pub head: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-cadence",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

pub fn run(a: &CadenceArgs) -> CliResult<()> {
    let config = valid(
        Config {
            common: a.common.lab()?,
            passes: a.passes,
            cadences: a.cadences.clone(),
            head: a.head,
        },
        Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "cadence.csv", cadence::run, &config, &rig)?;
    let mut table = Table::new(
        &[
            "cadence K",
            "checkpoints",
            "next-char accuracy (median)",
            "min – max",
            "bits per char",
            "J per char",
        ],
        &[Align::Right; 6],
    );
    for m in &o.summary {
        let acc = m.accuracy;
        table.row(vec![
            m.cadence.map_or("none".into(), |k| k.to_string()),
            m.checkpoints.to_string(),
            format!("{:.4}", acc.median),
            format!("{:.4} – {:.4}", acc.min, acc.max),
            format!("{:.3}", m.bits_per_char),
            si(m.energy, "J"),
        ]);
    }
    println!("attention cadence on {}: {}\n", config.common.task, o.basis);
    println!("{}", table.render());
    write_plots(&out, &o.plots)?;
    out.csv("cadence.csv", &o.rows)?;
    let dir = out.finish()?;
    println!(
        "\neach position of the {}-character context runs the loop; every K passes the host reads all positions and runs one causal attention layer (one head of width {}), whose result is re-encoded. Energy per character from the cost model (one new position per character, earlier ones cached).\n{}",
        o.context,
        a.head,
        wrote(&dir, &["cadence.csv"], &o.plots)
    );
    Ok(())
}

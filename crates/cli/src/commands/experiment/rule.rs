//! `lightloop experiment rule`: backpropagation against Direct Feedback Alignment, and a deep
//! reservoir (only the readout trained).

use super::{Common, run_into, valid, write_plots, wrote};
use crate::load::CliResult;
use crate::table::{Align, Table};
use clap::Args;
use lightloop_lab::experiment::rule::{self, Config};
use std::path::PathBuf;

#[derive(Args)]
pub struct RuleArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 4, 16, 64])]
    pub passes: Vec<usize>,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-rule",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

pub fn run(a: &RuleArgs) -> CliResult<()> {
    let config = valid(
        Config {
            common: a.common.lab()?,
            passes: a.passes.clone(),
        },
        Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "rule.csv", rule::run, &config, &rig)?;
    let mut table = Table::new(
        &[
            "passes T",
            "backprop (median)",
            "min – max",
            "DFA (median)",
            "min – max",
            "reservoir (median)",
            "min – max",
        ],
        &[Align::Right; 7],
    );
    for m in &o.summary {
        let mut cells = vec![m.passes.to_string()];
        for acc in &m.accuracy {
            cells.push(format!("{:.4}", acc.median));
            cells.push(format!("{:.4} – {:.4}", acc.min, acc.max));
        }
        table.row(cells);
    }
    println!("training rules on {}: {}\n", config.common.task, o.basis);
    println!("{}", table.render());
    write_plots(&out, &o.plots)?;
    out.csv("rule.csv", &o.rows)?;
    let dir = out.finish()?;
    println!(
        "\nDFA: the output error reaches every pass through one fixed random matrix (the same for all passes); the readout layer gets its true gradient. Reservoir: the ternary loop and input encoding keep their random start, only the digital readout is trained (by AdamW, not a ridge fit). All train under the rig's noise.\n{}",
        wrote(&dir, &["rule.csv"], &o.plots)
    );
    Ok(())
}

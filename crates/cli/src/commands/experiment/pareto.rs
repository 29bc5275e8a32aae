//! `lightloop experiment pareto`: the energy–accuracy Pareto front of trained loop networks.

use super::{Common, run_into, valid, write_plots, wrote};
use crate::load::CliResult;
use crate::table::{Align, Table, si};
use clap::Args;
use lightloop_lab::experiment::pareto::{self, Config};
use std::path::PathBuf;

#[derive(Args)]
pub struct ParetoArgs {
    #[command(flatten)]
    pub common: Common,
    /// Widths of the trained networks, comma-separated (replaces --width)
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 32, 64])]
    pub widths: Vec<usize>,
    /// Loop passes T of the trained networks, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![2usize, 8, 32])]
    pub passes: Vec<usize>,
    /// Laser power per channel relative to the rig's, dB, comma-separated (settings above the
    /// laser's maximum are skipped)
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true,
          default_values_t = vec![-24.0, -12.0, 0.0, 6.0])]
    pub laser_db: Vec<f64>,
    /// ADC bits, comma-separated (the rig's own bits are always included)
    #[arg(long, value_delimiter = ',', default_values_t = vec![4u32, 8])]
    pub adc_bits: Vec<u32>,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-pareto",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

pub fn run(a: &ParetoArgs) -> CliResult<()> {
    let config = valid(
        Config {
            common: a.common.lab()?,
            widths: a.widths.clone(),
            passes: a.passes.clone(),
            laser_db: a.laser_db.clone(),
            adc_bits: a.adc_bits.clone(),
        },
        Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "pareto.csv", pareto::run, &config, &rig)?;
    let mut table = Table::new(
        &[
            "J per input",
            "test accuracy (median)",
            "width",
            "passes T",
            "laser (dB from rig)",
            "ADC bits",
        ],
        &[Align::Right; 6],
    );
    for p in &o.front {
        table.row(vec![
            si(p.energy, "J"),
            format!("{:.4}", p.accuracy),
            p.width.to_string(),
            p.passes.to_string(),
            format!("{:+}", p.offset_db),
            p.bits.to_string(),
        ]);
    }
    println!(
        "energy–accuracy Pareto front on {}: {}; {} settings, {} on the front\n",
        config.common.task,
        o.basis,
        o.points.len(),
        o.front.len()
    );
    println!("{}", table.render());
    for line in &o.skipped {
        println!("skipped: {line}");
    }
    write_plots(&out, &o.plots)?;
    out.csv("pareto.csv", &o.rows)?;
    let dir = out.finish()?;
    println!(
        "\neach network is trained once at the rig's own noise, then read on every variant of the rig (laser power per channel, ADC bits with the rig's ENOB shortfall and a fixed Walden figure of merit); its activation stays the trained one (the loop's gain trim holds the operating point), only the ASE per pass and the readout's noise change. Energy: the cost model's deep-loop decoder at the network's width and T with one reading at T.\n{}",
        wrote(&dir, &["pareto.csv"], &o.plots)
    );
    Ok(())
}

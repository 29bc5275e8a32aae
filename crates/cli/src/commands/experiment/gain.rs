//! `lightloop experiment gain`: accuracy versus a fixed small-signal loop gain.

use super::{Common, run_into, valid, write_plots, wrote};
use crate::load::CliResult;
use crate::table::{Align, Table};
use clap::Args;
use lightloop_lab::experiment::gain::{self, Config};
use std::path::PathBuf;

#[derive(Args)]
pub struct GainArgs {
    #[command(flatten)]
    pub common: Common,
    /// Fixed small-signal loop gains g, comma-separated (φ has unit slope at 0, the mesh unit
    /// RMS gain, so g is the gain of one pass for a small state)
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.25, 0.5, 1.0, 2.0, 4.0, 8.0])]
    pub gains: Vec<f64>,
    /// Loop passes T
    #[arg(long, default_value_t = 16)]
    pub passes: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-gain",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

pub fn run(a: &GainArgs) -> CliResult<()> {
    let config = valid(
        Config {
            common: a.common.lab()?,
            gains: a.gains.clone(),
            passes: a.passes,
        },
        Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "gain.csv", gain::run, &config, &rig)?;
    let mut table = Table::new(
        &[
            "loop gain g",
            "test accuracy (median)",
            "min – max",
            "noiseless",
            "effective rank",
            "mean |α|",
        ],
        &[Align::Right; 6],
    );
    for m in &o.summary {
        let acc = m.accuracy;
        table.row(vec![
            m.loop_gain.map_or("learned".into(), |g| format!("{g}")),
            format!("{:.4}", acc.median),
            format!("{:.4} – {:.4}", acc.min, acc.max),
            format!("{:.4}", m.noiseless),
            format!("{:.1}", m.participation_ratio),
            format!("{:.3}", m.mean_abs_alpha),
        ]);
    }
    println!("loop-gain sweep on {}: {}\n", config.common.task, o.basis);
    println!("{}", table.render());
    write_plots(&out, &o.plots)?;
    out.csv("gain.csv", &o.rows)?;
    let dir = out.finish()?;
    println!(
        "\nloop gain: with g fixed, A's ternary codes are scaled by 1/√(non-zeros per row) and g is not trained; the per-pass gains α_t still are, so g sets how hard the state drives the absorber/SOA, not the residual step.\n{}",
        wrote(&dir, &["gain.csv"], &o.plots)
    );
    Ok(())
}

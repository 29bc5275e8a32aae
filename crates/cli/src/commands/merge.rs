//! `lightloop merge`: the shards of a run (`sweep --shard`, `simulate --shard`) into one
//! result.

use super::print_json;
use crate::load::{CliError, CliResult};
use clap::Args;
use lightloop_cost::shard::{
    Estimate, MergedCounts, ShardKind, kind_of, merge_counts, merge_rows as merge_rows_of,
    write_atomic,
};
use lightloop_cost::sweep::{self, Format, Output};
use lightloop_physics::instruments::plan;
use std::path::PathBuf;

/// The command's `--help` text.
pub const LONG_ABOUT: &str = "Combines the shards of one run into its result. Sweep shards (the .csv or \
.jsonl files of `lightloop sweep --shard K/N`, each with its FILE.shard description beside it) \
merge into the same bytes as the sweep run in one process. Test-plan shards (`lightloop test-plan \
--shard K/N --out FILE`) merge into the plan's test_plan.json as one process computes it. \
Reservoir shards (`lightloop reservoir --seeds S --shard K/N --out FILE`) merge into every \
seed's row in seed order, with the mean, standard deviation and range of each score. Monte-Carlo shards (the .json files of \
`lightloop simulate --shard K/N --out FILE`) merge by adding their error counts into one estimate \
with its Wilson 95 % interval; the merged run is a sample of the same size as the unsharded run's \
but from other random streams (shard K's are keyed by the root seed and K only), so it differs \
from the unsharded run's figures within their intervals, and is identical whatever the order, \
machines or worker count of the shards.\n\n\
The merge refuses, naming the file or shard: a file that is not a finished shard (an unfinished \
one says so), shards of different runs (other descriptions, axes, seed, format or split), a \
shard given twice, missing shards, and a shard whose rows differ from its description. The \
kind of run is recognised from the first file's extension (.csv/.jsonl/.ndjson: sweep; \
otherwise Monte-Carlo counts). OUT is written whole or not at all.";

#[derive(Args)]
#[command(after_help = "\
Examples:
  lightloop merge parts/*.csv --out sweep.csv
  lightloop merge ser-*.json --out ser.json --json

Exit status 2 when the shards do not make one complete run (the message names the file or the
missing shards K/N).")]
pub struct MergeArgs {
    /// The shards' files, in any order
    #[arg(required = true, value_name = "SHARD")]
    pub files: Vec<PathBuf>,
    /// The merged result: .csv or .jsonl for a sweep (as the shards), .json for Monte-Carlo
    /// counts
    #[arg(long, short)]
    pub out: PathBuf,
    /// Overwrite an existing OUT
    #[arg(long)]
    pub force: bool,
    /// Print what was merged as JSON on standard output
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: &MergeArgs) -> CliResult<()> {
    let sweep_shards = a.files.first().and_then(|f| Format::from_path(f)).is_some();
    if sweep_shards {
        return merge_sweep(a);
    }
    if a.out.extension().and_then(|e| e.to_str()) != Some("json") {
        return Err(CliError::BadInput(format!(
            "{}: merged Monte-Carlo counts and rows are written as JSON; the output must end in .json",
            a.out.display()
        )));
    }
    match kind_of(&a.files[0])? {
        ShardKind::Rows => merge_rows(a),
        _ => merge_monte_carlo(a),
    }
}

fn merge_sweep(a: &MergeArgs) -> CliResult<()> {
    let format = Format::from_path(&a.out).ok_or_else(|| {
        CliError::BadInput(format!(
            "{}: the merged sweep must end in .csv or .jsonl, as its shards",
            a.out.display()
        ))
    })?;
    let out = Output {
        path: a.out.clone(),
        format,
        force: a.force,
    };
    let summary = sweep::merge(&a.files, &out)?;
    if a.json {
        print_json(&summary)?;
    } else if !a.quiet {
        eprintln!(
            "merged {} shards of sweep {} ({}): {} rows written to {}",
            summary.shards,
            summary.run,
            summary.label,
            summary.rows,
            summary.out.display()
        );
    }
    Ok(())
}

/// Writes `value` to OUT as pretty JSON, whole or not at all.
fn write_json<T: serde::Serialize>(a: &MergeArgs, value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Message(format!("JSON output: {e}")))?
        + "\n";
    Ok(write_atomic(&a.out, text.as_bytes(), a.force)?)
}

/// `1.2e-3 [9.8e-4, 1.5e-3] (120/100000)`, or `< 3.0e-5 (0/100000)` when no error was seen.
fn estimate(e: &Estimate) -> String {
    if e.errors == 0 {
        format!("< {:.1e} (0/{})", e.high, e.trials)
    } else {
        format!(
            "{:.2e} [{:.1e}, {:.1e}] ({}/{})",
            e.rate, e.low, e.high, e.errors, e.trials
        )
    }
}

fn merge_monte_carlo(a: &MergeArgs) -> CliResult<()> {
    let merged: MergedCounts = merge_counts(&a.files)?;
    write_json(a, &merged)?;
    if a.json {
        return print_json(&merged);
    }
    if a.quiet {
        return Ok(());
    }
    println!(
        "{} shards of run {} ({}), {} items in all",
        merged.shards, merged.run, merged.label, merged.total
    );
    for (name, e) in &merged.counts {
        println!("  {name:<11} error rate {}", estimate(e));
    }
    for (name, x) in &merged.sums {
        println!("  {name:<11} {x:.6e} (summed over the shards)");
    }
    println!("wrote {}", a.out.display());
    Ok(())
}

/// Rows of a run of items: a test plan's measurements are put together into the plan (its
/// test_plan.json); other rows (reservoir seeds) are written in order, with the mean, standard
/// deviation and range of each numeric column.
fn merge_rows(a: &MergeArgs) -> CliResult<()> {
    let merged = merge_rows_of(&a.files)?;
    let plan = plan::from_merged(&merged);
    let spread = plan.is_none().then(|| spread(&merged.rows));
    let written = match &plan {
        Some(p) => {
            serde_json::json!({"run": merged.run, "label": merged.label, "shards": merged.shards, "plan": p})
        }
        None => {
            serde_json::json!({"run": merged.run, "label": merged.label, "shards": merged.shards,
            "total": merged.total, "about": merged.about, "rows": merged.rows, "spread": spread})
        }
    };
    write_json(a, plan.as_ref().unwrap_or(&written))?;
    if a.json {
        return print_json(&written);
    }
    if a.quiet {
        return Ok(());
    }
    println!(
        "{} shards of run {} ({}), {} items in all",
        merged.shards, merged.run, merged.label, merged.total
    );
    if plan.is_some() {
        println!("  the test plan, put together from its measurements (as test_plan.json)");
    }
    for (name, s) in spread.iter().flatten() {
        println!(
            "  {name:<18} mean {:.4e}, sd {:.2e}, range {:.4e} … {:.4e} over {} rows",
            s.mean, s.sd, s.min, s.max, s.n
        );
    }
    println!("wrote {}", a.out.display());
    Ok(())
}

/// Mean, sample standard deviation and range of a numeric column.
#[derive(serde::Serialize)]
struct Spread {
    n: usize,
    mean: f64,
    sd: f64,
    min: f64,
    max: f64,
}

/// The spread of each numeric field of the rows (objects), in field order; a field some rows
/// lack or hold as null is summarised over the rows that have it.
fn spread(rows: &[serde_json::Value]) -> std::collections::BTreeMap<String, Spread> {
    let mut columns: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    for r in rows {
        for (k, v) in r.as_object().into_iter().flatten() {
            if let Some(x) = v.as_f64().filter(|x| x.is_finite()) {
                columns.entry(k.clone()).or_default().push(x);
            }
        }
    }
    columns
        .into_iter()
        .map(|(k, xs)| {
            let n = xs.len();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = if n > 1 {
                xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
            } else {
                0.0
            };
            let (min, max) = xs
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(*x), hi.max(*x))
                });
            (
                k,
                Spread {
                    n,
                    mean,
                    sd: var.sqrt(),
                    min,
                    max,
                },
            )
        })
        .collect()
}

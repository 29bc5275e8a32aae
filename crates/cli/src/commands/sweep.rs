//! `lightloop sweep`.

use crate::load::{CliError, CliResult, route_sets};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use lightloop_cost::sweep::{self, Format, Output, Shard, Sweep, parse_axis};
use lightloop_rig::presets::{DEFAULT_RIG, DEFAULT_WORKLOAD};
use lightloop_rig::{DescKind, Document, Gpu, Rig, Workload};
use std::path::PathBuf;

#[derive(Args)]
#[command(after_help = "\
Axes (KEY is a dotted path; keys under workload., model., run. and loop. belong to the
workload, all others to the rig):
  --vary topology.channels=8,16,32                 a list, values as written in a description
  --vary laser.power=\"1 mW,2 mW,5 mW\"              quantities keep their units
  --vary run.batch=log:1..1024:11                  11 geometrically spaced integers
  --vary \"topology.symbol_period=lin:2 ns..10 ns:9\" 9 evenly spaced periods

Every combination of the axes is one row (last axis fastest). Rows are streamed to OUT in grid
order whatever the thread count, so two runs with different --threads give identical files.
A sweep that is killed leaves OUT.partial; running the same command again resumes it, keeping
every complete row. Only a finished sweep appears under OUT. Points whose descriptions are
invalid (e.g. a width that does not divide into the channels) get a row with an `error` column.

Sharded runs (Slurm job arrays, several machines): --shard K/N writes only the rows of shard K of
N, points floor((K-1)*T/N) to floor(K*T/N)-1 of the T grid points, each row byte for byte as the
whole sweep writes it, with the shard's description in OUT.shard (the sweep's identity, K, N,
its points, a checksum). A shard resumes like a whole sweep. `lightloop merge` then checks the
shards are 1..N of one sweep, finished and intact, and writes the same bytes as a one-process
sweep:
  #SBATCH --array=1-16
  lightloop sweep --vary ... --shard $SLURM_ARRAY_TASK_ID/16 --out parts/$SLURM_ARRAY_TASK_ID.csv
  lightloop merge parts/*.csv --out sweep.csv        (after the array, e.g. --dependency=afterok)
See examples/slurm/sweep.sbatch.

Read the output with pandas (pd.read_csv / pd.read_json(lines=True)) or polars.")]
pub struct SweepArgs {
    /// Base rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG)]
    pub rig: String,
    /// Base workload: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_WORKLOAD)]
    pub workload: String,
    /// Fixed override of the base descriptions (KEY=VALUE); repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// An axis: KEY=v1,v2,… or KEY=lin:START..STOP:N or KEY=log:START..STOP:N; repeatable
    #[arg(long = "vary", value_name = "KEY=SPEC", required = true)]
    pub vary: Vec<String>,
    /// Output file: .csv or .jsonl
    #[arg(long, short)]
    pub out: PathBuf,
    /// Add GPU baseline columns for this GPU (preset or file)
    #[arg(long)]
    pub gpu: Option<String>,
    /// Worker threads [default: all cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Overwrite a finished OUT, or discard a partial run of a different sweep
    #[arg(long)]
    pub force: bool,
    /// No progress bar or summary
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the run's summary as JSON on standard output (points written, kept from an
    /// earlier run and in error; where they are), with no progress bar
    #[arg(long)]
    pub json: bool,
    /// Refuse grids of more points than this (each point is one row of the output)
    #[arg(long, default_value_t = 1_000_000_000)]
    pub max_points: u64,
    /// Run only shard K of N (1 ≤ K ≤ N): the grid's points floor((K-1)·T/N) to
    /// floor(K·T/N)-1, written as the whole sweep writes them, with OUT.shard beside OUT;
    /// combine the N files with `lightloop merge`
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Stop after this many new rows (leaves a resumable partial file)
    #[arg(long, hide = true)]
    pub stop_after: Option<u64>,
    /// Print the process's peak resident memory to stderr at the end
    #[arg(long, hide = true)]
    pub report_peak_rss: bool,
}

/// Peak resident set size of this process in KiB (Linux), from /proc/self/status.
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub fn run(a: &SweepArgs) -> CliResult<()> {
    let format = Format::from_path(&a.out).ok_or_else(|| {
        CliError::BadInput(format!(
            "{}: the output must end in .csv or .jsonl",
            a.out.display()
        ))
    })?;
    let shard: Option<Shard> = a.shard.as_deref().map(str::parse).transpose()?;
    let (rig_sets, wl_sets) = route_sets(&a.sets);
    let mut rig_doc = Document::load(DescKind::Rig, &a.rig)?;
    for s in &rig_sets {
        rig_doc.set(s)?;
    }
    let mut wl_doc = Document::load(DescKind::Workload, &a.workload)?;
    for s in &wl_sets {
        wl_doc.set(s)?;
    }
    // The base descriptions must be sound on their own; axes may then move any key.
    let rig: Rig = rig_doc.parse()?;
    let wl: Workload = wl_doc.parse()?;
    let gpu: Option<Gpu> = match &a.gpu {
        Some(g) => Some(lightloop_rig::load_gpu(g, &[])?.value),
        None => None,
    };
    let axes = a
        .vary
        .iter()
        .map(|v| parse_axis(v).map_err(|e| CliError::BadInput(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let sweep = Sweep {
        rig_table: rig_doc.table.clone(),
        workload_table: wl_doc.table.clone(),
        gpu,
        axes,
        label: format!(
            "rig {} ({}), workload {} ({}){}",
            rig.rig.name,
            rig_doc.main_origin(),
            wl.workload.name,
            wl_doc.main_origin(),
            a.gpu
                .as_ref()
                .map(|g| format!(", gpu {g}"))
                .unwrap_or_default()
        ),
    };
    sweep.preflight()?;
    let total = sweep.len();
    // The grid's size, before any work: axes multiply.
    let sizes: Vec<u128> = sweep.axes.iter().map(|a| a.values.len() as u128).collect();
    let points: u128 = sizes.iter().product();
    if points > u128::from(a.max_points) {
        return Err(CliError::BadInput(format!(
            "the grid has {points} points ({}), more than --max-points {} (each point is a row, about 400 bytes of CSV); raise --max-points or sweep fewer values",
            sizes
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" × "),
            a.max_points
        )));
    }
    let out = Output {
        path: a.out.clone(),
        format,
        force: a.force,
    };
    let bar = if a.quiet || a.json {
        ProgressBar::hidden()
    } else {
        // A shard's bar counts its own points.
        let b = ProgressBar::new(shard.map_or(total, |s| {
            let r = s.range(total);
            r.end - r.start
        }));
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} points [{bar:40}] {per_sec} eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        b
    };
    let progress = |done: u64, _total: u64| bar.set_position(done);
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = a.threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool
        .build()
        .map_err(|e| CliError::Message(format!("cannot start worker threads: {e}")))?;
    let summary = pool.install(|| match shard {
        Some(s) => sweep::run_shard(&sweep, &out, s, &progress, a.stop_after),
        None => sweep::run(&sweep, &out, &progress, a.stop_after),
    })?;
    bar.finish_and_clear();
    let place = if summary.finished {
        a.out.clone()
    } else {
        out.partial_path()
    };
    if a.json {
        #[derive(serde::Serialize)]
        struct Record<'a> {
            out: String,
            sweep: &'a str,
            #[serde(flatten)]
            summary: lightloop_cost::sweep::RunSummary,
            with_figures: u64,
        }
        super::print_json(&Record {
            out: place.display().to_string(),
            sweep: &sweep.label,
            summary,
            with_figures: summary.written - summary.errors,
        })?;
    } else if !a.quiet {
        if let Some(row) = summary.cut_at {
            eprintln!(
                "note: {}: from row {row} on it did not match what this sweep writes (a changed, missing or extra row, or a checksum that differs); the {row} rows before were verified and kept, the rest recomputed",
                out.partial_path().display()
            );
        }
        let errors = match (summary.errors, summary.resumed) {
            (0, 0) => String::new(),
            (0, _) => "; no errors among this run's points".to_string(),
            (n, 0) => format!(
                "; {n} of them {} (invalid points: see the error column), {} with figures",
                if n == 1 { "is an error" } else { "are errors" },
                summary.written - n
            ),
            (n, _) => format!(
                "; {n} of this run's {} are errors (invalid points: see the error column)",
                summary.written
            ),
        };
        if let Some(s) = shard {
            eprint!(
                "shard {s}, points {}..{} of {total}: ",
                summary.first,
                summary.first + summary.total
            );
        }
        eprintln!(
            "{} of {} points written to {}{}{errors}{}",
            summary.resumed + summary.written,
            summary.total,
            place.display(),
            if summary.resumed > 0 {
                format!(" ({} kept from an earlier run)", summary.resumed)
            } else {
                String::new()
            },
            match (summary.finished, shard) {
                (true, None) => String::new(),
                (true, Some(_)) => format!(
                    " (described in {}; merge the shards with `lightloop merge`)",
                    out.shard_path().display()
                ),
                (false, _) => "; run the same command again to continue".into(),
            }
        );
    }
    if a.report_peak_rss {
        eprintln!("peak_rss_kib={}", peak_rss_kib().unwrap_or(0));
    }
    Ok(())
}

//! `lightloop report`: the self-contained HTML report with the CSV behind every plot.

use super::compare::DEFAULT_GPUS;
use crate::load::{CliError, CliResult, load_pair};
use clap::Args;
use lightloop_report::sections::STEPS;
use lightloop_report::{Settings, build};
use lightloop_rig::DescKind;
use lightloop_rig::presets::{self, DEFAULT_RIG, DEFAULT_WORKLOAD};
use std::path::PathBuf;
use std::time::Instant;

pub const LONG_ABOUT: &str = "Writes one self-contained HTML report of a rig (SVG plots inline; it opens \
offline) and, beside it in csv/, the data behind every plot and table.\n\n\
Sections: the rig against H100, H200 and B200 on the headline workload; the claims audit; fJ/MAC versus \
N = M, loop passes and WDM lanes under several conversion-energy floors; J/token of every preset \
workload against the GPUs; time to first token and tokens/s versus WDM lanes and ADC rate; the energy \
ledger by category; symbol error rate versus received power and SNR versus loop passes from the \
time-domain engine, with 95 % intervals; reservoir NARMA10 error versus photons per sample and ADC bits; \
the energy–accuracy Pareto front over laser power and ADC bits. Every caption states the rig, workload, \
seed and assumptions.\n\n\
The full report takes about half a minute; --quick takes a few seconds with fewer points and \
Monte-Carlo symbols. The folder is written as DIR.partial and renamed when complete; an existing DIR is \
replaced only if it holds an earlier report.\n\n\
Example:\n  lightloop report                                  the built-in default rig\n  \
lightloop report --rig my-rig.toml --out my-report --quick";

#[derive(Args, Clone)]
pub struct ReportArgs {
    /// Rig: a preset name (see `lightloop presets`) or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Headline workload: a preset name or a TOML file (the workload sections also cover every
    /// preset) [default: deep-loop-2048, or the first preset workload the rig can run]
    #[arg(long, short, value_name = "WORKLOAD")]
    pub workload: Option<String>,
    /// Override a key of the rig or the workload, e.g. --set laser.power="12 dBm"; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// GPU presets or files to compare against; repeatable [default: h100-sxm, h200-sxm, b200]
    #[arg(long = "gpu", value_name = "GPU")]
    pub gpus: Vec<String>,
    /// Seed of every random stream of the simulations
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A fast look: fewer sweep points and Monte-Carlo symbols
    #[arg(long)]
    pub quick: bool,
    /// Output folder (report.html and csv/)
    #[arg(long, default_value = "lightloop-report", value_name = "DIR")]
    pub out: PathBuf,
    /// Print what was written as JSON (the verdict, each section's figures with their SVG, PDF
    /// and CSV files, the command that regenerates the report) instead of a line
    #[arg(long)]
    pub json: bool,
}

/// What `report --json` prints.
/// What `report --json` prints: what was written, and how long it took.
#[derive(serde::Serialize)]
struct Record {
    #[serde(flatten)]
    written: lightloop_report::Written,
    seconds: f64,
}

fn default_workload(a: &ReportArgs) -> String {
    let fits = |w: &str| load_pair(&a.rig, w, &a.sets).is_ok();
    if fits(DEFAULT_WORKLOAD) {
        return DEFAULT_WORKLOAD.to_string();
    }
    match presets::names(DescKind::Workload)
        .into_iter()
        .find(|w| fits(w))
    {
        Some(w) => {
            eprintln!(
                "note: {} cannot run {DEFAULT_WORKLOAD}; the headline workload is {w} (choose with --workload)",
                a.rig
            );
            w.to_string()
        }
        None => DEFAULT_WORKLOAD.to_string(),
    }
}

pub fn run(a: &ReportArgs) -> CliResult<()> {
    let workload = a.workload.clone().unwrap_or_else(|| default_workload(a));
    // Bad input is reported here with file, line and key (exit status 2); the report is built
    // from the descriptions held in memory.
    let pair = load_pair(&a.rig, &workload, &a.sets)?;
    let gpu_names: Vec<String> = if a.gpus.is_empty() {
        DEFAULT_GPUS.iter().map(|s| s.to_string()).collect()
    } else {
        a.gpus.clone()
    };
    let gpus = gpu_names
        .iter()
        .map(|g| crate::load::load_gpu(g).map(|l| l.value))
        .collect::<CliResult<Vec<_>>>()?;
    let settings = Settings {
        rig: pair.rig.value,
        workload: pair.workload.value,
        gpus,
        seed: a.seed,
        quick: a.quick,
        provenance: vec![pair.rig.provenance, pair.workload.provenance],
    };
    let start = Instant::now();
    let bar = if a.json {
        indicatif::ProgressBar::hidden()
    } else {
        super::progress(STEPS.len() as u64, "")
    };
    let report = build(&settings, &mut |step| {
        bar.set_position(step as u64);
        bar.set_message(STEPS[step]);
    })
    .map_err(|e| match e {
        lightloop_report::ReportError::Incompatible(_) => CliError::BadInput(e.to_string()),
        _ => CliError::Message(e.to_string()),
    });
    bar.finish_and_clear();
    let report = report?;
    let written = lightloop_report::write(&report, &a.out, "--out")?;
    let seconds = start.elapsed().as_secs_f64();
    if a.json {
        return super::print_json(&Record { written, seconds });
    }
    for n in &report.not_computed {
        eprintln!("note: not computed for this rig: {n}");
    }
    let figures: usize = report.sections.iter().map(|s| s.figures.len()).sum();
    println!(
        "Report of {} ({} sections, {} plots, {} CSV files) written in {:.1} s:\n  {}",
        report.rig_name,
        report.sections.len(),
        figures,
        report.csvs.len(),
        seconds,
        written.report
    );
    Ok(())
}

//! The subcommands.

pub mod audit;
pub mod bench;
pub mod compare;
pub mod energy;
pub mod experiment;
pub mod fleet;
pub mod gpu;
pub mod merge;
pub mod model;
pub mod noise;
pub mod output;
pub mod presets;
pub mod report;
pub mod reservoir;
pub mod serve;
pub mod shard_out;
pub mod simulate;
pub mod sweep;
pub mod test_plan;
pub mod throughput;
pub mod validate;

use crate::load::{CliError, CliResult, Pair};
use lightloop_cost::Evaluation;
use lightloop_rig::provenance::Difference;
use serde::Serialize;

/// A progress bar for work counted in steps: elapsed time, bar, count and a message.
pub fn progress(len: u64, message: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .expect("valid template"),
    );
    b.set_message(message.to_string());
    b
}

/// Evaluates a loaded pair.
pub fn evaluate(pair: &Pair) -> CliResult<Evaluation> {
    lightloop_cost::evaluate(&pair.rig.value, &pair.workload.value)
        .map_err(|e| CliError::Message(e.to_string()))
}

/// The two header lines naming the rig and workload.
pub fn header(title: &str, pair: &Pair) -> String {
    let r = &pair.rig.value;
    let w = &pair.workload.value;
    let t = &r.topology;
    format!(
        "{title}\n  rig       {} — tier {}, {}, {} ch × {} readout × {} λ lane(s){} at {}\n  workload  {} — {:?}, batch {}\n",
        r.rig.name,
        r.rig.tier.describe(),
        t.architecture.name(),
        t.channels,
        t.readout_width,
        t.wdm_lanes,
        match r.modes() {
            1 => String::new(),
            m => format!(" × {m} modes"),
        },
        crate::table::si(t.symbol_period.si(), "s"),
        w.workload.name,
        w.workload.kind,
        w.run.batch
    ) + &modified_lines(pair)
}

/// "  modified  …" lines for descriptions that differ from their presets (nothing otherwise).
pub fn modified_lines(pair: &Pair) -> String {
    [&pair.rig.provenance, &pair.workload.provenance]
        .iter()
        .filter(|p| !p.differences.is_empty())
        .map(|p| format!("  {:<8}  {}\n", "modified", p.summary()))
        .collect()
}

/// Warnings of an evaluation, one per line.
pub fn warnings(e: &Evaluation) -> String {
    let msgs = e.check_messages();
    if msgs.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nwarnings\n");
    for m in msgs {
        // First line marked, continuation lines indented under it.
        let wrapped = crate::table::wrap(&m, 96, "    ");
        s.push_str("  ! ");
        s.push_str(wrapped.strip_prefix("    ").unwrap_or(&wrapped));
    }
    s
}

/// The simplifications behind every analytic figure.
pub const MODEL_NOTE: &str = "model: analytic cost model — the phases of a step run one after another (no overlap), DC loads are charged for the whole step, one op = one multiply or one add (a MAC is 2 ops); the analog loop's noise grows linearly with passes (no regeneration by the absorber).";

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) -> CliResult<()> {
    let s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Message(format!("JSON output: {e}")))?;
    println!("{s}");
    Ok(())
}

/// What every JSON report carries about its inputs.
#[derive(Serialize)]
pub struct Inputs<'a> {
    pub rig: &'a str,
    pub rig_source: &'a str,
    /// The preset the rig is compared with, and the values that differ from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rig_preset: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub rig_differences: &'a [Difference],
    pub workload: &'a str,
    pub workload_source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_preset: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub workload_differences: &'a [Difference],
}

impl<'a> Inputs<'a> {
    pub fn of(pair: &'a Pair) -> Self {
        let (r, w) = (&pair.rig.provenance, &pair.workload.provenance);
        Self {
            rig: &pair.rig.value.rig.name,
            rig_source: pair.rig.doc.main_origin(),
            rig_preset: r.preset.as_deref().filter(|_| !r.differences.is_empty()),
            rig_differences: &r.differences,
            workload: &pair.workload.value.workload.name,
            workload_source: pair.workload.doc.main_origin(),
            workload_preset: w.preset.as_deref().filter(|_| !w.differences.is_empty()),
            workload_differences: &w.differences,
        }
    }
}

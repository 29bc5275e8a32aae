//! `lightloop test-plan`: the lab's test plan computed on the time-domain engine, written as
//! CSV files (one per measurement, units in the column names) and one JSON file with everything.

use super::output::OutputDir;
use super::print_json;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{Align, Table, num, pct, si};
use clap::Args;
use indicatif::ProgressBar;
use lightloop_cost::shard::Shard;
use lightloop_physics::instruments::depth::DepthCurve;
use lightloop_physics::instruments::plan::{self, PlanSettings, RarePoint, STEPS, TestPlan};
use lightloop_physics::instruments::rare::{self, Estimator, RareSettings};
use lightloop_physics::instruments::return_map::ReturnMap;
use lightloop_physics::instruments::{ErrorCount, recentring::PolicyOutcome};
use lightloop_report::rows::{BerRow, SnrRow};
use lightloop_rig::presets::DEFAULT_RIG;
use lightloop_rig::{Loaded, Rig};
use serde::Serialize;
use std::path::PathBuf;

/// The command's `--help` text.
pub const LONG_ABOUT: &str = "Runs the lab's test plan on the time-domain engine: error rates (with \
Wilson 95 % intervals; zero errors are reported as an upper bound) versus received power and slot \
time, SNR and ternary decision errors versus loop depth, the return map and its slope, the WDM \
crosstalk matrix, threshold re-centring under drift with its duty cost and a cold start, faults \
(dead channel, hot channel, stuck selector) with graceful degradation, and the energy ledger of a \
loop run.\n\nFiles written to --out (replaced atomically; a run that is stopped leaves only \
OUT.partial): ber_vs_power.csv, ber_vs_slot_time.csv, snr_vs_passes.csv, return_map.csv, \
crosstalk.csv, recentring.csv, faults.csv, loop_ledger.csv, test_plan.json (the loop's files only for a rig \
with an SOA).\n\n\
--shard K/N runs only shard K of N of the plan's measurements (each point of the two error-rate \
curves, then the loop depth, return map, crosstalk, re-centring and faults: 25 in the full plan, \
15 in the quick one), in contiguous blocks, and writes them to --out as one JSON file. Every \
measurement has its own random streams, so `lightloop merge` puts the shards together into the \
plan's test_plan.json exactly as one process computes it.\n\n\
--estimator importance (or cross-entropy, or auto) estimates the error rates versus power once \
more with that estimator (see `lightloop simulate --help`), at the same powers on chains \
calibrated as the count's, into ser_vs_power_rare.csv: importance sampling of the receiver's \
noise reaches the rates of 10⁻⁹…10⁻³⁰ the count cannot, in well under a second per point. \
Not with --shard, which runs the count only.";

#[derive(Args)]
pub struct TestPlanArgs {
    /// Rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Override a rig key, e.g. --set soa.noise_figure="6 dB"; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Seed of every random stream (same seed, same numbers, any thread count)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fewer points and symbols: a look in about two seconds instead of fifteen
    #[arg(long)]
    pub quick: bool,
    /// Output folder (with --shard: the shard's JSON file)
    #[arg(long, default_value = "lightloop-out/test-plan", value_name = "DIR")]
    pub out: PathBuf,
    /// Measure only shard K of N of the plan's measurements and write them to --out (a JSON
    /// file) for `lightloop merge`
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// With --shard: overwrite an existing --out
    #[arg(long, requires = "shard")]
    pub force: bool,
    /// Also estimate the error rates vs power by this estimator (importance, cross-entropy or
    /// auto) into ser_vs_power_rare.csv; brute (the default) adds nothing
    #[arg(long, value_enum, default_value = "brute")]
    pub estimator: super::simulate::EstimatorArg,
    /// Print the whole result as JSON instead of tables
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct RareRow {
    received_power_dbm: f64,
    received_power_w: f64,
    estimator: String,
    ser: f64,
    ser_low95: f64,
    ser_high95: f64,
    ser_relative_half_width: f64,
    ber: f64,
    ber_low95: f64,
    ber_high95: f64,
    effective_sample_size: f64,
    equivalent_brute_symbols: f64,
    symbols: u64,
    notes: String,
}

impl From<&RarePoint> for RareRow {
    fn from(p: &RarePoint) -> Self {
        let (s, b) = (&p.estimate.symbol_error_rate, &p.estimate.bit_error_rate);
        Self {
            received_power_dbm: p.received_power_dbm,
            received_power_w: p.received_power_w,
            estimator: p.estimate.estimator.to_string(),
            ser: s.rate,
            ser_low95: s.low,
            ser_high95: s.high,
            // A zero rate has no relative width: written as 0 with the note.
            ser_relative_half_width: if s.rate > 0.0 {
                s.relative_half_width
            } else {
                0.0
            },
            ber: b.rate,
            ber_low95: b.low,
            ber_high95: b.high,
            effective_sample_size: s.effective_sample_size,
            equivalent_brute_symbols: s.equivalent_symbols,
            symbols: p.estimate.symbols + p.estimate.preparation_symbols,
            notes: p.estimate.notes.join("; "),
        }
    }
}

#[derive(Serialize)]
struct CrosstalkRow {
    receiver: usize,
    source: usize,
    #[serde(rename = "relative_power_db")]
    db: f64,
}

#[derive(Serialize)]
struct RecentringRow<'a> {
    start: &'a str,
    policy: &'a str,
    symbols: u64,
    errors: u64,
    ser: f64,
    ser_low95: f64,
    ser_high95: f64,
    calibrations: usize,
    duty: f64,
    #[serde(rename = "calibration_energy_j")]
    calibration_energy: f64,
    worst_margin_sigma: f64,
    frames_to_lock: Option<usize>,
    #[serde(rename = "final_delta_t_k")]
    final_delta_t: f64,
}

#[derive(Serialize)]
struct FaultRow<'a> {
    fault: &'a str,
    channel: usize,
    errors_before_recalibration: u64,
    ser_before_recalibration: f64,
    errors_after_recalibration: u64,
    ser_after_recalibration: f64,
    symbols: u64,
    margin_sigma: f64,
    flagged: bool,
}

#[derive(Serialize)]
struct LedgerRow<'a> {
    category: &'a str,
    item: &'a str,
    #[serde(rename = "energy_per_run_j")]
    joules: f64,
}

fn recentring_rows<'a>(start: &'a str, o: &'a [PolicyOutcome]) -> Vec<RecentringRow<'a>> {
    o.iter()
        .map(|p| RecentringRow {
            start,
            policy: &p.label,
            symbols: p.symbols.trials,
            errors: p.symbols.errors,
            ser: p.symbols.rate,
            ser_low95: p.symbols.low,
            ser_high95: p.symbols.high,
            calibrations: p.calibrations,
            duty: p.duty,
            calibration_energy: p.calibration_energy,
            worst_margin_sigma: p.worst_margin_sigma,
            frames_to_lock: p.frames_to_lock,
            final_delta_t: p.final_delta_t,
        })
        .collect()
}

fn write(plan: &TestPlan, dir: &std::path::Path) -> CliResult<PathBuf> {
    let out = OutputDir::create(dir, "test_plan.json", "--out")?;
    let ber: Vec<BerRow> = plan.ber_vs_power.iter().map(BerRow::from).collect();
    out.csv("ber_vs_power.csv", &ber)?;
    if !plan.ser_vs_power_rare.is_empty() {
        let rows: Vec<RareRow> = plan.ser_vs_power_rare.iter().map(RareRow::from).collect();
        out.csv("ser_vs_power_rare.csv", &rows)?;
    }
    let slot: Vec<BerRow> = plan.ber_vs_slot_time.iter().map(BerRow::from).collect();
    out.csv("ber_vs_slot_time.csv", &slot)?;
    if let Some(d) = &plan.depth {
        let snr: Vec<SnrRow> = d.points.iter().map(SnrRow::from).collect();
        out.csv("snr_vs_passes.csv", &snr)?;
    }
    if let Some(m) = &plan.return_map {
        out.csv("return_map.csv", &m.points)?;
    }
    let xt: Vec<CrosstalkRow> = plan
        .crosstalk
        .db
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.iter().enumerate().map(move |(j, v)| CrosstalkRow {
                receiver: i,
                source: j,
                db: *v,
            })
        })
        .collect();
    out.csv("crosstalk.csv", &xt)?;
    let mut rc = recentring_rows("warm", &plan.recentring);
    rc.extend(recentring_rows("cold", &plan.cold_start));
    out.csv("recentring.csv", &rc)?;
    let faults: Vec<FaultRow> = plan
        .faults
        .iter()
        .flat_map(|f| {
            (0..f.margins.len()).map(move |c| FaultRow {
                fault: &f.fault,
                channel: c,
                errors_before_recalibration: f.before_recalibration[c].errors,
                ser_before_recalibration: f.before_recalibration[c].rate,
                errors_after_recalibration: f.after_recalibration[c].errors,
                ser_after_recalibration: f.after_recalibration[c].rate,
                symbols: f.after_recalibration[c].trials,
                margin_sigma: f.margins[c],
                flagged: f.flagged.contains(&c),
            })
        })
        .collect();
    out.csv("faults.csv", &faults)?;
    let ledger: Vec<LedgerRow> = plan
        .loop_ledger
        .iter()
        .map(|l| LedgerRow {
            category: l.category,
            item: l.item,
            joules: l.joules,
        })
        .collect();
    if !ledger.is_empty() {
        out.csv("loop_ledger.csv", &ledger)?;
    }
    out.json("test_plan.json", plan)?;
    Ok(out.finish()?)
}

fn rate(c: &ErrorCount) -> String {
    if c.is_bound() {
        format!("< {:.1e}", c.high)
    } else {
        format!("{:.2e} [{:.1e}, {:.1e}]", c.rate, c.low, c.high)
    }
}

fn print_depth(d: &DepthCurve) {
    println!(
        "Loop depth: {} ch × {} slots, {} trials; SNR per pass (95 %) and ternary decision flips",
        d.settings.channels, d.settings.slots, d.settings.trials
    );
    let mut t = Table::new(
        &["pass", "SNR", "95 % interval", "decision flips"],
        &[Align::Right; 4],
    );
    let n = d.points.len();
    for (i, p) in d.points.iter().enumerate() {
        if i < 3 || (i + 1).is_power_of_two() || i + 1 == n {
            t.row(vec![
                p.pass.to_string(),
                format!("{:.1} dB", p.snr_db),
                format!("{:.1} … {:.1} dB", p.snr_db_low, p.snr_db_high),
                rate(&p.decisions),
            ]);
        }
    }
    println!("{}", t.render());
    if let Some(e) = d.instability {
        println!("  ! the loop became unstable: {e:?} (the curve ends at the last full pass)");
    }
    match d.passes_to_target {
        Some(k) => println!(
            "  passes with SNR ≥ the rig's target {:.1} dB: {k}{}",
            d.target_snr_db,
            if k == n { " (all that were run)" } else { "" }
        ),
        None => println!(
            "  even the first pass is below the rig's target {:.1} dB",
            d.target_snr_db
        ),
    }
    let e = &d.energy;
    println!(
        "  energy per useful update: {} per MAC-equivalent, {} per pass, {} per run ({} static)",
        si(e.joules_per_mac, "J"),
        si(e.joules_per_pass, "J"),
        si(e.joules_per_run, "J"),
        pct(e.static_share)
    );
    println!();
}

fn print_return_map(m: &ReturnMap) {
    println!(
        "Return map of one value (identity mixing, trim {:.3}):",
        m.trim
    );
    if !m.holds_unit {
        println!("  ! the SOA cannot make up the loop's loss: no passive trim holds a = 1");
    }
    for f in &m.fixed_points {
        println!(
            "  fixed point a* = {:.3}: slope {:.3} ({})",
            f.amplitude,
            f.slope,
            if f.stable { "attracting" } else { "repelling" }
        );
    }
    println!(
        "  small-signal slope f′(0) = {:.3}; P(slope > 1) over visited states = {}",
        m.small_signal_slope,
        rate(&m.slope_above_one)
    );
    println!();
}

fn print(plan: &TestPlan, dir: &std::path::Path) {
    println!(
        "Test plan on rig {} (seed {}), time-domain engine",
        plan.rig, plan.seed
    );
    println!();
    println!(
        "Symbol- and bit-error rate vs received full-scale power (Wilson 95 %; \"<\" = no error seen)"
    );
    let mut t = Table::new(
        &[
            "power",
            "photons/sym",
            "SER",
            "BER",
            "SER from eye",
            "budget",
            "margin",
        ],
        &[Align::Right; 7],
    );
    for p in &plan.ber_vs_power {
        t.row(vec![
            format!("{:.1} dBm", p.received_power_dbm),
            num(p.photons_per_symbol),
            rate(&p.symbols),
            rate(&p.bits),
            format!("{:.1e}", p.ser_gaussian),
            format!("{:.1e}", p.ser_noise_budget),
            format!("{:.1} σ", p.eye.margin_sigma),
        ]);
    }
    println!("{}", t.render());
    println!();
    if let Some(first) = plan.ser_vs_power_rare.first() {
        println!(
            "Error rate vs received full-scale power by {}",
            first.estimate.estimator.describe()
        );
        let mut t = Table::new(
            &[
                "power",
                "estimator",
                "SER",
                "±",
                "BER",
                "ESS",
                "brute-force symbols for the same interval",
            ],
            &[Align::Right; 7],
        );
        for p in &plan.ser_vs_power_rare {
            let (s, b) = (&p.estimate.symbol_error_rate, &p.estimate.bit_error_rate);
            t.row(vec![
                format!("{:.1} dBm", p.received_power_dbm),
                p.estimate.estimator.to_string(),
                s.to_string(),
                if s.rate > 0.0 {
                    format!("{:.1} %", 100.0 * s.relative_half_width)
                } else {
                    "-".into()
                },
                b.to_string(),
                num(s.effective_sample_size),
                num(s.equivalent_symbols),
            ]);
        }
        println!("{}", t.render());
        let notes: std::collections::BTreeSet<&String> = plan
            .ser_vs_power_rare
            .iter()
            .flat_map(|p| &p.estimate.notes)
            .collect();
        for n in notes {
            println!("  note (some points): {n}");
        }
        println!();
    }
    println!(
        "Error rate vs slot time at {}",
        si(plan.settings.slot_power, "W")
    );
    let mut t = Table::new(
        &["slot", "photons/sym", "SER", "margin"],
        &[Align::Right; 4],
    );
    for p in &plan.ber_vs_slot_time {
        t.row(vec![
            si(p.symbol_period_s, "s"),
            num(p.photons_per_symbol),
            rate(&p.symbols),
            format!("{:.1} σ", p.eye.margin_sigma),
        ]);
    }
    println!("{}", t.render());
    println!();
    match (&plan.depth, &plan.return_map) {
        (Some(d), Some(m)) => {
            print_depth(d);
            print_return_map(m);
        }
        _ => println!(
            "Loop depth and return map: the rig has no SOA, so there is no analog loop to measure\n"
        ),
    }
    let x = &plan.crosstalk;
    println!(
        "Crosstalk matrix ({} lanes): worst off-diagonal {:.1} dB (rig states {:.1} dB nearest-neighbour)",
        x.channels, x.worst_db, x.rig_db
    );
    println!();
    println!(
        "Threshold re-centring under drift ({} frames, {} s apart, {})",
        plan.settings.recentring.frames,
        plan.settings.recentring.frame_interval,
        si(plan.settings.recentring.received_power, "W")
    );
    let mut t = Table::new(
        &[
            "start",
            "policy",
            "SER",
            "re-centrings",
            "duty",
            "worst margin",
            "locked from frame",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    for (start, o) in [("warm", &plan.recentring), ("cold", &plan.cold_start)] {
        for p in o.iter() {
            t.row(vec![
                start.into(),
                p.label.clone(),
                rate(&p.symbols),
                p.calibrations.to_string(),
                format!("{:.1e}", p.duty),
                format!("{:.1} σ", p.worst_margin_sigma),
                p.frames_to_lock
                    .map(|k| k.to_string())
                    .unwrap_or_else(|| "never".into()),
            ]);
        }
    }
    println!("{}", t.render());
    println!();
    println!(
        "Faults ({} lane(s)): errors of the lanes kept in service after re-calibration",
        plan.faults.first().map_or(0, |f| f.margins.len())
    );
    let mut t = Table::new(
        &["fault", "taken out", "in-service SER", "capacity"],
        &[Align::Left, Align::Left, Align::Right, Align::Right],
    );
    for f in &plan.faults {
        t.row(vec![
            f.fault.clone(),
            format!("{:?}", f.flagged),
            rate(&f.in_service),
            pct(f.capacity),
        ]);
    }
    println!("{}", t.render());
    println!();
    if let Some(d) = &plan.depth {
        println!(
            "Energy ledger of one loop run (entry, {} passes, exit):",
            d.points.len()
        );
        for l in &plan.loop_ledger {
            println!("  {:<40} {}", l.item, si(l.joules, "J"));
        }
        println!();
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
    println!();
    println!("wrote {}", dir.display());
}

pub fn run(a: &TestPlanArgs) -> CliResult<()> {
    let loaded = load_rig(&a.rig, &a.sets)?;
    if let Some(spec) = &a.shard {
        if a.estimator.estimator() != Estimator::Brute {
            return Err(CliError::BadInput(
                "--estimator: a sharded plan runs the count only (--estimator brute)".into(),
            ));
        }
        return run_shard(a, &loaded, spec.parse()?);
    }
    let rig = loaded.value;
    let mut settings = if a.quick {
        PlanSettings::quick(a.seed)
    } else {
        PlanSettings::full(a.seed)
    };
    let estimator = a.estimator.estimator();
    if estimator != Estimator::Brute {
        let r = RareSettings {
            estimator,
            symbols: settings.count.symbols,
            ..RareSettings::default()
        };
        rare::check(&r).map_err(|e| CliError::BadInput(format!("--estimator {estimator}: {e}")))?;
        settings.rare = Some(r);
    }
    let bar = if a.json {
        ProgressBar::hidden()
    } else {
        super::progress(STEPS.len() as u64, "")
    };
    let plan = plan::run(&rig, &settings, &mut |step| {
        bar.set_position(step as u64);
        bar.set_message(STEPS[step]);
    });
    bar.finish_and_clear();
    let dir = write(&plan, &a.out)?;
    if a.json {
        print_json(&plan)
    } else {
        print(&plan, &dir);
        Ok(())
    }
}

/// `--shard K/N`: the shard's measurements, written to --out for `lightloop merge`.
fn run_shard(a: &TestPlanArgs, loaded: &Loaded<Rig>, shard: Shard) -> CliResult<()> {
    if a.out.exists() && !a.force {
        return Err(CliError::BadInput(format!(
            "{} already exists; pass --force to overwrite it",
            a.out.display()
        )));
    }
    let rig_toml = toml::to_string(&loaded.doc.table).unwrap_or_default();
    let file = plan::run_shard(&loaded.value, &rig_toml, a.quick, a.seed, shard)
        .map_err(|e| CliError::BadInput(format!("--shard {e}")))?;
    file.write(&a.out, a.force)?;
    if a.json {
        return print_json(&file);
    }
    println!(
        "test plan of rig {}, shard {shard}: measurements {}..{} of {}\nwrote {} (merge the shards with `lightloop merge`)",
        loaded.value.rig.name,
        file.header.start,
        file.header.end,
        file.header.total,
        a.out.display()
    );
    Ok(())
}

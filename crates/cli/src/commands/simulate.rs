//! `lightloop simulate`: one run of the time-domain reference chain at one received power —
//! error counts with their interval, the eye, the energy ledger, and a trace of every symbol.

use super::print_json;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{num, si};
use clap::Args;
use lightloop_cost::shard::{CountShard, Shard, ShardHeader, ShardKind, Tally, run_id};
use lightloop_cost::sweep::partial_path;
use lightloop_physics::chain::{ReferenceChain, SimSettings};
use lightloop_physics::instruments::ErrorCount;
use lightloop_physics::instruments::ber::{self, Measured};
use lightloop_physics::rng::stream;
use lightloop_rig::presets::DEFAULT_RIG;
use lightloop_rig::units::{dim, parse_quantity};
use serde::Serialize;
use std::path::PathBuf;

/// The command's `--help` text.
pub const LONG_ABOUT: &str = "Runs the reference chain of one channel of the rig (laser → modulator → TDM selector if the rig has one → \
path → SOA → saturable absorber → attenuator → photodiode → TIA → integrate-and-dump → ternary \
comparator) on random ternary symbols at one received power, every noise source on. Prints the \
symbol- and bit-error rates with Wilson 95 % intervals, the eye, and the energy ledger; --trace \
writes one CSV row per symbol (sent, readout, decision).\n\n\
--shard K/N --out FILE runs shard K of N of the count (Slurm job arrays, several machines): \
symbols floor((K-1)·S/N) to floor(K·S/N)-1 of the S of --symbols, on a chain of its own \
(calibrated afresh) whose random streams are keyed by --seed and K only, and writes its counts \
to FILE (JSON) with the run's identity, K and N. `lightloop merge` adds the N shards' counts \
into one error rate with its Wilson interval. The merged figure is the same whatever the order, \
machines or worker count of the shards; it is a different (equally valid) sample from the \
unsharded run's, since the shards' streams are not the unsharded run's (shard 1/1 is the \
unsharded run).";

#[derive(Args)]
pub struct SimulateArgs {
    /// Rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Override a rig key; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Full-scale (+1 level) power at the photodiode, with its unit ("-30 dBm", "1 µW")
    #[arg(long, default_value = "-30 dBm", allow_hyphen_values = true)]
    pub power: String,
    /// Random symbols to send
    #[arg(long, default_value_t = 100_000)]
    pub symbols: usize,
    /// Samples per symbol of the simulation
    #[arg(long, default_value_t = 8)]
    pub samples_per_symbol: usize,
    /// Seed of every random stream
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Refuse runs estimated to take longer than this, in seconds (the estimate assumes 10⁷
    /// channel-samples per second on one core)
    #[arg(long, default_value_t = 3600.0)]
    pub time_limit: f64,
    /// Write one row per symbol (index, sent, readout_v, decided) to this CSV file
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Count only shard K of N of the symbols, with random streams keyed by --seed and K, and
    /// write the shard's counts to --out for `lightloop merge`
    #[arg(long, value_name = "K/N", requires = "out")]
    pub shard: Option<String>,
    /// With --shard: the shard's counts (JSON)
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub out: Option<PathBuf>,
    /// With --shard: overwrite an existing --out of another run or shard
    #[arg(long, requires = "shard")]
    pub force: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct TraceRow {
    index: usize,
    sent: i8,
    #[serde(rename = "readout_v")]
    readout: f64,
    decided: i8,
}

#[derive(Serialize)]
struct Report {
    rig: String,
    seed: u64,
    /// The shard counted, and its symbols' first index.
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<Shard>,
    first_symbol: u64,
    #[serde(flatten)]
    measured: Measured,
}

use lightloop_physics::instruments::ber::{ESTIMATED_RATE, MAX_SAMPLES_PER_SYMBOL};

/// Refuses a run whose memory or time would exceed the limits, naming the options, the
/// estimate and how to raise the limit.
/// `symbols` is the run's share of --symbols (all of them unless it is a shard).
fn check_size(a: &SimulateArgs, symbols: u64) -> CliResult<()> {
    if a.samples_per_symbol > MAX_SAMPLES_PER_SYMBOL {
        return Err(CliError::BadInput(format!(
            "--samples-per-symbol {}: at most {MAX_SAMPLES_PER_SYMBOL} (a block of 8192 symbols would hold {} per buffer)",
            a.samples_per_symbol,
            crate::table::si(8192.0 * 8.0 * a.samples_per_symbol as f64, "B")
        )));
    }
    if !(a.time_limit.is_finite() && a.time_limit > 0.0) {
        return Err(CliError::BadInput(format!(
            "--time-limit must be a positive number of seconds, not {}",
            a.time_limit
        )));
    }
    let samples = symbols as f64 * a.samples_per_symbol as f64;
    let seconds = samples / ESTIMATED_RATE;
    if seconds > a.time_limit {
        return Err(CliError::BadInput(format!(
            "--symbols {}{} × --samples-per-symbol {} = {} channel-samples, about {} at 10⁷ per second; the limit is --time-limit {} s (raise it to run longer)",
            a.symbols,
            if symbols == a.symbols as u64 {
                String::new()
            } else {
                format!(" ({symbols} in this shard)")
            },
            a.samples_per_symbol,
            crate::table::num(samples),
            crate::table::si(seconds, "s"),
            a.time_limit
        )));
    }
    Ok(())
}

/// The identity of a simulate run: its rig (as loaded, overrides applied), power, symbols,
/// samples per symbol and seed, and the version.
fn identity(rig_table: &toml::Table, power: f64, a: &SimulateArgs) -> serde_json::Value {
    serde_json::json!({
        "lightloop_simulate": 1,
        "version": env!("CARGO_PKG_VERSION"),
        "rig": toml::to_string(rig_table).unwrap_or_default(),
        "received_power_w": power,
        "symbols": a.symbols,
        "samples_per_symbol": a.samples_per_symbol,
        "seed": a.seed,
    })
}

pub fn run(a: &SimulateArgs) -> CliResult<()> {
    let loaded = load_rig(&a.rig, &a.sets)?;
    let rig = loaded.value;
    let power = parse_quantity::<dim::Power>(&a.power)
        .map_err(|e| CliError::BadInput(format!("--power {:?}: {e:?}", a.power)))?;
    if power.is_nan() || power <= 0.0 {
        return Err(CliError::BadInput(format!(
            "--power {:?}: the received power must be positive",
            a.power
        )));
    }
    if a.symbols == 0 || a.samples_per_symbol == 0 {
        return Err(CliError::BadInput(
            "--symbols and --samples-per-symbol must be at least 1".into(),
        ));
    }
    let shard: Option<Shard> = a.shard.as_deref().map(str::parse).transpose()?;
    let total = a.symbols as u64;
    if let Some(s) = shard
        && s.count > total
    {
        return Err(CliError::BadInput(format!(
            "--shard {s}: more shards than --symbols {total} (each shard counts at least one symbol)"
        )));
    }
    let range = shard.map_or(0..total, |s| s.range(total));
    let symbols = range.end - range.start;
    check_size(a, symbols)?;
    if let (Some(out), false) = (&a.out, a.force)
        && out.exists()
    {
        return Err(CliError::BadInput(format!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        )));
    }
    let sim = SimSettings {
        seed: a.seed,
        samples_per_symbol: a.samples_per_symbol,
        ..SimSettings::default()
    };
    // A shard's chain and symbols draw from streams keyed by the seed and the shard only.
    let key = shard.map_or(0, |s| s.stream_key());
    let mut chain = ReferenceChain::from_rig(&rig, &sim, 0, key);
    chain.set_received_power(power);
    chain.calibrate(500);
    let mut rng = stream(a.seed, "bench.symbols", 0, key);
    let mut writer = match &a.trace {
        Some(p) => Some(
            csv::Writer::from_path(partial_path(p))
                .map_err(|e| CliError::Message(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    let counted = ber::count_symbols(
        &mut chain,
        &mut rng,
        symbols as usize,
        8192,
        |first, s, r, d| -> CliResult<()> {
            if let Some(w) = writer.as_mut() {
                for k in 0..s.len() {
                    w.serialize(TraceRow {
                        index: range.start as usize + first + k,
                        sent: s[k],
                        readout: r[k],
                        decided: d[k],
                    })
                    .map_err(|e| CliError::Message(format!("trace: {e}")))?;
                }
            }
            Ok(())
        },
    )?;
    if let (Some(mut w), Some(p)) = (writer, &a.trace) {
        w.flush()
            .map_err(|e| CliError::Message(format!("{}: {e}", p.display())))?;
        std::fs::rename(partial_path(p), p)
            .map_err(|e| CliError::Message(format!("{}: {e}", p.display())))?;
    }
    let eye = counted.eye;
    let sent = counted.symbols.trials as usize;
    let ledger = chain.energy();
    if let (Some(s), Some(out)) = (shard, &a.out) {
        let about = identity(&loaded.doc.table, power, a);
        let text =
            serde_json::to_string(&about).map_err(|e| CliError::Message(format!("JSON: {e}")))?;
        let tally = |c: &ErrorCount| Tally {
            errors: c.errors,
            trials: c.trials,
        };
        let result = CountShard {
            header: ShardHeader::new(
                ShardKind::Counts,
                run_id(&text),
                s,
                total,
                format!(
                    "simulate rig {} at {}, {} symbols, seed {}",
                    rig.rig.name,
                    si(power, "W"),
                    total,
                    a.seed
                ),
            ),
            about,
            counts: [
                ("symbols".to_string(), tally(&counted.symbols)),
                ("bits".to_string(), tally(&counted.bits)),
            ]
            .into(),
            sums: [
                ("energy_j".to_string(), ledger.total()),
                ("simulated_s".to_string(), chain.elapsed()),
            ]
            .into(),
        };
        result.write(out, a.force)?;
    }
    let report = Report {
        rig: rig.rig.name.clone(),
        seed: a.seed,
        shard,
        first_symbol: range.start,
        measured: Measured::of(&rig, power, &chain, &counted),
    };
    if a.json {
        return print_json(&report);
    }
    println!(
        "Reference chain of rig {} at {} received (seed {}), {} symbols of {}{}",
        report.rig,
        si(power, "W"),
        a.seed,
        num(sent as f64),
        si(report.measured.symbol_period_s, "s"),
        shard.map_or(String::new(), |s| format!(
            ", shard {s} (symbols {}..{} of {total})",
            range.start, range.end
        ))
    );
    println!("  symbol-error rate  {}", report.measured.symbols);
    println!(
        "  bit-error rate     {} (2-bit code per ternary symbol)",
        report.measured.bits
    );
    println!(
        "  eye                levels {} / {} / {}, σ {} / {} / {}, margin {:.2} σ",
        si(eye.means[0], "V"),
        si(eye.means[1], "V"),
        si(eye.means[2], "V"),
        si(eye.sds[0], "V"),
        si(eye.sds[1], "V"),
        si(eye.sds[2], "V"),
        eye.margin_sigma
    );
    println!(
        "  SER predicted from the eye and the comparator's noise and hysteresis: {:.2e}",
        report.measured.ser_gaussian_from_eye
    );
    println!(
        "  energy over {} simulated: {} per symbol",
        si(report.measured.simulated_seconds, "s"),
        si(report.measured.energy_per_symbol_j, "J")
    );
    for l in &report.measured.ledger {
        println!("    {:<40} {}", l.item, si(l.joules, "J"));
    }
    if let Some(p) = &a.trace {
        println!("wrote {}", p.display());
    }
    if let Some(p) = &a.out {
        println!(
            "wrote {} (merge the shards with `lightloop merge`)",
            p.display()
        );
    }
    Ok(())
}

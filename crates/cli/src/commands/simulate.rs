//! `lightloop simulate`: one run of the time-domain reference chain at one received power —
//! error counts with their interval, the eye, the energy ledger, and a trace of every symbol.

use super::print_json;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{num, si};
use clap::Args;
use lightloop_cost::shard::Shard;
use lightloop_cost::sweep::partial_path;
use lightloop_physics::instruments::ber::Measured;
use lightloop_physics::instruments::monte_carlo::{Count, Names};
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

pub fn run(a: &SimulateArgs) -> CliResult<()> {
    let loaded = load_rig(&a.rig, &a.sets)?;
    let rig = loaded.value;
    let power = parse_quantity::<dim::Power>(&a.power)
        .map_err(|e| CliError::BadInput(format!("--power {:?}: {e:?}", a.power)))?;
    let shard: Option<Shard> = a.shard.as_deref().map(str::parse).transpose()?;
    let count = Count {
        power,
        symbols: a.symbols as u64,
        samples_per_symbol: a.samples_per_symbol,
        seed: a.seed,
        shard,
    };
    count
        .check(a.time_limit)
        .map_err(|e| CliError::BadInput(e.message(&count, &Names::CLI)))?;
    let range = count.range();
    let total = count.symbols;
    if let (Some(out), false) = (&a.out, a.force)
        && out.exists()
    {
        return Err(CliError::BadInput(format!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        )));
    }
    let mut writer = match &a.trace {
        Some(p) => Some(
            csv::Writer::from_path(partial_path(p))
                .map_err(|e| CliError::Message(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    let (chain, counted) = count.run(&rig, |first, s, r, d| -> CliResult<()> {
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
    })?;
    if let (Some(mut w), Some(p)) = (writer, &a.trace) {
        w.flush()
            .map_err(|e| CliError::Message(format!("{}: {e}", p.display())))?;
        std::fs::rename(partial_path(p), p)
            .map_err(|e| CliError::Message(format!("{}: {e}", p.display())))?;
    }
    let eye = counted.eye;
    let sent = counted.symbols.trials as usize;
    if let Some(out) = &a.out {
        let rig_toml = toml::to_string(&loaded.doc.table).unwrap_or_default();
        if let Some(file) = count.shard_file(&rig, &rig_toml, &chain, &counted) {
            file.write(out, a.force)?;
        }
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

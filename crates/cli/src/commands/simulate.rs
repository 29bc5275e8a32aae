//! `lightloop simulate`: one run of the time-domain reference chain at one received power —
//! error counts with their interval, the eye, the energy ledger, and a trace of every symbol.

use super::print_json;
use super::shard_out::ShardOut;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{num, si};
use clap::Args;
use lightloop_cost::shard::Shard;
use lightloop_cost::sweep::partial_path;
use lightloop_physics::chain::{ReferenceChain, SimSettings};
use lightloop_physics::instruments::ber::Measured;
use lightloop_physics::instruments::monte_carlo::CALIBRATION;
use lightloop_physics::instruments::monte_carlo::{Count, Names};
use lightloop_physics::instruments::rare::{self, Estimator, RareSettings};
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
unsharded run).\n\n\
--estimator chooses how the error rates are estimated. brute (the default) counts errors among \
--symbols random symbols: exact, but a rate p needs about 100/p symbols for a ±20 % interval (10¹⁴ \
at 10⁻¹²: most of a year at 3·10⁷ channel-samples/s and 8 samples per symbol). importance shifts \
the means of the receiver's Gaussian noise (the TIA's input noise, fused with shot noise where a \
sample collects ≥ 1000 electrons, and the comparator's input noise) for one symbol in every eight \
(further apart than the chain's memory of its noise), along the direction a pilot run of --pilot \
unbiased symbols per error class measures (the gradient of the decision statistic, by Stein's \
identity), by as much as puts the statistic's mean on the threshold; each biased symbol's error is \
weighted by the likelihood ratio exp(−μ·z + |μ|²/2) of its own shifted draws z, and the rate is \
the mean of the weighted indicators with a normal 95 % interval from their sample variance. Every \
other noise (exact Poisson shot noise below 1000 electrons per sample, laser RIN, SOA ASE, jitter, \
drift) keeps its own distribution, so the estimate stays unbiased; at microwatts the TIA and \
comparator noise dominate. cross-entropy learns the shift instead, by the multilevel cross-entropy \
method (no pilot; for when the direction is unclear). auto runs brute force when a Gaussian \
reading of a probe block's eye expects at least 100 errors among --symbols, importance sampling \
otherwise. The output names the estimator of every figure, and for importance sampling the \
effective sample size and the brute-force symbols the same interval would need. --trace and \
--shard count brute force only.";

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
    #[command(flatten)]
    pub sharding: ShardOut,
    /// How to estimate the error rates: brute (count), importance (importance sampling of the
    /// receiver's noise), cross-entropy (its shift learned adaptively), auto (brute force when
    /// enough errors are expected among --symbols, else importance); see --help
    #[arg(long, value_enum, default_value = "brute")]
    pub estimator: EstimatorArg,
    /// importance: unbiased pilot symbols per error class (there are four) for the direction
    #[arg(long, default_value_t = 2000)]
    pub pilot: usize,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// `--estimator`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EstimatorArg {
    Brute,
    Importance,
    CrossEntropy,
    Auto,
}

impl EstimatorArg {
    pub fn estimator(self) -> Estimator {
        match self {
            EstimatorArg::Brute => Estimator::Brute,
            EstimatorArg::Importance => Estimator::Importance,
            EstimatorArg::CrossEntropy => Estimator::CrossEntropy,
            EstimatorArg::Auto => Estimator::Auto,
        }
    }
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
    /// The estimator of the error rates.
    estimator: Estimator,
    #[serde(flatten)]
    measured: Measured,
}

pub fn run(a: &SimulateArgs) -> CliResult<()> {
    let loaded = load_rig(&a.rig, &a.sets)?;
    let rig = loaded.value;
    let power = parse_quantity::<dim::Power>(&a.power)
        .map_err(|e| CliError::BadInput(format!("--power {:?}: {e:?}", a.power)))?;
    let shard: Option<Shard> = a.sharding.shard()?;
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
    let out_file = a.sharding.out()?;
    let sim = SimSettings {
        seed: a.seed,
        samples_per_symbol: a.samples_per_symbol,
        ..SimSettings::default()
    };
    // The chain of the count ([`Count::run`]): the same streams, the same calibration.
    let key = count.stream_key();
    let build = || {
        let mut chain = ReferenceChain::from_rig(&rig, &sim, 0, key);
        chain.set_received_power(power);
        chain.calibrate(CALIBRATION);
        chain
    };
    let settings = RareSettings {
        estimator: a.estimator.estimator(),
        symbols: a.symbols,
        pilot: a.pilot,
        ..RareSettings::default()
    };
    rare::check(&settings)
        .map_err(|e| CliError::BadInput(format!("--estimator {}: {e}", settings.estimator)))?;
    let mut predicted = None;
    let estimator = match settings.estimator {
        Estimator::Auto => {
            let (e, p) = rare::choose(&mut build(), a.seed, key, &settings);
            predicted = Some(p);
            e
        }
        e => e,
    };
    if estimator != Estimator::Brute {
        if a.trace.is_some() || shard.is_some() {
            return Err(CliError::BadInput(format!(
                "--estimator {}{}: --trace and --shard count brute force only",
                a.estimator.estimator(),
                if predicted.is_some() {
                    " (chose importance)"
                } else {
                    ""
                }
            )));
        }
        let settings = RareSettings {
            estimator,
            ..settings
        };
        let mut estimate = rare::estimate_on(&mut build(), a.seed, key, &settings)
            .map_err(|e| CliError::BadInput(e.to_string()))?;
        estimate.auto_predicted_ser = predicted;
        return print_rare(
            a,
            &rare::Report::new(&rig, a.seed, power, estimate),
            a.estimator.estimator(),
        );
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
    if let Some(out) = out_file {
        let rig_toml = toml::to_string(&loaded.doc.table).unwrap_or_default();
        if let Some(file) = count.shard_file(&rig, &rig_toml, &chain, &counted) {
            file.write(out, a.sharding.force)?;
        }
    }
    let report = Report {
        rig: rig.rig.name.clone(),
        seed: a.seed,
        shard,
        first_symbol: range.start,
        estimator: Estimator::Brute,
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
    if let Some(p) = predicted {
        println!(
            "  estimator          brute force (auto: the probe block's eye predicts SER {p:.1e}, {} errors expected)",
            num(p * sent as f64)
        );
    }
    println!(
        "  symbol-error rate  {} ({})",
        report.measured.symbols,
        Estimator::Brute.describe()
    );
    println!(
        "  bit-error rate     {} (2-bit code per ternary symbol; brute-force count)",
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
    if let Some(p) = out_file {
        println!(
            "wrote {} (merge the shards with `lightloop merge`)",
            p.display()
        );
    }
    Ok(())
}

/// Prints an importance-sampling estimate (text or JSON).
fn print_rare(a: &SimulateArgs, r: &rare::Report, asked: Estimator) -> CliResult<()> {
    if a.json {
        return print_json(r);
    }
    let e = &r.estimate;
    println!(
        "Reference chain of rig {} at {} received (seed {}), symbols of {}",
        r.rig,
        si(r.received_power_w, "W"),
        r.seed,
        si(r.symbol_period_s, "s"),
    );
    println!(
        "  estimator          {}{}",
        e.estimator.describe(),
        match (asked, e.auto_predicted_ser) {
            (Estimator::Auto, Some(p)) => format!(
                " (auto: the probe block's eye predicts SER {p:.1e}, {} errors expected among --symbols {})",
                num(p * a.symbols as f64),
                a.symbols
            ),
            _ => String::new(),
        }
    );
    println!(
        "  symbols sent       {} counted (one in {} biased: {} per error class), {} before them to choose the shift{}",
        num(e.symbols as f64),
        e.spacing,
        num(e.classes.first().map_or(0, |c| c.samples) as f64),
        num(e.preparation_symbols as f64),
        if e.estimator == Estimator::CrossEntropy {
            format!(
                " ({} cross-entropy rounds{})",
                e.ce_rounds,
                if e.ce_converged {
                    ""
                } else {
                    ", some levels short of their threshold: the estimate stays unbiased but its interval is wide"
                }
            )
        } else {
            String::new()
        }
    );
    for (name, f) in [
        ("symbol-error rate", &e.symbol_error_rate),
        ("bit-error rate   ", &e.bit_error_rate),
    ] {
        if f.rate == 0.0 {
            println!("  {name}  0 ({}; see the note)", e.estimator);
            continue;
        }
        println!(
            "  {name}  {f} ({}; 95 % interval ±{:.1} %; effective sample size {}; a brute-force count would need {} symbols)",
            e.estimator,
            100.0 * f.relative_half_width,
            num(f.effective_sample_size),
            num(f.equivalent_symbols)
        );
    }
    let mut table = crate::table::Table::new(
        &[
            "sent",
            "error",
            "biased symbols",
            "errors drawn",
            "P(error | sent)",
            "std error",
            "ESS",
            "shift |μ| (σ) after −1/0/+1",
            "biased variance",
        ],
        &[crate::table::Align::Right; 9],
    );
    for c in &e.classes {
        table.row(vec![
            format!("{:+}", c.sent),
            if c.direction > 0 {
                "above".into()
            } else {
                "below".into()
            },
            num(c.samples as f64),
            num(c.hits as f64),
            format!("{:.3e}", c.probability),
            format!("{:.2e}", c.std_error),
            num(c.effective_sample_size),
            format!(
                "{:.2} / {:.2} / {:.2}",
                c.shift_sigma[0], c.shift_sigma[1], c.shift_sigma[2]
            ),
            c.biased_variance_share
                .map_or("-".into(), |s| format!("{:.1} %", 100.0 * s)),
        ]);
    }
    for line in table.render().lines() {
        println!("  {line}");
    }
    for n in &e.notes {
        println!("  note: {n}");
    }
    println!(
        "  assumptions: biased symbols {} apart, beyond the chain's memory of the receiver's noise (TIA filter {} samples, the comparator's hysteresis one decision); Poisson shot noise below 1000 electrons per sample, RIN, ASE, jitter and drift are not biased (unbiased, less efficient where they dominate); the energy ledger is not reported for importance-sampled runs",
        e.spacing, e.lead
    );
    Ok(())
}

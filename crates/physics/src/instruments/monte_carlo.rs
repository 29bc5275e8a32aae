//! One Monte-Carlo count of the reference chain, whole or one shard of it: the limits a run is
//! held to before it starts, the count itself, and the shard file that `lightloop merge` adds
//! up. The command line's `simulate` and the Python package's `simulate` (and its distributed
//! runs) are both this, so a shard written by either merges with the other's.
//!
//! Shard K of N counts symbols ⌊(K−1)·S/N⌋ … ⌊K·S/N⌋−1 of the S symbols on a chain of its own,
//! calibrated afresh, whose random streams are keyed by the root seed and K only
//! ([`Shard::stream_key`]); shard 1/1 is the unsharded run.

use super::ber::{self, Counted, ESTIMATED_RATE, MAX_SAMPLES_PER_SYMBOL};
use super::count::ErrorCount;
use crate::chain::{ReferenceChain, SimSettings};
use crate::rng::stream;
use lightloop_cost::shard::{CountShard, Shard, ShardHeader, ShardKind, Tally, run_id};
use lightloop_rig::Rig;
use std::fmt;

/// Symbols per block of the chain: a trace, the progress and a cancel flag see each block.
pub const BLOCK: usize = 8192;

/// Training symbols per level for the comparator's thresholds, before counting.
pub const CALIBRATION: usize = 500;

/// A count of random ternary symbols through one channel's reference chain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    /// Full-scale (+1 level) power at the photodiode, W.
    pub power: f64,
    /// Symbols of the whole run (all shards together).
    pub symbols: u64,
    pub samples_per_symbol: usize,
    pub seed: u64,
    /// Count only this shard of the symbols.
    pub shard: Option<Shard>,
}

/// Why a count may not start. [`Limit::message`] words it with the front end's names for the
/// settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// No symbols, or no samples per symbol.
    Empty,
    /// The received power is not a positive, finite number of watts.
    Power(f64),
    /// More samples per symbol than [`MAX_SAMPLES_PER_SYMBOL`].
    SamplesPerSymbol(usize),
    /// A time limit that is not a positive number of seconds.
    TimeLimit(f64),
    /// More shards than symbols (each shard counts at least one).
    MoreShardsThanSymbols(Shard),
    /// The run's estimated time at [`ESTIMATED_RATE`] exceeds the time limit.
    TooLong {
        /// Symbols of this run (its shard's share).
        symbols: u64,
        samples: f64,
        seconds: f64,
        limit: f64,
    },
}

/// What a front end calls the settings of a [`Count`], for messages.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    pub power: &'static str,
    pub symbols: &'static str,
    pub samples_per_symbol: &'static str,
    pub time_limit: &'static str,
    pub shard: &'static str,
}

impl Names {
    /// The command line's options.
    pub const CLI: Names = Names {
        power: "--power",
        symbols: "--symbols",
        samples_per_symbol: "--samples-per-symbol",
        time_limit: "--time-limit",
        shard: "--shard",
    };
}

impl Limit {
    /// The setting a message is about (one of `names`).
    pub fn key(&self, names: &Names) -> &'static str {
        match self {
            Limit::Empty => names.symbols,
            Limit::Power(_) => names.power,
            Limit::SamplesPerSymbol(_) => names.samples_per_symbol,
            Limit::TimeLimit(_) | Limit::TooLong { .. } => names.time_limit,
            Limit::MoreShardsThanSymbols(_) => names.shard,
        }
    }

    /// The message, naming the settings as `names` does, the estimate, and how to go on.
    pub fn message(&self, count: &Count, names: &Names) -> String {
        match self {
            Limit::Empty => format!(
                "{} and {} must be at least 1",
                names.symbols, names.samples_per_symbol
            ),
            Limit::Power(p) => format!(
                "{}: the received power must be a positive number of watts, not {p}",
                names.power
            ),
            Limit::SamplesPerSymbol(n) => format!(
                "{} {n}: at most {MAX_SAMPLES_PER_SYMBOL} (a block of {BLOCK} symbols would hold {:.3e} bytes per buffer)",
                names.samples_per_symbol,
                BLOCK as f64 * 8.0 * *n as f64
            ),
            Limit::TimeLimit(t) => format!(
                "{} must be a positive number of seconds, not {t}",
                names.time_limit
            ),
            Limit::MoreShardsThanSymbols(s) => format!(
                "{} {s}: more shards than {} {} (each shard counts at least one symbol)",
                names.shard, names.symbols, count.symbols
            ),
            Limit::TooLong {
                symbols,
                samples,
                seconds,
                limit,
            } => format!(
                "{} {}{} × {} {} = {samples:.3e} channel-samples, about {seconds:.0} s at 10⁷ per second; the limit is {} {limit} s (raise it to run longer)",
                names.symbols,
                count.symbols,
                if *symbols == count.symbols {
                    String::new()
                } else {
                    format!(" ({symbols} in this shard)")
                },
                names.samples_per_symbol,
                count.samples_per_symbol,
                names.time_limit,
            ),
        }
    }
}

impl Count {
    /// The symbols this run counts: its shard's block, or all of them.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.shard
            .map_or(0..self.symbols, |s| s.range(self.symbols))
    }

    /// The key of this run's random streams: the shard's, or 0 for the whole run.
    pub fn stream_key(&self) -> u64 {
        self.shard.map_or(0, |s| s.stream_key())
    }

    /// Checks the count against the engine's limits before any work: memory per block, and the
    /// time estimated at [`ESTIMATED_RATE`] against `time_limit` (s).
    pub fn check(&self, time_limit: f64) -> Result<(), Limit> {
        if !(self.power.is_finite() && self.power > 0.0) {
            return Err(Limit::Power(self.power));
        }
        if self.symbols == 0 || self.samples_per_symbol == 0 {
            return Err(Limit::Empty);
        }
        if let Some(s) = self.shard
            && s.count > self.symbols
        {
            return Err(Limit::MoreShardsThanSymbols(s));
        }
        if self.samples_per_symbol > MAX_SAMPLES_PER_SYMBOL {
            return Err(Limit::SamplesPerSymbol(self.samples_per_symbol));
        }
        if !(time_limit.is_finite() && time_limit > 0.0) {
            return Err(Limit::TimeLimit(time_limit));
        }
        let r = self.range();
        let symbols = r.end - r.start;
        let samples = symbols as f64 * self.samples_per_symbol as f64;
        let seconds = samples / ESTIMATED_RATE;
        if seconds > time_limit {
            return Err(Limit::TooLong {
                symbols,
                samples,
                seconds,
                limit: time_limit,
            });
        }
        Ok(())
    }

    /// Runs the count on `rig`'s chain: builds the chain for this run's streams, calibrates its
    /// thresholds and sends the run's symbols in blocks of [`BLOCK`]; `each(first, sent,
    /// readout, decided)` sees every block (first counted from the run's own first symbol)
    /// and may stop the run with its error.
    pub fn run<E>(
        &self,
        rig: &Rig,
        each: impl FnMut(usize, &[i8], &[f64], &[i8]) -> Result<(), E>,
    ) -> Result<(ReferenceChain, Counted), E> {
        let sim = SimSettings {
            seed: self.seed,
            samples_per_symbol: self.samples_per_symbol,
            ..SimSettings::default()
        };
        let key = self.stream_key();
        let mut chain = ReferenceChain::from_rig(rig, &sim, 0, key);
        chain.set_received_power(self.power);
        chain.calibrate(CALIBRATION);
        let mut rng = stream(self.seed, "bench.symbols", 0, key);
        let r = self.range();
        let counted = ber::count_symbols(
            &mut chain,
            &mut rng,
            (r.end - r.start) as usize,
            BLOCK,
            each,
        )?;
        Ok((chain, counted))
    }

    /// The identity of the run every shard carries (and a merge compares): the rig as loaded
    /// (`rig_toml`, overrides applied), the power, symbols, samples per symbol and seed, and
    /// the version.
    pub fn identity(&self, rig_toml: &str) -> serde_json::Value {
        serde_json::json!({
            "lightloop_simulate": 1,
            "version": env!("CARGO_PKG_VERSION"),
            "rig": rig_toml,
            "received_power_w": self.power,
            "symbols": self.symbols,
            "samples_per_symbol": self.samples_per_symbol,
            "seed": self.seed,
        })
    }

    /// The shard file of this run (which must be a shard): its identity, counts, and the
    /// energy and simulated time of `chain` (sums a merge adds).
    pub fn shard_file(
        &self,
        rig: &Rig,
        rig_toml: &str,
        chain: &ReferenceChain,
        counted: &Counted,
    ) -> Option<CountShard> {
        let shard = self.shard?;
        let about = self.identity(rig_toml);
        let tally = |c: &ErrorCount| Tally {
            errors: c.errors,
            trials: c.trials,
        };
        Some(CountShard {
            header: ShardHeader::new(
                ShardKind::Counts,
                run_id(&about.to_string()),
                shard,
                self.symbols,
                format!(
                    "simulate rig {} at {:.6e} W, {} symbols, seed {}",
                    rig.rig.name, self.power, self.symbols, self.seed
                ),
            ),
            about,
            counts: [
                ("symbols".to_string(), tally(&counted.symbols)),
                ("bits".to_string(), tally(&counted.bits)),
            ]
            .into(),
            sums: [
                ("energy_j".to_string(), chain.energy().total()),
                ("simulated_s".to_string(), chain.elapsed()),
            ]
            .into(),
        })
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} symbols at {:.3e} W, {} samples per symbol, seed {}",
            self.symbols, self.power, self.samples_per_symbol, self.seed
        )?;
        if let Some(s) = self.shard {
            write!(f, ", shard {s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(symbols: u64, shard: Option<Shard>) -> Count {
        Count {
            power: 1e-5,
            symbols,
            samples_per_symbol: 8,
            seed: 3,
            shard,
        }
    }

    #[test]
    fn limits_are_checked_before_any_work() {
        let s = |k, n| Some(Shard::new(k, n).unwrap());
        assert_eq!(count(100, None).check(10.0), Ok(()));
        assert_eq!(count(0, None).check(10.0), Err(Limit::Empty));
        assert_eq!(
            count(2, s(1, 3)).check(10.0),
            Err(Limit::MoreShardsThanSymbols(Shard::new(1, 3).unwrap()))
        );
        let mut c = count(100, None);
        c.samples_per_symbol = MAX_SAMPLES_PER_SYMBOL + 1;
        assert_eq!(
            c.check(10.0),
            Err(Limit::SamplesPerSymbol(MAX_SAMPLES_PER_SYMBOL + 1))
        );
        assert_eq!(count(100, None).check(0.0), Err(Limit::TimeLimit(0.0)));
        let mut c = count(100, None);
        c.power = -1.0;
        assert_eq!(c.check(10.0), Err(Limit::Power(-1.0)));
        // 10⁹ symbols × 8 samples is 800 s at 10⁷/s; a shard of 10 is 80 s.
        let whole = count(1_000_000_000, None);
        let e = whole.check(100.0).unwrap_err();
        assert!(matches!(e, Limit::TooLong { seconds, .. } if (seconds - 800.0).abs() < 1e-6));
        let msg = e.message(&whole, &Names::CLI);
        assert!(
            msg.contains("--symbols 1000000000 × --samples-per-symbol 8"),
            "{msg}"
        );
        assert!(msg.contains("--time-limit 100 s"), "{msg}");
        assert_eq!(e.key(&Names::CLI), "--time-limit");
        let part = count(1_000_000_000, s(1, 10));
        assert_eq!(part.check(100.0), Ok(()));
        let e = part.check(50.0).unwrap_err();
        assert!(
            e.message(&part, &Names::CLI)
                .contains("(100000000 in this shard)")
        );
    }

    #[test]
    fn shards_count_their_own_blocks_and_file_the_run_identity() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let c = count(300, Some(Shard::new(2, 3).unwrap()));
        assert_eq!(c.range(), 100..200);
        let mut firsts = Vec::new();
        let (chain, counted) = c
            .run(&rig, |first, s, _, _| {
                firsts.push((first, s.len()));
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!(firsts, vec![(0, 100)]);
        assert_eq!(counted.symbols.trials, 100);
        let file = c.shard_file(&rig, "rig text", &chain, &counted).unwrap();
        assert_eq!(file.header.total, 300);
        assert_eq!(file.counts["symbols"].trials, 100);
        assert_eq!(file.counts["bits"].trials, 200);
        assert!(file.sums["energy_j"] > 0.0 && file.sums["simulated_s"] > 0.0);
        // The identity (so the run id) is the same for every shard of the run, and changes
        // with the seed.
        let other = count(300, Some(Shard::new(1, 3).unwrap()));
        let (ch, co) = other.run(&rig, |_, _, _, _| Ok::<(), ()>(())).unwrap();
        let f1 = other.shard_file(&rig, "rig text", &ch, &co).unwrap();
        assert_eq!(f1.header.run, file.header.run);
        let mut reseeded = c;
        reseeded.seed = 4;
        assert_ne!(reseeded.identity("rig text"), c.identity("rig text"));
        // The whole run has no shard file.
        assert!(count(300, None).shard_file(&rig, "", &ch, &co).is_none());
    }
}

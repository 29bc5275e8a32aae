//! Error counting with confidence intervals.
//!
//! Every error rate the test plan reports carries the number of trials and a Wilson 95 % score
//! interval (Wilson, J. Am. Stat. Assoc. 22(158), 1927; [`lightloop_base::stats::wilson_interval`]).
//! Zero observed errors is reported as an upper bound only (≈ 3.8/n at 95 %, close to the
//! "rule of three" 3/n).

use crate::rng::{Rng, uniform};
use lightloop_base::stats::{Z95, wilson_interval};
use serde::Serialize;
use std::fmt;

/// Errors seen in a number of trials, with the Wilson 95 % interval of the rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErrorCount {
    pub errors: u64,
    pub trials: u64,
    /// errors / trials.
    pub rate: f64,
    /// Lower end of the 95 % interval (0 when no error was seen).
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
}

impl ErrorCount {
    pub fn new(errors: u64, trials: u64) -> Self {
        let (low, high) = wilson_interval(errors, trials, Z95);
        Self {
            errors,
            trials,
            rate: if trials == 0 {
                f64::NAN
            } else {
                errors as f64 / trials as f64
            },
            low: if errors == 0 { 0.0 } else { low },
            high,
        }
    }
    /// True when no error was seen: only the upper bound is meaningful.
    pub fn is_bound(&self) -> bool {
        self.errors == 0
    }
    /// Adds the counts of `other`.
    pub fn plus(&self, other: &ErrorCount) -> Self {
        Self::new(self.errors + other.errors, self.trials + other.trials)
    }
}

impl fmt::Display for ErrorCount {
    /// `1.2e-3 [9.8e-4, 1.5e-3] (120/100000)` or `< 3.0e-5 (0/100000)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_bound() {
            write!(f, "< {:.1e} (0/{})", self.high, self.trials)
        } else {
            write!(
                f,
                "{:.2e} [{:.1e}, {:.1e}] ({}/{})",
                self.rate, self.low, self.high, self.errors, self.trials
            )
        }
    }
}

/// Two-bit Gray-like code of a ternary symbol: −1 → 00, 0 → 01, +1 → 11, so that an error to a
/// neighbouring level flips one bit and an error across both thresholds flips two. A bit-error
/// rate of a ternary link is quoted per bit of this code (2 bits per symbol).
pub fn ternary_code(symbol: i8) -> u8 {
    match symbol {
        -1 => 0b00,
        0 => 0b01,
        _ => 0b11,
    }
}

/// (symbol errors, bit errors) between sent and decided symbols.
pub fn count_errors(sent: &[i8], decided: &[i8]) -> (u64, u64) {
    sent.iter().zip(decided).fold((0, 0), |(s, b), (x, y)| {
        let flips = (ternary_code(*x) ^ ternary_code(*y)).count_ones() as u64;
        (s + (x != y) as u64, b + flips)
    })
}

/// `n` equiprobable ternary symbols.
pub fn random_symbols(n: usize, rng: &mut Rng) -> Vec<i8> {
    (0..n)
        .map(|_| ((uniform(rng) * 3.0) as i8).min(2) - 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_errors_follow_the_code() {
        assert_eq!(count_errors(&[-1, 0, 1, 1], &[-1, 1, -1, 1]), (2, 3));
        let c = ErrorCount::new(0, 1_000_000);
        assert!(c.is_bound() && c.high > 3e-6 && c.high < 4e-6, "{c}");
        assert!(format!("{c}").starts_with("< "));
        let c = ErrorCount::new(100, 10_000);
        assert!(c.low < 0.01 && c.high > 0.01 && c.low > 0.008 && c.high < 0.0122);
    }

    #[test]
    fn symbols_are_equiprobable() {
        let mut rng = crate::rng::stream(1, "test", 0, 0);
        let s = random_symbols(30_000, &mut rng);
        for level in -1..=1 {
            let n = s.iter().filter(|x| **x == level).count();
            assert!((n as f64 / 10_000.0 - 1.0).abs() < 0.05, "{level}: {n}");
        }
    }
}

//! Semantic checks on descriptions: ranges, finiteness, consistency.
//!
//! Checks address values by their dotted key; the [`Document`](crate::Document) that holds the
//! description turns each problem into an error with file and line.

use crate::error::ErrorKind;
use crate::units::{Dimension, Quantity};

/// One problem found in a description, addressed by key.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            kind,
            message: message.into(),
        }
    }
}

/// Something that can check itself.
pub trait Validate {
    /// Adds every problem found to the checker.
    fn check(&self, c: &mut Checker);

    /// All problems, in the order found.
    fn problems(&self) -> Vec<Problem> {
        let mut c = Checker::default();
        self.check(&mut c);
        c.problems
    }
}

/// A description derived from another in memory: the change applied to a copy, which is
/// returned only if it is still valid. Front ends parse `--set` strings; libraries derive
/// variants with this.
pub trait Derive: Validate + Clone + Sized {
    /// A copy of `self` with `change` applied, or every problem the copy has.
    fn modified(&self, change: impl FnOnce(&mut Self)) -> Result<Self, Vec<Problem>> {
        let mut copy = self.clone();
        change(&mut copy);
        let problems = copy.problems();
        if problems.is_empty() {
            Ok(copy)
        } else {
            Err(problems)
        }
    }
}

impl<T: Validate + Clone> Derive for T {}

/// Problems as one line each, `key: message`, joined by "; ".
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.key, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Collects problems.
#[derive(Debug, Default)]
pub struct Checker {
    pub problems: Vec<Problem>,
}

impl Checker {
    pub fn fail(&mut self, key: &str, kind: ErrorKind, message: impl Into<String>) {
        self.problems.push(Problem::new(key, kind, message));
    }

    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn finite(&mut self, key: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.fail(
                key,
                ErrorKind::Value,
                format!("must be a finite number; found {v}"),
            );
            false
        }
    }

    /// `v > 0`.
    pub fn positive<D: Dimension>(&mut self, key: &str, q: Quantity<D>) {
        if self.finite(key, q.si()) && q.si() <= 0.0 {
            self.fail(
                key,
                ErrorKind::Value,
                format!("must be greater than zero; found {q}"),
            );
        }
    }

    /// `v >= 0`.
    pub fn non_negative<D: Dimension>(&mut self, key: &str, q: Quantity<D>) {
        if self.finite(key, q.si()) && q.si() < 0.0 {
            self.fail(
                key,
                ErrorKind::Value,
                format!("must not be negative; found {q}"),
            );
        }
    }

    /// A loss in dB: passive parts never add power, so it must be ≥ 0 dB.
    pub fn loss_db<D: Dimension>(&mut self, key: &str, q: Quantity<D>) {
        if self.finite(key, q.si()) && q.si() < 0.0 {
            self.fail(
                key,
                ErrorKind::Value,
                format!("a loss must be ≥ 0 dB (passive parts never add power); found {q}"),
            );
        }
    }

    /// `lo <= v <= hi`, with a reason shown when out of range.
    pub fn within<D: Dimension>(&mut self, key: &str, q: Quantity<D>, lo: f64, hi: f64, why: &str) {
        if self.finite(key, q.si()) && !(lo..=hi).contains(&q.si()) {
            let lo_q = Quantity::<D>::new(lo);
            let hi_q = Quantity::<D>::new(hi);
            self.fail(
                key,
                ErrorKind::Value,
                format!("must lie between {lo_q} and {hi_q} ({why}); found {q}"),
            );
        }
    }

    /// A plain number `lo <= v <= hi`.
    pub fn number_within(&mut self, key: &str, v: f64, lo: f64, hi: f64, why: &str) {
        if self.finite(key, v) && !(lo..=hi).contains(&v) {
            self.fail(
                key,
                ErrorKind::Value,
                format!("must lie between {lo} and {hi} ({why}); found {v}"),
            );
        }
    }

    /// An integer count `>= min`.
    pub fn count_at_least(&mut self, key: &str, v: u64, min: u64) {
        if v < min {
            self.fail(
                key,
                ErrorKind::Value,
                format!("must be at least {min}; found {v}"),
            );
        }
    }

    /// An integer `lo <= v <= hi`.
    pub fn count_within(&mut self, key: &str, v: u64, lo: u64, hi: u64, why: &str) {
        if !(lo..=hi).contains(&v) {
            self.fail(
                key,
                ErrorKind::Value,
                format!("must lie between {lo} and {hi} ({why}); found {v}"),
            );
        }
    }

    /// A required non-empty text.
    pub fn non_empty(&mut self, key: &str, s: &str) {
        if s.trim().is_empty() {
            self.fail(key, ErrorKind::Value, "must not be empty");
        }
    }
}

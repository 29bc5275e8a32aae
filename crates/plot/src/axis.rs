//! Axes: their range, their labelled ticks, and the SI prefix that scales their unit.
//!
//! **Ticks.** A linear axis is labelled every 1, 2, 2.5 or 5 × 10ᵏ, the step that gives four to
//! seven labels, and its range is widened to the ticks just outside the data. A logarithmic axis
//! is labelled at the powers of ten when at least three fall in range (every second or third
//! one over many decades), else at 1, 2 and 5 × 10ᵏ, else at every integer multiple of 10ᵏ,
//! else (less than a factor of about two) at linear steps; every axis so carries at least three
//! labelled ticks, and gridlines are drawn at the labelled ticks only.
//!
//! **Units.** An axis given a unit shows its numbers with the SI prefix that brings the largest
//! to between 1 and 1000 (`1e7 µs` is shown in s) and names the scaled unit in its label. An
//! axis without a unit whose numbers are all beyond 10⁵ or below 10⁻³ shows them divided by a
//! power of ten that its label states (`× 10⁶`).

use crate::scene::Run;

/// A labelled tick: where it sits (in data units) and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub value: f64,
    pub label: Vec<Run>,
}

/// One axis as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub log: bool,
    /// The drawn range, in data units.
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<Tick>,
    /// The label with its (scaled) unit: `time to first token (ms)`.
    pub label: String,
}

impl Axis {
    /// Position of `v` between `a` (at `lo`) and `b` (at `hi`), pixels.
    pub fn map(&self, v: f64, a: f64, b: f64) -> f64 {
        let t = if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        a + t * (b - a)
    }

    /// Whether `v` can be drawn on this axis.
    pub fn admits(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }
}

const PREFIXES: [(i32, &str); 11] = [
    (-15, "f"),
    (-12, "p"),
    (-9, "n"),
    (-6, "µ"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
    (15, "P"),
];

/// The axis for data values `values` (non-finite ones, and non-positive ones on a log axis,
/// ignored), with `label` and an optional SI `unit`; `zero`: include 0 (bars on a linear axis).
pub fn axis(
    values: impl Iterator<Item = f64>,
    log: bool,
    label: &str,
    unit: Option<&str>,
    zero: bool,
) -> Axis {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        (lo, hi) = if log { (1.0, 10.0) } else { (0.0, 1.0) };
    }
    if zero && !log {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    // The display scale: an SI prefix for a unit, a power of ten otherwise.
    let biggest = lo.abs().max(hi.abs());
    let (exp, label) = match unit {
        Some(u) if !u.starts_with("dB") && biggest > 0.0 && (!log || hi / lo < 1e3) => {
            let e = (biggest.log10().floor() as i32).div_euclid(3) * 3;
            let e = e.clamp(-15, 15);
            let p = PREFIXES.iter().find(|p| p.0 == e).map_or("", |p| p.1);
            (e, format!("{label} ({p}{u})"))
        }
        Some(u) => (0, format!("{label} ({u})")),
        None if !log && biggest > 0.0 && !(1e-3..1e5).contains(&biggest) => {
            let e = (biggest.log10().floor() as i32).div_euclid(3) * 3;
            (e, format!("{label} (× 10{})", superscript(e)))
        }
        None => (0, label.to_string()),
    };
    let k = 10f64.powi(exp);
    let (slo, shi) = (lo / k, hi / k);
    let (slo, shi, ticks) = if log {
        log_ticks(slo, shi)
    } else {
        linear_ticks(slo, shi)
    };
    Axis {
        log,
        lo: slo * k,
        hi: shi * k,
        ticks: ticks
            .into_iter()
            .map(|t| Tick {
                value: t.value * k,
                label: t.label,
            })
            .collect(),
        label,
    }
}

/// A step of 1, 2, 2.5 or 5 × 10ᵏ near `raw`, and the decimals its labels need.
fn nice_steps(raw: f64) -> impl Iterator<Item = (f64, usize)> {
    let e = raw.log10().floor() as i32;
    [-1, 0, 1].into_iter().flat_map(move |d| {
        [1.0, 2.0, 2.5, 5.0].into_iter().map(move |m| {
            let p = e + d;
            let decimals = (-p).max(0) as usize + usize::from(m == 2.5);
            (m * 10f64.powi(p), decimals)
        })
    })
}

/// Ticks of a linear axis over [lo, hi], and the range widened to the ticks around the data.
pub fn linear_ticks(lo: f64, hi: f64) -> (f64, f64, Vec<Tick>) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        let pad = 0.5 * lo.abs().max(1e-300);
        (lo - pad, hi + pad)
    };
    let span = hi - lo;
    let (step, decimals) = nice_steps(span / 5.0)
        .filter(|(s, _)| {
            let n = ((hi / s).ceil() - (lo / s).floor()) as i64 + 1;
            (4..=8).contains(&n)
        })
        .min_by(|a, b| {
            let n = |s: f64| ((hi / s).ceil() - (lo / s).floor()) + 1.0;
            (n(a.0) - 5.5).abs().total_cmp(&(n(b.0) - 5.5).abs())
        })
        .unwrap_or((span / 5.0, 3));
    let (first, last) = ((lo / step).floor(), (hi / step).ceil());
    let ticks = (0..=(last - first) as i64)
        .map(|i| {
            let v = (first + i as f64) * step;
            let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
            Tick {
                value: v,
                label: vec![Run::plain(minus(&format!("{v:.decimals$}")))],
            }
        })
        .collect();
    (first * step, last * step, ticks)
}

/// An integer in Unicode superscript digits: `-3` → `⁻³`.
pub fn superscript(e: i32) -> String {
    e.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize],
        })
        .collect()
}

/// A typographic minus for a leading hyphen.
fn minus(s: &str) -> String {
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s.to_string(),
    }
}

/// `m × 10ᵉ` as runs: `10` with a superscript exponent, `2×10` with one, or plain digits.
pub fn power_label(m: f64, e: i32) -> Vec<Run> {
    if (-2..=4).contains(&e) {
        let v = m * 10f64.powi(e);
        let d = (-e).max(0) as usize;
        return vec![Run::plain(format!("{v:.d$}"))];
    }
    let exp = Run::sup(minus(&e.to_string()));
    if m == 1.0 {
        vec![Run::plain("10"), exp]
    } else {
        vec![Run::plain(format!("{m}×10")), exp]
    }
}

/// Ticks of a logarithmic axis over [lo, hi] (both > 0), and the range widened to the
/// 1-2-5 values around the data.
pub fn log_ticks(lo: f64, hi: f64) -> (f64, f64, Vec<Tick>) {
    let (lo, hi) = if hi / lo < 1.05 {
        (lo / 1.5, hi * 1.5)
    } else {
        (lo, hi)
    };
    // Widen to 1, 2, 5 × 10ᵏ.
    let down = |x: f64| {
        let e = x.log10().floor();
        let m = x / 10f64.powf(e);
        let m = [5.0, 2.0, 1.0]
            .into_iter()
            .find(|c| *c <= m * (1.0 + 1e-9))
            .unwrap_or(1.0);
        m * 10f64.powf(e)
    };
    let up = |x: f64| {
        let e = x.log10().floor();
        let m = x / 10f64.powf(e);
        let m = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .find(|c| *c >= m * (1.0 - 1e-9))
            .unwrap_or(10.0);
        m * 10f64.powf(e)
    };
    let (lo, hi) = (down(lo), up(hi));
    let inside = |v: f64| v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9);
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let with = |mantissas: &[f64]| -> Vec<Tick> {
        (e0..=e1)
            .flat_map(|e| mantissas.iter().map(move |m| (*m, e)))
            .filter(|(m, e)| inside(m * 10f64.powi(*e)))
            .map(|(m, e)| Tick {
                value: m * 10f64.powi(e),
                label: power_label(m, e),
            })
            .collect()
    };
    let decades = with(&[1.0]);
    if decades.len() >= 3 {
        let every = decades.len().div_ceil(7);
        let ticks = decades
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|x| x.1)
            .collect();
        return (lo, hi, ticks);
    }
    for m in [
        &[1.0, 2.0, 5.0][..],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        let t = with(m);
        if t.len() >= 3 {
            return (lo, hi, t);
        }
    }
    let (_, _, t) = linear_ticks(lo, hi);
    let t: Vec<Tick> = t
        .into_iter()
        .filter(|t| t.value > 0.0 && inside(t.value))
        .collect();
    (lo, hi, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[Tick]) -> Vec<String> {
        t.iter()
            .map(|t| {
                t.label
                    .iter()
                    .map(|r| {
                        if r.superscript {
                            format!("^{}", r.text)
                        } else {
                            r.text.clone()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn linear_ticks_are_round_and_cover_the_data() {
        let (lo, hi, t) = linear_ticks(0.0, 1.0);
        assert_eq!((lo, hi), (0.0, 1.0));
        assert_eq!(labels(&t), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let (lo, hi, t) = linear_ticks(3.2, 47.0);
        assert!(
            lo <= 3.2 && hi >= 47.0 && (4..=8).contains(&t.len()),
            "{lo} {hi} {t:?}"
        );
        let (_, _, t) = linear_ticks(-5.0, 5.0);
        assert!(labels(&t)[0].starts_with('−'), "{:?}", labels(&t));
    }

    #[test]
    fn every_log_axis_has_three_labelled_ticks() {
        for (lo, hi) in [
            (1.0, 1e8),
            (20.0, 400.0),
            (60.0, 140.0),
            (95.0, 105.0),
            (1e-6, 3e-6),
            (1e-30, 1e30),
            (3.0, 3.0),
        ] {
            let (a, b, t) = log_ticks(lo, hi);
            assert!(t.len() >= 3, "{lo}..{hi}: {:?}", labels(&t));
            assert!(a <= lo && b >= hi);
            assert!(
                t.iter()
                    .all(|t| t.value >= a * 0.999 && t.value <= b * 1.001)
            );
        }
        let (_, _, t) = log_ticks(1.0, 1e8);
        // Nine decades: every second one labelled.
        assert_eq!(labels(&t)[..3], ["1", "100", "10000"]);
        assert!(labels(&t).contains(&"10^6".to_string()), "{:?}", labels(&t));
        let (_, _, t) = log_ticks(1e-6, 3e-6);
        assert!(
            labels(&t).iter().any(|l| l == "2×10^−6"),
            "{:?}",
            labels(&t)
        );
    }

    #[test]
    fn units_take_the_prefix_of_the_data() {
        let a = axis(
            [1e-3, 2e-3, 9e-3].into_iter(),
            false,
            "time",
            Some("s"),
            false,
        );
        assert_eq!(a.label, "time (ms)");
        assert!(a.ticks.iter().all(|t| t.value <= 0.0101), "{:?}", a.ticks);
        let a = axis([5.0, 1e7].into_iter(), true, "TTFT", Some("s"), false);
        assert_eq!(a.label, "TTFT (s)");
        let a = axis([2e6, 9e6].into_iter(), false, "tokens", None, false);
        assert_eq!(a.label, "tokens (× 10⁶)");
        let a = axis([0.2, 0.9].into_iter(), false, "share", None, true);
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
        let a = axis(
            [-30.0, -10.0].into_iter(),
            false,
            "power",
            Some("dBm"),
            false,
        );
        assert_eq!(a.label, "power (dBm)");
    }
}

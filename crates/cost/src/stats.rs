//! Error-rate statistics: the Gaussian tail Q, Q ↔ BER, M-PAM symbol errors, Wilson intervals.

/// Q(x) = ½·erfc(x/√2): the probability that a unit normal exceeds x.
pub fn q_function(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Bit-error rate of a binary decision at Q: BER = ½·erfc(Q/√2)
/// (Agrawal, *Fiber-Optic Communication Systems*, 4th ed., eq. 4.5.10).
/// Q = 6 gives 1e-9; Q = 7.03 gives 1e-12.
pub fn ber_from_q(q: f64) -> f64 {
    q_function(q)
}

/// The Q at which the binary BER equals `ber` (0 < ber < 0.5), by bisection on [0, 40].
pub fn q_from_ber(ber: f64) -> f64 {
    if !(ber > 0.0 && ber < 0.5) {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (0.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if ber_from_q(mid) > ber {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Symbol-error rate of M-level PAM with equally spaced levels `spacing` apart, Gaussian noise σ
/// and midpoint thresholds: SER = 2(M−1)/M · Q(spacing / 2σ) (Proakis, *Digital
/// Communications*, 5th ed., eq. 4.3-5). With signal-dependent noise the optimal thresholds move
/// off the midpoints; this is the equal-noise case.
pub fn pam_symbol_error_rate(levels: u32, spacing: f64, sigma: f64) -> f64 {
    let m = levels as f64;
    2.0 * (m - 1.0) / m * q_function(spacing / (2.0 * sigma))
}

/// Median, minimum and maximum of the finite-or-infinite values (NaN left out); all NaN when
/// none remain. The median of an even count is the mean of the middle two.
pub fn median_min_max(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    };
    (m, v[0], v[n - 1])
}

/// Wilson score interval for `k` successes (errors) in `n` trials at normal quantile `z`
/// (1.959964 for 95 %): (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)
/// (Wilson, J. Am. Stat. Assoc. 22(158), 1927). With k = 0 the upper end is ≈ z²/n, close to
/// the "rule of three" 3/n.
pub fn wilson_interval(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denom;
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_to_ber_reference_points() {
        // REFERENCES.md: Q=3.09 → 1e-3, Q=6 → 1e-9, Q=7.03 → 1e-12.
        assert!(
            (ber_from_q(3.09) / 1e-3 - 1.0).abs() < 0.01,
            "{}",
            ber_from_q(3.09)
        );
        assert!(
            (ber_from_q(6.0) / 9.866e-10 - 1.0).abs() < 1e-3,
            "{}",
            ber_from_q(6.0)
        );
        assert!(
            (ber_from_q(7.03) / 1.03e-12 - 1.0).abs() < 0.01,
            "{}",
            ber_from_q(7.03)
        );
        assert!((q_from_ber(1e-9) - 5.998).abs() < 1e-3);
        assert!((q_from_ber(ber_from_q(4.2)) - 4.2).abs() < 1e-9);
        assert!(q_from_ber(0.7).is_nan());
    }

    #[test]
    fn pam_reduces_to_binary() {
        // M = 2: SER = Q(d/2σ).
        let ser = pam_symbol_error_rate(2, 2.0, 1.0 / 6.0);
        assert!((ser - ber_from_q(6.0)).abs() < 1e-20);
        // Ternary has 4/3 the error rate of binary at the same spacing.
        let t = pam_symbol_error_rate(3, 1.0, 0.2);
        assert!((t / q_function(2.5) - 4.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn wilson_interval_known_values() {
        // Zero errors in 1000 trials: upper bound ≈ 3.8e-3 (z²/n = 3.84e-3), near 3/n.
        let (lo, hi) = wilson_interval(0, 1000, Z95);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.003826).abs() < 2e-5, "{hi}");
        // 50 of 100: centre 0.5, half-width ≈ 0.0962.
        let (lo, hi) = wilson_interval(50, 100, Z95);
        assert!(
            (lo - 0.4038).abs() < 1e-3 && (hi - 0.5962).abs() < 1e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn median_min_max_leaves_out_nan() {
        assert_eq!(
            super::median_min_max(vec![3.0, f64::NAN, 1.0, 2.0]),
            (2.0, 1.0, 3.0)
        );
        assert_eq!(
            super::median_min_max(vec![4.0, 1.0, 2.0, 3.0]),
            (2.5, 1.0, 4.0)
        );
        assert!(super::median_min_max(vec![f64::NAN]).0.is_nan());
    }
}

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

/// Symbol-error rate of a ternary decision {−1, 0, +1} with hysteresis, for equiprobable
/// symbols read as levels `means` with Gaussian noise `sds` against thresholds (t₁, t₂).
/// Hysteresis h: leaving the previous decision s needs a threshold crossed by h/2, so the
/// thresholds in use are lo(s) = t₁ + h/2 after a −1 (t₁ − h/2 otherwise) and hi(s) = t₂ − h/2
/// after a +1 (t₂ + h/2 otherwise), and a value above hi is decided +1, else below lo −1, else 0
/// (the physics engine's comparator). The decisions form a Markov chain over s:
/// P(d = +1 | i, s) = Q((hi − mᵢ)/σᵢ), P(d = −1 | i, s) = Q((mᵢ − min(lo, hi))/σᵢ), and the
/// stationary distribution π of s weights each state's error rate. Each error probability is
/// the tail it is (not 1 minus the right decision), so rates far below 10⁻¹⁶ keep their
/// accuracy. With h = 0, equally spaced levels and midpoint thresholds this is
/// [`pam_symbol_error_rate`] (tested).
pub fn ternary_ser(means: [f64; 3], sds: [f64; 3], thresholds: (f64, f64), hysteresis: f64) -> f64 {
    let (t1, t2) = thresholds;
    let h = hysteresis / 2.0;
    let sd = sds.map(|s| s.max(f64::MIN_POSITIVE));
    // [P(d = −1), P(d = 0), P(d = +1), P(error)] for previous decision s and level i.
    let p: [[[f64; 4]; 3]; 3] = std::array::from_fn(|s| {
        let hi = if s == 2 { t2 - h } else { t2 + h };
        let lo = (if s == 0 { t1 + h } else { t1 - h }).min(hi);
        std::array::from_fn(|i| {
            let m = means[i];
            let down = q_function((m - lo) / sd[i]);
            let up = q_function((hi - m) / sd[i]);
            let error = match i {
                0 => q_function((lo - m) / sd[i]),
                1 => down + up,
                _ => q_function((m - hi) / sd[i]),
            };
            [down, (1.0 - down - up).max(0.0), up, error]
        })
    });
    // π by power iteration: each step mixes through the random symbol, so it converges fast.
    let mut pi = [1.0 / 3.0; 3];
    for _ in 0..200 {
        let mut next = [0.0; 3];
        for (ps, pis) in p.iter().zip(pi) {
            for level in ps {
                for (n, pd) in next.iter_mut().zip(level) {
                    *n += pis * pd / 3.0;
                }
            }
        }
        let total: f64 = next.iter().sum();
        pi = next.map(|x| x / total);
    }
    (0..3)
        .map(|s| pi[s] * p[s].iter().map(|level| level[3]).sum::<f64>() / 3.0)
        .sum()
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
        // docs/references.md: Q=3.09 → 1e-3, Q=6 → 1e-9, Q=7.03 → 1e-12.
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

    /// Without hysteresis the ternary decision's rate is the PAM formula, down to rates far
    /// below 10⁻¹⁶ (each error is its own tail); with hysteresis it follows a Monte-Carlo run
    /// of the decision rule (the physics engine's comparator) within 3 % (measured 0.2 %), and it
    /// rises with h.
    #[test]
    fn ternary_decision_with_and_without_hysteresis() {
        for sigma in [0.5, 0.2, 0.1, 0.05, 0.02] {
            let pam = pam_symbol_error_rate(3, 1.0, sigma);
            let markov = ternary_ser([0.0, 1.0, 2.0], [sigma; 3], (0.5, 1.5), 0.0);
            assert!(
                (markov / pam - 1.0).abs() < 1e-12,
                "σ {sigma}: {markov} vs {pam}"
            );
        }
        // Unequal levels and noise, a hysteresis of 0.3 on thresholds 1 apart.
        let (means, sds, thresholds, h) = ([0.0, 0.9, 2.1], [0.25, 0.3, 0.35], (0.5, 1.5), 0.3);
        let predicted = ternary_ser(means, sds, thresholds, h);
        let mut rng = crate::rng::stream(1, "test.ternary", 0, 0);
        let (mut state, mut errors, n) = (0i8, 0u32, 1_000_000);
        for _ in 0..n {
            let i = (crate::rng::uniform(&mut rng) * 3.0) as usize % 3;
            let v = means[i] + sds[i] * crate::rng::normal(&mut rng);
            let lo = if state == -1 {
                0.5 + h / 2.0
            } else {
                0.5 - h / 2.0
            };
            let hi = if state == 1 {
                1.5 - h / 2.0
            } else {
                1.5 + h / 2.0
            };
            let d = if v > hi {
                1
            } else if v < lo {
                -1
            } else {
                0
            };
            errors += u32::from(d != i as i8 - 1);
            state = d;
        }
        let counted = errors as f64 / n as f64;
        assert!(
            (counted / predicted - 1.0).abs() < 0.03,
            "{counted} vs {predicted}"
        );
        assert!(predicted > ternary_ser(means, sds, thresholds, 0.0) * 1.2);
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

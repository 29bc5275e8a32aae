//! Blocks of Gaussian noise drawn at once.
//!
//! A stage that adds noise to every sample of a block draws all its standard normal deviates in
//! one call, by the Box–Muller transform (Box & Muller, Ann. Math. Stat. 29, 610, 1958): for
//! independent uniforms u₁ ∈ (0, 1] and u₂ ∈ [0, 1), r = √(−2 ln u₁) and θ = 2π·u₂ − π give two
//! independent standard normals r·cos θ and r·sin θ. The uniforms come from the stream in order
//! (one 64-bit word each, 52 bits used), then the transform runs as a pass without branches
//! that vectorises. With 52-bit uniforms r is at most √(2·52·ln 2) ≈ 8.5: the tails are exact
//! out to 8.5σ and missing beyond (probability 2·10⁻¹⁷ per draw), far below any error rate a
//! simulation can count.

use crate::fastmath::{ln, sin_cos};
use crate::rng::Rng;
use rand::RngCore;

/// A uniform in [0, 1) from the top 52 bits of a random word, without an integer-to-float
/// conversion: 1 + 52 random mantissa bits, minus 1.
#[inline(always)]
fn unit(word: u64) -> f64 {
    f64::from_bits(0x3FF0_0000_0000_0000 | (word >> 12)) - 1.0
}

/// Replaces `out` with `n` standard normal deviates from `rng` (an even number of words is
/// drawn: `n` rounded up to even).
pub fn fill_normals(rng: &mut Rng, n: usize, out: &mut Vec<f64>) {
    let pairs = n.div_ceil(2);
    out.clear();
    out.extend((0..2 * pairs).map(|_| unit(rng.next_u64())));
    let (radius, angle) = out.split_at_mut(pairs);
    lightloop_cost::avx2_or!(
        // SAFETY: run only where the processor has AVX2.
        unsafe { box_muller_avx2(radius, angle) },
        box_muller_generic(radius, angle)
    );
    out.truncate(n);
}

/// The Box–Muller transform of uniforms u₁ (as 1 − u) and u₂, in place: a pass without
/// branches, compiled for AVX2 as well (the same operations in the same order, so the same
/// numbers).
#[inline(always)]
fn box_muller_generic(radius: &mut [f64], angle: &mut [f64]) {
    for (u1, u2) in radius.iter_mut().zip(angle.iter_mut()) {
        let r = (-2.0 * ln(1.0 - *u1)).sqrt();
        let (s, c) = sin_cos(std::f64::consts::TAU * *u2 - std::f64::consts::PI);
        *u1 = r * c;
        *u2 = r * s;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn box_muller_avx2(radius: &mut [f64], angle: &mut [f64]) {
    box_muller_generic(radius, angle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    /// Mean 0, variance 1, skewness 0 and kurtosis 3 to within their sampling errors (5σ bounds
    /// at 2·10⁶ draws), the two halves of each pair uncorrelated, and the fraction beyond 1σ, 2σ
    /// and 3σ within 3 % of erfc(k/√2).
    #[test]
    fn draws_are_standard_normal() {
        let n = 2_000_000;
        let mut out = Vec::new();
        fill_normals(&mut stream(4, "test.gaussian", 0, 0), n, &mut out);
        assert_eq!(out.len(), n);
        let m = |k: i32| out.iter().map(|x| x.powi(k)).sum::<f64>() / n as f64;
        let (m1, m2, m3, m4) = (m(1), m(2), m(3), m(4));
        assert!(m1.abs() < 5.0 / (n as f64).sqrt(), "mean {m1}");
        assert!(
            (m2 - 1.0).abs() < 5.0 * 2f64.sqrt() / (n as f64).sqrt(),
            "variance {m2}"
        );
        assert!(
            m3.abs() < 5.0 * 15f64.sqrt() / (n as f64).sqrt(),
            "skewness {m3}"
        );
        assert!(
            (m4 - 3.0).abs() < 5.0 * 96f64.sqrt() / (n as f64).sqrt(),
            "kurtosis {m4}"
        );
        let half = n / 2;
        let cross = (0..half).map(|i| out[i] * out[half + i]).sum::<f64>() / half as f64;
        assert!(
            cross.abs() < 5.0 / (half as f64).sqrt(),
            "pair correlation {cross}"
        );
        for (k, tail) in [
            (1.0, 0.317_310_507_862_914),
            (2.0, 0.045_500_263_896_358),
            (3.0, 0.002_699_796_063_260),
        ] {
            let frac = out.iter().filter(|x| x.abs() > k).count() as f64 / n as f64;
            assert!(
                (frac / tail - 1.0).abs() < 0.03,
                "beyond {k}σ: {frac} vs {tail}"
            );
        }
        // An odd count draws the words of the next even count and drops its last deviate.
        let (mut odd, mut even) = (Vec::new(), Vec::new());
        fill_normals(&mut stream(4, "test.gaussian", 0, 1), 7, &mut odd);
        fill_normals(&mut stream(4, "test.gaussian", 0, 1), 8, &mut even);
        assert_eq!(odd, even[..7]);
    }
}

//! Fast elementary functions for per-sample inner loops.

/// e^x for x ≤ 0 (and modest x > 0), relative error below 1e-10: x·log₂e is split into an
/// integer n and a fraction f ∈ [−½, ½]; 2^f is a degree-9 Taylor polynomial of e^(f·ln2) and 2^n
/// is applied by building the floating-point exponent. About three times faster than libm's exp.
#[inline]
pub fn exp(x: f64) -> f64 {
    if x < -700.0 {
        return 0.0;
    }
    if x > 700.0 {
        return x.exp();
    }
    exp_bounded(x)
}

/// [`exp`] for |x| ≤ 700 without the range checks: straight-line code, so that a loop of it
/// vectorises. 2ⁿ is built from the shifter's bit pattern (t + 1.5·2⁵² holds n in its low
/// mantissa bits), integer add and shift only, so no float-to-integer conversion is needed.
#[inline(always)]
pub fn exp_bounded(x: f64) -> f64 {
    let t = x * std::f64::consts::LOG2_E;
    // Round to nearest by the 1.5·2⁵² shifter (exact for |t| < 2⁵¹), avoiding a libm call.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let shifted = t + SHIFT;
    let n = shifted - SHIFT;
    let y = (t - n) * std::f64::consts::LN_2;
    // Σ yᵏ/k!, k ≤ 9, in Estrin's scheme (pairs, then powers y², y⁴, y⁸) for a short dependency
    // chain: |y| ≤ ln2/2 ≈ 0.347, remainder < 0.347¹⁰/10! ≈ 7e-12.
    let y2 = y * y;
    let y4 = y2 * y2;
    let y8 = y4 * y4;
    let p01 = 1.0 + y;
    let p23 = 0.5 + y * (1.0 / 6.0);
    let p45 = 1.0 / 24.0 + y * (1.0 / 120.0);
    let p67 = 1.0 / 720.0 + y * (1.0 / 5040.0);
    let p89 = 1.0 / 40320.0 + y * (1.0 / 362880.0);
    let p = (p01 + y2 * p23) + y4 * (p45 + y2 * p67) + y8 * p89;
    // The low 12 bits of `shifted`'s pattern are n mod 2¹² (n + 1023 ∈ [13, 2033] here); the
    // shift drops every bit above them.
    p * f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52)
}

/// ln x for positive normal x, within 3e-16 relative (or absolute, near x = 1) of libm:
/// x = m·2ᵉ with m ∈ [√½, √2), ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| < 0.172, summed
/// to s²¹ (remainder below 0.172²²/23 ≈ 7e-19). Straight-line code, so that a loop of it
/// vectorises; zero, negative, subnormal and non-finite inputs give meaningless results.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // Exponent and mantissa, with the mantissa moved into [√½, √2): if m ≥ √2, halve it and
    // raise the exponent. 0x6A09E… is the mantissa field of √2.
    const SQRT2_MANTISSA: u64 = 0x0006_A09E_667F_3BCD;
    let mantissa = bits & 0x000F_FFFF_FFFF_FFFF;
    let high = mantissa >= SQRT2_MANTISSA;
    let m = f64::from_bits(
        mantissa
            | if high {
                0x3FE0_0000_0000_0000
            } else {
                0x3FF0_0000_0000_0000
            },
    );
    // The exponent as a float without an integer-to-float conversion (AVX2 has none for 64-bit
    // lanes): 2⁵² + biased exponent, built from bits, minus 2⁵² + 1023.
    const TWO52: f64 = 4_503_599_627_370_496.0;
    let biased = f64::from_bits(0x4330_0000_0000_0000 | ((bits >> 52) & 0x7FF));
    let e = (biased - (TWO52 + 1023.0)) + if high { 1.0 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    // Σ s²ᵏ/(2k + 1), k ≤ 10, in Estrin's scheme.
    let q01 = 1.0 + s2 * (1.0 / 3.0);
    let q23 = 1.0 / 5.0 + s2 * (1.0 / 7.0);
    let q45 = 1.0 / 9.0 + s2 * (1.0 / 11.0);
    let q67 = 1.0 / 13.0 + s2 * (1.0 / 15.0);
    let q89 = 1.0 / 17.0 + s2 * (1.0 / 19.0);
    let q = (q01 + s4 * q23) + s8 * ((q45 + s4 * q67) + s8 * (q89 + s4 * (1.0 / 21.0)));
    // ln 2 in two parts (fdlibm's): e·LN2_HI is exact for |e| < 2¹¹.
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    e * LN2_HI + (e * LN2_LO + 2.0 * s * q)
}

/// tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)) with [`exp`]: absolute error below 1e-10
/// (relative error grows as |x| → 0, where the absolute error is what matters for a neuron's
/// output). Branch-free (|x| is clamped at 20, where the formula already rounds to exactly 1),
/// so that a loop of it vectorises; NaN stays NaN.
#[inline]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let a = if a > 20.0 { 20.0 } else { a };
    let t = 1.0 - 2.0 / (exp_bounded(2.0 * a) + 1.0);
    t.copysign(x)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tanh_matches_libm() {
        for i in 0..200_001 {
            let x = -25.0 + i as f64 * 0.00025;
            let (a, b) = (super::tanh(x), x.tanh());
            assert!((a - b).abs() < 1e-10, "{x}: {a} vs {b}");
        }
    }

    #[test]
    fn matches_libm() {
        for i in 0..100_000 {
            let x = -50.0 + i as f64 * 0.0006;
            let (a, b) = (super::exp(x), x.exp());
            assert!((a / b - 1.0).abs() < 1e-10, "{x}: {a} vs {b}");
        }
        assert_eq!(super::exp(-800.0), 0.0);
    }

    #[test]
    fn ln_matches_libm() {
        let mut x: f64 = 1e-300;
        while x < 1e300 {
            // Either side of the √2 switch, and near both ends of the mantissa.
            let r2 = std::f64::consts::SQRT_2;
            for f in [1.0, 1.0 + 1e-12, r2 - 1e-9, r2, r2 + 1e-9, 1.9999999, 3.0] {
                let y = x * f;
                let (a, b) = (super::ln(y), y.ln());
                assert!(
                    (a - b).abs() <= 3e-16 * b.abs().max(1.0),
                    "{y:e}: {a} vs {b}"
                );
            }
            x *= 1.37;
        }
        assert_eq!(super::ln(1.0), 0.0);
    }

    #[test]
    fn tanh_saturates_exactly_and_keeps_nan() {
        for x in [20.0, 25.0, 1e6, f64::INFINITY] {
            assert_eq!(super::tanh(x), 1.0);
            assert_eq!(super::tanh(-x), -1.0);
        }
        assert!(super::tanh(f64::NAN).is_nan());
        assert_eq!(super::tanh(0.0), 0.0);
    }
}

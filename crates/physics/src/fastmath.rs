//! Fast elementary functions for per-sample inner loops.

/// 1.5·2⁵²: x + SHIFTER − SHIFTER rounds x to the nearest integer (exact for |x| < 2⁵¹), and
/// x + SHIFTER holds that integer in its low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// ln 2 in two parts (fdlibm's): n·LN2_HI is exact for |n| < 2¹¹.
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);

/// e^x for x ≤ 0 (and modest x > 0), relative error below 10⁻¹⁵: x = n·ln2 + y with n an
/// integer and |y| ≤ ln2/2; e^y is a degree-12 Taylor polynomial and 2^n is applied by building
/// the floating-point exponent. About three times faster than libm's exp.
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
    // Round to nearest by the shifter, avoiding a libm call.
    let shifted = t + SHIFTER;
    let n = shifted - SHIFTER;
    // y = x − n·ln2 with ln 2 in two parts (Cody & Waite): n·LN2_HI is exact, so y carries no
    // rounding error of |x| (a plain (t − n)·ln2 would err by |x|·2⁻⁵³).
    let y = (x - n * LN2_HI) - n * LN2_LO;
    // Σ yᵏ/k!, k ≤ 12, in Estrin's scheme (pairs, then powers y², y⁴, y⁸) for a short
    // dependency chain: |y| ≤ ln2/2 ≈ 0.347, remainder < 0.347¹³/13! ≈ 1.7e-16.
    let y2 = y * y;
    let y4 = y2 * y2;
    let y8 = y4 * y4;
    let p01 = 1.0 + y;
    let p23 = 0.5 + y * (1.0 / 6.0);
    let p45 = 1.0 / 24.0 + y * (1.0 / 120.0);
    let p67 = 1.0 / 720.0 + y * (1.0 / 5040.0);
    let p89 = 1.0 / 40320.0 + y * (1.0 / 362880.0);
    let p1011 = 1.0 / 3628800.0 + y * (1.0 / 39916800.0);
    let p = (p01 + y2 * p23)
        + y4 * (p45 + y2 * p67)
        + y8 * ((p89 + y2 * p1011) + y4 * (1.0 / 479001600.0));
    // The low 12 bits of `shifted`'s pattern are n mod 2¹² (n + 1023 ∈ [13, 2033] here); the
    // shift drops every bit above them.
    p * f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52)
}

/// e^(−x) for x ≥ 0, a decay factor: [`exp_bounded`] with x clamped at 700 (e^(−700) ≈ 10⁻³⁰⁴,
/// 0 in effect), without branches.
#[inline(always)]
pub fn decay(x: f64) -> f64 {
    exp_bounded(-(if x < 700.0 { x } else { 700.0 }))
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
    e * LN2_HI + (e * LN2_LO + 2.0 * s * q)
}

/// tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)) with [`exp`]: absolute error below 1e-15
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

/// (sin x, cos x) for |x| ≤ π, absolute error below 10⁻¹⁵: x = n·π/2 + y with n an integer and
/// |y| ≤ π/4 (π/2 in two parts, fdlibm's, so y carries no rounding of x), sin y and cos y as
/// Taylor polynomials to y¹⁵ and y¹⁶ (remainders below 0.786¹⁷/17! ≈ 4·10⁻¹⁷), then rotated by
/// n quarter turns ([`rotated`]). Straight-line code, so that a loop of it vectorises.
#[inline(always)]
pub fn sin_cos(x: f64) -> (f64, f64) {
    const PIO2_HI: f64 = f64::from_bits(0x3FF9_21FB_5440_0000);
    const PIO2_LO: f64 = f64::from_bits(0x3DD0_B461_1A62_6331);
    let shifted = x * std::f64::consts::FRAC_2_PI + SHIFTER;
    let n = shifted - SHIFTER;
    let quadrant = shifted.to_bits() & 3;
    let y = (x - n * PIO2_HI) - n * PIO2_LO;
    let y2 = y * y;
    let y4 = y2 * y2;
    let y8 = y4 * y4;
    // Σ (−1)ᵏ y²ᵏ/(2k + 1)! and Σ (−1)ᵏ y²ᵏ/(2k)!, k ≤ 7 and 8, in Estrin's scheme.
    let s01 = 1.0 - y2 * (1.0 / 6.0);
    let s23 = 1.0 / 120.0 - y2 * (1.0 / 5040.0);
    let s45 = 1.0 / 362_880.0 - y2 * (1.0 / 39_916_800.0);
    let s67 = 1.0 / 6_227_020_800.0 - y2 * (1.0 / 1_307_674_368_000.0);
    let sin = y * ((s01 + y4 * s23) + y8 * (s45 + y4 * s67));
    let c01 = 1.0 - y2 * 0.5;
    let c23 = 1.0 / 24.0 - y2 * (1.0 / 720.0);
    let c45 = 1.0 / 40_320.0 - y2 * (1.0 / 3_628_800.0);
    let c67 = 1.0 / 479_001_600.0 - y2 * (1.0 / 87_178_291_200.0);
    let cos = (c01 + y4 * c23) + y8 * ((c45 + y4 * c67) + y8 * (1.0 / 20_922_789_888_000.0));
    rotated(sin, cos, quadrant)
}

/// (sin y, cos y) turned by `quadrant` quarter turns, with selects: (sin, cos) → (cos, −sin)
/// → (−sin, −cos) → (−cos, sin). [`sin_cos`]'s, and the engine's noise's in single precision.
#[inline(always)]
pub fn rotated<T: Copy + std::ops::Neg<Output = T>>(sin: T, cos: T, quadrant: u64) -> (T, T) {
    let odd = quadrant & 1 == 1;
    let (s, c) = (if odd { cos } else { sin }, if odd { sin } else { cos });
    let s = if quadrant & 2 == 2 { -s } else { s };
    let c = if (quadrant + 1) & 2 == 2 { -c } else { c };
    (s, c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sin_cos_matches_libm() {
        let pi = std::f64::consts::PI;
        for i in 0..=200_000 {
            let x = -pi + i as f64 * (2.0 * pi / 200_000.0);
            let ((s, c), (ls, lc)) = (super::sin_cos(x), x.sin_cos());
            assert!(
                (s - ls).abs() < 1e-15 && (c - lc).abs() < 1e-15,
                "{x}: {s}, {c}"
            );
        }
    }

    #[test]
    fn tanh_matches_libm() {
        for i in 0..200_001 {
            let x = -25.0 + i as f64 * 0.00025;
            let (a, b) = (super::tanh(x), x.tanh());
            assert!((a - b).abs() < 1e-15, "{x}: {a} vs {b}");
        }
    }

    #[test]
    fn matches_libm() {
        for i in 0..100_000 {
            let x = -50.0 + i as f64 * 0.0006;
            let (a, b) = (super::exp(x), x.exp());
            assert!((a / b - 1.0).abs() < 1e-15, "{x}: {a} vs {b}");
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

//! Blocks of Gaussian noise drawn at once.
//!
//! A stage that adds noise to every sample of a block draws all its standard normal deviates in
//! one call, by the Box–Muller transform (Box & Muller, Ann. Math. Stat. 29, 610, 1958): for
//! independent uniforms u₁ ∈ (0, 1] and u₂ ∈ [0, 1), r = √(−2 ln u₁) and θ = 2π·u₂ − π/4 give
//! two independent standard normals r·cos θ and r·sin θ. The uniforms come from eight
//! xoshiro256++ lanes seeded from the stream (one 64-bit word each: 52 bits for u₁, 24 for
//! u₂; see `Lanes`), and each step of the lanes goes straight into the transform, in one pass
//! without branches that vectorises.
//!
//! The transform runs in single precision, sixteen pairs to an AVX-512 register: 0.97 → 0.56
//! ns per deviate against the double-precision transform it replaced (the twin's exact
//! ziggurat, [`lightloop_base::normals`], takes 1.3 ns). So each deviate carries a relative
//! error of a few 10⁻⁷ (tested: [`radius_ln`], [`angle`]), and u₁, rounded to single
//! precision, steps r² by at most 1.2·10⁻⁷ near r = 0. Noise scaled by such a deviate is off
//! by parts in 10⁷ of its own size, far below anything a simulated link can resolve. u₁ keeps
//! its 52 bits' range (single precision reaches 2⁻¹²⁶), so r is at most √(2·52·ln 2) ≈ 8.5:
//! the tails are exact out to 8.5σ and missing beyond (probability 2·10⁻¹⁷ per draw), far
//! below any error rate a simulation can count.

use crate::fastmath::rotated;
use crate::rng::Rng;
use rand::RngCore;

/// Generators side by side: one step gives a word of each.
const LANES: usize = 8;

/// A uniform in [0, 1) from the top 52 bits of a random word, without an integer-to-float
/// conversion: 1 + 52 random mantissa bits, minus 1.
#[inline(always)]
fn unit(word: u64) -> f64 {
    f64::from_bits(0x3FF0_0000_0000_0000 | (word >> 12)) - 1.0
}

/// Pairs of one block of deviates: four steps of the lanes.
const PAIRS: usize = 2 * LANES;

/// Replaces `out` with `n` standard normal deviates from `rng`. They are drawn in blocks of
/// 2·[`PAIRS`]: four steps of the lanes give the uniforms of [`PAIRS`] pairs (the first two
/// steps u₁, the last two u₂), whose cosines fill the block's first half and sines its second;
/// the last block's surplus is dropped.
pub fn fill_normals(rng: &mut Rng, n: usize, out: &mut Vec<f64>) {
    let blocks = n.div_ceil(2 * PAIRS);
    // Every entry is overwritten below: no need to clear.
    out.resize(2 * PAIRS * blocks, 0.0);
    let mut words = Lanes::seeded(rng);
    lightloop_base::avx512_avx2_or!(
        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
        unsafe { normals_avx512(&mut words, out) },
        // SAFETY: run only where the processor has AVX2.
        unsafe { normals_avx2(&mut words, out) },
        normals_generic(&mut words, out)
    );
    out.truncate(n);
}

/// Eight xoshiro256++ generators side by side (Blackman & Vigna, ACM TOMS 47(4), 2021), one
/// state word of each lane per array, so that a step vectorises. Each lane is seeded by
/// SplitMix64 from one word of the stream (as `seed_from_u64` seeds a stream), so a block costs
/// its stream eight words. A scalar generator produces a word per step of a chain of dependent
/// operations; the lanes run eight chains at once (measured: 1.35 ns per word scalar).
struct Lanes {
    s: [[u64; LANES]; 4],
}

impl Lanes {
    fn seeded(rng: &mut Rng) -> Self {
        let mut s = [[0u64; LANES]; 4];
        for lane in 0..LANES {
            // SplitMix64 from the word z: its outputs mix(z), mix(z + γ), … (γ its step).
            let z = rng.next_u64();
            for (k, word) in s.iter_mut().enumerate() {
                word[lane] = lightloop_base::rng::mix(
                    z.wrapping_add((k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                );
            }
        }
        Self { s }
    }

    /// The next word of each lane, from the state `s` (each operation over the lanes at once,
    /// so that it vectorises).
    #[inline(always)]
    fn step(s: &mut [[u64; LANES]; 4]) -> [u64; LANES] {
        let [s0, s1, s2, s3] = s;
        let mut out = [0u64; LANES];
        for l in 0..LANES {
            out[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
        }
        let t = s1.map(|x| x << 17);
        for l in 0..LANES {
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
        }
        for l in 0..LANES {
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
        }
        for l in 0..LANES {
            s2[l] ^= t[l];
            s3[l] = s3[l].rotate_left(45);
        }
        out
    }
}

/// The Box–Muller transform of the words of [`PAIRS`] pairs (`w1` for u₁ = 1 − u, `w2` for
/// u₂) into one block of `out`: the cosines, then the sines. u₁ is rounded to single precision
/// and u₂ is the top 24 bits of its word: 2 for the quadrant, 22 for the angle within it.
#[inline(always)]
fn transform(w1: [u64; PAIRS], w2: [u64; PAIRS], out: &mut [f64]) {
    // The conversions in passes of their own, so that the single-precision pass runs sixteen
    // lanes to a register (with them inside it ran eight).
    let mut u1 = [0f32; PAIRS];
    let mut u2 = [0u32; PAIRS];
    for l in 0..PAIRS {
        u1[l] = (1.0 - unit(w1[l])) as f32;
        u2[l] = (w2[l] >> 40) as u32;
    }
    let mut polar = [[0f32; PAIRS]; 2];
    for l in 0..PAIRS {
        let r = (-2.0 * radius_ln(u1[l])).sqrt();
        let (s, c) = angle(u2[l]);
        polar[0][l] = r * c;
        polar[1][l] = r * s;
    }
    for (half, values) in out.chunks_exact_mut(PAIRS).zip(polar) {
        for (x, v) in half.iter_mut().zip(values) {
            *x = v as f64;
        }
    }
}

/// Fills `out` (whole blocks of 2·[`PAIRS`]) with deviates, four steps of the lanes per block.
#[inline(always)]
fn normals_generic(words: &mut Lanes, out: &mut [f64]) {
    let mut s = words.s;
    blocks(out, || Lanes::step(&mut s));
    words.s = s;
}

/// Fills `out`'s whole blocks of 2·[`PAIRS`] deviates, each from four of `step`'s words per
/// lane: the first two steps' for u₁, the last two's for u₂ ([`transform`]).
#[inline(always)]
fn blocks(out: &mut [f64], mut step: impl FnMut() -> [u64; LANES]) {
    let pair = |a: [u64; LANES], b: [u64; LANES]| -> [u64; PAIRS] {
        std::array::from_fn(|l| if l < LANES { a[l] } else { b[l - LANES] })
    };
    for block in out.chunks_exact_mut(2 * PAIRS) {
        let w = [(); 4].map(|_| step());
        transform(pair(w[0], w[1]), pair(w[2], w[3]), block);
    }
}

/// [`normals_generic`] with the lanes' step in one AVX-512 register per state word (the
/// compiler left the step scalar here: 1.6 against 1.0 ns per deviate): the same integer
/// operations, so the same words.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn normals_avx512(words: &mut Lanes, out: &mut [f64]) {
    use std::arch::x86_64::*;
    // SAFETY: each state word holds eight u64.
    let mut st: [__m512i; 4] =
        std::array::from_fn(|k| unsafe { _mm512_loadu_si512(words.s[k].as_ptr().cast()) });
    let step = |st: &mut [__m512i; 4]| -> [u64; LANES] {
        let [s0, s1, s2, s3] = *st;
        let w = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(s0, s3)), s0);
        let t = _mm512_slli_epi64::<17>(s1);
        let s2 = _mm512_xor_si512(s2, s0);
        let s3 = _mm512_xor_si512(s3, s1);
        let s1 = _mm512_xor_si512(s1, s2);
        let s0 = _mm512_xor_si512(s0, s3);
        let s2 = _mm512_xor_si512(s2, t);
        let s3 = _mm512_rol_epi64::<45>(s3);
        *st = [s0, s1, s2, s3];
        let mut words = [0; LANES];
        // SAFETY: `words` holds eight u64.
        unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), w) };
        words
    };
    blocks(out, || step(&mut st));
    for (word, v) in words.s.iter_mut().zip(st) {
        // SAFETY: each state word holds eight u64.
        unsafe { _mm512_storeu_si512(word.as_mut_ptr().cast(), v) };
    }
}

/// [`normals_generic`] with the lanes' step in AVX2 registers, four lanes to a register: the
/// same integer operations, so the same words.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn normals_avx2(words: &mut Lanes, out: &mut [f64]) {
    use std::arch::x86_64::*;
    // State word k of lanes 4h..4h + 4 in register [k][h].
    let mut st: [[__m256i; 2]; 4] = std::array::from_fn(|k| {
        std::array::from_fn(|h| {
            // SAFETY: lanes 4h..4h + 4 of a state word are four u64.
            unsafe { _mm256_loadu_si256(words.s[k][4 * h..].as_ptr().cast()) }
        })
    });
    let rotl = |x, k: i32| {
        // k is 23 or 45: x << k | x >> (64 − k).
        let (left, right) = (_mm_cvtsi32_si128(k), _mm_cvtsi32_si128(64 - k));
        _mm256_or_si256(_mm256_sll_epi64(x, left), _mm256_srl_epi64(x, right))
    };
    let step = |st: &mut [[__m256i; 2]; 4]| -> [u64; LANES] {
        let mut words = [0; LANES];
        for h in 0..2 {
            let [s0, s1, s2, s3] = [st[0][h], st[1][h], st[2][h], st[3][h]];
            let w = _mm256_add_epi64(rotl(_mm256_add_epi64(s0, s3), 23), s0);
            let t = _mm256_slli_epi64::<17>(s1);
            let s2 = _mm256_xor_si256(s2, s0);
            let s3 = _mm256_xor_si256(s3, s1);
            let s1 = _mm256_xor_si256(s1, s2);
            let s0 = _mm256_xor_si256(s0, s3);
            let s2 = _mm256_xor_si256(s2, t);
            let s3 = rotl(s3, 45);
            [st[0][h], st[1][h], st[2][h], st[3][h]] = [s0, s1, s2, s3];
            // SAFETY: lanes 4h..4h + 4 of `words` are four u64.
            unsafe { _mm256_storeu_si256(words[4 * h..].as_mut_ptr().cast(), w) };
        }
        words
    };
    blocks(out, || step(&mut st));
    for (k, word) in words.s.iter_mut().enumerate() {
        for h in 0..2 {
            // SAFETY: lanes 4h..4h + 4 of a state word are four u64.
            unsafe { _mm256_storeu_si256(word[4 * h..].as_mut_ptr().cast(), st[k][h]) };
        }
    }
}

/// ln u for the radius of a pair, u ∈ (0, 1], in single precision: u = m·2ᵉ with
/// m ∈ [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172, and the series to s⁹
/// (remainder 0.172¹⁰/11 ≈ 2·10⁻⁹ of ln m, below the format's rounding); within 3·10⁻⁷ of
/// ln u relative, or 10⁻⁷ absolute near u = 1 (tested). ([`crate::fastmath::ln`]'s reduction,
/// in single precision.)
#[inline(always)]
fn radius_ln(u: f32) -> f32 {
    let bits = u.to_bits();
    // Mantissa moved into [√½, √2): if m ≥ √2 halve it and raise the exponent (0x3504F3 is
    // the mantissa field of √2).
    let mantissa = bits & 0x007F_FFFF;
    let high = mantissa >= 0x0035_04F3;
    let m = f32::from_bits(mantissa | if high { 0x3F00_0000 } else { 0x3F80_0000 });
    let e = ((bits >> 23) as i32 - 127 + high as i32) as f32;
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let s4 = s2 * s2;
    // Σ s²ᵏ/(2k + 1), k ≤ 4.
    let q = (1.0 + s2 * (1.0 / 3.0)) + s4 * ((1.0 / 5.0 + s2 * (1.0 / 7.0)) + s4 * (1.0 / 9.0));
    e * std::f32::consts::LN_2 + 2.0 * s * q
}

/// sin θ and cos θ for the angle of a pair from the 24 bits `u`: the top two the quadrant n,
/// the other 22 the fraction f of it, θ = n·π/2 + y with y = (f − ½)·π/2 ∈ [−π/4, π/4) (so θ
/// is uniform over the circle); sin y to y⁹ and cos y to y⁸ (remainders below 0.786¹⁰/10! ≈
/// 2.5·10⁻⁸), rotated by n quarter turns ([`rotated`]). Within 2·10⁻⁷ of the double-precision
/// functions (tested).
#[inline(always)]
fn angle(u: u32) -> (f32, f32) {
    let quadrant = (u >> 22) as u64;
    let f = (u & 0x003F_FFFF) as f32 * (1.0 / 4_194_304.0);
    let y = (f - 0.5) * std::f32::consts::FRAC_PI_2;
    let y2 = y * y;
    let y4 = y2 * y2;
    let sin = y
        * ((1.0 - y2 * (1.0 / 6.0))
            + y4 * ((1.0 / 120.0 - y2 * (1.0 / 5040.0)) + y4 * (1.0 / 362_880.0)));
    let cos = (1.0 - y2 * 0.5) + y4 * ((1.0 / 24.0 - y2 * (1.0 / 720.0)) + y4 * (1.0 / 40_320.0));
    rotated(sin, cos, quadrant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::SeedableRng;

    /// The AVX-512 and AVX2 builds give the plain build's deviates bit for bit and leave the
    /// lanes in the same state, and the lanes' first words are xoshiro256++'s reference
    /// outputs for a state seeded the same way.
    #[test]
    fn builds_agree() {
        let mut plain = vec![0.0; 2 * PAIRS * 63];
        let mut words = Lanes::seeded(&mut stream(9, "test.gaussian", 0, 0));
        let reference: Vec<u64> = (0..LANES)
            .map(|l| {
                let mut x = rand_xoshiro::Xoshiro256PlusPlus::from_seed(std::array::from_fn(|b| {
                    words.s[b / 8][l].to_le_bytes()[b % 8]
                }));
                x.next_u64()
            })
            .collect();
        let first = Lanes::step(&mut words.s.clone());
        assert_eq!(first.to_vec(), reference);
        let start = words.s;
        normals_generic(&mut words, &mut plain);
        #[cfg(target_arch = "x86_64")]
        for (name, has) in [
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            (
                "avx512",
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl"),
            ),
        ] {
            if !has {
                continue;
            }
            let mut wide = vec![0.0; plain.len()];
            let mut wide_words = Lanes { s: start };
            match name {
                // SAFETY: the processor has AVX2 (checked above).
                "avx2" => unsafe { normals_avx2(&mut wide_words, &mut wide) },
                // SAFETY: the processor has AVX-512 (checked above).
                _ => unsafe { normals_avx512(&mut wide_words, &mut wide) },
            }
            assert!(wide == plain, "{name}: deviates");
            assert_eq!(wide_words.s, words.s, "{name}: state");
        }
    }

    /// The radius's logarithm within 3·10⁻⁷ of the library's (double precision), relative, or
    /// 10⁻⁷ absolute, over u from 2⁻⁵² to 1 (the uniforms' range), near 1 included.
    #[test]
    fn radius_ln_is_within_its_bound() {
        let mut u: Vec<f32> = (0..=100_000)
            .map(|i| 2f32.powf(-52.0 * i as f32 / 100_000.0))
            .collect();
        u.extend((1..1000).map(|k| 1.0 - k as f32 * f32::EPSILON / 2.0));
        u.extend((1..1000).map(|k| k as f32 / 1000.0));
        for u in u {
            let (got, want) = (radius_ln(u) as f64, (u as f64).ln());
            let err = (got - want).abs();
            assert!(
                err < 3e-7 * want.abs() || err < 1e-7,
                "u {u:e}: {got} vs {want}"
            );
        }
    }

    /// The pair's angle: sine and cosine within 2·10⁻⁷ of the library's (double precision) at
    /// θ = n·π/2 + (f − ½)·π/2, over every quadrant n and fractions f across [0, 1).
    #[test]
    fn angle_is_within_its_bound() {
        let worst = (0..4u32)
            .flat_map(|n| (0..=100_000u32).map(move |i| (n << 22) | (i * 41)))
            .map(|u| {
                let f = (u & 0x003F_FFFF) as f64 / 4_194_304.0;
                let theta = (u >> 22) as f64 * std::f64::consts::FRAC_PI_2
                    + (f - 0.5) * std::f64::consts::FRAC_PI_2;
                let ((s, c), (ls, lc)) = (angle(u), theta.sin_cos());
                (s as f64 - ls).abs().max((c as f64 - lc).abs())
            })
            .fold(0.0, f64::max);
        assert!(worst < 2e-7, "{worst:e}");
    }

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
        // The two deviates of a pair: same place in a block's two halves.
        let pairs: Vec<(f64, f64)> = out
            .chunks_exact(2 * PAIRS)
            .flat_map(|b| (0..PAIRS).map(move |l| (b[l], b[PAIRS + l])))
            .collect();
        let cross = pairs.iter().map(|(a, b)| a * b).sum::<f64>() / pairs.len() as f64;
        assert!(
            cross.abs() < 5.0 / (pairs.len() as f64).sqrt(),
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
        // A count short of whole blocks draws the words of whole blocks and drops the surplus.
        let (mut odd, mut even) = (Vec::new(), Vec::new());
        fill_normals(&mut stream(4, "test.gaussian", 0, 1), 7, &mut odd);
        fill_normals(&mut stream(4, "test.gaussian", 0, 1), 8, &mut even);
        assert_eq!(odd, even[..7]);
    }
}

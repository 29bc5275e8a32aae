//! Blocks of Gaussian noise drawn at once.
//!
//! A stage that adds noise to every sample of a block draws all its standard normal deviates in
//! one call, by the Box–Muller transform (Box & Muller, Ann. Math. Stat. 29, 610, 1958): for
//! independent uniforms u₁ ∈ (0, 1] and u₂ ∈ [0, 1), r = √(−2 ln u₁) and θ = 2π·u₂ − π give two
//! independent standard normals r·cos θ and r·sin θ. The uniforms come from four
//! xoshiro256++ lanes seeded from the stream (one 64-bit word each, 52 bits used; see
//! `Lanes`), then the transform runs as a pass without branches that vectorises. With 52-bit
//! uniforms r is at most √(2·52·ln 2) ≈ 8.5: the tails are exact out to 8.5σ and missing
//! beyond (probability 2·10⁻¹⁷ per draw), far below any error rate a simulation can count.

use crate::fastmath::{ln, sin_cos};
use crate::rng::Rng;
use rand::RngCore;

/// A uniform in [0, 1) from the top 52 bits of a random word, without an integer-to-float
/// conversion: 1 + 52 random mantissa bits, minus 1.
#[inline(always)]
fn unit(word: u64) -> f64 {
    f64::from_bits(0x3FF0_0000_0000_0000 | (word >> 12)) - 1.0
}

/// Replaces `out` with `n` standard normal deviates from `rng` (`n` rounded up to even are
/// drawn, and the last dropped when `n` is odd).
pub fn fill_normals(rng: &mut Rng, n: usize, out: &mut Vec<f64>) {
    let pairs = n.div_ceil(2);
    // Every entry is overwritten below: no need to clear.
    out.resize(2 * pairs, 0.0);
    let mut words = Lanes::seeded(rng);
    lightloop_base::avx2_or!(
        // SAFETY: run only where the processor has AVX2.
        unsafe { uniforms_avx2(&mut words, out) },
        uniforms_generic(&mut words, out)
    );
    let (radius, angle) = out.split_at_mut(pairs);
    lightloop_base::avx512_avx2_or!(
        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
        unsafe { box_muller_avx512(radius, angle) },
        // SAFETY: run only where the processor has AVX2.
        unsafe { box_muller_avx2(radius, angle) },
        box_muller_generic(radius, angle)
    );
    out.truncate(n);
}

/// Four xoshiro256++ generators side by side (Blackman & Vigna, ACM TOMS 47(4), 2021), one
/// state word of each lane per array, so that a step vectorises: the block's words, drawn in
/// turn from the lanes. Each lane is seeded by SplitMix64 from one word of the stream (as
/// `seed_from_u64` seeds a stream), so a block costs its stream four words. A scalar generator
/// produces a word per step of a chain of dependent operations; four lanes run four chains at
/// once (measured: 1.35 ns per word scalar, against 0.3 in lanes).
struct Lanes {
    s: [[u64; 4]; 4],
}

impl Lanes {
    fn seeded(rng: &mut Rng) -> Self {
        let mut s = [[0u64; 4]; 4];
        for lane in 0..4 {
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

    /// The next word of each lane, from the state `s` (each operation over the four lanes at
    /// once, so that it vectorises).
    #[inline(always)]
    fn step(s: &mut [[u64; 4]; 4]) -> [u64; 4] {
        let [s0, s1, s2, s3] = s;
        let mut out = [0u64; 4];
        for l in 0..4 {
            out[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
        }
        let t = s1.map(|x| x << 17);
        for l in 0..4 {
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
        }
        for l in 0..4 {
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
        }
        for l in 0..4 {
            s2[l] ^= t[l];
            s3[l] = s3[l].rotate_left(45);
        }
        out
    }
}

/// Fills `out` with uniforms in [0, 1) from the lanes' words in turn.
#[inline(always)]
fn uniforms_generic(words: &mut Lanes, out: &mut [f64]) {
    let mut s = words.s;
    for chunk in out.chunks_mut(4) {
        let w = Lanes::step(&mut s);
        for (u, w) in chunk.iter_mut().zip(w) {
            *u = unit(w);
        }
    }
    words.s = s;
}

/// [`uniforms_generic`] with the lanes' step in AVX2 registers (one per state word; the
/// compiler does not vectorise the step by itself): the same integer operations, so the same
/// words.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn uniforms_avx2(words: &mut Lanes, out: &mut [f64]) {
    use std::arch::x86_64::*;
    let load = |w: &[u64; 4]| unsafe { _mm256_loadu_si256(w.as_ptr().cast()) };
    let [mut s0, mut s1, mut s2, mut s3] = [0, 1, 2, 3].map(|k| load(&words.s[k]));
    let rotl = |x, k: i32| {
        // k is 23 or 45: x << k | x >> (64 − k).
        let (left, right) = (_mm_cvtsi32_si128(k), _mm_cvtsi32_si128(64 - k));
        _mm256_or_si256(_mm256_sll_epi64(x, left), _mm256_srl_epi64(x, right))
    };
    // Top 52 bits into a double's mantissa, with exponent 0 (1 ≤ x < 2), minus 1: `unit`.
    let one = _mm256_set1_epi64x(0x3FF0_0000_0000_0000);
    let mut chunks = out.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let w = _mm256_add_epi64(rotl(_mm256_add_epi64(s0, s3), 23), s0);
        let t = _mm256_slli_epi64::<17>(s1);
        s2 = _mm256_xor_si256(s2, s0);
        s3 = _mm256_xor_si256(s3, s1);
        s1 = _mm256_xor_si256(s1, s2);
        s0 = _mm256_xor_si256(s0, s3);
        s2 = _mm256_xor_si256(s2, t);
        s3 = rotl(s3, 45);
        let bits = _mm256_or_si256(one, _mm256_srli_epi64::<12>(w));
        let u = _mm256_sub_pd(_mm256_castsi256_pd(bits), _mm256_set1_pd(1.0));
        // SAFETY: `chunk` holds four doubles.
        unsafe { _mm256_storeu_pd(chunk.as_mut_ptr(), u) };
    }
    for (k, v) in [s0, s1, s2, s3].into_iter().enumerate() {
        // SAFETY: each state word holds four u64.
        unsafe { _mm256_storeu_si256(words.s[k].as_mut_ptr().cast(), v) };
    }
    uniforms_generic(words, chunks.into_remainder());
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

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn box_muller_avx512(radius: &mut [f64], angle: &mut [f64]) {
    box_muller_generic(radius, angle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use rand::SeedableRng;

    /// The AVX2 build of the uniforms gives the plain build's numbers bit for bit (a length
    /// that leaves a remainder of the four lanes), and the lanes' first words are xoshiro256++'s
    /// reference outputs for a state seeded the same way.
    #[test]
    fn uniforms_builds_agree() {
        let mut plain = vec![0.0; 1003];
        let mut words = Lanes::seeded(&mut stream(9, "test.gaussian", 0, 0));
        let reference: Vec<u64> = (0..4)
            .map(|l| {
                let mut x = rand_xoshiro::Xoshiro256PlusPlus::from_seed(std::array::from_fn(|b| {
                    words.s[b / 8][l].to_le_bytes()[b % 8]
                }));
                x.next_u64()
            })
            .collect();
        let first = Lanes::step(&mut words.s.clone());
        assert_eq!(first.to_vec(), reference);
        let start = Lanes { s: words.s };
        uniforms_generic(&mut words, &mut plain);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut wide = vec![0.0; 1003];
            let mut wide_words = start;
            // SAFETY: the processor has AVX2 (checked just above).
            unsafe { uniforms_avx2(&mut wide_words, &mut wide) };
            assert_eq!(wide, plain);
            assert_eq!(wide_words.s, words.s);
        }
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

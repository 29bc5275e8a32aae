//! Blocks of Gaussian noise drawn at once.
//!
//! A stage that adds noise to every sample of a block draws all its standard normal deviates in
//! one call, by the Box–Muller transform (Box & Muller, Ann. Math. Stat. 29, 610, 1958): for
//! independent uniforms u₁ ∈ (0, 1] and u₂ ∈ [0, 1), r = √(−2 ln u₁) and θ = 2π·u₂ − π give two
//! independent standard normals r·cos θ and r·sin θ. The uniforms come from eight
//! xoshiro256++ lanes seeded from the stream (one 64-bit word each, 52 bits used; see
//! `Lanes`), and each step of the lanes goes straight into the transform, in one pass without
//! branches that vectorises. With 52-bit uniforms r is at most √(2·52·ln 2) ≈ 8.5: the tails
//! are exact out to 8.5σ and missing beyond (probability 2·10⁻¹⁷ per draw), far below any
//! error rate a simulation can count. r is computed to 3·10⁻¹¹ of itself ([`radius_ln`]) and
//! cos θ and sin θ to 2·10⁻⁹ ([`angle`]), which moves a deviate by less than 2·10⁻⁹·r and
//! leaves its tails as they are.

use crate::fastmath::{ln_from, ln_reduced, quarter_turns, rotated};
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

/// Replaces `out` with `n` standard normal deviates from `rng`. They are drawn in blocks of
/// 2·[`LANES`]: two steps of the lanes give the uniforms of [`LANES`] pairs, whose cosines fill
/// the block's first half and sines its second; the last block's surplus is dropped.
pub fn fill_normals(rng: &mut Rng, n: usize, out: &mut Vec<f64>) {
    let blocks = n.div_ceil(2 * LANES);
    // Every entry is overwritten below: no need to clear.
    out.resize(2 * LANES * blocks, 0.0);
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

/// The Box–Muller transform of the uniforms u₁ (as 1 − u) and u₂ of [`LANES`] pairs into one
/// block of `out`: the cosines, then the sines.
#[inline(always)]
fn transform(u1: [f64; LANES], u2: [f64; LANES], out: &mut [f64]) {
    let (cosines, sines) = out.split_at_mut(LANES);
    for l in 0..LANES {
        let r = (-2.0 * radius_ln(1.0 - u1[l])).sqrt();
        let (s, c) = angle(std::f64::consts::TAU * u2[l] - std::f64::consts::PI);
        cosines[l] = r * c;
        sines[l] = r * s;
    }
}

/// Fills `out` (whole blocks of 2·[`LANES`]) with deviates, two steps of the lanes per block.
#[inline(always)]
fn normals_generic(words: &mut Lanes, out: &mut [f64]) {
    let mut s = words.s;
    for block in out.chunks_exact_mut(2 * LANES) {
        let w1 = Lanes::step(&mut s);
        let w2 = Lanes::step(&mut s);
        let (mut u1, mut u2) = ([0.0; LANES], [0.0; LANES]);
        for l in 0..LANES {
            (u1[l], u2[l]) = (unit(w1[l]), unit(w2[l]));
        }
        transform(u1, u2, block);
    }
    words.s = s;
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
    // Top 52 bits into a double's mantissa, with exponent 0 (1 ≤ x < 2), minus 1: `unit`.
    let one = _mm512_set1_epi64(0x3FF0_0000_0000_0000);
    let step = |st: &mut [__m512i; 4]| -> [f64; LANES] {
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
        let bits = _mm512_or_si512(one, _mm512_srli_epi64::<12>(w));
        let x = _mm512_sub_pd(_mm512_castsi512_pd(bits), _mm512_set1_pd(1.0));
        let mut u = [0.0; LANES];
        // SAFETY: `u` holds eight doubles.
        unsafe { _mm512_storeu_pd(u.as_mut_ptr(), x) };
        u
    };
    for block in out.chunks_exact_mut(2 * LANES) {
        let u1 = step(&mut st);
        let u2 = step(&mut st);
        transform(u1, u2, block);
    }
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
    // Top 52 bits into a double's mantissa, with exponent 0 (1 ≤ x < 2), minus 1: `unit`.
    let one = _mm256_set1_epi64x(0x3FF0_0000_0000_0000);
    let step = |st: &mut [[__m256i; 2]; 4]| -> [f64; LANES] {
        let mut u = [0.0; LANES];
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
            let bits = _mm256_or_si256(one, _mm256_srli_epi64::<12>(w));
            let x = _mm256_sub_pd(_mm256_castsi256_pd(bits), _mm256_set1_pd(1.0));
            // SAFETY: lanes 4h..4h + 4 of `u` are four doubles.
            unsafe { _mm256_storeu_pd(u[4 * h..].as_mut_ptr(), x) };
        }
        u
    };
    for block in out.chunks_exact_mut(2 * LANES) {
        let u1 = step(&mut st);
        let u2 = step(&mut st);
        transform(u1, u2, block);
    }
    for (k, word) in words.s.iter_mut().enumerate() {
        for h in 0..2 {
            // SAFETY: lanes 4h..4h + 4 of a state word are four u64.
            unsafe { _mm256_storeu_si256(word[4 * h..].as_mut_ptr().cast(), st[k][h]) };
        }
    }
}

/// ln u for the radius of a pair, u ∈ (0, 1]: [`crate::fastmath::ln`]'s reduction
/// (u = m·2ᵉ, m ∈ [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172) with the
/// series to s¹¹: the remainder, 0.172¹²/13/(1 − 0.172²) ≈ 5.2·10⁻¹¹ relative to ln m (which is
/// ln u, or small beside it), holds ln u within 6·10⁻¹¹ (tested) and the radius √(−2 ln u)
/// within 3·10⁻¹¹ of its value, far inside the angle's 2·10⁻⁹. The full series took a tenth of
/// the transform's time more.
#[inline(always)]
fn radius_ln(x: f64) -> f64 {
    let (e, s) = ln_reduced(x);
    let s2 = s * s;
    let s4 = s2 * s2;
    // Σ s²ᵏ/(2k + 1), k ≤ 5, in Estrin's scheme.
    let q01 = 1.0 + s2 * (1.0 / 3.0);
    let q23 = 1.0 / 5.0 + s2 * (1.0 / 7.0);
    let q45 = 1.0 / 9.0 + s2 * (1.0 / 11.0);
    ln_from(e, s, (q01 + s4 * q23) + s4 * s4 * q45)
}

/// sin x and cos x for the angle of a pair, x ∈ [−π, π]: [`crate::fastmath::sin_cos`]'s
/// reduction to quarter turns with shorter series (sin to y⁹, cos to y¹⁰ on |y| ≤ π/4;
/// truncation error below y¹¹/11! < 2·10⁻⁹). A deviate is r times one of them, so its error
/// stays below 2·10⁻⁹·r; the full series took a quarter of the transform's time.
#[inline(always)]
fn angle(x: f64) -> (f64, f64) {
    let (y, quadrant) = quarter_turns(x);
    let y2 = y * y;
    let y4 = y2 * y2;
    let y8 = y4 * y4;
    // Σ (−1)ᵏ y²ᵏ/(2k + 1)!, k ≤ 4, and Σ (−1)ᵏ y²ᵏ/(2k)!, k ≤ 5, in Estrin's scheme.
    let s01 = 1.0 - y2 * (1.0 / 6.0);
    let s23 = 1.0 / 120.0 - y2 * (1.0 / 5040.0);
    let sin = y * ((s01 + y4 * s23) + y8 * (1.0 / 362_880.0));
    let c01 = 1.0 - y2 * 0.5;
    let c23 = 1.0 / 24.0 - y2 * (1.0 / 720.0);
    let c45 = 1.0 / 40_320.0 - y2 * (1.0 / 3_628_800.0);
    let cos = (c01 + y4 * c23) + y8 * c45;
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
        let mut plain = vec![0.0; 2 * LANES * 63];
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

    /// The radius's logarithm within 6·10⁻¹¹ of the library's, relative, over u from 2⁻⁵²
    /// to 1 (the uniforms' range), near 1 included.
    #[test]
    fn radius_ln_is_within_its_bound() {
        let mut u: Vec<f64> = (0..=100_000)
            .map(|i| 2f64.powf(-52.0 * i as f64 / 100_000.0))
            .collect();
        u.extend((1..1000).map(|k| 1.0 - k as f64 * f64::EPSILON));
        u.extend((1..1000).map(|k| k as f64 / 1000.0));
        let worst = u
            .iter()
            .map(|&u| (radius_ln(u) - u.ln()).abs() / u.ln().abs().max(1e-300))
            .fold(0.0, f64::max);
        assert!(worst < 6e-11, "{worst:e}");
        assert!(worst > 1e-14, "{worst:e}: the shorter series should show");
    }

    /// The pair's angle: sine and cosine within 2·10⁻⁹ of the library's over [−π, π].
    #[test]
    fn angle_is_within_its_bound() {
        let pi = std::f64::consts::PI;
        let worst = (0..=200_000)
            .map(|i| {
                let x = -pi + i as f64 * (2.0 * pi / 200_000.0);
                let ((s, c), (ls, lc)) = (angle(x), x.sin_cos());
                (s - ls).abs().max((c - lc).abs())
            })
            .fold(0.0, f64::max);
        assert!(worst < 2e-9, "{worst:e}");
        assert!(worst > 1e-12, "{worst:e}: the shorter series should show");
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
            .chunks_exact(2 * LANES)
            .flat_map(|b| (0..LANES).map(move |l| (b[l], b[LANES + l])))
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

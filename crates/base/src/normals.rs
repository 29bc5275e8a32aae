//! Standard normal deviates in blocks, for the loops that need one per output of a large
//! product (the twin's readout noise).
//!
//! **Generator.** Eight xoshiro256++ generators (Blackman & Vigna, ACM TOMS 47(4), 2021) run
//! side by side, lane l giving every eighth 64-bit word, so that one step is a few vector
//! instructions; the lanes are seeded from a [`crate::rng::Rng`] stream (four words each), so a
//! block's numbers depend only on that stream's key (and on the block sizes asked for: each
//! block takes a whole number of steps of eight words).
//!
//! **Normals.** Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8), 2000) with 256 layers of
//! equal area v under f(x) = exp(−x²/2), base strip and tail beyond r = 3.6541528853610088
//! included. From one 64-bit word: bits 0–7 pick the layer k, bits 12–63 a uniform u in
//! [−1, 1) (as the mantissa of a double in [1, 2), so that the conversion vectorises), and
//! z = u·x_k, accepted when |z| < x_{k+1} (inside the layer's inner rectangle: about 99 % of
//! words). That runs over a whole block in a loop that vectorises; the few words that fail take
//! the ziggurat's exact slow path (the wedge test against f, or Marsaglia's exponential tail
//! sampler beyond r, restarting with fresh words on a miss), with words from a scalar stream,
//! in block order. The deviates are exact normal draws, not an approximation of the
//! distribution; the uniforms have 52 bits.

use crate::rng::{Rng, uniform};
use rand::RngCore;
use std::sync::OnceLock;

/// Layers of the ziggurat.
const LAYERS: usize = 256;
/// Right edge of the base strip's inner rectangle (the tail starts here).
const R: f64 = 3.654_152_885_361_009;
/// Area of each layer.
const V: f64 = 4.928_673_233_99e-3;
/// The uniform in [−1, 1) of a word's bits 12–63.
#[inline(always)]
fn signed_uniform(w: u64) -> f64 {
    2.0 * f64::from_bits(0x3ff0_0000_0000_0000 | (w >> 12)) - 3.0
}

/// x_k for k = 0…256: x_0 = v/f(r) (the base strip's width, its tail counted as area), x_1 = r,
/// x_{k+1} = f⁻¹(f(x_k) + v/x_k), x_256 = 0; and the layers' lower heights f_k = f(x_k) (f_0 =
/// f(r), the base strip's height).
struct Tables {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

fn density(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut x = [0.0; LAYERS + 1];
        x[0] = V / density(R);
        x[1] = R;
        for k in 1..LAYERS - 1 {
            x[k + 1] = (-2.0 * (density(x[k]) + V / x[k]).ln()).sqrt();
        }
        let mut f = [0.0; LAYERS + 1];
        for k in 0..=LAYERS {
            f[k] = density(x[k]);
        }
        f[0] = density(R);
        Tables { x, f }
    })
}

/// A block generator of standard normal deviates (see the module's notes).
#[derive(Debug, Clone)]
pub struct Normals {
    /// Lane l's state words s0…s3 at `state[w][l]`.
    state: [[u64; 8]; 4],
    /// The slow path's stream.
    scalar: Rng,
    words: Vec<u64>,
    /// 1 where a block's deviate takes the slow path.
    flags: Vec<u8>,
}

impl Normals {
    /// Seeded from `rng` (which then also serves the slow path).
    pub fn new(mut rng: Rng) -> Self {
        let mut state = [[0u64; 8]; 4];
        for l in 0..8 {
            for w in state.iter_mut() {
                w[l] = rng.next_u64();
            }
            if (0..4).all(|w| state[w][l] == 0) {
                // The one state xoshiro cannot leave (probability 2⁻²⁵⁶).
                state[0][l] = 1;
            }
        }
        Self {
            state,
            scalar: rng,
            words: Vec::new(),
            flags: Vec::new(),
        }
    }

    /// Fills `out` with independent standard normal deviates.
    pub fn fill(&mut self, out: &mut [f64]) {
        self.words.resize(out.len().div_ceil(8) * 8, 0);
        self.flags.resize(self.words.len(), 0);
        let t = tables();
        let rejected = crate::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { fast_avx512(&mut self.state, &mut self.words, &mut self.flags, t, out) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { fast_avx2(&mut self.state, &mut self.words, &mut self.flags, t, out) },
            fast(&mut self.state, &mut self.words, &mut self.flags, t, out)
        );
        if rejected > 0 {
            // Eight flags at a time: most groups have none.
            for (g, flags) in self.flags.chunks_exact(8).enumerate() {
                if u64::from_ne_bytes(flags.try_into().expect("eight flags")) == 0 {
                    continue;
                }
                for (i, f) in flags.iter().enumerate() {
                    let at = 8 * g + i;
                    if *f != 0 && at < out.len() {
                        let k = (self.words[at] & (LAYERS as u64 - 1)) as usize;
                        out[at] = slow(k, out[at], t, &mut self.scalar);
                    }
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn fast_avx512(
    state: &mut [[u64; 8]; 4],
    words: &mut [u64],
    flags: &mut [u8],
    t: &Tables,
    out: &mut [f64],
) -> usize {
    fast(state, words, flags, t, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fast_avx2(
    state: &mut [[u64; 8]; 4],
    words: &mut [u64],
    flags: &mut [u8],
    t: &Tables,
    out: &mut [f64],
) -> usize {
    fast(state, words, flags, t, out)
}

/// The words for a block, then z = u·x_k for each, flagging (and counting) those outside their
/// layer's inner rectangle (the caller takes them through the slow path).
#[inline(always)]
fn fast(
    state: &mut [[u64; 8]; 4],
    words: &mut [u64],
    flags: &mut [u8],
    t: &Tables,
    out: &mut [f64],
) -> usize {
    let [s0, s1, s2, s3] = state;
    for chunk in words.chunks_exact_mut(8) {
        for l in 0..8 {
            chunk[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
            let shifted = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= shifted;
            s3[l] = s3[l].rotate_left(45);
        }
    }
    let mut rejected = 0;
    for ((z, w), f) in out.iter_mut().zip(words.iter()).zip(flags.iter_mut()) {
        let k = (*w & (LAYERS as u64 - 1)) as usize;
        *z = signed_uniform(*w) * t.x[k];
        *f = (z.abs() >= t.x[k + 1]) as u8;
        rejected += *f as usize;
    }
    // Words past the block (it takes whole steps of eight) are not flagged.
    flags[out.len()..].fill(0);
    rejected
}

/// The ziggurat's slow path for a word that fell outside layer k's inner rectangle at z.
#[cold]
fn slow(mut k: usize, mut z: f64, t: &Tables, rng: &mut Rng) -> f64 {
    loop {
        if k == 0 {
            // Beyond r: Marsaglia's tail sampler (exponential proposals, exact).
            loop {
                let a = -(1.0 - uniform(rng)).ln() / R;
                let b = -(1.0 - uniform(rng)).ln();
                if 2.0 * b >= a * a {
                    return if z < 0.0 { -(R + a) } else { R + a };
                }
            }
        }
        // The wedge between x_{k+1} and x_k: accept under the density.
        if t.f[k] + uniform(rng) * (t.f[k + 1] - t.f[k]) < density(z) {
            return z;
        }
        // Start again with a fresh word.
        let w = rng.next_u64();
        k = (w & (LAYERS as u64 - 1)) as usize;
        z = signed_uniform(w) * t.x[k];
        if z.abs() < t.x[k + 1] {
            return z;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn the_layers_have_equal_areas_and_close_at_zero() {
        let t = tables();
        // The recursion from r lands at the top: the last layer, from f(x_127) to f(0) = 1, has
        // area v.
        let top = t.x[LAYERS - 1] * (1.0 - t.f[LAYERS - 1]);
        assert!((top - V).abs() < 1e-9, "top layer area {top} vs {V}");
        // Base strip: its rectangle to r plus the tail ∫_r^∞ f = v.
        let tail = (std::f64::consts::PI / 2.0).sqrt() * libm::erfc(R / 2f64.sqrt());
        assert!((R * t.f[0] + tail - V).abs() < 1e-12);
        assert_eq!(t.x[LAYERS], 0.0);
    }

    /// Moments and tail frequencies of 4·10⁶ deviates against the standard normal's, each within
    /// five standard errors; the same key and blocks give the same deviates.
    #[test]
    fn deviates_are_standard_normal() {
        let n = 4_000_000;
        let mut z = vec![0.0; n];
        let mut g = Normals::new(stream(3, "normals.test", 0, 0));
        // Blocks of odd length: each takes a whole number of eight-word steps.
        for block in z.chunks_mut(999) {
            g.fill(block);
        }
        let nf = n as f64;
        let mean = z.iter().sum::<f64>() / nf;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf;
        let kurt = z.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / nf / (var * var);
        assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
        assert!(
            (var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(),
            "variance {var}"
        );
        assert!(
            (kurt - 3.0).abs() < 5.0 * (96.0 / nf).sqrt(),
            "kurtosis {kurt}"
        );
        // P(Z > a) and P(Z < −a) for a in the inner rectangles, the wedges and the tail.
        for a in [0.5, 1.5, 2.5, 3.3, 3.6, 4.2] {
            let p = 0.5 * libm::erfc(a / 2f64.sqrt());
            let above = z.iter().filter(|v| **v > a).count() as f64 / nf;
            let below = z.iter().filter(|v| **v < -a).count() as f64 / nf;
            let se = (p * (1.0 - p) / nf).sqrt();
            assert!((above - p).abs() < 5.0 * se, "P(Z > {a}) {above} vs {p}");
            assert!((below - p).abs() < 5.0 * se, "P(Z < −{a}) {below} vs {p}");
        }
        let mut again = vec![0.0; 1998];
        let mut g = Normals::new(stream(3, "normals.test", 0, 0));
        for block in again.chunks_mut(999) {
            g.fill(block);
        }
        assert_eq!(again[..], z[..1998]);
        // The plain build of the block loop gives the same words and deviates.
        let (mut a, mut b) = (
            Normals::new(stream(4, "x", 0, 0)),
            Normals::new(stream(4, "x", 0, 0)),
        );
        let (mut za, mut zb) = (vec![0.0; 1000], vec![0.0; 1000]);
        a.fill(&mut za);
        b.words.resize(1000, 0);
        let mut flags = vec![0; 1000];
        let rejected = fast(&mut b.state, &mut b.words, &mut flags, tables(), &mut zb);
        assert!(
            rejected > 0 && rejected < 30,
            "{rejected} of 1000 words to the slow path"
        );
        for (zb, w) in zb.iter_mut().zip(&b.words) {
            let k = (*w & (LAYERS as u64 - 1)) as usize;
            if zb.abs() >= tables().x[k + 1] {
                *zb = slow(k, *zb, tables(), &mut b.scalar);
            }
        }
        assert_eq!(za, zb);
    }
}

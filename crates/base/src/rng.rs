//! Seeded random streams keyed by (seed, purpose, channel, trial).
//!
//! Every random draw in a simulation comes from a stream that depends only on this key, never on
//! which thread runs it or in which order, so the same seed gives the same numbers for any thread
//! count. Streams are xoshiro256++ generators (Blackman & Vigna, ACM TOMS 47(4), 2021) seeded by
//! mixing the key with SplitMix64 (Steele, Lea & Flood, OOPSLA 2014).

use rand::{Rng as _, SeedableRng};
use rand_distr::{Distribution, Poisson, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One random stream.
pub type Rng = Xoshiro256PlusPlus;

/// SplitMix64's output for the state `z` (the golden-ratio step, then its finaliser): a
/// bijective 64-bit mix.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a hash of a purpose name.
fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The stream for (seed, purpose, channel, trial).
pub fn stream(seed: u64, purpose: &str, channel: u64, trial: u64) -> Rng {
    let k = mix(mix(mix(mix(seed) ^ hash_str(purpose)) ^ channel) ^ trial.rotate_left(17));
    Xoshiro256PlusPlus::seed_from_u64(k)
}

/// A standard normal draw.
#[inline]
pub fn normal(rng: &mut Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// A uniform draw in [0, 1).
#[inline]
pub fn uniform(rng: &mut Rng) -> f64 {
    rng.random::<f64>()
}

/// Electrons per sample below which a photodiode's count is drawn exactly (Poisson) and at and
/// above which shot noise is drawn as a Gaussian of the same variance, summed with the other
/// Gaussian noises at the same node: the count's skewness 1/√λ ≤ 0.03 is dropped there. The one
/// rule of the time-domain engine's photodiode, the twin's products and the reservoirs' readout.
pub const COUNT_EXACTLY_BELOW: f64 = 1000.0;

/// Mean at and above which Poisson counts are drawn from the Gaussian N(λ, λ): the relative
/// error of its variance and of every moment used here is below 1e-4 (skewness 1/√λ ≤ 0.003).
pub const POISSON_GAUSSIAN_ABOVE: f64 = 1e5;

/// A Poisson count of mean `lambda` ≥ 0: exact (Knuth's multiplication method below 30,
/// rand_distr's PTRS rejection sampler up to 10⁵), Gaussian beyond (see
/// [`POISSON_GAUSSIAN_ABOVE`]).
#[inline]
pub fn poisson(rng: &mut Rng, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        0.0
    } else if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0.0;
        let mut p = uniform(rng);
        while p > limit {
            k += 1.0;
            p *= uniform(rng);
        }
        k
    } else if lambda < POISSON_GAUSSIAN_ABOVE {
        Poisson::new(lambda)
            .map(|d| d.sample(rng))
            .unwrap_or(lambda)
    } else {
        (lambda + lambda.sqrt() * normal(rng)).round().max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_depend_only_on_their_key() {
        let a: Vec<u64> = (0..4)
            .map(|_| stream(7, "laser.rin", 3, 9).random())
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| stream(7, "laser.rin", 3, 9).random())
            .collect();
        assert_eq!(a, b);
        let mut s1 = stream(7, "laser.rin", 3, 9);
        let mut s2 = stream(7, "laser.rin", 4, 9);
        let mut s3 = stream(7, "laser.phase", 3, 9);
        let mut s4 = stream(8, "laser.rin", 3, 9);
        let x: u64 = s1.random();
        assert_ne!(x, s2.random::<u64>());
        assert_ne!(x, s3.random::<u64>());
        assert_ne!(x, s4.random::<u64>());
    }

    #[test]
    fn poisson_mean_and_variance() {
        // Variance = mean for a Poisson count, at low, medium and high means (within 3 %).
        for lambda in [0.3, 4.0, 50.0, 3000.0, 2e5] {
            let mut rng = stream(1, "test.poisson", 0, lambda as u64);
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, lambda)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            assert!((mean / lambda - 1.0).abs() < 0.01, "λ={lambda} mean {mean}");
            assert!((var / lambda - 1.0).abs() < 0.03, "λ={lambda} var {var}");
        }
        // At low mean the distribution itself is exact: P(0) = e^-λ.
        let mut rng = stream(2, "test.poisson0", 0, 0);
        let n = 200_000;
        let zeros = (0..n).filter(|_| poisson(&mut rng, 0.7) == 0.0).count();
        assert!((zeros as f64 / n as f64 / (-0.7f64).exp() - 1.0).abs() < 0.01);
    }
}

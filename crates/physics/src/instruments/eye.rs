//! The eye of a ternary readout: the three levels' means and spreads, and the margins to the
//! two decision thresholds in units of the noise.
//!
//! With Gaussian noise per level, the probability that a symbol of level i is decided wrongly is
//! Q(distance to each threshold it may cross / σᵢ) summed over those thresholds
//! (Proakis, *Digital Communications*, 5th ed., §4.3, with level-dependent σ and the thresholds
//! actually used): [`Eye::gaussian_ser`] is that prediction, to set beside the counted rate.

use lightloop_base::stats::ternary_ser;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Eye {
    /// Mean readout of levels −1, 0, +1 (V).
    pub means: [f64; 3],
    /// Standard deviation of each level (V).
    pub sds: [f64; 3],
    /// Lower and upper decision thresholds (V).
    pub thresholds: (f64, f64),
    /// Smallest distance from a level mean to a threshold it must not cross, in that level's σ:
    /// the eye's Q. Below about 3 the symbol-error rate exceeds 10⁻³.
    pub margin_sigma: f64,
    /// Eye opening: the smaller gap between neighbouring levels' 3σ edges, as a fraction of the
    /// level spacing (1 = noiseless, ≤ 0 = closed at 3σ).
    pub opening: f64,
}

impl Eye {
    /// Measures the eye from readouts of known symbols and the thresholds in use.
    pub fn measure(readout: &[f64], symbols: &[i8], thresholds: (f64, f64)) -> Self {
        let mut n = [0usize; 3];
        let mut sum = [0.0; 3];
        let mut sq = [0.0; 3];
        for (v, s) in readout.iter().zip(symbols) {
            let i = (*s + 1) as usize;
            n[i] += 1;
            sum[i] += v;
            sq[i] += v * v;
        }
        let means: [f64; 3] = std::array::from_fn(|i| sum[i] / n[i].max(1) as f64);
        let sds: [f64; 3] = std::array::from_fn(|i| {
            let k = n[i].max(2) as f64;
            ((sq[i] - k * means[i] * means[i]) / (k - 1.0))
                .max(0.0)
                .sqrt()
        });
        let (t1, t2) = thresholds;
        let m = [
            (t1 - means[0]) / sds[0],
            (means[1] - t1) / sds[1],
            (t2 - means[1]) / sds[1],
            (means[2] - t2) / sds[2],
        ];
        let spacing = ((means[2] - means[0]) / 2.0).abs().max(f64::MIN_POSITIVE);
        let gap01 = (means[1] - 3.0 * sds[1]) - (means[0] + 3.0 * sds[0]);
        let gap12 = (means[2] - 3.0 * sds[2]) - (means[1] + 3.0 * sds[1]);
        Self {
            means,
            sds,
            thresholds,
            margin_sigma: m.iter().copied().fold(f64::INFINITY, f64::min),
            opening: gap01.min(gap12) / spacing,
        }
    }

    /// Symbol-error rate predicted from the measured levels for equiprobable symbols, Gaussian
    /// noise per level, fixed thresholds.
    pub fn gaussian_ser(&self) -> f64 {
        self.predicted_ser(0.0, 0.0)
    }

    /// Symbol-error rate predicted for a comparator that adds Gaussian input noise
    /// `comparator_noise` (V rms) and has hysteresis `hysteresis` (V; see [`crate::comparator`]):
    /// [`ternary_ser`] of the measured levels with σᵢ² = sdᵢ² + σ_c². Metastability is left out
    /// (its window is far below the noise).
    pub fn predicted_ser(&self, comparator_noise: f64, hysteresis: f64) -> f64 {
        let sd = self
            .sds
            .map(|s| (s * s + comparator_noise * comparator_noise).sqrt());
        ternary_ser(self.means, sd, self.thresholds, hysteresis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_base::stats::q_function;

    #[test]
    fn a_clean_eye() {
        let symbols = [-1i8, 0, 1, -1, 0, 1];
        let readout = [0.0, 1.0, 2.0, 0.2, 1.2, 2.2];
        let e = Eye::measure(&readout, &symbols, (0.6, 1.6));
        assert!((e.means[1] - 1.1).abs() < 1e-12);
        let sd = (0.02f64).sqrt();
        assert!((e.sds[0] - sd).abs() < 1e-12);
        assert!(
            (e.margin_sigma - 0.5 / sd).abs() < 1e-9,
            "{}",
            e.margin_sigma
        );
        // Every level sits 0.5 from its thresholds: Q(0.5/0.1414 = 3.54) on four edges, ÷ 3.
        let p = 4.0 * q_function(0.5 / sd) / 3.0;
        assert!((e.gaussian_ser() / p - 1.0).abs() < 1e-9);
        // Comparator noise adds in quadrature.
        let sc = (0.02f64 + 0.01).sqrt();
        let pc = 4.0 * q_function(0.5 / sc) / 3.0;
        assert!((e.predicted_ser(0.1, 0.0) / pc - 1.0).abs() < 1e-9);
        // Hysteresis can only make errors likelier here (it moves every threshold toward a level).
        assert!(e.predicted_ser(0.0, 0.2) > e.gaussian_ser());
    }
}

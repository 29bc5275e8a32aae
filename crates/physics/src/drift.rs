//! Slow drift: a random walk of the rig's temperature and the gain, phase and bias shifts it
//! causes through temperature coefficients.
//!
//! The temperature deviation ΔT performs a random walk with a diffusion of `temperature_walk`
//! K/√s around the controlled set point (a TEC holds the mean); the gain shifts by
//! `gain_db_per_kelvin`·ΔT, a modulator or interferometer bias phase by `phase_per_kelvin`·ΔT and
//! comparator thresholds by `bias_per_kelvin`·ΔT.

use crate::rng::{Rng, normal};
use serde::Serialize;

/// Drift coefficients. Defaults are typical orders of magnitude, not datasheet figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DriftModel {
    /// Temperature random walk, K/√s.
    pub temperature_walk: f64,
    /// Gain change per kelvin, dB/K (SOA gain ≈ −0.1 dB/K).
    pub gain_db_per_kelvin: f64,
    /// Bias-phase change per kelvin, rad/K (thermal drift of an MZM bias point).
    pub phase_per_kelvin: f64,
    /// Receiver offset change per kelvin, V/K.
    pub bias_per_kelvin: f64,
}

impl Default for DriftModel {
    fn default() -> Self {
        Self {
            temperature_walk: 0.01,
            gain_db_per_kelvin: -0.1,
            phase_per_kelvin: 0.05,
            bias_per_kelvin: 1e-3,
        }
    }
}

/// The state of the drift.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Drift {
    pub model: DriftModel,
    /// Temperature deviation, K.
    pub delta_t: f64,
}

impl Drift {
    pub fn new(model: DriftModel) -> Self {
        Self {
            model,
            delta_t: 0.0,
        }
    }
    /// Advances by `elapsed` seconds.
    pub fn advance(&mut self, elapsed: f64, rng: &mut Rng) {
        self.delta_t += self.model.temperature_walk * elapsed.sqrt() * normal(rng);
    }
    /// Power gain factor now.
    pub fn gain(&self) -> f64 {
        10f64.powf(self.model.gain_db_per_kelvin * self.delta_t / 10.0)
    }
    /// Bias phase now, rad.
    pub fn phase(&self) -> f64 {
        self.model.phase_per_kelvin * self.delta_t
    }
    /// Receiver offset now, V.
    pub fn offset(&self) -> f64 {
        self.model.bias_per_kelvin * self.delta_t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_walk_variance_grows_linearly() {
        // After time t the temperature deviation has variance walk²·t.
        let n = 20_000;
        let var: f64 = (0..n)
            .map(|i| {
                let mut rng = crate::rng::stream(5, "drift", 0, i);
                let mut d = Drift::new(DriftModel::default());
                for _ in 0..100 {
                    d.advance(0.01, &mut rng);
                }
                d.delta_t * d.delta_t
            })
            .sum::<f64>()
            / n as f64;
        let expected = 0.01f64.powi(2) * 1.0;
        assert!((var / expected - 1.0).abs() < 0.03, "{var} vs {expected}");
    }
}

//! First-order low-pass filter: the bandwidth of modulator drivers and receivers.
//!
//! y' = (x − y)/τ with τ = 1/(2π·f₃dB), discretised exactly for an input held over each sample:
//! y ← y + (1 − e^(−dt/τ))·(x − y). Its 10–90 % rise time is τ·ln 9 ≈ 2.2τ, and its noise-equivalent
//! bandwidth is (π/2)·f₃dB.

/// One first-order low-pass filter with state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowPass {
    alpha: f64,
    state: f64,
}

impl LowPass {
    /// A filter of 3-dB bandwidth `f3db` at sample interval `dt`, starting from `initial`.
    pub fn new(f3db: f64, dt: f64, initial: f64) -> Self {
        let tau = 1.0 / (2.0 * std::f64::consts::PI * f3db);
        Self {
            alpha: 1.0 - (-dt / tau).exp(),
            state: initial,
        }
    }
    /// A filter that passes everything unchanged.
    pub fn transparent() -> Self {
        Self {
            alpha: 1.0,
            state: 0.0,
        }
    }
    #[inline]
    pub fn step(&mut self, x: f64) -> f64 {
        self.state += self.alpha * (x - self.state);
        self.state
    }
    pub fn state(&self) -> f64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rise_time_is_2_2_tau() {
        // A step through a 1 GHz first-order filter sampled at 1 ps: 10 % → 90 % in τ·ln 9.
        let (f3db, dt) = (1e9, 1e-12);
        let tau = 1.0 / (2.0 * std::f64::consts::PI * f3db);
        let mut f = LowPass::new(f3db, dt, 0.0);
        let (mut t10, mut t90) = (None, None);
        for i in 0..10_000 {
            let y = f.step(1.0);
            let t = (i + 1) as f64 * dt;
            if t10.is_none() && y >= 0.1 {
                t10 = Some(t);
            }
            if t90.is_none() && y >= 0.9 {
                t90 = Some(t);
            }
        }
        let rise = t90.unwrap() - t10.unwrap();
        assert!(
            (rise / (tau * 9f64.ln()) - 1.0).abs() < 0.01,
            "{rise} vs {}",
            tau * 9f64.ln()
        );
        assert!((9f64.ln() - 2.197).abs() < 1e-3);
    }
}

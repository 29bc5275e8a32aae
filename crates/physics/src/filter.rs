//! First-order low-pass filter: the bandwidth of modulator drivers and receivers.
//!
//! y' = (x − y)/τ with τ = 1/(2π·f₃dB), discretised exactly for an input held over each sample:
//! y ← y + (1 − e^(−dt/τ))·(x − y). Its 10–90 % rise time is τ·ln 9 ≈ 2.2τ, and its noise-equivalent
//! bandwidth is (π/2)·f₃dB.

use crate::speculative;

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
    /// The factor 1 − α = e^(−dt/τ) by which the response to an input decays per sample.
    pub fn decay_per_sample(&self) -> f64 {
        1.0 - self.alpha
    }

    /// Filters a block: `out[j]` is the output after `input[j]`, as [`LowPass::step`] gives
    /// it. Where the block is long against τ/dt it runs speculatively in segments
    /// ([`crate::speculative`]; a deviation decays by e^(−dt/τ) per sample, each segment
    /// starts from the input before it), with the same numbers (tested): the plain recursion
    /// waits on its own result every sample.
    pub fn run(&mut self, input: &[f64], out: &mut Vec<f64>) {
        let n = input.len();
        out.resize(n, 0.0);
        // τ/dt = −1/ln(1 − α): 0 for a transparent filter (α = 1), infinite for a frozen one
        // (α = 0, where the quotient is −∞ without the absolute value).
        let tau_over_dt = (-1.0 / (1.0 - self.alpha).ln()).abs();
        let alpha = self.alpha;
        self.state = speculative::run_scalar(
            // `LowPass::step`'s operations.
            |y, [x]| y + alpha * (x - y),
            [input],
            out,
            self.state,
            // A segment starts from the output that the input before it would settle to.
            |j| input[j - 1],
            speculative::segment_length(n, tau_over_dt),
        );
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

    /// A block filtered at once equals the same inputs stepped one by one, bit for bit, for a
    /// filter that forgets within a few samples (run in segments), one that forgets within
    /// about a thousand (run plainly at this length) and a frozen one (no bandwidth), and for
    /// block lengths that do and do not divide into the segments.
    #[test]
    fn a_block_is_the_steps() {
        assert_eq!(LowPass::new(0.0, 7.5e-10, 0.25).alpha, 0.0);
        for f3db in [3e8, 1e6, 0.0] {
            for n in [8192, 9001] {
                let input: Vec<f64> = (0..n).map(|j| ((j * 29 + j / 7) % 13) as f64).collect();
                let mut stepped = LowPass::new(f3db, 7.5e-10, 0.25);
                let mut block = stepped;
                let steps: Vec<u64> = input.iter().map(|x| stepped.step(*x).to_bits()).collect();
                let mut out = Vec::new();
                block.run(&input, &mut out);
                let first = (0..n).find(|&j| out[j].to_bits() != steps[j]);
                assert_eq!(first, None, "f3dB {f3db:e}, n {n}");
                assert_eq!(block, stepped);
            }
        }
    }
}

//! Readout windows with clock jitter, and the integrate-and-dump receiver.
//!
//! The receiver integrates its input over each readout window (one symbol, or several when the
//! rig accumulates partial sums), so its noise bandwidth is 1/(2·window) — the convention of the
//! noise budget. Clock jitter moves each window's edges by independent Gaussian offsets of the
//! rms jitter; the window sum is taken with fractional edges (linear share of the edge samples).

use crate::rng::{Rng, normal};

/// Mean of `samples` over windows of `per_window` samples, with edges jittered by
/// `jitter_samples` rms (in samples). One value per whole window.
pub fn integrate(
    samples: &[f64],
    per_window: usize,
    jitter_samples: f64,
    rng: &mut Rng,
) -> Vec<f64> {
    let n = samples.len() / per_window.max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0.0f64;
    for k in 0..n {
        let nominal_end = ((k + 1) * per_window) as f64;
        let end = if jitter_samples > 0.0 && k + 1 < n {
            (nominal_end + jitter_samples * normal(rng)).clamp(start, samples.len() as f64)
        } else {
            nominal_end
        };
        out.push(window_mean(samples, start, end, per_window as f64));
        start = end;
    }
    out
}

/// Integral of the piecewise-constant `samples` over [a, b) (in sample units) divided by `norm`.
fn window_mean(samples: &[f64], a: f64, b: f64, norm: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    // 0 ≤ a < b: truncation is the floor (and no libm call on the baseline target).
    let (ia, ib) = (a as usize, b as usize);
    let mut sum = 0.0;
    if ia == ib {
        sum += samples.get(ia).copied().unwrap_or(0.0) * (b - a);
    } else {
        sum += samples.get(ia).copied().unwrap_or(0.0) * ((ia + 1) as f64 - a);
        sum += samples[ia + 1..ib.min(samples.len())].iter().sum::<f64>();
        sum += samples.get(ib).copied().unwrap_or(0.0) * (b - ib as f64);
    }
    sum / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_without_jitter_are_plain_means() {
        let s: Vec<f64> = (0..12).map(|i| i as f64).collect();
        let mut rng = crate::rng::stream(0, "t", 0, 0);
        assert_eq!(integrate(&s, 4, 0.0, &mut rng), vec![1.5, 5.5, 9.5]);
    }

    #[test]
    fn fractional_edges_share_samples() {
        let s = vec![1.0, 3.0, 5.0];
        assert!((window_mean(&s, 0.5, 2.5, 2.0) - (0.5 + 3.0 + 2.5) / 2.0).abs() < 1e-15);
    }
}

//! The linear baseline: a tapped delay line of the input, whose N nodes are the input's last
//! values, u(t), u(t − 1), … (for d input dimensions, the last ⌈N/d⌉ steps of every one).
//!
//! A linear readout of it is any finite-impulse-response filter of the input of that length,
//! which is everything a linear time-invariant reservoir with a linear readout can compute
//! (its impulse response, truncated where its memory has faded). A reservoir that scores no
//! better than this baseline gains nothing from its nonlinearity (or loses what it gains to
//! noise): for NARMA10 the baseline's error is what the product term u(t − 1)·u(t − 10) and
//! the output's self-modulation leave to a linear filter (NRMSE near 0.4 with this crate's
//! protocol).

use super::Reservoir;

/// The tapped delay line.
#[derive(Debug, Clone)]
pub struct TappedDelayLine {
    /// Node values, newest first.
    taps: Vec<f64>,
    gain: f64,
}

impl TappedDelayLine {
    /// `nodes` taps; every value is the input times `gain` (a linear readout undoes any gain,
    /// so it only moves the ridge penalty's scale).
    pub fn new(nodes: usize, gain: f64) -> Self {
        Self {
            taps: vec![0.0; nodes],
            gain,
        }
    }
}

impl Reservoir for TappedDelayLine {
    fn nodes(&self) -> usize {
        self.taps.len()
    }

    fn step(&mut self, u: &[f64], out: &mut [f64]) {
        let n = self.taps.len();
        let d = u.len().min(n);
        self.taps.copy_within(0..n - d, d);
        for (t, v) in self.taps.iter_mut().zip(u) {
            *t = self.gain * v;
        }
        out.copy_from_slice(&self.taps);
    }

    fn reset(&mut self) {
        self.taps.iter_mut().for_each(|t| *t = 0.0);
    }

    fn state(&self) -> Option<Vec<f64>> {
        Some(self.taps.clone())
    }

    fn set_state(&mut self, state: &[f64]) {
        self.taps.copy_from_slice(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nodes are the input's past, newest first, for one and for two input dimensions.
    #[test]
    fn nodes_are_the_inputs_past() {
        let mut line = TappedDelayLine::new(3, 2.0);
        let mut out = [0.0; 3];
        for u in [1.0, 2.0, 3.0, 4.0] {
            line.step(&[u], &mut out);
        }
        assert_eq!(out, [8.0, 6.0, 4.0]);
        let mut line = TappedDelayLine::new(5, 1.0);
        let mut out = [0.0; 5];
        for k in 0..3 {
            line.step(&[k as f64, 10.0 + k as f64], &mut out);
        }
        assert_eq!(out, [2.0, 12.0, 1.0, 11.0, 0.0]);
        line.reset();
        line.step(&[5.0, 6.0], &mut out);
        assert_eq!(out, [5.0, 6.0, 0.0, 0.0, 0.0]);
    }
}

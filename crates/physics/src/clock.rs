//! Readout windows with clock jitter, and the integrate-and-dump receiver.
//!
//! The receiver integrates its input over each readout window (one symbol, or several when the
//! rig accumulates partial sums), so its noise bandwidth is 1/(2·window) — the convention of the
//! noise budget. Clock jitter moves each window's edges by independent Gaussian offsets of the
//! rms jitter; the window sum is taken with fractional edges (linear share of the edge samples).

use crate::gaussian::fill_normals;
use crate::rng::Rng;

/// Mean of `samples` over windows of `per_window` samples, with edges jittered by
/// `jitter_samples` rms (in samples). One value per whole window.
///
/// The edges are set first: the standard normal deviates of the jittered ends (every window's
/// but the last, whose end is the block's) drawn as one block ([`fill_normals`]), then each
/// end clamped to the window's start and the block, window by window; then each window's mean
/// is taken ([`window_mean`]).
pub fn integrate(
    samples: &[f64],
    per_window: usize,
    jitter_samples: f64,
    rng: &mut Rng,
) -> Vec<f64> {
    let n = samples.len() / per_window.max(1);
    let mut deviates = Vec::new();
    if jitter_samples > 0.0 {
        fill_normals(rng, n.saturating_sub(1), &mut deviates);
    }
    let mut ends: Vec<f64> = (1..=n).map(|k| (k * per_window) as f64).collect();
    let (mut start, len) = (0.0f64, samples.len() as f64);
    for (end, z) in ends.iter_mut().zip(&deviates) {
        // `clamp(start, len)`, without its check that start ≤ len (it is).
        let moved = *end + jitter_samples * z;
        *end = if moved < start {
            start
        } else if moved > len {
            len
        } else {
            moved
        };
        start = *end;
    }
    let starts = std::iter::once(0.0).chain(ends.iter().copied());
    let norm = per_window as f64;
    starts
        .zip(&ends)
        .map(|(a, &b)| window_mean(samples, a, b, per_window, norm))
        .collect()
}

/// Integral of the piecewise-constant `samples` over [a, b) (in sample units) divided by `norm`:
/// the share of the first and last samples the window covers in part, and the whole samples
/// between summed in order.
///
/// A window of nominally `per_window` samples whose edges have moved by less than half a
/// sample covers `per_window` − 2 to `per_window` whole samples, as the edges fall, so a loop
/// over them ends at a count that changes from window to window. Where the window covers that
/// many whole samples, inside the block, the first `per_window` − 2 are summed by a loop of
/// that fixed length and the last two candidates are each added or replaced by +0.0 (no
/// branch): the same additions in the same order (where the sum so far is −0.0, the sum's zero
/// may come out +0.0).
#[inline]
fn window_mean(samples: &[f64], a: f64, b: f64, per_window: usize, norm: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    // 0 ≤ a < b: truncation is the floor (and no libm call on the baseline target).
    let (ia, ib) = (a as usize, b as usize);
    let mut sum = 0.0;
    if ia == ib {
        sum += samples.get(ia).copied().unwrap_or(0.0) * (b - a);
    } else if per_window >= 2
        && ib + 1 >= ia + per_window
        && ib <= ia + per_window + 1
        && ib < samples.len()
        && ia + per_window < samples.len()
    {
        // Whole samples ia + 1 .. ib: ia + 1 .. ia + per_window − 1 always, then
        // ia + per_window − 1 and ia + per_window where they are before ib.
        sum += samples[ia] * ((ia + 1) as f64 - a);
        let mut whole = -0.0;
        for x in &samples[ia + 1..ia + per_window - 1] {
            whole += x;
        }
        // x where j < ib, else +0.0, by a mask on its bits.
        let masked = |j: usize| {
            let keep = ((j < ib) as u64).wrapping_neg();
            f64::from_bits(samples[j].to_bits() & keep)
        };
        whole += masked(ia + per_window - 1);
        whole += masked(ia + per_window);
        sum += whole;
        sum += samples[ib] * (b - ib as f64);
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

    /// The windows' sums over a fixed set of candidates give the numbers, bit for bit, of a
    /// loop over each window's whole samples (the plain sum, `reference`), for jitter below
    /// and beyond a sample, windows of 1 to 9 samples, and blocks ending in a partial window.
    #[test]
    fn selected_sums_are_the_plain_sums() {
        fn reference(samples: &[f64], per_window: usize, jitter: f64, rng: &mut Rng) -> Vec<f64> {
            let n = samples.len() / per_window;
            let mut start = 0.0f64;
            let mut z = Vec::new();
            fill_normals(rng, n - 1, &mut z);
            (0..n)
                .map(|k| {
                    let nominal = ((k + 1) * per_window) as f64;
                    let end = if jitter > 0.0 && k + 1 < n {
                        (nominal + jitter * z[k]).clamp(start, samples.len() as f64)
                    } else {
                        nominal
                    };
                    let (a, b) = (start, end);
                    start = end;
                    if b <= a {
                        return 0.0;
                    }
                    let (ia, ib) = (a.floor() as usize, b.floor() as usize);
                    let at = |i: usize| samples.get(i).copied().unwrap_or(0.0);
                    let mut sum = 0.0;
                    if ia == ib {
                        sum += at(ia) * (b - a);
                    } else {
                        sum += at(ia) * ((ia + 1) as f64 - a);
                        let mut whole = -0.0;
                        for x in &samples[ia + 1..ib.min(samples.len())] {
                            whole += x;
                        }
                        sum += whole;
                        sum += at(ib) * (b - ib as f64);
                    }
                    sum / per_window as f64
                })
                .collect()
        }
        let mut values = crate::rng::stream(3, "test.clock", 0, 0);
        let samples: Vec<f64> = (0..1003).map(|_| crate::rng::normal(&mut values)).collect();
        for per_window in 1..10 {
            for jitter in [0.0, 1e-4, 0.3, 2.5] {
                let got = integrate(
                    &samples,
                    per_window,
                    jitter,
                    &mut crate::rng::stream(4, "t", 0, 0),
                );
                let want = reference(
                    &samples,
                    per_window,
                    jitter,
                    &mut crate::rng::stream(4, "t", 0, 0),
                );
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&got),
                    bits(&want),
                    "{per_window} per window, jitter {jitter}"
                );
            }
        }
    }

    #[test]
    fn fractional_edges_share_samples() {
        let s = vec![1.0, 3.0, 5.0];
        assert!((window_mean(&s, 0.5, 2.5, 2, 2.0) - (0.5 + 3.0 + 2.5) / 2.0).abs() < 1e-15);
    }
}

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
/// is taken ([`window_mean`]; eight windows side by side where the processor has AVX-512,
/// [`means_avx512`], with the same numbers).
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
    let mut means = vec![0.0; n];
    lightloop_base::avx512_avx2_or!(
        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
        unsafe { means_avx512(samples, &ends, per_window, &mut means) },
        means_plain(samples, &ends, per_window, &mut means),
        means_plain(samples, &ends, per_window, &mut means)
    );
    means
}

/// Each window's mean ([`window_mean`]) into `means`, the windows ending at `ends` (the first
/// starting at 0).
fn means_plain(samples: &[f64], ends: &[f64], per_window: usize, means: &mut [f64]) {
    let norm = per_window as f64;
    let starts = std::iter::once(0.0).chain(ends.iter().copied());
    for ((m, a), &b) in means.iter_mut().zip(starts).zip(ends) {
        *m = window_mean(samples, a, b, per_window, norm);
    }
}

/// [`means_plain`] with eight windows side by side in AVX-512 registers, their samples
/// gathered, where all eight are regular ([`fixed_window`]: [`window_mean`]'s fixed loop):
/// each lane the same additions in the same order as `window_mean`'s, so the same numbers
/// (tested). Other groups go window by window.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn means_avx512(samples: &[f64], ends: &[f64], per_window: usize, means: &mut [f64]) {
    use std::arch::x86_64::*;
    const W: usize = 8;
    let norm = per_window as f64;
    let len = samples.len();
    let regular = |a: f64, b: f64| {
        let (ia, ib) = (a as usize, b as usize);
        b > a && ia != ib && fixed_window(ia, ib, per_window, len)
    };
    let mut start = 0.0f64;
    for (ends, means) in ends.chunks(W).zip(means.chunks_mut(W)) {
        let starts: [f64; W] = std::array::from_fn(|l| match l {
            0 => start,
            _ => ends.get(l - 1).copied().unwrap_or(0.0),
        });
        start = ends[ends.len() - 1];
        if ends.len() < W || !(0..W).all(|l| regular(starts[l], ends[l])) {
            for ((m, &a), &b) in means.iter_mut().zip(&starts).zip(ends) {
                *m = window_mean(samples, a, b, per_window, norm);
            }
            continue;
        }
        let base = samples.as_ptr();
        // SAFETY: AVX-512 is enabled here; every index gathered is at most
        // ia + `per_window` < len or ib < len (`regular`), and `starts`, `ends` and `means`
        // hold eight lanes.
        unsafe {
            let a = _mm512_loadu_pd(starts.as_ptr());
            let b = _mm512_loadu_pd(ends.as_ptr());
            // Truncation is the floor (0 ≤ a < b).
            let (ia, ib) = (_mm512_cvttpd_epu64(a), _mm512_cvttpd_epu64(b));
            let at = |j: i64| _mm512_add_epi64(ia, _mm512_set1_epi64(j));
            let first = _mm512_i64gather_pd::<8>(ia, base);
            let share = _mm512_sub_pd(_mm512_cvtepu64_pd(at(1)), a);
            let mut sum = _mm512_add_pd(_mm512_setzero_pd(), _mm512_mul_pd(first, share));
            let mut whole = _mm512_set1_pd(-0.0);
            for j in 1..per_window - 1 {
                whole = _mm512_add_pd(whole, _mm512_i64gather_pd::<8>(at(j as i64), base));
            }
            // The last two candidates where before ib, else +0.0.
            for j in [per_window - 1, per_window] {
                let index = at(j as i64);
                let keep = _mm512_cmplt_epu64_mask(index, ib);
                let x = _mm512_mask_i64gather_pd::<8>(_mm512_setzero_pd(), keep, index, base);
                whole = _mm512_add_pd(whole, x);
            }
            sum = _mm512_add_pd(sum, whole);
            let last = _mm512_i64gather_pd::<8>(ib, base);
            let share = _mm512_sub_pd(b, _mm512_cvtepu64_pd(ib));
            sum = _mm512_add_pd(sum, _mm512_mul_pd(last, share));
            let mean = _mm512_div_pd(sum, _mm512_set1_pd(norm));
            _mm512_storeu_pd(means.as_mut_ptr(), mean);
        }
    }
}

/// Whether a window whose first and last samples in part are `ia` < `ib` covers `per_window`
/// − 2 to `per_window` whole samples inside a block of `len` (at least 2 per window), so that
/// [`window_mean`] sums it over its fixed candidates.
#[inline(always)]
fn fixed_window(ia: usize, ib: usize, per_window: usize, len: usize) -> bool {
    per_window >= 2
        && ib + 1 >= ia + per_window
        && ib <= ia + per_window + 1
        && ib < len
        && ia + per_window < len
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
    } else if fixed_window(ia, ib, per_window, samples.len()) {
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

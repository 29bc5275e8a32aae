//! Speculative evaluation of a sample-by-sample recurrence in interleaved segments.
//!
//! A stage whose state carries from sample to sample (an amplifier's gain, an absorber's
//! absorption) runs a chain of dependent operations, which a core executes far below its
//! throughput. When the state forgets where it started (it relaxes towards each sample's own
//! steady state), the block can be cut into [`LANES`] segments that run together as
//! independent chains: the first from the true state, each other one from a guess (the steady
//! state of the sample before it). Then each segment is run again from the true end of the one
//! before, until its state equals the stored one bit for bit ([`finish`]); from there on the
//! stored states are what the plain recurrence gives, since each sample's state depends only on
//! the state before it and the sample's inputs. So the numbers are those of the plain
//! recurrence exactly, whether or not a guess was forgotten (tested in the stages that use it).

/// Segments of a speculative run. 8 measured faster than 4 for the SOA (a step's operations
/// wait on each other for longer than 4 lanes' work takes).
pub(crate) const LANES: usize = 8;

/// Segments are n/[`LANES`] samples less this many. Segments of n/LANES samples start a
/// multiple of 4 KiB apart in memory when n is a multiple of 512·LANES (as in `bench
/// physics`), and the lanes' loads and stores then collide in the cache (the SOA's lanes
/// measured 11.4 against 9.4 ns per sample); 9 samples (72 bytes) fewer spread them over
/// separate cache sets.
pub(crate) const STAGGER: usize = 9;

/// Where sample `j` of a block cut into segments of `len` samples sits in lane order: the
/// samples of the [`LANES`] segments side by side, sample i of segment l at i·LANES + l, so
/// that a step of the interleaved chains reads and writes one contiguous row; the samples after
/// the segments keep their places.
#[inline(always)]
pub(crate) fn lane_index(j: usize, len: usize) -> usize {
    if j < LANES * len {
        (j % len) * LANES + j / len
    } else {
        j
    }
}

/// `natural` rearranged into lane order ([`lane_index`]) in `out`, in blocks of 8 × [`LANES`]
/// (each block's reads are 8 consecutive samples of every segment, its writes 8 whole rows).
pub(crate) fn to_lane_order(natural: &[f64], len: usize, out: &mut Vec<f64>) {
    let n = natural.len();
    // Every entry is written below: no need to clear.
    out.resize(n, 0.0);
    let rows = len / 8 * 8;
    for i in (0..rows).step_by(8) {
        let block: [[f64; 8]; LANES] =
            std::array::from_fn(|l| natural[l * len + i..][..8].try_into().unwrap());
        for (r, row) in out[i * LANES..(i + 8) * LANES]
            .chunks_exact_mut(LANES)
            .enumerate()
        {
            for (l, x) in row.iter_mut().enumerate() {
                *x = block[l][r];
            }
        }
    }
    for i in rows..len {
        for l in 0..LANES {
            out[i * LANES + l] = natural[l * len + i];
        }
    }
    out[LANES * len..].copy_from_slice(&natural[LANES * len..]);
}

/// [`to_lane_order`] undone: `lanes` in lane order back into the samples' order in `out`.
pub(crate) fn from_lane_order(lanes: &[f64], len: usize, out: &mut Vec<f64>) {
    let n = lanes.len();
    // Every entry is written below: no need to clear.
    out.resize(n, 0.0);
    let rows = len / 8 * 8;
    for i in (0..rows).step_by(8) {
        let block: [[f64; LANES]; 8] =
            std::array::from_fn(|r| lanes[(i + r) * LANES..][..LANES].try_into().unwrap());
        for l in 0..LANES {
            for (r, x) in out[l * len + i..][..8].iter_mut().enumerate() {
                *x = block[r][l];
            }
        }
    }
    for i in rows..len {
        for l in 0..LANES {
            out[l * len + i] = lanes[i * LANES + l];
        }
    }
    out[LANES * len..].copy_from_slice(&lanes[LANES * len..]);
}

/// A recurrence over one block of samples: the inputs it reads and the states it stores.
pub(crate) trait Recurrence {
    type State: Copy;
    /// The state after sample `j` from the state `s` before it.
    fn step(&self, s: Self::State, j: usize) -> Self::State;
    /// The state stored after sample `j`.
    fn stored(&self, j: usize) -> Self::State;
    fn store(&mut self, j: usize, s: Self::State);
    /// Whether two states are equal bit for bit.
    fn same(a: Self::State, b: Self::State) -> bool;
}

/// The segments' length for a block of `n` samples of a state whose deviations decay at least
/// as e^(−Δt/τ) per sample, or `None` where the block is better run plainly: each segment must
/// be at least 64 samples and 16 times the 40·τ/Δt samples that take any guess within a state's
/// range (a deviation below e⁴⁰·10⁻¹⁷) to rounding, so that the re-runs cost a small part.
pub(crate) fn segment_length(n: usize, tau_over_dt: f64) -> Option<usize> {
    let segment = n / LANES;
    (segment >= 64 && segment as f64 >= 16.0 * 40.0 * tau_over_dt).then(|| segment - STAGGER)
}

/// The plain recurrence over samples `from..to` from state `s`, storing each; returns the last
/// state.
pub(crate) fn plain<R: Recurrence>(r: &mut R, from: usize, to: usize, mut s: R::State) -> R::State {
    for j in from..to {
        s = r.step(s, j);
        r.store(j, s);
    }
    s
}

/// The [`LANES`] segments of `len` samples interleaved, sample i of every segment in turn,
/// from `start` (the first segment's true state, the others' guesses); returns the last
/// segment's end state.
pub(crate) fn interleaved<R: Recurrence>(
    r: &mut R,
    len: usize,
    mut start: [R::State; LANES],
) -> R::State {
    for i in 0..len {
        for (l, s) in start.iter_mut().enumerate() {
            *s = r.step(*s, l * len + i);
            r.store(l * len + i, *s);
        }
    }
    start[LANES - 1]
}

/// After the segments of `len` samples have run and stored their states, the last segment's
/// end state being `last`: runs the last segment on to the block's end (`n`), then runs each
/// segment after the first again from the true end of the one before, until it meets the
/// stored run. Returns the block's last state.
pub(crate) fn finish<R: Recurrence>(r: &mut R, n: usize, len: usize, last: R::State) -> R::State {
    plain(r, LANES * len, n, last);
    for l in 1..LANES {
        let mut s = r.stored(l * len - 1);
        let end = if l + 1 == LANES { n } else { (l + 1) * len };
        for j in l * len..end {
            s = r.step(s, j);
            if R::same(s, r.stored(j)) {
                break;
            }
            r.store(j, s);
        }
    }
    r.stored(n - 1)
}

/// A recurrence of one number per sample: `step(s, j)` from the state `s` before sample `j`,
/// each state stored in `out`.
struct Scalar<'a, F> {
    step: F,
    out: &'a mut [f64],
}

impl<F: Fn(f64, usize) -> f64> Recurrence for Scalar<'_, F> {
    type State = f64;
    #[inline(always)]
    fn step(&self, s: f64, j: usize) -> f64 {
        (self.step)(s, j)
    }
    fn stored(&self, j: usize) -> f64 {
        self.out[j]
    }
    #[inline(always)]
    fn store(&mut self, j: usize, s: f64) {
        self.out[j] = s;
    }
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits()
    }
}

/// Runs a recurrence of one number per sample over the `out.len()` samples of a block from
/// `start`, each state in `out`: in `segments` of that length, the segment that begins at
/// sample j starting from `guess(j)`, or plainly. Returns the block's last state.
#[inline(always)]
pub(crate) fn run_scalar(
    step: impl Fn(f64, usize) -> f64,
    out: &mut [f64],
    start: f64,
    guess: impl Fn(usize) -> f64,
    segments: Option<usize>,
) -> f64 {
    let n = out.len();
    let mut run = Scalar { step, out };
    match segments {
        None => plain(&mut run, 0, n, start),
        Some(len) => {
            let first = std::array::from_fn(|l| if l == 0 { start } else { guess(l * len) });
            let last = interleaved(&mut run, len, first);
            finish(&mut run, n, len, last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lane order puts sample j at `lane_index(j)`, whole blocks of 8 rows or not, and
    /// `from_lane_order` undoes it.
    #[test]
    fn lane_order_round_trips() {
        for (n, len) in [(8192, 1015), (8192, 1024), (9001, 1000), (100, 12), (64, 8)] {
            let natural: Vec<f64> = (0..n).map(|j| j as f64).collect();
            let mut lanes = Vec::new();
            to_lane_order(&natural, len, &mut lanes);
            assert!(
                (0..n).all(|j| lanes[lane_index(j, len)] == natural[j]),
                "{n}, {len}"
            );
            let mut back = Vec::new();
            from_lane_order(&lanes, len, &mut back);
            assert_eq!(back, natural);
            // Rows: sample i of every segment side by side.
            assert_eq!(
                lanes[LANES..2 * LANES],
                std::array::from_fn::<f64, LANES, _>(|l| (l * len + 1) as f64)
            );
        }
    }
}

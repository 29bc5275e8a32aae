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

/// Segments of a speculative run of one number per sample ([`run_scalar`]). 8 measured faster
/// than 4 for the SOA (a step's operations wait on each other for longer than 4 lanes' work
/// takes); the SOA, in lane order, runs its own count. With [`run_scalar`]'s tiles, 16
/// measured 7 % slower than 8 for the whole chain.
pub(crate) const LANES: usize = 8;

/// Segments are n/[`LANES`] samples less this many. Segments of n/LANES samples start a
/// multiple of 4 KiB apart in memory when n is a multiple of 512·LANES (as in `bench
/// physics`), and the lanes' loads and stores then collide in the cache (the SOA's lanes
/// measured 11.4 against 9.4 ns per sample); 9 samples (72 bytes) fewer spread them over
/// separate cache sets.
pub(crate) const STAGGER: usize = 9;

/// [`segment_length`] for a run of `L` segments in lane order ([`lane_index`]), under the same
/// conditions: n/L samples, whole, since the rows of lane order do not stride across the block
/// and need no [`STAGGER`] (the samples after the segments are run plainly).
pub(crate) fn lane_segment_length<const L: usize>(n: usize, tau_over_dt: f64) -> Option<usize> {
    let segment = n / L;
    (segment >= 64 && segment as f64 >= 16.0 * 40.0 * tau_over_dt).then_some(segment)
}

/// Where sample `j` of a block cut into `L` segments of `len` samples sits in lane order: the
/// samples of the segments side by side, sample i of segment l at i·L + l, so that a step of
/// the interleaved chains reads and writes one contiguous row; the samples after the segments
/// keep their places.
#[inline(always)]
pub(crate) fn lane_index<const L: usize>(j: usize, len: usize) -> usize {
    if j < L * len {
        (j % len) * L + j / len
    } else {
        j
    }
}

/// `natural` rearranged into lane order ([`lane_index`]) of `L` segments (a multiple of 8) in
/// `out`, in blocks of 8 × `L` (each block's reads are 8 consecutive samples of every
/// segment, its writes 8 whole rows; with AVX-512 each 8 × 8 is transposed in registers).
pub(crate) fn to_lane_order<const L: usize>(natural: &[f64], len: usize, out: &mut Vec<f64>) {
    // Every entry is written below: no need to clear.
    out.resize(natural.len(), 0.0);
    lightloop_base::avx512_avx2_or!(
        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
        unsafe { reorder_avx512::<L>(natural, len, out, true) },
        reorder::<L>(natural, len, out, true),
        reorder::<L>(natural, len, out, true)
    )
}

/// [`to_lane_order`] undone: `lanes` in lane order back into the samples' order in `out`.
pub(crate) fn from_lane_order<const L: usize>(lanes: &[f64], len: usize, out: &mut Vec<f64>) {
    // Every entry is written below: no need to clear.
    out.resize(lanes.len(), 0.0);
    lightloop_base::avx512_avx2_or!(
        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
        unsafe { reorder_avx512::<L>(lanes, len, out, false) },
        reorder::<L>(lanes, len, out, false),
        reorder::<L>(lanes, len, out, false)
    )
}

/// Into lane order (`forward`) or back, from `from` into `to` (of the same length): the rows
/// below the last whole block of 8, then the samples after the segments.
fn reorder_rest<const L: usize>(
    from: &[f64],
    len: usize,
    to: &mut [f64],
    forward: bool,
    rows: usize,
) {
    for i in rows..len {
        for l in 0..L {
            let (natural, lane) = (l * len + i, i * L + l);
            if forward {
                to[lane] = from[natural];
            } else {
                to[natural] = from[lane];
            }
        }
    }
    to[L * len..].copy_from_slice(&from[L * len..]);
}

/// [`to_lane_order`] (`forward`) or [`from_lane_order`], block by block.
fn reorder<const L: usize>(from: &[f64], len: usize, to: &mut [f64], forward: bool) {
    let rows = len / 8 * 8;
    for i in (0..rows).step_by(8) {
        for r in 0..8 {
            for l in 0..L {
                let (natural, lane) = (l * len + i + r, (i + r) * L + l);
                if forward {
                    to[lane] = from[natural];
                } else {
                    to[natural] = from[lane];
                }
            }
        }
    }
    reorder_rest::<L>(from, len, to, forward, rows);
}

/// [`reorder`] with each block of 8 × 8 loaded as eight vectors, transposed in registers
/// ([`transpose8`]) and stored as eight: the same values moved to the same places (tested).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn reorder_avx512<const L: usize>(from: &[f64], len: usize, to: &mut [f64], forward: bool) {
    use std::arch::x86_64::*;
    const { assert!(L.is_multiple_of(8)) };
    let rows = len / 8 * 8;
    let n = from.len().min(to.len());
    assert!(L * len <= n);
    // Block at row i, segments 8g..8g + 8: segment 8g + k's samples i..i + 8 sit at
    // (8g + k)·len + i, rows i + k at (i + k)·L + 8g; the one is the other transposed.
    for i in (0..rows).step_by(8) {
        for g in 0..L / 8 {
            let natural = |k: usize| (8 * g + k) * len + i;
            let lane = |k: usize| (i + k) * L + 8 * g;
            let source = |k: usize| if forward { natural(k) } else { lane(k) };
            let target = |k: usize| if forward { lane(k) } else { natural(k) };
            // SAFETY: every vector read or written is 8 doubles starting at most at
            // (L − 1)·len + rows − 8 (natural) or (rows − 1)·L + L − 8 (lane order), both
            // + 8 ≤ L·len ≤ n.
            unsafe {
                let v: [__m512d; 8] =
                    std::array::from_fn(|k| _mm512_loadu_pd(from.as_ptr().add(source(k))));
                for (k, row) in transpose8(v).into_iter().enumerate() {
                    _mm512_storeu_pd(to.as_mut_ptr().add(target(k)), row);
                }
            }
        }
    }
    reorder_rest::<L>(from, len, to, forward, rows);
}

/// The 8 × 8 transpose of eight vectors of doubles: element r of vector k becomes element k of
/// vector r. Pairs of rows are interleaved, then pairs of 128-bit lanes twice.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn transpose8(v: [std::arch::x86_64::__m512d; 8]) -> [std::arch::x86_64::__m512d; 8] {
    use std::arch::x86_64::*;
    // t₂ₖ = (v₂ₖ[0], v₂ₖ₊₁[0], v₂ₖ[2], v₂ₖ₊₁[2], …), t₂ₖ₊₁ the odd elements likewise.
    let t: [__m512d; 8] = std::array::from_fn(|k| {
        let (a, b) = (v[k & !1], v[k | 1]);
        if k % 2 == 0 {
            _mm512_unpacklo_pd(a, b)
        } else {
            _mm512_unpackhi_pd(a, b)
        }
    });
    // 128-bit lanes 0 and 2 (0x88) or 1 and 3 (0xDD) of each of two vectors.
    let even = |a, b| _mm512_shuffle_f64x2::<0x88>(a, b);
    let odd = |a, b| _mm512_shuffle_f64x2::<0xDD>(a, b);
    // Elements (0, 4), (2, 6), (1, 5), (3, 7) of rows 0–3 and of rows 4–7.
    let s = [
        even(t[0], t[2]),
        odd(t[0], t[2]),
        even(t[1], t[3]),
        odd(t[1], t[3]),
    ];
    let u = [
        even(t[4], t[6]),
        odd(t[4], t[6]),
        even(t[5], t[7]),
        odd(t[5], t[7]),
    ];
    [
        even(s[0], u[0]),
        even(s[2], u[2]),
        even(s[1], u[1]),
        even(s[3], u[3]),
        odd(s[0], u[0]),
        odd(s[2], u[2]),
        odd(s[1], u[1]),
        odd(s[3], u[3]),
    ]
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
    lane_segment_length::<LANES>(n, tau_over_dt).map(|segment| segment - STAGGER)
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

/// Rows `rows` of the [`LANES`] segments of `len` samples interleaved, sample i of every
/// segment in turn, from the segments' states before row `rows.start` in `state` (the first
/// segment's true state, the others' guesses or their ends so far), left there after the
/// last row.
pub(crate) fn interleaved<R: Recurrence>(
    r: &mut R,
    len: usize,
    rows: std::ops::Range<usize>,
    state: &mut [R::State; LANES],
) {
    for i in rows {
        for (l, s) in state.iter_mut().enumerate() {
            *s = r.step(*s, l * len + i);
            r.store(l * len + i, *s);
        }
    }
}

/// After the segments of `len` samples have run and stored their states, the last segment's
/// end state being `last`: runs the last segment on to the block's end (`n`), then runs each
/// segment after the first again from the true end of the one before, until it meets the
/// stored run. Returns the block's last state.
pub(crate) fn finish<R: Recurrence, const L: usize>(
    r: &mut R,
    n: usize,
    len: usize,
    last: R::State,
) -> R::State {
    plain(r, L * len, n, last);
    for l in 1..L {
        let mut s = r.stored(l * len - 1);
        let end = if l + 1 == L { n } else { (l + 1) * len };
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
/// `start`, each state in `out`: the state after sample j is `step(s, x)` from the state s
/// before it and the `K` inputs x = (`inputs[k][j]`). In `segments` of that length, the
/// segment that begins at sample j starting from `guess(j)`, or plainly. Returns the block's
/// last state.
///
/// Where the processor has AVX-512 the segments' rows run in tiles of eight
/// ([`tiles_avx512`]): each input's next eight samples of the eight segments loaded as eight
/// vectors and transposed in registers, so that a row of the chains is one vector, then the
/// eight rows' states transposed back and stored. (One sample at a time, the chains' loads
/// and stores stride across the block, an index each.) The same steps, so the same numbers
/// (tested).
#[inline(always)]
pub(crate) fn run_scalar<const K: usize>(
    step: impl Fn(f64, [f64; K]) -> f64 + Copy,
    inputs: [&[f64]; K],
    out: &mut [f64],
    start: f64,
    guess: impl Fn(usize) -> f64,
    segments: Option<usize>,
) -> f64 {
    let n = out.len();
    assert!(inputs.iter().all(|x| x.len() >= n));
    let one = move |s: f64, j: usize| step(s, std::array::from_fn(|k| inputs[k][j]));
    let mut run = Scalar { step: one, out };
    let Some(len) = segments else {
        return plain(&mut run, 0, n, start);
    };
    let mut state = std::array::from_fn(|l| if l == 0 { start } else { guess(l * len) });
    let tiled: usize = lightloop_base::avx512_avx2_or!(
        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
        unsafe { tiles_avx512(step, inputs, run.out, len, &mut state) },
        0,
        0
    );
    interleaved(&mut run, len, tiled..len, &mut state);
    finish::<_, LANES>(&mut run, n, len, state[LANES - 1])
}

/// The first whole tiles of eight rows of [`run_scalar`]'s segments of `len` samples, from the
/// segments' states in `state` (left there); returns the rows run.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn tiles_avx512<const K: usize>(
    step: impl Fn(f64, [f64; K]) -> f64,
    inputs: [&[f64]; K],
    out: &mut [f64],
    len: usize,
    state: &mut [f64; LANES],
) -> usize {
    use std::arch::x86_64::*;
    // One tile is the eight segments' next eight samples (16 segments measured slower).
    const { assert!(LANES == 8) };
    let rows = len / 8 * 8;
    assert!(LANES * len <= out.len() && inputs.iter().all(|x| LANES * len <= x.len()));
    let mut s = *state;
    let zero = _mm512_setzero_pd();
    for i in (0..rows).step_by(8) {
        // Tile k, row r, lane l: sample i + r of segment l, of input k.
        let mut tiles = [[[0.0f64; LANES]; 8]; K];
        for (k, tile) in tiles.iter_mut().enumerate() {
            let mut v = [zero; 8];
            for (l, v) in v.iter_mut().enumerate() {
                // SAFETY: segment l's samples i..i + 8 end at most at 7·len + rows ≤ 8·len.
                *v = unsafe { _mm512_loadu_pd(inputs[k].as_ptr().add(l * len + i)) };
            }
            for (row, v) in tile.iter_mut().zip(transpose8(v)) {
                // SAFETY: `row` holds eight doubles.
                unsafe { _mm512_storeu_pd(row.as_mut_ptr(), v) };
            }
        }
        let mut states = [zero; 8];
        for (r, row) in states.iter_mut().enumerate() {
            for l in 0..LANES {
                let mut x = [0.0; K];
                for k in 0..K {
                    x[k] = tiles[k][r][l];
                }
                s[l] = step(s[l], x);
            }
            // SAFETY: `s` holds eight doubles.
            *row = unsafe { _mm512_loadu_pd(s.as_ptr()) };
        }
        for (l, samples) in transpose8(states).into_iter().enumerate() {
            // SAFETY: the stores end within 8·len, as the loads above.
            unsafe { _mm512_storeu_pd(out.as_mut_ptr().add(l * len + i), samples) };
        }
    }
    *state = s;
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recurrence of two inputs per sample run in segments (in tiles where the processor has
    /// AVX-512, the rows past the last whole tile one by one) gives the plain recurrence's
    /// states bit for bit, for segment lengths that are and are not multiples of 8.
    #[test]
    fn segments_are_the_plain_recurrence() {
        let step = |a: f64, [target, decay]: [f64; 2]| target + (a - target) * decay;
        for (n, len) in [(8192, 1015), (8192, 1024), (9001, 1117), (640, 64)] {
            let target: Vec<f64> = (0..n).map(|j| ((j * 29 + j / 7) % 13) as f64).collect();
            let decay: Vec<f64> = (0..n).map(|j| 0.05 + ((j * 11) % 7) as f64 * 0.1).collect();
            let mut plain = vec![0.0; n];
            let last = (0..n).fold(0.25, |a, j| {
                plain[j] = step(a, [target[j], decay[j]]);
                plain[j]
            });
            let mut out = vec![0.0; n];
            let guess = |j: usize| target[j - 1];
            let end = run_scalar(step, [&target, &decay], &mut out, 0.25, guess, Some(len));
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&out), bits(&plain), "n {n}, segments of {len}");
            assert_eq!(end.to_bits(), last.to_bits());
        }
    }

    /// Lane order puts sample j at `lane_index(j)`, whole blocks of 8 rows or not, for 8 and
    /// 16 segments, and `from_lane_order` undoes it; the AVX-512 build (where it runs) and
    /// the plain one agree.
    #[test]
    fn lane_order_round_trips() {
        fn check<const L: usize>(n: usize, len: usize) {
            let natural: Vec<f64> = (0..n).map(|j| j as f64).collect();
            let mut lanes = Vec::new();
            to_lane_order::<L>(&natural, len, &mut lanes);
            assert!(
                (0..n).all(|j| lanes[lane_index::<L>(j, len)] == natural[j]),
                "{L} lanes, {n}, {len}"
            );
            let mut back = Vec::new();
            from_lane_order::<L>(&lanes, len, &mut back);
            assert_eq!(back, natural);
            let mut plain = vec![0.0; n];
            reorder::<L>(&natural, len, &mut plain, true);
            assert_eq!(plain, lanes, "{L} lanes, {n}, {len}: the plain build");
            reorder::<L>(&lanes, len, &mut plain, false);
            assert_eq!(
                plain, natural,
                "{L} lanes, {n}, {len}: the plain build, back"
            );
            // Rows: sample i of every segment side by side.
            assert_eq!(
                lanes[L..2 * L],
                std::array::from_fn::<f64, L, _>(|l| (l * len + 1) as f64)
            );
        }
        for (n, len) in [(8192, 1015), (8192, 1024), (9001, 1000), (100, 12), (64, 8)] {
            check::<8>(n, len);
            check::<16>(n, len / 2);
        }
    }
}

//! The software echo-state network, the digital reference of the reservoir benchmarks:
//! x(t+1) = tanh(W·x(t) + W_in·u(t) + b) (tanh to 1e-15 by a fast exponential), W sparse with
//! i.i.d. Gaussian entries scaled so that its spectral radius is ρ by the circular law (a random
//! N×N matrix with entry variance σ² has its eigenvalues spread over a disc of radius σ·√N —
//! approximate for finite N). [`Reservoir::step`] and [`Esn::run`] compute everything in f64.
//!
//! The f32 route ([`Esn::run_f32`], and [`fit_run`], the benchmark's run) keeps the states and
//! the recurrent sums in f32 (the weights rounded to f32, SELL-16 layout of
//! [`crate::sell16`]); the bias, the input term and tanh are taken in f64 from the f32 sum and
//! rounded to f32. Its states differ from the f64 route's by less than 10⁻⁵ (f32 rounding,
//! which the contracting dynamics do not amplify; tested at N = 200); NARMA10's NRMSE is the same within the spread
//! over seeds (tested).

use crate::reservoir::Reservoir;
use crate::sell16::{LANES, Sell16};
use lightloop_base::rng::{normal, stream, uniform};

#[derive(Debug, Clone, PartialEq)]
pub struct EsnSettings {
    pub nodes: usize,
    pub spectral_radius: f64,
    pub input_scaling: f64,
    pub bias_scaling: f64,
    /// Fraction of non-zero recurrent weights.
    pub density: f64,
}

impl Default for EsnSettings {
    /// Tuned on NARMA10 (a coarse grid over ρ, input and bias scaling, seed 1; NRMSE 0.089 with
    /// 12 000 training steps).
    fn default() -> Self {
        Self {
            nodes: 400,
            spectral_radius: 0.95,
            input_scaling: 0.1,
            bias_scaling: 0.3,
            density: 0.1,
        }
    }
}

/// An echo-state network with its recurrent matrix in sliced ELLPACK with slices of four rows
/// (SELL-4; Kreutzer et al., SIAM J. Sci. Comput. 36, C401, 2014): each slice of four
/// consecutive rows is padded to its longest row, and the slice's entries are stored column by
/// column, so that one vector operation takes the k-th entry of all four rows and a row's sum
/// needs no horizontal reduction. The nodes are numbered by their number of inputs (the drawn
/// matrix's rows sorted by length, stably, and its nodes relabelled to match), so that a slice's
/// rows have nearly equal lengths and little padding; a relabelling is the same network.
#[derive(Debug, Clone)]
pub struct Esn {
    /// Slice s holds entries `4·slice_start[s]..4·slice_start[s + 1]`; entry k of its lane l
    /// (row 4s + l) at 4·(slice_start[s] + k) + l.
    slice_start: Vec<usize>,
    /// The column indices of entry k of a slice's four lanes, 16 bits each (lane l in bits
    /// 16l..16l + 16), at `slice_start[s] + k`. Packed so, instead of one 32-bit index per
    /// entry, a single-threaded step at N = 500 takes 10 % less time.
    cols: Vec<u64>,
    /// Padding has weight 0 and repeats a column of the row (node 0 for an empty row).
    weight: Vec<f64>,
    connections: usize,
    /// nodes × inputs, row-major.
    w_in: Vec<f64>,
    bias: Vec<f64>,
    inputs: usize,
    pub state: Vec<f64>,
    next: Vec<f64>,
    /// Stored entries of each row (node order), to read the rows back from the slices.
    row_len: Vec<u32>,
    /// The same recurrent matrix for the f32 route, rows in the same (relabelled) order; built
    /// on first use (its padding can outgrow the SELL-4 layout in sparse networks).
    wide: std::sync::OnceLock<Sell16>,
}

impl Esn {
    /// The most nodes a network may have (its column indices are 16-bit).
    pub const MAX_NODES: usize = 1 << 16;

    /// A network for `inputs` input dimensions; weights from streams (seed, "esn.*").
    ///
    /// # Panics
    /// With more than [`Esn::MAX_NODES`] nodes.
    pub fn new(s: &EsnSettings, inputs: usize, seed: u64) -> Self {
        let n = s.nodes;
        let sd = s.spectral_radius / (n as f64 * s.density).sqrt();
        assert!(
            n <= Self::MAX_NODES,
            "an echo-state network has at most {} nodes, not {n}",
            Self::MAX_NODES
        );
        let mut rng = stream(seed, "esn.recurrent", 0, 0);
        let mut rows: Vec<Vec<(u32, f64)>> = Vec::with_capacity(n);
        for _ in 0..n {
            let mut row = Vec::new();
            for j in 0..n {
                if uniform(&mut rng) < s.density {
                    row.push((j as u32, sd * normal(&mut rng)));
                }
            }
            rows.push(row);
        }
        let connections = rows.iter().map(Vec::len).sum();
        // Node `order[r]` of the drawn matrix becomes node r.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|i| rows[*i as usize].len());
        let mut label = vec![0u32; n];
        for (r, i) in order.iter().enumerate() {
            label[*i as usize] = r as u32;
        }
        for row in &mut rows {
            for e in row.iter_mut() {
                e.0 = label[e.0 as usize];
            }
        }
        let row_len = order
            .iter()
            .map(|i| rows[*i as usize].len() as u32)
            .collect();
        let (mut slice_start, mut cols, mut weight) = (vec![0], Vec::new(), Vec::new());
        for slice in order.chunks(4) {
            let lanes: Vec<Vec<(u32, f64)>> = (0..4)
                .map(|l| {
                    slice
                        .get(l)
                        .map(|i| std::mem::take(&mut rows[*i as usize]))
                        .unwrap_or_default()
                })
                .collect();
            let len = lanes.iter().map(Vec::len).max().unwrap_or(0);
            for k in 0..len {
                let mut packed = 0u64;
                for (l, lane) in lanes.iter().enumerate() {
                    let pad = (lane.last().map_or(0, |e| e.0), 0.0);
                    let (c, w) = lane.get(k).copied().unwrap_or(pad);
                    // Below 2¹⁶: n ≤ MAX_NODES.
                    packed |= u64::from(c) << (16 * l);
                    weight.push(w);
                }
                cols.push(packed);
            }
            slice_start.push(slice_start.last().unwrap() + len);
        }
        let mut rng = stream(seed, "esn.input", 0, 0);
        let mut sym = |count: usize, scale: f64| -> Vec<f64> {
            (0..count)
                .map(|_| scale * (2.0 * uniform(&mut rng) - 1.0))
                .collect()
        };
        let (w_in, bias) = (sym(n * inputs, s.input_scaling), sym(n, s.bias_scaling));
        // Relabelled as the rows.
        let w_in = order
            .iter()
            .flat_map(|i| &w_in[*i as usize * inputs..(*i as usize + 1) * inputs])
            .copied()
            .collect();
        let bias = order.iter().map(|i| bias[*i as usize]).collect();
        Self {
            slice_start,
            cols,
            weight,
            connections,
            w_in,
            bias,
            inputs,
            state: vec![0.0; n],
            next: vec![0.0; n],
            row_len,
            wide: std::sync::OnceLock::new(),
        }
    }

    /// Non-zero recurrent weights.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// The f32 route's layout of the recurrent matrix (built on the first call): each row's
    /// entries read back from the slices in their stored order.
    fn wide(&self) -> &Sell16 {
        self.wide.get_or_init(|| {
            let rows: Vec<Vec<(u32, f64)>> = (0..self.row_len.len())
                .map(|i| {
                    let (s, l) = (i / 4, i % 4);
                    let a = self.slice_start[s];
                    (a..a + self.row_len[i] as usize)
                        .map(|k| (lane(self.cols[k], l) as u32, self.weight[4 * k + l]))
                        .collect()
                })
                .collect();
            Sell16::new(&rows, self.row_len.len())
        })
    }

    /// Builds the f32 route's layout now rather than on its first use (so that a timed run
    /// does not include it).
    pub fn prepare_f32(&self) {
        self.wide();
    }

    /// Slices of four rows.
    fn slices(&self) -> usize {
        self.slice_start.len() - 1
    }

    /// Runs a one-dimensional input through the reservoir; the states after each step.
    pub fn run(&mut self, input: &[f64]) -> Vec<Vec<f64>> {
        let mut out = Vec::with_capacity(input.len());
        let mut x = vec![0.0; self.state.len()];
        for u in input {
            self.step(std::slice::from_ref(u), &mut x);
            out.push(x.clone());
        }
        out
    }
}

/// One complete echo-state run as a benchmark times it, on the f32 route: the states for every
/// step of a one-dimensional input and a ridge readout (λ, with a constant feature) fitted on
/// the steps after `washout`, accumulated in blocks of [`FIT_BLOCK`] steps so that the state
/// matrix is never held whole. Returns the readout (`None` when the normal equations are singular); leaves the
/// last state in `esn.state`.
///
/// One thread computes the states, step after step with no synchronisation, into row-major
/// f32 blocks. The Gram update of a block (its states widened to f64 with the constant
/// feature, XᵀX and XᵀY summed in f64) runs beside the states of the blocks after it: where
/// rayon's pool has another worker, a job there takes the blocks as they are filled (sleeping
/// on a condition variable between them), and the states side runs up to [`ring_blocks`]
/// blocks ahead of it; when every block is filled, the states side sums the oldest itself
/// instead of waiting, so a Gram side kept off its core by another process (or never started)
/// holds nothing up. (A hand-over at every block, both sides joined there, made two threads
/// beside one busy process no faster than one.) Without another worker the blocks go one
/// after the other. The Gram sums the blocks in their order, one at a time under one lock,
/// whichever thread takes them, so the readout is the same, bit for bit, whatever the thread
/// count.
///
/// # Panics
/// With a network of no nodes or of more than one input.
pub fn fit_run(
    esn: &mut Esn,
    input: &[f64],
    target: &[f64],
    washout: usize,
    lambda: f64,
) -> Option<crate::ridge::Readout> {
    use faer::MatRef;
    let n = esn.nodes();
    assert!(
        n > 0 && esn.inputs == 1,
        "a network of nodes with one input"
    );
    let steps = input.len().min(target.len());
    let this: &Esn = esn;
    let count = steps.div_ceil(FIT_BLOCK);
    let len = |b: usize| FIT_BLOCK.min(steps - b * FIT_BLOCK);
    // The states of block b into `block`, from the state before it.
    let states = |b: usize, before: &[f32], block: &mut [f32]| {
        let mut sums = vec![0f32; LANES * this.wide().slices()];
        let t0 = b * FIT_BLOCK;
        let (first, rest) = block.split_at_mut(n);
        this.rows32(before, &input[t0..t0 + 1], first, &mut sums);
        let mut prev: &mut [f32] = first;
        for (k, row) in rest.chunks_exact_mut(n).take(len(b) - 1).enumerate() {
            let t = t0 + 1 + k;
            this.rows32(prev, &input[t..t + 1], row, &mut sums);
            prev = row;
        }
    };
    // The Gram side: the sums, and its copy of a block's rows after the washout, in f64 with
    // the constant feature last. Row-major, a plain widening of the block: faer's XᵀX takes
    // 8 % longer on it than on a column-major copy (N = 500), less than a transposition would
    // cost.
    let mut gram = (
        crate::ridge::Gram::new(n + 1, 1),
        vec![1.0; FIT_BLOCK * (n + 1)],
    );
    // The Gram update of block b's steps from `washout` on.
    let update = |b: usize, block: &[f32], (gram, widened): &mut (crate::ridge::Gram, Vec<f64>)| {
        let t0 = b * FIT_BLOCK;
        let skip = washout.saturating_sub(t0).min(len(b));
        let rows = len(b) - skip;
        if rows == 0 {
            return;
        }
        let from = block[skip * n..len(b) * n].chunks_exact(n);
        for (w, x) in widened.chunks_exact_mut(n + 1).zip(from) {
            for (d, v) in w.iter_mut().zip(x) {
                *d = f64::from(*v);
            }
        }
        gram.add_block_seq(
            MatRef::from_row_major_slice(&widened[..rows * (n + 1)], rows, n + 1),
            MatRef::from_column_major_slice(&target[t0 + skip..t0 + len(b)], rows, 1),
        );
    };
    // The state before each block: the start, then each block's last row.
    let mut before: Vec<f32> = this.state.iter().map(|v| *v as f32).collect();
    let next = |b: usize, block: &[f32], before: &mut Vec<f32>| {
        before.copy_from_slice(&block[(len(b) - 1) * n..len(b) * n]);
    };
    let gram = if rayon::current_num_threads() > 1 {
        let ring = Ring::new(ring_blocks(n), FIT_BLOCK * n);
        // The Gram updates, in block order: a block is taken off the ring and summed under the
        // one lock on the sums, so whichever thread takes the next block sums it.
        let gram = std::sync::Mutex::new(gram);
        let take = || {
            let mut sums = gram.lock().expect("no Gram update panicked");
            let Some((b, block)) = ring.take_filled() else {
                return false;
            };
            update(b, &block, &mut sums);
            ring.give_back(block);
            true
        };
        rayon::scope(|scope| {
            // The Gram side: blocks as they come, until the states side is done.
            scope.spawn(|_| {
                while ring.wait_for_filled() {
                    take();
                }
            });
            for b in 0..count {
                let mut block = loop {
                    if let Some(free) = ring.free_block() {
                        break free;
                    }
                    // Every block is filled: sum the oldest here rather than wait (the Gram
                    // side's thread may be off its core, or not started at all).
                    take();
                };
                states(b, &before, &mut block);
                next(b, &block, &mut before);
                ring.fill(b, block);
            }
            ring.close();
            while take() {}
        });
        gram.into_inner().expect("no Gram update panicked")
    } else {
        let mut block = vec![0f32; FIT_BLOCK * n];
        for b in 0..count {
            states(b, &before, &mut block);
            next(b, &block, &mut before);
            update(b, &block, &mut gram);
        }
        gram
    };
    if count > 0 {
        esn.state = before.iter().map(|v| f64::from(*v)).collect();
    }
    gram.0.solve(lambda)
}

/// Blocks of f32 states in [`fit_run`]'s ring: as many as fit in 32 MiB, 2 to 16 (16 at
/// N = 500). The states side runs that many blocks ahead of the Gram side at most.
fn ring_blocks(n: usize) -> usize {
    ((32 << 20) / (FIT_BLOCK * n.max(1) * 4)).clamp(2, 16)
}

/// [`fit_run`]'s hand-over between its states side and its Gram side: free blocks, and filled
/// blocks in the order they were filled, under one lock; the Gram side sleeps on a condition
/// variable until a block is filled or the states side is done.
struct Ring {
    inner: std::sync::Mutex<RingState>,
    filled: std::sync::Condvar,
}

struct RingState {
    free: Vec<Vec<f32>>,
    filled: std::collections::VecDeque<(usize, Vec<f32>)>,
    closed: bool,
}

impl Ring {
    fn new(blocks: usize, len: usize) -> Self {
        Self {
            inner: std::sync::Mutex::new(RingState {
                free: (0..blocks).map(|_| vec![0f32; len]).collect(),
                filled: Default::default(),
                closed: false,
            }),
            filled: std::sync::Condvar::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RingState> {
        self.inner
            .lock()
            .expect("the ring's lock is never held across a panic")
    }

    fn free_block(&self) -> Option<Vec<f32>> {
        self.state().free.pop()
    }

    fn fill(&self, b: usize, block: Vec<f32>) {
        self.state().filled.push_back((b, block));
        self.filled.notify_one();
    }

    fn take_filled(&self) -> Option<(usize, Vec<f32>)> {
        self.state().filled.pop_front()
    }

    fn give_back(&self, block: Vec<f32>) {
        self.state().free.push(block);
    }

    /// No more blocks will be filled.
    fn close(&self) {
        self.state().closed = true;
        self.filled.notify_all();
    }

    /// Sleeps until a block is filled (true) or the ring is closed with none left (false).
    fn wait_for_filled(&self) -> bool {
        let mut state = self.state();
        while state.filled.is_empty() && !state.closed {
            state = self
                .filled
                .wait(state)
                .expect("the ring's lock is never held across a panic");
        }
        !state.filled.is_empty()
    }
}

/// Steps per block of [`fit_run`]: the unit of its Gram updates and of the hand-over between
/// its two threads (faer's XᵀX runs as fast on blocks of 1 024 rows as on 4 096, within 4 %
/// at N = 500, and a block of f32 states is 2 MB there).
pub const FIT_BLOCK: usize = 1024;

impl Esn {
    /// One step of the f32 route: out = tanh(W·x + W_in·u + b), the sums Σ W_ij·x_j in f32
    /// ([`Sell16::sums`] into `sums`, a scratch of one value per lane), the bias and input
    /// term added in f64 (bias first, as the f64 route), tanh in f64, rounded to f32.
    fn rows32(&self, x: &[f32], u: &[f64], out: &mut [f32], sums: &mut [f32]) {
        self.wide().sums(x, sums);
        lightloop_base::avx2_or!(
            // SAFETY: run only where the processor has AVX2.
            unsafe { self.finish32_avx2(sums, u, out) },
            self.finish32(sums, u, out)
        )
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn finish32_avx2(&self, sums: &[f32], u: &[f64], out: &mut [f32]) {
        self.finish32(sums, u, out)
    }

    /// out[i] = tanh(b_i + sums[i] + W_in,i·u) in f64, rounded to f32.
    #[inline(always)]
    fn finish32(&self, sums: &[f32], u: &[f64], out: &mut [f32]) {
        let n = self.bias.len();
        assert_eq!(out.len(), n, "one output per node");
        let (k, bias, sums) = (self.inputs, &self.bias[..n], &sums[..n]);
        if k == 1 {
            let (w_in, u) = (&self.w_in[..n], u[0]);
            for i in 0..n {
                let sum = bias[i] + f64::from(sums[i]) + w_in[i] * u;
                out[i] = lightloop_physics::fastmath::tanh(sum) as f32;
            }
        } else {
            for i in 0..n {
                let mut sum = bias[i] + f64::from(sums[i]);
                for (w, v) in self.w_in[i * k..(i + 1) * k].iter().zip(u) {
                    sum += w * v;
                }
                out[i] = lightloop_physics::fastmath::tanh(sum) as f32;
            }
        }
    }

    /// Runs an input (`inputs` values per step, steps one after the other) through the
    /// reservoir on the f32 route, from the current state; the states after each step. The
    /// last one becomes the current state (widened to f64).
    pub fn run_f32(&mut self, input: &[f64]) -> Vec<Vec<f32>> {
        let k = self.inputs;
        assert!(
            k > 0 && input.len().is_multiple_of(k),
            "whole steps of input"
        );
        let mut sums = vec![0f32; LANES * self.wide().slices()];
        let mut x: Vec<f32> = self.state.iter().map(|v| *v as f32).collect();
        let mut out = Vec::with_capacity(input.len() / k);
        for u in input.chunks_exact(k) {
            let mut next = vec![0f32; x.len()];
            self.rows32(&x, u, &mut next, &mut sums);
            out.push(next.clone());
            x = next;
        }
        self.state = x.iter().map(|v| f64::from(*v)).collect();
        out
    }
}

impl Esn {
    /// out[k] = tanh(Σ_j W_ij·x_j + W_in,i·u + b_i) for node i = 4·slices.start + k (out holds
    /// one value per node of the slices). Compiled twice, for plain x86-64 and for AVX2 (run
    /// when the processor has it); the operations and their order are the same, so the numbers
    /// are too (no fused multiply–add).
    fn rows_into(&self, slices: std::ops::Range<usize>, x: &[f64], u: &[f64], out: &mut [f64]) {
        lightloop_base::avx2_or!(
            // SAFETY: run only where the processor has AVX2.
            unsafe { self.rows_avx2(slices, x, u, out) },
            self.rows_generic(slices, x, u, out)
        )
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn rows_avx2(&self, slices: std::ops::Range<usize>, x: &[f64], u: &[f64], out: &mut [f64]) {
        self.rows_generic(slices, x, u, out)
    }

    /// The row sums slice by slice, then tanh over them in a loop of its own, which vectorises.
    #[inline(always)]
    fn rows_generic(&self, slices: std::ops::Range<usize>, x: &[f64], u: &[f64], out: &mut [f64]) {
        let n = self.bias.len();
        // `new` builds every stored column index below n: with x of that length, the unchecked
        // loads in `slice_sums` read inside it.
        assert_eq!(x.len(), n, "one value per node");
        let first = 4 * slices.start;
        assert_eq!(
            out.len(),
            (4 * slices.end).min(n) - first,
            "one output per row"
        );
        let k = self.inputs;
        for s in slices {
            let (a, b) = (self.slice_start[s], self.slice_start[s + 1]);
            let (cols, ws) = (&self.cols[a..b], &self.weight[4 * a..4 * b]);
            // SAFETY: every index in `cols` is below n = x.len() (above).
            let (even, odd) = unsafe { slice_sums(cols, ws, x) };
            for l in 0..4 {
                let i = 4 * s + l;
                if i >= n {
                    break;
                }
                let mut sum = self.bias[i] + (even[l] + odd[l]);
                for (w, v) in self.w_in[i * k..(i + 1) * k].iter().zip(u) {
                    sum += w * v;
                }
                out[i - first] = sum;
            }
        }
        for o in out.iter_mut() {
            *o = lightloop_physics::fastmath::tanh(*o);
        }
    }
}

/// A slice's two sums per row, lane l for row 4s + l: even[l] over its entries 0, 2, 4, …,
/// odd[l] over 1, 3, 5, …, each in entry order; four rows side by side and two sums per row, so
/// that the products do not wait on one another. `cols` holds the packed indices of the slice's
/// entries (four per word), `ws` their weights (four per word of `cols`).
///
/// # Safety
/// Every index in `cols` is below `x.len()`.
#[inline(always)]
unsafe fn slice_sums(cols: &[u64], ws: &[f64], x: &[f64]) -> ([f64; 4], [f64; 4]) {
    debug_assert!(cols.iter().all(|c| (0..4).all(|l| lane(*c, l) < x.len())));
    let (mut even, mut odd) = ([0.0; 4], [0.0; 4]);
    let (c2, w8) = (cols.chunks_exact(2), ws.chunks_exact(8));
    let (cr, wr) = (c2.remainder(), w8.remainder());
    for (c, w) in c2.zip(w8) {
        let (e, o) = (c[0], c[1]);
        for l in 0..4 {
            // SAFETY: the caller's promise; the benchmark's inner loop.
            unsafe {
                even[l] += w[l] * *x.get_unchecked(lane(e, l));
                odd[l] += w[4 + l] * *x.get_unchecked(lane(o, l));
            }
        }
    }
    if let Some(c) = cr.first() {
        for (l, w) in wr.iter().enumerate() {
            even[l] += w * x[lane(*c, l)];
        }
    }
    (even, odd)
}

/// Lane l's index in a packed word of four.
#[inline(always)]
fn lane(word: u64, l: usize) -> usize {
    ((word >> (16 * l)) & 0xffff) as usize
}

impl Reservoir for Esn {
    fn nodes(&self) -> usize {
        self.state.len()
    }

    fn step(&mut self, u: &[f64], out: &mut [f64]) {
        let mut next = std::mem::take(&mut self.next);
        self.rows_into(0..self.slices(), &self.state, u, &mut next);
        self.next = std::mem::replace(&mut self.state, next);
        out.copy_from_slice(&self.state);
    }

    fn reset(&mut self) {
        self.state.iter_mut().for_each(|x| *x = 0.0);
    }

    fn state(&self) -> Option<Vec<f64>> {
        Some(self.state.clone())
    }

    fn set_state(&mut self, state: &[f64]) {
        self.state.copy_from_slice(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ridge, tasks};

    /// NARMA10 on 2 000 test steps after 12 000 training steps, for one seed (data and
    /// reservoir), with the states of the f64 route or (`f32`) of the f32 route.
    fn narma10_nrmse(seed: u64, f32: bool) -> f64 {
        let data = tasks::narma10(14_200, &mut stream(seed, "narma", 0, 0));
        let mut esn = Esn::new(&EsnSettings::default(), 1, seed);
        let states = if f32 {
            let wide = |x: Vec<f32>| x.into_iter().map(f64::from).collect();
            esn.run_f32(&data.input).into_iter().map(wide).collect()
        } else {
            esn.run(&data.input)
        };
        let features: Vec<Vec<f64>> = states
            .into_iter()
            .zip(&data.input)
            .map(|(mut x, u)| {
                x.extend([*u, 1.0]);
                x
            })
            .collect();
        let (washout, train) = (200, 12_200);
        let ys: Vec<Vec<f64>> = data.target[washout..train]
            .iter()
            .map(|y| vec![*y])
            .collect();
        let r = ridge::fit(&features[washout..train], &ys, 1e-8).unwrap();
        let predicted: Vec<f64> = features[train..].iter().map(|f| r.apply(f)[0]).collect();
        tasks::nmse(&data.target[train..], &predicted).1
    }

    /// The software reference reaches the NARMA10 figure of the literature (NRMSE ≈ 0.11, Rodan
    /// & Tino 2011): the median over five seeds is at most 0.13. The f32 route gives the same
    /// accuracy within the spread over seeds: each seed's NRMSE moves by less than a tenth of
    /// the f64 route's range over the five seeds, and its median stays below 0.13.
    #[test]
    fn narma10_median_nrmse_over_five_seeds_is_below_0_13_on_both_routes() {
        let median = |mut e: Vec<f64>| {
            e.sort_by(f64::total_cmp);
            e[2]
        };
        let wide: Vec<f64> = (1..=5).map(|s| narma10_nrmse(s, false)).collect();
        let narrow: Vec<f64> = (1..=5).map(|s| narma10_nrmse(s, true)).collect();
        eprintln!("NARMA10 NRMSE over seeds 1–5: f64 {wide:?}, f32 {narrow:?}");
        assert!(median(wide.clone()) <= 0.13, "{wide:?}");
        assert!(median(narrow.clone()) <= 0.13, "{narrow:?}");
        let spread = wide.iter().copied().fold(f64::MIN, f64::max)
            - wide.iter().copied().fold(f64::MAX, f64::min);
        assert!(spread > 0.0);
        for (a, b) in wide.iter().zip(&narrow) {
            assert!((a - b).abs() < 0.1 * spread, "{a} vs {b}, spread {spread}");
        }
    }

    /// The f32 route follows the f64 route's states to f32 rounding: over 3 000 steps of NARMA10
    /// input at N = 200 the largest difference stays below 10⁻⁵ (the states are of order 0.1–1;
    /// the contracting dynamics do not amplify the rounding), and its last state is kept.
    #[test]
    fn the_f32_route_follows_the_f64_states() {
        let data = tasks::narma10(3_000, &mut stream(2, "narma", 0, 0));
        let s = EsnSettings {
            nodes: 200,
            ..EsnSettings::default()
        };
        let wide = Esn::new(&s, 1, 2).run(&data.input);
        let mut esn = Esn::new(&s, 1, 2);
        let narrow = esn.run_f32(&data.input);
        let mut worst = 0f64;
        for (a, b) in wide.iter().zip(&narrow) {
            for (x, y) in a.iter().zip(b) {
                worst = worst.max((x - f64::from(*y)).abs());
            }
        }
        assert!(worst > 0.0 && worst < 1e-5, "{worst}");
        let last: Vec<f64> = narrow[2_999].iter().map(|v| f64::from(*v)).collect();
        assert_eq!(esn.state, last);
        assert!(
            last.iter().map(|v| v.abs()).sum::<f64>() > 1.0,
            "not stuck near zero"
        );
    }

    /// The sliced layout computes the same network as the plain dense formula, with W, W_in and
    /// b drawn here from the same streams as `new` draws them, run in the drawn numbering: node
    /// r of the network is the drawn node of r-th fewest inputs (stable order). And the AVX2
    /// build of the row loop gives the same numbers as the plain one, bit for bit.
    #[test]
    fn step_matches_the_dense_formula_and_both_builds_agree() {
        // 103 nodes: the last slice has three rows; density 0.3 makes rows of unequal length.
        let s = EsnSettings {
            nodes: 103,
            density: 0.3,
            ..EsnSettings::default()
        };
        let n = s.nodes;
        let sd = s.spectral_radius / (n as f64 * s.density).sqrt();
        let mut rng = stream(9, "esn.recurrent", 0, 0);
        let mut w = vec![vec![0.0; n]; n];
        for row in &mut w {
            for v in row.iter_mut() {
                if uniform(&mut rng) < s.density {
                    *v = sd * normal(&mut rng);
                }
            }
        }
        let mut rng = stream(9, "esn.input", 0, 0);
        let mut sym = |scale: f64| -> Vec<f64> {
            (0..n)
                .map(|_| scale * (2.0 * uniform(&mut rng) - 1.0))
                .collect()
        };
        let (w_in, bias) = (sym(s.input_scaling), sym(s.bias_scaling));
        let inputs = |i: usize| w[i].iter().filter(|v| **v != 0.0).count();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| inputs(*i));
        assert!(
            inputs(order[0]) < inputs(order[n - 1]),
            "rows of unequal length"
        );

        let mut esn = Esn::new(&s, 1, 9);
        assert_eq!(esn.connections(), (0..n).map(inputs).sum::<usize>());
        let (mut x, mut z) = (vec![0.0; n], vec![0.0; n]);
        for t in 0..20 {
            let u = 0.05 * t as f64;
            z = (0..n)
                .map(|i| {
                    let sum: f64 = (0..n).map(|j| w[i][j] * z[j]).sum();
                    (sum + w_in[i] * u + bias[i]).tanh()
                })
                .collect();
            let before = esn.state.clone();
            esn.step(&[u], &mut x);
            for (r, a) in x.iter().enumerate() {
                let b = z[order[r]];
                // The fast tanh is within 1e-10 of libm's; the sums agree far closer.
                assert!((a - b).abs() < 2e-10, "step {t}, node {r}: {a} vs {b}");
            }
            let mut plain = vec![0.0; n];
            esn.rows_generic(0..esn.slices(), &before, &[u], &mut plain);
            let mut chosen = vec![0.0; n];
            esn.rows_into(0..esn.slices(), &before, &[u], &mut chosen);
            assert_eq!(plain, chosen);
        }
        // The state is not stuck near zero: the comparison above means something.
        assert!(x.iter().map(|v| v.abs()).sum::<f64>() > 1.0);
    }

    /// The benchmark's two-thread run gives the same readout as the one-thread run, bit for
    /// bit, and the same as a plain ridge fit of the f32 route's states.
    #[test]
    fn fit_run_matches_a_plain_ridge_fit_whatever_the_thread_count() {
        // Eight full blocks of 1 024 steps and a partial one; the washout ends inside the first.
        let data = tasks::narma10(9_000, &mut stream(5, "narma", 0, 0));
        let s = EsnSettings {
            nodes: 120,
            ..EsnSettings::default()
        };
        let fit = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let mut esn = Esn::new(&s, 1, 5);
                    fit_run(&mut esn, &data.input, &data.target, 200, 1e-8).unwrap()
                })
        };
        assert_eq!(fit(1).weights, fit(2).weights);
        // Two runs at once on a pool of two: neither Gram side finds a free worker, so each
        // states side sums its own blocks when its ring (16 blocks here) is full, and the rest
        // at the end (no deadlock), with the same readout as one thread.
        let long = tasks::narma10(20_000, &mut stream(5, "narma", 0, 0));
        assert_eq!(ring_blocks(s.nodes), 16);
        let run = || {
            let mut esn = Esn::new(&s, 1, 5);
            fit_run(&mut esn, &long.input, &long.target, 200, 1e-8).unwrap()
        };
        let pool = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
        };
        let (a, b) = pool(2).install(|| rayon::join(run, run));
        let one = pool(1).install(run).weights;
        assert_eq!((a.weights, b.weights), (one.clone(), one));
        // The same readout as a plain ridge fit of the states after the washout (at a λ where
        // the normal equations are well conditioned: at 1e-8 the order of the sums alone moves
        // the weights by 0.2 %, at 1e-4 by 4e-6).
        let mut esn = Esn::new(&s, 1, 5);
        let states = esn.run_f32(&data.input);
        let feats: Vec<Vec<f64>> = states[200..]
            .iter()
            .map(|x| x.iter().map(|v| f64::from(*v)).chain([1.0]).collect())
            .collect();
        let targets: Vec<Vec<f64>> = data.target[200..].iter().map(|y| vec![*y]).collect();
        let plain = ridge::fit(&feats, &targets, 1e-2).unwrap();
        let mut fitted = Esn::new(&s, 1, 5);
        let blocked = fit_run(&mut fitted, &data.input, &data.target, 200, 1e-2).unwrap();
        assert_eq!(fitted.state, esn.state, "the last state is kept");
        for (a, b) in blocked.weights[0].iter().zip(&plain.weights[0]) {
            assert!((a - b).abs() <= 1e-8 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}

//! The software echo-state network, the digital reference of the reservoir benchmarks:
//! x(t+1) = tanh(W·x(t) + W_in·u(t) + b) (tanh to 1e-15 by a fast exponential), W sparse with
//! i.i.d. Gaussian entries scaled so that its spectral radius is ρ by the circular law (a random
//! N×N matrix with entry variance σ² has its eigenvalues spread over a disc of radius σ·√N —
//! approximate for finite N). Everything in f64.

use crate::reservoir::Reservoir;
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
        }
    }

    /// Non-zero recurrent weights.
    pub fn connections(&self) -> usize {
        self.connections
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

/// One complete echo-state run as a benchmark times it: the states for every input step and a
/// ridge readout (λ, with a constant feature) fitted on the steps after `washout`, accumulated in
/// blocks so that the state matrix is never held whole. Returns the readout (`None` when the
/// normal equations are singular).
///
/// Two threads share each step's rows (the two halves of x(t+1) depend only on x(t)) and meet
/// at a spin barrier after every step (one thread when rayon's pool has one); between blocks of
/// steps the Gram update runs on all threads. A thread that panics releases the other. Each row
/// is summed by one thread in a fixed order, so the states do not depend on the thread count.
pub fn fit_run(
    esn: &mut Esn,
    input: &[f64],
    target: &[f64],
    washout: usize,
    lambda: f64,
) -> Option<crate::ridge::Readout> {
    use faer::MatRef;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    // Column-major blocks of 4 096 steps: faer's triangular XᵀX runs 1.4× faster on them than
    // on row-major blocks of 1 024 (N = 500, 2 threads: 0.53 s against 0.74 s for 10⁵ rows).
    const BLOCK: usize = 4096;
    // Each state is first copied into a row-major tile of 64 steps, which is transposed into the
    // block when full: writing one state straight into the block's columns touches N pages
    // per step (it took a quarter of the main thread's time).
    const TILE: usize = 64;
    let n = esn.nodes();
    // The main thread also copies each state into the block: give it a little less than half
    // of the stored entries (whole slices).
    let slices = esn.slices();
    let total = esn.slice_start[slices];
    // One thread when the pool has one (RAYON_NUM_THREADS=1): the same sums in the same order.
    let two = rayon::current_num_threads() > 1;
    let mid = if !two {
        slices
    } else {
        (0..=slices)
            .find(|s| esn.slice_start[*s] * 100 >= total * 46)
            .unwrap_or(slices / 2)
    };
    let bufs: [Vec<AtomicU64>; 2] = [
        esn.state
            .iter()
            .map(|v| AtomicU64::new(v.to_bits()))
            .collect(),
        (0..n).map(|_| AtomicU64::new(0)).collect(),
    ];
    let mut gram = crate::ridge::Gram::new(n + 1, 1);
    // The block's states column-major (feature j of step k at j·BLOCK + k); the last column is
    // the constant feature.
    let mut x = vec![0.0; BLOCK * (n + 1)];
    x[n * BLOCK..].fill(1.0);
    let mut tile = vec![0.0; TILE * n];
    // Moves the tile's first `rows` states into the block's steps `end − rows..end`.
    let flush = |x: &mut [f64], tile: &[f64], rows: usize, end: usize| {
        for (j, column) in x.chunks_exact_mut(BLOCK).take(n).enumerate() {
            for (r, d) in column[end - rows..end].iter_mut().enumerate() {
                *d = tile[r * n + j];
            }
        }
    };
    let mut y = vec![0.0; BLOCK];
    let steps = input.len().min(target.len());
    let this: &Esn = esn;
    let mut t0 = 0;
    while t0 < steps {
        let len = BLOCK.min(steps - t0);
        let arrived = AtomicUsize::new(0);
        // Set by a thread that panics, so that the other one stops waiting for it.
        let failed = AtomicBool::new(false);
        struct Flag<'a>(&'a AtomicBool);
        impl Drop for Flag<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.store(true, Ordering::Release);
                }
            }
        }
        let barrier = |k: usize| {
            if !two {
                return;
            }
            arrived.fetch_add(1, Ordering::AcqRel);
            while arrived.load(Ordering::Acquire) < 2 * (k + 1) {
                assert!(
                    !failed.load(Ordering::Acquire),
                    "the other state thread of the echo-state run failed"
                );
                std::hint::spin_loop();
            }
        };
        // Each thread copies x(t) into its own plain buffer, computes its rows from there into a
        // second one, and publishes them.
        let rows = |range: std::ops::Range<usize>, t: usize, local: &mut [f64], out: &mut [f64]| {
            let (from, to) = (&bufs[t % 2], &bufs[(t + 1) % 2]);
            for (l, a) in local.iter_mut().zip(from) {
                *l = f64::from_bits(a.load(Ordering::Relaxed));
            }
            let first = 4 * range.start;
            let out = &mut out[..(4 * range.end).min(n) - first];
            this.rows_into(range, local, &input[t..t + 1], out);
            // Each thread's nodes are contiguous: the two threads write different cache lines.
            for (a, v) in to[first..].iter().zip(out.iter()) {
                a.store(v.to_bits(), Ordering::Relaxed);
            }
        };
        let mut filled = 0;
        std::thread::scope(|s| {
            if two {
                s.spawn(|| {
                    let _flag = Flag(&failed);
                    let (mut local, mut out) = (vec![0.0; n], vec![0.0; n]);
                    for k in 0..len {
                        rows(mid..slices, t0 + k, &mut local, &mut out);
                        barrier(k);
                    }
                });
            }
            let _flag = Flag(&failed);
            let (mut local, mut out) = (vec![0.0; n], vec![0.0; n]);
            for k in 0..len {
                let t = t0 + k;
                rows(0..mid, t, &mut local, &mut out);
                barrier(k);
                if t >= washout {
                    let r = filled % TILE;
                    for (d, v) in tile[r * n..(r + 1) * n].iter_mut().zip(&bufs[(t + 1) % 2]) {
                        *d = f64::from_bits(v.load(Ordering::Relaxed));
                    }
                    y[filled] = target[t];
                    filled += 1;
                    if r + 1 == TILE {
                        flush(&mut x, &tile, TILE, filled);
                    }
                }
            }
        });
        if filled % TILE > 0 {
            flush(&mut x, &tile, filled % TILE, filled);
        }
        if filled > 0 {
            gram.add_block(
                MatRef::from_column_major_slice_with_stride(&x, filled, n + 1, BLOCK),
                MatRef::from_row_major_slice(&y[..filled], filled, 1),
            );
        }
        t0 += len;
    }
    for (s, v) in esn.state.iter_mut().zip(&bufs[steps % 2]) {
        *s = f64::from_bits(v.load(Ordering::Relaxed));
    }
    gram.solve(lambda)
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

    /// NARMA10 on 2 000 test steps after 12 000 training steps, for one seed (data and reservoir).
    fn narma10_nrmse(seed: u64) -> f64 {
        let data = tasks::narma10(14_200, &mut stream(seed, "narma", 0, 0));
        let mut esn = Esn::new(&EsnSettings::default(), 1, seed);
        let features: Vec<Vec<f64>> = esn
            .run(&data.input)
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
    /// & Tino 2011): the median over five seeds is at most 0.13.
    #[test]
    fn narma10_median_nrmse_over_five_seeds_is_below_0_13() {
        let mut e: Vec<f64> = (1..=5).map(narma10_nrmse).collect();
        e.sort_by(f64::total_cmp);
        eprintln!("NARMA10 NRMSE over seeds 1–5: {e:?}");
        assert!(e[2] <= 0.13, "{e:?}");
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

    /// The benchmark's two-thread run gives the same readout as the one-thread run, bit for bit.
    #[test]
    fn fit_run_matches_a_plain_ridge_fit_whatever_the_thread_count() {
        // Two full blocks of 4 096 steps and a partial one.
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
        // The same readout as a plain ridge fit of the states after the washout (at a λ where
        // the normal equations are well conditioned: at 1e-8 the order of the sums alone moves
        // the weights by 0.2 %, at 1e-4 by 4e-6).
        let states = Esn::new(&s, 1, 5).run(&data.input);
        let feats: Vec<Vec<f64>> = states[200..]
            .iter()
            .map(|x| x.iter().copied().chain([1.0]).collect())
            .collect();
        let targets: Vec<Vec<f64>> = data.target[200..].iter().map(|y| vec![*y]).collect();
        let plain = ridge::fit(&feats, &targets, 1e-2).unwrap();
        let blocked = fit_run(
            &mut Esn::new(&s, 1, 5),
            &data.input,
            &data.target,
            200,
            1e-2,
        )
        .unwrap();
        for (a, b) in blocked.weights[0].iter().zip(&plain.weights[0]) {
            assert!((a - b).abs() <= 1e-8 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}

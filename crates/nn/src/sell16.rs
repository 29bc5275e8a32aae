//! A sparse matrix in f32 for one vector width, the layout of the echo-state network's f32
//! route ([`crate::esn::Esn::run_f32`], [`crate::esn::fit_run`]): sliced ELLPACK with slices
//! of sixteen rows (SELL-16; Kreutzer et al., SIAM J. Sci. Comput. 36, C401, 2014) whose
//! entries are grouped by blocks of 32 columns.
//!
//! Each slice of sixteen consecutive rows holds, for each block of 32 columns in turn, as many
//! entries as its row with the most non-zeros in that block; entry k of a group holds one
//! weight per row (a lane) and its column's place in the block (0–31, one byte), the shorter
//! rows padded with weight 0. Sixteen f32 lanes fill one AVX-512 register, and the 32 values
//! of x in a block fill two: a lane's x is then picked by one two-register permutation
//! (`vpermi2ps`) instead of a gather from memory, which on this generation of processors costs
//! several times as much. Padding costs about two entries for each stored one at density 0.1
//! (the most of sixteen rows against their mean); the permutation still makes the AVX-512
//! build several times faster than a gather over the unpadded slices. In sparser networks the
//! padding grows (towards one entry per slice and block once rows hold fewer non-zeros than
//! there are blocks), which is why the network builds this layout only when the f32 route
//! runs. On a processor with
//! AVX2 only, each slice runs as two halves of eight lanes with gathers; elsewhere a plain
//! loop runs. The three builds run the same operations in the same order lane by lane (no
//! fused multiply–add), so they give the same numbers, bit for bit.

/// Rows per slice, the lanes of one AVX-512 register of f32.
pub(crate) const LANES: usize = 16;

/// Columns per block, the values of x in two AVX-512 registers.
const BLOCK: usize = 32;

/// The SELL-16 layout of a sparse matrix with f32 weights, by blocks of 32 columns.
#[derive(Debug, Clone)]
pub(crate) struct Sell16 {
    /// The entries of slice s and column block c are `group_start[s·blocks + c]..` up to the
    /// next group's start; lane l of entry k (row 16s + l) at `16·k + l` of `place` and
    /// `weight`.
    group_start: Vec<usize>,
    /// Column blocks: ⌈columns / 32⌉.
    blocks: usize,
    /// The column of lane l of entry k is 32·c + place[16k + l] in its group's block c.
    place: Vec<u8>,
    /// The weights rounded to f32; padding has weight 0 (and place 0, a column of the block:
    /// it adds a zero to a finite sum).
    weight: Vec<f32>,
    /// Every column index is below this.
    columns: usize,
}

impl Sell16 {
    /// The layout of `rows[i]` = row i's (column, weight) pairs, every column index below
    /// `columns`. A row's terms are taken by block of columns in increasing order and, within
    /// a block, in the order given.
    pub(crate) fn new(rows: &[Vec<(u32, f64)>], columns: usize) -> Self {
        assert!(
            rows.iter().flatten().all(|e| (e.0 as usize) < columns),
            "a column index beyond the vector"
        );
        let blocks = columns.div_ceil(BLOCK);
        let (mut group_start, mut place, mut weight) = (vec![0], Vec::new(), Vec::new());
        for slice in rows.chunks(LANES) {
            // The slice's entries by lane and column block.
            let mut grouped = vec![vec![Vec::new(); blocks]; LANES];
            for (l, row) in slice.iter().enumerate() {
                for &(c, w) in row {
                    let c = c as usize;
                    grouped[l][c / BLOCK].push(((c % BLOCK) as u8, w as f32));
                }
            }
            for b in 0..blocks {
                let len = grouped.iter().map(|g| g[b].len()).max().unwrap_or(0);
                for k in 0..len {
                    for lane in &grouped {
                        let (p, w) = lane[b].get(k).copied().unwrap_or((0, 0.0));
                        place.push(p);
                        weight.push(w);
                    }
                }
                group_start.push(group_start.last().unwrap() + len);
            }
        }
        Self {
            group_start,
            blocks,
            place,
            weight,
            columns,
        }
    }

    /// Slices of sixteen rows; the sums come in `LANES · slices()` values (the last slice's
    /// missing rows give 0).
    pub(crate) fn slices(&self) -> usize {
        (self.group_start.len() - 1) / self.blocks.max(1)
    }

    /// Stored entries, padding included, over the rows' non-zeros.
    #[cfg(test)]
    fn padding_factor(&self, nonzeros: usize) -> f64 {
        self.weight.len() as f64 / nonzeros as f64
    }

    /// sums[16s + l] = Σ w·x[c] over the entries of row 16s + l, in f32: two partial sums,
    /// one over the slice's entry positions 0, 2, 4, … (padding included) and one over 1, 3,
    /// 5, … (so that the additions do not wait on one another), then their sum. The AVX-512
    /// build when the processor has it, else the AVX2 build, else the plain one: the same
    /// numbers.
    pub(crate) fn sums(&self, x: &[f32], sums: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor has AVX-512F.
                return unsafe { self.sums_avx512(x, sums) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2.
                return unsafe { self.sums_avx2(x, sums) };
            }
        }
        self.sums_plain(x, sums)
    }

    /// `x` covers every column index and `sums` every slice's lanes.
    fn check(&self, x: &[f32], sums: &[f32]) {
        assert!(x.len() >= self.columns, "one value per column");
        assert_eq!(sums.len(), LANES * self.slices(), "one sum per lane");
    }

    /// The entries of slice s, column block c.
    fn group(&self, s: usize, c: usize) -> std::ops::Range<usize> {
        let g = s * self.blocks + c;
        self.group_start[g]..self.group_start[g + 1]
    }

    /// The plain build: lane by lane.
    pub(crate) fn sums_plain(&self, x: &[f32], sums: &mut [f32]) {
        self.check(x, sums);
        for (s, out) in sums.chunks_exact_mut(LANES).enumerate() {
            let (mut now, mut then) = ([0f32; LANES], [0f32; LANES]);
            for c in 0..self.blocks {
                for k in self.group(s, c) {
                    for (l, acc) in now.iter_mut().enumerate() {
                        let e = LANES * k + l;
                        let v = x[BLOCK * c + usize::from(self.place[e])];
                        *acc += self.weight[e] * v;
                    }
                    std::mem::swap(&mut now, &mut then);
                }
            }
            for ((o, a), b) in out.iter_mut().zip(now).zip(then) {
                *o = a + b;
            }
        }
    }

    /// The AVX-512 build: one slice per register; x's 32 values of a column block in two
    /// registers, a lane's value picked by permutation.
    ///
    /// # Safety
    /// The processor has AVX-512F (the lengths are checked here).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn sums_avx512(&self, x: &[f32], sums: &mut [f32]) {
        use std::arch::x86_64::*;
        self.check(x, sums);
        let (place, weight) = (self.place.as_ptr(), self.weight.as_ptr());
        // x's values in each column block, zero past the last column.
        let mut tables = Vec::with_capacity(self.blocks);
        for c in 0..self.blocks {
            let half = |from: usize| {
                let valid = self.columns.saturating_sub(from).min(16);
                // SAFETY: the mask covers columns from..from + valid, all below x.len().
                unsafe { _mm512_maskz_loadu_ps(((1u32 << valid) - 1) as u16, x.as_ptr().add(from)) }
            };
            tables.push((half(BLOCK * c), half(BLOCK * c + 16)));
        }
        for s in 0..self.slices() {
            let (mut now, mut then) = (_mm512_setzero_ps(), _mm512_setzero_ps());
            for (c, &(lo, hi)) in tables.iter().enumerate() {
                for k in self.group(s, c) {
                    // SAFETY: entry k's 16 places and weights lie in `place` and `weight`
                    // (built so); each place is below 32, an index into (lo, hi).
                    unsafe {
                        let p = _mm512_cvtepu8_epi32(_mm_loadu_si128(place.add(LANES * k).cast()));
                        let w = _mm512_loadu_ps(weight.add(LANES * k));
                        let v = _mm512_permutex2var_ps(lo, p, hi);
                        now = _mm512_add_ps(now, _mm512_mul_ps(w, v));
                    }
                    std::mem::swap(&mut now, &mut then);
                }
            }
            // SAFETY: lanes 16s..16s + 16 of `sums` (checked length).
            unsafe { _mm512_storeu_ps(sums.as_mut_ptr().add(LANES * s), _mm512_add_ps(now, then)) };
        }
    }

    /// The AVX2 build: each slice as two halves of eight lanes, x gathered eight at a time.
    ///
    /// # Safety
    /// The processor has AVX2 (the lengths are checked here).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn sums_avx2(&self, x: &[f32], sums: &mut [f32]) {
        use std::arch::x86_64::*;
        self.check(x, sums);
        let (place, weight, xs) = (self.place.as_ptr(), self.weight.as_ptr(), x.as_ptr());
        for s in 0..self.slices() {
            for half in [0, LANES / 2] {
                let (mut now, mut then) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                for c in 0..self.blocks {
                    let base = _mm256_set1_epi32((BLOCK * c) as i32);
                    for k in self.group(s, c) {
                        // SAFETY: entry k's lanes lie in `place` and `weight`; 32c + place
                        // is a column below `columns` ≤ x.len() (built so).
                        unsafe {
                            let p = _mm_loadl_epi64(place.add(LANES * k + half).cast());
                            let i = _mm256_add_epi32(base, _mm256_cvtepu8_epi32(p));
                            let w = _mm256_loadu_ps(weight.add(LANES * k + half));
                            let v = _mm256_i32gather_ps::<4>(xs, i);
                            now = _mm256_add_ps(now, _mm256_mul_ps(w, v));
                        }
                        std::mem::swap(&mut now, &mut then);
                    }
                }
                // SAFETY: lanes 16s + half.. + 8 of `sums` (checked length).
                unsafe {
                    let out = sums.as_mut_ptr().add(LANES * s + half);
                    _mm256_storeu_ps(out, _mm256_add_ps(now, then));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_base::rng::{normal, stream, uniform};

    /// 37 rows over 77 columns (three column blocks, the last one partial), of unequal length
    /// and one empty, so that the last slice has five rows and there is padding: the sums are
    /// the plain sparse products to f32 rounding, and the three builds agree bit for bit where
    /// the processor has them.
    #[test]
    fn sums_match_the_sparse_product_and_every_build_agrees() {
        let (n, m) = (37, 77);
        let mut rng = stream(3, "sell16.test", 0, 0);
        let rows: Vec<Vec<(u32, f64)>> = (0..n)
            .map(|i| {
                let mut row = Vec::new();
                for j in 0..m as u32 {
                    if i != 7 && uniform(&mut rng) < 0.1 + 0.01 * i as f64 {
                        row.push((j, normal(&mut rng)));
                    }
                }
                row
            })
            .collect();
        assert!(rows.iter().map(Vec::len).max() > rows.iter().map(Vec::len).min());
        assert!(
            rows.iter().flatten().any(|e| e.0 >= 64),
            "the partial block is used"
        );
        let a = Sell16::new(&rows, m);
        assert_eq!(a.slices(), 3);
        let nonzeros = rows.iter().map(Vec::len).sum();
        assert!(a.padding_factor(nonzeros) > 1.0);
        let x: Vec<f32> = (0..m).map(|_| normal(&mut rng) as f32).collect();
        let mut plain = vec![f32::NAN; LANES * a.slices()];
        a.sums_plain(&x, &mut plain);
        for (i, row) in rows.iter().enumerate() {
            let exact: f64 = row.iter().map(|(j, w)| w * f64::from(x[*j as usize])).sum();
            let bound = 1e-5 * row.iter().map(|(_, w)| w.abs()).sum::<f64>().max(1.0);
            assert!((f64::from(plain[i]) - exact).abs() < bound, "row {i}");
        }
        assert!(plain[n..].iter().all(|v| *v == 0.0), "missing rows give 0");
        let mut chosen = vec![f32::NAN; plain.len()];
        a.sums(&x, &mut chosen);
        assert_eq!(plain, chosen);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut v = vec![f32::NAN; plain.len()];
                // SAFETY: the processor has AVX2.
                unsafe { a.sums_avx2(&x, &mut v) };
                assert_eq!(plain, v, "AVX2");
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut v = vec![f32::NAN; plain.len()];
                // SAFETY: the processor has AVX-512F.
                unsafe { a.sums_avx512(&x, &mut v) };
                assert_eq!(plain, v, "AVX-512");
            }
        }
    }

    /// At the benchmark's size (N = 500, density 0.1) the padding stays near two entries per
    /// non-zero, the figure the layout's cost rests on.
    #[test]
    fn padding_at_the_benchmark_size() {
        let mut rng = stream(1, "sell16.pad", 0, 0);
        let rows: Vec<Vec<(u32, f64)>> = (0..500)
            .map(|_| {
                (0..500u32)
                    .filter(|_| uniform(&mut rng) < 0.1)
                    .map(|j| (j, 1.0))
                    .collect()
            })
            .collect();
        let nonzeros = rows.iter().map(Vec::len).sum();
        let f = Sell16::new(&rows, 500).padding_factor(nonzeros);
        assert!((1.5..2.6).contains(&f), "{f}");
    }
}

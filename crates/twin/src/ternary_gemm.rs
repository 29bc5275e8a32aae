//! Integer products of a ternary matrix with DAC codes: y = W·q and s = |W|·q at once.
//!
//! The twin needs, for every output, the signed sum y (the balanced photocurrent) and the sum of
//! magnitudes s (the light that reaches the photodiodes, which sets the shot and RIN noise). With
//! weights in {−1, 0, +1} and inputs that are DAC codes 0…255, both are exact integer sums, so
//! every kernel below gives the same integers; they differ only in speed.
//!
//! **Batches (the panel kernel).** With P = Σ_{w=+1} q and M = Σ_{w=−1} q, y = P − M and
//! s = P + M: a product needs no multiplication, only one addition of an input per nonzero
//! weight. Each row keeps the columns of its +1 and of its −1 weights as lists; the inputs are
//! laid out as a panel of 16-bit codes, input j's codes for 32 or 64 batch columns side by side,
//! so that one nonzero weight is one vector addition of a whole panel row (no multiplication, no
//! work for zero weights). Up to 256 codes (≤ 255 each) are summed in 16-bit lanes before they
//! are widened to 32 bits (256·255 < 2¹⁶). The kernel is written once; copies compiled for
//! AVX-512BW and for AVX2 are chosen at run time, the plain build elsewhere.
//!
//! **Few columns (the dot kernel).** For batches below [`PANEL_FROM`] columns a panel would be
//! mostly padding; each output is then a dot product, where AVX2's `vpmaddubsw` multiplies 32
//! unsigned codes by 32 signed weights per instruction; one pass over the inputs serves both
//! sums. Pair sums are at most 2·255 = 510 in magnitude, so 64 steps accumulate in 16-bit lanes
//! without overflow before they are widened to 32 bits.

/// Batches of at least this many columns take the panel kernel.
pub const PANEL_FROM: usize = 8;

/// Codes summed in 16-bit lanes before widening: 256·255 = 65 280 < 2¹⁶.
const CHUNK: usize = 256;

/// How a panel lays out its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Input j's codes for the panel's columns side by side (the adding kernel).
    Lanes,
    /// Inputs in fours: for each four inputs, each column's four codes side by side, so that
    /// AVX-512 VNNI's `vpdpbusd` multiplies them by a row's four weights (broadcast) and adds
    /// the four products into the column's 32-bit lane: 64 codes per instruction.
    Quads,
}

impl Layout {
    /// The layout of the fastest kernel this processor runs.
    pub fn native() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512vnni")
            && std::arch::is_x86_feature_detected!("avx512bw")
        {
            return Layout::Quads;
        }
        Layout::Lanes
    }
}

/// The kernel a product of `batch` columns takes on this processor, in words.
pub fn kernel_name(batch: usize) -> &'static str {
    if batch < PANEL_FROM {
        return "byte multiply-adds per output (AVX2 where present)";
    }
    #[cfg(target_arch = "x86_64")]
    {
        if Layout::native() == Layout::Quads {
            return "AVX-512 VNNI multiply-adds of bytes, four inputs per lane";
        }
        if std::arch::is_x86_feature_detected!("avx512bw") {
            return "16-bit additions of the nonzero weights' inputs (AVX-512BW)";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "16-bit additions of the nonzero weights' inputs (AVX2)";
        }
    }
    "16-bit additions of the nonzero weights' inputs (portable)"
}

/// Batch columns laid out as one panel of `width` (32 or 64) columns, or several.
#[derive(Debug, Clone)]
pub struct Panel {
    layout: Layout,
    /// Columns per panel: 64, or 32 when the batch has at most 32.
    width: usize,
    /// Panels: ⌈batch/width⌉.
    groups: usize,
    batch: usize,
    cols: usize,
    /// `Lanes`: panel g, input j, column l at (g·cols + j)·width + l. `Quads`: panel g, input
    /// j = 4i + k, column l at ((g·⌈cols/4⌉ + i)·width + l)·4 + k. Columns past the batch and
    /// inputs past `cols` are zero.
    codes: Vec<u8>,
}

impl Panel {
    /// From `batch` columns of codes (column-major, `cols` codes each), in `layout`.
    pub fn new(codes: &[u8], cols: usize, batch: usize, layout: Layout) -> Self {
        assert_eq!(codes.len(), cols * batch, "{batch} columns of {cols} codes");
        let width = if batch <= 32 { 32 } else { 64 };
        let groups = batch.div_ceil(width).max(1);
        let k4 = cols.div_ceil(4);
        let mut panel = vec![0u8; groups * k4 * 4 * width];
        match layout {
            Layout::Lanes => {
                for b in 0..batch {
                    let (g, l) = (b / width, b % width);
                    let column = &codes[b * cols..(b + 1) * cols];
                    let base = g * cols * width + l;
                    for (d, c) in panel[base..].iter_mut().step_by(width).zip(column) {
                        *d = *c;
                    }
                }
            }
            Layout::Quads => {
                // Written in order: for each panel and four inputs, the columns' four codes.
                for (g, out) in panel.chunks_exact_mut(k4 * 4 * width).enumerate() {
                    for (i, quads) in out.chunks_exact_mut(4 * width).enumerate() {
                        let inputs = 4 * i..(4 * i + 4).min(cols);
                        for (l, quad) in quads.chunks_exact_mut(4).enumerate() {
                            let b = g * width + l;
                            if b >= batch {
                                break;
                            }
                            let column = &codes[b * cols..(b + 1) * cols];
                            if inputs.len() == 4 {
                                let four: [u8; 4] =
                                    column[inputs.clone()].try_into().expect("four");
                                quad.copy_from_slice(&four);
                            } else {
                                quad[..inputs.len()].copy_from_slice(&column[inputs.clone()]);
                            }
                        }
                    }
                }
            }
        }
        Self {
            layout,
            width,
            groups,
            batch,
            cols,
            codes: panel,
        }
    }

    pub fn batch(&self) -> usize {
        self.batch
    }
}

/// A ternary matrix packed for the kernel: rows of `k_pad` (a multiple of 32) weights and their
/// magnitudes, zero-padded, with an even number of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedTernary {
    pub rows: usize,
    pub cols: usize,
    k_pad: usize,
    rows_pad: usize,
    w: Vec<i8>,
    a: Vec<i8>,
    /// The columns of the nonzero weights, by row, then block of [`CHUNK`] inputs, then sign:
    /// segment k = 2·(r·blocks + block) + (0 for +1, 1 for −1) is
    /// `nonzero[bounds[k]..bounds[k + 1]]`, in increasing order.
    nonzero: Vec<u32>,
    bounds: Vec<u32>,
    blocks: usize,
}

const LANE: usize = 32;
/// 32-byte steps accumulated in 16-bit lanes before widening (64 × 510 < 2¹⁵).
const BLOCK: usize = 64;

impl PackedTernary {
    /// Packs row-major `values` (clamped to [−1, 1]).
    pub fn new(rows: usize, cols: usize, values: &[i8]) -> Self {
        let k_pad = cols.div_ceil(LANE).max(1) * LANE;
        let rows_pad = rows.div_ceil(2) * 2;
        let mut w = vec![0i8; rows_pad * k_pad];
        for r in 0..rows {
            for c in 0..cols {
                w[r * k_pad + c] = values[r * cols + c].clamp(-1, 1);
            }
        }
        let a = w.iter().map(|x| x.abs()).collect();
        let blocks = cols.div_ceil(CHUNK).max(1);
        let (mut nonzero, mut bounds) = (Vec::new(), vec![0u32]);
        for r in 0..rows {
            let row = &w[r * k_pad..r * k_pad + cols];
            for block in 0..blocks {
                let inputs = (block * CHUNK) as u32..((block + 1) * CHUNK).min(cols) as u32;
                for sign in [1, -1] {
                    nonzero.extend(inputs.clone().filter(|c| row[*c as usize] == sign));
                    bounds.push(u32::try_from(nonzero.len()).expect("below 2³² nonzero weights"));
                }
            }
        }
        Self {
            rows,
            cols,
            k_pad,
            rows_pad,
            w,
            a,
            nonzero,
            bounds,
            blocks,
        }
    }

    /// Packs `batch` columns of codes (column-major, `cols` codes each) into zero-padded
    /// columns of `k_pad`, with an even number of columns.
    pub fn pack_codes(&self, codes: &[u8], batch: usize) -> Vec<u8> {
        let b_pad = batch.div_ceil(2) * 2;
        let mut q = vec![0u8; b_pad * self.k_pad];
        for b in 0..batch {
            q[b * self.k_pad..b * self.k_pad + self.cols]
                .copy_from_slice(&codes[b * self.cols..(b + 1) * self.cols]);
        }
        q
    }

    /// (y, s) for packed codes `q` of `b_pad` columns and the rows of `row_pairs` (pair p is
    /// rows 2p and 2p + 1), written row by row: `b_pad` values per row, from the range's first.
    fn products_into(
        &self,
        q: &[u8],
        b_pad: usize,
        row_pairs: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        lightloop_base::avx2_or!(
            // SAFETY: run only where the processor has AVX2; slices are sized by `dot_products`.
            unsafe { self.products_avx2(q, b_pad, row_pairs, y, s) },
            self.products_scalar(q, b_pad, row_pairs, y, s)
        );
    }

    /// y and s of rows `rows` (starting at an even row) for `batch` columns of codes packed by
    /// [`PackedTernary::pack_codes`], row by row: row r's column b at (r − rows.start)·batch + b
    /// of `y` and `s`, as [`PackedTernary::panel_products`] writes them.
    pub fn dot_products(
        &self,
        q: &[u8],
        batch: usize,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        assert!(rows.start.is_multiple_of(2), "rows from an even one");
        assert!(rows.end <= self.rows, "rows up to {}", self.rows);
        let b_pad = batch.div_ceil(2) * 2;
        assert_eq!(
            q.len(),
            b_pad * self.k_pad,
            "codes packed for {batch} columns"
        );
        let n = rows.len() * batch;
        assert!(y.len() >= n && s.len() >= n, "room for {n} outputs");
        let pairs = rows.start / 2..rows.end.div_ceil(2);
        let m = pairs.len() * 2 * b_pad;
        let (mut py, mut ps) = (vec![0i32; m], vec![0i32; m]);
        self.products_into(q, b_pad, pairs, &mut py, &mut ps);
        for (local, _) in rows.enumerate() {
            let (to, from) = (local * batch, local * b_pad);
            y[to..to + batch].copy_from_slice(&py[from..from + batch]);
            s[to..to + batch].copy_from_slice(&ps[from..from + batch]);
        }
    }

    /// y and s of rows `rows` for the panel's batch, row by row: row r's column b at
    /// (r − rows.start)·batch + b of `y` and `s`.
    pub fn panel_products(
        &self,
        panel: &Panel,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        assert_eq!(panel.cols, self.cols, "a panel of {} inputs", self.cols);
        assert!(rows.end <= self.rows, "rows up to {}", self.rows);
        let n = rows.len() * panel.batch;
        assert!(y.len() >= n && s.len() >= n, "room for {n} outputs");
        if panel.layout == Layout::Quads {
            #[cfg(target_arch = "x86_64")]
            if Layout::native() == Layout::Quads {
                // SAFETY: the processor has AVX-512 VNNI and BW (checked by `native`).
                return unsafe {
                    if panel.width == 32 {
                        self.panel_vnni::<32, 2>(panel, rows, y, s)
                    } else {
                        self.panel_vnni::<64, 4>(panel, rows, y, s)
                    }
                };
            }
            return self.panel_quads_plain(panel, rows, y, s);
        }
        macro_rules! dispatch {
            ($w:literal) => {{
                #[cfg(target_arch = "x86_64")]
                {
                    if std::arch::is_x86_feature_detected!("avx512bw") {
                        // SAFETY: the processor has AVX-512BW (checked above).
                        return unsafe { self.panel_avx512::<$w>(panel, rows, y, s) };
                    }
                    if std::arch::is_x86_feature_detected!("avx2") {
                        // SAFETY: the processor has AVX2 (checked above).
                        return unsafe { self.panel_avx2::<$w>(panel, rows, y, s) };
                    }
                }
                self.panel_plain::<$w>(panel, rows, y, s)
            }};
        }
        if panel.width == 32 {
            dispatch!(32)
        } else {
            dispatch!(64)
        }
    }

    /// The `Quads` kernel: two rows at a time, each panel row of four inputs loaded once for
    /// both, each row's four weights (and their magnitudes) broadcast to every column's lane;
    /// `V` = W/16 vectors of 16 columns.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn panel_vnni<const W: usize, const V: usize>(
        &self,
        panel: &Panel,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        use std::arch::x86_64::*;
        debug_assert_eq!((panel.layout, panel.width, V * 16), (Layout::Quads, W, W));
        let k4 = self.cols.div_ceil(4);
        let batch = panel.batch;
        let first = rows.start;
        let mut lanes_out = [0i32; W];
        for g in 0..panel.groups {
            let lanes = W.min(batch - g * W);
            let mut r = rows.start;
            while r < rows.end {
                // The second row may be past the range (its results are dropped) but is always
                // a stored row: zero weights past `rows`, up to `rows_pad`.
                let r1 = if r + 1 < self.rows_pad { r + 1 } else { r };
                // SAFETY: the caller checked AVX-512 VNNI/BW. Offsets stay inside the buffers:
                // rows r, r1 < rows_pad and 4·i + 4 ≤ 4·k4 ≤ k_pad bytes into each row of `w`
                // and `a` (rows_pad × k_pad); panel g's k4·W·4 bytes end within `codes`
                // (groups · k4 · 4 · W bytes).
                unsafe {
                    let base = panel.codes.as_ptr().add(g * k4 * W * 4);
                    let (w0, w1) = (
                        self.w.as_ptr().add(r * self.k_pad),
                        self.w.as_ptr().add(r1 * self.k_pad),
                    );
                    let (a0, a1) = (
                        self.a.as_ptr().add(r * self.k_pad),
                        self.a.as_ptr().add(r1 * self.k_pad),
                    );
                    let zero = _mm512_setzero_si512();
                    let (mut y0, mut y1, mut s0, mut s1) =
                        ([zero; V], [zero; V], [zero; V], [zero; V]);
                    for i in 0..k4 {
                        let p = base.add(i * W * 4);
                        let weights = |row: *const i8| {
                            _mm512_set1_epi32((row.add(4 * i) as *const i32).read_unaligned())
                        };
                        let (wy0, wy1, ws0, ws1) =
                            (weights(w0), weights(w1), weights(a0), weights(a1));
                        for v in 0..V {
                            let x = _mm512_loadu_si512(p.add(64 * v) as *const __m512i);
                            y0[v] = _mm512_dpbusd_epi32(y0[v], x, wy0);
                            y1[v] = _mm512_dpbusd_epi32(y1[v], x, wy1);
                            s0[v] = _mm512_dpbusd_epi32(s0[v], x, ws0);
                            s1[v] = _mm512_dpbusd_epi32(s1[v], x, ws1);
                        }
                    }
                    for (row, (ys, ss)) in [(r, (y0, s0)), (r + 1, (y1, s1))] {
                        if row >= rows.end {
                            continue;
                        }
                        let out = (row - first) * batch + g * W;
                        for (acc, dest) in [(ys, &mut *y), (ss, &mut *s)] {
                            for (v, a) in acc.iter().enumerate() {
                                _mm512_storeu_si512(
                                    lanes_out.as_mut_ptr().add(16 * v) as *mut __m512i,
                                    *a,
                                );
                            }
                            dest[out..out + lanes].copy_from_slice(&lanes_out[..lanes]);
                        }
                    }
                }
                r += 2;
            }
        }
    }

    /// The `Quads` layout's sums by plain loops: the same integers on any processor.
    fn panel_quads_plain(
        &self,
        panel: &Panel,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        let (w, k4) = (panel.width, self.cols.div_ceil(4));
        for r in rows.clone() {
            let row = &self.w[r * self.k_pad..(r + 1) * self.k_pad];
            for b in 0..panel.batch {
                let (g, l) = (b / w, b % w);
                let (mut sy, mut ss) = (0i32, 0i32);
                for i in 0..k4 {
                    let at = ((g * k4 + i) * w + l) * 4;
                    for k in 0..4 {
                        let (q, wt) = (panel.codes[at + k] as i32, row[4 * i + k] as i32);
                        sy += wt * q;
                        ss += wt.abs() * q;
                    }
                }
                y[(r - rows.start) * panel.batch + b] = sy;
                s[(r - rows.start) * panel.batch + b] = ss;
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn panel_avx512<const W: usize>(
        &self,
        panel: &Panel,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        self.panel_plain::<W>(panel, rows, y, s)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn panel_avx2<const W: usize>(
        &self,
        panel: &Panel,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        self.panel_plain::<W>(panel, rows, y, s)
    }

    /// The panel kernel (see the module's notes); `W` is the panel's width. Inputs are taken in
    /// blocks of [`CHUNK`] (their panel rows stay in the first-level cache while every row of
    /// the range adds its nonzero weights' inputs from the block), each block's sums in 16-bit
    /// lanes, widened into 32-bit totals per row.
    #[inline(always)]
    fn panel_plain<const W: usize>(
        &self,
        panel: &Panel,
        rows: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        debug_assert_eq!(panel.width, W);
        let batch = panel.batch;
        let first_row = rows.start;
        let mut totals = vec![[0u32; W]; 2 * rows.len()];
        for g in 0..panel.groups {
            let codes = &panel.codes[g * panel.cols * W..(g + 1) * panel.cols * W];
            let (inputs, _) = codes.as_chunks::<W>();
            totals.iter_mut().for_each(|t| *t = [0; W]);
            for block in 0..self.blocks {
                for (r, pair) in rows.clone().zip(totals.chunks_exact_mut(2)) {
                    let k = 2 * (r * self.blocks + block);
                    for (sign, total) in pair.iter_mut().enumerate() {
                        let seg =
                            self.bounds[k + sign] as usize..self.bounds[k + sign + 1] as usize;
                        let part = sum_columns::<W>(inputs, &self.nonzero[seg]);
                        for l in 0..W {
                            total[l] += part[l] as u32;
                        }
                    }
                }
            }
            let lanes = W.min(batch - g * W);
            for (r, pair) in rows.clone().zip(totals.chunks_exact(2)) {
                let out = (r - first_row) * batch + g * W;
                for l in 0..lanes {
                    let (p, m) = (pair[0][l] as i32, pair[1][l] as i32);
                    y[out + l] = p - m;
                    s[out + l] = p + m;
                }
            }
        }
    }

    fn products_scalar(
        &self,
        q: &[u8],
        b_pad: usize,
        row_pairs: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        let k = self.k_pad;
        let first = row_pairs.start * 2;
        for r in first..row_pairs.end * 2 {
            let w = &self.w[r * k..(r + 1) * k];
            for b in 0..b_pad {
                let col = &q[b * k..(b + 1) * k];
                let (mut sy, mut ss) = (0i32, 0i32);
                for (wi, qi) in w.iter().zip(col) {
                    sy += *wi as i32 * *qi as i32;
                    ss += wi.abs() as i32 * *qi as i32;
                }
                y[(r - first) * b_pad + b] = sy;
                s[(r - first) * b_pad + b] = ss;
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn products_avx2(
        &self,
        q: &[u8],
        b_pad: usize,
        row_pairs: std::ops::Range<usize>,
        y: &mut [i32],
        s: &mut [i32],
    ) {
        // SAFETY: the caller checked AVX2; every pointer offset stays inside `self.w`, `self.a`
        // (rows_pad × k_pad) and `q` (b_pad × k_pad): rows < rows_pad, b + 1 < b_pad, o + 32 ≤ k_pad.
        unsafe {
            use std::arch::x86_64::*;
            let k = self.k_pad;
            let steps = k / LANE;
            let first = row_pairs.start * 2;
            let ones = _mm256_set1_epi16(1);
            #[inline(always)]
            unsafe fn hsum(v: __m256i) -> i32 {
                // SAFETY: called only from the AVX2 kernel.
                unsafe {
                    let lo = _mm256_castsi256_si128(v);
                    let hi = _mm256_extracti128_si256::<1>(v);
                    let x = _mm_add_epi32(lo, hi);
                    let x = _mm_add_epi32(x, _mm_shuffle_epi32::<0b01_00_11_10>(x));
                    let x = _mm_add_epi32(x, _mm_shuffle_epi32::<0b10_11_00_01>(x));
                    _mm_cvtsi128_si32(x)
                }
            }
            for pair in row_pairs {
                let r0 = pair * 2;
                let w0 = self.w.as_ptr().add(r0 * k);
                let w1 = self.w.as_ptr().add((r0 + 1) * k);
                let a0 = self.a.as_ptr().add(r0 * k);
                let a1 = self.a.as_ptr().add((r0 + 1) * k);
                for b in (0..b_pad).step_by(2) {
                    let q0 = q.as_ptr().add(b * k);
                    let q1 = q.as_ptr().add((b + 1) * k);
                    // 32-bit totals: y for (row, col) 00 01 10 11, then s likewise.
                    let mut tot = [_mm256_setzero_si256(); 8];
                    let mut step = 0;
                    while step < steps {
                        let end = (step + BLOCK).min(steps);
                        let mut acc = [_mm256_setzero_si256(); 8];
                        for t in step..end {
                            let o = t * LANE;
                            let x0 = _mm256_loadu_si256(q0.add(o) as *const __m256i);
                            let x1 = _mm256_loadu_si256(q1.add(o) as *const __m256i);
                            let vw0 = _mm256_loadu_si256(w0.add(o) as *const __m256i);
                            let vw1 = _mm256_loadu_si256(w1.add(o) as *const __m256i);
                            let va0 = _mm256_loadu_si256(a0.add(o) as *const __m256i);
                            let va1 = _mm256_loadu_si256(a1.add(o) as *const __m256i);
                            acc[0] = _mm256_add_epi16(acc[0], _mm256_maddubs_epi16(x0, vw0));
                            acc[1] = _mm256_add_epi16(acc[1], _mm256_maddubs_epi16(x1, vw0));
                            acc[2] = _mm256_add_epi16(acc[2], _mm256_maddubs_epi16(x0, vw1));
                            acc[3] = _mm256_add_epi16(acc[3], _mm256_maddubs_epi16(x1, vw1));
                            acc[4] = _mm256_add_epi16(acc[4], _mm256_maddubs_epi16(x0, va0));
                            acc[5] = _mm256_add_epi16(acc[5], _mm256_maddubs_epi16(x1, va0));
                            acc[6] = _mm256_add_epi16(acc[6], _mm256_maddubs_epi16(x0, va1));
                            acc[7] = _mm256_add_epi16(acc[7], _mm256_maddubs_epi16(x1, va1));
                        }
                        for (t, a) in tot.iter_mut().zip(acc) {
                            *t = _mm256_add_epi32(*t, _mm256_madd_epi16(a, ones));
                        }
                        step = end;
                    }
                    let row0 = (r0 - first) * b_pad;
                    let row1 = row0 + b_pad;
                    y[row0 + b] = hsum(tot[0]);
                    y[row0 + b + 1] = hsum(tot[1]);
                    y[row1 + b] = hsum(tot[2]);
                    y[row1 + b + 1] = hsum(tot[3]);
                    s[row0 + b] = hsum(tot[4]);
                    s[row0 + b + 1] = hsum(tot[5]);
                    s[row1 + b] = hsum(tot[6]);
                    s[row1 + b + 1] = hsum(tot[7]);
                }
            }
        }
    }
}

/// Σ over `columns` (at most [`CHUNK`] of them, each below `inputs.len()`: the caller's
/// promise, kept by [`PackedTernary::panel_products`]) of the panel rows
/// `inputs[j]`, lane by lane, in 16-bit lanes (≤ 256·255 < 2¹⁶).
#[inline(always)]
fn sum_columns<const W: usize>(inputs: &[[u8; W]], columns: &[u32]) -> [u16; W] {
    debug_assert!(columns.len() <= CHUNK);
    // Two sums (even and odd entries), so that consecutive additions do not wait on each other.
    let (mut even, mut odd) = ([0u16; W], [0u16; W]);
    let (pairs, rest) = columns.as_chunks::<2>();
    for &[a, b] in pairs {
        debug_assert!((a as usize) < inputs.len() && (b as usize) < inputs.len());
        // SAFETY: `PackedTernary::new` stores only columns below `cols`, and `panel_products`
        // checks that the panel has `cols` inputs (`inputs.len()`).
        let (xa, xb) = unsafe {
            (
                inputs.get_unchecked(a as usize),
                inputs.get_unchecked(b as usize),
            )
        };
        for l in 0..W {
            even[l] = even[l].wrapping_add(xa[l] as u16);
            odd[l] = odd[l].wrapping_add(xb[l] as u16);
        }
    }
    for &j in rest {
        let x = &inputs[j as usize];
        for l in 0..W {
            even[l] = even[l].wrapping_add(x[l] as u16);
        }
    }
    let mut part = even;
    for l in 0..W {
        part[l] = part[l].wrapping_add(odd[l]);
    }
    part
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_paths_give_the_exact_integer_products() {
        // Odd sizes exercise the padding; 2100 columns cross the 64-step widening block and the
        // panel's 256-code chunk; batches of 32, 40 and 131 take panels of 32 and 64 columns.
        for (rows, cols, batch) in [
            (3, 5, 1),
            (7, 2100, 5),
            (16, 64, 4),
            (9, 300, 40),
            (5, 33, 32),
            (4, 600, 131),
        ] {
            let w: Vec<i8> = (0..rows * cols)
                .map(|k| ((k * 7919 + k / 3) % 3) as i8 - 1)
                .collect();
            let codes: Vec<u8> = (0..cols * batch).map(|k| (k * 37 % 256) as u8).collect();
            let p = PackedTernary::new(rows, cols, &w);
            let q = p.pack_codes(&codes, batch);
            let (mut yr, mut sr) = (vec![0; rows * batch], vec![0; rows * batch]);
            p.dot_products(&q, batch, 0..rows, &mut yr, &mut sr);
            // Column-major, as the checks below read them.
            let (mut y, mut s) = (vec![0; rows * batch], vec![0; rows * batch]);
            for r in 0..rows {
                for b in 0..batch {
                    y[b * rows + r] = yr[r * batch + b];
                    s[b * rows + r] = sr[r * batch + b];
                }
            }
            // Rows taken in two ranges (as the twin's tiles take them) give the same integers.
            let half = (rows / 2) & !1;
            let (mut y2, mut s2) = (vec![0; rows * batch], vec![0; rows * batch]);
            p.dot_products(&q, batch, 0..half, &mut y2, &mut s2);
            let k = half * batch;
            p.dot_products(&q, batch, half..rows, &mut y2[k..], &mut s2[k..]);
            assert_eq!((&yr, &sr), (&y2, &s2));
            for b in 0..batch {
                for r in 0..rows {
                    let (mut ey, mut es) = (0i32, 0i32);
                    for c in 0..cols {
                        let x = codes[b * cols + c] as i32;
                        ey += w[r * cols + c] as i32 * x;
                        es += (w[r * cols + c] as i32).abs() * x;
                    }
                    assert_eq!(y[b * rows + r], ey, "{rows}×{cols} y[{r},{b}]");
                    assert_eq!(s[b * rows + r], es, "{rows}×{cols} s[{r},{b}]");
                }
            }
            // The panel kernel (and its plain build) gives the same integers.
            let panel = Panel::new(&codes, cols, batch, Layout::Lanes);
            let (mut yp, mut sp) = (vec![0; rows * batch], vec![0; rows * batch]);
            p.panel_products(&panel, 0..rows, &mut yp, &mut sp);
            // The four-input layout: its kernel (AVX-512 VNNI where the processor has it) over
            // the rows from 1 (an odd start) and its plain loops over all rows.
            let quads = Panel::new(&codes, cols, batch, Layout::Quads);
            let (mut yv, mut sv) = (vec![0; rows * batch], vec![0; rows * batch]);
            p.panel_products(&quads, 1..rows, &mut yv, &mut sv);
            let (mut yw, mut sw) = (vec![0; rows * batch], vec![0; rows * batch]);
            p.panel_quads_plain(&quads, 0..rows, &mut yw, &mut sw);
            let (mut yq, mut sq) = (vec![0; rows * batch], vec![0; rows * batch]);
            if panel.width == 32 {
                p.panel_plain::<32>(&panel, 1..rows, &mut yq, &mut sq);
            } else {
                p.panel_plain::<64>(&panel, 1..rows, &mut yq, &mut sq);
            }
            for b in 0..batch {
                for r in 0..rows {
                    assert_eq!(yp[r * batch + b], y[b * rows + r], "panel y[{r},{b}]");
                    assert_eq!(sp[r * batch + b], s[b * rows + r], "panel s[{r},{b}]");
                    assert_eq!(yw[r * batch + b], y[b * rows + r], "quads y[{r},{b}]");
                    assert_eq!(sw[r * batch + b], s[b * rows + r], "quads s[{r},{b}]");
                    if r > 0 {
                        assert_eq!(yq[(r - 1) * batch + b], y[b * rows + r]);
                        assert_eq!(sq[(r - 1) * batch + b], s[b * rows + r]);
                        assert_eq!(yv[(r - 1) * batch + b], y[b * rows + r], "vnni y");
                        assert_eq!(sv[(r - 1) * batch + b], s[b * rows + r], "vnni s");
                    }
                }
            }
            // The portable loop agrees with whichever path `dot_products` took.
            let b_pad = batch.div_ceil(2) * 2;
            let n = p.rows_pad * b_pad;
            let (mut ys, mut ss) = (vec![0; n], vec![0; n]);
            p.products_scalar(&q, b_pad, 0..p.rows_pad / 2, &mut ys, &mut ss);
            for b in 0..batch {
                for r in 0..rows {
                    assert_eq!(ys[r * b_pad + b], y[b * rows + r]);
                    assert_eq!(ss[r * b_pad + b], s[b * rows + r]);
                }
            }
        }
    }
}

//! Integer products of a ternary matrix with DAC codes: y = W·q and s = |W|·q at once.
//!
//! The twin needs, for every output, the signed sum y (the balanced photocurrent) and the sum of
//! magnitudes s (the light that reaches the photodiodes, which sets the shot and RIN noise). With
//! weights in {−1, 0, +1} and inputs that are DAC codes 0…255, both are exact integer sums, and
//! AVX2's `vpmaddubsw` multiplies 32 unsigned codes by 32 signed weights per instruction (four
//! times the multiply-adds of an f32 FMA); one pass over the inputs serves both sums. Pair sums are
//! at most 2·255 = 510 in magnitude, so 64 steps accumulate in 16-bit lanes without overflow before
//! they are widened to 32 bits. Other machines use the plain loop; both give the same integers.

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
        Self {
            rows,
            cols,
            k_pad,
            rows_pad,
            w,
            a,
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
            // SAFETY: run only where the processor has AVX2; slices are sized by `products`.
            unsafe { self.products_avx2(q, b_pad, row_pairs, y, s) },
            self.products_scalar(q, b_pad, row_pairs, y, s)
        );
    }

    /// y = W·q and s = |W|·q for `batch` columns of codes (column-major, `cols` each); outputs
    /// column-major `rows × batch`. Rows are split among `threads` (same integers for any count).
    pub fn products(&self, codes: &[u8], batch: usize, threads: usize) -> (Vec<i32>, Vec<i32>) {
        use rayon::prelude::*;
        let q = self.pack_codes(codes, batch);
        let b_pad = batch.div_ceil(2) * 2;
        let pairs = self.rows_pad / 2;
        // Work in row-pair chunks, each writing its own rows × b_pad block (row-major per chunk).
        let chunk = if threads > 1 {
            pairs.div_ceil(threads * 4).max(1)
        } else {
            pairs.max(1)
        };
        let run = |start: usize| {
            let end = (start + chunk).min(pairs);
            let n = (end - start) * 2 * b_pad;
            let (mut y, mut s) = (vec![0i32; n], vec![0i32; n]);
            self.products_into(&q, b_pad, start..end, &mut y, &mut s);
            (start, y, s)
        };
        let starts: Vec<usize> = (0..pairs).step_by(chunk).collect();
        let parts: Vec<(usize, Vec<i32>, Vec<i32>)> = if threads > 1 {
            starts.into_par_iter().map(run).collect()
        } else {
            starts.into_iter().map(run).collect()
        };
        let (mut y, mut s) = (vec![0i32; self.rows * batch], vec![0i32; self.rows * batch]);
        for (start, py, ps) in parts {
            let rows_here = py.len() / b_pad;
            for local in 0..rows_here {
                let r = start * 2 + local;
                if r >= self.rows {
                    break;
                }
                for b in 0..batch {
                    y[b * self.rows + r] = py[local * b_pad + b];
                    s[b * self.rows + r] = ps[local * b_pad + b];
                }
            }
        }
        (y, s)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_paths_give_the_exact_integer_products() {
        // Odd sizes exercise the padding; 2100 columns cross the 64-step widening block.
        for (rows, cols, batch) in [(3, 5, 1), (7, 2100, 5), (16, 64, 4)] {
            let w: Vec<i8> = (0..rows * cols)
                .map(|k| ((k * 7919 + k / 3) % 3) as i8 - 1)
                .collect();
            let codes: Vec<u8> = (0..cols * batch).map(|k| (k * 37 % 256) as u8).collect();
            let p = PackedTernary::new(rows, cols, &w);
            let (y, s) = p.products(&codes, batch, 1);
            let (y2, s2) = p.products(&codes, batch, 3);
            assert_eq!((&y, &s), (&y2, &s2));
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
            // The portable loop agrees with whichever path `products` took.
            let q = p.pack_codes(&codes, batch);
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

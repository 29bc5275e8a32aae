//! Noisy ternary vector–matrix products.
//!
//! Y = W·q(X), where q is the DAC's quantisation, plus per output one Gaussian draw of the
//! variance [`VmmNoise::variance`] for that output's Σ|w|q — the statistics of the balanced,
//! integrating readout the physics engine simulates ([`lightloop_physics::vmm`] in the tests).
//! The noise terms (shot, receiver, RIN, the converter's excess noise) are independent and
//! Gaussian, so their sum is one Gaussian of the summed variance: one deviate per output, drawn
//! in blocks ([`lightloop_base::normals`]). Where an output's light brings fewer than
//! [`COUNT_EXACTLY_BELOW`] electrons, each photodiode of the balanced pair counts its electrons
//! exactly (Poisson of its own light: the positive and the negative weights' inputs) and only the
//! other noises are Gaussian, the engine's photodiode rule. A converter that digitises the whole
//! sum rounds the reading to its codes; partial sums converted one by one enter as their
//! quantisation noise (Δ²/12 each).
//!
//! **Kernels.** Ternary weights with DAC codes of at most 8 bits give exact integer sums W·q and
//! |W|·q ([`crate::ternary_gemm`]: AVX-512 VNNI, else additions only, for batches; multiply-adds
//! of bytes for a few columns); analog weights or finer DACs take faer's f32 GEMM. Outputs are
//! computed in tiles of [`TILE`] rows, sums and noise together, so that a tile's work stays in
//! cache and tiles run on several threads with the same results.
//!
//! **Same seed, same numbers.** Tile t of call c draws its deviates from the stream (seed,
//! "twin.vmm", t, c) and its photon counts from (seed, "twin.vmm.count", t, c).

use crate::noise::VmmNoise;
use crate::ternary_gemm::{Layout, PANEL_FROM, PackedTernary, Panel};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use lightloop_base::normals::Normals;
use lightloop_base::rng::{COUNT_EXACTLY_BELOW, Rng, poisson, stream};
use lightloop_cost::evaluate::StepCost;
use lightloop_cost::evaluate::{Core, product_cost};
use lightloop_cost::noise::adc_excess_sd;
use lightloop_rig::Rig;
use rayon::prelude::*;

/// A weight matrix of the optical core, rows = outputs: ternary weights in {−1, 0, +1}, or
/// analog weights in [−1, 1] (transmissions of weight modulators, signed by the balanced pair).
#[derive(Debug, Clone)]
pub struct TernaryMatrix {
    rows: usize,
    cols: usize,
    /// W and |W|, rows × cols each.
    signed: Mat<f32>,
    magnitude: Mat<f32>,
    nonzero: Vec<f64>,
    row_sum: Vec<f64>,
    /// The integer kernel's packing, for ternary weights only.
    packed: Option<PackedTernary>,
}

impl TernaryMatrix {
    /// From row-major values in {−1, 0, +1}.
    pub fn from_rows(rows: usize, cols: usize, values: &[i8]) -> Self {
        Self::check_len(rows, cols, values.len());
        let signed = Mat::from_fn(rows, cols, |r, c| values[r * cols + c].clamp(-1, 1) as f32);
        Self::from_signed(signed, Some(PackedTernary::new(rows, cols, values)))
    }

    /// Analog weights from row-major values, clamped to [−1, 1] (NaN is refused by the caller's
    /// checks; here it would count as zero light). Products take the f32 GEMM, and the readout
    /// noise follows from the light Σ|w_j|·p_j that reaches the detectors, as for ternary weights.
    pub fn analog(rows: usize, cols: usize, values: &[f32]) -> Self {
        Self::check_len(rows, cols, values.len());
        let signed = Mat::from_fn(rows, cols, |r, c| {
            let v = values[r * cols + c];
            if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) }
        });
        Self::from_signed(signed, None)
    }

    fn check_len(rows: usize, cols: usize, len: usize) {
        assert_eq!(
            len,
            rows * cols,
            "a {rows}×{cols} matrix needs {} values",
            rows * cols
        );
    }

    /// |W|, the nonzero count and the sum of each row, derived from W.
    fn from_signed(signed: Mat<f32>, packed: Option<PackedTernary>) -> Self {
        let (rows, cols) = (signed.nrows(), signed.ncols());
        let magnitude = Mat::from_fn(rows, cols, |r, c| signed[(r, c)].abs());
        let nonzero = (0..rows)
            .map(|r| (0..cols).filter(|&c| signed[(r, c)] != 0.0).count() as f64)
            .collect();
        let row_sum = (0..rows)
            .map(|r| (0..cols).map(|c| signed[(r, c)] as f64).sum())
            .collect();
        Self {
            rows,
            cols,
            signed,
            magnitude,
            nonzero,
            row_sum,
            packed,
        }
    }

    /// Σ_j w_rj for each row r.
    pub fn row_sums(&self) -> &[f64] {
        &self.row_sum
    }
    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The weights as f32 (rows × cols).
    pub fn weights(&self) -> MatRef<'_, f32> {
        self.signed.as_ref()
    }
}

/// The twin of one optical matrix–vector engine.
#[derive(Debug, Clone)]
pub struct NoisyVmm {
    pub noise: VmmNoise,
    core: Core,
    seed: u64,
    par: Par,
    threads: usize,
}

/// The constants of one row's readout (see [`NoisyVmm::apply`]).
struct RowReadout {
    unit: f64,
    offset: f64,
    gain: f64,
    floor_sum: f64,
    fixed: f64,
    c1: f64,
    rin: f64,
    /// The converter's full scale, when it rounds to its codes here.
    full_scale: Option<f64>,
    step: f64,
    inv_step: f64,
    inv_unit: f64,
    inv_gain: f64,
}

/// Rounds to the nearest integer by the 1.5·2⁵² shifter (exact below 2⁵¹) instead of a libm call.
const SHIFT: f64 = 6_755_399_441_055_744.0;

impl RowReadout {
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    fn readings_avx512(&self, y: &[f64], s: &[f64], z: &[f64], out: &mut [f32]) {
        self.readings(y, s, z, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn readings_avx2(&self, y: &[f64], s: &[f64], z: &[f64], out: &mut [f32]) {
        self.readings(y, s, z, out)
    }

    /// The balanced photocurrent of an output with signed sum `y`, A.
    #[inline(always)]
    fn current(&self, y: f64) -> f64 {
        self.unit * (self.offset + self.gain * y)
    }

    /// The light reaching the pair for an output with sum of magnitudes `s` (in inputs at full
    /// modulation).
    #[inline(always)]
    fn light(&self, s: f64) -> f64 {
        self.floor_sum + self.gain * s
    }

    /// A reading rounded to the converter's codes over [−FS, FS] when it converts here (by the
    /// shifter; a NaN goes to −FS), else as it is.
    #[inline(always)]
    fn convert(&self, r: f64) -> f64 {
        match self.full_scale {
            Some(fs) => {
                let code = ((r + fs).max(0.0).min(2.0 * fs) * self.inv_step + SHIFT) - SHIFT;
                code * self.step - fs
            }
            None => r,
        }
    }

    /// The calibrated output of a reading.
    #[inline(always)]
    fn calibrate(&self, r: f64) -> f32 {
        ((r * self.inv_unit - self.offset) * self.inv_gain) as f32
    }

    /// The calibrated readings of the row's outputs with sums `y`, `s` and deviates `z`, all
    /// bright (no photon counting): the current plus √(c_fixed + P(c₁ + rin·P))·z, P the light,
    /// converted, then calibrated. (Two loops, with and without the rounding, so that each
    /// vectorises; the AVX2 and AVX-512 builds do the same operations, so give the same
    /// numbers.)
    #[inline(always)]
    fn readings(&self, y: &[f64], s: &[f64], z: &[f64], out: &mut [f32]) {
        let reading = |y: f64, s: f64, z: f64| {
            let p_sum = self.light(s);
            let var = self.fixed + p_sum * (self.c1 + self.rin * p_sum);
            self.current(y) + var.sqrt() * z
        };
        if self.full_scale.is_some() {
            for (((o, y), s), z) in out.iter_mut().zip(y).zip(s).zip(z) {
                *o = self.calibrate(self.convert(reading(*y, *s, *z)));
            }
        } else {
            for (((o, y), s), z) in out.iter_mut().zip(y).zip(s).zip(z) {
                *o = self.calibrate(reading(*y, *s, *z));
            }
        }
    }
}

/// The DAC codes of inputs `x` for `levels` = 2^bits − 1 ≤ 255, rounded half up: the same as
/// `round` on these non-negative values, exact in f64 (an f32 times at most 255, plus one half),
/// with no libm call.
#[inline(always)]
fn dac_codes(x: &[f32], levels: f64, out: &mut [u8]) {
    debug_assert!((0.0..=255.0).contains(&levels));
    for (d, v) in out.iter_mut().zip(x) {
        // `max` then `min` take NaN to 0 (`clamp` would keep it), so the value is in
        // [0.5, 255.5].
        #[allow(clippy::manual_clamp)]
        let code = v.max(0.0).min(1.0) as f64 * levels + 0.5;
        // SAFETY: finite and within i32 (above).
        *d = unsafe { code.to_int_unchecked::<i32>() } as u8;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn dac_codes_avx512(x: &[f32], levels: f64, out: &mut [u8]) {
    dac_codes(x, levels, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dac_codes_avx2(x: &[f32], levels: f64, out: &mut [u8]) {
    dac_codes(x, levels, out)
}

/// Rows per tile: the unit of work of a product and of its noise streams.
pub const TILE: usize = 32;

/// The sums W·q and |W|·q of one product, from the kernel that computed them.
enum Sums<'a> {
    /// The panel kernel, run tile by tile as the tiles are read; `inv` converts codes to levels.
    Panel {
        packed: &'a PackedTernary,
        panel: Panel,
        inv: f64,
    },
    /// The dot kernel, run tile by tile as the tiles are read, on the packed codes `q`.
    Dot {
        packed: &'a PackedTernary,
        q: Vec<u8>,
        inv: f64,
    },
    /// The f32 GEMM's sums.
    Float { y: Mat<f32>, s: Mat<f32> },
}

/// The buffers of one tile's work, reused from tile to tile: the kernel's integer sums, the
/// sums in input units, the tile's Gaussian deviates and its outputs, each row by row.
#[derive(Default)]
struct Scratch {
    yi: Vec<i32>,
    si: Vec<i32>,
    y: Vec<f64>,
    s: Vec<f64>,
    z: Vec<f64>,
    out: Vec<f32>,
}

impl Sums<'_> {
    /// The sums of `rows` for all `batch` columns into `sc.y` and `sc.s`, row by row; sizes
    /// every buffer of `sc` to the tile.
    fn read(&self, rows: std::ops::Range<usize>, batch: usize, sc: &mut Scratch) {
        let first = rows.start;
        let n = rows.len() * batch;
        for v in [&mut sc.y, &mut sc.s, &mut sc.z] {
            v.resize(n, 0.0);
        }
        sc.out.resize(n, 0.0);
        let (y, s) = (&mut sc.y[..n], &mut sc.s[..n]);
        let integers = |sc: &mut Scratch, inv: f64| {
            for (d, v) in sc.y[..n].iter_mut().zip(&sc.yi) {
                *d = *v as f64 * inv;
            }
            for (d, v) in sc.s[..n].iter_mut().zip(&sc.si) {
                *d = *v as f64 * inv;
            }
        };
        match self {
            Sums::Panel { packed, panel, inv } => {
                sc.yi.resize(n, 0);
                sc.si.resize(n, 0);
                packed.panel_products(panel, rows, &mut sc.yi, &mut sc.si);
                integers(sc, *inv);
            }
            Sums::Dot { packed, q, inv } => {
                sc.yi.resize(n, 0);
                sc.si.resize(n, 0);
                packed.dot_products(q, batch, rows, &mut sc.yi, &mut sc.si);
                integers(sc, *inv);
            }
            Sums::Float { y: ym, s: sm } => {
                for r in rows {
                    for b in 0..batch {
                        y[(r - first) * batch + b] = ym[(r, b)] as f64;
                        s[(r - first) * batch + b] = sm[(r, b)] as f64;
                    }
                }
            }
        }
    }
}

impl NoisyVmm {
    pub fn from_rig(rig: &Rig, seed: u64) -> Self {
        Self {
            noise: VmmNoise::from_rig(rig),
            core: Core::from_rig(rig),
            seed,
            par: Par::Seq,
            threads: 1,
        }
    }

    /// Uses `threads` threads for the products (results do not depend on it).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self.par = if threads > 1 {
            Par::rayon(threads)
        } else {
            Par::Seq
        };
        self
    }

    /// The DAC levels of inputs in [0, 1].
    pub fn quantise_inputs(&self, x: MatRef<'_, f32>) -> Mat<f32> {
        let levels = self.noise.dac_levels as f32;
        Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
            (x[(i, j)].clamp(0.0, 1.0) * levels).round() / levels
        })
    }

    /// W·q(X) and |W|·q(X) for inputs X (cols × batch), ready to be read tile by tile.
    fn sums<'a>(&self, w: &'a TernaryMatrix, x: MatRef<'_, f32>) -> Sums<'a> {
        assert_eq!(
            x.nrows(),
            w.cols,
            "inputs have {} rows, the matrix {} columns",
            x.nrows(),
            w.cols
        );
        let levels = self.noise.dac_levels;
        if let Some(packed) = w
            .packed
            .as_ref()
            .filter(|_| levels <= 255.0 && levels.fract() == 0.0)
        {
            // DAC codes fit a byte: exact integer sums (see `ternary_gemm`), both in one pass.
            let batch = x.ncols();
            let mut codes = vec![0u8; w.cols * batch];
            for (b, column) in codes.chunks_exact_mut(w.cols).enumerate() {
                let xs = x.col(b);
                match xs.try_as_col_major() {
                    Some(c) => lightloop_base::avx512_avx2_or!(
                        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
                        unsafe { dac_codes_avx512(c.as_slice(), levels, column) },
                        // SAFETY: run only where the processor has AVX2.
                        unsafe { dac_codes_avx2(c.as_slice(), levels, column) },
                        dac_codes(c.as_slice(), levels, column)
                    ),
                    None => {
                        let c: Vec<f32> = xs.iter().copied().collect();
                        dac_codes(&c, levels, column)
                    }
                }
            }
            let inv = 1.0 / levels;
            return if batch >= PANEL_FROM {
                Sums::Panel {
                    packed,
                    panel: Panel::new(&codes, w.cols, batch, Layout::native()),
                    inv,
                }
            } else {
                Sums::Dot {
                    packed,
                    q: packed.pack_codes(&codes, batch),
                    inv,
                }
            };
        }
        let q = self.quantise_inputs(x);
        let mut y = Mat::<f32>::zeros(w.rows, x.ncols());
        let mut s = Mat::<f32>::zeros(w.rows, x.ncols());
        matmul(&mut y, Accum::Replace, &w.signed, &q, 1.0, self.par);
        matmul(&mut s, Accum::Replace, &w.magnitude, &q, 1.0, self.par);
        Sums::Float { y, s }
    }

    /// Runs `each(tile, scratch)` for every tile of [`TILE`] rows, on the twin's threads when
    /// it has more than one (tiles are fixed, so results do not depend on the count), with the
    /// tile's sums in `scratch.y` and `scratch.s` (row r's column b at (r − first)·batch + b);
    /// `each` writes the tile's outputs to `scratch.out` in the same layout (`scratch.z` is
    /// room for as many deviates). Returns the outputs as a rows × batch matrix.
    fn tiles(
        &self,
        rows: usize,
        batch: usize,
        sums: &Sums<'_>,
        each: impl Fn(usize, &mut Scratch) + Sync,
    ) -> Mat<f32> {
        if rows == 0 || batch == 0 {
            return Mat::zeros(rows, batch);
        }
        let tiles = rows.div_ceil(TILE);
        let run = |t: usize, sc: &mut Scratch| {
            sums.read(t * TILE..((t + 1) * TILE).min(rows), batch, sc);
            each(t, sc);
        };
        let mut m = Mat::<f32>::zeros(rows, batch);
        // Column by column, so that each column is written contiguously.
        let mut place = |t: usize, out: &[f32]| {
            for b in 0..batch {
                let col = m
                    .col_mut(b)
                    .try_as_col_major_mut()
                    .expect("a contiguous column")
                    .as_slice_mut();
                for (d, v) in col[t * TILE..]
                    .iter_mut()
                    .zip(out[b..].iter().step_by(batch))
                {
                    *d = *v;
                }
            }
        };
        if self.threads > 1 {
            let parts: Vec<Vec<f32>> = (0..tiles)
                .into_par_iter()
                .map_init(Scratch::default, |sc, t| {
                    run(t, sc);
                    std::mem::take(&mut sc.out)
                })
                .collect();
            for (t, part) in parts.iter().enumerate() {
                place(t, part);
            }
        } else {
            let mut sc = Scratch::default();
            for t in 0..tiles {
                run(t, &mut sc);
                place(t, &sc.out);
            }
        }
        m
    }

    /// The noiseless product W·q(X) (rows × batch).
    pub fn ideal(&self, w: &TernaryMatrix, x: MatRef<'_, f32>) -> Mat<f32> {
        let sums = self.sums(w, x);
        self.tiles(w.rows, x.ncols(), &sums, |_, sc| {
            for (o, v) in sc.out.iter_mut().zip(&sc.y) {
                *o = *v as f32;
            }
        })
    }

    /// The noisy product for call number `call` (rows × batch).
    ///
    /// Each output's noise is one Gaussian draw from its combined variance (the terms are
    /// independent and Gaussian, so their sum is), except where counting takes over (below).
    /// Rows are taken in tiles of [`TILE`]; tile t draws its Gaussian deviates from the stream
    /// (seed, "twin.vmm", t, call), row by row and column by column within the tile, and its
    /// photon counts (outputs below [`COUNT_EXACTLY_BELOW`] electrons) from (seed,
    /// "twin.vmm.count", t, call) in the same order, so results do not depend on thread count.
    pub fn apply(&self, w: &TernaryMatrix, x: MatRef<'_, f32>, call: u64) -> Mat<f32> {
        let sums = self.sums(w, x);
        let batch = x.ncols();
        let inputs = w.cols as f64;
        let n = &self.noise;
        let (t_min, unit) = (n.t_min, n.unit_current);
        let full_scale = n.full_scale(inputs);
        let explicit = n.enob.is_some() && (n.integrate || n.tiles(inputs) == 1.0);
        let excess = match n.enob {
            Some(e) if explicit => adc_excess_sd(2.0 * full_scale, n.adc_bits, e),
            _ => 0.0,
        };
        let partial_quant = if explicit {
            0.0
        } else {
            n.partial_sum_quantisation(inputs)
        };
        let (c0, c1, c2) = n.analog_coefficients(inputs);
        // Electrons per unit of light p (one input at full modulation): R·P_u·T/q = unit²/c₁.
        let e_unit = if c1 > 0.0 {
            unit * unit / c1
        } else {
            f64::INFINITY
        };
        let fixed = c0 + excess * excess + partial_quant;
        // The converter's code grid over [−FS, FS]: step and code count, hoisted.
        let codes = 2f64.powi(n.adc_bits as i32) - 1.0;
        let step = 2.0 * full_scale / codes;
        let inv_step = 1.0 / step;
        let (inv_unit, inv_gain) = (1.0 / unit, 1.0 / (1.0 - t_min));
        let gain = 1.0 - t_min;
        self.tiles(w.rows, batch, &sums, |t, sc| {
            Normals::new(stream(self.seed, "twin.vmm", t as u64, call)).fill(&mut sc.z);
            let (ys, ss, z, out) = (&sc.y, &sc.s, &sc.z, &mut sc.out);
            let mut counts: Option<Rng> = None;
            let first = t * TILE;
            for (k, ((yr, sr), (zr, or))) in ys
                .chunks_exact(batch)
                .zip(ss.chunks_exact(batch))
                .zip(z.chunks_exact(batch).zip(out.chunks_exact_mut(batch)))
                .enumerate()
            {
                let i = first + k;
                let nonzero = w.nonzero[i];
                let rin = if nonzero > 0.0 { c2 / nonzero } else { 0.0 };
                let row = RowReadout {
                    unit,
                    offset: t_min * w.row_sum[i],
                    gain,
                    floor_sum: t_min * nonzero,
                    fixed,
                    c1,
                    rin,
                    full_scale: explicit.then_some(full_scale),
                    step,
                    inv_step,
                    inv_unit,
                    inv_gain,
                };
                let least = sr.iter().copied().fold(f64::INFINITY, f64::min);
                if row.light(least) * e_unit >= COUNT_EXACTLY_BELOW {
                    // Every output of the row is bright: the balanced photocurrent plus one
                    // Gaussian draw of its combined analog and converter-excess noise.
                    lightloop_base::avx512_avx2_or!(
                        // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
                        unsafe { row.readings_avx512(yr, sr, zr, or) },
                        // SAFETY: run only where the processor has AVX2.
                        unsafe { row.readings_avx2(yr, sr, zr, or) },
                        row.readings(yr, sr, zr, or)
                    );
                    continue;
                }
                let rng = counts
                    .get_or_insert_with(|| stream(self.seed, "twin.vmm.count", t as u64, call));
                for (((o, y), s), z) in or.iter_mut().zip(yr).zip(sr).zip(zr) {
                    let (current, p_sum) = (row.current(*y), row.light(*s));
                    let electrons = p_sum * e_unit;
                    let reading = if electrons < COUNT_EXACTLY_BELOW {
                        // Few electrons: each photodiode of the balanced pair counts its own
                        // light exactly (Poisson), the other noises stay Gaussian.
                        let signed = current / unit * e_unit;
                        let plus = poisson(rng, 0.5 * (electrons + signed).max(0.0));
                        let minus = poisson(rng, 0.5 * (electrons - signed).max(0.0));
                        let rest = fixed + rin * p_sum * p_sum;
                        (plus - minus) * unit / e_unit + rest.sqrt() * z
                    } else {
                        let var = fixed + p_sum * (c1 + rin * p_sum);
                        current + var.sqrt() * z
                    };
                    *o = row.calibrate(row.convert(reading));
                }
            }
        })
    }

    /// Time and energy of the product on the rig for `batch` vectors, from the cost model.
    pub fn cost(&self, w: &TernaryMatrix, batch: usize) -> StepCost {
        product_cost(&self.core, w.cols as u32, w.rows as u32, batch as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dac_codes_round_half_up_and_clip() {
        let x = [0.0, 1.0, 0.5, 2.0, -1.0, f32::NAN, 0.4999, 1.5 / 255.0];
        let mut plain = [0u8; 8];
        dac_codes(&x, 255.0, &mut plain);
        assert_eq!(plain, [0, 255, 128, 255, 0, 0, 127, 2]);
        let mut chosen = [0u8; 8];
        lightloop_base::avx512_avx2_or!(
            unsafe { dac_codes_avx512(&x, 255.0, &mut chosen) },
            unsafe { dac_codes_avx2(&x, 255.0, &mut chosen) },
            dac_codes(&x, 255.0, &mut chosen)
        );
        assert_eq!(plain, chosen);
    }

    #[test]
    fn integer_and_float_products_agree() {
        // 8-bit DACs take the integer kernel, 10-bit ones the f32 GEMM: both give W·dac(x).
        for bits in [8u32, 10] {
            use lightloop_rig::Derive;
            let rig = lightloop_rig::load_rig("tier-a-1024", &[])
                .unwrap()
                .value
                .modified(|r| r.dac.bits = bits)
                .unwrap();
            let twin = NoisyVmm::from_rig(&rig, 1);
            let (rows, cols, batch) = (37, 70, 3);
            let w: Vec<i8> = (0..rows * cols)
                .map(|k| ((k * 31 + k / 7) % 3) as i8 - 1)
                .collect();
            let m = TernaryMatrix::from_rows(rows, cols, &w);
            let x = Mat::from_fn(cols, batch, |i, j| ((i * 13 + j * 5) % 17) as f32 / 16.0);
            let y = twin.ideal(&m, x.as_ref());
            for r in 0..rows {
                for b in 0..batch {
                    let exact: f64 = (0..cols)
                        .map(|c| w[r * cols + c] as f64 * twin.noise.dac(x[(c, b)] as f64))
                        .sum();
                    assert!(
                        (y[(r, b)] as f64 - exact).abs() < 1e-4,
                        "{bits} bits: {} vs {exact}",
                        y[(r, b)]
                    );
                }
            }
        }
    }

    #[test]
    fn analog_weights_give_w_times_dac_x_and_their_noise_follows_the_light() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let twin = NoisyVmm::from_rig(&rig, 5);
        let (rows, cols, batch) = (5, 40, 2);
        let w: Vec<f32> = (0..rows * cols)
            .map(|k| ((k * 17 % 23) as f32 / 11.0 - 1.0) * 1.2)
            .collect();
        let m = TernaryMatrix::analog(rows, cols, &w);
        let x = Mat::from_fn(cols, batch, |i, j| ((i * 7 + j) % 9) as f32 / 8.0);
        let y = twin.ideal(&m, x.as_ref());
        for r in 0..rows {
            let sum: f64 = (0..cols)
                .map(|c| w[r * cols + c].clamp(-1.0, 1.0) as f64)
                .sum();
            assert!((m.row_sums()[r] - sum).abs() < 1e-9);
            for b in 0..batch {
                let exact: f64 = (0..cols)
                    .map(|c| {
                        w[r * cols + c].clamp(-1.0, 1.0) as f64 * twin.noise.dac(x[(c, b)] as f64)
                    })
                    .sum();
                assert!((y[(r, b)] as f64 - exact).abs() < 1e-4);
            }
        }
        // More light per input, less relative noise: the photon count round-trips.
        let n = twin.noise.with_photons_per_sample(1234.5);
        assert!((n.photons_per_sample() - 1234.5).abs() < 1e-6);
        let dim = twin
            .noise
            .with_photons_per_sample(1e2)
            .analog_variance(40.0, 10.0, 40.0)
            / 1e2f64.powi(2);
        let bright = twin
            .noise
            .with_photons_per_sample(1e6)
            .analog_variance(40.0, 10.0, 40.0)
            / 1e6f64.powi(2);
        assert!(dim > 100.0 * bright, "relative variance {dim} vs {bright}");
    }

    /// At a few photons per input the balanced pair counts electrons: with the other noises
    /// switched off, one input at full light on a +1 weight reads (k/η' − t)/(1 − t) for a
    /// Poisson count k of mean η' = R·P_u·T/q, so the readings are whole counts and none is
    /// read with probability e^(−η').
    #[test]
    fn few_photons_are_counted_exactly() {
        let quiet = [
            "readout.kind=\"comparator\"",
            "tia.input_noise_density=\"1e-27 A/√Hz\"",
            "photodiode.dark_current=\"1e-27 A\"",
            "laser.rin=\"-200 dB/Hz\"",
        ]
        .map(String::from);
        let rig = lightloop_rig::load_rig("seed-16ch", &quiet).unwrap().value;
        let mut twin = NoisyVmm::from_rig(&rig, 9);
        twin.noise = twin.noise.with_photons_per_sample(3.0);
        assert!(twin.noise.enob.is_none());
        let (_, c1, _) = twin.noise.analog_coefficients(1.0);
        let unit = twin.noise.unit_current;
        let mean = unit * unit / c1;
        assert!(mean > 1.0 && mean < 3.0, "{mean}");
        let m = TernaryMatrix::from_rows(1, 1, &[1]);
        let batch = 40_000;
        let x = Mat::from_fn(1, batch, |_, _| 1.0f32);
        let y = twin.apply(&m, x.as_ref(), 0);
        let t = twin.noise.t_min;
        // Full light on the + diode: p = 1, so the count's mean is η'.
        let (mut zeros, mut sum) = (0u64, 0.0);
        for b in 0..batch {
            let k = (y[(0, b)] as f64 * (1.0 - t) + t) * mean;
            assert!((k - k.round()).abs() < 1e-3, "a whole count: {k}");
            zeros += (k.round() == 0.0) as u64;
            sum += k;
        }
        let p0 = (-mean).exp();
        let sd = (p0 * (1.0 - p0) / batch as f64).sqrt();
        assert!(
            ((zeros as f64 / batch as f64) - p0).abs() < 4.0 * sd,
            "{zeros} vs {p0}"
        );
        assert!((sum / batch as f64 - mean).abs() < 4.0 * (mean / batch as f64).sqrt());
        // At the rig's light the same product is Gaussian: no whole counts.
        let bright = NoisyVmm::from_rig(&rig, 9).apply(&m, x.as_ref(), 0);
        assert!((0..100).any(|b| {
            let k = (bright[(0, b)] as f64 * (1.0 - t) + t) * mean;
            (k - k.round()).abs() > 1e-3
        }));
    }
}

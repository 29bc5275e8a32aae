//! Noisy ternary vector–matrix products.
//!
//! Y = W·q(X) computed with faer's f32 GEMM, where q is the DAC's quantisation, plus per output
//! Gaussian noise of the variance [`VmmNoise::variance`] for that output's Σ|w|q — the statistics
//! of the balanced, integrating readout the physics engine simulates ([`lightloop_physics::vmm`]
//! in the tests). W and |W| are stacked into one matrix so both sums come from one GEMM. Where an
//! output's light brings fewer than [`COUNT_EXACTLY_BELOW`] electrons, each photodiode of the
//! balanced pair counts its electrons exactly (Poisson of its own light: the positive and the
//! negative weights' inputs) and only the other noises are Gaussian, the engine's photodiode rule.
//! Quantisation by the ADC enters as its noise (Δ²/12), not as rounding.

use crate::noise::VmmNoise;
use crate::ternary_gemm::PackedTernary;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use lightloop_base::rng::{COUNT_EXACTLY_BELOW, poisson, stream};
use lightloop_cost::evaluate::StepCost;
use lightloop_cost::evaluate::{Core, product_cost};
use lightloop_cost::noise::adc_excess_sd;
use lightloop_rig::Rig;
use rand_distr::{Distribution, StandardNormal};
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

    /// W·q(X) and |W|·q(X) for inputs X (cols × batch). Two products of rows × cols matrices,
    /// not one of the stacked 2·rows × cols matrix: at these shapes the GEMM avoids repacking.
    fn sums(&self, w: &TernaryMatrix, x: MatRef<'_, f32>) -> (Mat<f32>, Mat<f32>) {
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
            let mut codes = Vec::with_capacity(w.cols * batch);
            for b in 0..batch {
                codes.extend(
                    (0..w.cols).map(|i| (x[(i, b)].clamp(0.0, 1.0) * levels as f32).round() as u8),
                );
            }
            let (yi, si) = packed.products(&codes, batch, self.threads);
            let inv = 1.0 / levels as f32;
            let to_mat =
                |v: &[i32]| Mat::from_fn(w.rows, batch, |r, b| v[b * w.rows + r] as f32 * inv);
            return (to_mat(&yi), to_mat(&si));
        }
        let q = self.quantise_inputs(x);
        let mut y = Mat::<f32>::zeros(w.rows, x.ncols());
        let mut s = Mat::<f32>::zeros(w.rows, x.ncols());
        matmul(&mut y, Accum::Replace, &w.signed, &q, 1.0, self.par);
        matmul(&mut s, Accum::Replace, &w.magnitude, &q, 1.0, self.par);
        (y, s)
    }

    /// The noiseless product W·q(X) (rows × batch).
    pub fn ideal(&self, w: &TernaryMatrix, x: MatRef<'_, f32>) -> Mat<f32> {
        self.sums(w, x).0
    }

    /// The noisy product for call number `call` (rows × batch). Column b's noise is drawn from
    /// the stream (seed, "twin.vmm", b, call), so results do not depend on thread count.
    pub fn apply(&self, w: &TernaryMatrix, x: MatRef<'_, f32>, call: u64) -> Mat<f32> {
        let (ys, ss) = self.sums(w, x);
        let (rows, batch) = (w.rows, x.ncols());
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
        // Per-row constants.
        let row_consts: Vec<(f64, f64, f64)> = (0..rows)
            .map(|i| {
                let nonzero = w.nonzero[i];
                let rin = if nonzero > 0.0 { c2 / nonzero } else { 0.0 };
                (t_min * nonzero, rin, t_min * w.row_sum[i])
            })
            .collect();
        // Matrices are column-major: walk each column contiguously, one stream per column.
        let columns: Vec<Vec<f32>> = (0..batch)
            .into_par_iter()
            .map(|b| {
                let mut rng = stream(self.seed, "twin.vmm", b as u64, call);
                let (yc, sc) = (ys.col(b), ss.col(b));
                let mut col = Vec::with_capacity(rows);
                for (i, &(floor_sum, rin, offset)) in row_consts.iter().enumerate() {
                    let y = yc[i] as f64;
                    let abs_sum = sc[i] as f64;
                    // The balanced photocurrent and its analog noise (with the converter's
                    // excess noise, also Gaussian and added before rounding).
                    let current = unit * (offset + (1.0 - t_min) * y);
                    let p_sum = floor_sum + (1.0 - t_min) * abs_sum;
                    let var = fixed + p_sum * (c1 + rin * p_sum);
                    let z: f64 = StandardNormal.sample(&mut rng);
                    let electrons = p_sum * e_unit;
                    let mut reading = if electrons < COUNT_EXACTLY_BELOW {
                        // Few electrons: each photodiode of the balanced pair counts its own
                        // light exactly (Poisson), the other noises stay Gaussian.
                        let signed = current / unit * e_unit;
                        let plus = poisson(&mut rng, 0.5 * (electrons + signed).max(0.0));
                        let minus = poisson(&mut rng, 0.5 * (electrons - signed).max(0.0));
                        let rest = fixed + rin * p_sum * p_sum;
                        (plus - minus) * unit / e_unit + rest.sqrt() * z
                    } else {
                        current + var.sqrt() * z
                    };
                    if explicit {
                        // adc_round over [0, 2FS] after the offset, step hoisted; rounding by
                        // the 1.5·2⁵² shifter (exact below 2⁵¹ codes) instead of a libm call.
                        const SHIFT: f64 = 6_755_399_441_055_744.0;
                        let code = ((reading + full_scale).clamp(0.0, 2.0 * full_scale) * inv_step
                            + SHIFT)
                            - SHIFT;
                        reading = code * step - full_scale;
                    }
                    col.push(((reading * inv_unit - offset) * inv_gain) as f32);
                }
                col
            })
            .collect();
        Mat::from_fn(rows, batch, |i, b| columns[b][i])
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

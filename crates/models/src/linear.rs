//! A linear layer y = W·x (+ b) that runs digitally or on the optical core's twin.
//!
//! **Optical mapping** (a simplification stated in every output): each token's input vector x is
//! scaled by its largest magnitude s = max_j|x_j| (known to the host that drives the DACs) and
//! offset-encoded onto the modulators as u = (x/s + 1)/2 ∈ [0, 1], so one non-negative optical
//! product serves signed inputs. The twin ([`lightloop_twin::vmm::NoisyVmm`]) returns a noisy
//! Σ_j w_rj·q(u_j) with the rig's DAC quantisation q, shot, dark, receiver and RIN noise and the
//! ADC, all from the one noise budget. The host then decodes
//! y_r = a_r·s·(2·Σ_j w_rj·q(u_j) − Σ_j w_rj), using the row sums it knows, and adds the bias.
//!
//! Weights are either **ternary** (per output row r: threshold Δ_r = 0.7·mean|w_r|, weights
//! w ∈ {−1, 0, +1} by sign above Δ_r, scale a_r = mean of |w| above Δ_r — Li, Zhang & Liu 2016,
//! "Ternary weight networks", arXiv:1605.04711) or **analog** (w_r/max|w_r| ∈ [−1, 1] as weight
//! modulator transmissions, scale a_r = max|w_r|), the latter at the rig's noise and ADC bits
//! only, with no weight quantisation.
//!
//! **ADC range.** The twin's converter spans the worst case by default (every input of a
//! conversion at full light). With offset-encoded inputs of real activations the signal uses a
//! small part of that span, so [`AdcRange::Calibrated`] sets each layer's receiver gain once,
//! from the first batch it sees (a calibration pass the caller runs on data it does not score):
//! the span becomes the largest photocurrent of that batch times a margin, and larger signals
//! later clip at the converter's ends.

use crate::{Error, Result};
use candle_core::{DType, Tensor};
use faer::Mat;
use lightloop_rig::Rig;
use lightloop_twin::vmm::{NoisyVmm, TernaryMatrix};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// How the weights of an optical layer are represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weights {
    /// {−1, 0, +1} with a per-row scale fitted from the weights (TWN thresholding, no training).
    Ternary,
    /// Full-precision weights as analog transmissions in [−1, 1] with a per-row scale.
    Analog,
}

impl std::fmt::Display for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Weights::Ternary => "ternary",
            Weights::Analog => "analog",
        })
    }
}

impl std::str::FromStr for Weights {
    type Err = crate::Error;
    fn from_str(s: &str) -> std::result::Result<Self, crate::Error> {
        match s {
            "ternary" => Ok(Weights::Ternary),
            "analog" => Ok(Weights::Analog),
            _ => Err(crate::Error::Invalid(format!(
                "`{s}`: expected `ternary` or `analog`"
            ))),
        }
    }
}

/// How the converter's span is set.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdcRange {
    /// The worst case: all inputs of a conversion at full light.
    WorstCase,
    /// Set per layer from a calibration batch: its largest photocurrent times `margin`.
    Calibrated { margin: f64 },
}

impl std::fmt::Display for AdcRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdcRange::WorstCase => f.write_str("worst-case ADC range"),
            AdcRange::Calibrated { margin } => write!(f, "calibrated ADC range (×{margin})"),
        }
    }
}

/// What is needed to put a layer on the optical core.
#[derive(Debug, Clone)]
pub struct Optics {
    pub rig: Rig,
    pub weights: Weights,
    /// Photons per input per symbol at full modulation in place of the rig's (`None`: the rig's).
    pub photons: Option<f64>,
    pub adc_range: AdcRange,
    pub seed: u64,
    /// Threads for the integer product kernel (results do not depend on it).
    pub threads: usize,
}

/// Ternary values and per-row scale of a row-major `rows`×`cols` matrix (TWN, see module doc).
pub fn ternarise(rows: usize, cols: usize, w: &[f32]) -> (Vec<i8>, Vec<f32>) {
    let mut t = vec![0i8; rows * cols];
    let mut scale = vec![0f32; rows];
    for r in 0..rows {
        let row = &w[r * cols..(r + 1) * cols];
        let mean_abs = row.iter().map(|v| v.abs() as f64).sum::<f64>() / cols.max(1) as f64;
        let delta = 0.7 * mean_abs;
        let (mut sum, mut n) = (0.0f64, 0usize);
        for (c, &v) in row.iter().enumerate() {
            if (v.abs() as f64) > delta {
                t[r * cols + c] = if v > 0.0 { 1 } else { -1 };
                sum += v.abs() as f64;
                n += 1;
            }
        }
        scale[r] = if n > 0 { (sum / n as f64) as f32 } else { 0.0 };
    }
    (t, scale)
}

/// The optical twin of one layer.
#[derive(Debug)]
struct OpticalLayer {
    matrix: TernaryMatrix,
    scale: Vec<f32>,
    vmm: NoisyVmm,
    adc_range: AdcRange,
    /// The twin with its span set by the first batch ([`AdcRange::Calibrated`]).
    calibrated: OnceLock<NoisyVmm>,
    /// This layer's index among the model's layers: its noise streams are (seed, layer, call).
    index: u64,
    calls: AtomicU64,
}

/// A linear layer, rows = outputs.
#[derive(Debug)]
pub struct Linear {
    /// Wᵀ (in × out), for the digital product x·Wᵀ.
    wt: Tensor,
    bias: Option<Tensor>,
    rows: usize,
    cols: usize,
    optical: Option<OpticalLayer>,
}

impl Linear {
    /// From W (out × in) and an optional bias (out).
    pub fn new(w: Tensor, bias: Option<Tensor>) -> Result<Self> {
        let (rows, cols) = w.dims2()?;
        if let Some(b) = &bias
            && b.dims1()? != rows
        {
            return Err(Error::Invalid(format!(
                "bias of {} values for a layer of {rows} outputs",
                b.dims1()?
            )));
        }
        Ok(Self {
            wt: w.to_dtype(DType::F32)?.t()?.contiguous()?,
            bias: bias.map(|b| b.to_dtype(DType::F32)).transpose()?,
            rows,
            cols,
            optical: None,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
    pub fn cols(&self) -> usize {
        self.cols
    }
    pub fn is_optical(&self) -> bool {
        self.optical.is_some()
    }

    /// The weights W as row-major f32 values.
    pub fn weights(&self) -> Result<Vec<f32>> {
        Ok(self.wt.t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// Puts the layer on the optical core; `index` keys its noise streams.
    pub fn make_optical(&mut self, optics: &Optics, index: u64) -> Result<()> {
        let w = self.weights()?;
        let (matrix, scale) = match optics.weights {
            Weights::Ternary => {
                let (t, scale) = ternarise(self.rows, self.cols, &w);
                (TernaryMatrix::from_rows(self.rows, self.cols, &t), scale)
            }
            Weights::Analog => {
                let mut scale = vec![0f32; self.rows];
                let mut v = w.clone();
                for r in 0..self.rows {
                    let row = &mut v[r * self.cols..(r + 1) * self.cols];
                    let m = row.iter().fold(0f32, |m, x| m.max(x.abs()));
                    scale[r] = m;
                    if m > 0.0 {
                        row.iter_mut().for_each(|x| *x /= m);
                    }
                }
                (TernaryMatrix::analog(self.rows, self.cols, &v), scale)
            }
        };
        let mut vmm = NoisyVmm::from_rig(&optics.rig, optics.seed).with_threads(optics.threads);
        if let Some(p) = optics.photons {
            vmm.noise = vmm.noise.with_photons_per_sample(p);
        }
        self.optical = Some(OpticalLayer {
            matrix,
            scale,
            vmm,
            adc_range: optics.adc_range,
            calibrated: OnceLock::new(),
            index,
            calls: AtomicU64::new(0),
        });
        Ok(())
    }

    /// Back to the digital product.
    pub fn make_digital(&mut self) {
        self.optical = None;
    }

    /// y = x·Wᵀ (+ b) for x of shape (tokens, in).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match &self.optical {
            None => x.matmul(&self.wt)?,
            Some(o) => self.optical_forward(o, x)?,
        };
        Ok(match &self.bias {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        })
    }

    fn optical_forward(&self, o: &OpticalLayer, x: &Tensor) -> Result<Tensor> {
        let (tokens, cols) = x.dims2()?;
        let xs = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let scales: Vec<f32> = (0..tokens)
            .map(|t| {
                xs[t * cols..(t + 1) * cols]
                    .iter()
                    .fold(0f32, |m, v| m.max(v.abs()))
            })
            .collect();
        let u = Mat::from_fn(cols, tokens, |j, t| {
            let s = scales[t];
            if s > 0.0 {
                0.5 * (xs[t * cols + j] / s + 1.0)
            } else {
                0.5
            }
        });
        let vmm = match o.adc_range {
            AdcRange::WorstCase => &o.vmm,
            AdcRange::Calibrated { margin } => o.calibrated.get_or_init(|| {
                // The balanced photocurrent in units of one input's, t_min·Σw + (1 − t_min)·Σw·q.
                let ideal = o.vmm.ideal(&o.matrix, u.as_ref());
                let t_min = o.vmm.noise.t_min;
                let sums = o.matrix.row_sums();
                let mut peak = 0f64;
                for t in 0..tokens {
                    for (r, s) in sums.iter().enumerate() {
                        let i = t_min * s + (1.0 - t_min) * ideal[(r, t)] as f64;
                        peak = peak.max(i.abs());
                    }
                }
                let worst = o.vmm.noise.full_scale(cols as f64) / o.vmm.noise.unit_current;
                let mut v = o.vmm.clone();
                v.noise.range = (peak * margin / worst).clamp(1e-9, 1.0);
                v
            }),
        };
        let call = o.calls.fetch_add(1, Ordering::Relaxed);
        // Each layer draws from its own streams: the layer index in the high bits of the call.
        let y = vmm.apply(&o.matrix, u.as_ref(), (o.index << 40) | call);
        let sums = o.matrix.row_sums();
        let mut out = vec![0f32; tokens * self.rows];
        for t in 0..tokens {
            let s = scales[t];
            for r in 0..self.rows {
                out[t * self.rows + r] = o.scale[r] * s * (2.0 * y[(r, t)] - sums[r] as f32);
            }
        }
        Ok(Tensor::from_vec(out, (tokens, self.rows), x.device())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use lightloop_rig::Derive;

    fn layer(rows: usize, cols: usize) -> (Linear, Vec<f32>) {
        let w: Vec<f32> = (0..rows * cols)
            .map(|k| ((k * 37 % 101) as f32 / 50.0 - 1.0) * 0.1)
            .collect();
        let t = Tensor::from_vec(w.clone(), (rows, cols), &Device::Cpu).unwrap();
        let b = Tensor::from_vec(vec![0.5f32; rows], rows, &Device::Cpu).unwrap();
        (Linear::new(t, Some(b)).unwrap(), w)
    }

    /// `tokens` input vectors of `cols` values spread over [−1, 1].
    fn inputs(tokens: usize, cols: usize) -> Tensor {
        Tensor::from_vec(
            (0..tokens * cols)
                .map(|k| (k * 13 % 29) as f32 / 14.0 - 1.0)
                .collect::<Vec<_>>(),
            (tokens, cols),
            &Device::Cpu,
        )
        .unwrap()
    }

    /// RMS difference from `exact` of the layer put on `optics`.
    fn rms_error(l: &mut Linear, optics: &Optics, x: &Tensor, exact: &Tensor) -> f32 {
        l.make_optical(optics, 0).unwrap();
        let d = (l.forward(x).unwrap() - exact)
            .unwrap()
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap();
        d.to_scalar::<f32>().unwrap().sqrt()
    }

    #[test]
    fn a_calibrated_adc_range_resolves_what_the_worst_case_range_rounds_away() {
        // 8-bit converter, bright light: with the worst-case span, a 256-input product's small
        // signal falls within a few codes; with the span set from the batch it is resolved.
        let (mut l, _) = layer(32, 256);
        let x = inputs(8, 256);
        let exact = l.forward(&x).unwrap();
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let mut err = |adc_range: AdcRange| {
            let optics = Optics {
                rig: rig.clone(),
                weights: Weights::Analog,
                photons: Some(1e9),
                adc_range,
                seed: 3,
                threads: 1,
            };
            rms_error(&mut l, &optics, &x, &exact)
        };
        let worst = err(AdcRange::WorstCase);
        let calibrated = err(AdcRange::Calibrated { margin: 1.25 });
        assert!(
            calibrated < 0.25 * worst,
            "calibrated {calibrated} vs worst case {worst}"
        );
    }

    #[test]
    fn ternarisation_follows_the_twn_rule() {
        // Row mean |w| = 0.5, Δ = 0.35: 0.1 and −0.2 drop, 0.9 and −0.8 stay, scale 0.85.
        let (t, s) = ternarise(1, 4, &[0.1, -0.2, 0.9, -0.8]);
        assert_eq!(t, vec![0, 0, 1, -1]);
        assert!((s[0] - 0.85).abs() < 1e-6);
    }

    #[test]
    fn digital_forward_is_x_times_w_transposed_plus_bias() {
        let (l, w) = layer(3, 5);
        let x: Vec<f32> = (0..10).map(|k| k as f32 * 0.1 - 0.4).collect();
        let y = l
            .forward(&Tensor::from_vec(x.clone(), (2, 5), &Device::Cpu).unwrap())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for t in 0..2 {
            for r in 0..3 {
                let e: f32 = (0..5).map(|c| w[r * 5 + c] * x[t * 5 + c]).sum::<f32>() + 0.5;
                assert!((y[t][r] - e).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn analog_optics_approach_the_digital_product_as_light_and_bits_grow() {
        // A bright, fine-grained rig: the optical product must match the digital one to the
        // DAC's resolution; at few photons the error must be much larger.
        let (mut l, _) = layer(16, 64);
        let x = inputs(4, 64);
        let exact = l.forward(&x).unwrap();
        let seed = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let err = |photons: f64, bits: u32, l: &mut Linear| {
            // The seed rig's converters at `bits`: the ADC keeps its ENOB shortfall (0.7 bits).
            let rig = seed
                .modified(|r| {
                    r.adc = seed.adc.at_bits(bits);
                    r.dac.bits = bits;
                })
                .unwrap();
            assert!((rig.adc.enob - (bits as f64 - 0.7)).abs() < 1e-12);
            let optics = Optics {
                rig,
                weights: Weights::Analog,
                photons: Some(photons),
                adc_range: AdcRange::WorstCase,
                seed: 3,
                threads: 1,
            };
            rms_error(l, &optics, &x, &exact)
        };
        let fine = err(1e9, 14, &mut l);
        let coarse = err(1e2, 14, &mut l);
        assert!(fine < 2e-3, "bright, 14-bit: rms error {fine}");
        assert!(coarse > 10.0 * fine, "100 photons {coarse} vs 1e9 {fine}");
    }
}

//! Signals: the optical field of one channel sampled in time, and the sampling clock.

use num_complex::Complex64;

/// Sampling of a simulation: `samples_per_symbol` samples per time slot of `symbol_period`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    pub symbol_period: f64,
    pub samples_per_symbol: usize,
}

impl Clock {
    pub fn new(symbol_period: f64, samples_per_symbol: usize) -> Self {
        Self {
            symbol_period,
            samples_per_symbol: samples_per_symbol.max(1),
        }
    }
    /// Sample interval dt.
    pub fn dt(&self) -> f64 {
        self.symbol_period / self.samples_per_symbol as f64
    }
    /// Sampling rate fs = 1/dt: the bandwidth the sampled field represents.
    pub fn rate(&self) -> f64 {
        1.0 / self.dt()
    }
}

/// Light in one channel: the coherent field (√W, one polarisation) at each sample, and the
/// incoherent background power (W, both polarisations) that the field does not carry: amplified
/// spontaneous emission outside the simulated bandwidth and in the orthogonal polarisation, and
/// crosstalk from other wavelengths. Detectors see |E|² + background.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Light {
    pub field: Vec<Complex64>,
    pub background: Vec<f64>,
}

impl Light {
    /// `n` samples of darkness.
    pub fn dark(n: usize) -> Self {
        Self {
            field: vec![Complex64::new(0.0, 0.0); n],
            background: vec![0.0; n],
        }
    }
    pub fn len(&self) -> usize {
        self.field.len()
    }
    pub fn is_empty(&self) -> bool {
        self.field.is_empty()
    }
    /// Total power at sample `i`, W.
    #[inline]
    pub fn power(&self, i: usize) -> f64 {
        self.field[i].norm_sqr() + self.background[i]
    }
    /// Mean total power over the block, W.
    pub fn mean_power(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        (0..self.len()).map(|i| self.power(i)).sum::<f64>() / self.len() as f64
    }
    /// Multiplies power by `t` (field by √t): a passive loss when t ≤ 1.
    pub fn attenuate(&mut self, t: f64) {
        lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { attenuate_avx512(self, t) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { attenuate_avx2(self, t) },
            attenuate_generic(self, t)
        )
    }
}

/// [`Light::attenuate`]'s pass, compiled for AVX2 and AVX-512 as well (the same operations, so
/// the same numbers).
#[inline(always)]
fn attenuate_generic(light: &mut Light, t: f64) {
    let a = t.sqrt();
    light.field.iter_mut().for_each(|e| *e *= a);
    light.background.iter_mut().for_each(|b| *b *= t);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn attenuate_avx2(light: &mut Light, t: f64) {
    attenuate_generic(light, t)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn attenuate_avx512(light: &mut Light, t: f64) {
    attenuate_generic(light, t)
}

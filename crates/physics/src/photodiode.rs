//! Photodiode: photocurrent with exact shot noise, dark current and ASE–ASE beat noise.
//!
//! In each sample the photodiode collects a Poisson number of electrons with mean
//! (η·P·dt/hν + I_d·dt/q), η = R·hν/q (a thinned Poisson photon stream stays Poisson), so shot
//! noise is exact at any photon count (Poisson variance = mean; 2q(I + I_d)B over a band B).
//! The incoherent background power is thermal-like light spread over the optical bandwidth B_o
//! in two polarisations: its intensity fluctuates with a one-sided spectrum B²/B_o at low
//! frequency (Goodman, *Statistical Optics*, 2nd ed., §6.1), which over an electrical band B_e
//! gives the ASE–ASE variance R²B²·B_e/B_o = 4R²S²B_oB_e for B = 2S·B_o (docs/references.md).

use crate::gaussian::fill_normals;
use crate::rng::{Rng, normal, poisson};
use crate::signal::{Clock, Light};
use lightloop_rig::Rig;
use lightloop_rig::constants::ELEMENTARY_CHARGE;

/// Electrons per sample from which [`Photodiode::detect_with_noise`] draws one fused Gaussian:
/// the one counting rule ([`lightloop_base::rng::COUNT_EXACTLY_BELOW`]).
pub const FUSE_ABOVE: f64 = lightloop_base::rng::COUNT_EXACTLY_BELOW;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Photodiode {
    pub responsivity: f64,
    pub dark_current: f64,
    dt: f64,
    /// Relative standard deviation of the background's intensity per sample, √(fs/(2B_o)).
    background_sd: f64,
}

impl Photodiode {
    pub fn new(
        responsivity: f64,
        dark_current: f64,
        clock: &Clock,
        optical_bandwidth: f64,
    ) -> Self {
        Self {
            responsivity,
            dark_current,
            dt: clock.dt(),
            background_sd: (clock.rate() / (2.0 * optical_bandwidth)).sqrt(),
        }
    }

    pub fn from_rig(rig: &Rig, clock: &Clock) -> Self {
        Self::new(
            rig.photodiode.responsivity.si(),
            rig.photodiode.dark_current.si(),
            clock,
            rig.passives.optical_filter_bandwidth.si(),
        )
    }

    /// Electrons collected in one sample from power `p` (W) with background `b` (W).
    #[inline]
    fn electrons(&self, p: f64, b: f64, rng: &mut Rng) -> f64 {
        let b_inst = if b > 0.0 {
            (b * (1.0 + self.background_sd * normal(rng))).max(0.0)
        } else {
            0.0
        };
        let mean =
            ((self.responsivity * (p + b_inst)) + self.dark_current) * self.dt / ELEMENTARY_CHARGE;
        poisson(rng, mean)
    }

    /// Photocurrent samples (A) for a block of light, with `extra_sd` (A rms per sample) of
    /// independent Gaussian current noise added at the same node (a TIA's input noise). Where a
    /// sample collects at least [`FUSE_ABOVE`] electrons, shot, ASE–ASE and the extra noise are
    /// independent Gaussians added at one node and are drawn as one Gaussian of the summed
    /// variance; the count's skewness 1/√λ ≤ 0.03 is dropped. Below that the count is exact
    /// Poisson and each noise is drawn on its own.
    ///
    /// The fused samples are computed for the whole block in a pass without branches (it
    /// vectorises; a sample below [`FUSE_ABOVE`] keeps its normal deviate), then those below
    /// are replaced, in order, by their exact counts: the numbers of one sample-by-sample loop.
    pub fn detect_with_noise(
        &self,
        light: &Light,
        extra_sd: f64,
        out: &mut Vec<f64>,
        rng: &mut Rng,
    ) {
        self.detect_with_tilted_noise(light, extra_sd, out, rng, |_| {});
    }

    /// [`Photodiode::detect_with_noise`] with `tilt` applied to the block's standard normal
    /// deviates (one per sample, in order) after they are drawn and before they become currents:
    /// importance sampling shifts their means there ([`crate::instruments::rare`]). The
    /// deviate of a sample is the fused Gaussian's where the sample collects at least
    /// [`FUSE_ABOVE`] electrons, and the extra (TIA) noise's alone below, where the exact
    /// Poisson count is drawn from `rng` afterwards, untouched by the tilt. The numbers of the
    /// stream do not depend on the tilt.
    pub fn detect_with_tilted_noise(
        &self,
        light: &Light,
        extra_sd: f64,
        out: &mut Vec<f64>,
        rng: &mut Rng,
        tilt: impl FnOnce(&mut [f64]),
    ) {
        let extra_e = extra_sd * (self.dt / ELEMENTARY_CHARGE);
        // One standard normal per sample, drawn for the block at once; each is replaced by the
        // sample's current.
        fill_normals(rng, light.len(), out);
        tilt(out);
        let any_below = lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { self.fused_avx512(light, extra_e, out) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { self.fused_avx2(light, extra_e, out) },
            self.fused_generic(light, extra_e, out)
        );
        if !any_below {
            return;
        }
        let to_amps = ELEMENTARY_CHARGE / self.dt;
        let samples = light.field.iter().zip(&light.background);
        for ((e, b), z) in samples.zip(out.iter_mut()) {
            // A NaN mean too, as one loop would.
            let mean = self.mean_electrons(e.norm_sqr(), *b).0;
            if mean < FUSE_ABOVE || mean.is_nan() {
                *z = (self.electrons(e.norm_sqr(), *b, rng) + extra_e * *z) * to_amps;
            }
        }
    }

    /// Mean electrons of a sample of power `p` and background `b` (W), and the background's
    /// share.
    #[inline(always)]
    fn mean_electrons(&self, p: f64, b: f64) -> (f64, f64) {
        let to_electrons = self.dt / ELEMENTARY_CHARGE;
        let signal_e = self.responsivity * p * to_electrons;
        let bg_e = self.responsivity * b * to_electrons;
        (signal_e + bg_e + self.dark_current * to_electrons, bg_e)
    }

    /// [`Photodiode::detect_with_noise`]'s fused samples: the normal deviate in `out` becomes
    /// the current where the mean is at least [`FUSE_ABOVE`] electrons, and stays otherwise.
    /// Returns whether any sample stayed.
    #[inline(always)]
    fn fused_generic(&self, light: &Light, extra_e: f64, out: &mut [f64]) -> bool {
        let to_amps = ELEMENTARY_CHARGE / self.dt;
        let samples = light.field.iter().zip(&light.background);
        let mut any_below = false;
        for ((e, b), z) in samples.zip(out.iter_mut()) {
            let (mean, bg_e) = self.mean_electrons(e.norm_sqr(), *b);
            let var = mean + (bg_e * self.background_sd).powi(2) + extra_e * extra_e;
            let fused = (mean + var.sqrt() * *z) * to_amps;
            let fuse = mean >= FUSE_ABOVE;
            *z = if fuse { fused } else { *z };
            any_below |= !fuse;
        }
        any_below
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn fused_avx2(&self, light: &Light, extra_e: f64, out: &mut [f64]) -> bool {
        self.fused_generic(light, extra_e, out)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    fn fused_avx512(&self, light: &Light, extra_e: f64, out: &mut [f64]) -> bool {
        self.fused_generic(light, extra_e, out)
    }

    /// Photocurrent samples (A) of several mutually incoherent lights on one photodiode (different
    /// lasers or wavelengths: their powers add, and a sum of independent Poisson counts is the
    /// Poisson count of the summed mean), each scaled by a power transmission.
    pub fn detect_sum(&self, lights: &[(&Light, f64)], out: &mut Vec<f64>, rng: &mut Rng) {
        out.clear();
        let n = lights.first().map(|(l, _)| l.len()).unwrap_or(0);
        let to_amps = ELEMENTARY_CHARGE / self.dt;
        for i in 0..n {
            let (mut p, mut b) = (0.0, 0.0);
            for (l, t) in lights {
                p += l.field[i].norm_sqr() * t;
                b += l.background[i] * t;
            }
            out.push(self.electrons(p, b, rng) * to_amps);
        }
    }

    /// Photocurrent samples (A) for a block of light.
    pub fn detect(&self, light: &Light, out: &mut Vec<f64>, rng: &mut Rng) {
        out.clear();
        let to_amps = ELEMENTARY_CHARGE / self.dt;
        out.extend(
            light
                .field
                .iter()
                .zip(&light.background)
                .map(|(e, b)| self.electrons(e.norm_sqr(), *b, rng) * to_amps),
        );
    }

    /// Balanced detection: the photocurrent of `plus` minus that of `minus`, each photodiode with
    /// its own shot and dark noise.
    pub fn detect_balanced(&self, plus: &Light, minus: &Light, out: &mut Vec<f64>, rng: &mut Rng) {
        out.clear();
        let to_amps = ELEMENTARY_CHARGE / self.dt;
        for i in 0..plus.len() {
            let p = self.electrons(plus.field[i].norm_sqr(), plus.background[i], rng);
            let m = self.electrons(minus.field[i].norm_sqr(), minus.background[i], rng);
            out.push((p - m) * to_amps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use num_complex::Complex64;

    /// The two passes give the numbers of one sample-by-sample loop (fused Gaussian from
    /// [`FUSE_ABOVE`] electrons, exact counts below, drawn in order), bit for bit, on a block
    /// that mixes counts from none to millions, with and without background, and a NaN power.
    #[test]
    fn two_passes_are_one_loop() {
        let clock = Clock::new(6e-9, 8);
        let pd = Photodiode::new(1.0, 1e-9, &clock, 1.25e11);
        let n = 1001;
        let mut light = Light {
            field: (0..n)
                .map(|j| Complex64::new((10f64.powi(j as i32 % 9 - 12)).sqrt(), 0.0))
                .collect(),
            background: (0..n)
                .map(|j| if j % 3 == 0 { 1e-9 } else { 0.0 })
                .collect(),
        };
        light.field[500] = Complex64::new(f64::NAN, 0.0);
        let extra = 2e-7;
        let mut out = Vec::new();
        pd.detect_with_noise(&light, extra, &mut out, &mut stream(1, "test.pd", 0, 0));
        // The loop.
        let mut rng = stream(1, "test.pd", 0, 0);
        let mut z = Vec::new();
        fill_normals(&mut rng, n, &mut z);
        let to_e = pd.dt / ELEMENTARY_CHARGE;
        let extra_e = extra * to_e;
        let mut low = 0;
        for (j, (e, b)) in light.field.iter().zip(&light.background).enumerate() {
            let (mean, bg_e) = pd.mean_electrons(e.norm_sqr(), *b);
            let electrons = if mean >= FUSE_ABOVE {
                let var = mean + (bg_e * pd.background_sd).powi(2) + extra_e * extra_e;
                mean + var.sqrt() * z[j]
            } else {
                low += 1;
                pd.electrons(e.norm_sqr(), *b, &mut rng) + extra_e * z[j]
            };
            let want = electrons * (ELEMENTARY_CHARGE / pd.dt);
            assert!(
                want.to_bits() == out[j].to_bits() || (want.is_nan() && out[j].is_nan()),
                "sample {j}: {} vs {want}",
                out[j]
            );
        }
        assert!(
            (300..800).contains(&low),
            "{low} samples below the fusing count"
        );
    }
}

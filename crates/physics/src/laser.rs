//! CW laser with relative intensity noise and phase noise.
//!
//! Intensity P(1 + δ) with δ Gaussian of variance RIN·fs/2 per sample (a one-sided RIN spectrum,
//! flat up to the Nyquist frequency fs/2, so that over an electrical bandwidth B the relative
//! variance is RIN·B); phase a Wiener process with increments of variance 2π·Δν·dt for a
//! Lorentzian linewidth Δν (Henry, IEEE JQE 18(2), 1982). Phase noise matters only where fields
//! from different times interfere; direct detection does not see it.

use crate::gaussian::fill_normals;
use crate::rng::Rng;
use crate::signal::{Clock, Light};
use crate::stage::Stage;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;
use num_complex::Complex64;

#[derive(Debug, Clone)]
pub struct Laser {
    pub power: f64,
    rin_sd: f64,
    phase_sd: f64,
    phase: f64,
    wall_plug: f64,
    /// A failed laser emits nothing (fault injection).
    pub enabled: bool,
    /// Whether to draw phase noise. A chain whose parts after the laser are all insensitive to
    /// phase (direct detection of one source) can turn it off: the detected powers are unchanged.
    pub phase_noise: bool,
    /// The block's standard normal deviates (RIN, then phase steps).
    noise: Vec<f64>,
}

impl Laser {
    pub fn new(power: f64, rin_per_hz: f64, linewidth: f64, wall_plug: f64, clock: &Clock) -> Self {
        Self {
            power,
            rin_sd: (rin_per_hz * clock.rate() / 2.0).sqrt(),
            phase_sd: (2.0 * std::f64::consts::PI * linewidth * clock.dt()).sqrt(),
            phase: 0.0,
            wall_plug,
            enabled: true,
            phase_noise: true,
            noise: Vec::new(),
        }
    }

    pub fn from_rig(rig: &Rig, clock: &Clock) -> Self {
        let l = &rig.laser;
        Self::new(
            l.power.si(),
            l.rin.per_hz(),
            l.linewidth.si(),
            l.wall_plug_efficiency.si(),
            clock,
        )
    }

    /// `n` samples of emitted light.
    pub fn emit(&mut self, n: usize, rng: &mut Rng) -> Light {
        let mut light = Light::dark(n);
        self.process(&mut light, rng);
        light
    }
}

/// The field of each sample at a fixed phase `phasor`: √(P·(1 + σ_RIN·z)), clipped at zero
/// power, for the deviates `rin`. A pass without branches, compiled for AVX2 as well (the same
/// operations, so the same numbers).
#[inline(always)]
fn emit_generic(phasor: Complex64, power: f64, rin_sd: f64, rin: &[f64], field: &mut [Complex64]) {
    for (e, z) in field.iter_mut().zip(rin) {
        *e = phasor * (power * (1.0 + rin_sd * z)).max(0.0).sqrt();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn emit_avx2(phasor: Complex64, power: f64, rin_sd: f64, rin: &[f64], field: &mut [Complex64]) {
    emit_generic(phasor, power, rin_sd, rin, field)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn emit_avx512(phasor: Complex64, power: f64, rin_sd: f64, rin: &[f64], field: &mut [Complex64]) {
    emit_generic(phasor, power, rin_sd, rin, field)
}

impl Stage for Laser {
    fn name(&self) -> &'static str {
        "laser"
    }

    /// Overwrites the block with the laser's emission (a laser is a source).
    fn process(&mut self, light: &mut Light, rng: &mut Rng) {
        light.background.iter_mut().for_each(|b| *b = 0.0);
        if !self.enabled {
            light
                .field
                .iter_mut()
                .for_each(|e| *e = Complex64::new(0.0, 0.0));
            return;
        }
        // The phasor e^{iφ} is rotated by a small random angle δ per sample with the Taylor
        // series of cos and sin to 4th order (error < δ⁵/120 ≈ 1e-8 for δ ~ 0.1 rad) and
        // renormalised, instead of calling sincos on every sample; it is set exactly from φ at
        // the start of each block.
        let n = light.len();
        fill_normals(
            rng,
            if self.phase_noise { 2 * n } else { n },
            &mut self.noise,
        );
        let (rin, steps) = self.noise.split_at(n);
        if !self.phase_noise {
            let phasor = Complex64::from_polar(1.0, self.phase);
            let (power, rin_sd) = (self.power, self.rin_sd);
            lightloop_base::avx512_avx2_or!(
                // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
                unsafe { emit_avx512(phasor, power, rin_sd, rin, &mut light.field) },
                // SAFETY: run only where the processor has AVX2.
                unsafe { emit_avx2(phasor, power, rin_sd, rin, &mut light.field) },
                emit_generic(phasor, power, rin_sd, rin, &mut light.field)
            );
            return;
        }
        let mut phasor = Complex64::from_polar(1.0, self.phase);
        for (i, (e, (z, w))) in light
            .field
            .iter_mut()
            .zip(rin.iter().zip(steps))
            .enumerate()
        {
            let p = (self.power * (1.0 + self.rin_sd * z)).max(0.0);
            let d = self.phase_sd * w;
            self.phase += d;
            if d.abs() < 0.3 {
                let d2 = d * d;
                let rot = Complex64::new(1.0 - d2 / 2.0 + d2 * d2 / 24.0, d * (1.0 - d2 / 6.0));
                phasor *= rot;
                if i % 64 == 63 {
                    phasor /= phasor.norm();
                }
            } else {
                phasor = Complex64::from_polar(1.0, self.phase);
            }
            *e = phasor * p.sqrt();
        }
    }

    fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        if self.enabled {
            ledger.add(Item::LaserWallPlug, self.power / self.wall_plug * elapsed);
        }
    }
}

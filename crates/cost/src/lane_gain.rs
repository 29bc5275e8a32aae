//! Per-lane gain across the WDM band, and what a lane's gain error does to its levels pass by
//! pass.
//!
//! The loop amplifier's gain across the band is modelled as a tilt T (dB over the band, linear
//! in wavelength) plus a sinusoidal ripple of R dB peak to peak with p periods across the band:
//! g(x) = T·x + (R/2)·sin(2π·p·x), x ∈ [−½, ½] the wavelength's offset from the band's centre
//! over the band's width (ITU-grid channels on `passives.wdm_grid`, centred in
//! `passives.optical_band`; frequency and wavelength offsets taken as proportional across the
//! C band, where they differ by under 3 %). A typical C-band EDFA or SOA tilts by about 1 dB
//! over 30 nm and ripples by about 0.5 dB (docs/references.md, impairments).
//!
//! The loop's trim sets the mean gain; it cannot equalise the lanes, so lane k keeps a residual
//! error g_k = g(x_k) − ⟨g⟩ dB per pass. Its values then see a gain 10^(g_k/10) per pass in
//! power on top of the trimmed loop: the return map of [`crate::regeneration`] scaled,
//! f_k(a) = 10^(g_k/20)·f(a) in amplitude (the trim multiplied by 10^(g_k/10)). A loop whose
//! amplifier saturates (an SOA, with or without the absorber) holds the level at the shifted
//! fixed point a*_k, f_k(a*_k) = a*_k, when that point is attracting; a linear loop (f(a) = a,
//! an EDFA-only or unsaturated loop) drifts without bound, a_n = 10^(n·g_k/20). The error rate
//! of the drifting levels follows [`crate::regeneration::drift`] and
//! [`crate::regeneration::drift_of_one`] (thresholds at amplitude ½, Gaussian deviations).

use crate::regeneration::{Drift, LoopMap, MAX_DRIFT_PASSES, drift, drift_of_one};
use lightloop_rig::rig::Rig;
use serde::Serialize;

/// The gain profile g(x) = T·x + (R/2)·sin(2π·p·x), dB, at offset x ∈ [−½, ½] across the band.
pub fn profile_db(tilt_db: f64, ripple_pp_db: f64, periods: f64, x: f64) -> f64 {
    tilt_db * x + 0.5 * ripple_pp_db * (2.0 * std::f64::consts::PI * periods * x).sin()
}

/// The band offsets x_k = (k − (W−1)/2)·grid/band of `count` channels on the grid, centred.
pub fn offsets(count: usize, grid: f64, band: f64) -> Vec<f64> {
    let mid = (count as f64 - 1.0) / 2.0;
    (0..count).map(|k| (k as f64 - mid) * grid / band).collect()
}

/// The residual gain errors g_k − ⟨g⟩ (dB per pass) once the trim has equalised the mean.
pub fn residuals(gains_db: &[f64]) -> Vec<f64> {
    if gains_db.is_empty() {
        return Vec::new();
    }
    let mean = gains_db.iter().sum::<f64>() / gains_db.len() as f64;
    gains_db.iter().map(|g| g - mean).collect()
}

/// The lanes' gain across the band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneGains {
    pub tilt_db: f64,
    pub ripple_db: f64,
    pub ripple_periods: f64,
    /// Wavelengths through the loop amplifier: channels × WDM lanes when the inputs ride on
    /// wavelengths, else the WDM lanes.
    pub wavelengths: usize,
    /// The residual gain error of each wavelength, dB per pass (mean zero).
    pub residual_db: Vec<f64>,
    /// The most negative and the most positive residual, dB per pass.
    pub worst_low_db: f64,
    pub worst_high_db: f64,
}

impl LaneGains {
    /// The gain errors of `rig`'s wavelengths; `None` without tilt or ripple.
    pub fn of_rig(rig: &Rig) -> Option<Self> {
        let im = rig.impairments.as_ref()?;
        if im.gain_tilt.is_none() && im.gain_ripple.is_none() {
            return None;
        }
        let t = &rig.topology;
        let wavelengths = if t.architecture.inputs_on_wavelengths() {
            t.channels as usize * t.wdm_lanes as usize
        } else {
            t.wdm_lanes as usize
        };
        Some(Self::new(
            im.gain_tilt.map_or(0.0, |v| v.db()),
            im.gain_ripple.map_or(0.0, |v| v.db()),
            im.ripple_periods.unwrap_or(1.0),
            wavelengths,
            rig.passives.wdm_grid.si(),
            rig.passives.optical_band.si(),
        ))
    }

    pub fn new(
        tilt_db: f64,
        ripple_db: f64,
        periods: f64,
        wavelengths: usize,
        grid: f64,
        band: f64,
    ) -> Self {
        let gains: Vec<f64> = offsets(wavelengths, grid, band)
            .into_iter()
            .map(|x| profile_db(tilt_db, ripple_db, periods, x))
            .collect();
        let residual_db = residuals(&gains);
        let worst_low_db = residual_db.iter().copied().fold(0.0, f64::min);
        let worst_high_db = residual_db.iter().copied().fold(0.0, f64::max);
        Self {
            tilt_db,
            ripple_db,
            ripple_periods: periods,
            wavelengths,
            residual_db,
            worst_low_db,
            worst_high_db,
        }
    }
}

/// The loop one lane's values go around.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum LaneLoop {
    /// The regenerating return map of [`crate::regeneration`].
    Map(LoopMap),
    /// A linear loop trimmed to unit gain: f(a) = a.
    Linear,
}

impl LaneLoop {
    /// The loop of `rig`: its return map when it has an SOA, else linear.
    pub fn of_rig(rig: &Rig) -> Self {
        LoopMap::from_rig(rig).map_or(LaneLoop::Linear, LaneLoop::Map)
    }

    /// f_g(a): one pass of a lane with gain error `gain_db` (dB per pass, in power).
    pub fn next(&self, a: f64, gain_db: f64) -> f64 {
        let scale = 10f64.powf(gain_db / 20.0);
        match self {
            LaneLoop::Map(m) => scale * m.next(a),
            LaneLoop::Linear => scale * a,
        }
    }

    pub fn regenerates(&self) -> bool {
        matches!(self, LaneLoop::Map(_))
    }
}

/// What the loop does to one lane's levels over its passes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneFate {
    /// The lane's gain error, dB per pass.
    pub gain_error_db: f64,
    /// Amplitude noise per pass on the +1 level (ASE and any random gain), relative to 1.
    pub sigma_pass_one: f64,
    /// The +1 level's mean amplitude after the rig's passes.
    pub one_after: f64,
    /// The zero level's mean amplitude after the rig's passes.
    pub zero_after: f64,
    /// The +1 level's offset after the rig's passes, dB in power, 20·log₁₀(a_n).
    pub offset_db: f64,
    /// The worse of the zero and ±1 levels' error rates after the rig's passes.
    pub error_rate: f64,
    /// The first pass at which either level's error rate exceeds the target (None: it stays
    /// below within the passes iterated, or the levels settle below it).
    pub passes_to_target: Option<usize>,
}

/// The loop and noise a lane's fate is worked out with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LaneSetting {
    pub lane_loop: LaneLoop,
    /// Where the zero level starts (the modulator's extinction floor), amplitude.
    pub zero_start: f64,
    /// ASE amplitude noise per pass, relative to a value of 1.
    pub sigma_pass: f64,
    /// The readout's own noise in the same units.
    pub sigma_read: f64,
    pub target: f64,
    /// The rig's passes between readouts.
    pub passes: usize,
}

impl LaneSetting {
    /// The fate of a lane with gain error `gain_db` and a random gain of `sigma_gain_db` dB rms
    /// per pass on its +1 level (amplitude noise σ_dB·ln10/20 at a = 1, added to the ASE in
    /// quadrature; the zero level's multiplicative noise is negligible and left out).
    pub fn fate(&self, gain_db: f64, sigma_gain_db: f64) -> LaneFate {
        let f = |a: f64| self.lane_loop.next(a, gain_db);
        let sg = sigma_gain_db * std::f64::consts::LN_10 / 20.0;
        let s_one = (self.sigma_pass * self.sigma_pass + sg * sg).sqrt();
        let one = |target: f64, max: usize| {
            drift_of_one(&f, 1.0, 0.5, s_one, self.sigma_read, target, max)
        };
        let zero = |target: f64, max: usize| {
            drift(
                &f,
                self.zero_start,
                0.5,
                self.sigma_pass,
                self.sigma_read,
                target,
                max,
            )
        };
        let last = |d: &Drift| {
            (
                *d.mean.last().unwrap_or(&0.0),
                *d.error_rate.last().unwrap_or(&0.0),
            )
        };
        // The levels after the rig's passes (never stopped by a target).
        let (one_after, one_rate) = last(&one(f64::INFINITY, self.passes));
        let (zero_after, zero_rate) = last(&zero(f64::INFINITY, self.passes));
        let passes_to_target = [
            one(self.target, MAX_DRIFT_PASSES).passes_to_target,
            zero(self.target, MAX_DRIFT_PASSES).passes_to_target,
        ]
        .into_iter()
        .flatten()
        .min();
        LaneFate {
            gain_error_db: gain_db,
            sigma_pass_one: s_one,
            one_after,
            zero_after,
            offset_db: 20.0 * one_after.abs().max(1e-300).log10(),
            error_rate: one_rate.max(zero_rate),
            passes_to_target,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilt_and_ripple_by_hand() {
        // Two lanes 100 GHz apart in a 4.4 THz band: x = ±1/88; 1 dB of tilt gives ±1/88 dB.
        let g = LaneGains::new(1.0, 0.0, 1.0, 2, 100e9, 4.4e12);
        assert!((g.worst_high_db - 1.0 / 88.0).abs() < 1e-12);
        assert!((g.worst_low_db + 1.0 / 88.0).abs() < 1e-12);
        // Two lanes half the band apart sit at x = ±¼: a 0.5 dB ripple (one period) gives
        // ±0.25 dB, the tilt ±0.25 dB of its 1 dB.
        let r = LaneGains::new(0.0, 0.5, 1.0, 2, 2.2e12, 4.4e12);
        assert!((r.worst_high_db - 0.25).abs() < 1e-12, "{r:?}");
        let t = LaneGains::new(1.0, 0.0, 1.0, 2, 2.2e12, 4.4e12);
        assert!((t.worst_high_db - 0.25).abs() < 1e-12);
        // One lane, or no impairment: no residual.
        assert_eq!(
            LaneGains::new(1.0, 0.5, 1.0, 1, 1e11, 4.4e12).residual_db,
            [0.0]
        );
        assert!(
            LaneGains::new(0.0, 0.0, 1.0, 8, 1e11, 4.4e12)
                .residual_db
                .iter()
                .all(|g| *g == 0.0)
        );
        // The residuals have zero mean.
        let m = LaneGains::new(1.0, 0.5, 1.3, 33, 1e11, 4.4e12);
        assert!(m.residual_db.iter().sum::<f64>().abs() < 1e-12);
    }

    fn linear(passes: usize) -> LaneSetting {
        LaneSetting {
            lane_loop: LaneLoop::Linear,
            zero_start: 0.0,
            sigma_pass: 0.0,
            sigma_read: 0.01,
            target: 1e-6,
            passes,
        }
    }

    #[test]
    fn linear_loop_drifts_without_bound() {
        // −0.5 dB per pass: after 12 passes the +1 level is down 6 dB, a = 10^(−6/20) = 0.5012.
        let f = linear(12).fate(-0.5, 0.0);
        assert!((f.offset_db + 6.0).abs() < 1e-9, "{}", f.offset_db);
        assert!((f.one_after - 10f64.powf(-0.3)).abs() < 1e-12);
        // Error when Q((a_n − ½)/σ) > 1e-6, σ = 0.01: a_n < ½ + 4.753·0.01 = 0.5475, i.e.
        // n·0.5 dB > −20·log10(0.5475) = 5.232 dB: first at pass 11.
        assert_eq!(f.passes_to_target, Some(11));
        // No gain error: the levels stay put and never err (no per-pass noise).
        let z = linear(12).fate(0.0, 0.0);
        assert_eq!(
            (z.one_after, z.zero_after, z.offset_db, z.passes_to_target),
            (1.0, 0.0, 0.0, None)
        );
    }

    #[test]
    fn random_gain_grows_as_root_n_in_a_linear_loop() {
        // σ_dB = 0.2 dB per pass, no ASE, no readout noise: after n passes σ = √n·σ_a with
        // σ_a = 0.2·ln10/20 (the map's slope, 1, is taken by a central difference: 1e-8 slack).
        let s = LaneSetting {
            sigma_read: 0.0,
            ..linear(1)
        };
        let sa = 0.2 * std::f64::consts::LN_10 / 20.0;
        let f = |a: f64| s.lane_loop.next(a, 0.0);
        let d = drift_of_one(&f, 1.0, 0.5, sa, 0.0, f64::INFINITY, 100);
        for n in [1usize, 4, 25, 100] {
            assert!((d.sigma[n] / (sa * (n as f64).sqrt()) - 1.0).abs() < 1e-8);
        }
        // The error rate of the +1 level after n passes is Q(½/(σ_a·√n)).
        let fate = LaneSetting { passes: 100, ..s }.fate(0.0, 0.2);
        let q = lightloop_base::stats::q_function(0.5 / (sa * 10.0));
        assert!((fate.error_rate / q - 1.0).abs() < 1e-6);
    }
}

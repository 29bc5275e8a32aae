//! The noise budget: one set of closed-form noise terms for a readout, used by the cost model and
//! meant to be reused by the statistical twin and checked by the physics engine.
//!
//! All variances are photocurrent variances (A²) referred to the photodiode, in an electrical
//! noise bandwidth B_e. An integrate-and-dump receiver with window t has B_e = 1/(2t), which makes
//! the shot term equal to the Poisson variance of the collected electrons:
//! 2qIB_e·t²/q² = It/q.

use lightloop_base::stats;
use lightloop_rig::constants::{BOLTZMANN, ELEMENTARY_CHARGE, photon_energy};
use lightloop_rig::rig::{ReadoutKind, Rig};
use serde::Serialize;

/// Shot noise σ² = 2q(I + I_d)B (Schottky 1918; Agrawal, *Fiber-Optic Communication Systems*,
/// 4th ed., eq. 4.4.5).
pub fn shot_variance(current: f64, dark_current: f64, bandwidth: f64) -> f64 {
    2.0 * ELEMENTARY_CHARGE * (current + dark_current) * bandwidth
}

/// Thermal (Johnson–Nyquist) noise of a resistor, σ² = 4kTB/R (Nyquist, Phys. Rev. 32, 1928).
/// 18 pA/√Hz at 50 Ω and 4.1 pA/√Hz at 1 kΩ, 300 K.
pub fn thermal_variance(temperature: f64, resistance: f64, bandwidth: f64) -> f64 {
    4.0 * BOLTZMANN * temperature * bandwidth / resistance
}

/// Input-referred amplifier noise, σ² = i_n²·B, for a datasheet density i_n in A/√Hz.
pub fn amplifier_variance(density: f64, bandwidth: f64) -> f64 {
    density * density * bandwidth
}

/// Relative-intensity-noise variance, σ² = RIN·I²·B, with RIN in 1/Hz.
pub fn rin_variance(rin_per_hz: f64, current: f64, bandwidth: f64) -> f64 {
    rin_per_hz * current * current * bandwidth
}

/// Spontaneous-emission factor from noise figure and gain: NF = 2n_sp(G−1)/G + 1/G
/// (Desurvire, *Erbium-Doped Fiber Amplifiers*, 1994, eq. 2.127), so NF ≈ 2n_sp at high gain.
pub fn spontaneous_emission_factor(noise_figure_linear: f64, gain: f64) -> f64 {
    if gain <= 1.0 {
        return 0.0;
    }
    ((noise_figure_linear - 1.0 / gain) * gain / (2.0 * (gain - 1.0))).max(0.0)
}

/// ASE power spectral density per polarisation at the amplifier output, S_sp = n_sp·hν·(G−1),
/// W/Hz.
pub fn ase_psd(n_sp: f64, photon_energy: f64, gain: f64) -> f64 {
    n_sp * photon_energy * (gain - 1.0).max(0.0)
}

/// Signal–ASE beat noise, σ² = 4R²·P_s·S_sp·B_e, where P_s = G·P_in is the signal power that
/// reaches the detector with the ASE density S_sp (Olsson, J. Lightwave Technol. 7(7), 1989).
pub fn signal_ase_variance(responsivity: f64, signal_power: f64, s_sp: f64, b_e: f64) -> f64 {
    4.0 * responsivity * responsivity * signal_power * s_sp * b_e
}

/// ASE–ASE beat noise, σ² ≈ 4R²·S_sp²·B_o·B_e for an optical filter B_o ≫ B_e (Olsson 1989).
pub fn ase_ase_variance(responsivity: f64, s_sp: f64, b_o: f64, b_e: f64) -> f64 {
    4.0 * responsivity * responsivity * s_sp * s_sp * b_o * b_e
}

/// Quantisation noise of a converter with `enob` effective bits over `full_scale`: Δ²/12 with
/// Δ = full_scale / 2^ENOB (Bennett, Bell Syst. Tech. J. 27, 1948).
pub fn quantisation_variance(full_scale: f64, enob: f64) -> f64 {
    let delta = full_scale / 2f64.powf(enob);
    delta * delta / 12.0
}

/// The standard deviation of the extra Gaussian noise that makes a `bits`-bit converter of range
/// `full_scale` as noisy as an ideal ENOB-bit one: Δ²/12·(4^(bits − ENOB) − 1) with
/// Δ = full_scale/(2^bits − 1).
pub fn adc_excess_sd(full_scale: f64, bits: u32, enob: f64) -> f64 {
    let step = full_scale / (2f64.powi(bits as i32) - 1.0);
    (step * step / 12.0 * (4f64.powf(bits as f64 - enob) - 1.0))
        .max(0.0)
        .sqrt()
}

/// A converter's output for input `v` (already including its excess noise): clipped to
/// [0, full_scale] and rounded to the nearest of its 2^bits codes.
pub fn adc_round(v: f64, full_scale: f64, bits: u32) -> f64 {
    let step = full_scale / (2f64.powi(bits as i32) - 1.0);
    (v.clamp(0.0, full_scale) / step).round() * step
}

/// Effective bits of a readout whose SNR is referred to its full-scale swing, SNR = swing²/σ²:
/// the bits of an ideal quantiser over the same range with the same noise,
/// ENOB = log2(swing / (σ·√12)) = (SNR_dB − 10.79)/6.02. For a converter alone
/// (σ² = Δ²/12, Δ = swing/2^N) it returns N, matching the sine-wave definition
/// ENOB = (SINAD − 1.76)/6.02 of Kester (Analog Devices MT-001, 2009).
pub fn enob_from_snr(snr: f64) -> f64 {
    0.5 * (snr / 12.0).log2()
}

/// The swing-referred SNR (linear) of an ideal `enob`-bit quantiser: 12·4^ENOB.
pub fn snr_from_enob(enob: f64) -> f64 {
    12.0 * 4f64.powf(enob)
}

/// Signal-to-noise ratio added by one pass through an amplifier, for signal–ASE beat noise:
/// SNR = G·P_in / (4·S_sp·B_e).
pub fn amplifier_pass_snr(
    gain: f64,
    n_sp: f64,
    input_power: f64,
    photon_energy: f64,
    b_e: f64,
) -> f64 {
    gain * input_power / (4.0 * ase_psd(n_sp, photon_energy, gain) * b_e)
}

/// Names of the noise terms, in [`NoiseTerms::as_array`] order.
pub const TERM_NAMES: [&str; 9] = [
    "shot",
    "dark",
    "receiver",
    "rin",
    "signal-ase",
    "ase-ase",
    "quantisation",
    "jitter",
    "comparator",
];

/// Variances (A²) of each noise source at one readout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NoiseTerms {
    pub shot: f64,
    pub dark: f64,
    /// TIA input-referred noise (includes its feedback resistor's thermal noise).
    pub receiver: f64,
    pub rin: f64,
    pub signal_ase: f64,
    pub ase_ase: f64,
    pub quantisation: f64,
    pub jitter: f64,
    pub comparator: f64,
}

impl NoiseTerms {
    pub fn as_array(&self) -> [f64; 9] {
        [
            self.shot,
            self.dark,
            self.receiver,
            self.rin,
            self.signal_ase,
            self.ase_ase,
            self.quantisation,
            self.jitter,
            self.comparator,
        ]
    }
    pub fn total(&self) -> f64 {
        self.as_array().iter().sum()
    }
}

/// The operating point of one readout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReadoutPoint {
    /// Full-scale optical power at the detector, W.
    pub received_power: f64,
    /// Integration window, s; the noise bandwidth is B_e = 1/(2t).
    pub integration_time: f64,
    /// Amplified passes since the last regeneration (each adds ASE).
    pub amplified_passes: f64,
    /// Signal power per channel at the amplifier input, W.
    pub amplifier_input_power: f64,
}

/// The noise budget of one readout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NoiseBudget {
    pub point: ReadoutPoint,
    /// Signal swing I_sig = R·P·(1 − 1/ER), A.
    pub signal_current: f64,
    /// Mean photocurrent at full scale, A.
    pub mean_current: f64,
    /// Electrical noise bandwidth, Hz.
    pub bandwidth: f64,
    /// Photons reaching the detector per sample at full scale.
    pub photons_per_sample: f64,
    pub terms: NoiseTerms,
    /// The comparator's hysteresis referred to the photocurrent, A (0 for a converter).
    pub comparator_hysteresis: f64,
}

/// Everything the budget needs from the rig, with decibels already turned into ratios.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NoiseParams {
    pub responsivity: f64,
    /// Fraction of the full-scale power that is signal swing, 1 − 1/ER.
    pub swing: f64,
    /// Dark current of all photodiodes of one receiver (two when balanced), A.
    pub dark_current: f64,
    /// TIA input-referred noise density, A/√Hz.
    pub receiver_density: f64,
    /// Laser RIN, 1/Hz.
    pub rin: f64,
    /// Photon energy hν, J.
    pub photon_energy: f64,
    /// Loop amplifier gain G and spontaneous-emission factor n_sp (0, 0 without an amplifier).
    pub amplifier_gain: f64,
    pub amplifier_nsp: f64,
    /// Optical filter bandwidth B_o, Hz.
    pub optical_bandwidth: f64,
    /// RMS timing jitter of the sampling instant (clock and aperture), s.
    pub jitter: f64,
    /// ENOB of the converter, or `None` for a comparator readout.
    pub enob: Option<f64>,
    /// 4^(−ENOB)/12: quantisation variance per unit of full-scale current squared (0 without a
    /// converter).
    pub quantisation_factor: f64,
    /// Comparator input noise referred to the photocurrent, A rms.
    pub comparator_current: f64,
    /// Comparator hysteresis referred to the photocurrent, A (0 without a comparator).
    pub comparator_hysteresis: f64,
}

impl NoiseParams {
    /// The budget of the rig's own readout (`readout.kind`).
    pub fn from_rig(rig: &Rig) -> Self {
        Self::for_readout(rig, rig.readout.kind)
    }

    /// The budget of the rig's receiver read out by `kind`: a converter (quantisation and
    /// aperture jitter), or the ternary comparator of the rig's `[comparator]` section (its
    /// input noise and hysteresis; none without one). The physics engine's reference chain
    /// decides with the comparator whatever the rig's readout.
    pub fn for_readout(rig: &Rig, kind: ReadoutKind) -> Self {
        let (gain, nsp) = if let Some(s) = &rig.soa {
            let g = s.small_signal_gain.linear();
            (g, spontaneous_emission_factor(s.noise_figure.linear(), g))
        } else if let Some(e) = &rig.edfa {
            let g = e.gain.linear();
            (g, spontaneous_emission_factor(e.noise_figure.linear(), g))
        } else {
            (0.0, 0.0)
        };
        let adc = kind == ReadoutKind::Adc;
        let aperture = if adc {
            rig.adc.aperture_jitter.si()
        } else {
            0.0
        };
        // The comparator's input noise and hysteresis, referred through the transimpedance.
        let (comparator_current, comparator_hysteresis) = match (&rig.comparator, adc) {
            (Some(c), false) => {
                let r = rig.tia.transimpedance.si();
                (c.input_noise.si() / r, c.hysteresis.si() / r)
            }
            _ => (0.0, 0.0),
        };
        Self {
            responsivity: rig.photodiode.responsivity.si(),
            swing: 1.0 - 1.0 / rig.modulator.extinction_ratio.linear(),
            dark_current: if rig.photodiode.balanced { 2.0 } else { 1.0 }
                * rig.photodiode.dark_current.si(),
            receiver_density: rig.tia.input_noise_density.si(),
            rin: rig.laser.rin.per_hz(),
            photon_energy: photon_energy(rig.topology.wavelength.si()),
            amplifier_gain: gain,
            amplifier_nsp: nsp,
            optical_bandwidth: rig.passives.optical_filter_bandwidth.si(),
            jitter: (rig.clock.jitter.si().powi(2) + aperture.powi(2)).sqrt(),
            enob: adc.then_some(rig.adc.enob),
            quantisation_factor: if adc {
                quantisation_variance(1.0, rig.adc.enob)
            } else {
                0.0
            },
            comparator_current,
            comparator_hysteresis,
        }
    }

    /// Per-pass ratio of ASE density to signal power at the amplifier output, S_sp/(G·P_in), 1/Hz.
    fn ase_to_signal(&self, amplifier_input_power: f64) -> f64 {
        if self.amplifier_gain <= 1.0 || amplifier_input_power <= 0.0 {
            return 0.0;
        }
        ase_psd(self.amplifier_nsp, self.photon_energy, self.amplifier_gain)
            / (self.amplifier_gain * amplifier_input_power)
    }
}

impl NoiseBudget {
    /// Computes every term at `point`.
    pub fn at(n: &NoiseParams, point: ReadoutPoint) -> Self {
        let r = n.responsivity;
        let p = point.received_power;
        let t = point.integration_time;
        let b = 1.0 / (2.0 * t);
        let mean = r * p;
        let signal = mean * n.swing;
        // ASE accumulated over the passes, carried to the detector with the signal.
        let s_det = point.amplified_passes * n.ase_to_signal(point.amplifier_input_power) * p;
        let terms = NoiseTerms {
            shot: shot_variance(mean, 0.0, b),
            dark: shot_variance(0.0, n.dark_current, b),
            receiver: amplifier_variance(n.receiver_density, b),
            rin: rin_variance(n.rin, mean, b),
            signal_ase: signal_ase_variance(r, p, s_det, b),
            ase_ase: ase_ase_variance(r, s_det, n.optical_bandwidth, b),
            quantisation: n.quantisation_factor * mean * mean,
            jitter: signal * signal * (n.jitter / t).powi(2),
            comparator: n.comparator_current * n.comparator_current,
        };
        Self {
            point,
            signal_current: signal,
            mean_current: mean,
            bandwidth: b,
            photons_per_sample: p * t / n.photon_energy,
            terms,
            comparator_hysteresis: n.comparator_hysteresis,
        }
    }

    /// SNR = I_sig² / Σσ² (linear).
    pub fn snr(&self) -> f64 {
        self.signal_current * self.signal_current / self.terms.total()
    }
    pub fn snr_db(&self) -> f64 {
        10.0 * self.snr().log10()
    }
    /// Effective bits of the readout (see [`enob_from_snr`]).
    pub fn enob(&self) -> f64 {
        enob_from_snr(self.snr())
    }
    /// Total noise σ, A.
    pub fn sigma(&self) -> f64 {
        self.terms.total().sqrt()
    }
    /// The largest noise term: (name, variance).
    pub fn dominant(&self) -> (&'static str, f64) {
        TERM_NAMES
            .iter()
            .zip(self.terms.as_array())
            .fold(
                ("none", 0.0),
                |best, (n, v)| if v > best.1 { (n, v) } else { best },
            )
    }
    /// Symbol-error rate of a ternary decision {−1, 0, +1} spanning the swing: equally spaced
    /// levels, midpoint thresholds, Gaussian noise of the full-scale σ on every level (a
    /// conservative, signal-independent bound) and the comparator's hysteresis
    /// ([`stats::ternary_ser`]; without hysteresis 4/3·Q(I_sig/4σ)): the equal-spacing model,
    /// labelled so wherever it is shown. Unequal level spacing (an amplifier's or absorber's
    /// compression of the top level) is left out here; [`crate::levels::LevelBudget`] has it,
    /// and agrees with the time-domain engine where this does not.
    pub fn ternary_ser(&self) -> f64 {
        let s = self.signal_current;
        stats::ternary_ser(
            [0.0, s / 2.0, s],
            [self.sigma(); 3],
            (s / 4.0, 0.75 * s),
            self.comparator_hysteresis,
        )
    }
}

/// Why a target SNR cannot be met at any power.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Unreachable {
    /// The SNR the power-proportional noise terms cap the readout at, dB.
    pub ceiling_db: f64,
    /// The term that sets the ceiling.
    pub limited_by: &'static str,
}

/// The factor x by which the laser power must be scaled for the readout to reach `target_snr`
/// (linear), other conditions of `point` held. Scaling the laser scales both the detected power
/// and the loop's amplifier input, so the terms go as: shot and signal–ASE ∝ x, dark, receiver,
/// comparator and ASE–ASE constant, RIN, quantisation and jitter ∝ x², against a signal² ∝ x².
/// SNR(x) = S²x² / (a·x + b + κ·x²) is then solved as a quadratic; when κ ≥ S²/target no power
/// suffices. Amplifier gain saturation at high input is not modelled here.
pub fn required_power_scale(
    n: &NoiseParams,
    point: ReadoutPoint,
    target_snr: f64,
) -> Result<f64, Unreachable> {
    NoiseBudget::at(n, point).required_power_scale(target_snr)
}

impl NoiseBudget {
    /// [`required_power_scale`] from an already computed budget.
    pub fn required_power_scale(&self, target_snr: f64) -> Result<f64, Unreachable> {
        let at = self;
        let t = at.terms;
        let a = t.shot + t.signal_ase;
        let b = t.dark + t.receiver + t.comparator + t.ase_ase;
        let kappa = t.rin + t.quantisation + t.jitter;
        let s2 = at.signal_current * at.signal_current;
        let big_a = s2 / target_snr - kappa;
        if big_a <= 0.0 {
            let names = [
                ("rin", t.rin),
                ("quantisation", t.quantisation),
                ("jitter", t.jitter),
            ];
            let limited_by = names
                .iter()
                .fold(
                    ("none", 0.0),
                    |best, (n, v)| if *v > best.1 { (*n, *v) } else { best },
                )
                .0;
            return Err(Unreachable {
                ceiling_db: 10.0 * (s2 / kappa).log10(),
                limited_by,
            });
        }
        Ok((a + (a * a + 4.0 * big_a * b).sqrt()) / (2.0 * big_a))
    }

    /// [`passes_to_snr`] from an already computed budget with at least one amplified pass
    /// (the ASE terms are then split exactly into their per-pass parts).
    pub fn passes_to_snr(&self, target_snr: f64) -> Option<f64> {
        let n = self.point.amplified_passes;
        if n <= 0.0 {
            return None;
        }
        let t = &self.terms;
        let (alpha, beta) = (t.signal_ase / n, t.ase_ase / (n * n));
        let base = t.total() - t.signal_ase - t.ase_ase;
        Some(passes_from_parts(
            self.signal_current,
            base,
            alpha,
            beta,
            target_snr,
        ))
    }
}

/// Passes n at which swing²/(V₀ + α·n + β·n²) falls to `target_snr`.
fn passes_from_parts(signal: f64, base: f64, alpha: f64, beta: f64, target_snr: f64) -> f64 {
    let headroom = signal * signal / target_snr - base;
    if headroom < 0.0 {
        0.0
    } else if beta > 0.0 {
        (-alpha + (alpha * alpha + 4.0 * beta * headroom).sqrt()) / (2.0 * beta)
    } else if alpha > 0.0 {
        headroom / alpha
    } else {
        f64::INFINITY
    }
}

/// The number of amplified passes after which the readout SNR falls to `target_snr`, other
/// conditions of `point` held; infinite when there is no amplifier noise, 0 when even the
/// first readout misses the target. ASE grows linearly with the passes n, so the variance is
/// V₀ + α·n (signal–ASE) + β·n² (ASE–ASE), and n solves a quadratic.
pub fn passes_to_snr(n: &NoiseParams, point: ReadoutPoint, target_snr: f64) -> f64 {
    let zero = NoiseBudget::at(
        n,
        ReadoutPoint {
            amplified_passes: 0.0,
            ..point
        },
    );
    let one = NoiseBudget::at(
        n,
        ReadoutPoint {
            amplified_passes: 1.0,
            ..point
        },
    );
    passes_from_parts(
        zero.signal_current,
        zero.terms.total(),
        one.terms.signal_ase,
        one.terms.ase_ase,
        target_snr,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_rig::load_rig;

    #[test]
    fn thermal_noise_reference_densities() {
        // docs/references.md: 18 pA/√Hz at 50 Ω, 4.1 pA/√Hz at 1 kΩ (300 K).
        let d50 = thermal_variance(300.0, 50.0, 1.0).sqrt();
        let d1k = thermal_variance(300.0, 1000.0, 1.0).sqrt();
        assert!((d50 - 18.2e-12).abs() < 0.1e-12, "{d50}");
        assert!((d1k - 4.07e-12).abs() < 0.02e-12, "{d1k}");
    }

    #[test]
    fn shot_noise_of_an_integrator_is_poisson() {
        // Collected electrons N = It/q; variance in electrons² must equal N.
        let (i, t) = (1e-6, 1e-9);
        let var_a2 = shot_variance(i, 0.0, 1.0 / (2.0 * t));
        let var_e2 = var_a2 * t * t / (ELEMENTARY_CHARGE * ELEMENTARY_CHARGE);
        let n = i * t / ELEMENTARY_CHARGE;
        assert!((var_e2 / n - 1.0).abs() < 1e-12);
    }

    #[test]
    fn noise_figure_and_nsp() {
        // NF = 2 n_sp (G−1)/G + 1/G inverts exactly; at high gain NF ≈ 2 n_sp.
        let g = 100.0;
        let nsp = spontaneous_emission_factor(5.0, g);
        assert!((2.0 * nsp * (g - 1.0) / g + 1.0 / g - 5.0).abs() < 1e-12);
        assert!((spontaneous_emission_factor(2.0, 1e6) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn enob_of_a_converter_alone_is_its_bits() {
        // Quantisation noise alone over the full swing gives back the converter's ENOB.
        for bits in [3.0, 7.3, 12.0] {
            let snr = 1.0 / quantisation_variance(1.0, bits);
            assert!((enob_from_snr(snr) - bits).abs() < 1e-12);
        }
        // Swing-referred SNR of an ideal 8-bit quantiser: 10·log10(12·4^8) = 58.96 dB, i.e. the
        // sine-wave 49.92 dB plus the 9.03 dB between a full-scale sine's power and swing².
        assert!((10.0 * snr_from_enob(8.0).log10() - 58.96).abs() < 0.01);
        assert!((10.0 * snr_from_enob(8.0).log10() - (6.02 * 8.0 + 1.76) - 9.03).abs() < 0.01);
    }

    /// A rig where only shot noise remains: SNR must equal the detected electrons per sample
    /// (ideal extinction, no RIN, no receiver noise, no jitter, a 32-bit converter).
    fn shot_limited_rig() -> Rig {
        let sets: Vec<String> = [
            "modulator.extinction_ratio=\"60 dB\"",
            "laser.rin=\"-200 dB/Hz\"",
            "tia.input_noise_density=\"0 A/√Hz\"",
            "photodiode.dark_current=\"0 A\"",
            "clock.jitter=\"0 s\"",
            "adc.aperture_jitter=\"0 s\"",
            "adc.bits=32",
            "adc.enob=32",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        load_rig("seed-16ch", &sets).unwrap().value
    }

    #[test]
    fn shot_limited_snr_equals_electron_count() {
        let rig = shot_limited_rig();
        let point = ReadoutPoint {
            received_power: 1e-6,
            integration_time: 6e-9,
            amplified_passes: 0.0,
            amplifier_input_power: 1e-3,
        };
        let b = NoiseBudget::at(&NoiseParams::from_rig(&rig), point);
        let electrons = rig.photodiode.responsivity.si() * 1e-6 * 6e-9 / ELEMENTARY_CHARGE;
        assert!(
            (b.snr() / electrons - 1.0).abs() < 1e-5,
            "{} vs {electrons}",
            b.snr()
        );
        assert_eq!(b.dominant().0, "shot");
    }

    #[test]
    fn required_power_meets_the_target_exactly() {
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let n = NoiseParams::from_rig(&rig);
        let point = ReadoutPoint {
            received_power: 1e-6,
            integration_time: 6e-9,
            amplified_passes: 12.0,
            amplifier_input_power: 1e-5,
        };
        for target in [10f64.powf(2.5), 1e4] {
            let x = required_power_scale(&n, point, target).unwrap();
            let scaled = ReadoutPoint {
                received_power: x * point.received_power,
                amplifier_input_power: x * point.amplifier_input_power,
                ..point
            };
            let snr = NoiseBudget::at(&n, scaled).snr();
            assert!((snr / target - 1.0).abs() < 1e-9, "{snr} vs {target}");
        }
    }

    #[test]
    fn rin_caps_the_snr() {
        // With RIN at -100 dB/Hz and a 1 GHz bandwidth, SNR cannot exceed swing²/(RIN·B).
        let rig = load_rig("seed-16ch", &["laser.rin=\"-100 dB/Hz\"".into()])
            .unwrap()
            .value;
        let point = ReadoutPoint {
            received_power: 1e-3,
            integration_time: 0.5e-9,
            amplified_passes: 0.0,
            amplifier_input_power: 1e-3,
        };
        let err = required_power_scale(&NoiseParams::from_rig(&rig), point, 1e4).unwrap_err();
        assert_eq!(err.limited_by, "rin");
        let swing = 1.0 - 1.0 / rig.modulator.extinction_ratio.linear();
        let ceiling = 10.0 * (swing * swing / (1e-10 * 1e9)).log10();
        assert!(
            (err.ceiling_db - ceiling).abs() < 0.05,
            "{} vs {ceiling}",
            err.ceiling_db
        );
    }

    #[test]
    fn budget_shortcuts_agree_with_the_full_solutions() {
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let n = NoiseParams::from_rig(&rig);
        let point = ReadoutPoint {
            received_power: 1e-4,
            integration_time: 6e-9,
            amplified_passes: 7.0,
            amplifier_input_power: 1e-5,
        };
        let b = NoiseBudget::at(&n, point);
        let full = passes_to_snr(&n, point, 100.0);
        let short = b.passes_to_snr(100.0).unwrap();
        assert!((short / full - 1.0).abs() < 1e-9, "{short} {full}");
        assert_eq!(
            b.required_power_scale(1e3),
            required_power_scale(&n, point, 1e3)
        );
    }

    #[test]
    fn amplifier_pass_snr_matches_the_beat_term() {
        let (g, nsp, p_in, hv, b) = (100.0, 2.0, 1e-3, 1.28e-19, 1e9);
        let snr = amplifier_pass_snr(g, nsp, p_in, hv, b);
        let r = 1.0;
        let var = signal_ase_variance(r, g * p_in, ase_psd(nsp, hv, g), b);
        assert!(((r * g * p_in).powi(2) / var / snr - 1.0).abs() < 1e-12);
    }

    #[test]
    fn loop_depth_falls_with_more_ase() {
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let point = ReadoutPoint {
            received_power: 1e-4,
            integration_time: 6e-9,
            amplified_passes: 0.0,
            amplifier_input_power: 1e-3,
        };
        let n = NoiseParams::from_rig(&rig);
        let n1 = passes_to_snr(&n, point, 100.0);
        let quieter = ReadoutPoint {
            amplifier_input_power: 1e-2,
            ..point
        };
        let n2 = passes_to_snr(&n, quieter, 100.0);
        assert!(n1.is_finite() && n1 > 0.0);
        assert!(n2 > n1 * 5.0, "{n1} {n2}");
        let at_n1 = NoiseBudget::at(
            &n,
            ReadoutPoint {
                amplified_passes: n1,
                ..point
            },
        )
        .snr();
        assert!((at_n1 / 100.0 - 1.0).abs() < 1e-3, "{at_n1}");
    }
}

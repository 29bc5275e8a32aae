//! The ternary levels as the loop's parts leave them, and the error model built on them.
//!
//! One place for the steady-state (fast) transfer of the SOA's gain saturation and the saturable
//! absorber ([`Compression`]): the cost model's error budget and the time-domain engine
//! (`lightloop-physics`: the reference chain's power setting and level prediction, the return
//! map) both call it, so the budget's levels are the engine's.
//!
//! A ternary symbol s ∈ {−1, 0, +1} leaves the modulator at the relative intensity
//! mₛ = T_min + (1 − T_min)·q((s + 1)/2) ([`modulator_levels`]; T_min = 1/ER, q the DAC's
//! rounding), is amplified by the SOA's saturated gain Gₛ = G(pₛ) at its own input power pₛ,
//! trimmed, and transmitted by the absorber at its own power, Tₛ = T_SA(t·Gₛ·pₛ). The levels at
//! the detector, Pₛ = a·Tₛ·t·Gₛ·pₛ (a the attenuation before the photodiode), are no longer
//! equally spaced: the SOA gives the top level less gain than the middle one, and the absorber
//! takes more from the bottom one ([`Levels`]).
//!
//! [`LevelBudget`] puts each level's own noise on it (shot and RIN at the level's current, the
//! signal–ASE beat at the level's power with the ASE of the level's own gain, the receiver,
//! dark, quantisation, jitter and comparator terms of [`crate::noise`]), the comparator's
//! thresholds midway between neighbouring level means (as the reference chain's calibration
//! puts them), and counts the ternary symbol-error rate with the comparator's hysteresis
//! ([`lightloop_base::stats::ternary_ser`]).
//!
//! Simplifications: the parts' steady-state transfers (a slot long against the SOA's carrier
//! lifetime and the absorber's recovery: the inter-symbol interference of their dynamics, of
//! the modulator's driver and of the receiver's filter is left out); Gaussian noise per level;
//! the ASE density of a level is that of the level's own saturated gain.

use crate::noise::{
    NoiseParams, NoiseTerms, ase_ase_variance, ase_psd, rin_variance, shot_variance,
    signal_ase_variance,
};
use crate::optics::{absorber_transmission, saturated_gain};
use lightloop_base::stats::ternary_ser;
use lightloop_rig::rig::Rig;
use serde::Serialize;

/// The steady-state transfer of the chain's nonlinear parts: an SOA (small-signal gain G₀,
/// saturation power P_sat) and a saturable absorber (saturable and non-saturable losses α_s and
/// α_ns, saturation power P_sat), each present when the rig has it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Compression {
    /// (G₀ linear, P_sat W) of the SOA.
    pub amplifier: Option<(f64, f64)>,
    /// (α_s, α_ns, P_sat W) of the absorber.
    pub absorber: Option<(f64, f64, f64)>,
}

/// What one level's power meets in the chain: the SOA's gain at its input and the absorber's
/// transmission at its output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Passage {
    /// Saturated SOA gain G = G₀·exp(−(G − 1)·p/P_sat) (1 without an SOA).
    pub gain: f64,
    /// Absorber transmission T_SA = 1 − α_s/(1 + P/P_sat) − α_ns at the absorber's input power
    /// (1 without an absorber).
    pub transmission: f64,
    /// Power after the absorber, W: T_SA·t·G·p.
    pub output: f64,
}

impl Compression {
    /// The rig's SOA (`[soa]`) and absorber (`[saturable_absorber]`); the reference chain has no
    /// other amplifier, so an EDFA is not part of it.
    pub fn from_rig(rig: &Rig) -> Self {
        Self {
            amplifier: rig
                .soa
                .as_ref()
                .map(|s| (s.small_signal_gain.linear(), s.saturation_power.si())),
            absorber: rig.saturable_absorber.as_ref().map(|a| {
                (
                    a.modulation_depth.si(),
                    a.nonsaturable_loss.si(),
                    a.saturation_power.si(),
                )
            }),
        }
    }

    /// The SOA's steady-state gain at input power `p` ([`saturated_gain`], Agrawal & Olsson,
    /// IEEE JQE 25(11), 1989); 1 without an SOA.
    pub fn gain(&self, p: f64) -> f64 {
        self.amplifier
            .map_or(1.0, |(g0, p_sat)| saturated_gain(g0, p, p_sat))
    }

    /// The absorber's fast transmission at power `p` ([`absorber_transmission`]); 1 without an
    /// absorber.
    pub fn transmission(&self, p: f64) -> f64 {
        self.absorber
            .map_or(1.0, |(s, ns, p_sat)| absorber_transmission(s, ns, p_sat, p))
    }

    /// The reference chain's order: SOA at input `p`, a trim `trim` (power transmission), then
    /// the absorber.
    pub fn chain(&self, p: f64, trim: f64) -> Passage {
        let gain = self.gain(p);
        let amplified = p * (gain * trim);
        let transmission = self.transmission(amplified);
        Passage {
            gain,
            transmission,
            output: amplified * transmission,
        }
    }

    /// One pass of the closed loop in power: the absorber, then the SOA,
    /// P ↦ G(P₁)·P₁ with P₁ = T_SA(P)·P (the order of `lightloop-physics`' analog loop).
    pub fn loop_pass(&self, p: f64) -> f64 {
        let p1 = self.transmission(p) * p;
        self.gain(p1) * p1
    }
}

/// Relative intensities of the ternary symbols −1, 0, +1 at the modulator's output (its full
/// transmission = 1): mₛ = T_min + (1 − T_min)·q(xₛ), xₛ = (s + 1)/2, T_min = 1/ER, with
/// q(x) = round(x·(2ᵇ − 1))/(2ᵇ − 1) the b-bit DAC's level. The pre-distorted MZM drive makes
/// the intensity linear in the DAC's level (Yariv & Yeh, *Photonics*, 6th ed., §9.3; the
/// time-domain modulator computes the same through its cos² transfer).
pub fn modulator_levels(extinction_ratio: f64, dac_bits: u32) -> [f64; 3] {
    let t_min = 1.0 / extinction_ratio;
    let steps = (2f64.powi(dac_bits as i32) - 1.0).max(1.0);
    [0.0, 0.5, 1.0].map(|x: f64| t_min + (1.0 - t_min) * ((x * steps).round() / steps))
}

/// The three levels through the chain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Levels {
    /// Power of each level (−1, 0, +1) at the SOA's input, W.
    pub amplifier_input: [f64; 3],
    /// The SOA gain and absorber transmission each level meets.
    pub passage: [Passage; 3],
    /// Attenuation between the absorber and the photodiode (power transmission).
    pub attenuation: f64,
    /// Power of each level at the photodiode, W.
    pub received: [f64; 3],
}

impl Levels {
    /// The levels whose SOA inputs are `amplifier_input` (W) through `c` with `trim`, then
    /// attenuated by `attenuation`.
    pub fn through(
        c: &Compression,
        amplifier_input: [f64; 3],
        trim: f64,
        attenuation: f64,
    ) -> Self {
        let passage = amplifier_input.map(|p| c.chain(p, trim));
        Self {
            amplifier_input,
            passage,
            attenuation,
            received: passage.map(|q| q.output * attenuation),
        }
    }

    /// The same levels with the attenuation that brings the +1 level to `full_scale` W at the
    /// photodiode (compression happens before the attenuator, so it does not change).
    pub fn at_received(&self, full_scale: f64) -> Self {
        let unattenuated = self.passage[2].output;
        let attenuation = if unattenuated > 0.0 {
            full_scale / unattenuated
        } else {
            0.0
        };
        Self {
            attenuation,
            received: self.passage.map(|q| q.output * attenuation),
            ..*self
        }
    }

    /// Spacing of the middle level: (P₀ − P₋₁)/(P₊₁ − P₋₁); ½ for equally spaced levels, above
    /// ½ when the top level is compressed.
    pub fn middle_fraction(&self) -> f64 {
        let [a, b, c] = self.received;
        (b - a) / (c - a)
    }
}

/// The readout noise of each level and the ternary decision on them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelBudget {
    pub levels: Levels,
    /// Integration window, s; the noise bandwidth is B_e = 1/(2·window).
    pub integration_time: f64,
    /// Mean photocurrent of each level, A (dark currents of a balanced pair cancel: no offset).
    pub means: [f64; 3],
    /// The noise terms of each level, A² (the comparator's input noise included).
    pub terms: [NoiseTerms; 3],
    /// Readout σ of each level before the comparator, A (what an eye measures).
    pub readout_sds: [f64; 3],
    /// The comparator's thresholds, midway between neighbouring level means, A.
    pub thresholds: (f64, f64),
    /// The comparator's hysteresis referred to the photocurrent, A.
    pub hysteresis: f64,
}

impl LevelBudget {
    /// Every term of every level of `levels` read by the receiver of `n` over `integration_time`
    /// after `amplified_passes` passes through the SOA (each adding the ASE of the level's own
    /// gain, carried to the detector with the signal).
    ///
    /// Per level s, with current Iₛ = R·Pₛ and B = 1/(2t): shot 2q·Iₛ·B, dark 2q·I_d·B, receiver
    /// i_n²·B, RIN·Iₛ²·B, signal–ASE 4R²·Pₛ·Sₛ·B and ASE–ASE 4R²·Sₛ²·B_o·B (Olsson, J. Lightwave
    /// Technol. 7(7), 1989), where the ASE density at the detector is
    /// Sₛ = k·n_sp·hν·(Gₛ − 1)·Tₛ·a = k·Pₛ·n_sp·hν·(Gₛ − 1)/(Gₛ·pₛ) for k passes (the ASE
    /// leaves the SOA with the signal and meets the same absorber and attenuator);
    /// quantisation Δ²/12 at the converter's full scale I₊₁; timing jitter Iₛ²·(σ_t/t)²;
    /// the comparator's input noise σ_c².
    pub fn at(
        n: &NoiseParams,
        levels: Levels,
        integration_time: f64,
        amplified_passes: f64,
    ) -> Self {
        let r = n.responsivity;
        let b = 1.0 / (2.0 * integration_time);
        let full = r * levels.received[2];
        let terms: [NoiseTerms; 3] = std::array::from_fn(|s| {
            let p = levels.received[s];
            let i = r * p;
            let q = levels.passage[s];
            let p_in = levels.amplifier_input[s];
            let s_det = if q.gain > 1.0 && p_in > 0.0 {
                amplified_passes * p * ase_psd(n.amplifier_nsp, n.photon_energy, q.gain)
                    / (q.gain * p_in)
            } else {
                0.0
            };
            NoiseTerms {
                shot: shot_variance(i, 0.0, b),
                dark: shot_variance(0.0, n.dark_current, b),
                receiver: n.receiver_density * n.receiver_density * b,
                rin: rin_variance(n.rin, i, b),
                signal_ase: signal_ase_variance(r, p, s_det, b),
                ase_ase: ase_ase_variance(r, s_det, n.optical_bandwidth, b),
                quantisation: n.quantisation_factor * full * full,
                jitter: i * i * (n.jitter / integration_time).powi(2),
                comparator: n.comparator_current * n.comparator_current,
            }
        });
        let means = levels.received.map(|p| r * p);
        Self {
            levels,
            integration_time,
            means,
            readout_sds: terms.map(|t| (t.total() - t.comparator).max(0.0).sqrt()),
            terms,
            thresholds: ((means[0] + means[1]) / 2.0, (means[1] + means[2]) / 2.0),
            hysteresis: n.comparator_hysteresis,
        }
    }

    /// Total σ of each level at the decision (comparator noise included), A.
    pub fn sds(&self) -> [f64; 3] {
        self.terms.map(|t| t.total().sqrt())
    }

    /// Ternary symbol-error rate of equiprobable symbols: [`ternary_ser`] of the level means,
    /// their σ and the thresholds, with the comparator's hysteresis (a Markov chain over the
    /// previous decision).
    pub fn ser(&self) -> f64 {
        ternary_ser(self.means, self.sds(), self.thresholds, self.hysteresis)
    }

    /// The smallest distance from a level mean to a threshold it must not cross, in that
    /// level's total σ (hysteresis left out): the eye's Q.
    pub fn margin_sigma(&self) -> f64 {
        let (m, s, (t1, t2)) = (self.means, self.sds(), self.thresholds);
        [
            (t1 - m[0]) / s[0],
            (m[1] - t1) / s[1],
            (t2 - m[1]) / s[1],
            (m[2] - t2) / s[2],
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min)
    }
}

/// The smallest value x in [`lo`, `hi`] with `ser(x)` ≤ `target` for an error rate that falls
/// with x, by bisection in ln x (60 halvings: relative precision 10⁻¹⁴ of the bracket's ratio);
/// `None` when even `hi` misses the target.
pub fn smallest_meeting(lo: f64, hi: f64, target: f64, ser: impl Fn(f64) -> f64) -> Option<f64> {
    if !(lo > 0.0 && hi > lo && target > 0.0) || ser(hi) > target {
        return None;
    }
    if ser(lo) <= target {
        return Some(lo);
    }
    let (mut a, mut b) = (lo.ln(), hi.ln());
    for _ in 0..60 {
        let m = 0.5 * (a + b);
        if ser(m.exp()) <= target {
            b = m;
        } else {
            a = m;
        }
    }
    Some(b.exp())
}

/// One channel's ternary decision as the reference chain makes it, from a rig: the levels the
/// laser puts through the modulator, the path, the SOA and the absorber, attenuated to a
/// received power, read over one symbol by the comparator (the chain decides with the
/// comparator whatever the rig's readout).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelDecision {
    pub compression: Compression,
    pub noise: NoiseParams,
    /// Relative modulator intensities of the three symbols.
    pub modulator: [f64; 3],
    /// Transmission from the laser to the SOA's input at full modulator transmission: the
    /// modulator's insertion loss and the passive path.
    pub to_amplifier: f64,
    pub symbol_period: f64,
}

impl ChannelDecision {
    pub fn from_rig(rig: &Rig) -> Self {
        let path_db = crate::optics::path_loss_db(rig);
        Self {
            compression: Compression::from_rig(rig),
            noise: NoiseParams::for_readout(rig, lightloop_rig::rig::ReadoutKind::Comparator),
            modulator: modulator_levels(rig.modulator.extinction_ratio.linear(), rig.dac.bits),
            to_amplifier: lightloop_rig::units::db_to_linear(-path_db),
            symbol_period: rig.topology.symbol_period.si(),
        }
    }

    /// The levels at laser power `laser` (W per channel), before the attenuator.
    pub fn levels(&self, laser: f64) -> Levels {
        let p = self.modulator.map(|m| laser * m * self.to_amplifier);
        Levels::through(&self.compression, p, 1.0, 1.0)
    }

    /// The budget at laser power `laser` with the +1 level attenuated to `received` W at the
    /// photodiode.
    pub fn budget(&self, laser: f64, received: f64) -> LevelBudget {
        let passes = if self.compression.amplifier.is_some() {
            1.0
        } else {
            0.0
        };
        LevelBudget::at(
            &self.noise,
            self.levels(laser).at_received(received),
            self.symbol_period,
            passes,
        )
    }

    /// The received full-scale power (W) at which the symbol-error rate falls to `target`, the
    /// laser at `laser`: the attenuator sets the received power, the compression stays. Searched
    /// from 1 pW to the unattenuated +1 level.
    pub fn received_power_for(&self, laser: f64, target: f64) -> Option<f64> {
        let open = self.levels(laser).passage[2].output;
        smallest_meeting(1e-12, open, target, |p| self.budget(laser, p).ser())
    }

    /// The laser power (W per channel, searched from 1 nW to `max_laser`) at which the
    /// symbol-error rate falls to `target` when the photodiode receives the fraction
    /// `delivered` of the absorber's output (the fan-out and losses after the loop): the levels'
    /// compression changes with the laser.
    pub fn laser_power_for(&self, delivered: f64, max_laser: f64, target: f64) -> Option<f64> {
        smallest_meeting(1e-9, max_laser, target, |x| {
            let l = self.levels(x);
            self.budget(x, l.passage[2].output * delivered).ser()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_base::stats::q_function;
    use lightloop_rig::load_rig;

    #[test]
    fn without_compression_the_levels_stay_equally_spaced() {
        // No SOA, no absorber, an ideal modulator: 0, ½, 1 of full scale.
        let c = Compression {
            amplifier: None,
            absorber: None,
        };
        let m = modulator_levels(1e12, 16);
        let l = Levels::through(&c, m.map(|x| x * 1e-3), 1.0, 0.5).at_received(2e-6);
        assert!((l.received[2] - 2e-6).abs() < 1e-18);
        assert!((l.middle_fraction() - 0.5).abs() < 1e-4, "{l:?}");
    }

    #[test]
    fn compression_lifts_the_middle_level() {
        // A saturated SOA gives the top level less gain than the middle one, so the middle level
        // sits above half way; each level's gain solves G = G₀·exp(−(G − 1)·p/P_sat).
        let c = Compression {
            amplifier: Some((100.0, 30e-3)),
            absorber: None,
        };
        let l = Levels::through(&c, [0.0, 0.5e-3, 1e-3], 1.0, 1.0);
        for (p, q) in l.amplifier_input.iter().zip(l.passage) {
            let rhs = 100.0 * (-(q.gain - 1.0) * p / 30e-3).exp();
            assert!((q.gain / rhs - 1.0).abs() < 1e-9);
        }
        let expected = l.passage[1].gain * 0.5 / l.passage[2].gain;
        assert!((l.middle_fraction() - expected).abs() < 1e-12);
        assert!(l.middle_fraction() > 0.55, "{}", l.middle_fraction());
        // An absorber takes more from the weaker levels: T_SA rises with power.
        let a = Compression {
            amplifier: None,
            absorber: Some((0.3, 0.1, 1e-3)),
        };
        let la = Levels::through(&a, [1e-6, 0.5e-3, 1e-3], 1.0, 1.0);
        assert!(la.passage[0].transmission < la.passage[1].transmission);
        assert!((la.passage[2].transmission - 0.75).abs() < 1e-12);
    }

    #[test]
    fn equal_levels_and_equal_noise_give_the_pam_formula() {
        // Receiver noise alone, no hysteresis, equally spaced levels: SER = 4/3·Q(d/2σ)
        // (Proakis, Digital Communications, 5th ed., eq. 4.3-5).
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let mut n = NoiseParams::for_readout(&rig, lightloop_rig::rig::ReadoutKind::Comparator);
        (n.responsivity, n.rin, n.dark_current, n.jitter) = (1.0, 0.0, 0.0, 0.0);
        (n.comparator_current, n.comparator_hysteresis) = (0.0, 0.0);
        let c = Compression {
            amplifier: None,
            absorber: None,
        };
        let m = modulator_levels(1e12, 16);
        let b = LevelBudget::at(
            &n,
            Levels::through(&c, m, 1.0, 1.0).at_received(1e-6),
            6e-9,
            0.0,
        );
        let sigma = b.sds()[1];
        // Shot noise differs per level; the receiver's i_n²B dominates it here by > 10⁴.
        assert!(b.terms[2].shot < 1e-2 * b.terms[2].receiver);
        let d = b.means[2] - b.means[1];
        let pam = 4.0 / 3.0 * q_function(d / (2.0 * sigma));
        assert!((b.ser() / pam - 1.0).abs() < 0.02, "{} vs {pam}", b.ser());
    }

    #[test]
    fn seed_levels_match_a_hand_solution() {
        // seed-16ch at 10 mW: SOA input of the +1 level 10 mW × 10^(−12.926/10) = 0.5098 mW;
        // G solves G = 100·exp(−(G − 1)·0.5098/31.62) (≈ 47.8), then the absorber at
        // G·p: T = 1 − 0.3/(1 + G·p/10 mW) − 0.1.
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let d = ChannelDecision::from_rig(&rig);
        let l = d.levels(10e-3);
        let p = l.amplifier_input[2];
        assert!((p / 0.5098e-3 - 1.0).abs() < 1e-3, "{p}");
        let (x, (mut lo, mut hi)) = (p / 10f64.powf(1.5) * 1e3, (1.0f64, 100.0f64));
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if mid > 100.0 * (-(mid - 1.0) * x).exp() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let g_hand = 0.5 * (lo + hi);
        assert!((l.passage[2].gain / g_hand - 1.0).abs() < 1e-6);
        let t_hand = 1.0 - 0.3 / (1.0 + g_hand * p / 10e-3) - 0.1;
        assert!((l.passage[2].transmission / t_hand - 1.0).abs() < 1e-9);
        // The seed's middle level sits near 0.63 of the swing (the engine's eye at −22.5 dBm
        // reads 16.02 mV between 0.47 and 25.32 mV: 0.626).
        assert!(
            (0.6..0.65).contains(&l.middle_fraction()),
            "{}",
            l.middle_fraction()
        );
    }

    #[test]
    fn the_power_found_meets_the_target() {
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let d = ChannelDecision::from_rig(&rig);
        for target in [1e-3, 1e-9] {
            let p = d.received_power_for(10e-3, target).unwrap();
            let at = d.budget(10e-3, p).ser();
            assert!((at / target - 1.0).abs() < 1e-6, "{at} vs {target}");
            assert!(d.budget(10e-3, p * 0.99).ser() > target);
        }
    }
}

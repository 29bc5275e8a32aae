//! The rig's ternary decision as the `noise` command and the report state it: one channel's
//! symbol-error rate from the compressed levels ([`crate::levels`]), the laser power that meets
//! a target error rate, and whether the loop regenerates its levels
//! ([`crate::regeneration`]), with the equal-spacing figure of [`NoiseBudget::ternary_ser`]
//! beside it, labelled.
//!
//! The channel is the reference chain's (laser → modulator → path → SOA → absorber →
//! photodiode/TIA over one symbol → comparator), its photodiode receiving the fraction 1/M of
//! the absorber's output (the readout's fan-out to M receivers).

use crate::levels::{ChannelDecision, LevelBudget, smallest_meeting};
use crate::noise::{NoiseBudget, NoiseParams, ReadoutPoint};
use crate::regeneration::Regeneration;
use lightloop_rig::rig::Rig;
use serde::Serialize;

/// The target symbol-error rate the `noise` command uses unless told otherwise.
pub const DEFAULT_TARGET_SER: f64 = 1e-6;

/// Which model produced the error figures.
pub const COMPRESSED_MODEL: &str = "compressed levels: steady-state SOA gain saturation and \
    absorber transfer per level, each level's own shot, RIN and signal–ASE noise, receiver, dark \
    and comparator noise, thresholds midway between the levels, comparator hysteresis";
pub const EQUAL_SPACING_MODEL: &str = "equal spacing: levels 0, ½, 1 of the swing, full-scale σ \
    on every level, midpoint thresholds, comparator hysteresis (no compression)";

/// One channel's decision and the loop's regeneration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub target_ser: f64,
    pub model: &'static str,
    pub equal_spacing_model: &'static str,
    /// The rig's laser power per channel, W.
    pub laser_power_w: f64,
    /// Fraction of the absorber's output the photodiode receives (1/M).
    pub delivered: f64,
    /// The levels and their noise at the rig's laser power.
    pub budget: LevelBudget,
    /// (P₀ − P₋₁)/(P₊₁ − P₋₁): ½ for equal spacing.
    pub middle_fraction: f64,
    /// SER of the compressed levels at the rig's laser power.
    pub ser: f64,
    /// SER of the equal-spacing model at the same received power.
    pub ser_equal_spacing: f64,
    /// Laser power per channel meeting the target SER (compressed levels), W.
    pub laser_power_for_target_w: Option<f64>,
    /// The same by the equal-spacing model (the same +1 level received), W.
    pub equal_spacing_laser_power_for_target_w: Option<f64>,
    /// The full-scale received power meeting the target at the rig's laser power (an
    /// attenuator setting it, compression unchanged, as on the bench), W.
    pub received_power_for_target_w: Option<f64>,
    /// The same by the equal-spacing model, W.
    pub equal_spacing_received_power_for_target_w: Option<f64>,
    /// The loop's regeneration (rigs with an SOA).
    pub regeneration: Option<Regeneration>,
}

impl Decision {
    /// The decision of `rig`'s channel at target `target_ser`, with the loop's per-pass and
    /// readout noise taken from the headline readout `point` (one amplified pass).
    pub fn of_rig(rig: &Rig, point: ReadoutPoint, target_ser: f64) -> Self {
        let d = ChannelDecision::from_rig(rig);
        let laser = rig.laser.power.si();
        let max_laser = rig.laser.max_power.si().max(laser);
        let delivered = 1.0 / rig.topology.readout_width.max(1) as f64;
        let levels = d.levels(laser);
        let received = levels.passage[2].output * delivered;
        let budget = d.budget(laser, received);
        // The equal-spacing model at the chain's operating point: the +1 level received, one
        // symbol, one pass.
        let old = |x: f64, received: f64| {
            NoiseBudget::at(
                &d.noise,
                ReadoutPoint {
                    received_power: received,
                    integration_time: d.symbol_period,
                    amplified_passes: if d.compression.amplifier.is_some() {
                        1.0
                    } else {
                        0.0
                    },
                    amplifier_input_power: d.levels(x).amplifier_input[2],
                },
            )
            .ternary_ser()
        };
        let equal_laser = smallest_meeting(1e-9, max_laser * 1e3, target_ser, |x| {
            old(x, d.levels(x).passage[2].output * delivered)
        });
        let equal_received = smallest_meeting(1e-12, levels.passage[2].output, target_ser, |p| {
            old(laser, p)
        });
        // Per-pass and readout noise of the headline readout, in amplitude of a value of 1.
        let regeneration = {
            let (sigma_pass, sigma_read) = loop_noise(rig, point);
            Regeneration::of_rig(rig, sigma_pass, sigma_read, target_ser)
        };
        Self {
            target_ser,
            model: COMPRESSED_MODEL,
            equal_spacing_model: EQUAL_SPACING_MODEL,
            laser_power_w: laser,
            delivered,
            middle_fraction: budget.levels.middle_fraction(),
            ser: budget.ser(),
            ser_equal_spacing: old(laser, received),
            budget,
            laser_power_for_target_w: d.laser_power_for(delivered, max_laser * 1e3, target_ser),
            equal_spacing_laser_power_for_target_w: equal_laser,
            received_power_for_target_w: d.received_power_for(laser, target_ser),
            equal_spacing_received_power_for_target_w: equal_received,
            regeneration,
        }
    }
}

/// The loop's per-pass and readout noise in amplitude of a value of 1, (σ_a, σ_read), from the
/// headline readout `point` at one amplified pass: σ_a = σ_sig-ASE/(2·I_sig) and
/// σ_read = √(V − V_sig-ASE − V_ASE-ASE)/(2·I_sig), since I ∝ a² (see
/// [`Regeneration::sigma_pass`]).
pub fn loop_noise(rig: &Rig, point: ReadoutPoint) -> (f64, f64) {
    let n = NoiseParams::from_rig(rig);
    let one = NoiseBudget::at(
        &n,
        ReadoutPoint {
            amplified_passes: 1.0,
            ..point
        },
    );
    let t = one.terms;
    let i = one.signal_current.max(f64::MIN_POSITIVE);
    let base = (t.total() - t.signal_ase - t.ase_ase).max(0.0);
    (t.signal_ase.sqrt() / (2.0 * i), base.sqrt() / (2.0 * i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_rig::load_rig;

    #[test]
    fn seed_decision_needs_more_power_than_equal_spacing_says() {
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let point = ReadoutPoint {
            received_power: 5e-4,
            integration_time: 768e-9,
            amplified_passes: 12.0,
            amplifier_input_power: 1e-4,
        };
        let d = Decision::of_rig(&rig, point, 1e-6);
        // At the rig's laser the levels are compressed: the target needs more received power
        // than equal spacing says.
        let (pc, pe) = (
            d.received_power_for_target_w.unwrap(),
            d.equal_spacing_received_power_for_target_w.unwrap(),
        );
        assert!(pc > 1.2 * pe, "compressed {pc} vs equal spacing {pe}");
        // The compressed model's laser power meets the target.
        let lc = d.laser_power_for_target_w.unwrap();
        let c = ChannelDecision::from_rig(&rig);
        let l = c.levels(lc);
        let at = c.budget(lc, l.passage[2].output * d.delivered).ser();
        assert!((at / 1e-6 - 1.0).abs() < 1e-6, "{at}");
        assert!(d.middle_fraction > 0.5);
        let r = d.regeneration.as_ref().unwrap();
        assert!(!r.levels[1].restored);
        assert!(r.passes_to_target().is_some());
    }
}

//! Mode-division multiplexing (MDM): M spatial modes of a few-mode fibre each carry a lane of
//! their own through the loop's fibre and amplifier (docs/design.md, "Impairments of a
//! multi-lane loop").
//!
//! What it adds: M× the lanes in the same fibre and, when the amplifier amplifies every mode (a
//! few-mode amplifier), the same amplifier; each mode lane has its own lasers, modulators and
//! receivers, as a WDM lane does (the cost model's lanes are WDM lanes × modes, and the weights
//! act on every mode alike — mode-independent weight elements, a simplification). What it
//! costs: the mode multiplexer and demultiplexer's insertion loss on the signal path, which
//! lowers the received power — making it up takes 10^(IL/10)× the laser power — and the static
//! power of the mux pairs (one pair per fibre: per physical channel for a TDM or spatial
//! architecture, one for a rig whose inputs ride on wavelengths in one fibre). With a few-mode
//! amplifier the pair sits at loop entry and exit only; with amplifiers that take one mode each
//! the modes are separated around them every pass, so the pair's loss is also a loop loss per
//! pass ([`crate::optics::loop_loss_db`]) and the amplifiers multiply by M.
//!
//! Impairments per pass:
//! - mode-dependent loss (MDL, dB): the modes' gains spread by MDL; with weak mode coupling
//!   (each mode keeps its identity, as a mux without MIMO processing needs) the spread is fixed,
//!   the worst modes ±MDL/2 from the mean the trim sets, a gain error handled as a lane's
//!   ([`crate::lane_gain`]);
//! - crosstalk X (dB per pass, the power a mode picks up from all the others): from lasers of
//!   their own, the crosstalk fields have random phases and add in power, ε_n = n·10^(X/10)
//!   after n passes (small ε, no re-coupling of crosstalk already picked up). The eye then
//!   closes by 2√ε_n of the level at the worst phase, the in-band crosstalk penalty
//!   δ = −10·log₁₀(1 − 2√ε_n) dB (Ramaswami, Sivarajan & Sasaki, *Optical Networks*, 3rd ed.,
//!   Morgan Kaufmann 2010, §5.9.1, for on–off keying; applied to the ternary eye unchanged), valid
//!   while 2√ε_n < 1.

use lightloop_rig::rig::Rig;
use serde::Serialize;

/// The crosstalk penalty −10·log₁₀(1 − 2√ε) dB for accumulated crosstalk ε (linear); infinite
/// for 2√ε ≥ 1.
pub fn crosstalk_penalty_db(epsilon: f64) -> f64 {
    let x = 2.0 * epsilon.max(0.0).sqrt();
    if x >= 1.0 {
        f64::INFINITY
    } else {
        -10.0 * (1.0 - x).log10()
    }
}

/// The accumulated crosstalk ε at which the penalty reaches `budget_db`:
/// ε = ((1 − 10^(−budget/10))/2)².
pub fn crosstalk_at_penalty(budget_db: f64) -> f64 {
    let x = (1.0 - 10f64.powf(-budget_db / 10.0)) / 2.0;
    x * x
}

/// Mode (de)multiplexer pairs of `rig`: one per fibre (see the module's notes); 0 without MDM.
pub fn mux_pairs(rig: &Rig) -> f64 {
    if rig.mode_multiplexing.is_none() {
        0.0
    } else if rig.topology.architecture.inputs_on_wavelengths() {
        1.0
    } else {
        rig.topology.channels as f64
    }
}

/// The rig's mode-division multiplexing: what it adds and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModeMultiplexing {
    pub modes: u32,
    /// Lanes with and without the modes: WDM lanes × M, and WDM lanes.
    pub lanes: f64,
    pub lanes_single_mode: f64,
    /// Whether the loop amplifier amplifies every mode (else one per mode).
    pub amplifier_supports_modes: bool,
    /// Mux + demux insertion loss on the signal path, dB.
    pub mux_loss_db: f64,
    /// Laser power per port that makes up the mux loss at the same received power, W
    /// (the rig's laser power × 10^(IL/10)).
    pub laser_power_to_make_up_w: f64,
    /// Mux pairs and their static power, W.
    pub mux_pairs: f64,
    pub mux_power_w: f64,
    pub mode_dependent_loss_db: f64,
    /// Crosstalk per pass, linear (0 when not given).
    pub crosstalk_per_pass: f64,
    pub passes: u32,
    /// Accumulated crosstalk after the rig's passes, linear, and its penalty, dB (None:
    /// 2√ε ≥ 1, the eye is closed).
    pub crosstalk_after: f64,
    pub crosstalk_penalty_db: Option<f64>,
    pub budget_db: f64,
    /// The first pass whose crosstalk penalty exceeds the budget (None: no crosstalk given).
    pub passes_to_budget: Option<u64>,
}

impl ModeMultiplexing {
    /// `None` when the rig has no `[mode_multiplexing]`.
    pub fn of_rig(rig: &Rig) -> Option<Self> {
        let mm = rig.mode_multiplexing.as_ref()?;
        let budget = rig
            .impairments
            .as_ref()
            .map_or(1.0, |im| im.penalty_budget_db());
        let xt = mm.crosstalk.map_or(0.0, |x| x.linear());
        let passes = rig.topology.loop_passes;
        let il = mm.mux_loss_db();
        let pairs = mux_pairs(rig);
        Some(Self {
            modes: mm.modes,
            lanes: rig.lanes(),
            lanes_single_mode: rig.topology.wdm_lanes as f64,
            amplifier_supports_modes: mm.amplifier_supports_modes,
            mux_loss_db: il,
            laser_power_to_make_up_w: rig.laser.power.si() * 10f64.powf(il / 10.0),
            mux_pairs: pairs,
            mux_power_w: pairs * mm.mux_power.map_or(0.0, |p| p.si()),
            mode_dependent_loss_db: mm.mode_dependent_loss.map_or(0.0, |v| v.db()),
            crosstalk_per_pass: xt,
            passes,
            crosstalk_after: passes as f64 * xt,
            crosstalk_penalty_db: Some(crosstalk_penalty_db(passes as f64 * xt))
                .filter(|p| p.is_finite()),
            budget_db: budget,
            passes_to_budget: passes_to_budget(xt, budget),
        })
    }
}

/// The first pass n at which n·ε₁ passes the budget's crosstalk (None for ε₁ = 0).
pub fn passes_to_budget(per_pass: f64, budget_db: f64) -> Option<u64> {
    (per_pass > 0.0).then(|| {
        let x = crosstalk_at_penalty(budget_db) / per_pass;
        if x >= 1e18 {
            u64::MAX
        } else {
            x.floor() as u64 + 1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosstalk_penalty_by_hand() {
        // ε = 0.01: 2√ε = 0.2, −10·log10(0.8) = 0.9691 dB.
        assert!((crosstalk_penalty_db(0.01) - 0.969_100).abs() < 1e-6);
        assert_eq!(crosstalk_penalty_db(0.0), 0.0);
        assert!(crosstalk_penalty_db(0.25).is_infinite());
        // 1 dB: ε = ((1 − 10^(−0.1))/2)² = 0.010 575.
        let e = crosstalk_at_penalty(1.0);
        assert!((e - 0.010_575).abs() < 1e-6, "{e}");
        assert!((crosstalk_penalty_db(e) - 1.0).abs() < 1e-12);
        // −30 dB per pass: 1e-3 a pass; 1 dB first passed at pass 11 (10.57 passes).
        assert_eq!(passes_to_budget(1e-3, 1.0), Some(11));
        assert_eq!(passes_to_budget(0.0, 1.0), None);
    }
}

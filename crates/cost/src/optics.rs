//! The optical power budget: link losses, amplifier gain saturation and the saturable absorber.

use lightloop_rig::rig::Rig;
use lightloop_rig::units::db_to_linear;

/// Loss (dB) from a laser to one detector through one weight at full transmission, before the
/// 1:M split: modulator, TDM selector (when the rig has one), fan-out excess, mux, demux,
/// connectors, fibre, the weight element and, with mode-division multiplexing, the mode
/// multiplexer and demultiplexer.
pub fn path_loss_db(rig: &Rig) -> f64 {
    let p = &rig.passives;
    rig.mode_multiplexing
        .as_ref()
        .map_or(0.0, |m| m.mux_loss_db())
        + rig.modulator.insertion_loss.db()
        + rig.selector.as_ref().map_or(0.0, |s| s.insertion_loss.db())
        + p.splitter_excess_loss.db()
        + p.mux_loss.db()
        + p.demux_loss.db()
        + p.connector_loss.db() * p.connectors as f64
        + p.fibre_attenuation.si() * p.fibre_length.si()
        + p.weight_element_loss.db()
}

/// Passive loss (dB) of one loop pass, without the 1:M split and the absorber: the weight
/// element, fan-out excess, loop couplers, connectors and the delay-line fibre; with
/// mode-division multiplexing through amplifiers that take one mode each, also the mode
/// demultiplexer and multiplexer around them.
pub fn loop_loss_db(rig: &Rig) -> f64 {
    let p = &rig.passives;
    rig.mode_multiplexing
        .as_ref()
        .filter(|m| !m.amplifier_supports_modes)
        .map_or(0.0, |m| m.mux_loss_db())
        + p.weight_element_loss.db()
        + p.splitter_excess_loss.db()
        + p.loop_loss.db()
        + p.connector_loss.db() * p.connectors as f64
        + p.fibre_attenuation.si() * p.fibre_length.si()
}

/// Largest singular value ‖A‖₂ of a square ternary matrix (row-major, `d`×`d`), by power
/// iteration on AᵀA.
pub fn ternary_spectral_norm(weights: &[i8], d: usize) -> f64 {
    let mut v = vec![1.0 / (d as f64).sqrt(); d];
    let mut sigma = 0.0;
    for _ in 0..200 {
        let av: Vec<f64> = (0..d)
            .map(|i| {
                weights[i * d..(i + 1) * d]
                    .iter()
                    .zip(&v)
                    .map(|(w, x)| *w as f64 * x)
                    .sum()
            })
            .collect();
        let mut atav = vec![0.0; d];
        for (i, a) in av.iter().enumerate() {
            for (j, w) in weights[i * d..(i + 1) * d].iter().enumerate() {
                atav[j] += *w as f64 * a;
            }
        }
        let norm = atav.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        let s = norm.sqrt();
        v = atav.iter().map(|x| x / norm).collect();
        if (s - sigma).abs() <= 1e-12 * s {
            return s;
        }
        sigma = s;
    }
    sigma
}

/// Amplitude scale κ = √T_passive / ‖A‖₂ of a passive interferometric mesh realising the ternary
/// matrix A in the rig's loop: the mesh cannot add power, so its largest gain is T_passive.
pub fn mesh_amplitude(rig: &Rig, weights: &[i8], d: usize) -> f64 {
    db_to_linear(-loop_loss_db(rig)).sqrt() / ternary_spectral_norm(weights, d).max(1e-12)
}

/// Fast saturable-absorber transmission T(P) = 1 − α_s/(1 + P/P_sat) − α_ns
/// (e.g. Haus, IEEE JSTQE 6(6), 2000, for the fast-absorber model).
pub fn absorber_transmission(alpha_s: f64, alpha_ns: f64, p_sat: f64, power: f64) -> f64 {
    1.0 - alpha_s / (1.0 + power / p_sat) - alpha_ns
}

/// Steady-state gain of a saturated amplifier, G = G₀·exp(−(G − 1)·P_in/P_sat)
/// (Agrawal & Olsson, IEEE JQE 25(11), 1989; P_sat the saturation energy over the carrier
/// lifetime). Solved by Newton's method for h = ln G on f(h) = h − h₀ + (eʰ − 1)·P_in/P_sat,
/// which is increasing and convex, so the iteration from h₀ (where f ≥ 0) descends monotonically
/// to the root.
pub fn saturated_gain(g0: f64, p_in: f64, p_sat: f64) -> f64 {
    if p_in <= 0.0 || g0 <= 1.0 {
        return g0;
    }
    let x = p_in / p_sat;
    let h0 = g0.ln();
    let mut h = h0;
    for _ in 0..60 {
        let g = h.exp();
        let f = h - h0 + (g - 1.0) * x;
        let step = f / (1.0 + g * x);
        h -= step;
        // Quadratic convergence: a step of 1e-8 leaves an error near 1e-16.
        if step.abs() <= 1e-8 * h.abs().max(1.0) {
            break;
        }
    }
    h.exp()
}

/// The loop's power balance per pass.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LoopBalance {
    /// Signal power per channel at the amplifier input, W.
    pub amplifier_input: f64,
    /// Gain the amplifier actually delivers at that input (saturated), linear.
    pub gain: f64,
    /// Gain needed for the state to keep its power from pass to pass, linear.
    pub gain_needed: f64,
}

impl LoopBalance {
    /// Net change of the state's power per pass, dB (negative: the state decays).
    pub fn net_db(&self) -> f64 {
        10.0 * (self.gain / self.gain_needed).log10()
    }
}

/// Power balance of a loop pass: the state (per channel power after the input modulator) goes
/// through the weights, a fan-out of M and fan-in of C (power ratio C/M when every input
/// is at full scale), the passive loop losses and the absorber, and is restored by the amplifier.
/// Returns `None` for a rig without a loop amplifier.
pub fn loop_balance(rig: &Rig) -> Option<LoopBalance> {
    let (g0, p_sat) = match (&rig.soa, &rig.edfa) {
        (Some(s), _) => (s.small_signal_gain.linear(), s.saturation_power.si()),
        (None, Some(e)) => (e.gain.linear(), e.saturation_power.si()),
        _ => return None,
    };
    let t = &rig.topology;
    let state = rig.laser.power.si() / rig.modulator.insertion_loss.linear();
    let mixing = t.channels as f64 / t.readout_width as f64;
    let passive = db_to_linear(-loop_loss_db(rig)) * mixing;
    let absorber = rig
        .saturable_absorber
        .as_ref()
        .map(|sa| {
            absorber_transmission(
                sa.modulation_depth.si(),
                sa.nonsaturable_loss.si(),
                sa.saturation_power.si(),
                state * passive,
            )
        })
        .unwrap_or(1.0);
    let amplifier_input = state * passive * absorber;
    Some(LoopBalance {
        amplifier_input,
        gain: saturated_gain(g0, amplifier_input, p_sat),
        gain_needed: 1.0 / (passive * absorber),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturated_gain_solves_the_steady_state_equation() {
        for (g0, p_in, p_sat) in [
            (100.0, 1e-3, 30e-3),
            (1000.0, 1e-2, 1e-2),
            (10.0, 1e-6, 1e-2),
        ] {
            let g: f64 = saturated_gain(g0, p_in, p_sat);
            let rhs = g0 * (-(g - 1.0) * p_in / p_sat).exp();
            assert!((g / rhs - 1.0).abs() < 1e-9, "{g} vs {rhs}");
            assert!(g <= g0);
        }
        // Far below saturation the gain is the small-signal gain.
        assert!((saturated_gain(100.0, 1e-9, 1e-2) / 100.0 - 1.0).abs() < 1e-4);
    }

    #[test]
    fn spectral_norm_of_small_matrices() {
        // Identity: 1. [[1, 1], [1, −1]]: √2. A 3×3 of ones: 3.
        assert!((ternary_spectral_norm(&[1, 0, 0, 1], 2) - 1.0).abs() < 1e-9);
        assert!((ternary_spectral_norm(&[1, 1, 1, -1], 2) - 2f64.sqrt()).abs() < 1e-9);
        assert!((ternary_spectral_norm(&[1; 9], 3) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn absorber_limits() {
        // Dark: T = 1 − α_s − α_ns; bleached: T → 1 − α_ns; at P_sat half the saturable loss.
        assert!((absorber_transmission(0.3, 0.1, 1e-3, 0.0) - 0.6).abs() < 1e-15);
        assert!((absorber_transmission(0.3, 0.1, 1e-3, 1e3) - 0.9).abs() < 1e-6);
        assert!((absorber_transmission(0.3, 0.1, 1e-3, 1e-3) - 0.75).abs() < 1e-15);
    }
}

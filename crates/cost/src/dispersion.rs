//! Chromatic dispersion of the loop's fibre: pulse broadening pass by pass and its power penalty.
//!
//! A source of RMS spectral width σ_λ spreads a pulse over a fibre of length L and dispersion D
//! by Δτ = |D|·L·σ_λ (Agrawal, *Fiber-Optic Communication Systems*, 3rd ed., Wiley 2002,
//! §2.4.2, the broad-source limit of the Gaussian-pulse broadening). Around the loop the light
//! crosses the loop's fibre once a pass, so after n passes L = n·L_pass and the broadening grows
//! linearly, Δτ_n = n·|D|·L_pass·σ_λ (no dispersion compensation in the loop).
//!
//! The penalty is the closed form for a Gaussian pulse of a broad source at bit rate B,
//! δ_d = −5·log₁₀[1 − (4·B·L·|D|·σ_λ)²] dB (Agrawal, §5.4.4, the dispersion-induced power
//! penalty; the Bellcore/Telcordia form in ε = B·L·|D|·σ_λ). Valid while 4ε < 1 (at 4ε = 1 the
//! eye is closed and the penalty infinite): it is an estimate of the ISI for NRZ-like symbols,
//! applied here to the ternary levels unchanged, with B = 1/T_s the rig's symbol rate. When the
//! rig gives no spectral width, σ_λ = λ²·B_mod/c (the modulated spectrum's width taken as the
//! modulator's bandwidth B_mod, an upper bound for a narrow-linewidth laser).

use lightloop_rig::constants::SPEED_OF_LIGHT;
use lightloop_rig::rig::Rig;
use serde::Serialize;

/// Pulse broadening Δτ = |D|·L·σ_λ, s, for D in s/m², L in m and σ_λ in m.
pub fn broadening(dispersion: f64, length: f64, spectral_width: f64) -> f64 {
    dispersion.abs() * length * spectral_width
}

/// The dispersion penalty δ_d = −5·log₁₀[1 − (4ε)²] dB for ε = B·Δτ; infinite for 4ε ≥ 1.
pub fn penalty_db(epsilon: f64) -> f64 {
    let x = 4.0 * epsilon.abs();
    if x >= 1.0 {
        f64::INFINITY
    } else {
        -5.0 * (1.0 - x * x).log10()
    }
}

/// The ε = B·L·|D|·σ_λ at which the penalty reaches `budget_db`: 4ε = √(1 − 10^(−budget/5)).
pub fn epsilon_at_penalty(budget_db: f64) -> f64 {
    (1.0 - 10f64.powf(-budget_db / 5.0)).max(0.0).sqrt() / 4.0
}

/// The loop's dispersion, pass by pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dispersion {
    /// D, ps/(nm·km).
    pub dispersion_ps_nm_km: f64,
    /// Fibre crossed per pass, m.
    pub length_per_pass_m: f64,
    /// RMS spectral width σ_λ, m.
    pub spectral_width_m: f64,
    /// Whether σ_λ is the modulation-limited estimate λ²·B_mod/c (no width given).
    pub width_from_modulation: bool,
    /// Symbol rate B = 1/T_s, Bd.
    pub symbol_rate: f64,
    /// Broadening per pass, s.
    pub broadening_per_pass_s: f64,
    /// ε of one pass, B·Δτ.
    pub epsilon_per_pass: f64,
    /// The rig's passes between readouts.
    pub passes: u32,
    /// Accumulated broadening after those passes, s.
    pub broadening_s: f64,
    /// The penalty after those passes, dB (None: 4ε ≥ 1, the eye is closed).
    pub penalty_db: Option<f64>,
    pub budget_db: f64,
    /// The first pass whose penalty exceeds the budget (None: no dispersion).
    pub passes_to_budget: Option<u64>,
}

impl Dispersion {
    /// The dispersion of `rig`'s loop; `None` when the rig sets no `impairments.dispersion`.
    pub fn of_rig(rig: &Rig) -> Option<Self> {
        let im = rig.impairments.as_ref()?;
        let d = im.dispersion?.si();
        let lambda = rig.topology.wavelength.si();
        let (width, from_modulation) = match im.spectral_width {
            Some(w) => (w.si(), false),
            None => (
                lambda * lambda * rig.modulator.bandwidth.si() / SPEED_OF_LIGHT,
                true,
            ),
        };
        let length = rig.passives.fibre_length.si();
        let rate = 1.0 / rig.topology.symbol_period.si();
        let passes = rig.topology.loop_passes;
        Some(Self::new(
            d,
            length,
            width,
            from_modulation,
            rate,
            passes,
            im.penalty_budget_db(),
        ))
    }

    /// The figures for D (s/m²), L per pass (m), σ_λ (m), B (Bd), n passes and a budget (dB).
    pub fn new(
        dispersion: f64,
        length: f64,
        spectral_width: f64,
        width_from_modulation: bool,
        symbol_rate: f64,
        passes: u32,
        budget_db: f64,
    ) -> Self {
        let per_pass = broadening(dispersion, length, spectral_width);
        let eps = symbol_rate * per_pass;
        let n = passes as f64;
        let passes_to_budget = (eps > 0.0).then(|| {
            let x = epsilon_at_penalty(budget_db) / eps;
            // The first n with n·ε beyond the budget's ε.
            if x >= 1e18 {
                u64::MAX
            } else {
                x.floor() as u64 + 1
            }
        });
        Self {
            dispersion_ps_nm_km: dispersion * 1e6,
            length_per_pass_m: length,
            spectral_width_m: spectral_width,
            width_from_modulation,
            symbol_rate,
            broadening_per_pass_s: per_pass,
            epsilon_per_pass: eps,
            passes,
            broadening_s: n * per_pass,
            penalty_db: Some(penalty_db(n * eps)).filter(|p| p.is_finite()),
            budget_db,
            passes_to_budget,
        }
    }

    /// The penalty after `n` passes, dB.
    pub fn penalty_after(&self, n: f64) -> f64 {
        penalty_db(n * self.epsilon_per_pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalty_closed_form_by_hand() {
        // ε = 0.1: 4ε = 0.4, −5·log10(1 − 0.16) = 0.3786 dB.
        assert!((penalty_db(0.1) - 0.378_604).abs() < 1e-5);
        // No dispersion, no penalty; the eye closes at 4ε = 1.
        assert_eq!(penalty_db(0.0), 0.0);
        assert!(penalty_db(0.25).is_infinite());
        // The inverse: 1 dB at 4ε = √(1 − 10^(−0.2)) = 0.6075.
        let e = epsilon_at_penalty(1.0);
        assert!((4.0 * e - 0.607_5).abs() < 1e-4, "{e}");
        assert!((penalty_db(e) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn standard_fibre_by_hand() {
        // 17 ps/(nm·km) over 630 m with σ_λ = 0.1 nm: Δτ = 17 × 0.63 × 0.1 = 1.071 ps per pass;
        // at 10 GBd ε = 0.01071 per pass; 1 dB needs ε = 0.15187, first passed at pass 15.
        let d = Dispersion::new(17e-6, 630.0, 0.1e-9, false, 10e9, 12, 1.0);
        assert!((d.broadening_per_pass_s - 1.071e-12).abs() < 1e-18);
        assert!((d.broadening_s - 12.0 * 1.071e-12).abs() < 1e-17);
        assert!((d.epsilon_per_pass - 0.01071).abs() < 1e-9);
        assert_eq!(d.passes_to_budget, Some(15));
        assert!(d.penalty_after(14.0) <= 1.0 && d.penalty_after(15.0) > 1.0);
        // Linear growth of the broadening: twice the passes, twice Δτ.
        let d2 = Dispersion::new(17e-6, 630.0, 0.1e-9, false, 10e9, 24, 1.0);
        assert!((d2.broadening_s / d.broadening_s - 2.0).abs() < 1e-12);
        // Zero dispersion: unchanged figures, no limit.
        let z = Dispersion::new(0.0, 630.0, 0.1e-9, false, 10e9, 12, 1.0);
        assert_eq!((z.penalty_db, z.passes_to_budget), (Some(0.0), None));
        // Past 4ε = 1 the eye is closed: no finite penalty.
        let c = Dispersion::new(17e-6, 630.0, 0.1e-9, false, 10e9, 24, 1.0);
        assert_eq!(c.penalty_db, None);
    }
}

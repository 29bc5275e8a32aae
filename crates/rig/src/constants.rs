//! Physical constants (exact values of the 2019 SI redefinition; BIPM SI brochure, 9th ed.,
//! and CODATA 2018).

/// Elementary charge q, C (exact).
pub const ELEMENTARY_CHARGE: f64 = 1.602_176_634e-19;
/// Planck constant h, J·s (exact).
pub const PLANCK: f64 = 6.626_070_15e-34;
/// Speed of light in vacuum c, m/s (exact).
pub const SPEED_OF_LIGHT: f64 = 299_792_458.0;
/// Boltzmann constant k_B, J/K (exact).
pub const BOLTZMANN: f64 = 1.380_649e-23;
/// Group index of standard single-mode fibre near 1550 nm (Corning SMF-28 datasheet: 1.4682).
pub const FIBRE_GROUP_INDEX: f64 = 1.4682;

/// Photon energy hν = hc/λ, J. At 1550 nm: 1.2816e-19 J (0.800 eV).
pub fn photon_energy(wavelength_m: f64) -> f64 {
    PLANCK * SPEED_OF_LIGHT / wavelength_m
}

/// Responsivity of a photodiode with unit quantum efficiency, R = qλ/(hc), A/W.
/// At 1550 nm: 1.2502 A/W. No real photodiode exceeds it.
pub fn quantum_limit_responsivity(wavelength_m: f64) -> f64 {
    ELEMENTARY_CHARGE / photon_energy(wavelength_m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photon_energy_at_1550_nm_matches_reference() {
        // docs/references.md: hν = 1.2816e-19 J (0.800 eV) at 1550 nm.
        let e = photon_energy(1550e-9);
        assert!((e - 1.2816e-19).abs() / 1.2816e-19 < 1e-4, "{e}");
        assert!((e / ELEMENTARY_CHARGE - 0.800).abs() < 1e-3);
        // 1 fJ ≈ 7,800 photons; 1 mW ≈ 7.8e15 photons/s.
        assert!((1e-15 / e - 7803.0).abs() < 5.0);
    }

    #[test]
    fn quantum_limit_responsivity_at_1550_nm() {
        let r = quantum_limit_responsivity(1550e-9);
        assert!((r - 1.2502).abs() < 1e-3, "{r}");
    }
}

//! Polarisation-dependent gain and loss (PDG/PDL) of a loop pass, with a random state of
//! polarisation (SOP) every pass.
//!
//! A part with PDG Γ dB passes a state of polarisation with gain ⟨G⟩ + (Γ/2)·s₁ dB, s₁ ∈ [−1, 1]
//! the SOP's Stokes component along the part's eigen-axis (linear in dB for Γ of a few dB; exact
//! in linear power, G = ⟨G⟩(1 + ρ·s₁)). For an SOP uniformly distributed on the Poincaré sphere
//! s₁ is uniform on [−1, 1] (Archimedes' hat-box theorem: equal heights cut equal areas of a
//! sphere), so the pass's gain error is uniform on ±Γ/2 dB with zero mean and
//! σ₁ = Γ/(2√3) (the variance of a uniform variable of width Γ, Γ²/12; Gisin, Opt. Commun. 114,
//! 399, 1995, for the statistics of PDL with random SOPs).
//!
//! Assumed: the SOP is scrambled independently every pass (a loop of standard fibre decorrelates
//! it over a pass of hundreds of metres), and the loop's own parts' PDG add as one Γ per pass.
//! The gain errors then add as a random walk: after n passes the error has zero mean and
//! σ_n = σ₁·√n dB (the central limit theorem makes it Gaussian for n ≳ 5). A saturating loop
//! amplifier pulls the level back each pass (slope s < 1 of the return map at the level): the
//! deviation then settles at σ₁/√(1 − s²) (the stationary variance of x_{k+1} = s·x_k + e_k);
//! [`crate::lane_gain::LaneSetting::fate`] iterates the same recursion through the rig's map.

/// σ of the gain error of one pass, dB: Γ/(2√3).
pub fn sigma_per_pass_db(pdg_db: f64) -> f64 {
    pdg_db / (2.0 * 3f64.sqrt())
}

/// σ of the accumulated gain error after `n` passes of a linear loop, dB: Γ/(2√3)·√n.
pub fn sigma_after_db(pdg_db: f64, n: f64) -> f64 {
    sigma_per_pass_db(pdg_db) * n.max(0.0).sqrt()
}

/// The stationary σ of a level held by a loop whose map has slope `s` (|s| < 1) at the level,
/// for per-pass noise σ₁: σ₁/√(1 − s²); infinite for |s| ≥ 1.
pub fn held_sigma(sigma_one: f64, s: f64) -> f64 {
    if s.abs() >= 1.0 {
        f64::INFINITY
    } else {
        sigma_one / (1.0 - s * s).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_base::rng::{normal, stream};

    #[test]
    fn uniform_gain_error_statistics() {
        // 0.5 dB PDG: σ = 0.5/(2√3) = 0.144 34 dB; after 12 passes 0.5 dB exactly (√12/(2√3) = 1).
        assert!((sigma_per_pass_db(0.5) - 0.144_337_567).abs() < 1e-9);
        assert!((sigma_after_db(0.5, 12.0) - 0.5).abs() < 1e-12);
        // √n growth: four times the passes, twice the σ.
        assert!((sigma_after_db(0.5, 400.0) / sigma_after_db(0.5, 100.0) - 2.0).abs() < 1e-12);
        assert_eq!(sigma_after_db(0.0, 100.0), 0.0);
        // A held level: slope 0.6 leaves σ₁/0.8.
        assert!((held_sigma(1.0, 0.6) - 1.25).abs() < 1e-12);
        assert!(held_sigma(1.0, 1.0).is_infinite());
    }

    #[test]
    fn random_sop_on_the_sphere_gives_a_uniform_stokes_component() {
        // Uniform points on the sphere (normalised Gaussian vectors): s₁ has mean 0 and
        // variance ⅓, the uniform distribution's on [−1, 1]; the dB gain error (Γ/2)·s₁ has
        // σ = Γ/(2√3). 200 000 samples: the variance's standard error is about 0.0007.
        let mut rng = stream(7, "pdg-sop", 0, 0);
        let n = 200_000;
        let (mut sum, mut sum2) = (0.0, 0.0);
        for _ in 0..n {
            let (x, y, z) = (normal(&mut rng), normal(&mut rng), normal(&mut rng));
            let s1 = x / (x * x + y * y + z * z).sqrt();
            let g = 0.25 * s1; // Γ = 0.5 dB
            sum += g;
            sum2 += g * g;
        }
        let mean = sum / n as f64;
        let sd = (sum2 / n as f64 - mean * mean).sqrt();
        assert!(mean.abs() < 0.002, "{mean}");
        assert!((sd / sigma_per_pass_db(0.5) - 1.0).abs() < 0.01, "{sd}");
    }
}

//! Amplified spontaneous emission added at an amplifier's output.
//!
//! The ASE density per polarisation is S = n_sp·hν·(G − 1) (docs/references.md; Desurvire 1994). Of the
//! ASE in the optical filter bandwidth B_o and both polarisations, 2·S·B_o in all, the part in the
//! signal's polarisation and inside the simulated bandwidth fs is added to the field as complex
//! Gaussian noise of power S·fs per sample, so it beats with the signal exactly; the rest,
//! S·(2B_o − fs), joins the incoherent background, whose ASE–ASE beat noise the photodiode adds.
//! Valid for fs ≤ B_o (a simulation sampled faster than the optical filter would overstate the
//! in-band part; `Ase::new` clamps fs to B_o).

use num_complex::Complex64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ase {
    /// n_sp·hν, J.
    nsp_hv: f64,
    /// Sampling rate, clamped to the optical bandwidth.
    fs: f64,
    /// Optical filter bandwidth B_o.
    b_o: f64,
}

impl Ase {
    pub fn new(nsp: f64, photon_energy: f64, fs: f64, b_o: f64) -> Self {
        Self {
            nsp_hv: nsp * photon_energy,
            fs: fs.min(b_o),
            b_o,
        }
    }

    /// ASE density per polarisation at gain `g`, W/Hz.
    #[inline(always)]
    pub fn psd(&self, g: f64) -> f64 {
        self.nsp_hv * (g - 1.0).max(0.0)
    }

    /// Adds the ASE of gain `g` to one sample, given two standard normal deviates `z` for its
    /// in-phase and quadrature parts.
    #[inline(always)]
    pub fn add(&self, g: f64, field: &mut Complex64, background: &mut f64, z: [f64; 2]) {
        let s = self.psd(g);
        let sd = (s * self.fs / 2.0).sqrt();
        *field += Complex64::new(sd * z[0], sd * z[1]);
        *background += s * (2.0 * self.b_o - self.fs);
    }
}

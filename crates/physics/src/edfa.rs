//! Erbium-doped fibre amplifier.
//!
//! Erbium's gain responds in milliseconds, so within a block the gain is constant, set by the
//! block's mean input power through the steady-state saturation G = G₀·exp(−(G − 1)·P_in/P_sat)
//! (the same form as the SOA's); ASE as in [`crate::ase`].

use crate::ase::Ase;
use crate::gaussian::fill_normals;
use crate::rng::Rng;
use crate::signal::{Clock, Light};
use crate::stage::Stage;
use lightloop_cost::noise::spontaneous_emission_factor;
use lightloop_cost::optics::saturated_gain;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;
use lightloop_rig::constants::photon_energy;

#[derive(Debug, Clone)]
pub struct Edfa {
    g0: f64,
    p_sat: f64,
    ase: Ase,
    gain: f64,
    electrical_power: f64,
    /// The block's standard normal deviates for the ASE (in-phase, then quadrature).
    noise: Vec<f64>,
}

impl Edfa {
    pub fn from_rig(rig: &Rig, clock: &Clock) -> Option<Self> {
        let e = rig.edfa.as_ref()?;
        let g0 = e.gain.linear();
        let nsp = spontaneous_emission_factor(e.noise_figure.linear(), g0);
        Some(Self {
            g0,
            p_sat: e.saturation_power.si(),
            ase: Ase::new(
                nsp,
                photon_energy(rig.topology.wavelength.si()),
                clock.rate(),
                rig.passives.optical_filter_bandwidth.si(),
            ),
            gain: g0,
            electrical_power: e.electrical_power.si(),
            noise: Vec::new(),
        })
    }
    /// Gain applied to the last block.
    pub fn gain(&self) -> f64 {
        self.gain
    }
}

impl Stage for Edfa {
    fn name(&self) -> &'static str {
        "edfa"
    }

    fn process(&mut self, light: &mut Light, rng: &mut Rng) {
        self.gain = saturated_gain(self.g0, light.mean_power(), self.p_sat);
        let (g, a) = (self.gain, self.gain.sqrt());
        let n = light.len();
        fill_normals(rng, 2 * n, &mut self.noise);
        let (z_re, z_im) = self.noise.split_at(n);
        let samples = light.field.iter_mut().zip(light.background.iter_mut());
        for ((e, b), z) in samples.zip(z_re.iter().zip(z_im)) {
            *e *= a;
            *b *= g;
            self.ase.add(g, e, b, [*z.0, *z.1]);
        }
    }

    fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(Item::EdfaDrive, self.electrical_power * elapsed);
    }
}

//! Semiconductor optical amplifier with carrier dynamics.
//!
//! The integrated gain h = ln G follows the Agrawal–Olsson rate equation (IEEE JQE 25(11), 1989;
//! REFERENCES.md): dh/dt = (h₀ − h)/τ_c − (eʰ − 1)·P_in/E_sat, E_sat = P_sat·τ_c. Over each
//! sample the gain relaxes under the sample's input power by an exponential-Euler step —
//! linearised about the current h with rate k = 1/τ_c + G·P_in/E_sat and integrated exactly,
//! h ← h + (f/k)·(1 − e^(−k·dt)) — and the sample is amplified by the relaxed gain. The step is
//! exact for the linearised relaxation at any sample length (a gain that recovers within a slot
//! keeps no numerical memory of the previous one), and its fixed point is exactly the steady
//! state G = G₀·exp(−(G − 1)·P_in/P_sat). Gain saturation by the
//! amplifier's own ASE and the linewidth-enhancement chirp are not modelled. ASE: see [`crate::ase`].

use crate::ase::Ase;
use crate::rng::Rng;
use crate::signal::{Clock, Light};
use crate::stage::Stage;
use lightloop_cost::noise::spontaneous_emission_factor;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;
use lightloop_rig::constants::photon_energy;

#[derive(Debug, Clone)]
pub struct Soa {
    h: f64,
    h0: f64,
    tau: f64,
    e_sat: f64,
    dt: f64,
    ase: Ase,
    /// A trim in [0, 1] on the output power (a variable attenuator after the SOA), set by a loop
    /// controller to hold the net gain at unity.
    pub trim: f64,
    drive_power: f64,
    tec_power: f64,
}

impl Soa {
    /// An SOA from the rig's `[soa]` section; `None` when the rig has none.
    pub fn from_rig(rig: &Rig, clock: &Clock) -> Option<Self> {
        let s = rig.soa.as_ref()?;
        let g0 = s.small_signal_gain.linear();
        let nsp = spontaneous_emission_factor(s.noise_figure.linear(), g0);
        let hv = photon_energy(rig.topology.wavelength.si());
        Some(Self {
            h: g0.ln(),
            h0: g0.ln(),
            tau: s.carrier_lifetime.si(),
            e_sat: s.saturation_power.si() * s.carrier_lifetime.si(),
            dt: clock.dt(),
            ase: Ase::new(
                nsp,
                hv,
                clock.rate(),
                rig.passives.optical_filter_bandwidth.si(),
            ),
            trim: 1.0,
            drive_power: s.electrical_power.si(),
            tec_power: s.tec_power.si(),
        })
    }

    /// Current gain G = eʰ.
    pub fn gain(&self) -> f64 {
        self.h.exp()
    }
    pub fn small_signal_gain(&self) -> f64 {
        self.h0.exp()
    }
    pub fn saturation_power(&self) -> f64 {
        self.e_sat / self.tau
    }
    pub fn ase(&self) -> &Ase {
        &self.ase
    }
}

impl Stage for Soa {
    fn name(&self) -> &'static str {
        "soa"
    }

    fn process(&mut self, light: &mut Light, rng: &mut Rng) {
        let trim_field = self.trim.sqrt();
        let (inv_tau, inv_e) = (1.0 / self.tau, 1.0 / self.e_sat);
        // G = eʰ is carried alongside h and updated by e^Δh, expanded to 3rd order when the step
        // is small (relative error < Δh⁴/24 ≤ 4e-10 for |Δh| < 1e-2), else recomputed (and every
        // 64 samples) with `fastmath::exp` (relative error < 1e-10).
        let mut g = self.h.exp();
        for (i, (e, b)) in light
            .field
            .iter_mut()
            .zip(light.background.iter_mut())
            .enumerate()
        {
            let p_in = e.norm_sqr() + *b;
            // Exponential-Euler steps of the rate equation under this sample's input power: one
            // when the sample is short against the relaxation (k·dt ≤ 2), else up to 16 sub-steps,
            // each re-linearised, so that a gain which settles within the sample settles to the
            // sample's own steady state (a single step would be one Newton step from the previous
            // sample's gain).
            let k0 = inv_tau + g * p_in * inv_e;
            let subs = (k0 * self.dt / 2.0).ceil().clamp(1.0, 16.0) as usize;
            let dt = self.dt / subs as f64;
            for _ in 0..subs {
                let f = (self.h0 - self.h) * inv_tau - (g - 1.0) * p_in * inv_e;
                let k = inv_tau + g * p_in * inv_e;
                let dh = f / k * (1.0 - crate::fastmath::exp(-k * dt));
                self.h += dh;
                g = if dh.abs() < 1e-2 && i % 64 != 63 {
                    g * (1.0 + dh * (1.0 + dh * (0.5 + dh * (1.0 / 6.0))))
                } else {
                    crate::fastmath::exp(self.h)
                };
            }
            // The sample sees the gain as relaxed under its own power (end of the step): for
            // samples much longer than τ_c, the steady-state gain of that sample's power.
            *e *= g.sqrt();
            *b *= g;
            self.ase.add(g, e, b, rng);
            *e *= trim_field;
            *b *= self.trim;
        }
    }

    fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(Item::SoaDrive, self.drive_power * elapsed);
        ledger.add(Item::SoaCooling, self.tec_power * elapsed);
    }
}

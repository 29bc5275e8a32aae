//! The twin of one analog-loop pass: x ← trim·φ(κ·A·x) + noise.
//!
//! Values are signed field amplitudes in units of √P_unit, as in the physics engine's loop
//! (`lightloop_physics::analog_loop`). φ is the saturable absorber then the SOA, each at its
//! steady state for the slot's power (T(P) = 1 − α_s/(1 + P/P_sat) − α_ns, then
//! G = G₀·exp(−(G − 1)·P/P_sat)): exact when both recover within a slot (τ ≪ T_s), as in the
//! shipped rigs. The SOA's ASE (density S = n_sp·hν·(G − 1), the noise budget's formula) adds
//! in-phase noise of variance S·f_s/2 (f_s = 1/T_s) to each value, the same amount in quadrature,
//! which the twin carries as power, and S·(2B_o − f_s) of incoherent background. The trim holds
//! each vector's mean power at its entry value. Readout: balanced homodyne against a local
//! oscillator, with its shot and receiver noise.

use lightloop_base::rng::stream;
use lightloop_cost::noise::{ase_psd, spontaneous_emission_factor};
use lightloop_cost::optics::{absorber_transmission, loop_loss_db, saturated_gain};
use lightloop_rig::Rig;
use lightloop_rig::constants::{ELEMENTARY_CHARGE, photon_energy};
use rand_distr::{Distribution, StandardNormal};

/// Parameters of the loop's per-pass physics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopTwin {
    pub p_unit: f64,
    pub passive: f64,
    sa: (f64, f64, f64),
    soa_g0: f64,
    soa_p_sat: f64,
    nsp_hv: f64,
    fs: f64,
    b_o: f64,
    lo_power: f64,
    responsivity: f64,
    receiver_density: f64,
    symbol_period: f64,
    seed: u64,
}

/// The twin's state of one vector: in-phase values, and per-vector mean quadrature and
/// background powers (W).
#[derive(Debug, Clone, PartialEq)]
pub struct LoopState {
    pub x: Vec<f64>,
    pub quadrature: f64,
    pub background: f64,
}

impl LoopTwin {
    pub fn from_rig(rig: &Rig, lo_power: f64, seed: u64) -> Self {
        let soa = rig.soa.as_ref().expect("a loop needs an SOA");
        let g0 = soa.small_signal_gain.linear();
        let sa = rig
            .saturable_absorber
            .as_ref()
            .map(|a| {
                (
                    a.modulation_depth.si(),
                    a.nonsaturable_loss.si(),
                    a.saturation_power.si(),
                )
            })
            .unwrap_or((0.0, 0.0, 1.0));
        Self {
            p_unit: rig.laser.power.si() / rig.modulator.insertion_loss.linear(),
            passive: lightloop_rig::units::db_to_linear(-loop_loss_db(rig)),
            sa,
            soa_g0: g0,
            soa_p_sat: soa.saturation_power.si(),
            nsp_hv: spontaneous_emission_factor(soa.noise_figure.linear(), g0)
                * photon_energy(rig.topology.wavelength.si()),
            fs: 1.0 / rig.topology.symbol_period.si(),
            b_o: rig.passives.optical_filter_bandwidth.si(),
            lo_power,
            responsivity: rig.photodiode.responsivity.si(),
            receiver_density: rig.tia.input_noise_density.si(),
            symbol_period: rig.topology.symbol_period.si(),
            seed,
        }
    }

    pub fn enter(&self, x: &[f64]) -> LoopState {
        LoopState {
            x: x.to_vec(),
            quadrature: 0.0,
            background: 0.0,
        }
    }

    /// One pass of vector `state` through ternary `a` (row-major d×d) with the mesh amplitude
    /// `kappa` (`lightloop_cost::optics::mesh_amplitude`), holding mean power `target` (W). Noise
    /// from stream (seed, "twin.loop", vector, pass).
    pub fn pass(
        &self,
        a: &[i8],
        kappa: f64,
        state: &mut LoopState,
        target: f64,
        vector: u64,
        pass: u64,
    ) {
        let d = state.x.len();
        let mut rng = stream(self.seed, "twin.loop", vector, pass);
        let k2 = kappa * kappa;
        let mut out = vec![0.0; d];
        let (mut quad_sum, mut bg_sum) = (0.0, 0.0);
        for (i, o) in out.iter_mut().enumerate() {
            let row = &a[i * d..(i + 1) * d];
            let (mut acc, mut nnz) = (0.0, 0.0);
            for (w, x) in row.iter().zip(&state.x) {
                match w {
                    1 => {
                        acc += x;
                        nnz += 1.0;
                    }
                    -1 => {
                        acc -= x;
                        nnz += 1.0;
                    }
                    _ => {}
                }
            }
            // Quadrature noise and background mix by power like the background in the physics.
            let pre = kappa * acc;
            let z: f64 = StandardNormal.sample(&mut rng);
            let (x, quad, bg) = self.node(
                pre,
                k2 * nnz * state.quadrature,
                k2 * nnz * state.background,
                z,
            );
            *o = x;
            quad_sum += quad;
            bg_sum += bg;
        }
        let (quad, bg) = (quad_sum / d as f64, bg_sum / d as f64);
        let p = out.iter().map(|x| x * x).sum::<f64>() / d as f64 * self.p_unit + quad + bg;
        let trim = (target / p).min(1.0);
        let amp = trim.sqrt();
        state.x = out.into_iter().map(|x| x * amp).collect();
        state.quadrature = quad * trim;
        state.background = bg * trim;
    }

    /// One slot through the absorber and the amplifier at their steady states: in-phase
    /// amplitude `pre` (value units), incoherent powers `quad` (quadrature noise) and `bg`
    /// (background) in W, and `z` a standard normal draw for the in-phase ASE (0 for a noiseless
    /// slot). Returns the same three after the amplifier.
    pub fn node(&self, pre: f64, quad: f64, bg: f64, z: f64) -> (f64, f64, f64) {
        let (alpha_s, alpha_ns, sa_p_sat) = self.sa;
        let p = (pre * pre) * self.p_unit + quad + bg;
        let t = absorber_transmission(alpha_s, alpha_ns, sa_p_sat, p);
        let g = saturated_gain(self.soa_g0, p * t, self.soa_p_sat);
        let s = ase_psd(1.0, self.nsp_hv, g);
        let in_phase_sd = (s * self.fs / 2.0 / self.p_unit).sqrt();
        (
            pre * (t * g).sqrt() + in_phase_sd * z,
            quad * t * g + s * self.fs / 2.0,
            bg * t * g + s * (2.0 * self.b_o - self.fs),
        )
    }

    /// Small-signal power transmission of the absorber times the amplifier's gain, T₀·G₀.
    pub fn small_signal_gain(&self) -> f64 {
        let (alpha_s, alpha_ns, _) = self.sa;
        (1.0 - alpha_s - alpha_ns) * self.soa_g0
    }

    /// Variance of one homodyne readout in value units for a state of mean power `p` (W).
    pub fn readout_variance(&self, p: f64) -> f64 {
        let b = 1.0 / (2.0 * self.symbol_period);
        let r = self.responsivity;
        let var = 2.0 * ELEMENTARY_CHARGE * r * (self.lo_power + p) * b
            + self.receiver_density.powi(2) * b;
        let gain = 2.0 * r * (self.lo_power * self.p_unit).sqrt();
        var / (gain * gain)
    }

    /// Homodyne readouts of a state (noise from stream (seed, "twin.readout", vector, pass)).
    pub fn read(&self, state: &LoopState, vector: u64, pass: u64) -> Vec<f64> {
        let mut rng = stream(self.seed, "twin.readout", vector, pass);
        let p_extra = state.quadrature + state.background;
        state
            .x
            .iter()
            .map(|x| {
                let sd = self.readout_variance(x * x * self.p_unit + p_extra).sqrt();
                let z: f64 = StandardNormal.sample(&mut rng);
                x + sd * z
            })
            .collect()
    }
}

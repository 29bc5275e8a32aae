//! The multi-channel ternary loop reservoir on the twin: every node is one slot of the rig's
//! coherent loop, and one step is
//!
//!   x(t+1) = a·φ(κ_mesh·A·x(t) + s·B·u(t) + b),
//!
//! with A a sparse random ternary mixing (realised by the passive mesh, κ_mesh = √T_passive/‖A‖₂
//! from the cost model, so the mesh never adds power), B a random binary input matrix, b a
//! random bias field, φ the rig's saturable absorber and SOA at steady state with the SOA's ASE
//! ([`lightloop_twin::LoopTwin::node`]) and a the loop's attenuator. The knob is the loop gain
//! g = a·√(T₀G₀)·κ_mesh·ρ̂(A), with ρ̂(A) = √(non-zeros per row) the circular-law estimate of
//! A's spectral radius (Girko; approximate for finite N): g is the small-signal spectral radius
//! of the linearised loop. The attenuator cannot amplify, so a > 1 is refused.
//!
//! Values are in-phase field amplitudes in units of √P_unit (the rig's laser power through the
//! modulator); the readout is homodyne (the value itself; its noise is added by the sensing
//! model of the readout, [`crate::sensing`]).

use super::{Reservoir, binary_mask, masked};
use crate::NnError;
use lightloop_base::rng::{Rng, normal, stream, uniform};
use lightloop_cost::optics::mesh_amplitude;
use lightloop_rig::Rig;
use lightloop_twin::LoopTwin;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TernarySettings {
    pub nodes: usize,
    /// Fraction of non-zero entries of A.
    pub density: f64,
    /// Loop gain g (small-signal spectral radius).
    pub loop_gain: f64,
    /// Input field scale s (value units per unit input).
    pub input_scaling: f64,
    /// Bias field amplitude: bᵢ uniform in ±bias.
    pub bias: f64,
    pub inner_noise: bool,
}

impl Default for TernarySettings {
    fn default() -> Self {
        Self {
            nodes: 400,
            density: 0.05,
            loop_gain: 0.95,
            input_scaling: 0.09,
            bias: 0.2,
            inner_noise: true,
        }
    }
}

pub struct TernaryReservoir {
    s: TernarySettings,
    /// Sparse rows of A: (column, ±1).
    rows: Vec<Vec<(u32, f64)>>,
    kappa: f64,
    attenuation: f64,
    mask: Vec<f64>,
    bias: Vec<f64>,
    inputs: usize,
    twin: LoopTwin,
    x: Vec<f64>,
    next: Vec<f64>,
    rng: Rng,
    seed: u64,
    /// Sequences started so far: each restart draws its noise from a new stream.
    sequence: u64,
}

impl TernaryReservoir {
    pub fn new(rig: &Rig, s: TernarySettings, inputs: usize, seed: u64) -> Result<Self, NnError> {
        if rig.soa.is_none() {
            return Err(NnError::Incompatible(format!(
                "rig `{}` has no SOA for the loop",
                rig.rig.name
            )));
        }
        if !(s.density > 0.0 && s.density <= 1.0) {
            return Err(NnError::Setting(format!(
                "the mixing density must lie in (0, 1], not {}",
                s.density
            )));
        }
        let n = s.nodes;
        let mut rng = stream(seed, "reservoir.ternary.mixing", 0, 0);
        let mut dense = vec![0i8; n * n];
        for w in dense.iter_mut() {
            let v = uniform(&mut rng);
            *w = if v < s.density / 2.0 {
                -1
            } else if v < s.density {
                1
            } else {
                0
            };
        }
        let rows: Vec<Vec<(u32, f64)>> = (0..n)
            .map(|i| {
                (0..n)
                    .filter(|j| dense[i * n + j] != 0)
                    .map(|j| (j as u32, dense[i * n + j] as f64))
                    .collect()
            })
            .collect();
        let kappa = mesh_amplitude(rig, &dense, n);
        let twin = LoopTwin::from_rig(rig, 0.0, seed);
        let nnz = rows.iter().map(Vec::len).sum::<usize>() as f64 / n as f64;
        let attenuation =
            s.loop_gain / (twin.small_signal_gain().sqrt() * kappa * nnz.sqrt().max(1e-12));
        if attenuation > 1.0 {
            return Err(NnError::Incompatible(format!(
                "a loop gain of {} needs an attenuator transmission of {attenuation:.3} > 1: the absorber, SOA and mesh of rig `{}` cannot provide it",
                s.loop_gain, rig.rig.name
            )));
        }
        let mut brng = stream(seed, "reservoir.ternary.bias", 0, 0);
        Ok(Self {
            rows,
            kappa,
            attenuation,
            mask: binary_mask(n, inputs, seed, "reservoir.ternary.input"),
            bias: (0..n)
                .map(|_| s.bias * (2.0 * uniform(&mut brng) - 1.0))
                .collect(),
            inputs: inputs.max(1),
            twin,
            x: vec![0.0; n],
            next: vec![0.0; n],
            rng: stream(seed, "reservoir.ternary.ase", 0, 0),
            seed,
            sequence: 0,
            s,
        })
    }
}

impl Reservoir for TernaryReservoir {
    fn nodes(&self) -> usize {
        self.s.nodes
    }

    fn step(&mut self, u: &[f64], out: &mut [f64]) {
        let scale = self.s.input_scaling / self.inputs as f64;
        for (i, nx) in self.next.iter_mut().enumerate() {
            let mixed: f64 = self.rows[i]
                .iter()
                .map(|(j, w)| w * self.x[*j as usize])
                .sum();
            let pre = self.kappa * mixed + scale * masked(&self.mask, u, i) + self.bias[i];
            let z = if self.s.inner_noise {
                normal(&mut self.rng)
            } else {
                0.0
            };
            *nx = self.attenuation * self.twin.node(pre, 0.0, 0.0, z).0;
        }
        std::mem::swap(&mut self.x, &mut self.next);
        out.copy_from_slice(&self.x);
    }

    fn reset(&mut self) {
        self.x.iter_mut().for_each(|v| *v = 0.0);
        self.sequence += 1;
        self.rng = stream(self.seed, "reservoir.ternary.ase", self.sequence, 0);
    }

    fn state(&self) -> Option<Vec<f64>> {
        Some(self.x.clone())
    }

    fn set_state(&mut self, state: &[f64]) {
        self.x.copy_from_slice(state);
    }
}

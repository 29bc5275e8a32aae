//! Reservoirs: fixed dynamical systems driven by an input, of which only a linear readout is
//! trained. Every model here turns one input step into one vector of node readouts.
//!
//! | model | dynamics | runs on |
//! |---|---|---|
//! | `esn` | software echo-state network, tanh nodes | digital reference |
//! | `delay-mg` | one Mackey–Glass node with a delay loop (the model of Appeltant et al., Nat. Commun. 2, 468, 2011), settings tuned here | ODE |
//! | `delay-appeltant` | the same, at Appeltant's published settings | ODE |
//! | `delay-ikeda` | one electro-optic (Ikeda, sin²) node with a delay loop (Larger et al., Opt. Express 20, 3241, 2012) | ODE |
//! | `soa-twin` | the rig's fibre loop: saturable absorber + SOA as the node | twin |
//! | `soa-engine` | the same loop, sample by sample, with carrier dynamics and ASE | physics engine |
//! | `ternary` | x ← a·φ(κ·A·x + s·B·u + b), ternary A through the mesh, binary input mask B, attenuator a setting the loop gain g, φ the absorber + SOA | twin |
//! | `linear` | the baseline: a tapped delay line of the input (the best any linear reservoir can do) | digital reference |

pub mod delay;
pub mod linear;
pub mod photonic;
pub mod ternary;

use crate::NnError;
use crate::esn::{Esn, EsnSettings};
use lightloop_rig::Rig;
use std::fmt;
use std::str::FromStr;

/// A reservoir driven one input step at a time.
pub trait Reservoir: Send {
    /// Node readouts per step.
    fn nodes(&self) -> usize;
    /// Takes one input step `u` (one value per input dimension, scaled to [0, 1]) and writes
    /// the node readouts after it into `out` (length [`Reservoir::nodes`]).
    fn step(&mut self, u: &[f64], out: &mut [f64]);
    /// Back to the rest state, as between independent sequences.
    fn reset(&mut self);
    /// The complete dynamical state (delay-line contents, node values), for the Lyapunov
    /// exponent; `None` where the state is not a plain vector (the physics engine's parts).
    fn state(&self) -> Option<Vec<f64>>;
    /// Sets the state returned by [`Reservoir::state`].
    fn set_state(&mut self, state: &[f64]);
}

/// The reservoir models, by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Esn,
    DelayMg,
    DelayAppeltant,
    DelayIkeda,
    SoaTwin,
    SoaEngine,
    Ternary,
    Linear,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Esn,
        Kind::DelayMg,
        Kind::DelayAppeltant,
        Kind::DelayIkeda,
        Kind::SoaTwin,
        Kind::SoaEngine,
        Kind::Ternary,
        Kind::Linear,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Esn => "esn",
            Kind::DelayMg => "delay-mg",
            Kind::DelayAppeltant => "delay-appeltant",
            Kind::DelayIkeda => "delay-ikeda",
            Kind::SoaTwin => "soa-twin",
            Kind::SoaEngine => "soa-engine",
            Kind::Ternary => "ternary",
            Kind::Linear => "linear",
        }
    }

    /// What the model's gain knob is, and its default.
    pub fn gain_meaning(self) -> (&'static str, f64) {
        match self {
            Kind::Esn => ("spectral radius ρ", 0.95),
            Kind::DelayMg => ("feedback strength η", 0.7),
            Kind::DelayAppeltant => ("feedback strength η", 0.4),
            Kind::DelayIkeda => ("feedback strength β", 0.6),
            Kind::SoaTwin | Kind::SoaEngine => ("round-trip gain at the operating point", 0.9),
            Kind::Ternary => ("loop gain g (small-signal spectral radius)", 0.95),
            Kind::Linear => ("input gain (a linear readout undoes it)", 1.0),
        }
    }

    /// Default number of nodes.
    pub fn default_nodes(self) -> usize {
        match self {
            Kind::SoaEngine => 100,
            _ => 400,
        }
    }

    /// What a reader of the model's scores should know, where there is something.
    pub fn caveat(self) -> Option<&'static str> {
        match self {
            Kind::DelayAppeltant => Some(
                "at Appeltant 2011's settings (docs/references.md) the node's argument X + γ·J stays \
below 0.01 in size (γ·m·u ≤ 0.005 with inputs in [0, 1]), where F is linear to 1 %: a nearly \
linear reservoir. Its NARMA10 error does not reproduce the published 0.15 and is no better than \
the `linear` baseline's (a tapped delay line); a stronger input does not help at p = 1 \
(`lightloop reservoir sweep --model delay-appeltant --input-scale`). delay-mg is the same node \
at settings tuned here.",
            ),
            Kind::SoaTwin => Some(
                "the loop's own ASE is on unless --no-inner-noise switches it off; it is the \
rig's amplifier, not the readout, so an ideal readout keeps it. With the seed rig it holds \
NARMA10 near the `linear` baseline's error, while the same loop with noiseless amplifiers and an \
ideal readout reaches about 0.1: the loop's nonlinearity is there, its ASE hides it.",
            ),
            Kind::SoaEngine => Some(
                "the rig's fibre loop of soa-twin, run sample by sample on the time-domain \
physics engine (the SOA's carrier dynamics and its sampled ASE), 100 nodes unless --nodes says \
otherwise. Its ASE is the engine's and cannot be switched off: --no-inner-noise is refused for \
it, and a suite run with that flag keeps its noise on. The ASE is the rig's amplifier, not the \
readout, so an ideal readout keeps it; with the seed rig it holds NARMA10 near the `linear` \
baseline's error, as soa-twin does with its ASE on (soa-twin with --no-inner-noise shows the \
loop without it). Its state is not a vector, so it has no Lyapunov exponent.",
            ),
            _ => None,
        }
    }

    /// Whether the gain knob changes what the model can compute (it does not for the linear
    /// baseline, so a gain sweep of it has nothing to show).
    pub fn has_gain(self) -> bool {
        self != Kind::Linear
    }

    /// Whether the model's own dynamics are noisy (ASE inside the loop) unless
    /// [`Spec::inner_noise`] is off.
    pub fn noisy_inside(self) -> bool {
        matches!(self, Kind::SoaTwin | Kind::SoaEngine | Kind::Ternary)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Self, NnError> {
        Kind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Kind::ALL.iter().map(|m| m.name()).collect();
                NnError::Setting(format!(
                    "unknown reservoir model `{s}` (known: {})",
                    names.join(", ")
                ))
            })
    }
}

/// Everything that picks one reservoir.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    pub model: Kind,
    pub nodes: usize,
    /// The model's gain knob ([`Kind::gain_meaning`]); `None` for its default.
    pub gain: Option<f64>,
    /// Scale of the input drive relative to the model's default (1 = default).
    pub input_scale: f64,
    /// Noise inside the reservoir (ASE); off for noiseless and Lyapunov runs. The physics
    /// engine's noise cannot be switched off.
    pub inner_noise: bool,
    pub seed: u64,
}

impl Spec {
    pub fn new(model: Kind, seed: u64) -> Self {
        Self {
            model,
            nodes: model.default_nodes(),
            gain: None,
            input_scale: 1.0,
            inner_noise: true,
            seed,
        }
    }

    pub fn gain(&self) -> f64 {
        self.gain.unwrap_or(self.model.gain_meaning().1)
    }

    /// Whether the reservoir built from this spec is noisy inside: a model with noise of its
    /// own, with `inner_noise` on (the physics engine refuses it off).
    pub fn noisy_inside(&self) -> bool {
        self.model.noisy_inside() && self.inner_noise
    }
}

/// Builds the reservoir of `spec` for `inputs` input dimensions on `rig`.
pub fn build(spec: &Spec, rig: &Rig, inputs: usize) -> Result<Box<dyn Reservoir>, NnError> {
    if spec.nodes == 0 {
        return Err(NnError::Setting(
            "a reservoir needs at least one node".into(),
        ));
    }
    let gain = spec.gain();
    if !(gain.is_finite() && gain >= 0.0) {
        return Err(NnError::Setting(format!(
            "the gain must be a finite number ≥ 0, not {gain}"
        )));
    }
    Ok(match spec.model {
        Kind::Esn => {
            let s = EsnSettings {
                nodes: spec.nodes,
                spectral_radius: gain,
                input_scaling: EsnSettings::default().input_scaling * spec.input_scale,
                ..EsnSettings::default()
            };
            Box::new(Esn::new(&s, inputs, spec.seed))
        }
        Kind::DelayMg | Kind::DelayAppeltant | Kind::DelayIkeda => {
            let mut s = match spec.model {
                Kind::DelayMg => delay::DelaySettings::mackey_glass(),
                Kind::DelayAppeltant => delay::DelaySettings::appeltant(),
                _ => delay::DelaySettings::ikeda(),
            };
            s.nodes = spec.nodes;
            s.feedback = gain;
            s.input_scaling *= spec.input_scale;
            Box::new(delay::DelayReservoir::new(s, inputs, spec.seed))
        }
        Kind::SoaTwin | Kind::SoaEngine => {
            let s = photonic::LoopSettings {
                nodes: spec.nodes,
                round_trip_gain: gain,
                input_depth: photonic::LoopSettings::default().input_depth * spec.input_scale,
                inner_noise: spec.inner_noise,
                ..Default::default()
            };
            if spec.model == Kind::SoaTwin {
                Box::new(photonic::TwinLoop::new(rig, s, inputs, spec.seed)?)
            } else {
                Box::new(photonic::EngineLoop::new(rig, s, inputs, spec.seed)?)
            }
        }
        Kind::Ternary => {
            let s = ternary::TernarySettings {
                nodes: spec.nodes,
                loop_gain: gain,
                input_scaling: ternary::TernarySettings::default().input_scaling * spec.input_scale,
                inner_noise: spec.inner_noise,
                ..Default::default()
            };
            Box::new(ternary::TernaryReservoir::new(rig, s, inputs, spec.seed)?)
        }
        Kind::Linear => Box::new(linear::TappedDelayLine::new(
            spec.nodes,
            gain * spec.input_scale,
        )),
    })
}

/// Random binary mask values ±1 (`nodes × inputs`, row-major) from stream (seed, purpose).
pub(crate) fn binary_mask(nodes: usize, inputs: usize, seed: u64, purpose: &str) -> Vec<f64> {
    let mut rng = lightloop_base::rng::stream(seed, purpose, 0, 0);
    (0..nodes * inputs)
        .map(|_| {
            if lightloop_base::rng::uniform(&mut rng) < 0.5 {
                -1.0
            } else {
                1.0
            }
        })
        .collect()
}

/// Σ_d mask[i·inputs + d]·u_d: the masked input of node i.
#[inline]
pub(crate) fn masked(mask: &[f64], u: &[f64], i: usize) -> f64 {
    let n = u.len();
    mask[i * n..(i + 1) * n]
        .iter()
        .zip(u)
        .map(|(m, v)| m * v)
        .sum()
}

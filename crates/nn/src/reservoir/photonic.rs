//! The rig's own fibre loop as a delay reservoir: N time slots of length θ (the rig's symbol
//! period) circulate in a loop of delay τ = (N + s)·θ, desynchronised by s slots so that
//! neighbouring virtual nodes couple (Paquot et al., Sci. Rep. 2, 287, 2012; Duport et al.,
//! Opt. Express 20, 22783, 2012). Each slot passes the rig's saturable absorber and SOA, the
//! node's nonlinearity; a tap feeds a photodiode, whose reading is the node's value; a passive
//! attenuator α sets the round-trip gain at the operating point, g = α·T(P*)·G(P*): the
//! absorber's transmission times the SOA's saturated gain at the power P* = b·P_s/(1 − g) that
//! the loop settles to under the input's bias alone (steady-state transfers of the twin, used to
//! calibrate both implementations; the calibration counts the ASE's mean power as output, so
//! the signal's own round-trip gain is slightly below g).
//!
//! Input: a modulator and an attenuator add P_in,i = P_s·clamp(b + d·Jᵢ, 0, 1) to slot i, with
//! Jᵢ the input masked by a random binary mask (±1, averaged over input dimensions), bias b and
//! depth d. The scale P_s puts the operating point at P* = k·P_sat/G₀ (k the saturation
//! depth, P_sat/G₀ the SOA's input saturation power): far above it the SOA's output power no
//! longer depends on its input and the node forgets everything.
//!
//! Simplifications (stated in the output): the input light and the circulating light add in
//! power (incoherently: a second wavelength or a decorrelated path), so the loop carries power
//! only; the tap is lossless; the slot's power is detected as a whole.
//!
//! Two implementations share this structure:
//! - [`TwinLoop`]: each slot through the twin's steady-state absorber and SOA
//!   ([`lightloop_twin::LoopTwin::node`]), with the ASE of the one noise budget;
//! - [`EngineLoop`]: each block of N slots through the physics engine's absorber and SOA
//!   (carrier dynamics, so gain patterning between slots, and sampled ASE).

use super::{Reservoir, binary_mask, masked};
use crate::NnError;
use lightloop_base::rng::{Rng, normal, stream};
use lightloop_physics::saturable_absorber::SaturableAbsorber;
use lightloop_physics::soa::Soa;
use lightloop_physics::{Clock, Light, Stage};
use lightloop_rig::Rig;
use lightloop_twin::LoopTwin;
use num_complex::Complex64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoopSettings {
    pub nodes: usize,
    /// Round-trip gain at the operating point, g = α·T(P*)·G(P*), below 1.
    pub round_trip_gain: f64,
    /// Modulation depth d of the input around the bias.
    pub input_depth: f64,
    /// Input bias b (fraction of the input scale P_s).
    pub bias: f64,
    /// Saturation depth k: the operating point in units of the SOA's input saturation power.
    pub saturation_depth: f64,
    /// Desynchronisation s, in slots.
    pub desync: usize,
    /// ASE inside the loop (the twin only; the engine is always noisy).
    pub inner_noise: bool,
}

impl Default for LoopSettings {
    fn default() -> Self {
        Self {
            nodes: 100,
            round_trip_gain: 0.9,
            input_depth: 0.5,
            bias: 0.5,
            saturation_depth: 0.3,
            desync: 1,
            inner_noise: true,
        }
    }
}

/// What both implementations share: the mask, the delay line of slot powers, the attenuator.
#[derive(Debug, Clone)]
struct Line {
    s: LoopSettings,
    mask: Vec<f64>,
    inputs: usize,
    /// Powers that left the node over the last τ, oldest at `pos`, W.
    ring: Vec<f64>,
    pos: usize,
    alpha: f64,
    /// Power of a value of 1 at the readout (the modulator's output, P_u), W.
    p_unit: f64,
    /// Input power scale P_s, W.
    p_scale: f64,
}

impl Line {
    fn new(rig: &Rig, s: LoopSettings, inputs: usize, seed: u64) -> Result<Self, NnError> {
        if rig.soa.is_none() {
            return Err(NnError::Incompatible(format!(
                "rig `{}` has no SOA for the loop's node",
                rig.rig.name
            )));
        }
        let g = s.round_trip_gain;
        if !(0.0..1.0).contains(&g) {
            return Err(NnError::Setting(format!(
                "the loop's round-trip gain must lie in [0, 1) for a fading memory, not {g}"
            )));
        }
        let p_unit = rig.laser.power.si() / rig.modulator.insertion_loss.linear();
        let twin = LoopTwin::from_rig(rig, 0.0, seed);
        let soa = rig.soa.as_ref().expect("checked above");
        let p_star =
            s.saturation_depth * soa.saturation_power.si() / soa.small_signal_gain.linear();
        let p_scale = p_star * (1.0 - g) / s.bias.max(1e-9);
        if p_scale > p_unit {
            return Err(NnError::Incompatible(format!(
                "the operating point {p_star:.3e} W needs more input power than the modulator delivers ({p_unit:.3e} W)"
            )));
        }
        let (x, quad, bg) = twin.node((p_star / p_unit).sqrt(), 0.0, 0.0, 0.0);
        let tg = (x * x * p_unit + quad + bg) / p_star;
        let alpha = g / tg;
        if alpha > 1.0 {
            return Err(NnError::Incompatible(format!(
                "a round-trip gain of {g} needs more than the absorber and SOA give at the operating point (T·G = {tg:.3}): the attenuator cannot amplify"
            )));
        }
        Ok(Self {
            mask: binary_mask(s.nodes, inputs, seed, "reservoir.loop.mask"),
            inputs: inputs.max(1),
            ring: vec![0.0; s.nodes + s.desync],
            pos: 0,
            alpha,
            p_unit,
            p_scale,
            s,
        })
    }

    /// The power entering the node in slot i: fed back plus injected, W ([`Line::left`] then
    /// records what leaves and advances the line).
    fn entering(&mut self, u: &[f64], i: usize) -> f64 {
        let j = masked(&self.mask, u, i) / self.inputs as f64;
        let p_in = self.p_scale * (self.s.bias + self.s.input_depth * j).clamp(0.0, 1.0);
        self.alpha * self.ring[self.pos] + p_in
    }

    /// Records the power that left the node in the slot just entered.
    fn left(&mut self, p: f64) {
        self.ring[self.pos] = p;
        self.pos = (self.pos + 1) % self.ring.len();
    }

    fn state(&self) -> Vec<f64> {
        let (a, b) = self.ring.split_at(self.pos);
        b.iter().chain(a).map(|p| p / self.p_unit).collect()
    }

    fn set_state(&mut self, state: &[f64]) {
        for (r, v) in self.ring.iter_mut().zip(state) {
            *r = v * self.p_unit;
        }
        self.pos = 0;
    }
}

/// The loop on the twin.
pub struct TwinLoop {
    line: Line,
    twin: LoopTwin,
    rng: Rng,
    seed: u64,
    /// Sequences started so far: each restart draws its noise from a new stream.
    sequence: u64,
}

impl TwinLoop {
    pub fn new(rig: &Rig, s: LoopSettings, inputs: usize, seed: u64) -> Result<Self, NnError> {
        Ok(Self {
            line: Line::new(rig, s, inputs, seed)?,
            twin: LoopTwin::from_rig(rig, 0.0, seed),
            rng: stream(seed, "reservoir.loop.ase", 0, 0),
            seed,
            sequence: 0,
        })
    }
}

impl Reservoir for TwinLoop {
    fn nodes(&self) -> usize {
        self.line.s.nodes
    }

    fn step(&mut self, u: &[f64], out: &mut [f64]) {
        let pu = self.line.p_unit;
        for (i, o) in out.iter_mut().enumerate().take(self.line.s.nodes) {
            let p = self.line.entering(u, i);
            let z = if self.line.s.inner_noise {
                normal(&mut self.rng)
            } else {
                0.0
            };
            let (x, quad, bg) = self.twin.node((p / pu).sqrt(), 0.0, 0.0, z);
            let p_out = x * x * pu + quad + bg;
            self.line.left(p_out);
            *o = p_out / pu;
        }
    }

    fn reset(&mut self) {
        self.line.ring.iter_mut().for_each(|p| *p = 0.0);
        self.line.pos = 0;
        self.sequence += 1;
        self.rng = stream(self.seed, "reservoir.loop.ase", self.sequence, 0);
    }

    fn state(&self) -> Option<Vec<f64>> {
        Some(self.line.state())
    }

    fn set_state(&mut self, state: &[f64]) {
        self.line.set_state(state);
    }
}

/// The loop on the physics engine.
pub struct EngineLoop {
    line: Line,
    absorber: SaturableAbsorber,
    soa: Soa,
    fresh: (SaturableAbsorber, Soa),
    rng: Rng,
    seed: u64,
    sequence: u64,
    light: Light,
}

impl EngineLoop {
    pub fn new(rig: &Rig, s: LoopSettings, inputs: usize, seed: u64) -> Result<Self, NnError> {
        if !s.inner_noise {
            return Err(NnError::Setting(
                "the physics engine's noise cannot be switched off: use soa-twin for a noiseless loop"
                    .into(),
            ));
        }
        let clock = Clock::new(rig.topology.symbol_period.si(), 1);
        let soa = Soa::from_rig(rig, &clock).ok_or_else(|| {
            NnError::Incompatible(format!(
                "rig `{}` has no SOA for the loop's node",
                rig.rig.name
            ))
        })?;
        let absorber = SaturableAbsorber::from_rig(rig, &clock)
            .unwrap_or_else(|| SaturableAbsorber::new(0.0, 0.0, 1.0, 1e-12, clock.dt()));
        Ok(Self {
            line: Line::new(rig, s, inputs, seed)?,
            fresh: (absorber.clone(), soa.clone()),
            absorber,
            soa,
            rng: stream(seed, "reservoir.loop.engine", 0, 0),
            seed,
            sequence: 0,
            light: Light::dark(s.nodes),
        })
    }
}

impl Reservoir for EngineLoop {
    fn nodes(&self) -> usize {
        self.line.s.nodes
    }

    fn step(&mut self, u: &[f64], out: &mut [f64]) {
        let n = self.line.s.nodes;
        // Every slot's feedback left the node at least N slots ago: the whole block's entering
        // powers are known before the block passes the parts.
        let start = self.line.pos;
        for i in 0..n {
            let p = self.line.entering(u, i);
            self.light.field[i] = Complex64::new(p.sqrt(), 0.0);
            self.light.background[i] = 0.0;
            self.line.pos = (self.line.pos + 1) % self.line.ring.len();
        }
        self.absorber.process(&mut self.light, &mut self.rng);
        self.soa.process(&mut self.light, &mut self.rng);
        self.line.pos = start;
        for (i, o) in out.iter_mut().enumerate().take(n) {
            let p = self.light.field[i].norm_sqr() + self.light.background[i];
            self.line.left(p);
            *o = p / self.line.p_unit;
        }
    }

    fn reset(&mut self) {
        self.line.ring.iter_mut().for_each(|p| *p = 0.0);
        self.line.pos = 0;
        (self.absorber, self.soa) = self.fresh.clone();
        self.sequence += 1;
        self.rng = stream(self.seed, "reservoir.loop.engine", self.sequence, 0);
    }

    fn state(&self) -> Option<Vec<f64>> {
        None
    }

    fn set_state(&mut self, _state: &[f64]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The twin's steady-state node against the engine's carrier dynamics on the seed rig (SOA
    /// recovery 200 ps ≪ 6 ns slot): the node values' mean and standard deviation over a run
    /// agree within 5 %.
    #[test]
    fn twin_loop_matches_the_engine_loop() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let s = LoopSettings {
            nodes: 50,
            ..LoopSettings::default()
        };
        let mut twin = TwinLoop::new(&rig, s, 1, 4).unwrap();
        let mut engine = EngineLoop::new(&rig, s, 1, 4).unwrap();
        let mut rng = stream(4, "test.input", 0, 0);
        let (mut a, mut b) = (vec![0.0; 50], vec![0.0; 50]);
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        for k in 0..600 {
            let u = [lightloop_base::rng::uniform(&mut rng)];
            twin.step(&u, &mut a);
            engine.step(&u, &mut b);
            if k >= 100 {
                ta.extend_from_slice(&a);
                tb.extend_from_slice(&b);
            }
        }
        let stats = |v: &[f64]| {
            let m = v.iter().sum::<f64>() / v.len() as f64;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
            (m, sd)
        };
        let ((ma, sa), (mb, sb)) = (stats(&ta), stats(&tb));
        assert!((ma / mb - 1.0).abs() < 0.05, "mean {ma} vs {mb}");
        assert!((sa / sb - 1.0).abs() < 0.05, "sd {sa} vs {sb}");
    }
}

//! The closed analog loop of tier B: the state stays optical for many passes of linear mixing,
//! a saturable absorber and an SOA, with per-pass gain trim.
//!
//! The state is the coherent field of d = channels × slots time slots (one complex sample per
//! slot, sampled at the symbol rate; the SOA and absorber integrate their dynamics over each slot
//! in time order, so gain patterning between slots is kept). Values are signed field amplitudes
//! in units of √P_unit, P_unit the power a value of 1 carries at loop entry (laser power through
//! the modulator's insertion loss). Signed weights need interference, so the loop is coherent:
//! one laser feeds every slot, and the mixing network is a programmable interferometric mesh.
//!
//! One pass: mixing E ← κ·A·E with A ternary and κ = √T_passive / ‖A‖₂ so that the mesh is
//! passive (it cannot add power; the loop's passive loss T_passive follows the rig); incoherent
//! background mixes by power through κ²·|A|; then per channel the absorber and the SOA (with its
//! ASE); then a variable attenuator (the trim) holds the state's mean power at its entry value.
//! A gain too small to hold it lets the state decay; a fixed trim that overshoots lets it run
//! away; both, and any non-finite value, are reported as [`Instability`].
//!
//! Simplifications: mixing is applied at once per pass (the time-multiplexed tiles that realise it
//! take time but do not change the field); the laser's phase noise is treated as common to all
//! paths of a pass (equal path lengths in the mesh); crosstalk inside the mesh is not modelled;
//! the modulator encodes signed amplitudes without an extinction floor.

use crate::rng::{Rng, normal, stream};
use crate::saturable_absorber::SaturableAbsorber;
use crate::signal::{Clock, Light};
use crate::soa::Soa;
use crate::stage::Stage;
use lightloop_cost::Ledger;
use lightloop_rig::Rig;
use lightloop_rig::constants::ELEMENTARY_CHARGE;
use num_complex::Complex64;
use serde::Serialize;

/// How the loop sets its per-pass trim.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Trim {
    /// Hold the state's mean power at its entry value (attenuate only).
    Hold,
    /// A fixed power transmission after the SOA.
    Fixed(f64),
}

/// Why a loop run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Instability {
    /// Mean power fell below 10⁻³ of its entry value: net gain < 1.
    Decay { pass: usize },
    /// Mean power rose above 10³ times its entry value: net gain > 1.
    Runaway { pass: usize },
    /// A field became NaN or infinite.
    NonFinite { pass: usize },
}

/// A ternary matrix for the loop's mixing, row-major, rows = outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixing {
    pub d: usize,
    pub weights: Vec<i8>,
}

impl Mixing {
    pub fn identity(d: usize) -> Self {
        let mut w = vec![0i8; d * d];
        (0..d).for_each(|i| w[i * d + i] = 1);
        Self { d, weights: w }
    }

    /// A pseudo-random ternary matrix with a fraction `density` of nonzero weights.
    pub fn random(d: usize, density: f64, seed: u64) -> Self {
        let mut rng = stream(seed, "loop.mixing", d as u64, 0);
        let w = (0..d * d)
            .map(|_| {
                let u = crate::rng::uniform(&mut rng);
                if u < density / 2.0 {
                    -1
                } else if u < density {
                    1
                } else {
                    0
                }
            })
            .collect();
        Self { d, weights: w }
    }

    /// Largest singular value ‖A‖₂.
    pub fn spectral_norm(&self) -> f64 {
        lightloop_cost::optics::ternary_spectral_norm(&self.weights, self.d)
    }
}

/// Readout by balanced homodyne detection against a local oscillator from the same laser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Homodyne {
    pub lo_power: f64,
    pub responsivity: f64,
    pub receiver_density: f64,
    pub symbol_period: f64,
}

impl Homodyne {
    /// The in-phase readout of one slot in value units: Re(E)/√P_unit plus the readout's noise,
    /// shot 2q·R(P_LO + |E|² + background)·B and receiver i_n²·B with B = 1/(2T_s), referred
    /// through the homodyne gain 2R√(P_LO·P_unit).
    pub fn read(&self, e: Complex64, background: f64, p_unit: f64, rng: &mut Rng) -> f64 {
        let b = 1.0 / (2.0 * self.symbol_period);
        let r = self.responsivity;
        let i_dc = r * (self.lo_power + e.norm_sqr() + background);
        let var = 2.0 * ELEMENTARY_CHARGE * i_dc * b + self.receiver_density.powi(2) * b;
        let gain = 2.0 * r * (self.lo_power * p_unit).sqrt();
        (gain * e.re / p_unit.sqrt() + var.sqrt() * normal(rng)) / gain
    }
}

/// The loop of one rig.
pub struct AnalogLoop {
    pub channels: usize,
    pub slots: usize,
    pub mixing: Mixing,
    /// κ: amplitude scale of the passive mesh.
    pub kappa: f64,
    pub soas: Vec<Soa>,
    pub absorbers: Vec<SaturableAbsorber>,
    pub trim: Trim,
    /// Power of a value of 1, W.
    pub p_unit: f64,
    pub homodyne: Homodyne,
    rngs: Vec<Rng>,
    readout_rng: Rng,
    elapsed: f64,
    last_trim: f64,
}

impl AnalogLoop {
    /// The loop of `rig` for a state of `channels × slots` values, mixing `mixing`, local
    /// oscillator `lo_power`, random streams of run `trial`.
    pub fn from_rig(
        rig: &Rig,
        mixing: Mixing,
        channels: usize,
        slots: usize,
        lo_power: f64,
        seed: u64,
        trial: u64,
    ) -> Self {
        assert_eq!(
            mixing.d,
            channels * slots,
            "the mixing must be (channels·slots)²"
        );
        let clock = Clock::new(rig.topology.symbol_period.si(), 1);
        let soas = (0..channels)
            .map(|_| {
                Soa::from_rig(rig, &clock)
                    .expect("a loop needs an SOA (rig validation requires an amplifier)")
            })
            .collect();
        let absorbers = (0..channels)
            .map(|_| {
                SaturableAbsorber::from_rig(rig, &clock)
                    .unwrap_or_else(|| SaturableAbsorber::new(0.0, 0.0, 1.0, 1e-12, clock.dt()))
            })
            .collect();
        Self {
            channels,
            slots,
            kappa: lightloop_cost::optics::mesh_amplitude(rig, &mixing.weights, mixing.d),
            mixing,
            soas,
            absorbers,
            trim: Trim::Hold,
            p_unit: rig.laser.power.si() / rig.modulator.insertion_loss.linear(),
            homodyne: Homodyne {
                lo_power,
                responsivity: rig.photodiode.responsivity.si(),
                receiver_density: rig.tia.input_noise_density.si(),
                symbol_period: rig.topology.symbol_period.si(),
            },
            rngs: (0..channels)
                .map(|c| stream(seed, "loop.soa", c as u64, trial))
                .collect(),
            readout_rng: stream(seed, "loop.readout", 0, trial),
            elapsed: 0.0,
            last_trim: 1.0,
        }
    }

    /// Restarts the loop for run `trial`: amplifiers and absorbers back to their unsaturated
    /// state, fresh random streams (the mesh, computed once, is kept).
    pub fn reset(&mut self, rig: &Rig, seed: u64, trial: u64) {
        let clock = Clock::new(rig.topology.symbol_period.si(), 1);
        for s in self.soas.iter_mut() {
            *s = Soa::from_rig(rig, &clock).expect("a loop needs an SOA");
        }
        for a in self.absorbers.iter_mut() {
            if let Some(fresh) = SaturableAbsorber::from_rig(rig, &clock) {
                *a = fresh;
            }
        }
        self.rngs = (0..self.channels)
            .map(|c| stream(seed, "loop.soa", c as u64, trial))
            .collect();
        self.readout_rng = stream(seed, "loop.readout", 0, trial);
        self.elapsed = 0.0;
        self.last_trim = 1.0;
    }

    /// The loop's entry: fields for values x ∈ [−1, 1], no background.
    pub fn enter(&self, x: &[f64]) -> (Vec<Complex64>, Vec<f64>) {
        let a = self.p_unit.sqrt();
        (
            x.iter().map(|v| Complex64::new(v * a, 0.0)).collect(),
            vec![0.0; x.len()],
        )
    }

    /// Mean power of a state, W.
    pub fn mean_power(field: &[Complex64], background: &[f64]) -> f64 {
        field
            .iter()
            .zip(background)
            .map(|(e, b)| e.norm_sqr() + b)
            .sum::<f64>()
            / field.len().max(1) as f64
    }

    /// One pass in place; `target` is the mean power the trim holds.
    pub fn pass(
        &mut self,
        field: &mut [Complex64],
        background: &mut [f64],
        target: f64,
        pass: usize,
    ) -> Result<(), Instability> {
        let d = self.mixing.d;
        let k2 = self.kappa * self.kappa;
        let mut mixed = vec![Complex64::new(0.0, 0.0); d];
        let mut mixed_bg = vec![0.0; d];
        for i in 0..d {
            let row = &self.mixing.weights[i * d..(i + 1) * d];
            let (mut acc, mut bg) = (Complex64::new(0.0, 0.0), 0.0);
            for (j, w) in row.iter().enumerate() {
                match w {
                    1 => {
                        acc += field[j];
                        bg += background[j];
                    }
                    -1 => {
                        acc -= field[j];
                        bg += background[j];
                    }
                    _ => {}
                }
            }
            mixed[i] = acc * self.kappa;
            mixed_bg[i] = bg * k2;
        }
        // Absorber and amplifier per channel, slots in time order.
        let s = self.slots;
        for c in 0..self.channels {
            let mut light = Light {
                field: mixed[c * s..(c + 1) * s].to_vec(),
                background: mixed_bg[c * s..(c + 1) * s].to_vec(),
            };
            self.absorbers[c].process(&mut light, &mut self.rngs[c]);
            self.soas[c].process(&mut light, &mut self.rngs[c]);
            field[c * s..(c + 1) * s].copy_from_slice(&light.field);
            background[c * s..(c + 1) * s].copy_from_slice(&light.background);
        }
        // Trim.
        let p = Self::mean_power(field, background);
        let t = match self.trim {
            Trim::Hold => (target / p).min(1.0),
            Trim::Fixed(t) => t,
        };
        self.last_trim = t;
        let a = t.sqrt();
        field.iter_mut().for_each(|e| *e *= a);
        background.iter_mut().for_each(|b| *b *= t);
        self.elapsed += s as f64 * self.homodyne.symbol_period;
        let p = Self::mean_power(field, background);
        if !p.is_finite() || field.iter().any(|e| !e.re.is_finite() || !e.im.is_finite()) {
            return Err(Instability::NonFinite { pass });
        }
        if p < 1e-3 * target {
            return Err(Instability::Decay { pass });
        }
        if p > 1e3 * target {
            return Err(Instability::Runaway { pass });
        }
        Ok(())
    }

    /// Runs `passes` passes from values `x`, reading the state out (homodyne, non-destructively
    /// through a monitor tap) after every pass: `readouts[n][k]` is value k after pass n + 1.
    pub fn run(&mut self, x: &[f64], passes: usize) -> (Vec<Vec<f64>>, Option<Instability>) {
        let (mut field, mut background) = self.enter(x);
        let target = Self::mean_power(&field, &background);
        let mut readouts = Vec::with_capacity(passes);
        for n in 0..passes {
            if let Err(e) = self.pass(&mut field, &mut background, target, n + 1) {
                return (readouts, Some(e));
            }
            let rng = &mut self.readout_rng;
            readouts.push(
                field
                    .iter()
                    .zip(&background)
                    .map(|(e, b)| self.homodyne.read(*e, *b, self.p_unit, rng))
                    .collect(),
            );
        }
        (readouts, None)
    }

    /// The trim of the last pass (power transmission).
    pub fn last_trim(&self) -> f64 {
        self.last_trim
    }

    /// Seconds of loop operation so far.
    pub fn elapsed(&self) -> f64 {
        self.elapsed
    }

    /// Energy of the loop's amplifiers over the run.
    pub fn energy(&self) -> Ledger {
        let mut l = Ledger::default();
        for s in &self.soas {
            s.energy(self.elapsed, &mut l);
        }
        l
    }
}

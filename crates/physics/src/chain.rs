//! The reference chain of one channel, built from a rig: laser → modulator → TDM selector (when
//! the rig has one) → passive path →
//! SOA → saturable absorber → variable attenuator → photodiode → TIA → integrate-and-dump →
//! ternary comparator. Amplifiers and absorber are present when the rig has them.
//!
//! Symbols are ternary values {−1, 0, +1} sent as the intensity levels {0, ½, 1} of the
//! modulator's range; the comparator's thresholds are calibrated on a training block (see
//! [`ReferenceChain::calibrate`]).

use crate::clock::integrate;
use crate::comparator::Comparator;
use crate::coupler::Passive;
use crate::drift::{Drift, DriftModel};
use crate::laser::Laser;
use crate::modulator::Modulator;
use crate::photodiode::Photodiode;
use crate::rng::{Rng, stream};
use crate::saturable_absorber::SaturableAbsorber;
use crate::selector::Selector;
use crate::signal::{Clock, Light};
use crate::soa::Soa;
use crate::stage::{ElectricalStage, Stage};
use crate::tia::Tia;
use lightloop_cost::Ledger;
use lightloop_cost::levels::{Compression, Levels};
use lightloop_rig::Rig;
use serde::Serialize;

/// Simulation settings that are not part of the hardware description.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimSettings {
    pub seed: u64,
    pub samples_per_symbol: usize,
    /// Comparator metastability window, V.
    pub metastable_window: f64,
    pub drift: DriftModel,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            seed: 1,
            samples_per_symbol: 8,
            metastable_window: 1e-6,
            drift: DriftModel::default(),
        }
    }
}

/// Ternary symbol → modulator value.
pub fn level(symbol: i8) -> f64 {
    (symbol as f64 + 1.0) / 2.0
}

/// The training (and pilot) block: `n` rounds of −1, 0, +1.
pub fn training_pattern(n: usize) -> Vec<i8> {
    (0..3 * n).map(|k| (k % 3) as i8 - 1).collect()
}

/// Mean readout of each level (−1, 0, +1) given the symbols sent.
pub fn level_means(readout: &[f64], symbols: &[i8]) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut n = [0usize; 3];
    for (v, s) in readout.iter().zip(symbols) {
        let i = (*s + 1) as usize;
        sum[i] += v;
        n[i] += 1;
    }
    std::array::from_fn(|i| sum[i] / n[i].max(1) as f64)
}

/// The random streams of one chain run.
struct Streams {
    laser: Rng,
    soa: Rng,
    pd: Rng,
    clock: Rng,
    comparator: Rng,
    drift: Rng,
}

impl Streams {
    fn new(seed: u64, channel: u64, trial: u64) -> Self {
        Self {
            laser: stream(seed, "chain.laser", channel, trial),
            soa: stream(seed, "chain.soa", channel, trial),
            pd: stream(seed, "chain.receiver", channel, trial),
            clock: stream(seed, "chain.clock", channel, trial),
            comparator: stream(seed, "chain.comparator", channel, trial),
            drift: stream(seed, "chain.drift", channel, trial),
        }
    }
}

/// Mean shifts of the receiver's standard normal deviates for chosen symbols of a block, for
/// importance sampling ([`crate::instruments::rare`]). Symbol k's window is the photodiode's
/// deviates of samples k·sps − `lead` … (k+1)·sps − 1 (the TIA's input noise, fused with the
/// shot and ASE noise where a sample collects enough electrons, see
/// [`crate::photodiode::Photodiode::detect_with_tilted_noise`]) followed by the comparator's
/// input-noise deviate: `lead + sps + 1` coordinates. Windows must not overlap or start before
/// the block.
#[derive(Debug, Clone, Default)]
pub struct Tilt {
    /// Samples before each symbol's own in its window.
    pub lead: usize,
    /// The tilted symbols' indices in the block, increasing.
    pub symbols: Vec<usize>,
    /// Each tilted symbol's shift, one entry per coordinate of its window.
    pub shifts: Vec<Vec<f64>>,
    /// After a block: each tilted symbol's deviates as drawn, shift included.
    pub draws: Vec<Vec<f64>>,
}

impl Tilt {
    /// Adds the shifts to the photodiode's deviates `z` of a block and keeps the results.
    fn shift_receiver(&mut self, z: &mut [f64], sps: usize) {
        self.draws.resize(self.symbols.len(), Vec::new());
        for ((k, shift), draws) in self.symbols.iter().zip(&self.shifts).zip(&mut self.draws) {
            let first = k * sps - self.lead;
            let n = shift.len() - 1;
            draws.resize(n + 1, 0.0);
            for ((z, m), d) in z[first..first + n]
                .iter_mut()
                .zip(shift)
                .zip(draws.iter_mut())
            {
                *z += m;
                *d = *z;
            }
        }
    }
}

/// One channel's chain.
pub struct ReferenceChain {
    pub clock: Clock,
    pub laser: Laser,
    pub modulator: Modulator,
    /// The TDM selector, when the rig has one.
    pub selector: Option<Selector>,
    pub path: Passive,
    pub soa: Option<Soa>,
    pub absorber: Option<SaturableAbsorber>,
    /// Variable attenuator before the photodiode (sets the received power).
    pub attenuator: Passive,
    pub photodiode: Photodiode,
    pub tia: Tia,
    pub comparator: Comparator,
    pub drift: Drift,
    /// RMS jitter of the readout windows, in samples.
    jitter_samples: f64,
    streams: Streams,
    elapsed: f64,
    light: Light,
    current: Vec<f64>,
    /// Time spent per part, while timing is on ([`ReferenceChain::time_parts`]).
    timing: Option<PartTimes>,
}

/// Wall-clock seconds spent in each part of a chain, summed over the blocks sent while timing
/// was on: where a simulation's time goes (the physics benchmark prints it). Parts appear in
/// the chain's order; the attenuator is counted with the photodiode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartTimes {
    pub parts: Vec<(&'static str, f64)>,
}

impl PartTimes {
    fn add(&mut self, part: &'static str, seconds: f64) {
        match self.parts.iter_mut().find(|(p, _)| *p == part) {
            Some((_, s)) => *s += seconds,
            None => self.parts.push((part, seconds)),
        }
    }
}

/// Runs `f`, adding its wall-clock time to `part` when `timing` is on.
fn timed<R>(timing: &mut Option<PartTimes>, part: &'static str, f: impl FnOnce() -> R) -> R {
    match timing {
        None => f(),
        Some(t) => {
            let start = std::time::Instant::now();
            let r = f();
            t.add(part, start.elapsed().as_secs_f64());
            r
        }
    }
}

impl ReferenceChain {
    /// The chain of `channel` for run `trial`.
    pub fn from_rig(rig: &Rig, sim: &SimSettings, channel: u64, trial: u64) -> Self {
        let clock = Clock::new(rig.topology.symbol_period.si(), sim.samples_per_symbol);
        let jitter = (rig.clock.jitter.si().powi(2) + rig.adc.aperture_jitter.si().powi(2)).sqrt();
        // Nothing after the laser here is phase-sensitive: skip drawing its phase noise.
        let mut laser = Laser::from_rig(rig, &clock);
        laser.phase_noise = false;
        Self {
            laser,
            modulator: Modulator::from_rig(rig, &clock),
            selector: Selector::from_rig(rig, &clock, sim.seed, channel),
            path: Passive::rig_path(rig),
            soa: Soa::from_rig(rig, &clock),
            absorber: SaturableAbsorber::from_rig(rig, &clock),
            attenuator: Passive::loss_db("attenuator", 0.0),
            photodiode: Photodiode::from_rig(rig, &clock),
            tia: Tia::from_rig(rig, &clock),
            comparator: Comparator::from_rig(rig, sim.metastable_window),
            drift: Drift::new(sim.drift),
            jitter_samples: jitter / clock.dt(),
            streams: Streams::new(sim.seed, channel, trial),
            elapsed: 0.0,
            clock,
            light: Light::default(),
            current: Vec::new(),
            timing: None,
        }
    }

    /// Sets the attenuator so that the full-scale (+1) level reaches the photodiode at about
    /// `power` W, judged from the steady-state transfer of the parts before it.
    pub fn set_received_power(&mut self, power: f64) {
        let full = self.unattenuated_full_scale();
        self.attenuator.transmission = (power / full).min(1.0);
    }

    /// Steady-state power of the +1 level at the SOA's input (or where it would be), W.
    pub fn amplifier_input_full_scale(&self) -> f64 {
        self.laser.power
            * self.modulator.transfer(1.0)
            * self.modulator.insertion()
            * self.path.transmission
    }

    /// Steady-state power of the +1 level at the photodiode with no attenuation, W.
    pub fn unattenuated_full_scale(&self) -> f64 {
        self.compression()
            .chain(self.amplifier_input_full_scale(), self.soa_trim())
            .output
    }

    /// The steady-state (fast) transfer of this chain's SOA and absorber, from their own
    /// parameters: the cost model's [`Compression`], the one function both use.
    pub fn compression(&self) -> Compression {
        Compression {
            amplifier: self
                .soa
                .as_ref()
                .map(|s| (s.small_signal_gain(), s.saturation_power())),
            absorber: self.absorber.as_ref().map(|a| a.parameters()),
        }
    }

    fn soa_trim(&self) -> f64 {
        self.soa.as_ref().map_or(1.0, |s| s.trim)
    }

    /// The steady-state levels of the symbols −1, 0, +1 at the photodiode as the chain is set
    /// (modulator levels, path, SOA, absorber, attenuator; drift left out): what the eye's means
    /// are, less the inter-symbol interference of the parts' dynamics ([`Levels`]).
    pub fn steady_levels(&self) -> Levels {
        let inputs = [-1i8, 0, 1].map(|s| {
            self.laser.power
                * self.modulator.transfer(level(s))
                * self.modulator.insertion()
                * self.path.transmission
        });
        Levels::through(
            &self.compression(),
            inputs,
            self.soa_trim(),
            self.attenuator.transmission,
        )
    }

    /// Sends one block of ternary symbols; returns the integrated readout per symbol (V).
    pub fn readout(&mut self, symbols: &[i8]) -> Vec<f64> {
        self.transmit(symbols);
        self.receive()
    }

    /// The optical half of [`Self::readout`]: laser → modulator → path → SOA → absorber. The
    /// light waits at the attenuator's input ([`Self::light_mut`]) until [`Self::receive`], so a
    /// link can pass it through a shared part (a WDM demultiplexer's crosstalk) in between.
    pub fn transmit(&mut self, symbols: &[i8]) {
        let sps = self.clock.samples_per_symbol;
        let n = symbols.len() * sps;
        let values: Vec<f64> = symbols.iter().map(|s| level(*s)).collect();
        self.modulator.set_symbols(&values);
        let s = &mut self.streams;
        if self.light.len() != n {
            self.light = Light::dark(n);
        }
        let (light, t) = (&mut self.light, &mut self.timing);
        timed(t, "laser", || self.laser.process(light, &mut s.laser));
        timed(t, "modulator", || {
            self.modulator.process(light, &mut s.laser)
        });
        if let Some(sel) = &mut self.selector {
            timed(t, "selector", || sel.process(light, &mut s.laser));
        }
        timed(t, "passive path", || self.path.process(light, &mut s.laser));
        if let Some(soa) = &mut self.soa {
            timed(t, "soa", || soa.process(light, &mut s.soa));
        }
        if let Some(sa) = &mut self.absorber {
            timed(t, "absorber", || sa.process(light, &mut s.soa));
        }
    }

    /// The light between [`Self::transmit`] and [`Self::receive`].
    pub fn light_mut(&mut self) -> &mut Light {
        &mut self.light
    }

    /// The electrical half of [`Self::readout`]: attenuator (with drift) → photodiode → TIA →
    /// integrate-and-dump, one readout per symbol of the transmitted block.
    pub fn receive(&mut self) -> Vec<f64> {
        self.receive_tilted(None)
    }

    /// [`Self::receive`] with the photodiode's standard normal deviates of the windows of
    /// `tilt` shifted by its shifts, and the shifted deviates kept in it
    /// ([`Tilt::draws`]). With no tilt, the numbers of [`Self::receive`].
    pub fn receive_tilted(&mut self, tilt: Option<&mut Tilt>) -> Vec<f64> {
        let sps = self.clock.samples_per_symbol;
        let symbols = self.light.len() / sps;
        let s = &mut self.streams;
        let (light, current, t) = (&mut self.light, &mut self.current, &mut self.timing);
        let drift_gain = self.drift.gain();
        // The TIA's input noise is added at the photodiode's node (see `detect_with_noise`).
        let tia_noise = self.tia.noise_per_sample();
        timed(t, "photodiode", || {
            light.attenuate((self.attenuator.transmission * drift_gain).min(1.0));
            match tilt {
                None => self
                    .photodiode
                    .detect_with_noise(light, tia_noise, current, &mut s.pd),
                Some(tilt) => self.photodiode.detect_with_tilted_noise(
                    light,
                    tia_noise,
                    current,
                    &mut s.pd,
                    |z| tilt.shift_receiver(z, sps),
                ),
            }
        });
        timed(t, "tia", || self.tia.amplify(current));
        let offset = self.drift.offset();
        let jitter = self.jitter_samples;
        let mut out = timed(t, "integrate-and-dump", || {
            integrate(current, sps, jitter, &mut s.clock)
        });
        out.iter_mut().for_each(|v| *v += offset);
        let block_time = symbols as f64 * self.clock.symbol_period;
        self.elapsed += block_time;
        self.drift.advance(block_time, &mut s.drift);
        out
    }

    /// Ternary decisions for one block of readouts.
    pub fn decide(&mut self, readout: &[f64]) -> Vec<i8> {
        let (comparator, rng) = (&mut self.comparator, &mut self.streams.comparator);
        timed(&mut self.timing, "comparator", || {
            readout.iter().map(|v| comparator.decide(*v, rng)).collect()
        })
    }

    /// [`Self::decide`] with the comparator's noise deviate of each symbol of `tilt` shifted by
    /// the last entry of its shift, the shifted deviate kept as the last entry of its draws.
    pub fn decide_tilted(&mut self, readout: &[f64], tilt: &mut Tilt) -> Vec<i8> {
        let (comparator, rng) = (&mut self.comparator, &mut self.streams.comparator);
        let mut next = 0;
        readout
            .iter()
            .enumerate()
            .map(|(k, v)| {
                if tilt.symbols.get(next) == Some(&k) {
                    let last = tilt.shifts[next].len() - 1;
                    let (d, z) = comparator.decide_shifted(*v, tilt.shifts[next][last], rng);
                    tilt.draws[next][last] = z;
                    next += 1;
                    d
                } else {
                    comparator.decide(*v, rng)
                }
            })
            .collect()
    }

    /// Samples before a symbol's own that its readout still feels through the TIA's filter
    /// (its response to them has fallen below e⁻⁸ after this many), at most two symbols'.
    pub fn receiver_lead(&self) -> usize {
        self.tia.memory_samples(2 * self.clock.samples_per_symbol)
    }

    /// Starts (or stops, discarding them) timing the parts of every block sent from now on;
    /// see [`PartTimes`].
    pub fn time_parts(&mut self, on: bool) {
        self.timing = on.then(PartTimes::default);
    }

    /// The time spent per part since timing was started, if it is on.
    pub fn part_times(&self) -> Option<&PartTimes> {
        self.timing.as_ref()
    }

    /// Measures the mean readout of each level on a training block of `n` symbols per level and
    /// puts the thresholds midway between neighbouring levels. Returns the level means.
    ///
    /// The calibration block does not advance the drift (it lasts microseconds against drift
    /// times of seconds), so runs that differ only in when they re-calibrate share one drift path.
    pub fn calibrate(&mut self, n: usize) -> [f64; 3] {
        let pattern = training_pattern(n);
        let (drift, drift_rng) = (self.drift, self.streams.drift.clone());
        let r = self.readout(&pattern);
        self.drift = drift;
        self.streams.drift = drift_rng;
        let means = level_means(&r, &pattern);
        self.centre_thresholds(means);
        means
    }

    /// Puts the comparator's thresholds midway between neighbouring level means.
    pub fn centre_thresholds(&mut self, means: [f64; 3]) {
        self.comparator.thresholds = ((means[0] + means[1]) / 2.0, (means[1] + means[2]) / 2.0);
    }

    /// Lets `seconds` pass with no light sent: the drift advances and static loads keep drawing.
    pub fn idle(&mut self, seconds: f64) {
        self.elapsed += seconds;
        self.drift.advance(seconds, &mut self.streams.drift);
    }

    /// Seconds of operation simulated so far.
    pub fn elapsed(&self) -> f64 {
        self.elapsed
    }

    /// Energy of every part over the simulated time.
    pub fn energy(&self) -> Ledger {
        let mut l = Ledger::default();
        let t = self.elapsed;
        self.laser.energy(t, &mut l);
        self.modulator.energy(t, &mut l);
        if let Some(s) = &self.soa {
            s.energy(t, &mut l);
        }
        self.tia.energy(t, &mut l);
        self.comparator.energy(t, &mut l);
        l
    }
}

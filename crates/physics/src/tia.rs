//! Transimpedance amplifier: gain, input-referred noise and bandwidth.
//!
//! v = R_f·(i + n) through a first-order filter of the TIA's bandwidth, with n white Gaussian
//! input noise of the datasheet density i_n: variance i_n²·fs/2 per sample, so that over an
//! integration window T it contributes i_n²/(2T) = i_n²·B_e.

use crate::filter::LowPass;
use crate::rng::{Rng, normal};
use crate::signal::Clock;
use crate::stage::ElectricalStage;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;

#[derive(Debug, Clone)]
pub struct Tia {
    pub transimpedance: f64,
    noise_sd: f64,
    filter: LowPass,
    power: f64,
    /// The block's output while [`Tia::amplify`] filters.
    out: Vec<f64>,
}

impl Tia {
    pub fn new(
        transimpedance: f64,
        noise_density: f64,
        bandwidth: f64,
        power: f64,
        clock: &Clock,
    ) -> Self {
        Self {
            transimpedance,
            noise_sd: noise_density * (clock.rate() / 2.0).sqrt(),
            filter: LowPass::new(bandwidth, clock.dt(), 0.0),
            power,
            out: Vec::new(),
        }
    }

    pub fn from_rig(rig: &Rig, clock: &Clock) -> Self {
        let t = &rig.tia;
        Self::new(
            t.transimpedance.si(),
            t.input_noise_density.si(),
            t.bandwidth.si(),
            t.power.si(),
            clock,
        )
    }
}

impl Tia {
    /// Samples after which the filter's response to an input has fallen below e⁻⁸ (the
    /// receiver's memory of its noise), at most `cap`.
    pub fn memory_samples(&self, cap: usize) -> usize {
        let decay = self.filter.decay_per_sample();
        if decay <= 0.0 {
            return 0;
        }
        let n = (-8.0 / decay.ln()).ceil();
        if n.is_finite() {
            (n.max(0.0) as usize).min(cap)
        } else {
            cap
        }
    }

    /// Input-referred noise per sample, A rms.
    pub fn noise_per_sample(&self) -> f64 {
        self.noise_sd
    }
    /// Gain and bandwidth only, for a current whose TIA noise was already added at the
    /// photodiode ([`crate::photodiode::Photodiode::detect_with_noise`]): the samples are
    /// replaced by the output voltages (filtered as a block, [`LowPass::run`]).
    pub fn amplify(&mut self, samples: &mut Vec<f64>) {
        samples.iter_mut().for_each(|s| *s *= self.transimpedance);
        self.filter.run(samples, &mut self.out);
        std::mem::swap(samples, &mut self.out);
    }
}

impl ElectricalStage for Tia {
    fn name(&self) -> &'static str {
        "tia"
    }

    fn process(&mut self, samples: &mut [f64], rng: &mut Rng) {
        for s in samples.iter_mut() {
            *s = self
                .filter
                .step(self.transimpedance * (*s + self.noise_sd * normal(rng)));
        }
    }

    fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(Item::ReceiverStatic, self.power * elapsed);
    }
}

//! The TDM channel selector: the gate that gives each time slot of a frame its channel.
//!
//! Three penalties, per slot of `samples_per_symbol` samples:
//! * **switching**: over the first ⌈t_sw/dt⌉ samples of a slot the gate is still moving, and the
//!   field passes as a linear blend from the previous slot's value to the current one (a
//!   first-order picture of a 10–90 % transition);
//! * **extinction**: the unselected neighbouring slot leaks 1/ER of its power, incoherently, into
//!   the selected one;
//! * **insertion-loss spread**: slot position k of a frame of `frame` slots has a fixed extra loss
//!   of σ·zₖ dB (zₖ standard normal, drawn once per channel from the seed), about zero mean —
//!   the mean insertion loss is part of the rig's path loss (see
//!   [`lightloop_cost::optics::path_loss_db`]), so it is not applied twice here. Positive draws
//!   are a loss and negative ones a smaller loss than the mean; the gate never adds power beyond
//!   its mean transmission's headroom, so the factor is capped at 1/T_mean.

use crate::rng::{Rng, normal, stream};
use crate::signal::{Clock, Light};
use crate::stage::Stage;
use lightloop_cost::Ledger;
use lightloop_rig::Rig;
use num_complex::Complex64;

#[derive(Debug, Clone)]
pub struct Selector {
    sps: usize,
    switching_samples: usize,
    leak: f64,
    /// Power factor per slot position of a frame.
    slot_factor: Vec<f64>,
    /// Slots sent so far (position in the frame).
    position: usize,
    previous: Complex64,
    previous_power: f64,
}

impl Selector {
    /// The rig's selector for `channel`, or `None` when the rig has none.
    pub fn from_rig(rig: &Rig, clock: &Clock, seed: u64, channel: u64) -> Option<Self> {
        let s = rig.selector.as_ref()?;
        let frame = rig.topology.slots_per_channel.max(1) as usize;
        let mean = s.insertion_loss.linear().recip();
        let mut rng = stream(seed, "selector.spread", channel, 0);
        let sigma = s.insertion_loss_spread.db();
        let slot_factor = (0..frame)
            .map(|_| 10f64.powf(-sigma * normal(&mut rng) / 10.0).min(1.0 / mean))
            .collect();
        Some(Self {
            sps: clock.samples_per_symbol,
            switching_samples: ((s.switching_time.si() / clock.dt()).ceil() as usize)
                .min(clock.samples_per_symbol),
            leak: s.extinction_ratio.linear().recip(),
            slot_factor,
            position: 0,
            previous: Complex64::new(0.0, 0.0),
            previous_power: 0.0,
        })
    }

    /// The power factor of slot position `k` of the frame.
    pub fn slot_factor(&self, k: usize) -> f64 {
        self.slot_factor[k % self.slot_factor.len()]
    }
}

impl Stage for Selector {
    fn name(&self) -> &'static str {
        "TDM selector"
    }

    fn process(&mut self, light: &mut Light, _rng: &mut Rng) {
        let sps = self.sps;
        for slot in 0..light.len() / sps {
            let range = slot * sps..(slot + 1) * sps;
            let factor = self.slot_factor(self.position);
            let a = factor.sqrt();
            // The slot's settled value: its last sample (after the modulator's own transient).
            let current = light.field[range.end - 1];
            let current_power = light.power(range.end - 1);
            for (i, s) in range.clone().enumerate() {
                if i < self.switching_samples {
                    let w = (i as f64 + 0.5) / self.switching_samples as f64;
                    light.field[s] = self.previous * (1.0 - w) + light.field[s] * w;
                }
                light.field[s] *= a;
                light.background[s] =
                    light.background[s] * factor + self.leak * self.previous_power;
            }
            self.previous = current;
            self.previous_power = current_power;
            self.position = (self.position + 1) % self.slot_factor.len();
        }
    }

    fn energy(&self, _elapsed: f64, _ledger: &mut Ledger) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed rig with a selector: 1 ns switching, 20 dB extinction, 1 dB loss spread by
    /// `spread_db` from slot to slot.
    fn rig(spread_db: f64) -> Rig {
        use lightloop_rig::Derive;
        use lightloop_rig::units::{Decibel, Time};
        let seed = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        seed.modified(|r| {
            r.selector = Some(lightloop_rig::rig::Selector {
                switching_time: Time::new(1e-9),
                extinction_ratio: Decibel::new(20.0),
                insertion_loss: Decibel::new(1.0),
                insertion_loss_spread: Decibel::new(spread_db),
            })
        })
        .unwrap()
    }

    #[test]
    fn penalties_of_one_slot() {
        let clock = Clock::new(6e-9, 6);
        let mut sel = Selector::from_rig(&rig(0.0), &clock, 1, 0).unwrap();
        assert_eq!(sel.switching_samples, 1);
        // Slot 0 dark, slot 1 at 1 mW: slot 1's first sample is half-way, then settled; it also
        // receives 1 % of slot 0's power (none) — and slot 2 (dark) receives 1 % of slot 1's.
        let mut light = Light::dark(18);
        for s in 6..12 {
            light.field[s] = Complex64::new(1e-3f64.sqrt(), 0.0);
        }
        sel.process(&mut light, &mut stream(1, "t", 0, 0));
        assert!(
            (light.power(6) - 0.25e-3).abs() < 1e-15,
            "{}",
            light.power(6)
        );
        assert!((light.power(7) - 1e-3).abs() < 1e-15);
        assert!((light.background[13] - 1e-5).abs() < 1e-18);
        assert!((light.power(12) - (0.25e-3 + 1e-5)).abs() < 1e-15);
    }

    #[test]
    fn the_spread_has_the_stated_rms_and_never_exceeds_the_headroom() {
        let clock = Clock::new(6e-9, 1);
        let sel = Selector::from_rig(&rig(0.5), &clock, 3, 2).unwrap();
        let db: Vec<f64> = sel.slot_factor.iter().map(|f| -10.0 * f.log10()).collect();
        let n = db.len() as f64;
        let m = db.iter().sum::<f64>() / n;
        let sd = (db.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        assert!(m.abs() < 0.1 && (sd / 0.5 - 1.0).abs() < 0.15, "{m} {sd}");
        assert!(
            sel.slot_factor
                .iter()
                .all(|f| *f <= 10f64.powf(0.1) + 1e-12)
        );
    }
}

//! Ternary comparator: two thresholds, hysteresis, input noise and metastability.
//!
//! Each readout value v (volts) plus Gaussian input noise is compared with a lower threshold t₁
//! (between −1 and 0) and an upper threshold t₂ (between 0 and +1). Hysteresis h: leaving the
//! current decision requires crossing a threshold by h/2 beyond it. Metastability: an input within
//! `metastable_window` of the threshold it is compared against does not resolve in time, and the
//! latch settles to either neighbour with equal probability (a simplification of the exponential
//! resolution-time law of a regenerative latch; Razavi, IEEE SSC Magazine 7(2), 2015).

use crate::rng::{Rng, normal, uniform};
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;

#[derive(Debug, Clone)]
pub struct Comparator {
    /// Lower and upper thresholds, V.
    pub thresholds: (f64, f64),
    pub hysteresis: f64,
    pub noise: f64,
    pub metastable_window: f64,
    state: i8,
    decisions: u64,
    metastable: u64,
    energy_per_decision: f64,
    static_power: f64,
}

impl Comparator {
    pub fn new(
        thresholds: (f64, f64),
        hysteresis: f64,
        noise: f64,
        metastable_window: f64,
    ) -> Self {
        Self {
            thresholds,
            hysteresis,
            noise,
            metastable_window,
            state: 0,
            decisions: 0,
            metastable: 0,
            energy_per_decision: 0.0,
            static_power: 0.0,
        }
    }

    /// A comparator with the rig's noise, hysteresis and energy, thresholds to be calibrated.
    pub fn from_rig(rig: &Rig, metastable_window: f64) -> Self {
        let (noise, hyst, e, p) = rig
            .comparator
            .as_ref()
            .map(|c| {
                (
                    c.input_noise.si(),
                    c.hysteresis.si(),
                    c.energy_per_decision.si(),
                    c.static_power.si(),
                )
            })
            .unwrap_or((0.0, 0.0, 0.0, 0.0));
        let mut c = Self::new((0.0, 0.0), hyst, noise, metastable_window);
        c.energy_per_decision = e;
        c.static_power = p;
        c
    }

    /// One decision in {−1, 0, +1}.
    pub fn decide(&mut self, v: f64, rng: &mut Rng) -> i8 {
        self.decide_shifted(v, 0.0, rng).0
    }

    /// One decision with the standard normal deviate of the input noise shifted by `shift`
    /// (importance sampling, [`crate::instruments::rare`]); returns the decision and the shifted
    /// deviate z (the input was v + noise·z). A zero shift gives [`Comparator::decide`]'s numbers.
    pub fn decide_shifted(&mut self, v: f64, shift: f64, rng: &mut Rng) -> (i8, f64) {
        let z = normal(rng) + shift;
        let v = v + self.noise * z;
        let h = self.hysteresis / 2.0;
        let (t1, t2) = self.thresholds;
        // Effective thresholds given the current state.
        let lo = if self.state <= -1 { t1 + h } else { t1 - h };
        let hi = if self.state >= 1 { t2 - h } else { t2 + h };
        let mut d = if v > hi {
            1
        } else if v < lo {
            -1
        } else {
            0
        };
        let near = |t: f64| (v - t).abs() < self.metastable_window;
        if near(lo) || near(hi) {
            self.metastable += 1;
            let (a, b) = if near(lo) { (-1, 0) } else { (0, 1) };
            d = if uniform(rng) < 0.5 { a } else { b };
        }
        self.state = d;
        self.decisions += 1;
        (d, z)
    }

    /// Decisions that fell in the metastable window.
    pub fn metastable_events(&self) -> u64 {
        self.metastable
    }

    pub fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(
            Item::ComparatorDecisions,
            self.decisions as f64 * self.energy_per_decision,
        );
        ledger.add(Item::ReceiverStatic, self.static_power * elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hysteresis_holds_the_state() {
        let mut rng = crate::rng::stream(0, "t", 0, 0);
        let mut c = Comparator::new((-0.5, 0.5), 0.2, 0.0, 0.0);
        assert_eq!(c.decide(0.55, &mut rng), 0, "0.55 < 0.5 + 0.1 from state 0");
        assert_eq!(c.decide(0.65, &mut rng), 1);
        assert_eq!(c.decide(0.45, &mut rng), 1, "0.45 > 0.5 − 0.1 holds +1");
        assert_eq!(c.decide(0.35, &mut rng), 0);
        assert_eq!(c.decide(-0.65, &mut rng), -1);
    }

    #[test]
    fn metastable_inputs_resolve_either_way() {
        let mut rng = crate::rng::stream(0, "t", 0, 1);
        let mut c = Comparator::new((-0.5, 0.5), 0.0, 0.0, 1e-3);
        let ups = (0..10_000)
            .map(|_| {
                c.state = 0;
                c.decide(0.5, &mut rng)
            })
            .filter(|d| *d == 1)
            .count();
        assert!((ups as f64 / 10_000.0 - 0.5).abs() < 0.03, "{ups}");
        assert_eq!(c.metastable_events(), 10_000);
    }
}

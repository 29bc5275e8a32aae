//! Analog-to-digital converter with finite effective bits.
//!
//! A readout value is clipped to [0, full scale], given extra Gaussian noise of variance
//! (Δ²/12)·(4^(bits − ENOB) − 1) so that the converter's total noise equals an ideal ENOB-bit
//! quantiser's, and rounded to one of 2^bits codes. Aperture jitter acts through the readout
//! window edges (see [`crate::clock`]).

use crate::rng::{Rng, normal};
use lightloop_cost::noise::{adc_excess_sd, adc_round};
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;

#[derive(Debug, Clone)]
pub struct Adc {
    pub bits: u32,
    pub enob: f64,
    pub full_scale: f64,
    conversions: u64,
    energy_per_conversion: f64,
    static_power: f64,
}

impl Adc {
    pub fn new(bits: u32, enob: f64, full_scale: f64) -> Self {
        Self {
            bits,
            enob,
            full_scale,
            conversions: 0,
            energy_per_conversion: 0.0,
            static_power: 0.0,
        }
    }

    pub fn from_rig(rig: &Rig, full_scale: f64) -> Self {
        let mut a = Self::new(rig.adc.bits, rig.adc.enob, full_scale);
        a.energy_per_conversion = rig.adc.conversion_energy();
        a.static_power = rig.adc.static_power.si();
        a
    }

    /// Code step Δ in input units.
    pub fn step(&self) -> f64 {
        self.full_scale / (2f64.powi(self.bits as i32) - 1.0)
    }

    /// Converts one value to its code's input-referred value.
    pub fn convert(&mut self, v: f64, rng: &mut Rng) -> f64 {
        let extra = adc_excess_sd(self.full_scale, self.bits, self.enob);
        self.conversions += 1;
        adc_round(v + extra * normal(rng), self.full_scale, self.bits)
    }

    pub fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(
            Item::AdcConversions,
            self.conversions as f64 * self.energy_per_conversion,
        );
        ledger.add(Item::ReceiverStatic, self.static_power * elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_matches_the_effective_bits() {
        // A mid-scale input, dithered: the error variance is that of an ideal ENOB-bit quantiser
        // with the same full scale, Δ_ENOB²/12, within 3 %.
        let mut rng = crate::rng::stream(3, "t", 0, 0);
        let mut adc = Adc::new(8, 6.0, 1.0);
        let n = 200_000;
        let errs: Vec<f64> = (0..n)
            .map(|i| {
                let v = 0.3 + 0.4 * (i as f64 / n as f64);
                adc.convert(v, &mut rng) - v
            })
            .collect();
        let var = errs.iter().map(|e| e * e).sum::<f64>() / n as f64;
        let d = 1.0 / 255.0;
        let expected = d * d / 12.0 * 4f64.powf(2.0);
        assert!((var / expected - 1.0).abs() < 0.03, "{var} vs {expected}");
    }
}

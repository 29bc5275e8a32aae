//! Mach–Zehnder modulator driven by a quantised DAC through a band-limited driver.
//!
//! A value x ∈ [0, 1] per symbol is quantised to the DAC's 2^b levels, pre-distorted to the drive
//! v = (2/π)·asin(√x) so that the intensity transfer is linear in x, band-limited by a first-order
//! driver of the modulator's bandwidth, and applied through the MZM's cos² transfer
//! T(v) = T_min + (1 − T_min)·sin²(πv/2) (Yariv & Yeh, *Photonics*, 6th ed., §9.3), with
//! T_min = 1/ER the extinction floor, times the insertion loss.

use crate::filter::LowPass;
use crate::rng::Rng;
use crate::signal::{Clock, Light};
use crate::stage::Stage;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;
use std::f64::consts::FRAC_PI_2;

#[derive(Debug, Clone)]
pub struct Modulator {
    levels: f64,
    t_min: f64,
    insertion: f64,
    driver: LowPass,
    samples_per_symbol: usize,
    symbol_energy: f64,
    dac_energy: f64,
    static_power: f64,
    /// Values to encode, one per symbol, in [0, 1]; consumed from the start of each block.
    symbols: Vec<f64>,
    driven: u64,
}

impl Modulator {
    pub fn from_rig(rig: &Rig, clock: &Clock) -> Self {
        let m = &rig.modulator;
        Self {
            levels: (2f64.powi(rig.dac.bits as i32) - 1.0).max(1.0),
            t_min: 1.0 / m.extinction_ratio.linear(),
            insertion: 1.0 / m.insertion_loss.linear(),
            driver: LowPass::new(m.bandwidth.si(), clock.dt(), 0.0),
            samples_per_symbol: clock.samples_per_symbol,
            symbol_energy: m.symbol_energy(),
            dac_energy: rig.dac.energy_per_conversion.si(),
            static_power: m.bias_power.si() + rig.dac.static_power.si(),
            symbols: Vec::new(),
            driven: 0,
        }
    }

    /// Sets the values of the next block's symbols.
    pub fn set_symbols(&mut self, values: &[f64]) {
        self.symbols.clear();
        self.symbols.extend_from_slice(values);
    }

    /// The DAC's output level for a value, in [0, 1].
    pub fn quantise(&self, x: f64) -> f64 {
        (x.clamp(0.0, 1.0) * self.levels).round() / self.levels
    }

    /// Power transmission of the insertion loss.
    pub fn insertion(&self) -> f64 {
        self.insertion
    }

    /// Steady-state intensity transmission for a value (before insertion loss).
    pub fn transfer(&self, x: f64) -> f64 {
        let v = self.quantise(x).sqrt().asin() / FRAC_PI_2;
        self.t_min + (1.0 - self.t_min) * (FRAC_PI_2 * v).sin().powi(2)
    }
}

impl Stage for Modulator {
    fn name(&self) -> &'static str {
        "modulator"
    }

    fn process(&mut self, light: &mut Light, _rng: &mut Rng) {
        let sps = self.samples_per_symbol;
        let (t_min, insertion) = (self.t_min, self.insertion);
        let transfer = |v: f64| (t_min + (1.0 - t_min) * (FRAC_PI_2 * v).sin().powi(2)) * insertion;
        let (mut target, mut settled) = (0.0, 0.0);
        let samples = light.field.iter_mut().zip(light.background.iter_mut());
        // (A countdown to the next symbol rather than `i % sps`: the division took 0.5 ns of the
        // modulator's 7 ns per sample.)
        let (mut symbol, mut left) = (0, 0);
        for (e, b) in samples {
            if left == 0 {
                left = sps;
                // The drive level of this symbol and its settled transmission, once per symbol.
                let x = self.symbols.get(symbol).copied().unwrap_or(0.0);
                symbol += 1;
                target = self.quantise(x).sqrt().asin() / FRAC_PI_2;
                settled = transfer(target);
            }
            left -= 1;
            let v = self.driver.step(target);
            // Once the driver has settled (within 1e-12 of the level) the transmission is the
            // settled one; while it moves, the cos² transfer is evaluated at its output.
            let t = if (v - target).abs() < 1e-12 {
                settled
            } else {
                transfer(v)
            };
            *e *= t.sqrt();
            *b *= t;
        }
        self.driven += light.len().div_ceil(sps) as u64;
    }

    fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(
            Item::ModulatorDrive,
            self.driven as f64 * self.symbol_energy,
        );
        ledger.add(Item::DacConversions, self.driven as f64 * self.dac_energy);
        ledger.add(Item::ModulatorBias, self.static_power * elapsed);
    }
}

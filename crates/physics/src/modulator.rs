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
use num_complex::Complex64;
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
    scratch: Scratch,
}

/// Per block: each symbol's drive level, settled transmission and field factor; the driver's
/// input and output per sample. `seen` keeps those of up to 16 values sent (by their bits),
/// which stay valid: the modulator's levels, floor and loss are fixed once it is built.
#[derive(Debug, Clone, Default)]
struct Scratch {
    seen: Vec<(u64, (f64, f64, f64))>,
    levels: Vec<(f64, f64, f64)>,
    drive: Vec<f64>,
    driven: Vec<f64>,
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
            scratch: Scratch::default(),
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
        // Per symbol: the drive level, its settled transmission and that transmission's square
        // root (the field's factor), computed once per value sent (a block sends few: the
        // libm calls took 1.2 ns of the chain's time per sample when made per symbol).
        let symbols = light.len().div_ceil(sps);
        let mut sc = std::mem::take(&mut self.scratch);
        sc.levels.clear();
        for k in 0..symbols {
            let x = self.symbols.get(k).copied().unwrap_or(0.0);
            let level = match sc.seen.iter().find(|(bits, _)| *bits == x.to_bits()) {
                Some((_, level)) => *level,
                None => {
                    let target = self.quantise(x).sqrt().asin() / FRAC_PI_2;
                    let settled = transfer(target);
                    let level = (target, settled, settled.sqrt());
                    if sc.seen.len() < 16 {
                        sc.seen.push((x.to_bits(), level));
                    }
                    level
                }
            };
            sc.levels.push(level);
        }
        // The driver's input, each symbol's level held over its samples, filtered as a block.
        sc.drive.clear();
        for (target, _, _) in &sc.levels {
            sc.drive.extend(std::iter::repeat_n(*target, sps));
        }
        sc.drive.truncate(light.len());
        self.driver.run(&sc.drive, &mut sc.driven);
        let (driven, levels) = (&sc.driven, &sc.levels);
        lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { apply_avx512(light, driven, levels, sps, transfer) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { apply_avx2(light, driven, levels, sps, transfer) },
            apply_generic(light, driven, levels, sps, transfer)
        );
        self.driven += symbols as u64;
        self.scratch = sc;
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

/// Each symbol's transmission on its samples: once the driver's output `driven` has settled
/// (within 10⁻¹² of the symbol's level) the settled transmission of `levels`; while it moves,
/// the cos² `transfer` at its output. A symbol settled on all its samples (the common case) is
/// scaled as a whole, in a loop that vectorises; the same operations per sample, so the same
/// numbers. Compiled for AVX2 and AVX-512 as well, and for 8 samples per symbol (the default)
/// with that count known, so that a symbol's loops are straight-line code.
#[inline(always)]
fn apply_generic(
    light: &mut Light,
    driven: &[f64],
    levels: &[(f64, f64, f64)],
    sps: usize,
    transfer: impl Fn(f64) -> f64,
) {
    if sps == 8 {
        apply_symbols(light, driven, levels, 8, transfer)
    } else {
        apply_symbols(light, driven, levels, sps, transfer)
    }
}

/// [`apply_generic`]'s pass.
#[inline(always)]
fn apply_symbols(
    light: &mut Light,
    driven: &[f64],
    levels: &[(f64, f64, f64)],
    sps: usize,
    transfer: impl Fn(f64) -> f64,
) {
    let symbol = |fields: &mut [Complex64],
                  backgrounds: &mut [f64],
                  v: &[f64],
                  &(target, settled, settled_field): &(f64, f64, f64)| {
        let near = |v: f64| (v - target).abs() < 1e-12;
        if v.iter().fold(true, |all, v| all & near(*v)) {
            for e in fields.iter_mut() {
                *e *= settled_field;
            }
            for b in backgrounds.iter_mut() {
                *b *= settled;
            }
            return;
        }
        for ((e, b), v) in fields.iter_mut().zip(backgrounds).zip(v) {
            if near(*v) {
                *e *= settled_field;
                *b *= settled;
            } else {
                let t = transfer(*v);
                *e *= t.sqrt();
                *b *= t;
            }
        }
    };
    // Whole symbols in chunks of a known length, then the block's last part of one.
    let whole = light.len() / sps * sps;
    let (fields, fields_rest) = light.field.split_at_mut(whole);
    let (backgrounds, backgrounds_rest) = light.background.split_at_mut(whole);
    let (driven, driven_rest) = driven.split_at(whole);
    let symbols = fields
        .chunks_exact_mut(sps)
        .zip(backgrounds.chunks_exact_mut(sps))
        .zip(driven.chunks_exact(sps))
        .zip(levels);
    for (((f, b), v), level) in symbols {
        symbol(f, b, v, level);
    }
    if let (false, Some(level)) = (fields_rest.is_empty(), levels.get(whole / sps)) {
        symbol(fields_rest, backgrounds_rest, driven_rest, level);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn apply_avx2(
    light: &mut Light,
    driven: &[f64],
    levels: &[(f64, f64, f64)],
    sps: usize,
    transfer: impl Fn(f64) -> f64,
) {
    apply_generic(light, driven, levels, sps, transfer)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn apply_avx512(
    light: &mut Light,
    driven: &[f64],
    levels: &[(f64, f64, f64)],
    sps: usize,
    transfer: impl Fn(f64) -> f64,
) {
    apply_generic(light, driven, levels, sps, transfer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use num_complex::Complex64;

    /// A block through the modulator equals the per-sample definition (the driver stepped
    /// sample by sample, the cos² transfer at its output, the field scaled by the root of the
    /// transmission) bit for bit: with the seed's 20 GHz driver, settled within a sample, and
    /// a 1 GHz one, still moving across a 0.75 ns sample; a block length that ends mid-symbol;
    /// values outside [0, 1] clamped; 8 samples per symbol (the count compiled known) and 5.
    #[test]
    fn a_block_is_the_per_sample_definition() {
        for (bandwidth, sps) in [("20 GHz", 8), ("1 GHz", 8), ("20 GHz", 5), ("1 GHz", 5)] {
            let set = [format!("modulator.bandwidth = \"{bandwidth}\"")];
            let rig = lightloop_rig::load_rig("seed-16ch", &set).unwrap().value;
            let clock = Clock::new(rig.topology.symbol_period.si(), sps);
            let values: Vec<f64> = (0..203)
                .map(|k| [0.0, 0.5, 1.0, 1.3][(k * 7 + k / 5) % 4])
                .collect();
            let n = values.len() * sps - 3;
            let light = Light {
                field: (0..n)
                    .map(|j| Complex64::new(1.0 + j as f64 * 1e-3, 0.5))
                    .collect(),
                background: vec![1e-6; n],
            };
            let mut m = Modulator::from_rig(&rig, &clock);
            let mut reference = m.driver;
            m.set_symbols(&values);
            let mut block = light.clone();
            m.process(&mut block, &mut stream(1, "test.modulator", 0, 0));
            for (j, (e, b)) in light.field.iter().zip(&light.background).enumerate() {
                let target = m.quantise(values[j / sps]).sqrt().asin() / FRAC_PI_2;
                let v = reference.step(target);
                let t = if (v - target).abs() < 1e-12 {
                    m.transfer(values[j / sps])
                } else {
                    m.t_min + (1.0 - m.t_min) * (FRAC_PI_2 * v).sin().powi(2)
                } * m.insertion;
                let (e, b) = (e * t.sqrt(), b * t);
                assert_eq!(
                    (block.field[j], block.background[j]),
                    (e, b),
                    "{bandwidth}, {sps} per symbol, sample {j}"
                );
            }
            assert_eq!(m.driver, reference);
        }
    }
}

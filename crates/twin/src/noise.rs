//! The noise of one balanced, integrating readout of a ternary product, in the units of the
//! product's inputs, built from the rig with the noise budget's closed forms
//! (`lightloop_cost::noise`).
//!
//! Input j reaches the detector pair with power P_u·p_j, p_j = t_min + (1 − t_min)·q_j, q_j the DAC
//! level of the input and t_min = 1/ER the modulator's floor; P_u is the laser power through the
//! rig's path (fan-out included). For an output with S = Σ|w_j|·p_j and n nonzero weights, over
//! a readout window T (B = 1/(2T)) the photocurrent variance is
//! 2q(R·P_u·S + 2I_d)·B + i_n²·B + RIN·B·(R·P_u)²·Σp_j² + Δ²/12, with Σp_j² ≈ S²/n (exact when the
//! contributing inputs are equal; RIN matters only above ~0.1 mW per input at −150 dB/Hz). The
//! ADC then adds its excess noise and rounds to its codes over ±FS, FS = R·P_u·(inputs per
//! conversion), exactly as the physics engine's converter does (`lightloop_cost::noise::adc_round`).
//! The calibrated output is (I/(R·P_u) − t_min·Σw_j)/(1 − t_min), whose ideal value is Σ w_j q_j.

use lightloop_cost::evaluate::Core;
use lightloop_cost::noise::{
    amplifier_variance, quantisation_variance, rin_variance, shot_variance,
};
use lightloop_rig::Rig;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VmmNoise {
    /// Photocurrent of one input at p = 1, R·P_u, A.
    pub unit_current: f64,
    /// Photodiode responsivity R, A/W.
    pub responsivity: f64,
    /// Energy of one photon hν, J.
    pub photon_energy: f64,
    /// Extinction floor t_min.
    pub t_min: f64,
    /// Dark current of the photodiode pair, A.
    pub dark_current: f64,
    pub receiver_density: f64,
    pub rin: f64,
    /// ENOB and bits of the ADC, or `None` for a comparator readout (analog output).
    pub enob: Option<f64>,
    pub adc_bits: u32,
    /// Symbol period, s.
    pub symbol_period: f64,
    /// Inputs per symbol (the rig's channels).
    pub channels: f64,
    /// Whether partial sums over input tiles are integrated before one conversion.
    pub integrate: bool,
    /// DAC levels 2^bits − 1.
    pub dac_levels: f64,
    /// The converter's span as a fraction of the worst case (every input of a conversion at
    /// full light): 1 by default; less when the receiver's gain is set to the signals actually
    /// seen (finer steps, clipping beyond).
    pub range: f64,
}

impl VmmNoise {
    pub fn from_rig(rig: &Rig) -> Self {
        let core = Core::from_rig(rig);
        let n = &core.noise;
        Self {
            unit_current: n.responsivity * core.laser_power * core.path_transmission,
            responsivity: n.responsivity,
            photon_energy: n.photon_energy,
            t_min: 1.0 - n.swing,
            dark_current: n.dark_current,
            receiver_density: n.receiver_density,
            rin: n.rin,
            enob: n.enob,
            adc_bits: rig.adc.bits,
            symbol_period: core.vmm_period,
            channels: core.n,
            integrate: core.integrate,
            dac_levels: 2f64.powi(rig.dac.bits as i32) - 1.0,
            range: 1.0,
        }
    }

    /// Photons of one input at full modulation (p = 1) reaching the detectors in one symbol,
    /// P_u·T_s/(hν).
    pub fn photons_per_sample(&self) -> f64 {
        self.unit_current / self.responsivity * self.symbol_period / self.photon_energy
    }

    /// The same readout with the light per input set to `photons` per symbol (the laser turned
    /// up or down; the ADC's full scale follows the light, as a receiver with gain control does).
    pub fn with_photons_per_sample(mut self, photons: f64) -> Self {
        self.unit_current = self.responsivity * photons * self.photon_energy / self.symbol_period;
        self
    }

    /// The DAC level of an input value in [0, 1].
    #[inline]
    pub fn dac(&self, x: f64) -> f64 {
        (x.clamp(0.0, 1.0) * self.dac_levels).round() / self.dac_levels
    }

    /// Input tiles of a product with `inputs` inputs.
    pub fn tiles(&self, inputs: f64) -> f64 {
        (inputs / self.channels).ceil().max(1.0)
    }

    /// Analog noise variance (shot, receiver, RIN) of the summed photocurrent, A², for a product
    /// with `inputs` inputs, S = Σ|w_j|·p_j = `s` and `nonzero` nonzero weights.
    ///
    /// A product wider than the channels takes k = ⌈inputs/channels⌉ symbols. The shot noise of
    /// the total charge is 2q(I + k·I_d)·B and the receiver's k·i_n²·B, with B = 1/(2T_s), whether
    /// the receiver integrates the k partial sums or converts each.
    pub fn analog_variance(&self, inputs: f64, s: f64, nonzero: f64) -> f64 {
        let tiles = self.tiles(inputs);
        let b = 1.0 / (2.0 * self.symbol_period);
        let shot = shot_variance(self.unit_current * s, tiles * self.dark_current, b);
        let receiver = tiles * amplifier_variance(self.receiver_density, b);
        let sum_p2 = if nonzero > 0.0 { s * s / nonzero } else { 0.0 };
        shot + receiver + rin_variance(self.rin, self.unit_current, b) * sum_p2
    }

    /// The analog variance as c₀ + c₁·S + c₂·S²/n for a product of `inputs` inputs
    /// (see [`VmmNoise::analog_variance`]), so inner loops evaluate it with two multiplies.
    pub fn analog_coefficients(&self, inputs: f64) -> (f64, f64, f64) {
        let tiles = self.tiles(inputs);
        let b = 1.0 / (2.0 * self.symbol_period);
        let c0 = shot_variance(0.0, tiles * self.dark_current, b)
            + tiles * amplifier_variance(self.receiver_density, b);
        let c1 = shot_variance(self.unit_current, 0.0, b);
        let c2 = rin_variance(self.rin, self.unit_current, b);
        (c0, c1, c2)
    }

    /// Full scale of one conversion, A: all inputs of the conversion at their maximum, times
    /// [`VmmNoise::range`].
    pub fn full_scale(&self, inputs: f64) -> f64 {
        let per_conversion = if self.integrate {
            inputs
        } else {
            inputs.min(self.channels)
        };
        self.unit_current * per_conversion * self.range
    }

    /// Quantisation as a variance, A², for products converted as several partial sums
    /// (k conversions over one tile's range, each Δ²/12 with Δ at the converter's ENOB).
    pub fn partial_sum_quantisation(&self, inputs: f64) -> f64 {
        self.enob
            .map(|e| self.tiles(inputs) * quantisation_variance(2.0 * self.full_scale(inputs), e))
            .unwrap_or(0.0)
    }

    /// Variance of one calibrated output, in input units², with quantisation as its noise: the
    /// average over where the signal falls between codes.
    pub fn variance(&self, inputs: f64, abs_sum: f64, nonzero: f64) -> f64 {
        let s = self.t_min * nonzero + (1.0 - self.t_min) * abs_sum;
        let quant = if self.integrate || self.tiles(inputs) == 1.0 {
            self.enob
                .map(|e| quantisation_variance(2.0 * self.full_scale(inputs), e))
                .unwrap_or(0.0)
        } else {
            self.partial_sum_quantisation(inputs)
        };
        let scale = self.unit_current * (1.0 - self.t_min);
        (self.analog_variance(inputs, s, nonzero) + quant) / (scale * scale)
    }
}

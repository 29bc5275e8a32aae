//! The readout of a reservoir's nodes: a photodiode and TIA per node, then the ADC — with the
//! noise of the one noise budget ([`lightloop_cost::noise::NoiseBudget`]).
//!
//! Each node's readout range (its minimum to maximum over the training run) is mapped onto the
//! receiver's swing, as a calibration of gain and offset would: a value at fraction y of its
//! range reaches the photodiode as the power fraction f + (1 − f)·y of full scale, f = 1/ER the
//! modulator's floor. The photodiode counts electrons as the time-domain engine's does: a count
//! of mean μ = N·(f + (1 − f)·y) (N electrons at full scale) drawn exactly (Poisson) below
//! [`COUNT_EXACTLY_BELOW`] electrons and as N(μ, μ) above, so shot noise follows the value's
//! own light (exact at tens of photons). The other analog terms (dark current, receiver, RIN;
//! no ASE here — the reservoir's own amplifier adds that inside its dynamics) are Gaussian at
//! their full-scale σ (RIN at full scale: conservative below it). Then the ADC rounds to its
//! codes over the same range and adds the excess noise of its ENOB below its bits.
//!
//! Photons per sample set the detected power: P = n·hν/T_s over the symbol period T_s.

use lightloop_base::rng::{COUNT_EXACTLY_BELOW, Rng, normal, poisson};
use lightloop_cost::noise::{NoiseBudget, NoiseParams, ReadoutPoint, adc_excess_sd, adc_round};
use lightloop_cost::optics::path_loss_db;
use lightloop_rig::Rig;
use lightloop_rig::constants::ELEMENTARY_CHARGE;
use lightloop_rig::units::db_to_linear;

/// The readout noise applied to node values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sensing {
    /// Photons per sample at full scale (`None`: no analog noise).
    pub photons_per_sample: Option<f64>,
    /// Analog noise σ over the full-scale swing, every term at full scale (the figure tables
    /// quote; the draw itself counts shot noise at each value's own light).
    pub relative_sd: f64,
    /// Electrons the photodiode collects at full scale, N = η·n (0: no shot noise).
    pub electrons: f64,
    /// The modulator's floor f = 1/ER: the power fraction at the bottom of the range.
    pub floor: f64,
    /// σ of the signal-independent analog terms (dark, receiver, RIN at full scale) over the
    /// swing.
    pub other_sd: f64,
    /// ADC resolution (`None`: no converter, the values stay analog).
    pub adc_bits: Option<u32>,
    /// ENOB of the converter.
    pub adc_enob: f64,
}

impl Sensing {
    /// No noise and no quantisation.
    pub fn ideal() -> Self {
        Self {
            photons_per_sample: None,
            relative_sd: 0.0,
            electrons: 0.0,
            floor: 0.0,
            other_sd: 0.0,
            adc_bits: None,
            adc_enob: 0.0,
        }
    }

    /// The rig's readout: its detected power (laser through the path to one detector) and its
    /// ADC, or `photons` / `adc_bits` in their place. A new bit count keeps the rig's ENOB
    /// shortfall (bits − ENOB).
    pub fn from_rig(rig: &Rig, photons: Option<f64>, adc_bits: Option<u32>) -> Self {
        let mut params = NoiseParams::from_rig(rig);
        // The ADC is applied below as rounding, not as noise.
        params.quantisation_factor = 0.0;
        params.jitter = 0.0;
        params.comparator_current = 0.0;
        let t = rig.topology.symbol_period.si();
        let power = match photons {
            Some(n) => n * params.photon_energy / t,
            None => rig.laser.power.si() * db_to_linear(-path_loss_db(rig)),
        };
        let budget = NoiseBudget::at(
            &params,
            ReadoutPoint {
                received_power: power,
                integration_time: t,
                amplified_passes: 0.0,
                amplifier_input_power: 0.0,
            },
        );
        let bits = adc_bits.or(Some(rig.adc.bits));
        let swing = budget.signal_current;
        let other = (budget.terms.total() - budget.terms.shot).max(0.0);
        Self {
            photons_per_sample: Some(budget.photons_per_sample),
            relative_sd: budget.sigma() / swing,
            electrons: budget.mean_current * t / ELEMENTARY_CHARGE,
            floor: 1.0 - params.swing,
            other_sd: other.sqrt() / swing,
            adc_bits: bits,
            adc_enob: bits.map_or(0.0, |b| rig.adc.enob_at(b)),
        }
    }

    /// A short description for tables.
    pub fn label(&self) -> String {
        let analog = match self.photons_per_sample {
            None => "no analog noise".to_string(),
            Some(n) => format!("{n:.3e} photons/sample (σ/swing {:.2e})", self.relative_sd),
        };
        match self.adc_bits {
            None => analog,
            Some(b) => format!("{analog}, {b}-bit ADC (ENOB {:.1})", self.adc_enob),
        }
    }

    /// The analog reading of a value at fraction `y` of its range, as a fraction of the range:
    /// the photodiode's count at that light (exact below [`COUNT_EXACTLY_BELOW`] electrons),
    /// calibrated back, plus the signal-independent noise.
    #[inline]
    pub fn detect(&self, y: f64, rng: &mut Rng) -> f64 {
        let n = self.electrons;
        let swing = 1.0 - self.floor;
        let mut r = y;
        if n > 0.0 && swing > 0.0 {
            let mean = (n * (self.floor + swing * y)).max(0.0);
            let count = if mean < COUNT_EXACTLY_BELOW {
                poisson(rng, mean)
            } else {
                mean + mean.sqrt() * normal(rng)
            };
            r = (count / n - self.floor) / swing;
        }
        if self.other_sd > 0.0 {
            r += self.other_sd * normal(rng);
        }
        r
    }

    /// Reads `values` (steps × nodes) in place, with the per-node ranges `range` (min, max).
    pub fn apply(&self, values: &mut [Vec<f64>], range: &[(f64, f64)], rng: &mut Rng) {
        if self.photons_per_sample.is_none() && self.adc_bits.is_none() {
            return;
        }
        for row in values.iter_mut() {
            for (v, (lo, hi)) in row.iter_mut().zip(range) {
                let swing = (hi - lo).max(f64::MIN_POSITIVE);
                let mut y = (*v - lo) / swing;
                if self.photons_per_sample.is_some() {
                    y = self.detect(y, rng);
                }
                if let Some(bits) = self.adc_bits {
                    let excess = adc_excess_sd(1.0, bits, self.adc_enob);
                    if excess > 0.0 {
                        y += excess * normal(rng);
                    }
                    y = adc_round(y, 1.0, bits);
                }
                *v = lo + y * swing;
            }
        }
    }
}

/// The readout noise levels of the benchmark table: ideal, the rig's own readout, fewer photons
/// per sample (10⁶, 10⁵, 10⁴: the rig's receiver noise dominates below about 10⁶) and fewer
/// ADC bits (8, 6, 4) at the rig's photon count.
pub fn levels(rig: &Rig, quick: bool) -> Vec<(String, Sensing)> {
    let mut v = vec![
        ("ideal".to_string(), Sensing::ideal()),
        ("rig".to_string(), Sensing::from_rig(rig, None, None)),
    ];
    let photons: &[f64] = if quick { &[1e5] } else { &[1e6, 1e5, 1e4] };
    for n in photons {
        v.push((
            format!("{n:.0e} photons"),
            Sensing::from_rig(rig, Some(*n), None),
        ));
    }
    let bits: &[u32] = if quick { &[4] } else { &[8, 6, 4] };
    for b in bits {
        v.push((
            format!("{b}-bit ADC"),
            Sensing::from_rig(rig, None, Some(*b)),
        ));
    }
    // A level identical to the rig's own readout is left out.
    let own = v[1].1;
    let mut kept: Vec<(String, Sensing)> = v.drain(..2).collect();
    kept.extend(v.into_iter().filter(|(_, s)| *s != own));
    kept
}

/// Per-column (min, max) of `values`.
pub fn ranges(values: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let n = values.first().map_or(0, Vec::len);
    let mut r = vec![(f64::INFINITY, f64::NEG_INFINITY); n];
    for row in values {
        for (x, (lo, hi)) in row.iter().zip(r.iter_mut()) {
            *lo = lo.min(*x);
            *hi = hi.max(*x);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_base::rng::stream;

    fn rig() -> Rig {
        lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
    }

    /// At a low photon count the budget is shot-noise limited: σ/swing → 1/(swing·√n) (the
    /// swing 1 − 1/ER of the modulator).
    #[test]
    fn few_photons_give_shot_noise() {
        let r = rig();
        let s = Sensing::from_rig(&r, Some(1e6), None);
        let n = s.photons_per_sample.unwrap();
        assert!((n / 1e6 - 1.0).abs() < 1e-9, "{n}");
        // Shot variance 2qIB with B = 1/(2T): q·I/T = q²·n/T², i.e. σ = q√n/T; the swing is
        // R·P·(1 − 1/ER) = q·n·η/T with η = R·hν/q.
        let p = NoiseParams::from_rig(&r);
        let eta = p.responsivity * p.photon_energy / lightloop_rig::constants::ELEMENTARY_CHARGE;
        let shot_only = 1.0 / (p.swing * (eta * n).sqrt() * eta.sqrt());
        // Other terms (receiver, RIN) only add.
        assert!(
            s.relative_sd >= shot_only * 0.999,
            "{} vs {shot_only}",
            s.relative_sd
        );
        let fewer = Sensing::from_rig(&r, Some(1e4), None);
        assert!(fewer.relative_sd > 5.0 * s.relative_sd);
    }

    #[test]
    fn quantises_to_the_requested_codes() {
        let r = rig();
        let mut s = Sensing::from_rig(&r, None, Some(2));
        s.photons_per_sample = None;
        s.adc_enob = 2.0;
        let mut v: Vec<Vec<f64>> = (0..=30)
            .map(|i| vec![i as f64 / 30.0 * 4.0 - 2.0])
            .collect();
        let range = ranges(&v);
        assert_eq!(range, vec![(-2.0, 2.0)]);
        s.apply(&mut v, &range, &mut stream(1, "t", 0, 0));
        let mut codes: Vec<f64> = v.iter().map(|r| r[0]).collect();
        codes.dedup();
        assert_eq!(codes.len(), 4, "{codes:?}");
        assert!((codes[0] + 2.0).abs() < 1e-12 && (codes[3] - 2.0).abs() < 1e-12);
    }

    /// At tens of photons the readout counts electrons: the readings take the discrete values
    /// (k/N − f)/(1 − f), zero electrons with probability e^(−μ), mean y and variance
    /// μ/(N·(1 − f))², μ = N·(f + (1 − f)·y) (Poisson; the engine's photodiode rule).
    #[test]
    fn few_photons_are_counted_exactly() {
        let r = rig();
        let mut s = Sensing::from_rig(&r, Some(4.0), None);
        let n = s.electrons;
        // η·n: responsivity 0.9 A/W at 1550 nm is 1.125 electrons per photon... below 1 here.
        assert!(n > 1.0 && n < 4.0, "{n}");
        s.other_sd = 0.0;
        let (f, y) = (s.floor, 0.5);
        let mu = n * (f + (1.0 - f) * y);
        let mut rng = lightloop_base::rng::stream(3, "t", 0, 0);
        let draws = 200_000;
        let (mut zeros, mut sum, mut sum2) = (0u64, 0.0, 0.0);
        for _ in 0..draws {
            let v = s.detect(y, &mut rng);
            let k = (v * (1.0 - f) + f) * n;
            assert!((k - k.round()).abs() < 1e-9, "a count is whole: {k}");
            zeros += (k.round() == 0.0) as u64;
            sum += v;
            sum2 += v * v;
        }
        let p0 = (-mu).exp();
        let sd0 = (p0 * (1.0 - p0) / draws as f64).sqrt();
        assert!(
            ((zeros as f64 / draws as f64) - p0).abs() < 4.0 * sd0,
            "{zeros} zeros vs e^-μ = {p0}"
        );
        let mean = sum / draws as f64;
        let var = sum2 / draws as f64 - mean * mean;
        let expected = mu / (n * (1.0 - f)).powi(2);
        assert!(
            (mean - y).abs() < 4.0 * (expected / draws as f64).sqrt(),
            "{mean}"
        );
        assert!((var / expected - 1.0).abs() < 0.02, "{var} vs {expected}");
    }

    /// At 10⁷ photons the count is Gaussian with the value's own shot variance plus the
    /// signal-independent terms: at the top of the range the total is the budget's full-scale
    /// σ, at the bottom only the floor's shot noise and the other terms remain.
    #[test]
    fn shot_noise_follows_the_value() {
        let r = rig();
        let s = Sensing::from_rig(&r, Some(1e7), None);
        let mut rng = lightloop_base::rng::stream(4, "t", 0, 0);
        let var_at = |y: f64, rng: &mut Rng| {
            let v: Vec<f64> = (0..100_000).map(|_| s.detect(y, rng)).collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
        };
        let top = var_at(1.0, &mut rng);
        let bottom = var_at(0.0, &mut rng);
        assert!(
            (top.sqrt() / s.relative_sd - 1.0).abs() < 0.01,
            "{} vs {}",
            top.sqrt(),
            s.relative_sd
        );
        let f = s.floor;
        let expected_bottom = n_var(s.electrons, f, 0.0) + s.other_sd.powi(2);
        assert!(
            (bottom / expected_bottom - 1.0).abs() < 0.02,
            "{bottom} vs {expected_bottom}"
        );
        // Shot noise is a visible part of the budget here, so the two ends differ.
        assert!(
            n_var(s.electrons, f, 1.0) - n_var(s.electrons, f, 0.0) > 0.1 * top,
            "{top}"
        );
    }

    fn n_var(n: f64, f: f64, y: f64) -> f64 {
        n * (f + (1.0 - f) * y) / (n * (1.0 - f)).powi(2)
    }
}

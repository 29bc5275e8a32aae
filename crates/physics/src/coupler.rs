//! Passive splitting, combining and wavelength (de)multiplexing.
//!
//! Passive parts never add power: every transmission here is ≤ 1, and crosstalk only moves power
//! between channels.

use crate::rng::Rng;
use crate::signal::Light;
use crate::stage::Stage;
use lightloop_cost::Ledger;
use lightloop_rig::Rig;

/// A fixed power transmission ≤ 1: a splitter's share, a connector, a filter's insertion loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Passive {
    pub name: &'static str,
    pub transmission: f64,
}

impl Passive {
    /// A loss in dB.
    pub fn loss_db(name: &'static str, db: f64) -> Self {
        Self {
            name,
            transmission: 10f64.powf(-db.max(0.0) / 10.0),
        }
    }
    /// One output of an ideal 1:`ways` splitter with `excess_db` excess loss.
    pub fn splitter(ways: u32, excess_db: f64) -> Self {
        Self {
            name: "splitter",
            transmission: 10f64.powf(-excess_db.max(0.0) / 10.0) / ways.max(1) as f64,
        }
    }
    /// The rig's path from modulator output to detector, without the modulator: splitter excess,
    /// mux, demux, connectors, fibre and the weight element at full transmission.
    pub fn rig_path(rig: &Rig) -> Self {
        let db = lightloop_cost::optics::path_loss_db(rig) - rig.modulator.insertion_loss.db();
        Self::loss_db("passive path", db)
    }
}

impl Stage for Passive {
    fn name(&self) -> &'static str {
        self.name
    }
    fn process(&mut self, light: &mut Light, _rng: &mut Rng) {
        light.attenuate(self.transmission);
    }
    fn energy(&self, _elapsed: f64, _ledger: &mut Ledger) {}
}

/// WDM mux/demux crosstalk: each channel leaks a fraction `x` of its power into each neighbour
/// (incoherently: different wavelengths do not interfere), losing what it leaks.
/// `matrix[i][j]` is the power fraction of channel j that arrives in channel i.
#[derive(Debug, Clone, PartialEq)]
pub struct Crosstalk {
    pub matrix: Vec<Vec<f64>>,
}

impl Crosstalk {
    /// Nearest-neighbour crosstalk of `x` (linear power ratio) among `n` channels.
    pub fn nearest_neighbour(n: usize, x: f64) -> Self {
        let mut m = vec![vec![0.0; n]; n];
        for (i, row) in m.iter_mut().enumerate() {
            let neighbours = (i > 0) as usize + (i + 1 < n) as usize;
            row[i] = 1.0 - x * neighbours as f64;
            if i > 0 {
                row[i - 1] = x;
            }
            if i + 1 < n {
                row[i + 1] = x;
            }
        }
        // Column sums are ≤ 1: a channel's power ends up in itself and its neighbours only.
        Self { matrix: m }
    }

    /// Applies the crosstalk to a set of channels of equal length.
    pub fn apply(&self, channels: &mut [Light]) {
        let n = channels.len();
        let len = channels.first().map(Light::len).unwrap_or(0);
        let powers: Vec<Vec<f64>> = channels
            .iter()
            .map(|c| (0..len).map(|s| c.power(s)).collect())
            .collect();
        for (i, ch) in channels.iter_mut().enumerate() {
            let keep = self.matrix[i][i];
            ch.attenuate(keep);
            for (s, b) in ch.background.iter_mut().enumerate().take(len) {
                *b += (0..n)
                    .filter(|j| *j != i)
                    .map(|j| self.matrix[i][j] * powers[j][s])
                    .sum::<f64>();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;

    fn light(p: f64, n: usize) -> Light {
        Light {
            field: vec![Complex64::new(p.sqrt(), 0.0); n],
            background: vec![0.0; n],
        }
    }

    #[test]
    fn passives_never_add_power() {
        let mut rng = crate::rng::stream(1, "test", 0, 0);
        for mut stage in [
            Passive::splitter(8, 0.5),
            Passive::loss_db("x", 3.0),
            Passive::loss_db("neg", -3.0),
        ] {
            let mut l = light(1e-3, 16);
            stage.process(&mut l, &mut rng);
            assert!(l.mean_power() <= 1e-3);
        }
        let mut chans: Vec<Light> = (1..=5).map(|k| light(k as f64 * 1e-3, 8)).collect();
        let before: f64 = chans.iter().map(Light::mean_power).sum();
        Crosstalk::nearest_neighbour(5, 0.01).apply(&mut chans);
        let after: f64 = chans.iter().map(Light::mean_power).sum();
        assert!(after <= before * (1.0 + 1e-12), "{after} > {before}");
        assert!(
            (after / before - 1.0).abs() < 1e-12,
            "crosstalk moves power, it does not lose it"
        );
        // Channel 0 keeps 99 % of its 1 mW and receives 1 % of channel 1's 2 mW.
        assert!((chans[0].mean_power() - (0.99e-3 + 0.02e-3)).abs() < 1e-15);
    }
}

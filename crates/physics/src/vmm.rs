//! A vector–matrix product in the time domain: the reference against which the twin's noisy
//! VMM is checked.
//!
//! Each input j drives its own laser (independent RIN) through its modulator; the light of input
//! j reaches output i's balanced receiver on the + photodiode when w_ij = +1, on the −
//! photodiode when w_ij = −1, not at all when w_ij = 0 (broadcast-and-weight with ternary weight
//! banks), through the rig's path transmission (fan-out split included). Lights from different
//! lasers add incoherently. Each receiver integrates over the symbol and digitises the result
//! with the rig's ADC over ±(full scale), full scale being all inputs at their maximum.

use crate::adc::Adc;
use crate::clock::integrate;
use crate::laser::Laser;
use crate::modulator::Modulator;
use crate::photodiode::Photodiode;
use crate::rng::stream;
use crate::signal::{Clock, Light};
use crate::stage::{ElectricalStage, Stage};
use crate::tia::Tia;
use lightloop_rig::Rig;
use lightloop_rig::units::db_to_linear;

/// Readouts of a ternary VMM repeated on one input vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VmmReadouts {
    /// `values[i]` are output i's calibrated readouts, one per repetition, in input units
    /// (the ideal output is Σ_j w_ij·q(x_j), q the DAC level).
    pub values: Vec<Vec<f64>>,
}

/// Runs `repetitions` symbols of the same input vector `x` (values in [0, 1]) through the
/// ternary matrix `w` (rows = outputs) on `rig`.
pub fn simulate_vmm(
    rig: &Rig,
    w: &[Vec<i8>],
    x: &[f64],
    repetitions: usize,
    samples_per_symbol: usize,
    seed: u64,
) -> VmmReadouts {
    let clock = Clock::new(rig.topology.symbol_period.si(), samples_per_symbol);
    let n = clock.samples_per_symbol * repetitions;
    // The light of each input at the modulator output.
    let lights: Vec<Light> = x
        .iter()
        .enumerate()
        .map(|(j, &xj)| {
            let mut laser = Laser::from_rig(rig, &clock);
            laser.phase_noise = false;
            let mut rng = stream(seed, "vmm.laser", j as u64, 0);
            let mut light = laser.emit(n, &mut rng);
            let mut m = Modulator::from_rig(rig, &clock);
            m.set_symbols(&vec![xj; repetitions]);
            m.process(&mut light, &mut rng);
            light
        })
        .collect();
    let modulator = Modulator::from_rig(rig, &clock);
    let t_min = 1.0 / rig.modulator.extinction_ratio.linear();
    // Path after the modulator (its insertion loss is already applied), including the fan-out.
    let path = db_to_linear(
        -(lightloop_cost::optics::path_loss_db(rig) - rig.modulator.insertion_loss.db()),
    ) / rig.topology.readout_width as f64;
    let unit = rig.laser.power.si() * modulator.insertion() * path;
    let r = rig.photodiode.responsivity.si();
    let full_scale = r * unit * x.len() as f64;
    let pd = Photodiode::from_rig(rig, &clock);
    let values = w
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut rng = stream(seed, "vmm.receiver", i as u64, 0);
            let plus: Vec<(&Light, f64)> = row
                .iter()
                .zip(&lights)
                .filter(|(w, _)| **w > 0)
                .map(|(_, l)| (l, path))
                .collect();
            let minus: Vec<(&Light, f64)> = row
                .iter()
                .zip(&lights)
                .filter(|(w, _)| **w < 0)
                .map(|(_, l)| (l, path))
                .collect();
            // A photodiode with no light still has its dark current.
            let dark = Light::dark(n);
            let plus = if plus.is_empty() {
                vec![(&dark, 1.0)]
            } else {
                plus
            };
            let minus = if minus.is_empty() {
                vec![(&dark, 1.0)]
            } else {
                minus
            };
            let (mut ip, mut im) = (Vec::new(), Vec::new());
            pd.detect_sum(&plus, &mut ip, &mut rng);
            pd.detect_sum(&minus, &mut im, &mut rng);
            let mut current: Vec<f64> = ip.iter().zip(&im).map(|(a, b)| a - b).collect();
            let mut tia = Tia::from_rig(rig, &clock);
            tia.process(&mut current, &mut rng);
            let gain = tia.transimpedance;
            let windows = integrate(&current, clock.samples_per_symbol, 0.0, &mut rng);
            let mut adc = Adc::from_rig(rig, 2.0 * full_scale);
            let sum_w: f64 = row.iter().map(|w| *w as f64).sum();
            windows
                .iter()
                .map(|v| {
                    let i_out = adc.convert(v / gain + full_scale, &mut rng) - full_scale;
                    // Digital calibration: remove the extinction floor's offset and scale.
                    (i_out / (r * unit) - t_min * sum_w) / (1.0 - t_min)
                })
                .collect()
        })
        .collect();
    VmmReadouts { values }
}

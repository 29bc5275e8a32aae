//! Fibre: a delay line with loss.

use crate::rng::Rng;
use crate::signal::Light;
use crate::stage::Stage;
use lightloop_cost::Ledger;
use lightloop_rig::constants::{FIBRE_GROUP_INDEX, SPEED_OF_LIGHT};
use num_complex::Complex64;
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct Fibre {
    transmission: f64,
    line: VecDeque<(Complex64, f64)>,
}

impl Fibre {
    /// `length` metres at `attenuation` dB/m, sampled every `dt` seconds: a delay of
    /// L·n_g/c rounded to whole samples.
    pub fn new(length: f64, attenuation_db_per_m: f64, dt: f64) -> Self {
        let delay = length * FIBRE_GROUP_INDEX / SPEED_OF_LIGHT;
        let samples = (delay / dt).round() as usize;
        Self {
            transmission: 10f64.powf(-attenuation_db_per_m * length / 10.0),
            line: std::iter::repeat_n((Complex64::new(0.0, 0.0), 0.0), samples).collect(),
        }
    }
    pub fn delay_samples(&self) -> usize {
        self.line.len()
    }
}

impl Stage for Fibre {
    fn name(&self) -> &'static str {
        "fibre"
    }

    fn process(&mut self, light: &mut Light, _rng: &mut Rng) {
        let a = self.transmission.sqrt();
        for (e, b) in light.field.iter_mut().zip(light.background.iter_mut()) {
            self.line.push_back((*e * a, *b * self.transmission));
            let (oe, ob) = self
                .line
                .pop_front()
                .expect("the line holds at least the pushed sample");
            *e = oe;
            *b = ob;
        }
    }

    fn energy(&self, _elapsed: f64, _ledger: &mut Ledger) {}
}

//! How the cost per million tokens of a sized fleet moves with each economic input, the
//! configuration held fixed: the tornado. Each input is set to a low and a high value (a range
//! its sources span, or ±30 % where there is no source), one at a time.

use crate::economics::{Economics, YEAR};
use crate::sizing::Sizing;
use serde::Serialize;

/// One bar of the tornado.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Swing {
    pub input: &'static str,
    /// The input's low and high values, in words.
    pub low_value: String,
    pub high_value: String,
    /// Cost per million tokens with the input low and high, USD.
    pub at_low: f64,
    pub at_high: f64,
}

impl Swing {
    /// The bar's width, USD per million tokens.
    pub fn width(&self) -> f64 {
        (self.at_high - self.at_low).abs()
    }
}

/// The tornado of `s` around `econ`, widest bar first.
pub fn tornado(s: &Sizing, econ: &Economics, tokens_per_s: f64) -> Vec<Swing> {
    let hardware = s.cost.hardware / econ.hardware_price_scale;
    let at = |e: &Economics| {
        let p = e.power(s.power.it_busy, s.power.it_idle);
        e.cost(hardware, &p, tokens_per_s).usd_per_m_tokens
    };
    let mut out = Vec::new();
    let mut swing = |input: &'static str, lo: Economics, hi: Economics, lv: String, hv: String| {
        out.push(Swing {
            input,
            low_value: lv,
            high_value: hv,
            at_low: at(&lo),
            at_high: at(&hi),
        });
    };
    let with = |f: &dyn Fn(&mut Economics)| {
        let mut e = *econ;
        f(&mut e);
        e
    };
    // US industrial electricity by state, 2023: 5.75 ¢ (New Mexico) to 18.6 ¢ (California).
    swing(
        "electricity price",
        with(&|e| e.electricity_price = 0.0575 / 3.6e6),
        with(&|e| e.electricity_price = 0.186 / 3.6e6),
        "0.0575 USD/kWh".into(),
        "0.186 USD/kWh".into(),
    );
    // Google's fleet 1.09 to the industry mean 1.56 (Uptime Institute).
    swing(
        "PUE",
        with(&|e| e.pue = 1.09),
        with(&|e| e.pue = 1.56),
        "1.09".into(),
        "1.56".into(),
    );
    swing(
        "mean load",
        with(&|e| e.utilisation = 0.3),
        with(&|e| e.utilisation = 0.9),
        "30 %".into(),
        "90 %".into(),
    );
    swing(
        "hardware write-off",
        with(&|e| e.depreciation = 3.0 * YEAR),
        with(&|e| e.depreciation = 7.0 * YEAR),
        "3 years".into(),
        "7 years".into(),
    );
    swing(
        "hardware price",
        with(&|e| e.hardware_price_scale = econ.hardware_price_scale * 0.7),
        with(&|e| e.hardware_price_scale = econ.hardware_price_scale * 1.3),
        "−30 %".into(),
        "+30 %".into(),
    );
    // US construction per MW: 9.3 (San Antonio) to 15.0 MUSD (Reno).
    swing(
        "building per MW",
        with(&|e| e.facility_cost_per_w = 9.3),
        with(&|e| e.facility_cost_per_w = 15.0),
        "9.3 MUSD".into(),
        "15.0 MUSD".into(),
    );
    swing(
        "maintenance",
        with(&|e| e.maintenance = 0.02),
        with(&|e| e.maintenance = 0.10),
        "2 % a year".into(),
        "10 % a year".into(),
    );
    out.sort_by(|a, b| b.width().total_cmp(&a.width()));
    out
}

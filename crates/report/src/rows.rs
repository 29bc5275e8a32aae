//! Flat CSV rows of the test plan's measurements (units in the column names), shared by
//! `lightloop test-plan` and the report so that both write the same columns.

use lightloop_physics::instruments::ber::BerPoint;
use lightloop_physics::instruments::depth::PassPoint;
use serde::Serialize;

/// One point of an error-rate curve.
#[derive(Debug, Clone, Serialize)]
pub struct BerRow {
    #[serde(rename = "received_power_w")]
    pub received_power_w: f64,
    #[serde(rename = "received_power_dbm")]
    pub received_power_dbm: f64,
    #[serde(rename = "symbol_period_s")]
    pub symbol_period_s: f64,
    pub photons_per_symbol: f64,
    pub symbols: u64,
    pub symbol_errors: u64,
    pub ser: f64,
    pub ser_low95: f64,
    pub ser_high95: f64,
    /// No symbol error was counted: the SER is only bounded above by `ser_high95`.
    pub ser_upper_bound_only: bool,
    pub bits: u64,
    pub bit_errors: u64,
    pub ber: f64,
    pub ber_low95: f64,
    pub ber_high95: f64,
    pub ser_gaussian_from_eye: f64,
    pub ser_noise_budget: f64,
    pub eye_margin_sigma: f64,
    pub eye_opening: f64,
}

impl From<&BerPoint> for BerRow {
    fn from(p: &BerPoint) -> Self {
        Self {
            received_power_w: p.received_power_w,
            received_power_dbm: p.received_power_dbm,
            symbol_period_s: p.symbol_period_s,
            photons_per_symbol: p.photons_per_symbol,
            symbols: p.symbols.trials,
            symbol_errors: p.symbols.errors,
            ser: p.symbols.rate,
            ser_low95: p.symbols.low,
            ser_high95: p.symbols.high,
            ser_upper_bound_only: p.symbols.is_bound(),
            bits: p.bits.trials,
            bit_errors: p.bits.errors,
            ber: p.bits.rate,
            ber_low95: p.bits.low,
            ber_high95: p.bits.high,
            ser_gaussian_from_eye: p.ser_gaussian,
            ser_noise_budget: p.ser_noise_budget,
            eye_margin_sigma: p.eye.margin_sigma,
            eye_opening: p.eye.opening,
        }
    }
}

/// One pass of the loop-depth curve.
#[derive(Debug, Clone, Serialize)]
pub struct SnrRow {
    pub pass: usize,
    #[serde(rename = "snr_db")]
    pub snr_db: f64,
    #[serde(rename = "snr_low95_db")]
    pub snr_db_low: f64,
    #[serde(rename = "snr_high95_db")]
    pub snr_db_high: f64,
    pub decisions: u64,
    pub decision_errors: u64,
    pub decision_error_rate: f64,
    pub rate_low95: f64,
    pub rate_high95: f64,
}

impl From<&PassPoint> for SnrRow {
    fn from(p: &PassPoint) -> Self {
        Self {
            pass: p.pass,
            snr_db: p.snr_db,
            snr_db_low: p.snr_db_low,
            snr_db_high: p.snr_db_high,
            decisions: p.decisions.trials,
            decision_errors: p.decisions.errors,
            decision_error_rate: p.decisions.rate,
            rate_low95: p.decisions.low,
            rate_high95: p.decisions.high,
        }
    }
}

//! Cost of ownership: what a sized fleet costs to buy, house and run for a year, and per
//! million tokens.
//!
//! Over a year the fleet carries its busiest hour's traffic for a share `utilisation` of the
//! time and idles for the rest (an idealisation of a daily load curve: the mean load is right,
//! the hardware is either busy or idle). Then
//! - energy per year = (u · P_busy + (1 − u) · P_idle) · PUE · 8,766 h;
//! - tokens per year = u · R · 8,766 h, with R the busiest hour's output tokens per second;
//! - cost per year = hardware ÷ depreciation + building ÷ its life + maintenance · hardware +
//!   energy · price, the building priced per MW of the fleet's busy IT power.

use lightloop_rig::Deployment;
use serde::Serialize;

/// Seconds in a year (365.25 days).
pub const YEAR: f64 = 31_557_600.0;

/// The facility and financial inputs, in SI units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Economics {
    pub pue: f64,
    /// USD per joule.
    pub electricity_price: f64,
    pub utilisation: f64,
    /// USD per watt of IT load.
    pub facility_cost_per_w: f64,
    /// s.
    pub facility_life: f64,
    /// s.
    pub depreciation: f64,
    /// Share of the hardware's price per year.
    pub maintenance: f64,
    /// Multiplies every hardware price (1 as described; the sensitivity varies it).
    pub hardware_price_scale: f64,
}

impl Economics {
    pub fn of(d: &Deployment) -> Self {
        Self {
            pue: d.facility.pue,
            electricity_price: d.facility.electricity_price.si(),
            utilisation: d.facility.utilisation.si(),
            facility_cost_per_w: d.facility.cost_per_mw.si() / 1e6,
            facility_life: d.facility.life.si(),
            depreciation: d.finance.depreciation.si(),
            maintenance: d.finance.maintenance.si(),
            hardware_price_scale: 1.0,
        }
    }
}

/// What a fleet draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FleetPower {
    /// IT power carrying the busiest hour's traffic, W.
    pub it_busy: f64,
    /// IT power idle, W.
    pub it_idle: f64,
    /// Mean IT power over the year, W.
    pub it_mean: f64,
    /// Facility power at the busiest hour (IT × PUE), W.
    pub wall_busy: f64,
    /// Mean facility power over the year, W.
    pub wall_mean: f64,
}

/// What a fleet costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cost {
    /// Hardware price, USD.
    pub hardware: f64,
    /// Building, USD.
    pub facility: f64,
    /// Per year, USD.
    pub hardware_per_year: f64,
    pub facility_per_year: f64,
    pub maintenance_per_year: f64,
    pub energy_per_year: f64,
    pub total_per_year: f64,
    /// Energy per year at the wall, J.
    pub energy_joules_per_year: f64,
    pub tokens_per_year: f64,
    /// USD per million output tokens.
    pub usd_per_m_tokens: f64,
    /// Facility energy per token (mean over the year, idle included), J.
    pub j_per_token_wall: f64,
}

impl Economics {
    /// The fleet's power over the year from its busy and idle IT power.
    pub fn power(&self, it_busy: f64, it_idle: f64) -> FleetPower {
        let it_mean = self.utilisation * it_busy + (1.0 - self.utilisation) * it_idle;
        FleetPower {
            it_busy,
            it_idle,
            it_mean,
            wall_busy: it_busy * self.pue,
            wall_mean: it_mean * self.pue,
        }
    }

    /// The cost of a fleet of `hardware` USD drawing `power`, carrying `tokens_per_s` at its
    /// busiest hour.
    pub fn cost(&self, hardware: f64, power: &FleetPower, tokens_per_s: f64) -> Cost {
        let hardware = hardware * self.hardware_price_scale;
        let facility = self.facility_cost_per_w * power.it_busy;
        let energy_joules_per_year = power.wall_mean * YEAR;
        let hardware_per_year = hardware / (self.depreciation / YEAR);
        let facility_per_year = facility / (self.facility_life / YEAR);
        let maintenance_per_year = self.maintenance * hardware;
        let energy_per_year = energy_joules_per_year * self.electricity_price;
        let total_per_year =
            hardware_per_year + facility_per_year + maintenance_per_year + energy_per_year;
        let tokens_per_year = self.utilisation * tokens_per_s * YEAR;
        Cost {
            hardware,
            facility,
            hardware_per_year,
            facility_per_year,
            maintenance_per_year,
            energy_per_year,
            total_per_year,
            energy_joules_per_year,
            tokens_per_year,
            usd_per_m_tokens: total_per_year / tokens_per_year * 1e6,
            j_per_token_wall: energy_joules_per_year / tokens_per_year,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 100 MW facility at full load for a year at 0.10 USD/kWh pays 87.66 MUSD (the
    /// industry article's 87.6 M is 8,760 h); with PUE 1 and no hardware the cost is the energy.
    #[test]
    fn energy_bill_by_hand() {
        let e = Economics {
            pue: 1.0,
            electricity_price: 0.10 / 3.6e6,
            utilisation: 1.0,
            facility_cost_per_w: 0.0,
            facility_life: 15.0 * YEAR,
            depreciation: 5.0 * YEAR,
            maintenance: 0.0,
            hardware_price_scale: 1.0,
        };
        let p = e.power(100e6, 0.0);
        let c = e.cost(0.0, &p, 1.0);
        assert!((c.energy_per_year - 100e3 * 8766.0 * 0.10).abs() < 1.0);
        assert!((c.j_per_token_wall - 100e6).abs() < 1e-6);
    }

    #[test]
    fn idle_time_costs_energy_but_carries_no_tokens() {
        let mut e = Economics {
            pue: 1.2,
            electricity_price: 0.08 / 3.6e6,
            utilisation: 0.5,
            facility_cost_per_w: 10.0,
            facility_life: 15.0 * YEAR,
            depreciation: 5.0 * YEAR,
            maintenance: 0.05,
            hardware_price_scale: 1.0,
        };
        let p = e.power(1000.0, 200.0);
        assert!((p.it_mean - 600.0).abs() < 1e-9);
        assert!((p.wall_mean - 720.0).abs() < 1e-9);
        let half = e.cost(1e5, &p, 100.0);
        e.utilisation = 1.0;
        let full = e.cost(1e5, &e.power(1000.0, 200.0), 100.0);
        assert!(half.usd_per_m_tokens > full.usd_per_m_tokens);
        assert!((half.hardware_per_year - 2e4).abs() < 1e-6);
    }
}

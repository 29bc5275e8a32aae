//! The bench instruments: the lab's test plan, computed in simulation on the time-domain engine.
//!
//! | instrument | module |
//! |---|---|
//! | bit/symbol-error rate vs received power and slot time, Wilson 95 % intervals | [`ber`] |
//! | eye and margins to the ternary thresholds | [`eye`] |
//! | SNR per pass, decision errors vs loop depth, energy per useful update | [`depth`] |
//! | return map, its slope and fixed points, P(slope > 1) | [`return_map`] |
//! | WDM crosstalk matrix | [`crosstalk`] |
//! | rare-event error rates (10⁻⁹…10⁻¹⁵) by importance sampling, normal 95 % intervals | [`rare`] |
//! | threshold re-centring policy under drift, its duty cost, cold start | [`recentring`] |
//! | dead / hot channel, stuck selector, graceful degradation | [`faults`] |
//! | one Monte-Carlo count, whole or one shard of it, with its limits | [`monte_carlo`] |
//!
//! [`plan`] runs them all on one rig.

pub mod ber;
pub mod count;
pub mod crosstalk;
pub mod depth;
pub mod eye;
pub mod faults;
pub mod monte_carlo;
pub mod plan;
pub mod rare;
pub mod recentring;
pub mod return_map;

pub use count::ErrorCount;
pub use plan::{PlanSettings, TestPlan};

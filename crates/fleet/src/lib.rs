//! # lightloop-fleet
//!
//! Fleets at data-centre scale: a deployment (a model, its traffic and service targets, a
//! facility and its prices) sized on GPU nodes and on optical rigs with their hosts. For each
//! option: the cheapest configuration that meets the targets (or the binding constraint),
//! devices, hosts and racks, power at the wall with the facility's PUE, tokens per MW,
//! energy per token and the cost of ownership per million tokens.

pub mod bom;
pub mod claims;
pub mod economics;
pub mod error;
pub mod fleet;
pub mod interconnect;
pub mod sensitivity;
pub mod sizing;
pub mod training;
pub mod verdict;

pub use economics::{Cost, Economics, FleetPower};
pub use error::FleetError;
pub use fleet::{FleetAnswer, Hardware, served_model, size};
pub use sizing::{Demand, Kind, OptionAnswer, Sizing};

//! A deployment: which model serves how much traffic under which service targets, on which
//! hardware options, in what facility and at what prices. The fleet model sizes every option
//! and prices it.

use crate::error::ErrorKind;
use crate::units::*;
use crate::validate::{Checker, Validate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    pub deployment: DeploymentMeta,
    pub model: ServedModel,
    pub traffic: Traffic,
    pub targets: Targets,
    pub options: HardwareOptions,
    pub facility: Facility,
    pub finance: Finance,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub source: String,
}

/// The model served: a workload (preset name or file) for its shape, at a precision.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServedModel {
    /// Workload preset or file whose `[model]` is served.
    pub workload: String,
    /// Bits per stored weight.
    pub weight_bits: u32,
    /// Bits per KV-cache element.
    pub kv_bits: u32,
}

/// The traffic the fleet must carry at its busiest: requests per second or output tokens
/// per second (give one).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_s: Option<f64>,
    /// Mean prompt length, tokens.
    pub prompt_tokens: u32,
    /// Mean generated length, tokens.
    pub output_tokens: u32,
}

impl Traffic {
    /// Output tokens per second at the busiest hour.
    pub fn output_tokens_per_s(&self) -> f64 {
        match (self.tokens_per_s, self.requests_per_s) {
            (Some(t), _) => t,
            (None, Some(r)) => r * self.output_tokens as f64,
            (None, None) => 0.0,
        }
    }
}

/// Service targets each configuration must meet.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Time to first token.
    pub ttft: Time,
    /// Time per output token (between a sequence's tokens).
    pub tpot: Time,
}

/// The hardware to size: GPU presets or files, and optical rig presets or files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareOptions {
    #[serde(default)]
    pub gpus: Vec<String>,
    #[serde(default)]
    pub rigs: Vec<String>,
    /// Largest replica the search considers, GPUs.
    pub max_gpus_per_replica: u32,
}

/// The building and its electricity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    /// Power usage effectiveness: facility power ÷ IT power.
    pub pue: f64,
    pub electricity_price: EnergyPrice,
    /// Mean load over the year as a share of the busiest hour's traffic; the rest of the time
    /// the hardware idles.
    pub utilisation: Fraction,
    /// Construction cost per MW of IT load (power and cooling plant, shell), excluding the IT.
    pub cost_per_mw: Money,
    /// Years the building is written off over.
    pub life: Time,
}

/// How the hardware is paid for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finance {
    /// Years the hardware is written off over.
    pub depreciation: Time,
    /// Support and maintenance per year, as a share of the hardware's price.
    pub maintenance: Fraction,
}

impl Validate for Deployment {
    fn check(&self, c: &mut Checker) {
        c.non_empty("deployment.name", &self.deployment.name);
        c.non_empty("model.workload", &self.model.workload);
        c.count_within(
            "model.weight_bits",
            self.model.weight_bits as u64,
            1,
            32,
            "bits per weight",
        );
        c.count_within(
            "model.kv_bits",
            self.model.kv_bits as u64,
            1,
            32,
            "bits per KV element",
        );
        let t = &self.traffic;
        match (t.requests_per_s, t.tokens_per_s) {
            (None, None) => c.fail(
                "traffic.requests_per_s",
                ErrorKind::MissingKey,
                "give the traffic as traffic.requests_per_s or traffic.tokens_per_s",
            ),
            (Some(_), Some(_)) => c.fail(
                "traffic.tokens_per_s",
                ErrorKind::Value,
                "give traffic.requests_per_s or traffic.tokens_per_s, not both",
            ),
            (Some(r), None) => c.number_within(
                "traffic.requests_per_s",
                r,
                1e-6,
                1e12,
                "requests per second",
            ),
            (None, Some(x)) => c.number_within(
                "traffic.tokens_per_s",
                x,
                1e-6,
                1e15,
                "output tokens per second",
            ),
        }
        c.count_within(
            "traffic.prompt_tokens",
            t.prompt_tokens as u64,
            1,
            10_000_000,
            "tokens",
        );
        c.count_within(
            "traffic.output_tokens",
            t.output_tokens as u64,
            1,
            10_000_000,
            "tokens",
        );
        c.positive("targets.ttft", self.targets.ttft);
        c.positive("targets.tpot", self.targets.tpot);
        let o = &self.options;
        if o.gpus.is_empty() && o.rigs.is_empty() {
            c.fail(
                "options.gpus",
                ErrorKind::MissingKey,
                "name at least one GPU or rig to size",
            );
        }
        c.count_within(
            "options.max_gpus_per_replica",
            o.max_gpus_per_replica as u64,
            1,
            65_536,
            "GPUs in one replica",
        );
        let f = &self.facility;
        c.number_within(
            "facility.pue",
            f.pue,
            1.0,
            5.0,
            "a PUE (facility ÷ IT power, at least 1)",
        );
        c.non_negative("facility.electricity_price", f.electricity_price);
        c.within(
            "facility.utilisation",
            f.utilisation,
            1e-3,
            1.0,
            "a share of the busiest hour's load",
        );
        c.non_negative("facility.cost_per_mw", f.cost_per_mw);
        c.within(
            "facility.life",
            f.life,
            86_400.0,
            100.0 * 31_557_600.0,
            "a building's life",
        );
        c.within(
            "finance.depreciation",
            self.finance.depreciation,
            86_400.0,
            30.0 * 31_557_600.0,
            "a hardware write-off period",
        );
        c.within(
            "finance.maintenance",
            self.finance.maintenance,
            0.0,
            1.0,
            "a share of the price per year",
        );
    }
}

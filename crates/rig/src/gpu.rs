//! GPU descriptions for the baseline: the datasheet of one GPU (dense peaks: NVIDIA's headline
//! numbers include 2:4 structured sparsity, the presets halve them), the links it serves over
//! (the NVLink domain and the scale-out network), the node it is sold in, and its price.
//!
//! What the serving software achieves of these peaks is not part of the hardware: it is the
//! fitted serving stack of `lightloop-gpu`, which a `[serving]` section may override.

use crate::error::ErrorKind;
use crate::units::*;
use crate::validate::{Checker, Validate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    pub gpu: GpuMeta,
    pub compute: GpuCompute,
    pub memory: GpuMemory,
    pub power: GpuPower,
    pub scale_up: ScaleUp,
    pub scale_out: ScaleOut,
    pub node: GpuNode,
    pub price: GpuPrice,
    /// Overrides of the fitted serving stack (achieved fractions of peak, overheads, power
    /// coefficients), for a user who has measured their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<ServingOverrides>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub source: String,
}

/// Dense peak throughput of the tensor cores.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuCompute {
    pub bf16_dense: OpRate,
    pub fp8_dense: OpRate,
    /// 4-bit floating point (Blackwell); absent where the tensor cores have none, and 4-bit
    /// weights then run at the FP8 rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp4_dense: Option<OpRate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuMemory {
    pub capacity: Bytes,
    pub bandwidth: ByteRate,
}

/// The board's power limits. What it draws between them follows from its utilisation (the
/// serving stack's power model), never above `tdp`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuPower {
    /// Board power limit (TDP/TGP).
    pub tdp: Power,
    /// Draw with nothing running.
    pub idle: Power,
}

/// The scale-up domain (NVLink through NVSwitch): every GPU of a domain reaches every other at
/// `bandwidth` per direction.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleUp {
    /// Per GPU, per direction (NVLink 4: 900 GB/s bidirectional = 450 GB/s).
    pub bandwidth: ByteRate,
    /// GPUs in one domain (8 in an HGX board, 72 in an NVL72 rack).
    pub domain: u32,
    /// Latency of one step of a collective (a small all-reduce inside a node takes a few µs).
    pub latency: Time,
    /// Energy to move one bit GPU to GPU, both ends and the switch.
    pub energy_per_bit: Energy,
}

/// The scale-out network between domains (InfiniBand or Ethernet through optical transceivers).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleOut {
    /// NIC bandwidth per GPU, per direction.
    pub bandwidth: ByteRate,
    /// Latency of one step of a collective between nodes.
    pub latency: Time,
    /// Energy to move one bit between nodes: NICs, transceivers and switches.
    pub energy_per_bit: Energy,
}

/// The unit GPUs are bought and racked in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuNode {
    pub name: String,
    /// GPUs per node.
    pub gpus: u32,
    /// Everything in the node but the GPUs at load: CPUs, memory, NICs, fans, storage.
    pub host_power: Power,
    /// The node's rated maximum input power (its power supplies' rating).
    pub max_power: Power,
    /// Nodes per rack.
    pub per_rack: u32,
}

/// Purchase prices (estimates: NVIDIA publishes no list price).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuPrice {
    /// One node with its GPUs.
    pub node: Money,
    /// The scale-out fabric's share per GPU: NIC, transceivers, switch ports, cables.
    pub network_per_gpu: Money,
}

/// Overrides of the fitted serving stack; every key is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServingOverrides {
    /// Achieved fraction of dense peak in large matrix products.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_efficiency: Option<Fraction>,
    /// Achieved fraction of HBM bandwidth streaming weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_efficiency: Option<Fraction>,
    /// Achieved fraction of HBM bandwidth reading the KV cache in attention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention_efficiency: Option<Fraction>,
    /// Fixed time of every decode step (scheduling, sampling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_overhead: Option<Time>,
    /// Time per layer per step beyond the roofline (kernel launches and synchronisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_overhead: Option<Time>,
    /// Share of the dynamic power range drawn by a busy GPU doing nothing useful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_active: Option<Fraction>,
    /// Share of the dynamic power range per unit of compute utilisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_compute: Option<f64>,
    /// Share of the dynamic power range per unit of HBM bandwidth utilisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_memory: Option<f64>,
}

impl Validate for Gpu {
    fn check(&self, c: &mut Checker) {
        c.non_empty("gpu.name", &self.gpu.name);
        c.positive("compute.bf16_dense", self.compute.bf16_dense);
        c.positive("compute.fp8_dense", self.compute.fp8_dense);
        if let Some(fp4) = self.compute.fp4_dense {
            c.positive("compute.fp4_dense", fp4);
        }
        c.positive("memory.capacity", self.memory.capacity);
        c.positive("memory.bandwidth", self.memory.bandwidth);
        c.positive("power.tdp", self.power.tdp);
        c.non_negative("power.idle", self.power.idle);
        if self.power.idle.si() > self.power.tdp.si() {
            c.fail("power.idle", ErrorKind::Value, "idle power exceeds the TDP");
        }
        c.positive("scale_up.bandwidth", self.scale_up.bandwidth);
        c.count_within(
            "scale_up.domain",
            self.scale_up.domain as u64,
            1,
            1 << 16,
            "GPUs in one NVLink domain",
        );
        c.non_negative("scale_up.latency", self.scale_up.latency);
        c.non_negative("scale_up.energy_per_bit", self.scale_up.energy_per_bit);
        c.positive("scale_out.bandwidth", self.scale_out.bandwidth);
        c.non_negative("scale_out.latency", self.scale_out.latency);
        c.non_negative("scale_out.energy_per_bit", self.scale_out.energy_per_bit);
        let n = &self.node;
        c.non_empty("node.name", &n.name);
        c.count_within("node.gpus", n.gpus as u64, 1, 1 << 16, "GPUs per node");
        c.non_negative("node.host_power", n.host_power);
        c.positive("node.max_power", n.max_power);
        let full = n.gpus as f64 * self.power.tdp.si() + n.host_power.si();
        if full > n.max_power.si() * (1.0 + 1e-9) {
            c.fail(
                "node.max_power",
                ErrorKind::Value,
                format!(
                    "{} GPUs at {} and the host's {} draw {}, above the node's rated {}",
                    n.gpus,
                    self.power.tdp,
                    n.host_power,
                    format_si(full, "W", 4),
                    n.max_power
                ),
            );
        }
        c.count_within(
            "node.per_rack",
            n.per_rack as u64,
            1,
            4096,
            "nodes per rack",
        );
        if self.scale_up.domain > n.gpus * n.per_rack {
            c.fail(
                "scale_up.domain",
                ErrorKind::Topology,
                format!(
                    "an NVLink domain of {} GPUs is larger than a rack of {} nodes × {} GPUs",
                    self.scale_up.domain, n.per_rack, n.gpus
                ),
            );
        }
        c.positive("price.node", self.price.node);
        c.non_negative("price.network_per_gpu", self.price.network_per_gpu);
        if let Some(s) = &self.serving {
            let frac = |c: &mut Checker, key: &str, v: Option<Fraction>, lo: f64| {
                if let Some(v) = v {
                    c.within(key, v, lo, 1.0, "a fraction");
                }
            };
            frac(c, "serving.compute_efficiency", s.compute_efficiency, 1e-3);
            frac(c, "serving.memory_efficiency", s.memory_efficiency, 1e-3);
            frac(
                c,
                "serving.attention_efficiency",
                s.attention_efficiency,
                1e-3,
            );
            frac(c, "serving.power_active", s.power_active, 0.0);
            for (key, v) in [
                ("serving.power_compute", s.power_compute),
                ("serving.power_memory", s.power_memory),
            ] {
                if let Some(v) = v {
                    c.number_within(
                        key,
                        v,
                        0.0,
                        10.0,
                        "a share of the dynamic range per unit of utilisation",
                    );
                }
            }
            if let Some(t) = s.step_overhead {
                c.non_negative("serving.step_overhead", t);
            }
            if let Some(t) = s.layer_overhead {
                c.non_negative("serving.layer_overhead", t);
            }
        }
    }
}

//! GPU descriptions for the baseline: dense datasheet figures (NVIDIA's headline numbers include
//! 2:4 structured sparsity; the presets halve them).

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
    pub efficiency: GpuEfficiency,
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

/// Dense peak throughput.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuCompute {
    pub bf16_dense: OpRate,
    pub fp8_dense: OpRate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuMemory {
    pub capacity: Bytes,
    pub bandwidth: ByteRate,
}

/// Utilisation-dependent power model: P = idle + (tdp − idle) · min(1, u_compute +
/// memory_bound_draw · u_memory), per GPU, plus the host's share.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuPower {
    pub tdp: Power,
    pub idle: Power,
    /// Fraction of the dynamic power range drawn when HBM is saturated and the tensor cores idle.
    pub memory_bound_draw: Fraction,
    /// Host CPU, memory and network share per GPU (counted, as the optical rig's host is).
    pub host_share: Power,
}

/// Achieved fraction of peak in practice, and the floor on a dependent kernel's time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuEfficiency {
    pub compute: Fraction,
    pub memory: Fraction,
    /// Shortest time of one dependent kernel (launch and synchronisation): a chain of n
    /// dependent kernels takes at least n times this, however small each is.
    pub dependent_kernel_latency: Time,
}

impl Validate for Gpu {
    fn check(&self, c: &mut Checker) {
        c.non_empty("gpu.name", &self.gpu.name);
        c.positive("compute.bf16_dense", self.compute.bf16_dense);
        c.positive("compute.fp8_dense", self.compute.fp8_dense);
        c.positive("memory.capacity", self.memory.capacity);
        c.positive("memory.bandwidth", self.memory.bandwidth);
        c.positive("power.tdp", self.power.tdp);
        c.non_negative("power.idle", self.power.idle);
        if self.power.idle.si() > self.power.tdp.si() {
            c.fail("power.idle", ErrorKind::Value, "idle power exceeds the TDP");
        }
        c.within(
            "power.memory_bound_draw",
            self.power.memory_bound_draw,
            0.0,
            1.0,
            "a fraction",
        );
        c.non_negative("power.host_share", self.power.host_share);
        c.within(
            "efficiency.compute",
            self.efficiency.compute,
            1e-3,
            1.0,
            "a fraction of peak",
        );
        c.within(
            "efficiency.memory",
            self.efficiency.memory,
            1e-3,
            1.0,
            "a fraction of peak",
        );
    }
}

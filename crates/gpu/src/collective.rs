//! Collectives on the GPUs' links: ring all-reduce, all-to-all and point-to-point, each a
//! latency plus bytes over the link's bandwidth (the α–β model; Thakur, Rabenseifner & Gropp,
//! "Optimization of collective communication operations in MPICH", IJHPCA 19(1), 2005).
//!
//! A group of GPUs inside one NVLink domain talks over the scale-up links; a larger group over
//! the scale-out network (each GPU's NIC).

use lightloop_rig::gpu::Gpu;
use serde::Serialize;

/// Which links a collective runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fabric {
    ScaleUp,
    ScaleOut,
}

/// One GPU's port into a fabric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Link {
    pub fabric: Fabric,
    /// Per GPU, per direction, B/s.
    pub bandwidth: f64,
    /// Per collective step, s.
    pub latency: f64,
    /// J per bit moved.
    pub energy_per_bit: f64,
}

impl Link {
    /// The link a group of `group` GPUs uses: NVLink when the group fits one domain.
    pub fn for_group(gpu: &Gpu, group: u32) -> Self {
        if group <= gpu.scale_up.domain {
            Self {
                fabric: Fabric::ScaleUp,
                bandwidth: gpu.scale_up.bandwidth.si(),
                latency: gpu.scale_up.latency.si(),
                energy_per_bit: gpu.scale_up.energy_per_bit.si(),
            }
        } else {
            Self {
                fabric: Fabric::ScaleOut,
                bandwidth: gpu.scale_out.bandwidth.si(),
                latency: gpu.scale_out.latency.si(),
                energy_per_bit: gpu.scale_out.energy_per_bit.si(),
            }
        }
    }
}

/// Time and traffic of one collective.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Cost {
    /// s.
    pub time: f64,
    /// Bytes each GPU sends.
    pub bytes_per_gpu: f64,
}

/// Ring all-reduce of `bytes` held by each of `n` GPUs: each sends 2(n−1)/n of it; the
/// latency term is one collective's (NCCL's small-message all-reduce inside a node is a few
/// µs whatever n, through NVSwitch).
pub fn all_reduce(link: &Link, n: u32, bytes: f64) -> Cost {
    if n <= 1 {
        return Cost::default();
    }
    let n = n as f64;
    let sent = 2.0 * (n - 1.0) / n * bytes;
    Cost {
        time: link.latency + sent / link.bandwidth,
        bytes_per_gpu: sent,
    }
}

/// All-to-all in which each of `n` GPUs holds `bytes` destined evenly for all: it sends
/// (n−1)/n of them.
pub fn all_to_all(link: &Link, n: u32, bytes: f64) -> Cost {
    if n <= 1 {
        return Cost::default();
    }
    let n = n as f64;
    let sent = (n - 1.0) / n * bytes;
    Cost {
        time: link.latency + sent / link.bandwidth,
        bytes_per_gpu: sent,
    }
}

/// One transfer of `bytes` from one GPU to the next (a pipeline stage boundary).
pub fn point_to_point(link: &Link, bytes: f64) -> Cost {
    Cost {
        time: link.latency + bytes / link.bandwidth,
        bytes_per_gpu: bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> Link {
        Link {
            fabric: Fabric::ScaleUp,
            bandwidth: 450e9,
            latency: 5e-6,
            energy_per_bit: 11e-12,
        }
    }

    /// A ring all-reduce of S bytes over n GPUs moves 2(n−1)/n·S per GPU (Thakur et al. 2005):
    /// 8 GPUs, 1 GB at 450 GB/s take 5 µs + 1.75 GB / 450 GB/s.
    #[test]
    fn ring_all_reduce_by_hand() {
        let c = all_reduce(&link(), 8, 1e9);
        assert_eq!(c.bytes_per_gpu, 1.75e9);
        assert!((c.time - (5e-6 + 1.75e9 / 450e9)).abs() < 1e-15);
        assert_eq!(all_reduce(&link(), 1, 1e9), Cost::default());
        let a = all_to_all(&link(), 4, 4e6);
        assert_eq!(a.bytes_per_gpu, 3e6);
    }
}

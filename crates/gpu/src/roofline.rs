//! Arithmetic intensity of a transformer's operations against the ceilings of a device: its
//! peak FLOP/s, its memory bandwidth and its links (Williams, Waterman & Patterson, "Roofline",
//! CACM 52(4), 2009). An operation whose bytes cross a link is placed against that link's
//! bandwidth; the attainable rate is min(peak, intensity × bandwidth).
//!
//! Operations (one layer of the model, FLOPs and the bytes that must move):
//! - matrix products in decode at batch b: 2·b·d_in·d_out FLOPs over the weights
//!   (d_in·d_out·bytes per weight) and the activations;
//! - attention in decode: the KV cache read once per step per sequence;
//! - attention in prefill of n tokens, naive: the n×n scores and probabilities are written to
//!   and read back from memory (four passes of 2-byte values per head), besides Q, K, V, O;
//! - attention in prefill, IO-aware (FlashAttention; Dao et al., NeurIPS 2022): Q, K, V and O
//!   only, with K and V read once per 128-row tile of queries;
//! - a tensor-parallel all-reduce of the activations (one add per element received) over the
//!   NVLink domain;
//! - a mixture's all-to-all: the expert FLOPs a dispatched token enables, per byte dispatched;
//! - a pipeline stage transfer: a stage's FLOPs per token, per activation byte sent.

use crate::serving::peak_flops;
use lightloop_rig::work::{MatKind, Work};
use lightloop_rig::{Gpu, Workload};
use serde::Serialize;

/// Which bytes an operation's intensity is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Over {
    Memory,
    ScaleUp,
    ScaleOut,
}

/// A device's ceilings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ceilings {
    pub device: String,
    /// FLOP/s.
    pub peak: f64,
    /// B/s.
    pub memory: f64,
    pub scale_up: f64,
    pub scale_out: f64,
}

impl Ceilings {
    /// A GPU's, at the weights' precision.
    pub fn of_gpu(gpu: &Gpu, weight_bits: u32) -> Self {
        Self {
            device: gpu.gpu.name.clone(),
            peak: peak_flops(gpu, weight_bits),
            memory: gpu.memory.bandwidth.si(),
            scale_up: gpu.scale_up.bandwidth.si(),
            scale_out: gpu.scale_out.bandwidth.si(),
        }
    }
    pub fn bandwidth(&self, over: Over) -> f64 {
        match over {
            Over::Memory => self.memory,
            Over::ScaleUp => self.scale_up,
            Over::ScaleOut => self.scale_out,
        }
    }
    /// Intensity where the bandwidth roof meets the peak, FLOP/B.
    pub fn ridge(&self, over: Over) -> f64 {
        self.peak / self.bandwidth(over)
    }
}

/// One operation on the roofline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub name: String,
    pub flops: f64,
    pub bytes: f64,
    pub over: Over,
}

impl Operation {
    /// FLOP per byte.
    pub fn intensity(&self) -> f64 {
        self.flops / self.bytes
    }
    /// min(peak, intensity × bandwidth), FLOP/s.
    pub fn attainable(&self, c: &Ceilings) -> f64 {
        c.peak.min(self.intensity() * c.bandwidth(self.over))
    }
    /// Whether the bandwidth, not the peak, bounds it on `c`.
    pub fn bandwidth_bound(&self, c: &Ceilings) -> bool {
        self.intensity() < c.ridge(self.over)
    }
}

/// The operations of one layer of `wl` at decode batch `batch`, prefill length `prompt`,
/// tensor-parallel degree `tp` and expert-parallel degree `ep`.
pub fn operations(wl: &Workload, batch: f64, prompt: f64, tp: f64, ep: f64) -> Vec<Operation> {
    let w = Work::from_workload(wl);
    let wb = w.weight_bytes;
    let layers = w.attention_layers.max(1.0);
    let mut out = Vec::new();
    let d = wl
        .model
        .as_ref()
        .map(|m| m.d_model as f64)
        .unwrap_or(w.loop_width as f64);
    let mut ffn = (0.0, 0.0);
    let mut proj = (0.0, 0.0);
    let mut expert_macs_per_token = 0.0;
    for op in w.ops() {
        let macs = op.macs_per_use();
        let per_layer = op.uses_per_token / layers;
        match op.kind {
            MatKind::FfnUp | MatKind::FfnDown => {
                ffn.0 += 2.0 * batch * macs * per_layer;
                ffn.1 +=
                    macs * wb * op.matrices / layers + batch * (op.d_in + op.d_out) as f64 * 2.0;
            }
            MatKind::ExpertUp | MatKind::ExpertDown => {
                expert_macs_per_token += macs * per_layer;
                let touched = op.matrices_touched(batch) / layers;
                ffn.0 += 2.0 * batch * macs * per_layer;
                ffn.1 += touched * macs * wb + batch * (op.d_in + op.d_out) as f64 * 2.0;
            }
            MatKind::Qkv | MatKind::QUp | MatKind::KvUp | MatKind::AttnOut => {
                proj.0 += 2.0 * batch * macs * per_layer;
                proj.1 += macs * wb + batch * (op.d_in + op.d_out) as f64 * 2.0;
            }
            _ => {}
        }
    }
    if ffn.0 > 0.0 {
        out.push(Operation {
            name: format!("FFN products, decode batch {batch:.0}"),
            flops: ffn.0,
            bytes: ffn.1,
            over: Over::Memory,
        });
    }
    if proj.0 > 0.0 {
        out.push(Operation {
            name: format!("attention projections, decode batch {batch:.0}"),
            flops: proj.0,
            bytes: proj.1,
            over: Over::Memory,
        });
    }
    if w.attention_layers > 0.0 {
        let ctx = prompt;
        out.push(Operation {
            name: format!("attention, decode (KV cache at {ctx:.0} positions)"),
            flops: batch * w.attention_flops(ctx) / layers,
            bytes: batch * ctx * w.kv_bytes_per_position,
            over: Over::Memory,
        });
        let n = prompt;
        let flops = n * w.attention_flops(n / 2.0) / layers;
        let qkvo = 4.0 * n * w.heads * w.head_dim * 2.0;
        out.push(Operation {
            name: format!("attention, prefill of {n:.0}, naive"),
            flops,
            bytes: qkvo + 4.0 * w.heads * n * n * 2.0,
            over: Over::Memory,
        });
        let kv = 2.0 * n * w.kv_bytes_per_position / 2.0 * (n / 128.0).ceil().max(1.0);
        out.push(Operation {
            name: format!("attention, prefill of {n:.0}, IO-aware"),
            flops,
            bytes: qkvo + kv,
            over: Over::Memory,
        });
    }
    if tp > 1.0 {
        let elements = batch * d;
        out.push(Operation {
            name: format!("all-reduce of activations, TP {tp:.0}"),
            flops: elements * (tp - 1.0) / tp,
            bytes: 2.0 * (tp - 1.0) / tp * elements * 2.0,
            over: Over::ScaleUp,
        });
    }
    if ep > 1.0 && expert_macs_per_token > 0.0 {
        out.push(Operation {
            name: format!("all-to-all to experts, EP {ep:.0}"),
            flops: 2.0 * expert_macs_per_token,
            bytes: d * 2.0 * (ep - 1.0) / ep * 2.0,
            over: Over::ScaleUp,
        });
    }
    let layer_flops: f64 = out
        .iter()
        .filter(|o| o.name.contains("decode"))
        .map(|o| o.flops)
        .sum::<f64>()
        / batch.max(1.0);
    out.push(Operation {
        name: "pipeline stage transfer (one layer per stage)".into(),
        flops: layer_flops,
        bytes: d * 2.0,
        over: Over::ScaleOut,
    });
    out
}

/// A link technology that can replace a GPU's copper or pluggable links.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinkTech {
    pub id: &'static str,
    pub name: &'static str,
    /// Energy per bit end to end (both ends and, for a network, a switch), J.
    pub energy_per_bit: f64,
    /// Per GPU, per direction, B/s.
    pub bandwidth: f64,
    /// Per collective step, s.
    pub latency: f64,
    pub source: &'static str,
}

/// Link technologies (docs/references.md, interconnect). The end-to-end energies add both ends
/// of a link and, for the network, a switch ASIC's ~7 pJ/bit.
pub const LINK_TECHS: &[LinkTech] = &[
    LinkTech {
        id: "pluggable-400g",
        name: "pluggable 400/800G optics (today's scale-out)",
        energy_per_bit: 50e-12,
        bandwidth: 50e9,
        latency: 25e-6,
        source: "NVIDIA 800G OSFP 15–17 W (19–21 pJ/bit per end) and a switch ASIC; one 400 Gb/s NIC per GPU",
    },
    LinkTech {
        id: "cpo-800g",
        name: "co-packaged optics, 800G per GPU",
        energy_per_bit: 18e-12,
        bandwidth: 100e9,
        latency: 25e-6,
        source: "NVIDIA Quantum-X/Spectrum-X Photonics: ~5.6 pJ/bit per port (30 W → 9 W per 1.6T port); Broadcom Bailly 6.9 pJ/bit",
    },
    LinkTech {
        id: "optical-io",
        name: "optical I/O chiplets in the GPU package (4 × 4 Tb/s)",
        energy_per_bit: 10e-12,
        bandwidth: 1e12,
        latency: 5e-6,
        source: "Ayar Labs TeraPHY: 4 Tb/s bidirectional per chiplet, < 5 pJ/bit per end, ~5 ns plus flight",
    },
    LinkTech {
        id: "photonic-interposer",
        name: "photonic interposer (3 pJ/bit per end)",
        energy_per_bit: 6e-12,
        bandwidth: 800e9,
        latency: 5e-6,
        source: "Lightmatter Passage L20: 6.4 Tb/s at 3.0 pJ/bit; Celestial AI Photonic Fabric 3.1 pJ/bit",
    },
];

/// Which links a technology replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Replaces {
    /// The scale-out network (NIC, transceivers, switch).
    ScaleOut,
    /// The NVLink domain's copper, and the domain grows to `domain` GPUs.
    ScaleUp { domain: u32 },
}

/// `gpu` with its links replaced by `tech`.
pub fn with_links(gpu: &Gpu, tech: &LinkTech, replaces: Replaces) -> Gpu {
    use lightloop_rig::units::{ByteRate, Energy, Time};
    let mut g = gpu.clone();
    match replaces {
        Replaces::ScaleOut => {
            g.scale_out.bandwidth = ByteRate::new(tech.bandwidth);
            g.scale_out.energy_per_bit = Energy::new(tech.energy_per_bit);
            g.scale_out.latency = Time::new(tech.latency);
        }
        Replaces::ScaleUp { domain } => {
            g.scale_up.bandwidth = ByteRate::new(tech.bandwidth);
            g.scale_up.energy_per_bit = Energy::new(tech.energy_per_bit);
            g.scale_up.latency = Time::new(tech.latency);
            g.scale_up.domain = domain.max(g.scale_up.domain);
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decode product at batch b over FP8 weights does 2b FLOPs per weight byte (activations
    /// aside), so at batch 1 it sits far left of an H100's FP8 ridge (1979/3.35 ≈ 591 FLOP/B)
    /// and the IO-aware attention's intensity exceeds the naive one's.
    #[test]
    fn intensities_by_hand() {
        let wl = lightloop_rig::load_workload("llama-3-70b", &["run.weight_bits=8".into()])
            .unwrap()
            .value;
        let gpu = lightloop_rig::load_gpu("h100-sxm", &[]).unwrap().value;
        let c = Ceilings::of_gpu(&gpu, 8);
        assert!((c.ridge(Over::Memory) - 1979e12 / 3.35e12).abs() < 1e-6);
        let ops = operations(&wl, 1.0, 4096.0, 8.0, 1.0);
        let ffn = ops.iter().find(|o| o.name.starts_with("FFN")).unwrap();
        assert!((ffn.intensity() - 2.0).abs() < 0.01, "{}", ffn.intensity());
        assert!(ffn.bandwidth_bound(&c));
        let naive = ops.iter().find(|o| o.name.ends_with("naive")).unwrap();
        let aware = ops.iter().find(|o| o.name.ends_with("IO-aware")).unwrap();
        assert!(aware.intensity() > 10.0 * naive.intensity());
        // Attention runs in BF16: its IO-aware form passes the BF16 ridge (989/3.35 ≈ 295),
        // the naive one does not.
        let bf16 = Ceilings::of_gpu(&gpu, 16);
        assert!(!aware.bandwidth_bound(&bf16) && naive.bandwidth_bound(&bf16));
        let ar = ops
            .iter()
            .find(|o| o.name.starts_with("all-reduce"))
            .unwrap();
        // One add per element received, two bytes per element sent twice: 1/4 FLOP per byte.
        assert!((ar.intensity() - 0.25).abs() < 1e-12);
    }
}

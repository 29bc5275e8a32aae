//! Descriptions shipped with the tool (the TOML files under `presets/`, compiled in).

use crate::document::DescKind;

/// One built-in description.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub kind: DescKind,
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! preset {
    ($kind:ident, $dir:literal, $name:literal) => {
        Preset {
            kind: DescKind::$kind,
            name: $name,
            text: include_str!(concat!("../../../presets/", $dir, "/", $name, ".toml")),
        }
    };
}

/// Every preset, rigs first.
pub const PRESETS: &[Preset] = &[
    preset!(Rig, "rigs", "seed-16ch"),
    preset!(Rig, "rigs", "single-channel"),
    preset!(Rig, "rigs", "seed-assumptions"),
    preset!(Rig, "rigs", "seed-assumptions-1ch"),
    preset!(Rig, "rigs", "tier-a-1024"),
    preset!(Rig, "rigs", "tier-b-1024"),
    preset!(Rig, "rigs", "tier-c-1024"),
    preset!(Rig, "rigs", "tier-d-1024"),
    preset!(Rig, "rigs", "wdm-bw-64"),
    preset!(Rig, "rigs", "lighton-opu"),
    preset!(Rig, "rigs", "seed-wdm-32"),
    preset!(Rig, "rigs", "seed-mdm-3"),
    preset!(Workload, "workloads", "deep-loop-2048"),
    preset!(Workload, "workloads", "deep-loop-8192"),
    preset!(Workload, "workloads", "loop-1024"),
    preset!(Workload, "workloads", "gpt2-small"),
    preset!(Workload, "workloads", "llama-3-8b"),
    preset!(Workload, "workloads", "llama-3-70b"),
    preset!(Workload, "workloads", "moe-8k-a37b"),
    preset!(Workload, "workloads", "llama-2-70b"),
    preset!(Workload, "workloads", "llama-3.1-405b"),
    preset!(Workload, "workloads", "mixtral-8x7b"),
    preset!(Workload, "workloads", "deepseek-v3"),
    preset!(Workload, "workloads", "moe-1t"),
    preset!(Workload, "workloads", "smollm2-135m"),
    preset!(Workload, "workloads", "minilm-l6"),
    preset!(Gpu, "gpus", "h100-sxm"),
    preset!(Gpu, "gpus", "h200-sxm"),
    preset!(Gpu, "gpus", "b200"),
    preset!(Gpu, "gpus", "gb200-nvl72"),
    preset!(Deployment, "deployments", "chat-moe-1t"),
    preset!(Deployment, "deployments", "chat-llama-70b"),
];

/// The rig `lightloop` uses when none is given: the seed design, 16 channels at 6 ns.
pub const DEFAULT_RIG: &str = "seed-16ch";
/// The workload used when none is given: the seed's deep loop at d = 2048, T = 256.
pub const DEFAULT_WORKLOAD: &str = "deep-loop-2048";
/// The deployment `lightloop fleet` sizes when none is given.
pub const DEFAULT_DEPLOYMENT: &str = "chat-moe-1t";
/// The GPU baseline used when none is given.
pub const DEFAULT_GPU: &str = "h100-sxm";

/// The preset used when none of `kind` is given.
pub fn default_name(kind: DescKind) -> Option<&'static str> {
    Some(match kind {
        DescKind::Rig => DEFAULT_RIG,
        DescKind::Workload => DEFAULT_WORKLOAD,
        DescKind::Gpu => DEFAULT_GPU,
        DescKind::Deployment => DEFAULT_DEPLOYMENT,
    })
}

/// The text of a preset.
pub fn text(kind: DescKind, name: &str) -> Option<&'static str> {
    PRESETS
        .iter()
        .find(|p| p.kind == kind && p.name == name)
        .map(|p| p.text)
}

/// Names of the presets of one kind.
pub fn names(kind: DescKind) -> Vec<&'static str> {
    PRESETS
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.name)
        .collect()
}

/// The first comment line of a preset, used as its one-line summary.
pub fn summary(p: &Preset) -> &'static str {
    p.text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or("")
}

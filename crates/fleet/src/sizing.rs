//! Sizing one hardware option for a deployment: every configuration the option allows (GPU
//! splits and batches; rig batches and weight placements) is priced, and the cheapest per
//! million tokens that meets the service targets is chosen. When none does, the configuration
//! closest to the targets is kept and the binding constraint is named.

use crate::bom;
use crate::economics::{Cost, Economics, FleetPower};
use lightloop_cost::evaluate::{Core, evaluate_core};
use lightloop_gpu::split::valid_splits;
use lightloop_gpu::{GpuError, ServingStack, Split, serving::serve_batch};
use lightloop_rig::rig::WeightStorage;
use lightloop_rig::work::Work;
use lightloop_rig::{Gpu, Rig, Workload};
use serde::Serialize;

/// Rigs in one 42U rack (4U each, fibre spools beside them); assumption.
pub const RIGS_PER_RACK: u64 = 10;

/// What the fleet must carry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Demand {
    /// Output tokens per second at the busiest hour.
    pub tokens_per_s: f64,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    /// Targets, s.
    pub ttft: f64,
    pub tpot: f64,
}

/// GPUs or optical rigs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Gpu,
    Rig,
}

/// One priced configuration of one option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sizing {
    pub hardware: String,
    pub kind: Kind,
    /// The configuration in words (split or pipeline, batch).
    pub configuration: String,
    /// Where the weights live.
    pub weights: String,
    /// A GPU replica's parallel split.
    pub split: Option<Split>,
    /// Sequences in flight per replica.
    pub batch: f64,
    pub devices_per_replica: u64,
    pub replicas: u64,
    /// GPUs or rigs.
    pub devices: u64,
    /// GPU nodes, or host shares of rigs.
    pub hosts: u64,
    pub racks: u64,
    pub replica_tokens_per_s: f64,
    /// What the fleet can carry, ≥ the demand.
    pub capacity_tokens_per_s: f64,
    pub ttft: f64,
    pub tpot: f64,
    pub meets_targets: bool,
    pub power: FleetPower,
    pub cost: Cost,
    /// Output tokens per second at the busiest hour per MW of facility power.
    pub tokens_per_s_per_mw: f64,
    /// IT energy per token at the busiest hour, J.
    pub j_per_token_busy: f64,
    /// Bytes per output token over the scale-up links and over the scale-out network (GPUs).
    pub scale_up_bytes_per_token: f64,
    pub scale_out_bytes_per_token: f64,
}

/// The outcome for one option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionAnswer {
    pub hardware: String,
    pub kind: Kind,
    /// The cheapest configuration meeting the targets.
    pub chosen: Option<Sizing>,
    /// When none meets them: the configuration closest to them.
    pub closest: Option<Sizing>,
    /// Why no configuration meets the targets.
    pub binding: Option<String>,
    /// Configurations evaluated.
    pub evaluated: usize,
}

impl OptionAnswer {
    /// The configuration to show: the chosen one, else the closest.
    pub fn shown(&self) -> Option<&Sizing> {
        self.chosen.as_ref().or(self.closest.as_ref())
    }
}

/// How far a configuration is from its targets (≤ 1: meets them).
fn shortfall(ttft: f64, tpot: f64, d: &Demand) -> f64 {
    (ttft / d.ttft).max(tpot / d.tpot)
}

/// Keeps the cheapest meeting configuration and the closest one.
#[derive(Default)]
struct Best {
    chosen: Option<Sizing>,
    closest: Option<(f64, Sizing)>,
    best_ttft: f64,
    best_tpot: f64,
    evaluated: usize,
}

impl Best {
    fn new() -> Self {
        Self {
            best_ttft: f64::INFINITY,
            best_tpot: f64::INFINITY,
            ..Default::default()
        }
    }
    fn offer(&mut self, s: Sizing, d: &Demand) {
        self.evaluated += 1;
        self.best_ttft = self.best_ttft.min(s.ttft);
        self.best_tpot = self.best_tpot.min(s.tpot);
        if s.meets_targets {
            if self
                .chosen
                .as_ref()
                .is_none_or(|c| s.cost.usd_per_m_tokens < c.cost.usd_per_m_tokens)
            {
                self.chosen = Some(s);
            }
        } else {
            let f = shortfall(s.ttft, s.tpot, d);
            let better = match &self.closest {
                None => true,
                Some((g, c)) => {
                    f < *g * (1.0 - 1e-9)
                        || (f <= *g * (1.0 + 1e-9)
                            && s.cost.usd_per_m_tokens < c.cost.usd_per_m_tokens)
                }
            };
            if better {
                self.closest = Some((f, s));
            }
        }
    }
    fn answer(self, hardware: &str, kind: Kind, d: &Demand, none: Option<String>) -> OptionAnswer {
        let binding = if self.chosen.is_some() {
            None
        } else if let Some(reason) = none {
            Some(reason)
        } else {
            let mut why = Vec::new();
            if self.best_ttft > d.ttft {
                why.push(format!(
                    "time to first token: the fastest configuration takes {}, the target is {}",
                    secs(self.best_ttft),
                    secs(d.ttft)
                ));
            }
            if self.best_tpot > d.tpot {
                why.push(format!(
                    "time per output token: the fastest configuration takes {}, the target is {}",
                    secs(self.best_tpot),
                    secs(d.tpot)
                ));
            }
            if why.is_empty() {
                why.push(
                    "no single configuration meets both targets at once (each is met by a different one)"
                        .to_string(),
                );
            }
            Some(why.join("; "))
        };
        OptionAnswer {
            hardware: hardware.to_string(),
            kind,
            chosen: self.chosen,
            closest: self.closest.map(|c| c.1),
            binding,
            evaluated: self.evaluated,
        }
    }
}

fn secs(t: f64) -> String {
    crate::verdict::duration(t)
}

/// Batches to try: powers of two up to `max`, and `max` itself.
fn batches(max: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut b = 1.0;
    while b < max && b <= 65_536.0 {
        out.push(b);
        b *= 2.0;
    }
    if max.is_finite() && max >= 1.0 {
        out.push(max.floor());
    }
    out
}

/// Sizes a GPU option: every valid split of at most `max_gpus` GPUs and every batch its KV
/// cache holds.
pub fn size_gpu(
    gpu: &Gpu,
    stack: &ServingStack,
    model: &Workload,
    demand: &Demand,
    econ: &Economics,
    max_gpus: u32,
) -> OptionAnswer {
    let work = Work::from_workload(model);
    let m = model.model.as_ref();
    let layers = m.map(|m| m.layers).unwrap_or(0);
    let experts = m.and_then(|m| m.moe.as_ref()).map(|x| x.experts);
    let mut best = Best::new();
    let mut fits_any = false;
    let splits = valid_splits(&work, layers, experts, max_gpus);
    for split in &splits {
        let first = match serve_batch(gpu, stack, model, *split, 1.0) {
            Ok(s) => s,
            Err(GpuError::DoesNotFit { .. }) => continue,
            Err(_) => continue,
        };
        fits_any = true;
        for b in batches(first.max_batch) {
            let Ok(s) = serve_batch(gpu, stack, model, *split, b) else {
                continue;
            };
            best.offer(gpu_sizing(gpu, *split, &s, demand, econ), demand);
        }
    }
    let none = if splits.is_empty() {
        Some(format!(
            "no valid split of at most {max_gpus} GPUs divides the model"
        ))
    } else if !fits_any {
        Some(format!(
            "memory: no valid split of at most {max_gpus} GPUs holds the weights and one sequence's KV cache"
        ))
    } else {
        None
    };
    best.answer(&gpu.gpu.name, Kind::Gpu, demand, none)
}

fn gpu_sizing(
    gpu: &Gpu,
    split: Split,
    s: &lightloop_gpu::Serving,
    d: &Demand,
    econ: &Economics,
) -> Sizing {
    let n = split.gpus() as u64;
    let replicas = (d.tokens_per_s / s.tokens_per_s).ceil().max(1.0) as u64;
    let gpus = replicas * n;
    let per_node = gpu.node.gpus as u64;
    let nodes = gpus.div_ceil(per_node);
    let racks = nodes.div_ceil(gpu.node.per_rack as u64);
    let host = gpu.node.host_power.si();
    let it_busy =
        replicas as f64 * (n as f64 * s.gpu_power + s.network_power) + nodes as f64 * host;
    let it_idle = gpus as f64 * gpu.power.idle.si() + nodes as f64 * host;
    let power = econ.power(it_busy, it_idle);
    let hardware =
        nodes as f64 * gpu.price.node.si() + gpus as f64 * gpu.price.network_per_gpu.si();
    let cost = econ.cost(hardware, &power, d.tokens_per_s);
    let meets = s.ttft <= d.ttft && s.tpot <= d.tpot;
    Sizing {
        hardware: gpu.gpu.name.clone(),
        kind: Kind::Gpu,
        configuration: format!("{split}, batch {:.0}", s.batch),
        weights: format!("HBM: {:.1} GB of weights per GPU", s.weights_per_gpu / 1e9),
        split: Some(split),
        batch: s.batch,
        devices_per_replica: n,
        replicas,
        devices: gpus,
        hosts: nodes,
        racks,
        replica_tokens_per_s: s.tokens_per_s,
        capacity_tokens_per_s: replicas as f64 * s.tokens_per_s,
        ttft: s.ttft,
        tpot: s.tpot,
        meets_targets: meets,
        tokens_per_s_per_mw: d.tokens_per_s / (power.wall_busy / 1e6),
        j_per_token_busy: it_busy / d.tokens_per_s,
        scale_up_bytes_per_token: s.scale_up_bytes_per_token,
        scale_out_bytes_per_token: s.scale_out_bytes_per_token,
        power,
        cost,
    }
}

/// Sizes an optical-rig option: each rig with its host share; batches 1 to 1024; a replica
/// is a pipeline of rigs, each holding a share of the layers, long enough that the hosts'
/// memory holds the weights and KV cache (and, for rigs that keep weights in the optics, that
/// the optics hold every mapped weight, or else the weights are streamed and rewritten as the
/// cost model charges).
///
/// A pipeline of s rigs with s micro-batches in flight delivers s times one rig's tokens per
/// second at one rig's energy per token and time per token; the transfers between stages
/// (d_model activations per token) are left out.
pub fn size_rig(rig: &Rig, model: &Workload, demand: &Demand, econ: &Economics) -> OptionAnswer {
    let bill = bom::bill(rig);
    let mut best = Best::new();
    let mut none = None;
    for b in batches(1024.0) {
        let mut wl = model.clone();
        wl.run.batch = b as u32;
        if lightloop_rig::pair_problems(rig, &wl) != (vec![], vec![]) {
            let (w, r) = lightloop_rig::pair_problems(rig, &wl);
            let all: Vec<String> = w
                .iter()
                .chain(&r)
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect();
            none = Some(format!("the rig cannot run the model: {}", all.join("; ")));
            break;
        }
        let work = Work::from_workload(&wl);
        let core = Core::for_work(rig, &work);
        let wb = work.weight_bytes;
        let kv = b
            * (demand.prompt_tokens as f64 + demand.output_tokens as f64 / 2.0)
            * work.attention_layers
            * work.kv_bytes_per_position;
        let host_memory = rig.host.memory_capacity.si();
        let mapped: f64 = work
            .ops()
            .filter(|o| o.optical)
            .map(|o| o.weights())
            .sum::<f64>()
            + (work.loop_width as f64).powi(2);
        let persistent = rig.weights.storage == WeightStorage::Persistent
            && !rig.topology.architecture.streams_weights();
        // Weights streamed from the hosts' memory (every architecture can).
        let streamed_units = ((work.params_total * wb + kv) / host_memory)
            .ceil()
            .max(1.0);
        let streamed = evaluate_core(&core, &work, &wl);
        best.offer(
            rig_sizing(
                rig,
                &bill,
                &core,
                &streamed,
                b,
                streamed_units as u64,
                streamed_note(rig, streamed_units),
                demand,
                econ,
            ),
            demand,
        );
        if persistent && mapped > 0.0 {
            // Weights resident in the optics of a longer pipeline.
            let optical_units = (mapped / rig.weight_capacity() as f64).ceil().max(1.0);
            let host_units = (((work.params_total - mapped).max(0.0) * wb + kv) / host_memory)
                .ceil()
                .max(1.0);
            let units = optical_units.max(host_units);
            let mut resident = core;
            resident.capacity = f64::INFINITY;
            let e = evaluate_core(&resident, &work, &wl);
            best.offer(
                rig_sizing(
                    rig,
                    &bill,
                    &core,
                    &e,
                    b,
                    units as u64,
                    format!(
                        "in the optics: {units:.0} rigs of {} weight cells hold the {:.3e} mapped weights",
                        rig.weight_capacity(), mapped
                    ),
                    demand,
                    econ,
                ),
                demand,
            );
        }
    }
    best.answer(&rig.rig.name, Kind::Rig, demand, none)
}

fn streamed_note(rig: &Rig, units: f64) -> String {
    let how = if rig.topology.architecture.streams_weights() {
        "streamed through the weight modulators every symbol"
    } else {
        "rewritten into the optics every step"
    };
    let hosts = if units == 1.0 {
        "one host".to_string()
    } else {
        format!("{units:.0} hosts")
    };
    format!(
        "host memory ({hosts} of {:.0} GB per replica), {how}",
        rig.host.memory_capacity.si() / 1e9
    )
}

#[allow(clippy::too_many_arguments)]
fn rig_sizing(
    rig: &Rig,
    bill: &bom::Bill,
    core: &Core,
    e: &lightloop_cost::Evaluation,
    batch: f64,
    units: u64,
    weights: String,
    d: &Demand,
    econ: &Economics,
) -> Sizing {
    let x = e.metrics.tokens_per_s;
    let per_rig_busy = e.metrics.j_per_token * x;
    let per_rig_idle = core.static_watts.total();
    let rigs_needed = (d.tokens_per_s / x).ceil().max(1.0) as u64;
    let replicas = rigs_needed.div_ceil(units);
    let rigs = replicas * units;
    let power = econ.power(rigs as f64 * per_rig_busy, rigs as f64 * per_rig_idle);
    let cost = econ.cost(rigs as f64 * bill.total, &power, d.tokens_per_s);
    let tpot = batch / x;
    let ttft = e.metrics.ttft;
    Sizing {
        hardware: rig.rig.name.clone(),
        kind: Kind::Rig,
        configuration: format!("pipelines of {units} rig(s), batch {batch:.0}"),
        weights,
        split: None,
        batch,
        devices_per_replica: units,
        replicas,
        devices: rigs,
        hosts: rigs,
        racks: rigs.div_ceil(RIGS_PER_RACK),
        replica_tokens_per_s: x * units as f64,
        capacity_tokens_per_s: x * rigs as f64,
        ttft,
        tpot,
        meets_targets: ttft <= d.ttft && tpot <= d.tpot,
        tokens_per_s_per_mw: d.tokens_per_s / (power.wall_busy / 1e6),
        j_per_token_busy: power.it_busy / d.tokens_per_s,
        scale_up_bytes_per_token: 0.0,
        scale_out_bytes_per_token: 0.0,
        power,
        cost,
    }
}

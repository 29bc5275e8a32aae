//! The serving model: one replica of a workload on a split of GPUs, in steady state under
//! continuous batching.
//!
//! **Phases.** A decode step advances every sequence in flight by one token; prefill computes
//! a new request's prompt in chunks of [`ServingStack::prefill_chunk`] tokens shared by several
//! requests. With a batch of b sequences of P prompt and G generated tokens, each slot serves
//! one request per G steps, so one cycle of G decode steps also prefills b prompts:
//! T = G·t_decode + b·t_prefill/request; the replica delivers b·G tokens per T, and the time
//! between a sequence's tokens is T/G (prefill stalls decoding; no overlap is assumed).
//!
//! **Operations.** Every product of the model (Q/K/V, output, FFN, experts, head, a deep
//! loop's passes) costs max(FLOPs/(peak·η_c(M)), weight bytes/(bandwidth·η_m)) on each GPU,
//! with M the token rows it multiplies; attention reads the KV cache at the attention
//! efficiency; tensor parallelism adds two all-reduces per layer (attention and FFN), expert
//! parallelism an all-to-all dispatch and combine per MoE layer, pipeline parallelism a
//! transfer per stage boundary; each layer pays the layer overhead and each step the step
//! overhead. Routing is taken as uniform (every expert gets k/E of the tokens).
//!
//! **Memory.** Each GPU holds its share of the weights (the worst pipeline stage: its layers
//! plus the embedding or head) and the KV cache of its sequences at their mean occupancy
//! (P + G/2 positions); the batch is cut to what the fraction of HBM the engine may use holds.
//!
//! **Power.** Per phase, from the achieved compute and bandwidth utilisation (see
//! [`ServingStack::gpu_power`]), never above the TDP; the host's share of the node's
//! non-GPU power is stated separately, and traffic over the scale-out network adds its energy
//! per bit. J/token = (GPUs · mean GPU power + host + network) × T / (b·G).
//!
//! Simplifications: the time to first token is that of an idle replica (no queueing);
//! pipeline stages are taken as equal (the embedding and head are spread over them in time,
//! but counted on the worst stage for memory); activations are BF16 and need no memory of
//! their own beyond the engine's reserve.

use crate::collective::{self, Fabric, Link};
use crate::error::GpuError;
use crate::split::{self, Split};
use crate::stack::ServingStack;
use lightloop_rig::gpu::Gpu;
use lightloop_rig::work::{MatKind, Work, WorkloadKindTag};
use lightloop_rig::workload::Workload;
use serde::Serialize;

/// Bytes per activation element exchanged between GPUs (BF16).
const ACTIVATION_BYTES: f64 = 2.0;

/// What limits a decode step most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    /// Tensor-core FLOPs.
    Compute,
    /// HBM bandwidth (weights and KV cache).
    Memory,
    /// Collectives on the links.
    Communication,
    /// Fixed per-step and per-layer costs.
    Overhead,
}

impl Bound {
    pub fn name(self) -> &'static str {
        match self {
            Bound::Compute => "compute",
            Bound::Memory => "memory",
            Bound::Communication => "communication",
            Bound::Overhead => "overhead",
        }
    }
}

/// One replica serving in steady state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Serving {
    pub split: Split,
    /// GPUs in the replica.
    pub gpus: u32,
    /// Sequences in flight (the workload's batch, cut to what the KV cache holds).
    pub batch: f64,
    /// Sequences the KV cache holds.
    pub max_batch: f64,
    /// Whether the KV cache cut the requested batch.
    pub batch_limited: bool,
    /// Output tokens per second of the replica (prefill included in the time).
    pub tokens_per_s: f64,
    /// Time between a sequence's tokens, prefill stalls included, s.
    pub tpot: f64,
    /// One decode step alone, s.
    pub step_time: f64,
    /// Time to first token on an idle replica, s.
    pub ttft: f64,
    /// Share of the cycle spent in prefill.
    pub prefill_share: f64,
    /// Mean power of one GPU over the cycle, W (never above the TDP).
    pub gpu_power: f64,
    pub gpu_power_decode: f64,
    pub gpu_power_prefill: f64,
    /// The replica's share of its nodes' non-GPU power, W.
    pub host_power: f64,
    /// Scale-out network traffic's power, W.
    pub network_power: f64,
    /// Energy per output token: GPUs, host and network, J.
    pub j_per_token: f64,
    pub j_per_token_gpu: f64,
    pub j_per_token_host: f64,
    pub j_per_token_network: f64,
    /// Multiply-accumulates per output token (decode and its share of prefill).
    pub macs_per_token: f64,
    pub fj_per_mac: f64,
    /// 2·MACs per joule, in 10¹² per watt-second.
    pub tops_per_w: f64,
    /// Weights and KV cache on the fullest GPU, bytes.
    pub weights_per_gpu: f64,
    pub kv_per_gpu: f64,
    /// Achieved compute and bandwidth utilisation in decode.
    pub compute_utilisation: f64,
    pub memory_utilisation: f64,
    pub bound: Bound,
    /// Peak FLOP/s per GPU at the weights' precision.
    pub peak_flops: f64,
    /// Whether collectives cross the scale-out network.
    pub scale_out: bool,
    /// Bytes sent over the scale-out network per output token (all GPUs).
    pub scale_out_bytes_per_token: f64,
    /// Bytes sent over the NVLink domain per output token (all GPUs); their energy is inside
    /// the boards' and switches' power.
    pub scale_up_bytes_per_token: f64,
}

impl Serving {
    /// Power of the whole replica at the wall of its nodes (before the facility's PUE), W.
    pub fn power_total(&self) -> f64 {
        self.gpus as f64 * self.gpu_power + self.host_power + self.network_power
    }
}

/// The former name of a GPU evaluation.
pub type GpuEvaluation = Serving;

/// Dense FLOP/s per GPU for weights of `weight_bits`: FP4 (where the tensor cores have it) at
/// ≤ 4 bits, FP8 at ≤ 8, BF16 above.
pub fn peak_flops(gpu: &Gpu, weight_bits: u32) -> f64 {
    let fp8 = gpu.compute.fp8_dense.si();
    if weight_bits <= 4 {
        gpu.compute.fp4_dense.map(|q| q.si()).unwrap_or(fp8)
    } else if weight_bits <= 8 {
        fp8
    } else {
        gpu.compute.bf16_dense.si()
    }
}

/// The model's shape as the serving model needs it.
#[derive(Debug, Clone, Copy)]
struct Shape {
    work: Work,
    layers: u32,
    experts: Option<u32>,
    dense_layers: f64,
    moe_layers: f64,
    top_k: f64,
    d_model: f64,
    /// Embedding and head parameters (each vocab × d; the head counted when untied).
    embed_params: f64,
    head_params: f64,
}

impl Shape {
    fn new(wl: &Workload) -> Self {
        let work = Work::from_workload(wl);
        let m = wl.model.as_ref();
        let layers = m.map(|m| m.layers).unwrap_or(0);
        let moe = m.and_then(|m| m.moe.as_ref());
        let (dense_layers, moe_layers) = match moe {
            Some(x) => (x.dense_layers as f64, (layers - x.dense_layers) as f64),
            None => (layers as f64, 0.0),
        };
        let d = m
            .map(|m| m.d_model as f64)
            .unwrap_or(work.loop_width as f64);
        let (embed, head) = match m {
            Some(m) if m.layers > 0 || wl.workload.kind != lightloop_rig::WorkloadKind::Kernel => {
                let e = m.vocab as f64 * m.d_model as f64;
                (e, if m.tied_embeddings { 0.0 } else { e })
            }
            _ => (0.0, 0.0),
        };
        Self {
            work,
            layers,
            experts: moe.map(|x| x.experts),
            dense_layers,
            moe_layers,
            top_k: moe.map(|x| x.top_k as f64).unwrap_or(0.0),
            d_model: d,
            embed_params: embed,
            head_params: head,
        }
    }
}

/// Work of one pipeline stage on one of its GPUs for one pass of tokens.
#[derive(Debug, Clone, Copy, Default)]
struct StageCost {
    time: f64,
    compute_time: f64,
    memory_time: f64,
    comm_time: f64,
    overhead_time: f64,
    /// FLOPs in units of peak-seconds (Σ FLOPs/peak), for the compute utilisation.
    peak_seconds: f64,
    flops: f64,
    bytes: f64,
    scale_out_bytes: f64,
    scale_up_bytes: f64,
}

/// The tokens of one pass through a stage.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// Token-vectors through every layer.
    tokens: f64,
    /// Sequences they belong to.
    sequences: f64,
    /// Mean attention context per token.
    ctx: f64,
    /// KV positions read from HBM in total (decode: every sequence's context).
    kv_read: f64,
}

struct Ctx<'a> {
    stack: &'a ServingStack,
    shape: &'a Shape,
    split: Split,
    peak: f64,
    bf16: f64,
    bandwidth: f64,
    tp_link: Link,
    ep_link: Link,
}

impl Ctx<'_> {
    /// One pass through one stage, on one GPU of it.
    fn stage(&self, p: Pass) -> StageCost {
        let s = self.split;
        let w = &self.shape.work;
        let (tp, pp, a) = (s.tp as f64, s.pp as f64, s.attention_dp() as f64);
        let shards = s.expert_shards() as f64;
        let wb = w.weight_bytes;
        let wbits = 8.0 * wb;
        let mut c = StageCost::default();
        // The time is the roofline's at the achieved efficiencies; it counts as compute- or
        // memory-bound by the operation's intensity (which side of the ridge it sits at full
        // efficiency), so a small product's poor tile use is not mistaken for compute.
        let add = |c: &mut StageCost, flops: f64, peak: f64, eta_c: f64, bytes: f64, eta_m: f64| {
            let tc = flops / (peak * eta_c);
            let tm = bytes / (self.bandwidth * eta_m);
            let t = tc.max(tm);
            if flops / (peak * self.stack.compute_efficiency) >= tm {
                c.compute_time += t;
            } else {
                c.memory_time += t;
            }
            c.time += t;
            c.peak_seconds += flops / peak;
            c.flops += flops;
            c.bytes += bytes;
        };
        for op in w.ops() {
            let macs = op.macs_per_use();
            let v = op.vectors(p.tokens, p.sequences) / pp;
            // Routed experts: the matrices the tokens touch, spread over the expert shards;
            // every other product: split by TP, its tokens by the attention's data parallelism.
            let (rows, flops, bytes) = match op.routed {
                Some(_) => {
                    let touched = op.matrices_touched(p.tokens) / pp;
                    (
                        v / touched.max(1e-12),
                        2.0 * v * macs / shards,
                        touched * macs * wb / shards,
                    )
                }
                None => {
                    let matrices = if op.kind == MatKind::LmHead {
                        1.0 / pp
                    } else {
                        op.matrices / pp
                    };
                    (
                        v / a / matrices.max(1e-12),
                        2.0 * v / a * macs / tp,
                        matrices * macs * wb / tp,
                    )
                }
            };
            add(
                &mut c,
                flops,
                self.peak,
                self.stack.compute_efficiency_at(rows, wbits),
                bytes,
                self.stack.memory_efficiency,
            );
        }
        if w.loop_width > 0 && w.loop_passes > 0.0 {
            let d2 = (w.loop_width as f64).powi(2);
            let flops = 2.0 * p.tokens * w.loop_passes * d2 / tp / pp;
            let bytes = d2 * wb / tp;
            add(
                &mut c,
                flops,
                self.peak,
                self.stack.compute_efficiency_at(p.tokens, wbits),
                bytes,
                self.stack.memory_efficiency,
            );
            c.overhead_time += w.loop_passes * self.stack.layer_overhead;
        }
        // Attention: heads split by TP, sequences by the attention's data parallelism; the KV
        // cache of a group split only as far as its KV groups go.
        if w.attention_layers > 0.0 {
            let kv_split = tp.min(w.kv_groups.max(1.0));
            let flops = p.tokens / a * w.attention_flops(p.ctx) / tp / pp;
            let kv_bytes = (p.kv_read + p.tokens) / a * w.attention_layers / pp
                * w.kv_bytes_per_position
                / kv_split;
            add(
                &mut c,
                flops,
                self.bf16,
                self.stack.compute_efficiency_at(p.tokens / a, 16.0),
                kv_bytes,
                self.stack.attention_efficiency,
            );
        }
        let elementwise = p.tokens / a * w.elementwise_flops / tp / pp;
        add(
            &mut c,
            elementwise,
            self.bf16,
            self.stack.compute_efficiency,
            p.tokens / a * w.embedding_bytes / pp,
            self.stack.memory_efficiency,
        );

        // Collectives.
        let d = self.shape.d_model;
        let layers = self.shape.layers as f64 / pp;
        let act = p.tokens / a * d * ACTIVATION_BYTES;
        let comm = |c: &mut StageCost, cost: collective::Cost, link: &Link, times: f64| {
            c.comm_time += times * cost.time;
            c.time += times * cost.time;
            match link.fabric {
                Fabric::ScaleOut => c.scale_out_bytes += times * cost.bytes_per_gpu,
                Fabric::ScaleUp => c.scale_up_bytes += times * cost.bytes_per_gpu,
            }
        };
        if s.tp > 1 {
            let ar = collective::all_reduce(&self.tp_link, s.tp, act);
            let dense = self.shape.dense_layers / pp;
            let moe = self.shape.moe_layers / pp;
            // Attention of every layer, the dense FFNs, and MoE layers whose experts TP splits.
            let count = layers + dense + if s.ep > 1 { 0.0 } else { moe };
            comm(&mut c, ar, &self.tp_link, count);
            if w.loop_width > 0 {
                let loop_act = p.tokens * w.loop_width as f64 * ACTIVATION_BYTES;
                let ar = collective::all_reduce(&self.tp_link, s.tp, loop_act);
                comm(&mut c, ar, &self.tp_link, w.loop_passes);
            }
        }
        if s.ep > 1 {
            let dispatched = act / tp * self.shape.top_k;
            let a2a = collective::all_to_all(&self.ep_link, s.ep, dispatched);
            comm(&mut c, a2a, &self.ep_link, 2.0 * self.shape.moe_layers / pp);
        }
        let overhead = layers * self.stack.layer_overhead;
        c.overhead_time += overhead;
        c.time += overhead
            + if w.loop_width > 0 {
                w.loop_passes * self.stack.layer_overhead
            } else {
                0.0
            };
        c
    }
}

/// Weights on the fullest GPU of `split`, bytes.
fn weights_per_gpu(shape: &Shape, split: Split) -> f64 {
    let w = &shape.work;
    let routed: f64 = w
        .ops()
        .filter_map(|o| o.routed.map(|r| r.layers * r.experts * o.macs_per_use()))
        .sum();
    let ends = shape.embed_params + shape.head_params;
    let layered = (w.params_total - routed - ends).max(0.0);
    let (tp, pp) = (split.tp as f64, split.pp as f64);
    let end_stage = if split.pp == 1 {
        ends
    } else {
        shape.embed_params.max(shape.head_params)
    };
    (layered / (tp * pp) + routed / (split.expert_shards() as f64 * pp) + end_stage / tp)
        * w.weight_bytes
}

/// KV cache of one sequence of `positions` positions on one GPU of `split`, bytes.
fn kv_per_sequence(shape: &Shape, split: Split, positions: f64) -> f64 {
    let w = &shape.work;
    positions * w.attention_layers / split.pp as f64 * w.kv_bytes_per_position
        / (split.tp as f64).min(w.kv_groups.max(1.0))
}

/// Serves `wl` on `split` with the workload's batch (cut to what the KV cache holds).
pub fn serve(
    gpu: &Gpu,
    stack: &ServingStack,
    wl: &Workload,
    split: Split,
) -> Result<Serving, GpuError> {
    let shape = Shape::new(wl);
    serve_shape(gpu, stack, wl, &shape, split, wl.run.batch as f64)
}

/// As [`serve`] with an explicit batch.
pub fn serve_batch(
    gpu: &Gpu,
    stack: &ServingStack,
    wl: &Workload,
    split: Split,
    batch: f64,
) -> Result<Serving, GpuError> {
    let shape = Shape::new(wl);
    serve_shape(gpu, stack, wl, &shape, split, batch)
}

fn serve_shape(
    gpu: &Gpu,
    stack: &ServingStack,
    wl: &Workload,
    shape: &Shape,
    split: Split,
    requested: f64,
) -> Result<Serving, GpuError> {
    let w = &shape.work;
    split.check(w, shape.layers, shape.experts)?;
    let prompt = wl.run.prompt_tokens as f64;
    let generated = wl.run.generated_tokens as f64;
    let decoder = w.kind == WorkloadKindTag::Decoder && generated > 0.0;

    // Memory: weights and the KV cache at mean occupancy.
    let weights = weights_per_gpu(shape, split);
    let usable = gpu.memory.capacity.si() * stack.memory_fraction;
    let occupancy = match w.kind {
        WorkloadKindTag::Decoder => prompt + generated / 2.0,
        WorkloadKindTag::Encoder => prompt,
        WorkloadKindTag::Kernel => 0.0,
    };
    let full = kv_per_sequence(shape, split, prompt + generated);
    if weights + full > usable {
        return Err(GpuError::DoesNotFit {
            split: split.to_string(),
            needed_gb: (weights + full) / 1e9,
            usable_gb: usable / 1e9,
        });
    }
    let per_seq = kv_per_sequence(shape, split, occupancy);
    let a = split.attention_dp() as f64;
    let max_batch = if per_seq > 0.0 {
        ((usable - weights) / per_seq).floor() * a
    } else {
        f64::INFINITY
    };
    let batch = requested.max(1.0).min(max_batch.max(1.0));

    let bandwidth = gpu.memory.bandwidth.si();
    let cx = Ctx {
        stack,
        shape,
        split,
        peak: peak_flops(gpu, wl.run.weight_bits),
        bf16: gpu.compute.bf16_dense.si(),
        bandwidth,
        tp_link: Link::for_group(gpu, split.tp),
        ep_link: Link::for_group(gpu, split.stage_gpus()),
    };
    let pp = split.pp as f64;
    let p2p_link = Link::for_group(gpu, split.gpus());
    let n = split.gpus() as f64;

    // Decode (or the one step of an encoder or kernel): pp micro-batches in flight.
    let (main, tokens_per_step) = match w.kind {
        WorkloadKindTag::Decoder if decoder => (
            Pass {
                tokens: batch / pp,
                sequences: batch / pp,
                ctx: occupancy,
                kv_read: batch / pp * occupancy,
            },
            batch,
        ),
        WorkloadKindTag::Decoder | WorkloadKindTag::Encoder => (
            Pass {
                tokens: batch * prompt / pp,
                sequences: batch / pp,
                ctx: if w.bidirectional {
                    prompt
                } else {
                    (prompt + 1.0) / 2.0
                },
                kv_read: 0.0,
            },
            batch * prompt,
        ),
        WorkloadKindTag::Kernel => (
            Pass {
                tokens: batch / pp,
                sequences: batch / pp,
                ctx: 0.0,
                kv_read: 0.0,
            },
            batch,
        ),
    };
    let st = cx.stage(main);
    let p2p = if split.pp > 1 {
        collective::point_to_point(&p2p_link, main.tokens * shape.d_model * ACTIVATION_BYTES)
    } else {
        collective::Cost::default()
    };
    let step_time = pp * st.time + (pp - 1.0) * p2p.time + stack.step_overhead;
    let u_c = pp * st.peak_seconds / step_time;
    let u_m = pp * st.bytes / (step_time * bandwidth);
    let p_decode = stack.gpu_power(gpu, u_c, u_m);
    let p2p_share = (pp - 1.0) * p2p.bytes_per_gpu / n;
    let (mut scale_out_bytes, mut scale_up_bytes) = match p2p_link.fabric {
        Fabric::ScaleOut => (pp * st.scale_out_bytes + p2p_share, pp * st.scale_up_bytes),
        Fabric::ScaleUp => (pp * st.scale_out_bytes, pp * st.scale_up_bytes + p2p_share),
    };

    // Prefill, amortised over the requests sharing a chunk.
    let (prefill_per_request, p_prefill, (prefill_so_bytes, prefill_su_bytes), ttft) = if decoder {
        let chunk = prompt.max(stack.prefill_chunk);
        let requests = chunk / prompt;
        let pass = Pass {
            tokens: chunk,
            sequences: requests,
            ctx: (prompt + 1.0) / 2.0,
            kv_read: 0.0,
        };
        let ps = cx.stage(pass);
        let t_chunk = ps.time + stack.step_overhead;
        let p = stack.gpu_power(
            gpu,
            ps.peak_seconds / t_chunk,
            ps.bytes / (t_chunk * bandwidth),
        );
        let one = cx.stage(Pass {
            tokens: prompt,
            sequences: 1.0,
            ctx: (prompt + 1.0) / 2.0,
            kv_read: 0.0,
        });
        let p2p_one = if split.pp > 1 {
            collective::point_to_point(&p2p_link, prompt * shape.d_model * ACTIVATION_BYTES).time
        } else {
            0.0
        };
        (
            t_chunk / requests,
            p,
            (ps.scale_out_bytes / requests, ps.scale_up_bytes / requests),
            pp * one.time + (pp - 1.0) * p2p_one + stack.step_overhead,
        )
    } else {
        let one = cx.stage(Pass {
            tokens: match w.kind {
                WorkloadKindTag::Kernel => 1.0,
                _ => prompt,
            },
            sequences: 1.0,
            ctx: main.ctx,
            kv_read: 0.0,
        });
        (
            0.0,
            p_decode,
            (0.0, 0.0),
            pp * one.time + stack.step_overhead,
        )
    };

    // One cycle: G decode steps and b prefills (an encoder or kernel: one step).
    let (cycle, tokens, decode_time) = if decoder {
        let decode = generated * step_time;
        (
            decode + batch * prefill_per_request,
            batch * generated,
            decode,
        )
    } else {
        (step_time, tokens_per_step, step_time)
    };
    let prefill_time = cycle - decode_time;
    let steps = if decoder { generated } else { 1.0 };
    scale_out_bytes = scale_out_bytes * steps + batch * prefill_so_bytes;
    scale_up_bytes = scale_up_bytes * steps + batch * prefill_su_bytes;
    let gpu_power = (p_decode * decode_time + p_prefill * prefill_time) / cycle;
    let host_power = gpu.node.host_power.si() * n / gpu.node.gpus as f64;
    let network_power = scale_out_bytes * n * 8.0 * gpu.scale_out.energy_per_bit.si() / cycle;
    let j_gpu = n * gpu_power * cycle / tokens;
    let j_host = host_power * cycle / tokens;
    let j_net = network_power * cycle / tokens;
    let j = j_gpu + j_host + j_net;

    // MACs per output token: the decode step's and the prefill's share.
    let macs_of = |tokens: f64, sequences: f64, ctx: f64| -> f64 {
        let mut macs = 0.0;
        for op in w.ops() {
            macs += op.vectors(tokens, sequences) * op.macs_per_use();
        }
        macs + tokens * (w.loop_macs() + w.attention_macs(ctx))
    };
    let macs_per_token = if decoder {
        (generated * macs_of(batch, batch, occupancy)
            + batch * macs_of(prompt, 1.0, (prompt + 1.0) / 2.0))
            / tokens
    } else {
        macs_of(main.tokens * pp, main.sequences * pp, main.ctx) / tokens
    };

    let parts = [
        (st.compute_time, Bound::Compute),
        (st.memory_time, Bound::Memory),
        (st.comm_time + p2p.time / pp.max(1.0), Bound::Communication),
        (st.overhead_time + stack.step_overhead / pp, Bound::Overhead),
    ];
    let bound = parts
        .iter()
        .max_by(|x, y| x.0.total_cmp(&y.0))
        .map(|x| x.1)
        .unwrap_or(Bound::Memory);
    Ok(Serving {
        split,
        gpus: split.gpus(),
        batch,
        max_batch,
        batch_limited: requested > max_batch,
        tokens_per_s: tokens / cycle,
        tpot: if decoder { cycle / generated } else { cycle },
        step_time,
        ttft,
        prefill_share: prefill_time / cycle,
        gpu_power,
        gpu_power_decode: p_decode,
        gpu_power_prefill: p_prefill,
        host_power,
        network_power,
        j_per_token: j,
        j_per_token_gpu: j_gpu,
        j_per_token_host: j_host,
        j_per_token_network: j_net,
        macs_per_token,
        fj_per_mac: j / macs_per_token * 1e15,
        tops_per_w: 2.0 * macs_per_token / j / 1e12,
        weights_per_gpu: weights,
        kv_per_gpu: batch / a * per_seq,
        compute_utilisation: u_c,
        memory_utilisation: u_m,
        bound,
        peak_flops: cx.peak,
        scale_out: cx.tp_link.fabric == Fabric::ScaleOut
            || cx.ep_link.fabric == Fabric::ScaleOut
            || (split.pp > 1 && p2p_link.fabric == Fabric::ScaleOut),
        scale_out_bytes_per_token: scale_out_bytes * n / tokens,
        scale_up_bytes_per_token: scale_up_bytes * n / tokens,
    })
}

/// The replica a user would deploy for the workload as written: among the valid splits (at
/// most `max_gpus` GPUs) whose KV cache holds the workload's batch, the lowest energy per
/// token within twice the fewest GPUs that hold it (a larger split is not bought to save
/// energy on a small batch); if none holds the whole batch, the one holding the most.
pub fn serve_best(
    gpu: &Gpu,
    stack: &ServingStack,
    wl: &Workload,
    max_gpus: u32,
) -> Result<Serving, GpuError> {
    let shape = Shape::new(wl);
    let requested = wl.run.batch as f64;
    let mut best: Option<Serving> = None;
    let mut fewest: Option<u32> = None;
    for s in split::valid_splits(&shape.work, shape.layers, shape.experts, max_gpus) {
        if fewest.is_some_and(|g| s.gpus() > 2 * g) {
            break;
        }
        let Ok(r) = serve_shape(gpu, stack, wl, &shape, s, requested) else {
            continue;
        };
        let better = match &best {
            None => true,
            Some(b) => match (r.batch_limited, b.batch_limited) {
                (false, true) => true,
                (true, false) => false,
                (true, true) => r.max_batch > b.max_batch,
                (false, false) => r.j_per_token < b.j_per_token,
            },
        };
        if !r.batch_limited {
            fewest.get_or_insert(s.gpus());
        }
        if better {
            best = Some(r);
        }
    }
    best.ok_or(GpuError::NoSplitFits { max_gpus })
}

/// The GPU baseline of a workload with the fitted stack (and the GPU's overrides): the
/// deployment of [`serve_best`] on up to 576 GPUs.
pub fn evaluate_gpu(gpu: &Gpu, wl: &Workload) -> Result<Serving, GpuError> {
    serve_best(gpu, &ServingStack::for_gpu(gpu), wl, 576)
}

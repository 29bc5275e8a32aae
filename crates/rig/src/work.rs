//! What one token asks of the hardware: the matrix products (with their shapes and whether they
//! run optically), the loop, and the host's attention and element-wise work.
//!
//! Shapes follow the standard decoder block: Q, K, V projections d → (h + 2·kv)·d_h fused into
//! one product, output d_h·h → d, a gated FFN (gate and up d → 2·d_ff, down d_ff → d) or a plain
//! one (d → d_ff → d); a mixture of experts replaces the FFN with top-k routed plus shared
//! experts; the head is d → vocab. Biases and norm weights are not counted (< 1 % of the
//! parameters of every preset).

use crate::workload::{FfnKind, OpticalOp, Workload, WorkloadKind};
use serde::Serialize;

/// Which product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatKind {
    /// Q, K and V projections (with latent attention: the fused down-projections to the query
    /// latent, the KV latent and the shared rotary key).
    Qkv,
    /// Latent attention: query latent → per-head queries.
    QUp,
    /// Latent attention: KV latent → per-head keys and values (absorbed in decoding; counted
    /// once per token).
    KvUp,
    AttnOut,
    FfnUp,
    FfnDown,
    ExpertUp,
    ExpertDown,
    Router,
    LmHead,
    CheckpointQkv,
    CheckpointOut,
    /// A layer of a network described by its products alone (an imported model's dense or
    /// convolution layer).
    Layer,
}

/// One kind of matrix product in a token's forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MatOp {
    pub kind: MatKind,
    pub d_in: u32,
    pub d_out: u32,
    /// Vectors through this product per token (e.g. the number of layers).
    pub uses_per_token: f64,
    /// Distinct weight matrices behind those uses.
    pub matrices: f64,
    /// For routed experts; the matrices a step touches depend on how many tokens it routes.
    pub routed: Option<Routed>,
    pub optical: bool,
    /// Whether the product runs once per sequence (the head in prefill) rather than per token.
    pub per_sequence: bool,
}

/// Routing of a mixture-of-experts product.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Routed {
    pub layers: f64,
    pub experts: f64,
    pub top_k: f64,
    /// ln(1 − k/E): the log-probability that a token misses a given expert.
    pub ln_miss: f64,
}

impl MatOp {
    /// Distinct matrices a step of `vectors` token-vectors touches. Routed experts assume uniform
    /// routing: each of E experts is missed by a token with probability 1 − k/E, so
    /// E·(1 − (1 − k/E)^n) are touched per layer.
    pub fn matrices_touched(&self, vectors: f64) -> f64 {
        match self.routed {
            Some(r) => {
                let shared = self.matrices / r.layers.max(1.0);
                r.layers * (r.experts * (1.0 - (r.ln_miss * vectors.max(1.0)).exp()) + shared)
            }
            None => self.matrices,
        }
    }
    /// All weight elements behind the product (every expert counted).
    pub fn weights(&self) -> f64 {
        let m = match self.routed {
            Some(r) => r.layers * r.experts + self.matrices,
            None => self.matrices,
        };
        m * self.d_in as f64 * self.d_out as f64
    }
    /// Vectors through the product in a step of `vectors` token-vectors from `sequences`
    /// sequences.
    pub fn vectors(&self, vectors: f64, sequences: f64) -> f64 {
        (if self.per_sequence {
            sequences
        } else {
            vectors
        }) * self.uses_per_token
    }

    pub fn macs_per_use(&self) -> f64 {
        self.d_in as f64 * self.d_out as f64
    }
}

/// Upper bound on the number of product kinds in one workload.
pub const MAX_OPS: usize = 12;

/// The work of one token.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Work {
    pub kind: WorkloadKindTag,
    #[serde(serialize_with = "serialize_ops")]
    ops: [Option<MatOp>; MAX_OPS],
    /// Loop state width d (0 without a loop).
    pub loop_width: u32,
    /// Mean loop passes per token.
    pub loop_passes: f64,
    /// Attention checkpoints per token in the loop (passes / cadence).
    pub checkpoints: f64,
    /// Passes between checkpoints (∞ without checkpoints).
    pub cadence: f64,
    /// Attention cores evaluated per token (layers + checkpoints).
    pub attention_layers: f64,
    pub heads: f64,
    pub head_dim: f64,
    /// Multiply-accumulates of the attention core per head per context position: 2·head_dim
    /// (QKᵀ and AV); with latent attention 2·kv_lora_rank + qk_rope_head_dim.
    pub attention_width: f64,
    /// Independent key/value groups a tensor-parallel split can divide: kv_heads, or 1 for
    /// latent attention (every head reads the one latent).
    pub kv_groups: f64,
    /// Bytes of K and V stored per position per attention layer.
    pub kv_bytes_per_position: f64,
    /// Element-wise host FLOPs per token (norms, residuals, activations, sampling).
    pub elementwise_flops: f64,
    /// Bytes of embedding read per token.
    pub embedding_bytes: f64,
    /// Bytes per stored weight on the host.
    pub weight_bytes: f64,
    /// Every weight of the model, and those one token uses.
    pub params_total: f64,
    pub params_active: f64,
    /// Whether attention sees the whole sequence (encoder) rather than the past.
    pub bidirectional: bool,
    /// Dependent kernels a digital processor runs per step: 6 per layer (QKV, attention,
    /// output, FFN up, activation, FFN down), 2 more per MoE layer (router, dispatch), 1 per
    /// loop pass, 3 per attention checkpoint, 2 for embedding and head.
    pub dependent_kernels: f64,
}

/// Serialisable copy of [`WorkloadKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadKindTag {
    Decoder,
    Encoder,
    Kernel,
}

fn serialize_ops<S: serde::Serializer>(
    ops: &[Option<MatOp>; MAX_OPS],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(ops.iter().flatten())
}

impl Work {
    /// The work of one optical d_in × d_out product per "token" (a single vector), with weights
    /// of `weight_bits` on the host: the unit of work of the statistical twin's VMM.
    pub fn product(d_in: u32, d_out: u32, weight_bits: u32) -> Self {
        let mut ops: [Option<MatOp>; MAX_OPS] = [None; MAX_OPS];
        ops[0] = Some(MatOp {
            kind: MatKind::FfnUp,
            d_in,
            d_out,
            uses_per_token: 1.0,
            matrices: 1.0,
            routed: None,
            optical: true,
            per_sequence: false,
        });
        let params = d_in as f64 * d_out as f64;
        Self {
            kind: WorkloadKindTag::Kernel,
            ops,
            loop_width: 0,
            loop_passes: 0.0,
            checkpoints: 0.0,
            cadence: f64::INFINITY,
            attention_layers: 0.0,
            heads: 0.0,
            head_dim: 0.0,
            attention_width: 0.0,
            kv_groups: 0.0,
            kv_bytes_per_position: 0.0,
            elementwise_flops: 0.0,
            embedding_bytes: 0.0,
            weight_bytes: weight_bits as f64 / 8.0,
            params_total: params,
            params_active: params,
            bidirectional: false,
            dependent_kernels: 1.0,
        }
    }

    /// The work of one input of a network given only as its products (at most [`MAX_OPS`]; each
    /// with its uses per input and whether it runs optically) and `elementwise_flops` of host
    /// work per input, with host weights of `weight_bits`: a kernel with no attention, no
    /// embedding and no loop. `None` for more than [`MAX_OPS`] products (the cost model
    /// schedules longer lists itself: `lightloop_cost::evaluate::network_cost`).
    pub fn network(ops: &[MatOp], elementwise_flops: f64, weight_bits: u32) -> Option<Self> {
        if ops.len() > MAX_OPS {
            return None;
        }
        let mut arr: [Option<MatOp>; MAX_OPS] = [None; MAX_OPS];
        for (slot, op) in arr.iter_mut().zip(ops) {
            *slot = Some(*op);
        }
        let params: f64 = ops.iter().map(|o| o.weights()).sum();
        let mut w = Self::product(1, 1, weight_bits);
        w.ops = arr;
        w.elementwise_flops = elementwise_flops;
        w.params_total = params;
        w.params_active = params;
        w.dependent_kernels = ops.len().max(1) as f64;
        Some(w)
    }

    /// The products of one token, in forward order.
    pub fn ops(&self) -> impl Iterator<Item = &MatOp> {
        self.ops.iter().flatten()
    }

    /// Multiply-accumulates per token in the loop.
    pub fn loop_macs(&self) -> f64 {
        self.loop_passes * (self.loop_width as f64).powi(2)
    }

    /// Multiply-accumulates of the attention core per token at context `ctx` (QKᵀ and AV).
    pub fn attention_macs(&self, ctx: f64) -> f64 {
        self.attention_layers * self.heads * self.attention_width * ctx
    }

    /// Host FLOPs of the attention core per token at context `ctx`: 2 FLOPs per MAC plus ~5 per
    /// score for the softmax.
    pub fn attention_flops(&self, ctx: f64) -> f64 {
        2.0 * self.attention_macs(ctx) + 5.0 * self.attention_layers * self.heads * ctx
    }

    #[inline]
    pub fn from_workload(wl: &Workload) -> Self {
        let mut ops: [Option<MatOp>; MAX_OPS] = [None; MAX_OPS];
        let mut n = 0;
        let mut push = |op: MatOp| {
            if n < MAX_OPS && op.uses_per_token > 0.0 {
                ops[n] = Some(op);
                n += 1;
            }
        };
        let kind = match wl.workload.kind {
            WorkloadKind::Decoder => WorkloadKindTag::Decoder,
            WorkloadKind::Encoder => WorkloadKindTag::Encoder,
            WorkloadKind::Kernel => WorkloadKindTag::Kernel,
        };
        let loop_width = wl.loop_width().unwrap_or(0);
        let loop_passes = wl.loop_passes();
        let cadence = wl
            .loop_block
            .as_ref()
            .and_then(|l| l.attention_cadence)
            .map(|k| k as f64)
            .unwrap_or(f64::INFINITY);
        let checkpoints = if cadence.is_finite() {
            loop_passes / cadence
        } else {
            0.0
        };
        let weight_bytes = wl.run.weight_bits as f64 / 8.0;
        let mut params_total = if loop_width > 0 {
            (loop_width as f64).powi(2)
        } else {
            0.0
        };
        let mut params_active = params_total;

        let Some(m) = &wl.model else {
            return Self {
                kind,
                ops,
                loop_width,
                loop_passes,
                checkpoints,
                cadence,
                attention_layers: 0.0,
                heads: 0.0,
                head_dim: 0.0,
                attention_width: 0.0,
                kv_groups: 0.0,
                kv_bytes_per_position: 0.0,
                elementwise_flops: 0.0,
                embedding_bytes: 0.0,
                weight_bytes,
                params_total,
                params_active,
                bidirectional: false,
                dependent_kernels: loop_passes,
            };
        };
        let d = m.d_model;
        let hd = m.head_dim();
        // Width into the output projection, and the fused Q, K, V (or latent) projection's.
        let (q_dim, qkv_out) = match &m.mla {
            Some(a) => (
                m.heads * a.v_head_dim,
                if a.q_lora_rank > 0 {
                    a.q_lora_rank
                } else {
                    m.heads * (a.qk_nope_head_dim + a.qk_rope_head_dim)
                } + a.kv_lora_rank
                    + a.qk_rope_head_dim,
            ),
            None => (m.heads * hd, (m.heads + 2 * m.kv_heads) * hd),
        };
        let layers = m.layers as f64;
        let optical_mask = wl
            .run
            .optical_ops
            .iter()
            .fold(0u8, |m, o| m | 1 << *o as u8);
        let opt = |o: OpticalOp| optical_mask & (1 << o as u8) != 0;
        let gate = match m.ffn {
            FfnKind::Gated => 2,
            FfnKind::Plain => 1,
        };
        let plain = |kind, d_in, d_out, uses: f64, optical| MatOp {
            kind,
            d_in,
            d_out,
            uses_per_token: uses,
            matrices: uses,
            routed: None,
            optical,
            per_sequence: false,
        };

        if m.layers > 0 {
            push(plain(MatKind::Qkv, d, qkv_out, layers, opt(OpticalOp::Qkv)));
            if let Some(a) = &m.mla {
                if a.q_lora_rank > 0 {
                    push(plain(
                        MatKind::QUp,
                        a.q_lora_rank,
                        m.heads * (a.qk_nope_head_dim + a.qk_rope_head_dim),
                        layers,
                        opt(OpticalOp::Qkv),
                    ));
                }
                push(plain(
                    MatKind::KvUp,
                    a.kv_lora_rank,
                    m.heads * (a.qk_nope_head_dim + a.v_head_dim),
                    layers,
                    opt(OpticalOp::Qkv),
                ));
            }
            push(plain(
                MatKind::AttnOut,
                q_dim,
                d,
                layers,
                opt(OpticalOp::AttnOut),
            ));
        }
        let (dense_layers, moe_layers) = match &m.moe {
            Some(moe) => (
                moe.dense_layers as f64,
                (m.layers - moe.dense_layers) as f64,
            ),
            None => (layers, 0.0),
        };
        push(plain(
            MatKind::FfnUp,
            d,
            gate * m.d_ff,
            dense_layers,
            opt(OpticalOp::FfnUp),
        ));
        push(plain(
            MatKind::FfnDown,
            m.d_ff,
            d,
            dense_layers,
            opt(OpticalOp::FfnDown),
        ));
        let mut active_ffn_width = m.d_ff as f64 * dense_layers;
        if let Some(moe) = &m.moe {
            let e_ff = moe.expert_d_ff;
            let shared = moe.shared_experts as f64;
            let k = moe.top_k as f64;
            let e = moe.experts as f64;
            let routed = |kind, d_in, d_out, optical| MatOp {
                kind,
                d_in,
                d_out,
                uses_per_token: moe_layers * (k + shared),
                matrices: moe_layers * shared,
                routed: Some(Routed {
                    layers: moe_layers,
                    experts: e,
                    top_k: k,
                    ln_miss: (1.0 - k / e).ln(),
                }),
                optical,
                per_sequence: false,
            };
            push(routed(
                MatKind::ExpertUp,
                d,
                gate * e_ff,
                opt(OpticalOp::FfnUp),
            ));
            push(routed(
                MatKind::ExpertDown,
                e_ff,
                d,
                opt(OpticalOp::FfnDown),
            ));
            push(plain(MatKind::Router, d, moe.experts, moe_layers, false));
            active_ffn_width += e_ff as f64 * (k + shared) * moe_layers;
        }
        let checkpoint_layers = checkpoints;
        if checkpoints > 0.0 {
            let cp = |kind, d_in, d_out, optical| MatOp {
                kind,
                d_in,
                d_out,
                uses_per_token: checkpoints,
                matrices: 1.0,
                routed: None,
                optical,
                per_sequence: false,
            };
            push(cp(MatKind::CheckpointQkv, d, qkv_out, opt(OpticalOp::Qkv)));
            push(cp(
                MatKind::CheckpointOut,
                q_dim,
                d,
                opt(OpticalOp::AttnOut),
            ));
        }
        if wl.workload.kind == WorkloadKind::Decoder {
            push(MatOp {
                kind: MatKind::LmHead,
                d_in: d,
                d_out: m.vocab,
                uses_per_token: 1.0,
                matrices: 1.0,
                routed: None,
                optical: opt(OpticalOp::LmHead),
                per_sequence: true,
            });
        }

        // Parameters: every product's weights, the embeddings, and the head when untied.
        let embed = m.vocab as f64 * d as f64;
        let positions = if m.position_embeddings {
            m.context as f64 * d as f64
        } else {
            0.0
        };
        for op in ops.iter().flatten() {
            if op.kind == MatKind::LmHead {
                continue;
            }
            params_total += op.weights();
            params_active += match op.routed {
                Some(r) => {
                    op.macs_per_use() * r.layers * (r.top_k + op.matrices / r.layers.max(1.0))
                }
                None => op.matrices * op.macs_per_use(),
            };
        }
        let head = if m.tied_embeddings { 0.0 } else { embed };
        params_total += embed + positions + head;
        params_active += embed + positions + head;

        let attention_layers = layers + checkpoint_layers;
        let dd = d as f64;
        Self {
            kind,
            ops,
            loop_width,
            loop_passes,
            checkpoints,
            cadence,
            attention_layers,
            heads: m.heads as f64,
            head_dim: hd as f64,
            attention_width: match &m.mla {
                Some(a) => (2 * a.kv_lora_rank + a.qk_rope_head_dim) as f64,
                None => 2.0 * hd as f64,
            },
            kv_groups: if m.mla.is_some() {
                1.0
            } else {
                m.kv_heads as f64
            },
            kv_bytes_per_position: match &m.mla {
                Some(a) => (a.kv_lora_rank + a.qk_rope_head_dim) as f64,
                None => 2.0 * (m.kv_heads * hd) as f64,
            } * wl.run.kv_bits as f64
                / 8.0,
            elementwise_flops: attention_layers * 12.0 * dd
                + 4.0 * active_ffn_width
                + if wl.workload.kind == WorkloadKind::Decoder {
                    5.0 * m.vocab as f64
                } else {
                    0.0
                },
            embedding_bytes: dd * weight_bytes.max(1.0),
            weight_bytes,
            params_total,
            params_active,
            bidirectional: wl.workload.kind == WorkloadKind::Encoder,
            dependent_kernels: 6.0 * layers
                + 2.0 * moe_layers
                + loop_passes
                + 3.0 * checkpoints
                + 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_workload;

    fn work(name: &str) -> (Work, Workload) {
        let wl = load_workload(name, &[]).unwrap().value;
        (Work::from_workload(&wl), wl)
    }

    #[test]
    fn parameter_counts_match_model_cards() {
        // The published counts include biases and norms, which are not counted here.
        for name in [
            "gpt2-small",
            "llama-3-8b",
            "llama-3-70b",
            "llama-2-70b",
            "llama-3.1-405b",
            "smollm2-135m",
            "minilm-l6",
        ] {
            let (w, wl) = work(name);
            let published = wl.model.as_ref().unwrap().published_params.unwrap();
            let rel = (w.params_total / published - 1.0).abs();
            assert!(
                rel < 0.01,
                "{name}: {} vs {published} ({:.2} %)",
                w.params_total,
                rel * 100.0
            );
            assert_eq!(w.params_total, w.params_active, "{name} is dense");
        }
    }

    /// Mixtures of experts against their model cards: the total within 2 % (Kimi K2's published
    /// 1.04 T includes parts its configuration does not name), the active count within 2 %.
    #[test]
    fn moe_parameter_counts_match_model_cards() {
        for name in ["mixtral-8x7b", "deepseek-v3", "moe-1t"] {
            let (w, wl) = work(name);
            let m = wl.model.as_ref().unwrap();
            let (total, active) = (
                m.published_params.unwrap(),
                m.published_active_params.unwrap(),
            );
            let rel = |a: f64, b: f64| (a / b - 1.0).abs();
            assert!(
                rel(w.params_total, total) < 0.02,
                "{name}: {} vs {total}",
                w.params_total
            );
            assert!(
                rel(w.params_active, active) < 0.02,
                "{name}: {} vs {active}",
                w.params_active
            );
        }
    }

    /// Latent attention caches kv_lora_rank + qk_rope_head_dim = 576 values per position per
    /// layer (DeepSeek-V3 report §2.1.1): 1,152 bytes at 16 bits, one group for every head.
    #[test]
    fn latent_attention_caches_the_latent() {
        let wl = load_workload("deepseek-v3", &["run.kv_bits=16".to_string()])
            .unwrap()
            .value;
        let w = Work::from_workload(&wl);
        assert_eq!(w.kv_bytes_per_position, 1152.0);
        assert_eq!(w.kv_groups, 1.0);
        assert_eq!(w.attention_width, 2.0 * 512.0 + 64.0);
        let kinds: Vec<MatKind> = w.ops().map(|o| o.kind).collect();
        assert!(kinds.contains(&MatKind::QUp) && kinds.contains(&MatKind::KvUp));
        // Attention per layer, by hand: 7168·(1536+576) + 1536·128·192 + 512·128·256 +
        // 128·128·7168 = 187,105,280.
        let attn: f64 = w
            .ops()
            .filter(|o| {
                matches!(
                    o.kind,
                    MatKind::Qkv | MatKind::QUp | MatKind::KvUp | MatKind::AttnOut
                )
            })
            .map(|o| o.macs_per_use())
            .sum();
        assert_eq!(attn, 187_105_280.0);
    }

    #[test]
    fn llama_3_8b_by_hand() {
        // 32 × (2·4096² + 2·4096·1024 + 3·4096·14336) + 2·128256·4096 = 8,029,995,008; with the
        // 65 RMSNorm vectors of 4096 (266,240) it is the model card's 8,030,261,248 exactly.
        let (w, _) = work("llama-3-8b");
        assert_eq!(w.params_total, 8_029_995_008.0);
        assert_eq!(w.params_total + 65.0 * 4096.0, 8_030_261_248.0);
        // KV per position per layer: 2 · 8 heads · 128 · 2 bytes = 4096 B.
        assert_eq!(w.kv_bytes_per_position, 4096.0);
        let qkv = w.ops().find(|o| o.kind == MatKind::Qkv).unwrap();
        assert_eq!(
            (qkv.d_in, qkv.d_out, qkv.uses_per_token),
            (4096, 6144, 32.0)
        );
    }

    #[test]
    fn moe_active_and_total() {
        let (w, _) = work("moe-8k-a37b");
        assert!(
            (w.params_active / 37e9 - 1.0).abs() < 0.02,
            "{}",
            w.params_active
        );
        assert!(
            w.params_total > 700e9 && w.params_total < 750e9,
            "{}",
            w.params_total
        );
        let up = w.ops().find(|o| o.kind == MatKind::ExpertUp).unwrap();
        // One token touches top_k + shared = 9 experts per MoE layer; a large batch all 257.
        assert!((up.matrices_touched(1.0) - 55.0 * (8.0 + 1.0)).abs() < 1e-9);
        assert!((up.matrices_touched(1e6) - 55.0 * 257.0).abs() < 1e-6);
    }

    #[test]
    fn deep_loop_checkpoints() {
        let (w, _) = work("deep-loop-2048");
        assert_eq!(w.loop_width, 2048);
        assert_eq!(w.loop_passes, 256.0);
        assert_eq!(w.checkpoints, 4.0);
        assert_eq!(w.attention_layers, 4.0);
        assert_eq!(w.loop_macs(), 256.0 * 2048.0 * 2048.0);
    }

    #[test]
    fn kernel_is_only_the_loop() {
        let (w, _) = work("loop-1024");
        assert_eq!(w.ops().count(), 0);
        assert_eq!(w.loop_macs(), 12.0 * 1024.0 * 1024.0);
        assert_eq!(w.attention_layers, 0.0);
    }
}

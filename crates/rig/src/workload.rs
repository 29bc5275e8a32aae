//! The workload description: which model runs, how it is batched, and what runs optically.

use crate::error::ErrorKind;
use crate::validate::{Checker, Validate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub workload: WorkloadMeta,
    /// The transformer (absent for a bare `kernel` workload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    pub run: Run,
    /// The deep optical loop block: tied weights applied for `micro_steps` passes per token.
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_block: Option<LoopBlock>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Where the shape comes from (model card, paper).
    #[serde(default)]
    pub source: String,
    pub kind: WorkloadKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadKind {
    /// Autoregressive decoder: prefill the prompt, then one token per step.
    Decoder,
    /// Encoder: every input token is processed once, all at once (no decode steps).
    Encoder,
    /// A bare loop of matrix products (no embedding, attention or head): one "token" is one
    /// input vector.
    Kernel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FfnKind {
    /// Gated (SwiGLU/GeGLU): gate and up projections d→d_ff, down d_ff→d.
    Gated,
    /// Plain two-matrix MLP: up d→d_ff, down d_ff→d.
    Plain,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub d_model: u32,
    pub d_ff: u32,
    pub layers: u32,
    pub heads: u32,
    pub kv_heads: u32,
    /// Defaults to d_model / heads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_dim: Option<u32>,
    pub vocab: u32,
    /// Maximum context length.
    pub context: u32,
    pub ffn: FfnKind,
    #[serde(default)]
    pub tied_embeddings: bool,
    /// Learned position embeddings (GPT-2, BERT) of `context` × d_model.
    #[serde(default)]
    pub position_embeddings: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moe: Option<Moe>,
    /// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2) in place of grouped-query
    /// attention: keys and values are cached as one compressed latent per position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mla: Option<Mla>,
    /// Parameter count from the model card, for cross-checking the shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_params: Option<f64>,
    /// Parameters one token uses (mixtures of experts), from the model card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_active_params: Option<f64>,
}

/// Mixture of experts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    pub experts: u32,
    pub top_k: u32,
    #[serde(default)]
    pub shared_experts: u32,
    pub expert_d_ff: u32,
    /// The first `dense_layers` layers use a dense FFN of width d_ff.
    #[serde(default)]
    pub dense_layers: u32,
}

/// Multi-head latent attention (DeepSeek-AI, "DeepSeek-V2", arXiv 2405.04434, §2.1): the
/// input is projected down to a latent of `kv_lora_rank` (plus a shared rotary key of
/// `qk_rope_head_dim`), which is all the KV cache holds; per-head keys (`qk_nope_head_dim`) and
/// values (`v_head_dim`) are projected up from it. Queries go through a latent of
/// `q_lora_rank` when it is non-zero. In decoding the up-projections are absorbed into the query
/// and output, so attention reads the latent directly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mla {
    /// Rank of the compressed query (0: queries projected directly from d_model).
    #[serde(default)]
    pub q_lora_rank: u32,
    pub kv_lora_rank: u32,
    pub qk_nope_head_dim: u32,
    pub qk_rope_head_dim: u32,
    pub v_head_dim: u32,
}

/// Which linear layers run on the optical core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpticalOp {
    /// Query, key and value projections (one fused product).
    Qkv,
    /// Attention output projection.
    AttnOut,
    /// FFN up (and gate) projection(s).
    FfnUp,
    /// FFN down projection.
    FfnDown,
    /// Output head (vocabulary logits).
    LmHead,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Sequences processed together.
    pub batch: u32,
    #[serde(default = "one")]
    pub prompt_tokens: u32,
    #[serde(default)]
    pub generated_tokens: u32,
    /// Linear layers mapped onto the optical core; the rest run on the host.
    #[serde(default)]
    pub optical_ops: Vec<OpticalOp>,
    /// Bits per stored weight on the host / GPU (16 = BF16).
    pub weight_bits: u32,
    /// Bits per KV-cache element.
    #[serde(default = "sixteen")]
    pub kv_bits: u32,
}

fn one() -> u32 {
    1
}
fn sixteen() -> u32 {
    16
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoopBlock {
    /// State width d; defaults to model.d_model (required for a kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Tied-weight passes T per token.
    pub micro_steps: u32,
    /// Passes between digital attention checkpoints K (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention_cadence: Option<u32>,
    /// Mean passes actually run per token with dynamic halting (≤ micro_steps; default T).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halting_depth: Option<f64>,
}

impl Model {
    pub fn head_dim(&self) -> u32 {
        self.head_dim.unwrap_or(self.d_model / self.heads.max(1))
    }
}

impl Workload {
    /// The loop's state width, if there is a loop.
    pub fn loop_width(&self) -> Option<u32> {
        let l = self.loop_block.as_ref()?;
        l.width.or(self.model.as_ref().map(|m| m.d_model))
    }
    /// Mean loop passes per token (halting depth, or micro_steps).
    pub fn loop_passes(&self) -> f64 {
        self.loop_block
            .as_ref()
            .map(|l| l.halting_depth.unwrap_or(l.micro_steps as f64))
            .unwrap_or(0.0)
    }
    pub fn is_optical(&self, op: OpticalOp) -> bool {
        self.run.optical_ops.contains(&op)
    }
}

impl Validate for Workload {
    fn check(&self, c: &mut Checker) {
        c.non_empty("workload.name", &self.workload.name);
        let kind = self.workload.kind;
        match (&self.model, kind) {
            (None, WorkloadKind::Decoder | WorkloadKind::Encoder) => c.fail(
                "model",
                ErrorKind::MissingKey,
                format!("a {kind:?} workload needs a [model] section").to_lowercase(),
            ),
            (Some(_), WorkloadKind::Kernel) => c.fail(
                "model",
                ErrorKind::Topology,
                "a kernel workload is a bare loop: remove [model] or choose kind = \"decoder\"",
            ),
            _ => {}
        }
        if let Some(m) = &self.model {
            c.count_at_least("model.d_model", m.d_model as u64, 1);
            c.count_at_least("model.heads", m.heads as u64, 1);
            c.count_at_least("model.kv_heads", m.kv_heads as u64, 1);
            c.count_at_least("model.vocab", m.vocab as u64, 1);
            c.count_at_least("model.context", m.context as u64, 1);
            if m.layers > 0 || m.moe.as_ref().is_some_and(|x| x.dense_layers > 0) {
                c.count_at_least("model.d_ff", m.d_ff as u64, 1);
            }
            if m.heads > 0 && m.kv_heads > 0 {
                if m.kv_heads > m.heads || m.heads % m.kv_heads != 0 {
                    c.fail(
                        "model.kv_heads",
                        ErrorKind::Topology,
                        format!(
                            "grouped-query attention needs heads ({}) to be a multiple of kv_heads ({})",
                            m.heads, m.kv_heads
                        ),
                    );
                }
                if m.head_dim.is_none() && m.d_model % m.heads != 0 {
                    c.fail(
                        "model.heads",
                        ErrorKind::Topology,
                        format!(
                            "d_model {} is not divisible into {} heads; give model.head_dim",
                            m.d_model, m.heads
                        ),
                    );
                }
            }
            if let Some(hd) = m.head_dim {
                c.count_at_least("model.head_dim", hd as u64, 1);
            }
            if m.layers == 0 && self.loop_block.is_none() {
                c.fail(
                    "model.layers",
                    ErrorKind::Topology,
                    "a model with no layers needs a [loop] block to do any work",
                );
            }
            if let Some(moe) = &m.moe {
                c.count_at_least("model.moe.experts", moe.experts as u64, 1);
                c.count_within(
                    "model.moe.top_k",
                    moe.top_k as u64,
                    1,
                    moe.experts.max(1) as u64,
                    "1 ≤ top_k ≤ experts",
                );
                c.count_at_least("model.moe.expert_d_ff", moe.expert_d_ff as u64, 1);
                if moe.dense_layers > m.layers {
                    c.fail(
                        "model.moe.dense_layers",
                        ErrorKind::Value,
                        format!(
                            "{} dense layers exceed model.layers = {}",
                            moe.dense_layers, m.layers
                        ),
                    );
                }
            }
            if let Some(mla) = &m.mla {
                c.count_at_least("model.mla.kv_lora_rank", mla.kv_lora_rank as u64, 1);
                c.count_at_least("model.mla.qk_nope_head_dim", mla.qk_nope_head_dim as u64, 1);
                c.count_at_least("model.mla.qk_rope_head_dim", mla.qk_rope_head_dim as u64, 1);
                c.count_at_least("model.mla.v_head_dim", mla.v_head_dim as u64, 1);
                if m.kv_heads != m.heads {
                    c.fail(
                        "model.kv_heads",
                        ErrorKind::Topology,
                        format!(
                            "latent attention gives every head its own keys and values: kv_heads must equal heads ({})",
                            m.heads
                        ),
                    );
                }
            }
            if let Some(p) = m.published_params {
                c.number_within("model.published_params", p, 1.0, 1e15, "a parameter count");
            }
            if let Some(p) = m.published_active_params {
                c.number_within(
                    "model.published_active_params",
                    p,
                    1.0,
                    m.published_params.unwrap_or(1e15),
                    "a parameter count, at most model.published_params",
                );
            }
            let tokens = self.run.prompt_tokens as u64 + self.run.generated_tokens as u64;
            if tokens > m.context as u64 {
                c.fail(
                    "run.generated_tokens",
                    ErrorKind::Value,
                    format!(
                        "prompt_tokens + generated_tokens = {tokens} exceeds model.context = {}",
                        m.context
                    ),
                );
            }
        }
        let r = &self.run;
        c.count_within(
            "run.batch",
            r.batch as u64,
            1,
            1 << 20,
            "sequences in flight",
        );
        c.count_at_least("run.prompt_tokens", r.prompt_tokens as u64, 1);
        if kind == WorkloadKind::Encoder && r.generated_tokens != 0 {
            c.fail(
                "run.generated_tokens",
                ErrorKind::Value,
                "an encoder generates no tokens: set generated_tokens = 0",
            );
        }
        c.count_within(
            "run.weight_bits",
            r.weight_bits as u64,
            1,
            32,
            "bits per weight",
        );
        c.count_within(
            "run.kv_bits",
            r.kv_bits as u64,
            1,
            32,
            "bits per KV element",
        );
        for (i, op) in r.optical_ops.iter().enumerate() {
            if r.optical_ops[..i].contains(op) {
                c.fail(
                    &format!("run.optical_ops[{i}]"),
                    ErrorKind::Value,
                    format!("{op:?} is listed twice"),
                );
            }
        }
        if kind == WorkloadKind::Kernel && !r.optical_ops.is_empty() {
            c.fail(
                "run.optical_ops",
                ErrorKind::Topology,
                "a kernel workload has only the loop (always optical); leave optical_ops empty",
            );
        }
        match (&self.loop_block, kind) {
            (None, WorkloadKind::Kernel) => c.fail(
                "loop",
                ErrorKind::MissingKey,
                "a kernel workload needs a [loop] section",
            ),
            (Some(l), _) => {
                c.count_at_least("loop.micro_steps", l.micro_steps as u64, 1);
                match (l.width, &self.model) {
                    (None, None) => c.fail(
                        "loop.width",
                        ErrorKind::MissingKey,
                        "a kernel's loop needs a width",
                    ),
                    (Some(w), Some(m)) if w != m.d_model => c.fail(
                        "loop.width",
                        ErrorKind::Topology,
                        format!(
                            "the loop state is the residual stream: width {w} must equal model.d_model {}",
                            m.d_model
                        ),
                    ),
                    (Some(w), _) => c.count_at_least("loop.width", w as u64, 1),
                    _ => {}
                }
                if let Some(k) = l.attention_cadence {
                    c.count_at_least("loop.attention_cadence", k as u64, 1);
                    if self.model.is_none() {
                        c.fail(
                            "loop.attention_cadence",
                            ErrorKind::Topology,
                            "attention checkpoints need a [model] for their heads",
                        );
                    }
                }
                if let Some(h) = l.halting_depth {
                    c.number_within(
                        "loop.halting_depth",
                        h,
                        1.0,
                        l.micro_steps.max(1) as f64,
                        "mean passes run, at most loop.micro_steps",
                    );
                }
            }
            _ => {}
        }
    }
}

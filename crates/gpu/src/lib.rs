//! # lightloop-gpu
//!
//! How GPUs serve a transformer: prefill and decode phases on a per-operation roofline whose
//! achieved fractions of peak were fitted to published measurements (named in [`measured`]),
//! the KV cache bounding the batch, tensor, pipeline and expert parallelism with only valid
//! splits and their collectives costed on the real links, and power from utilisation that never
//! exceeds the board's limit, with the host's power stated separately. Energy is power × time
//! everywhere.
//!
//! ```
//! use lightloop_gpu::{Split, serve, ServingStack};
//! let gpu = lightloop_rig::load_gpu("h100-sxm", &[]).unwrap().value;
//! let wl = lightloop_rig::load_workload("llama-3-8b", &["run.batch=64".into()]).unwrap().value;
//! let s = serve(&gpu, &ServingStack::fitted(), &wl, Split::single()).unwrap();
//! assert!(s.gpu_power <= 700.0);
//! assert!((s.j_per_token - s.power_total() / s.tokens_per_s).abs() < 1e-9 * s.j_per_token);
//! ```

pub mod collective;
pub mod error;
pub mod fit;
pub mod measured;
pub mod roofline;
pub mod serving;
pub mod split;
pub mod stack;
pub mod training;

pub use error::GpuError;
pub use serving::{Bound, GpuEvaluation, Serving, evaluate_gpu, serve, serve_best};
pub use split::Split;
pub use stack::ServingStack;

//! How one replica of a model is split over GPUs: tensor parallelism (TP) over attention heads
//! and the columns of every product, pipeline parallelism (PP) over layers, and expert
//! parallelism (EP) of a mixture's experts. Data parallelism is the number of replicas, chosen
//! by the fleet.
//!
//! A split is valid only when it divides the model: TP divides the query heads, and either
//! divides the KV groups or is a multiple of them (the KV heads are then replicated, as serving
//! engines do); PP divides the layers into equal stages; EP divides the experts, and is 1
//! (every expert split by TP) or a multiple of TP (the attention then runs EP/TP ways data
//! parallel inside the replica, as in DeepSeek-V3's deployment).

use crate::error::GpuError;
use lightloop_rig::work::Work;
use serde::Serialize;
use std::fmt;

/// One replica's parallel split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Split {
    pub tp: u32,
    pub pp: u32,
    pub ep: u32,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TP{}", self.tp)?;
        if self.pp > 1 {
            write!(f, "·PP{}", self.pp)?;
        }
        if self.ep > 1 {
            write!(f, "·EP{}", self.ep)?;
        }
        Ok(())
    }
}

impl Split {
    /// One GPU.
    pub const fn single() -> Self {
        Self {
            tp: 1,
            pp: 1,
            ep: 1,
        }
    }

    pub const fn new(tp: u32, pp: u32, ep: u32) -> Self {
        Self { tp, pp, ep }
    }

    /// Ways the attention runs data-parallel inside one pipeline stage (EP/TP when EP > TP).
    pub fn attention_dp(&self) -> u32 {
        if self.ep > self.tp {
            self.ep / self.tp
        } else {
            1
        }
    }

    /// GPUs in one pipeline stage.
    pub fn stage_gpus(&self) -> u32 {
        self.tp * self.attention_dp()
    }

    /// GPUs in one replica.
    pub fn gpus(&self) -> u32 {
        self.stage_gpus() * self.pp
    }

    /// GPUs that share each routed expert's matrices: EP when experts are spread whole, TP
    /// when each expert is split by columns.
    pub fn expert_shards(&self) -> u32 {
        if self.ep > 1 { self.ep } else { self.tp }
    }

    /// Why the split does not divide `work`'s model, if it does not.
    pub fn check(&self, work: &Work, layers: u32, experts: Option<u32>) -> Result<(), GpuError> {
        let fail = |reason: String| {
            Err(GpuError::InvalidSplit {
                split: self.to_string(),
                reason,
            })
        };
        if self.tp == 0 || self.pp == 0 || self.ep == 0 {
            return fail("every degree is at least 1".into());
        }
        let heads = work.heads as u32;
        if heads > 0 && !heads.is_multiple_of(self.tp) {
            return fail(format!("TP {} does not divide {heads} heads", self.tp));
        }
        let kv = work.kv_groups as u32;
        if kv > 0 && !(kv.is_multiple_of(self.tp) || self.tp.is_multiple_of(kv)) {
            return fail(format!(
                "TP {} neither divides {kv} KV heads nor is a multiple of them",
                self.tp
            ));
        }
        if heads == 0 && self.tp > 1 && work.loop_width > 0 {
            let w = work.loop_width;
            if !w.is_multiple_of(self.tp) {
                return fail(format!("TP {} does not divide the loop width {w}", self.tp));
            }
        }
        let stages = layers.max(1);
        if !stages.is_multiple_of(self.pp) {
            return fail(format!(
                "PP {} does not divide {stages} layers into equal stages",
                self.pp
            ));
        }
        match experts {
            None if self.ep > 1 => fail("EP needs a mixture of experts".into()),
            Some(e) if self.ep > 1 && !e.is_multiple_of(self.ep) => {
                fail(format!("EP {} does not divide {e} experts", self.ep))
            }
            Some(_) if self.ep > 1 && !self.ep.is_multiple_of(self.tp) => fail(format!(
                "EP {} is not a multiple of TP {} (the attention would not split evenly)",
                self.ep, self.tp
            )),
            _ => Ok(()),
        }
    }
}

/// Every valid split of at most `max_gpus` GPUs per replica, fewest GPUs first. TP and EP
/// run over powers of two and the model's own divisors; PP over the layers' divisors.
pub fn valid_splits(work: &Work, layers: u32, experts: Option<u32>, max_gpus: u32) -> Vec<Split> {
    let mut tps: Vec<u32> = (0..12).map(|k| 1u32 << k).collect();
    let heads = (work.heads as u32).max(1);
    tps.retain(|t| *t <= heads && *t <= max_gpus);
    let pps: Vec<u32> = (1..=layers.max(1))
        .filter(|p| layers.max(1).is_multiple_of(*p) && *p <= max_gpus)
        .collect();
    let eps: Vec<u32> = match experts {
        None => vec![1],
        Some(e) => std::iter::once(1)
            .chain(
                (0..14)
                    .map(|k| 1u32 << k)
                    .filter(|x| *x > 1 && e.is_multiple_of(*x)),
            )
            .collect(),
    };
    let mut out = Vec::new();
    for &tp in &tps {
        for &pp in &pps {
            for &ep in &eps {
                let s = Split { tp, pp, ep };
                if s.gpus() <= max_gpus && s.check(work, layers, experts).is_ok() {
                    out.push(s);
                }
            }
        }
    }
    out.sort_by_key(|s| (s.gpus(), s.pp, s.ep, s.tp));
    out.dedup();
    out
}

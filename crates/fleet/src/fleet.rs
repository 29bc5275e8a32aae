//! A deployment sized on every hardware option it names.

use crate::economics::Economics;
use crate::error::FleetError;
use crate::sizing::{Demand, OptionAnswer, size_gpu, size_rig};
use lightloop_gpu::ServingStack;
use lightloop_rig::{Deployment, Gpu, Rig, Validate, Workload, load_gpu, load_rig, load_workload};
use serde::Serialize;

/// Everything the fleet model says about a deployment.
#[derive(Debug, Clone, Serialize)]
pub struct FleetAnswer {
    pub deployment: String,
    pub model: String,
    pub params_total: f64,
    pub params_active: f64,
    pub demand: Demand,
    pub economics: Economics,
    pub options: Vec<OptionAnswer>,
}

/// The served model: the deployment's workload with its precision, lengths and a batch of 1
/// (the sizing varies the batch).
pub fn served_model(d: &Deployment) -> Result<Workload, FleetError> {
    let base = load_workload(&d.model.workload, &[])?.value;
    served_variant(&base, d)
}

/// `base` at the deployment's precision and lengths.
pub fn served_variant(base: &Workload, d: &Deployment) -> Result<Workload, FleetError> {
    let mut wl = base.clone();
    wl.run.batch = 1;
    wl.run.prompt_tokens = d.traffic.prompt_tokens;
    wl.run.generated_tokens = d.traffic.output_tokens;
    wl.run.weight_bits = d.model.weight_bits;
    wl.run.kv_bits = d.model.kv_bits;
    if let Some(m) = wl.model.as_mut() {
        let needed = d.traffic.prompt_tokens + d.traffic.output_tokens;
        m.context = m.context.max(needed);
    }
    let problems = wl.problems();
    if problems.is_empty() {
        Ok(wl)
    } else {
        Err(FleetError::Model(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.key, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        ))
    }
}

/// The demand a deployment puts on every option.
pub fn demand(d: &Deployment) -> Demand {
    Demand {
        tokens_per_s: d.traffic.output_tokens_per_s(),
        prompt_tokens: d.traffic.prompt_tokens,
        output_tokens: d.traffic.output_tokens,
        ttft: d.targets.ttft.si(),
        tpot: d.targets.tpot.si(),
    }
}

/// The hardware of a deployment, loaded.
pub struct Hardware {
    pub gpus: Vec<Gpu>,
    pub rigs: Vec<Rig>,
}

impl Hardware {
    /// Loads every option the deployment names (all problems of all files at once).
    pub fn of(d: &Deployment) -> Result<Self, FleetError> {
        let mut errors = Vec::new();
        let mut gpus = Vec::new();
        let mut rigs = Vec::new();
        for g in &d.options.gpus {
            match load_gpu(g, &[]) {
                Ok(l) => gpus.push(l.value),
                Err(e) => errors.extend(e.0),
            }
        }
        for r in &d.options.rigs {
            match load_rig(r, &[]) {
                Ok(l) => rigs.push(l.value),
                Err(e) => errors.extend(e.0),
            }
        }
        if errors.is_empty() {
            Ok(Self { gpus, rigs })
        } else {
            Err(FleetError::Input(lightloop_rig::InputErrors(errors)))
        }
    }
}

/// Sizes `model` for deployment `d` on every option of `hw`.
pub fn size(d: &Deployment, model: &Workload, hw: &Hardware) -> FleetAnswer {
    let demand = demand(d);
    let econ = Economics::of(d);
    let work = lightloop_rig::work::Work::from_workload(model);
    let mut options = Vec::new();
    for g in &hw.gpus {
        options.push(size_gpu(
            g,
            &ServingStack::for_gpu(g),
            model,
            &demand,
            &econ,
            d.options.max_gpus_per_replica,
        ));
    }
    for r in &hw.rigs {
        options.push(size_rig(r, model, &demand, &econ));
    }
    FleetAnswer {
        deployment: d.deployment.name.clone(),
        model: model.workload.name.clone(),
        params_total: work.params_total,
        params_active: work.params_active,
        demand,
        economics: econ,
        options,
    }
}

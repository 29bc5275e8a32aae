//! Training runs priced: hours, energy and dollars per token and per run, on GPUs and on
//! optical rigs.
//!
//! GPUs: [`lightloop_gpu::training`] (6·N_active FLOPs per token plus attention, at the fitted
//! model-FLOPs utilisation). Rigs: the forward pass is the rig's prefill (the cost model's, a
//! sequence at a time); the backward pass runs digitally on the rig's host, 4·N_active FLOPs per
//! token at the host's FLOP rate and energy per FLOP, while the rig's DC loads keep running.
//! Direct feedback alignment (a fixed random projection of the error, which optics could apply)
//! is not modelled. Prices: the hardware's write-off for the run's duration and the energy at
//! the facility's PUE and price.

use crate::FleetError;
use crate::bom;
use crate::economics::{Economics, YEAR};
use lightloop_cost::evaluate::{Core, evaluate_core};
use lightloop_gpu::training as gpu_training;
use lightloop_rig::work::Work;
use lightloop_rig::{Gpu, Rig, Workload};
use serde::Serialize;

/// One run's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub hardware: String,
    pub devices: f64,
    pub tokens: f64,
    /// Wall time, s.
    pub time: f64,
    /// IT energy (devices and hosts), J.
    pub energy: f64,
    pub j_per_token: f64,
    /// Hardware write-off for the run's time plus facility energy, USD.
    pub cost: f64,
    pub usd_per_m_tokens: f64,
    /// What was assumed, in words.
    pub assumptions: String,
}

fn priced(econ: &Economics, hardware_price: f64, time: f64, energy: f64) -> f64 {
    hardware_price * econ.hardware_price_scale * time / econ.depreciation
        + energy * econ.pue * econ.electricity_price
}

/// A run of `tokens` on `gpus` GPUs at the fitted MFU.
pub fn on_gpus(gpu: &Gpu, wl: &Workload, tokens: f64, gpus: f64, econ: &Economics) -> Run {
    let t = gpu_training::train(gpu, wl, tokens, gpus, gpu_training::FITTED_MFU);
    let nodes = (gpus / gpu.node.gpus as f64).ceil();
    let price = nodes * gpu.price.node.si() + gpus * gpu.price.network_per_gpu.si();
    let cost = priced(econ, price, t.time, t.energy);
    Run {
        hardware: gpu.gpu.name.clone(),
        devices: gpus,
        tokens,
        time: t.time,
        energy: t.energy,
        j_per_token: t.j_per_token,
        cost,
        usd_per_m_tokens: cost / tokens * 1e6,
        assumptions: format!(
            "{:.3e} FLOPs per token (6·N_active and attention) at {:.0} % of the BF16 dense peak, the MFU of Llama 3 405B's pre-training; {} GPU-hours",
            t.flops_per_token,
            gpu_training::FITTED_MFU * 100.0,
            crate::verdict::figure(t.gpu_hours)
        ),
    }
}

/// A run of `tokens` on `rigs` rigs (each with its host), forward optical, backward digital.
pub fn on_rigs(
    rig: &Rig,
    wl: &Workload,
    tokens: f64,
    rigs: f64,
    econ: &Economics,
) -> Result<Run, FleetError> {
    lightloop_cost::evaluate(rig, wl)?;
    let work = Work::from_workload(wl);
    let core = Core::for_work(rig, &work);
    let e = evaluate_core(&core, &work, wl);
    let prompt = wl.run.prompt_tokens as f64;
    let t_fwd = e.prefill.time / prompt;
    let e_fwd = e.prefill.ledger.total() / prompt;
    let back_flops = 4.0 * work.params_active;
    let t_back = back_flops / rig.host.flops.si();
    let e_back = back_flops * rig.host.energy_per_flop.si() + core.static_watts.total() * t_back;
    let per_token_time = t_fwd + t_back;
    let time = tokens / rigs * per_token_time;
    let energy = tokens * (e_fwd + e_back);
    let price = rigs * bom::bill(rig).total;
    let cost = priced(econ, price, time, energy);
    Ok(Run {
        hardware: rig.rig.name.clone(),
        devices: rigs,
        tokens,
        time,
        energy,
        j_per_token: energy / tokens,
        cost,
        usd_per_m_tokens: cost / tokens * 1e6,
        assumptions: format!(
            "forward: the rig's prefill, {} J and {} per token; backward: {:.3e} FLOPs per token on the host ({} per token), the rig's DC loads running meanwhile; direct feedback alignment not modelled",
            crate::verdict::figure(e_fwd),
            crate::verdict::duration(t_fwd),
            back_flops,
            crate::verdict::duration(t_back)
        ),
    })
}

/// Years a run takes, for messages.
pub fn years(t: f64) -> f64 {
    t / YEAR
}

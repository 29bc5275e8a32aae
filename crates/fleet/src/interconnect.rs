//! What changes when a GPU fleet's copper or pluggable links are replaced by photonic ones:
//! each link technology of [`LINK_TECHS`] in place of the scale-out network or of the NVLink
//! domain's copper, the deployment sized again.
//!
//! The links' energy: scale-out traffic is charged at its energy per bit (NICs, transceivers,
//! switches stand outside the GPUs' and hosts' power); scale-up traffic's energy is inside the
//! boards' and NVSwitches' power, so a replacement changes the fleet's power by the traffic
//! times the difference in energy per bit.

use crate::economics::Economics;
use crate::sizing::{Demand, OptionAnswer, size_gpu};
use lightloop_gpu::ServingStack;
use lightloop_gpu::roofline::{LINK_TECHS, LinkTech, Replaces, with_links};
use lightloop_rig::{Gpu, Workload};
use serde::Serialize;

/// One fleet with its links replaced.
#[derive(Debug, Clone, Serialize)]
pub struct Swap {
    pub tech: LinkTech,
    pub replaces: Replaces,
    pub answer: OptionAnswer,
    /// Link energy per output token (both fabrics), J.
    pub link_j_per_token: f64,
    /// Cost per million tokens with the scale-up energy change counted, USD.
    pub usd_per_m_tokens: f64,
    /// Facility power at the busiest hour, same correction, W.
    pub wall_busy: f64,
}

/// The baseline (`gpu` as described) and every replacement.
pub fn compare(
    gpu: &Gpu,
    model: &Workload,
    demand: &Demand,
    econ: &Economics,
    max_gpus: u32,
) -> (OptionAnswer, Vec<Swap>) {
    let stack = ServingStack::for_gpu(gpu);
    let base = size_gpu(gpu, &stack, model, demand, econ, max_gpus);
    let mut swaps = Vec::new();
    let plans = LINK_TECHS
        .iter()
        .filter(|t| t.id != "pluggable-400g")
        .map(|t| (t, Replaces::ScaleOut))
        .chain(
            LINK_TECHS
                .iter()
                .filter(|t| t.id == "optical-io" || t.id == "photonic-interposer")
                .map(|t| (t, Replaces::ScaleUp { domain: 72 })),
        );
    for (tech, replaces) in plans {
        let g = with_links(gpu, tech, replaces);
        let answer = size_gpu(&g, &stack, model, demand, econ, max_gpus);
        let (link_j, usd, wall) = match answer.shown() {
            Some(s) => {
                let e_up = g.scale_up.energy_per_bit.si();
                let e_out = g.scale_out.energy_per_bit.si();
                let link =
                    8.0 * (s.scale_up_bytes_per_token * e_up + s.scale_out_bytes_per_token * e_out);
                let delta_up = match replaces {
                    Replaces::ScaleUp { .. } => {
                        8.0 * s.scale_up_bytes_per_token
                            * (e_up - gpu.scale_up.energy_per_bit.si())
                            * demand.tokens_per_s
                    }
                    Replaces::ScaleOut => 0.0,
                };
                let p = econ.power(s.power.it_busy + delta_up, s.power.it_idle);
                let c = econ.cost(
                    s.cost.hardware / econ.hardware_price_scale,
                    &p,
                    demand.tokens_per_s,
                );
                (link, c.usd_per_m_tokens, p.wall_busy)
            }
            None => (f64::NAN, f64::NAN, f64::NAN),
        };
        swaps.push(Swap {
            tech: *tech,
            replaces,
            answer,
            link_j_per_token: link_j,
            usd_per_m_tokens: usd,
            wall_busy: wall,
        });
    }
    (base, swaps)
}

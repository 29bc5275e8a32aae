//! The industry article's data-centre figures (docs/references.md, users' documents),
//! reproduced with the article's own arithmetic and then recomputed through the fleet model:
//! real nodes with their hosts, a facility's PUE, a year's load curve, and optical rigs that
//! must carry the same tokens. Also its Q.ANT and Lumai rows, with what can and cannot be
//! checked, and the article's internal inconsistencies (units, ranges that contradict its own
//! table).

use crate::economics::Economics;
use crate::fleet::{FleetAnswer, Hardware, served_model, size};
use crate::sizing::Sizing;
use crate::verdict::figure;
use lightloop_cost::audit::{ClaimAudit, Counterpart, Figure, PENDING, Quoted, finish};
use lightloop_rig::{Deployment, Gpu, Rig};

const SOURCE: &str =
    "industry article on photonic computing (docs/references.md, users' documents)";

/// The article's peak-throughput figures for an H100 SXM: 2,000–4,000 TeraOPS at 700 W.
const H100_TOPS_LOW: f64 = 2000.0;
const H100_TOPS_HIGH: f64 = 4000.0;
const H100_WATTS: f64 = 700.0;
const FACILITY_W: f64 = 100e6;
const PHOTONIC_TOPS_PER_W: f64 = 50.0;

/// The fleets the recomputation rests on.
pub struct ClaimFleets {
    /// The deployment the data centre is taken to serve.
    pub deployment: Deployment,
    pub gpu: FleetAnswer,
    pub rig: FleetAnswer,
    /// Llama 3 70B on the same GPU, for the Lumai row.
    pub llama: FleetAnswer,
}

impl ClaimFleets {
    /// Sizes `deployment` (and its Llama 3 70B variant) on one GPU and one rig.
    pub fn new(deployment: &Deployment, gpu: &Gpu, rig: &Rig) -> Result<Self, crate::FleetError> {
        let hw = Hardware {
            gpus: vec![gpu.clone()],
            rigs: vec![rig.clone()],
        };
        let model = served_model(deployment)?;
        let gpu_only = Hardware {
            gpus: vec![gpu.clone()],
            rigs: vec![],
        };
        let rig_only = Hardware {
            gpus: vec![],
            rigs: vec![rig.clone()],
        };
        let mut llama_d = deployment.clone();
        llama_d.model.workload = "llama-3-70b".into();
        let llama = size(&llama_d, &served_model(&llama_d)?, &hw);
        Ok(Self {
            deployment: deployment.clone(),
            gpu: size(deployment, &model, &gpu_only),
            rig: size(deployment, &model, &rig_only),
            llama,
        })
    }
}

fn shown(a: &FleetAnswer, i: usize) -> Option<&Sizing> {
    a.options.get(i).and_then(|o| o.shown())
}

/// The whole audit: the rig claims of `lightloop_cost::audit` and the data-centre rows,
/// recomputed through fleets of `rigs.h100` and `rigs.seed` serving `deployment`.
pub fn full_audit(
    rigs: &lightloop_cost::audit::AuditRigs,
    deployment: &Deployment,
) -> Result<Vec<ClaimAudit>, crate::FleetError> {
    let mut out = lightloop_cost::audit::audit(rigs);
    let fleets = ClaimFleets::new(deployment, &rigs.h100, &rigs.seed.1)?;
    out.extend(audit(&fleets));
    Ok(out)
}

/// The data-centre rows of the audit.
pub fn audit(f: &ClaimFleets) -> Vec<ClaimAudit> {
    let mut out = Vec::new();
    let econ = Economics::of(&f.deployment);
    let dname = &f.deployment.deployment.name;
    let g = shown(&f.gpu, 0);
    let r = shown(&f.rig, 0);
    let gpu_name = f
        .gpu
        .options
        .first()
        .map(|o| o.hardware.clone())
        .unwrap_or_default();
    let rig_name = f
        .rig
        .options
        .first()
        .map(|o| o.hardware.clone())
        .unwrap_or_default();

    // 1. GPUs a 100 MW facility houses.
    let per_gpu_wall = g.map(|s| s.power.wall_busy / s.devices as f64);
    out.push(ClaimAudit {
        id: "datacentre-gpus",
        claim: "a 100 MW data centre houses about 143,000 H100 at 700 W each",
        source: SOURCE,
        stated_assumptions: "100 MW ÷ 700 W per GPU; nothing else draws power".into(),
        unit: "GPUs",
        figures: vec![Figure::new(
            "100 MW ÷ 700 W",
            Quoted::Approx { value: 143_000.0, digits: 3 },
            FACILITY_W / H100_WATTS,
        )],
        status: PENDING,
        counterpart: per_gpu_wall.map(|w| Counterpart {
            value: FACILITY_W / w,
            unit: "GPUs".into(),
            basis: format!(
                "{gpu_name} nodes serving {dname} at the busiest hour: {} W per GPU at the wall with the node's host share and PUE {}",
                figure(w),
                econ.pue
            ),
            claim_advantage: 143_000.0 / (FACILITY_W / w),
        }),
        explanation: "a GPU never runs alone: its node's CPUs, memory, NICs, switches and fans, and the facility's cooling and conversion (PUE), share the 100 MW".into(),
    });

    // 2. Aggregate throughput: the quoted range is TOPS/W × GPUs, not TOPS.
    out.push(ClaimAudit {
        id: "datacentre-aggregate-tops",
        claim: "143,000 H100 produce 570,000 to 810,000 TeraOPS",
        source: SOURCE,
        stated_assumptions: "the article's own table: 2,000–4,000 TeraOPS per H100".into(),
        unit: "TeraOPS",
        figures: vec![
            Figure::new(
                "143,000 × 2,000 TeraOPS",
                Quoted::Approx { value: 570_000.0, digits: 2 },
                143_000.0 * H100_TOPS_LOW,
            ),
            Figure::new(
                "143,000 × 4,000 TeraOPS",
                Quoted::Approx { value: 810_000.0, digits: 2 },
                143_000.0 * H100_TOPS_HIGH,
            ),
        ],
        status: PENDING,
        counterpart: None,
        explanation: format!(
            "inconsistent with the article's own table: 143,000 GPUs at 2,000–4,000 TeraOPS make 286–572 million TeraOPS; the quoted range is 143,000 × {:.1}–{:.1}, the table's TOPS per watt, not TOPS",
            570_000.0 / 143_000.0,
            810_000.0 / 143_000.0
        ),
    });

    // 3. Power at 50 TOPS/W.
    let tokens_gpu_100mw = g.map(|s| s.tokens_per_s_per_mw * 100.0);
    let rig_mw = match (g, r) {
        (Some(gs), Some(rs)) => Some(100.0 * gs.tokens_per_s_per_mw / rs.tokens_per_s_per_mw),
        _ => None,
    };
    out.push(ClaimAudit {
        id: "datacentre-power",
        claim: "at 50 TOPS/W the same throughput needs 11–16 MW instead of 100 MW",
        source: SOURCE,
        stated_assumptions: "570,000–810,000 TeraOPS delivered at 50 TOPS/W".into(),
        unit: "MW",
        figures: vec![
            Figure::new(
                "570,000 TeraOPS ÷ 50 TOPS/W",
                Quoted::Approx { value: 11.0, digits: 2 },
                570_000.0 / PHOTONIC_TOPS_PER_W / 1e6,
            ),
            Figure::new(
                "143,000 × 4,000 TeraOPS ÷ 50 TOPS/W",
                Quoted::Approx { value: 11.0, digits: 2 },
                143_000.0 * H100_TOPS_HIGH / PHOTONIC_TOPS_PER_W / 1e6,
            ),
            Figure::new(
                "810,000 TeraOPS ÷ 50 TOPS/W",
                Quoted::Approx { value: 16.0, digits: 2 },
                810_000.0 / PHOTONIC_TOPS_PER_W / 1e6,
            ),
        ],
        status: PENDING,
        counterpart: rig_mw.map(|mw| Counterpart {
            value: mw,
            unit: "MW".into(),
            basis: format!(
                "{rig_name} rigs with their hosts carrying the {} output tokens/s that 100 MW of {gpu_name} nodes carry on {dname} (both at the busiest hour, PUE {})",
                figure(tokens_gpu_100mw.unwrap_or(f64::NAN)),
                econ.pue
            ),
            claim_advantage: mw / 16.0,
        }),
        explanation: format!(
            "570,000–810,000 TeraOPS at 50 TOPS/W is 11–16 kW, not MW; the MW figures follow only from the table's 572 million TeraOPS (143,000 × 4,000), whose ÷ 50 gives 11.4 MW. Peak TOPS/W is not delivered work: a fleet of {rig_name} carrying the same tokens needs the power shown{}",
            match r {
                Some(s) if !s.meets_targets => " (and misses the deployment's latency targets)",
                _ => "",
            }
        ),
    });

    // 4. The electricity bill.
    let bill = |mw: f64| mw * 1e3 * 8760.0 * 0.10;
    let modelled_bill = g.map(|s| {
        let scale = FACILITY_W / s.power.wall_busy;
        s.cost.energy_per_year * scale * 0.10 / (econ.electricity_price * 3.6e6)
    });
    out.push(ClaimAudit {
        id: "datacentre-cost",
        claim: "a 100 MW data centre at $0.10/kWh pays about $87.6 M a year for electricity",
        source: SOURCE,
        stated_assumptions: "100 MW drawn for all 8,760 hours of a year at 0.10 USD/kWh".into(),
        unit: "MUSD/year",
        figures: vec![Figure::new(
            "100 MW × 8,760 h × 0.10 USD/kWh",
            Quoted::Exact { value: 87.6 },
            bill(100.0) / 1e6,
        )],
        status: PENDING,
        counterpart: modelled_bill.map(|b| Counterpart {
            value: b / 1e6,
            unit: "MUSD/year".into(),
            basis: format!(
                "a fleet of {gpu_name} nodes drawing 100 MW at its busiest hour, busy {} of the year and idle otherwise, at 0.10 USD/kWh",
                crate::verdict::figure(econ.utilisation * 100.0) + " %"
            ),
            claim_advantage: 87.6 / (b / 1e6),
        }),
        explanation: "the arithmetic holds; a facility provisioned for 100 MW at its busiest hour draws less on average, because load varies over the day and idle GPUs draw a fraction of their TDP".into(),
    });

    // 5. The savings.
    let rig_bill = match (g, r) {
        (Some(gs), Some(rs)) => {
            let scale = FACILITY_W / gs.power.wall_busy;
            let to_price = 0.10 / (econ.electricity_price * 3.6e6);
            Some(rs.cost.energy_per_year * scale * to_price)
        }
        _ => None,
    };
    out.push(ClaimAudit {
        id: "datacentre-savings",
        claim: "a photonic facility doing the same work pays $9.6–14 M a year, saving $73–78 M",
        source: SOURCE,
        stated_assumptions: "11–16 MW for all 8,760 hours at 0.10 USD/kWh, against 87.6 MUSD".into(),
        unit: "MUSD/year",
        figures: vec![
            Figure::new("11 MW × 8,760 h × 0.10 USD/kWh", Quoted::Exact { value: 9.6 }, bill(11.0) / 1e6),
            Figure::new("16 MW × 8,760 h × 0.10 USD/kWh", Quoted::Exact { value: 14.0 }, bill(16.0) / 1e6),
            Figure::new("87.6 − 14.0", Quoted::Exact { value: 73.0 }, (bill(100.0) - bill(16.0)) / 1e6),
            Figure::new("87.6 − 9.6", Quoted::Exact { value: 78.0 }, (bill(100.0) - bill(11.0)) / 1e6),
        ],
        status: PENDING,
        counterpart: rig_bill.map(|b| Counterpart {
            value: b / 1e6,
            unit: "MUSD/year".into(),
            basis: format!(
                "the electricity bill of the {rig_name} fleet carrying the tokens of a fleet of {gpu_name} nodes that draws 100 MW at its busiest (mean load, 0.10 USD/kWh)"
            ),
            claim_advantage: b / bill(16.0),
        }),
        explanation: format!(
            "the arithmetic holds on its inputs, but those are the 11–16 MW of the row above; carried through the fleet model the photonic bill is that of the rigs' energy per delivered token{}",
            match (rig_bill, modelled_bill) {
                (Some(rb), Some(gb)) if rb > gb => format!(
                    ", {} times the GPU fleet's {} MUSD: no saving",
                    figure(rb / gb),
                    figure(gb / 1e6)
                ),
                (Some(rb), Some(gb)) => format!(
                    ", saving {} MUSD a year against the GPU fleet's {} MUSD",
                    figure((gb - rb) / 1e6),
                    figure(gb / 1e6)
                ),
                _ => String::new(),
            }
        ),
    });

    // 6. The efficiency ratio's range contradicts the article's own table.
    out.push(ClaimAudit {
        id: "article-efficiency-range",
        claim: "the gap is 8.8 to 12.5 times in favour of light over electrons",
        source: SOURCE,
        stated_assumptions: "50 TOPS/W against the table's H100 range of 2.9–5.7 TOPS/W".into(),
        unit: "×",
        figures: vec![
            Figure::new(
                "50 ÷ (4,000 TeraOPS ÷ 700 W)",
                Quoted::Approx { value: 8.8, digits: 2 },
                PHOTONIC_TOPS_PER_W / (H100_TOPS_HIGH / H100_WATTS),
            ),
            Figure::new(
                "50 ÷ (2,000 TeraOPS ÷ 700 W)",
                Quoted::Approx { value: 12.5, digits: 3 },
                PHOTONIC_TOPS_PER_W / (H100_TOPS_LOW / H100_WATTS),
            ),
        ],
        status: PENDING,
        counterpart: None,
        explanation: "the table's 2.9 TOPS/W gives 17.5×, not 12.5× (12.5 is 50 ÷ 4.0); elsewhere the article says 6 to 17 times. Both ends compare a peak of one kind of operation with a peak of another".into(),
    });

    // 7. Q.ANT.
    out.push(ClaimAudit {
        id: "qant-gen2",
        claim: "Q.ANT Gen 2: 50× the throughput and 6× lower energy than Gen 1, about 17–34 TOPS/W",
        source: SOURCE,
        stated_assumptions: "Gen 1 at GPU efficiency (2.9–5.7 TOPS/W), improved 6×; the company's figures, not independently benchmarked".into(),
        unit: "TOPS/W",
        figures: vec![
            Figure::new("6 × 2.9 TOPS/W", Quoted::Approx { value: 17.0, digits: 2 }, 6.0 * H100_TOPS_LOW / H100_WATTS),
            Figure::new("6 × 5.7 TOPS/W", Quoted::Approx { value: 34.0, digits: 2 }, 6.0 * H100_TOPS_HIGH / H100_WATTS),
        ],
        status: PENDING,
        counterpart: None,
        explanation: "cannot be checked: no absolute throughput or power of either generation is published, the Gen 1 baseline at GPU efficiency is the article's assumption, and the benchmark (ResNet-18) is not a transformer; lightloop has no description of the hardware to run".into(),
    });

    // 8. Lumai.
    let llama_gpu = shown(&f.llama, 0);
    let llama_rig = shown(&f.llama, 1);
    out.push(ClaimAudit {
        id: "lumai-iris-nova",
        claim: "Lumai Iris Nova: Llama 70B in real time with up to 90 % less power than GPU servers of equivalent throughput, about 29–57 TOPS/W",
        source: SOURCE,
        stated_assumptions: "a GPU server of 1,500–3,000 W for equivalent Llama 70B throughput, at 2.9–5.7 TOPS/W, improved 10×".into(),
        unit: "TOPS/W",
        figures: vec![
            Figure::new("10 × 2.9 TOPS/W", Quoted::Approx { value: 29.0, digits: 2 }, 10.0 * H100_TOPS_LOW / H100_WATTS),
            Figure::new("10 × 5.7 TOPS/W", Quoted::Approx { value: 57.0, digits: 2 }, 10.0 * H100_TOPS_HIGH / H100_WATTS),
        ],
        status: PENDING,
        counterpart: match (llama_gpu, llama_rig) {
            (Some(gs), Some(rs)) => Some(Counterpart {
                value: rs.j_per_token_busy,
                unit: "J/token".into(),
                basis: format!(
                    "{rig_name} rigs serving Llama 3 70B for {dname}, against the claim's requirement of a tenth of {gpu_name} nodes' {} J per token (busiest hour, hosts counted, before PUE)",
                    figure(gs.j_per_token_busy)
                ),
                claim_advantage: rs.j_per_token_busy / (0.1 * gs.j_per_token_busy),
            }),
            _ => None,
        },
        explanation: format!(
            "the hardware cannot be checked (no throughput, latency or power published), but the requirement can: an optical server must deliver each Llama 70B token for a tenth of a GPU server's energy{}",
            match (llama_rig, llama_gpu) {
                (Some(rs), Some(gs)) => format!(
                    "; the {rig_name} rig needs {} J per token, {} times that requirement",
                    figure(rs.j_per_token_busy),
                    figure(rs.j_per_token_busy / (0.1 * gs.j_per_token_busy))
                ),
                _ => String::new(),
            }
        ),
    });
    finish(&mut out);
    out
}

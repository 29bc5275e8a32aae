//! The industry article's data-centre figures: its own arithmetic, its inconsistencies, and
//! the same quantities through the fleet model.

use lightloop_cost::audit::{AuditRigs, Status};
use lightloop_fleet::claims::full_audit;
use lightloop_rig::load_deployment;

fn claims() -> Vec<lightloop_cost::audit::ClaimAudit> {
    let d = load_deployment("chat-moe-1t", &[]).unwrap().value;
    full_audit(&AuditRigs::presets(), &d).unwrap()
}

#[test]
fn the_articles_arithmetic_and_its_inconsistencies() {
    let all = claims();
    let get = |id: &str| {
        all.iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    // 100 MW × 8,760 h × 0.10 USD/kWh = 87.6 MUSD: reproduced exactly.
    let cost = get("datacentre-cost");
    assert_eq!(cost.status, Status::Reproduced);
    assert!((cost.figures[0].reproduced - 87.6).abs() < 1e-9);
    // 100 MW ÷ 700 W = 142,857 ≈ 143,000.
    assert_eq!(get("datacentre-gpus").status, Status::Reproduced);
    // 143,000 × 2,000–4,000 TeraOPS is 286–572 million, not 570,000–810,000: a unit slip.
    let tops = get("datacentre-aggregate-tops");
    assert_eq!(tops.status, Status::NotReproduced);
    assert!((tops.figures[0].reproduced - 2.86e8).abs() < 1.0);
    assert!(
        tops.explanation.contains("TOPS per watt"),
        "{}",
        tops.explanation
    );
    // 570,000 TeraOPS at 50 TOPS/W is 11.4 kW; only 143,000 × 4,000 ÷ 50 gives 11 MW.
    let power = get("datacentre-power");
    assert_eq!(power.status, Status::NotReproduced);
    assert!(power.figures[1].holds && !power.figures[0].holds);
    // 50 ÷ 2.9 TOPS/W is 17.5, not the quoted 12.5.
    let range = get("article-efficiency-range");
    assert_eq!(range.status, Status::NotReproduced);
    assert!(range.figures[0].holds && !range.figures[1].holds);
    // The savings' arithmetic holds on its own inputs.
    assert_eq!(get("datacentre-savings").status, Status::Reproduced);
    // Q.ANT cannot be checked; Lumai's requirement can.
    let qant = get("qant-gen2");
    assert!(qant.counterpart.is_none() && qant.explanation.contains("cannot be checked"));
    assert!(get("lumai-iris-nova").counterpart.is_some());
}

#[test]
fn recomputed_through_the_fleet_model() {
    let all = claims();
    let get = |id: &str| all.iter().find(|c| c.id == id).unwrap();
    // A GPU with its host's share and the facility's PUE draws more than 700 W: fewer fit.
    let gpus = get("datacentre-gpus").counterpart.as_ref().unwrap();
    assert!(
        gpus.value < 142_857.0 && gpus.value > 50_000.0,
        "{}",
        gpus.value
    );
    // The seed rig needs far more than 16 MW to carry what 100 MW of H100 carries.
    let mw = get("datacentre-power").counterpart.as_ref().unwrap();
    assert!(mw.value > 100.0, "{}", mw.value);
    // A year at mean load costs less than 100 MW for 8,760 h.
    let bill = get("datacentre-cost").counterpart.as_ref().unwrap();
    assert!(bill.value < 87.6 && bill.value > 30.0, "{}", bill.value);
    for c in &all {
        if let Some(k) = &c.counterpart {
            assert!(
                k.value.is_finite() && k.claim_advantage.is_finite(),
                "{}",
                c.id
            );
        }
        assert!(!c.explanation.is_empty(), "{}", c.id);
    }
}

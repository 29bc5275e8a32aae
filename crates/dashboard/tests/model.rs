//! The dashboard's model through its library API: the starting state, a slider change, the
//! checks on a request, and the rig a setting describes.

use lightloop_dashboard::{Base, DashboardError, parse, rig_at, rig_toml, update};
use lightloop_rig::{load_gpu, load_rig, load_workload};

fn base() -> Base {
    Base::new(
        load_rig("seed-16ch", &[]).unwrap().value,
        load_workload("deep-loop-2048", &[]).unwrap().value,
        load_gpu("h100-sxm", &[]).unwrap().value,
    )
    .unwrap()
}

#[test]
fn the_starting_state_answers_as_the_cost_model_does() {
    let b = base();
    let u = update(&b, "").unwrap();
    // Nothing moved: the rig keeps its name, and the figures are the cost model's.
    assert!(u.modified.is_empty(), "{:?}", u.modified);
    let e = lightloop_cost::evaluate(&b.rig, &b.workload).unwrap();
    assert_eq!(u.j_per_token, e.metrics.j_per_token);
    assert_eq!(u.tokens_per_s, e.metrics.tokens_per_s);
    assert!(u.verdict.starts_with("seed-16ch uses"), "{}", u.verdict);
    assert_eq!(u.verdict, u.comparison.sentence());
    // One ratio convention: the rig's figure over the GPU's.
    let c = &u.comparison;
    assert!((c.energy_ratio - c.rig_j_per_token / c.gpu_j_per_token).abs() < 1e-12);
}

#[test]
fn a_slider_change_derives_the_rig_in_memory() {
    let b = base();
    let s = parse(&b, "channels=64").unwrap();
    let rig = rig_at(&b, &s).unwrap();
    assert_eq!(rig.topology.channels, 64);
    let u = update(&b, "channels=64").unwrap();
    assert_eq!(u.modified, ["channels N 16 → 64"]);
    assert!(
        u.verdict.starts_with("seed-16ch, modified uses"),
        "{}",
        u.verdict
    );
    // The rig as TOML reads back as the same setting.
    let text = rig_toml(&b, "channels=64").unwrap();
    let back: lightloop_rig::Rig =
        lightloop_rig::Document::from_text(lightloop_rig::DescKind::Rig, "rig.toml", &text, None)
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(back.topology.channels, 64);
}

#[test]
fn bad_requests_name_the_parameter() {
    let b = base();
    for (query, needle) in [
        ("nosuch=1", "nosuch"),
        ("channels=0", "channels"),
        ("channels=16&channels=32", "channels"),
        ("adc_bits=banana", "adc_bits"),
    ] {
        match parse(&b, query) {
            Err(DashboardError::BadRequest(m)) => assert!(m.contains(needle), "{query}: {m}"),
            other => panic!("{query}: {other:?}"),
        }
    }
    let long = format!("channels=16&{}", "x".repeat(2000));
    assert!(matches!(parse(&b, &long), Err(DashboardError::TooLong(_))));
}

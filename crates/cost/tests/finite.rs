//! Property: every description the parser accepts evaluates to finite figures, or is refused
//! with a problem naming a key — never NaN or ∞ in a result. The same invariant as the
//! `parse_and_evaluate` fuzz target, on the stable toolchain.

use lightloop_rig::{load_rig, load_workload};
use proptest::prelude::*;

/// Quantity keys of the seed rig and workload, with a unit each accepts.
const QUANTITIES: [(&str, &str); 14] = [
    ("laser.power", "mW"),
    ("laser.max_power", "W"),
    ("soa.tec_power", "W"),
    ("topology.symbol_period", "ns"),
    ("adc.rate", "GS/s"),
    ("adc.static_power", "mW"),
    ("dac.energy_per_conversion", "pJ"),
    ("host.memory_bandwidth", "TB/s"),
    ("host.link_bandwidth", "GB/s"),
    ("host.static_power", "W"),
    ("photodiode.dark_current", "nA"),
    ("passives.optical_band", "THz"),
    ("control.per_channel_power", "mW"),
    ("clock.power", "W"),
];

const COUNTS: [&str; 5] = [
    "topology.channels",
    "topology.wdm_lanes",
    "topology.readout_width",
    "adc.bits",
    "run.batch",
];

fn setting() -> impl Strategy<Value = String> {
    let quantity = (0..QUANTITIES.len(), 1.0f64..10.0, -40i32..40).prop_map(|(k, m, e)| {
        let (key, unit) = QUANTITIES[k];
        format!("{key}=\"{m:.3}e{e} {unit}\"")
    });
    let count =
        (0..COUNTS.len(), 0u64..=u32::MAX as u64).prop_map(|(k, n)| format!("{}={n}", COUNTS[k]));
    prop_oneof![quantity, count]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn accepted_descriptions_evaluate_to_finite_figures(sets in prop::collection::vec(setting(), 1..4)) {
        let (wl_sets, rig_sets): (Vec<String>, Vec<String>) =
            sets.into_iter().partition(|s| s.starts_with("run."));
        let Ok(rig) = load_rig("seed-16ch", &rig_sets) else { return Ok(()) };
        let Ok(wl) = load_workload("deep-loop-2048", &wl_sets) else { return Ok(()) };
        match lightloop_cost::evaluate(&rig.value, &wl.value) {
            Ok(e) => {
                let m = &e.metrics;
                for (name, v) in [
                    ("j_per_token", m.j_per_token),
                    ("tokens_per_s", m.tokens_per_s),
                    ("ttft", m.ttft),
                    ("step_time", m.step_time),
                    ("fj_per_mac", m.fj_per_mac),
                    ("tops_per_w", m.tops_per_w),
                    ("static_fraction", m.static_fraction),
                ] {
                    prop_assert!(v.is_finite(), "{name} = {v} for {rig_sets:?} {wl_sets:?}");
                }
                prop_assert!(m.j_per_token > 0.0 && m.tokens_per_s > 0.0);
                prop_assert!(serde_json::to_string(&m).unwrap().find("null").is_none());
            }
            Err(inc) => {
                prop_assert!(!inc.rig.is_empty() || !inc.workload.is_empty());
                prop_assert!(inc.rig.iter().chain(&inc.workload).all(|p| !p.key.is_empty()));
            }
        }
    }
}

//! The cost model never panics and stays finite for any valid rig and workload.

use lightloop_cost::{evaluate, evaluate_gpu};
use lightloop_rig::presets::PRESETS;
use lightloop_rig::{DescKind, load_gpu, load_rig, load_workload};
use proptest::prelude::*;

fn names(kind: DescKind) -> Vec<&'static str> {
    PRESETS
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.name)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_valid_pair_evaluates_to_finite_figures(
        rig_i in 0usize..8,
        wl_i in 0usize..9,
        channels in prop::sample::select(vec![1u32, 2, 8, 16, 64, 1024]),
        readout in prop::sample::select(vec![1u32, 4, 16, 256, 1024]),
        lanes in 1u32..5,
        batch in 1u32..300,
        period_ps in 10u32..100_000,
        power_dbm in -40i32..20,
        adc_bits in 1u32..14,
        passes in 1u32..64,
    ) {
        let rigs = names(DescKind::Rig);
        let wls = names(DescKind::Workload);
        let rig_sets = vec![
            format!("topology.channels={channels}"),
            format!("topology.readout_width={readout}"),
            format!("topology.wdm_lanes={lanes}"),
            format!("topology.symbol_period=\"{period_ps} ps\""),
            format!("topology.slots_per_channel=8192"),
            format!("laser.power=\"{power_dbm} dBm\""),
            "laser.max_power=\"30 dBm\"".to_string(),
            format!("adc.bits={adc_bits}"),
            format!("adc.enob={}", adc_bits as f64 * 0.9),
        ];
        let wl_sets = vec![format!("run.batch={batch}")];
        let wl_sets = if wls[wl_i].starts_with("deep") || wls[wl_i].starts_with("loop") {
            let mut v = wl_sets;
            v.push(format!("loop.micro_steps={passes}"));
            v
        } else {
            wl_sets
        };
        // Some combinations are invalid (a loop on tier A, too many wavelengths...): they must be
        // refused with an error, never a panic.
        let Ok(rig) = load_rig(rigs[rig_i], &rig_sets) else { return Ok(()) };
        let Ok(wl) = load_workload(wls[wl_i], &wl_sets) else { return Ok(()) };
        let Ok(e) = evaluate(&rig.value, &wl.value) else { return Ok(()) };
        prop_assert!(e.per_token.entries().all(|(_, j)| j.is_finite() && j >= 0.0));
        prop_assert!(e.metrics.j_per_token > 0.0 && e.metrics.j_per_token.is_finite());
        prop_assert!(e.metrics.tokens_per_s > 0.0 && e.metrics.tokens_per_s.is_finite());
        prop_assert!(e.metrics.ttft > 0.0 && e.metrics.ttft.is_finite());
        prop_assert!(e.rates.utilisation <= 1.0 + 1e-9, "{}", e.rates.utilisation);
        prop_assert!(e.noise.snr_db.is_finite());
        // The GPU serves every preset workload (or says which split it lacks), with finite,
        // positive figures.
        if let Ok(g) = evaluate_gpu(&load_gpu("h100-sxm", &[]).unwrap().value, &wl.value) {
            prop_assert!(g.j_per_token > 0.0 && g.j_per_token.is_finite());
            prop_assert!(g.gpu_power <= 700.0 + 1e-9);
        }
    }
}

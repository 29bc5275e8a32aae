//! A rig override and a workload override applied to presets, then evaluated: an accepted pair
//! evaluates to finite figures.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lightloop_rig::{load_rig, load_workload};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(2, '\n');
    let rig_set = parts.next().unwrap_or("").to_string();
    let wl_set = parts.next().unwrap_or("").to_string();
    let Ok(rig) = load_rig("seed-16ch", &[rig_set]) else { return };
    let Ok(wl) = load_workload("deep-loop-2048", &[wl_set]) else { return };
    if let Ok(e) = lightloop_cost::evaluate(&rig.value, &wl.value) {
        assert!(e.metrics.j_per_token.is_finite() && e.metrics.j_per_token > 0.0);
        assert!(e.metrics.tokens_per_s.is_finite() && e.metrics.tokens_per_s > 0.0);
    }
});

//! Properties of the serving model over every GPU preset, every model preset, batches and
//! parallel splits: no GPU above its board power or below idle, energy = power × time, only
//! splits that divide the model, and a fitted stack that is the fit's own result.

use lightloop_gpu::measured::{self, Role};
use lightloop_gpu::split::valid_splits;
use lightloop_gpu::stack::FITTED;
use lightloop_gpu::{GpuError, ServingStack, Split, fit, serving};
use lightloop_rig::DescKind;
use lightloop_rig::presets;
use lightloop_rig::work::Work;
use lightloop_rig::{Gpu, Workload, load_gpu, load_workload};
use proptest::prelude::*;

fn gpus() -> Vec<Gpu> {
    presets::names(DescKind::Gpu)
        .iter()
        .map(|n| load_gpu(n, &[]).unwrap().value)
        .collect()
}

fn workloads() -> Vec<Workload> {
    presets::names(DescKind::Workload)
        .iter()
        .map(|n| load_workload(n, &[]).unwrap().value)
        .collect()
}

/// Whether `s` divides the model as the split rules demand.
fn divides(s: Split, wl: &Workload) -> bool {
    let w = Work::from_workload(wl);
    let heads = w.heads as u32;
    let kv = w.kv_groups as u32;
    let layers = wl.model.as_ref().map(|m| m.layers).unwrap_or(0).max(1);
    let experts = wl
        .model
        .as_ref()
        .and_then(|m| m.moe.as_ref())
        .map(|m| m.experts);
    (heads == 0 || heads.is_multiple_of(s.tp))
        && (kv == 0 || kv.is_multiple_of(s.tp) || s.tp.is_multiple_of(kv))
        && layers.is_multiple_of(s.pp)
        && match experts {
            None => s.ep == 1,
            Some(e) => s.ep == 1 || (e.is_multiple_of(s.ep) && s.ep.is_multiple_of(s.tp)),
        }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn never_above_board_power_and_only_valid_splits(
        g in 0usize..4,
        w in 0usize..64,
        batch in 1u32..8192,
        tp in prop::sample::select(vec![1u32, 2, 3, 4, 8, 16, 32, 64]),
        pp in prop::sample::select(vec![1u32, 2, 3, 4, 5, 7, 61, 63]),
        ep in prop::sample::select(vec![1u32, 2, 4, 8, 16, 32, 64, 128, 256]),
    ) {
        let gpus = gpus();
        let wls = workloads();
        let gpu = &gpus[g % gpus.len()];
        let mut wl = wls[w % wls.len()].clone();
        wl.run.batch = batch;
        let split = Split::new(tp, pp, ep);
        match serving::serve(gpu, &ServingStack::fitted(), &wl, split) {
            Ok(s) => {
                prop_assert!(divides(split, &wl), "{split} served {}", wl.workload.name);
                let tdp = gpu.power.tdp.si();
                let idle = gpu.power.idle.si();
                for p in [s.gpu_power, s.gpu_power_decode, s.gpu_power_prefill] {
                    prop_assert!(p <= tdp * (1.0 + 1e-12) && p >= idle * (1.0 - 1e-12), "{p} W on {}", gpu.gpu.name);
                }
                prop_assert!(s.tokens_per_s.is_finite() && s.tokens_per_s > 0.0);
                prop_assert!(s.j_per_token.is_finite() && s.j_per_token > 0.0);
                // Energy is power × time.
                let p = s.power_total();
                prop_assert!((s.j_per_token * s.tokens_per_s / p - 1.0).abs() < 1e-9);
                prop_assert!(s.batch <= s.max_batch.max(1.0));
                prop_assert!(s.weights_per_gpu + s.kv_per_gpu <= gpu.memory.capacity.si());
                // A full node stays within its rated input power.
                let node = gpu.node.gpus as f64 * s.gpu_power + gpu.node.host_power.si();
                prop_assert!(node <= gpu.node.max_power.si());
            }
            Err(GpuError::InvalidSplit { .. }) => prop_assert!(!divides(split, &wl) || tp > 1 && wl.loop_width().is_some_and(|d| d % tp != 0)),
            Err(GpuError::DoesNotFit { .. }) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

#[test]
fn the_search_offers_only_dividing_splits() {
    for wl in workloads() {
        let w = Work::from_workload(&wl);
        let m = wl.model.as_ref();
        let layers = m.map(|m| m.layers).unwrap_or(0);
        let experts = m.and_then(|m| m.moe.as_ref()).map(|x| x.experts);
        let splits = valid_splits(&w, layers, experts, 512);
        assert!(!splits.is_empty(), "{}", wl.workload.name);
        for s in splits {
            assert!(divides(s, &wl), "{} {s}", wl.workload.name);
            assert!(s.gpus() <= 512);
        }
    }
}

/// Llama 3 70B has 64 query and 8 KV heads: no 3-way or 6-way tensor split, and TP 16
/// replicates the KV heads; 80 layers divide into 2, 4 or 5 stages, not 3.
#[test]
fn a_70b_model_is_never_split_three_ways() {
    let wl = load_workload("llama-3-70b", &[]).unwrap().value;
    let gpu = load_gpu("h100-sxm", &[]).unwrap().value;
    let stack = ServingStack::fitted();
    for bad in [
        Split::new(3, 1, 1),
        Split::new(6, 1, 1),
        Split::new(1, 3, 1),
        Split::new(2, 1, 2),
    ] {
        assert!(
            matches!(
                serving::serve(&gpu, &stack, &wl, bad),
                Err(GpuError::InvalidSplit { .. })
            ),
            "{bad}"
        );
    }
    // BF16 70B needs two 80 GB GPUs; the deployment chosen stays within twice that.
    let best = serving::serve_best(&gpu, &stack, &wl, 64).unwrap();
    assert!(best.gpus == 2 || best.gpus == 4, "{}", best.split);
    assert!(serving::serve(&gpu, &stack, &wl, Split::new(1, 1, 1)).is_err());
    assert!(serving::serve(&gpu, &stack, &wl, Split::new(16, 1, 1)).is_ok());
}

/// The stored parameters are the fit's result: re-running the fit from them finds no lower
/// loss (within 0.1 %), and the held-out points stay within the 15 % target.
#[test]
fn the_stored_stack_is_the_fits_minimum_and_generalises() {
    let points = measured::prepared();
    let fit_points: Vec<_> = points
        .iter()
        .filter(|p| p.point.role == Role::Fit)
        .cloned()
        .collect();
    let stored = fit::loss(&fit_points, &FITTED);
    let refit = fit::fit(&points, &ServingStack::fitted());
    assert!(
        stored <= refit.loss * 1.001 + 1e-12,
        "stored loss {stored} above the re-fit's {}",
        refit.loss
    );
    let v = measured::validate(&points, &ServingStack::fitted());
    assert!(v.held_out_points >= 10, "{}", v.held_out_points);
    assert!(
        v.held_out_error <= 0.15,
        "held-out error {}",
        v.held_out_error
    );
    assert!(v.rows.iter().all(|r| r.failure.is_none()));
    // Every point names its source.
    assert!(v.rows.iter().all(|r| !r.point.source.is_empty()));
}

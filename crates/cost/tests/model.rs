//! The cost model against hand-computed values and physical scaling laws.

use lightloop_cost::evaluate::Core;
use lightloop_cost::{Category, Item, evaluate};
use lightloop_rig::{Rig, Workload, load_rig, load_workload};

fn rig(name: &str, sets: &[&str]) -> Rig {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_rig(name, &sets).unwrap().value
}

fn wl(name: &str, sets: &[&str]) -> Workload {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    load_workload(name, &sets).unwrap().value
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a / b - 1.0).abs() <= rel
}

/// One decode step's energy of `item` per token it produces.
fn step_item(e: &lightloop_cost::Evaluation, item: Item) -> f64 {
    e.step.ledger.get(item) / e.step.tokens
}

#[test]
fn seed_loop_schedule_by_hand() {
    // 16 channels × 16 receivers = 256 MACs per 6 ns symbol. A dense 2048 × 2048 pass takes
    // (2048/16)·(2048/16) = 16,384 symbols; 256 passes take 25.165824 ms.
    let e = evaluate(&rig("seed-16ch", &[]), &wl("deep-loop-2048", &[])).unwrap();
    assert_eq!(e.rates.macs_per_symbol, 256.0);
    assert!(
        close(e.step.phases.optical, 256.0 * 16_384.0 * 6e-9, 1e-12),
        "{}",
        e.step.phases.optical
    );
    assert_eq!(e.step.optical_macs, 256.0 * 2048.0 * 2048.0);
    // Readouts: every min(12 passes, 64-pass cadence) → ⌈256/12⌉ = 22 per token, 2048 values each.
    let reads = 22.0 * 2048.0;
    assert!(close(
        step_item(&e, Item::DacConversions),
        reads * 25e-12,
        1e-12
    ));
    assert!(close(
        step_item(&e, Item::AdcConversions),
        reads * 1.1e-12,
        1e-12
    ));
    assert!(close(
        step_item(&e, Item::ModulatorDrive),
        reads * 200e-15,
        1e-12
    ));
    // Streamed weights: every weight drives a modulator once per pass.
    assert!(close(
        step_item(&e, Item::WeightWrites),
        256.0 * 2048.0 * 2048.0 * 200e-15,
        1e-12
    ));
    // Lasers: 16 × 10 mW ÷ 20 % wall-plug for the whole step.
    assert!(close(
        step_item(&e, Item::LaserWallPlug),
        16.0 * 0.01 / 0.2 * e.step.time,
        1e-12
    ));
    // Calibration: 1 ms every 1 s stretches the step by 1/(1 − 0.001).
    let busy = e.step.time - e.step.phases.calibration;
    assert!(close(e.step.time, busy / 0.999, 1e-12));
    assert!(close(
        step_item(&e, Item::Calibration),
        10.0 * e.step.phases.calibration,
        1e-12
    ));
}

#[test]
fn tier_a_crossbar_by_hand() {
    // One 1024×1024 tile per symbol at 1 ns; 12 converted passes; the host link carries
    // 12 × 1024 × (8 + 8) activation bits and 1024² × 2 weight bits at 64 GB/s, plus 24 × 1 µs.
    let e = evaluate(&rig("tier-a-1024", &[]), &wl("loop-1024", &[])).unwrap();
    assert!(close(e.step.phases.optical, 12.0 * 1e-9, 1e-12));
    let bits = 12.0 * 1024.0 * 16.0 + 1024.0 * 1024.0 * 2.0;
    assert!(
        close(e.step.phases.link, bits / 8.0 / 64e9 + 24.0 * 1e-6, 1e-12),
        "{}",
        e.step.phases.link
    );
    // Conversion events alone: (25 pJ + 1 fJ + 1.1 pJ) per value → 25.5 fJ per MAC.
    let conv = e.per_token.get(Item::DacConversions)
        + e.per_token.get(Item::ModulatorDrive)
        + e.per_token.get(Item::AdcConversions);
    assert!(close(
        conv / e.metrics.optical_macs_per_token,
        (25e-12 + 1e-15 + 1.1e-12) / 1024.0,
        1e-12
    ));
}

#[test]
fn ledger_is_consistent() {
    for (r, w) in [
        ("seed-16ch", "deep-loop-2048"),
        ("seed-16ch", "llama-3-8b"),
        ("tier-c-1024", "moe-8k-a37b"),
        ("tier-d-1024", "llama-3-8b"),
        ("wdm-bw-64", "gpt2-small"),
        ("tier-a-1024", "minilm-l6"),
        ("single-channel", "smollm2-135m"),
    ] {
        let rig_v = rig(r, &[]);
        let e = evaluate(&rig_v, &wl(w, &[])).unwrap();
        let total = e.per_token.total();
        let by_cat: f64 = Category::ALL.iter().map(|c| e.per_token.category(*c)).sum();
        assert!(close(by_cat, total, 1e-12), "{r} {w}");
        assert!(
            e.per_token
                .entries()
                .all(|(_, j)| j.is_finite() && j >= 0.0),
            "{r} {w}"
        );
        // Every DC load is charged for exactly the step's wall time.
        let watts = Core::from_rig(&rig_v).static_watts;
        for (item, p) in watts.entries() {
            assert!(
                close(e.step.ledger.get(item), p * e.step.time, 1e-12),
                "{r} {w} {item:?}"
            );
        }
        // A decoder's steady state: G decode steps of the batch and b prefills per cycle.
        let (b, g) = (e.step.tokens, wl(w, &[]).run.generated_tokens as f64);
        if g > 0.0 {
            let b = wl(w, &[]).run.batch as f64;
            let cycle = g * e.step.time + b * e.prefill.time;
            assert!(
                close(e.metrics.tokens_per_s * cycle, b * g, 1e-12),
                "{r} {w}"
            );
            let mut served = e.step.ledger.scaled(g);
            served.merge(&e.prefill.ledger.scaled(b));
            assert!(close(total, served.total() / (b * g), 1e-12), "{r} {w}");
        } else {
            // An encoder: every input token is an output of the one step.
            assert!(
                close(e.metrics.tokens_per_s * e.step.time, b, 1e-12),
                "{r} {w}"
            );
            assert!(close(total, e.step.ledger.total() / b, 1e-12), "{r} {w}");
        }
        assert!(close(e.step.phases.total(), e.step.time, 1e-12));
        assert!(e.metrics.ttft > 0.0 && e.metrics.ttft.is_finite());
        assert!(close(
            e.metrics.tops_per_w,
            2.0 * (e.metrics.optical_macs_per_token + e.metrics.host_macs_per_token) / total / 1e12,
            1e-12
        ));
    }
}

#[test]
fn optical_energy_per_mac_falls_with_width() {
    // With the readout width fixed, the laser energy per MAC falls as 1/N: each input's light is
    // reused by N-fold fan-in (Anderson et al., TMLR 2024).
    let per_mac = |n: u32| {
        let r = rig("tier-a-1024", &[&format!("topology.channels={n}")]);
        let w = wl("loop-1024", &["run.batch=1024", &format!("loop.width={n}")]);
        let e = evaluate(&r, &w).unwrap();
        e.per_token.get(Item::LaserWallPlug) / e.metrics.optical_macs_per_token / e.step.time
    };
    let (a, b) = (per_mac(256), per_mac(1024));
    // Laser power grows as N, MACs per second as N², so energy per MAC per second falls as 1/N.
    assert!(close(a / b, 4.0, 1e-9), "{a} {b}");
}

#[test]
fn lanes_multiply_throughput() {
    let one = evaluate(
        &rig("seed-16ch", &[]),
        &wl("deep-loop-2048", &["run.batch=4"]),
    )
    .unwrap();
    let four = evaluate(
        &rig("seed-16ch", &["topology.wdm_lanes=4"]),
        &wl("deep-loop-2048", &["run.batch=4"]),
    )
    .unwrap();
    assert!(close(
        four.step.phases.optical * 4.0,
        one.step.phases.optical,
        1e-12
    ));
    assert!(four.metrics.tokens_per_s > 3.5 * one.metrics.tokens_per_s);
    assert_eq!(four.rates.peak_macs_per_s, 4.0 * one.rates.peak_macs_per_s);
}

#[test]
fn slow_parts_set_the_symbol_period() {
    let e = evaluate(
        &rig("seed-16ch", &["dac.rate=\"100 MS/s\""]),
        &wl("llama-3-8b", &[]),
    )
    .unwrap();
    assert_eq!(e.rates.effective_period, 10e-9);
    assert_eq!(e.rates.limited_by, "DAC rate");
    assert!(e.checks.has(lightloop_cost::Check::SymbolRateLimited));
    let e = evaluate(
        &rig("seed-16ch", &["tia.bandwidth=\"50 MHz\""]),
        &wl("deep-loop-2048", &[]),
    )
    .unwrap();
    assert_eq!(e.rates.loop_period, 10e-9);
    assert_eq!(e.rates.limited_by, "TIA bandwidth");
}

#[test]
fn tiers_trade_conversion_for_dc_loads() {
    // The same kernel on tiers A → C: conversions fall with the loop, weight writes vanish with
    // persistent weights.
    let w = wl("loop-1024", &["run.batch=1024"]);
    let a = evaluate(&rig("tier-a-1024", &[]), &w).unwrap();
    let b = evaluate(&rig("tier-b-1024", &[]), &w).unwrap();
    let c = evaluate(&rig("tier-c-1024", &[]), &w).unwrap();
    let dac = |e: &lightloop_cost::Evaluation| e.per_token.get(Item::DacConversions);
    assert!(
        close(dac(&a) / dac(&b), 12.0, 1e-9),
        "{} {}",
        dac(&a),
        dac(&b)
    );
    // Tier B rewrites the 1024² matrix once per step of 1024 tokens; tier C once per 10⁶ tokens.
    assert!(close(b.step.weight_writes, 1024.0 * 1024.0, 1e-12));
    assert!(close(
        c.step.weight_writes,
        1024.0 * 1024.0 * 1024.0 / 1e6,
        1e-12
    ));
    assert!(b.per_token.category(Category::Amplifiers) > 0.0);
    assert_eq!(a.per_token.category(Category::Amplifiers), 0.0);
}

#[test]
fn persistent_weights_that_do_not_fit_are_flagged() {
    let e = evaluate(&rig("tier-c-1024", &[]), &wl("llama-3-8b", &[])).unwrap();
    assert!(e.checks.has(lightloop_cost::Check::WeightsExceedCapacity));
    let e = evaluate(&rig("tier-c-1024", &[]), &wl("loop-1024", &[])).unwrap();
    assert!(!e.checks.has(lightloop_cost::Check::WeightsExceedCapacity));
}

#[test]
fn snr_below_target_is_flagged_and_required_power_meets_it() {
    let r = rig(
        "seed-16ch",
        &["laser.power=\"1 µW\"", "readout.target_snr=\"40 dB\""],
    );
    let e = evaluate(&r, &wl("deep-loop-2048", &[])).unwrap();
    assert!(
        e.checks.has(lightloop_cost::Check::SnrBelowTarget),
        "{:?}",
        e.noise.snr_db
    );
    let p = e.noise.required_laser_power.unwrap();
    let fixed = rig(
        "seed-16ch",
        &[
            &format!("laser.power=\"{p} W\""),
            "readout.target_snr=\"40 dB\"",
        ],
    );
    let e2 = evaluate(&fixed, &wl("deep-loop-2048", &[])).unwrap();
    // Exact up to the saturable absorber's nonlinearity, which shifts the loop's amplifier input
    // slightly as the laser power changes.
    assert!((e2.noise.snr_db - 40.0).abs() < 0.01, "{}", e2.noise.snr_db);
}

#[test]
fn gpt2_macs_per_token() {
    // 12 × (768·2304 + 768·768 + 2·768·3072) + 768·50257 head = 123.5 M MACs on matrices.
    let e = evaluate(&rig("tier-a-1024", &[]), &wl("gpt2-small", &[])).unwrap();
    let layers = 12.0 * (768.0 * 2304.0 + 768.0 * 768.0 + 2.0 * 768.0 * 3072.0);
    assert_eq!(e.step.optical_macs / e.step.tokens, layers);
    // The head stays on the host with the attention core: 2·12·768·ctx with ctx = 512 + 128.
    let host = 768.0 * 50257.0 + 2.0 * 12.0 * 768.0 * 640.0;
    let step_host = e.step.host_macs / e.step.tokens;
    assert!(close(step_host, host, 1e-12), "{step_host}");
    // Per output token the prompt's 512 vectors are shared by the 256 generated: every layer's
    // MACs count 1 + 512/256 times.
    assert!(close(
        e.metrics.optical_macs_per_token,
        layers * (1.0 + 512.0 / 256.0),
        1e-12
    ));
}

#[test]
fn a_network_of_one_product_costs_what_the_product_costs() {
    use lightloop_cost::evaluate::{Product, network_cost, product_cost};
    let core = Core::from_rig(&rig("seed-16ch", &[]));
    let one = Product {
        d_in: 40,
        d_out: 24,
        uses: 1.0,
        optical: true,
    };
    let n = network_cost(&core, &[one], 0.0, 32, 8.0);
    let p = product_cost(&core, 40, 24, 8.0);
    assert!(close(n.time, p.time, 1e-12), "{} vs {}", n.time, p.time);
    assert!(close(n.ledger.total(), p.ledger.total(), 1e-12));
    assert_eq!(n.optical_macs, 8.0 * 40.0 * 24.0);
}

#[test]
fn a_network_of_many_products_adds_each_products_work_to_one_step() {
    // More products than a transformer's work holds (twelve kinds): each optical product adds
    // its own symbols and conversions, and the per-step overhead is charged once.
    use lightloop_cost::evaluate::{Product, network_cost, product_cost};
    let core = Core::from_rig(&rig("seed-16ch", &[]));
    let p = |optical| Product {
        d_in: 20,
        d_out: 10,
        uses: 3.0,
        optical,
    };
    let inputs = 4.0;
    let single = product_cost(&core, 20, 10, 3.0 * inputs);
    for optical in [true, false] {
        let c = network_cost(&core, &vec![p(optical); 30], 500.0, 32, inputs);
        assert_eq!(c.phases.overhead, core.token_overhead);
        assert_eq!(c.optical_macs + c.host_macs, 30.0 * inputs * 3.0 * 200.0);
        assert_eq!(c.optical_macs > 0.0, optical);
        if optical {
            assert!(close(c.phases.optical, 30.0 * single.phases.optical, 1e-12));
            for item in [Item::DacConversions, Item::ModulatorDrive] {
                assert!(close(
                    c.ledger.get(item),
                    30.0 * single.ledger.get(item),
                    1e-12
                ));
            }
        } else {
            assert_eq!(c.phases.optical, 0.0);
            assert_eq!(c.ledger.get(Item::DacConversions), 0.0);
        }
    }
}

//! The reference chain built from a rig: calibration, error rates that fall with power,
//! reproducibility from a seed, and an energy ledger.

use lightloop_cost::{Category, Item};
use lightloop_physics::chain::{ReferenceChain, SimSettings};

fn rig() -> lightloop_rig::Rig {
    lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
}

fn pattern(n: usize) -> Vec<i8> {
    (0..n).map(|k| ((k * 7 + k / 5) % 3) as i8 - 1).collect()
}

fn ser(received: f64, trial: u64) -> f64 {
    let mut c = ReferenceChain::from_rig(&rig(), &SimSettings::default(), 0, trial);
    c.set_received_power(received);
    c.calibrate(200);
    let p = pattern(20_000);
    let d = {
        let r = c.readout(&p);
        c.decide(&r)
    };
    d.iter().zip(&p).filter(|(a, b)| a != b).count() as f64 / p.len() as f64
}

#[test]
fn levels_are_ordered_and_thresholds_between_them() {
    let mut c = ReferenceChain::from_rig(&rig(), &SimSettings::default(), 0, 0);
    c.set_received_power(20e-6);
    let m = c.calibrate(500);
    assert!(m[0] < m[1] && m[1] < m[2], "{m:?}");
    let (t1, t2) = c.comparator.thresholds;
    assert!(m[0] < t1 && t1 < m[1] && m[1] < t2 && t2 < m[2]);
}

#[test]
fn errors_fall_as_received_power_rises() {
    let low = ser(2e-8, 1);
    let mid = ser(2e-7, 1);
    let high = ser(2e-5, 1);
    assert!(low > mid && mid > high, "{low} {mid} {high}");
    assert!(low > 0.05, "{low}");
    assert_eq!(high, 0.0);
}

#[test]
fn same_seed_same_numbers() {
    let run = |seed: u64, trial: u64| {
        let sim = SimSettings {
            seed,
            ..SimSettings::default()
        };
        let mut c = ReferenceChain::from_rig(&rig(), &sim, 3, trial);
        c.set_received_power(1e-6);
        c.readout(&pattern(500))
    };
    assert_eq!(run(9, 2), run(9, 2));
    assert_ne!(run(9, 2), run(9, 3));
    assert_ne!(run(9, 2), run(10, 2));
}

#[test]
fn the_chain_fills_the_ledger() {
    let mut c = ReferenceChain::from_rig(&rig(), &SimSettings::default(), 0, 0);
    c.readout(&pattern(10_000));
    let l = c.energy();
    let t = c.elapsed();
    assert!((t - 10_000.0 * 6e-9).abs() < 1e-15);
    // One laser of 10 mW at 20 % wall-plug for the simulated time.
    assert!((l.get(Item::LaserWallPlug) - 0.01 / 0.2 * t).abs() < 1e-18);
    assert!(l.category(Category::Amplifiers) > 0.0);
    assert!((l.get(Item::ModulatorDrive) - 10_000.0 * 200e-15).abs() < 1e-18);
}

#[test]
fn a_slow_selector_costs_errors_at_short_slots() {
    use lightloop_physics::instruments::ber::{self, CountSettings};
    let count = CountSettings {
        symbols: 20_000,
        ..CountSettings::default()
    };
    let base = ["topology.symbol_period=\"1 ns\"".to_string()];
    let plain = lightloop_rig::load_rig("seed-16ch", &base).unwrap().value;
    let mut sets = base.to_vec();
    sets.extend([
        "selector.switching_time=\"400 ps\"".to_string(),
        "selector.extinction_ratio=\"15 dB\"".to_string(),
        "selector.insertion_loss=\"1 dB\"".to_string(),
        "selector.insertion_loss_spread=\"0.5 dB\"".to_string(),
    ]);
    let gated = lightloop_rig::load_rig("seed-16ch", &sets).unwrap().value;
    let sim = SimSettings::default();
    let a = ber::measure(&plain, &sim, 1e-5, &count, 0);
    let b = ber::measure(&gated, &sim, 1e-5, &count, 0);
    assert!(
        b.eye.margin_sigma < a.eye.margin_sigma,
        "{} {}",
        a.eye.margin_sigma,
        b.eye.margin_sigma
    );
    assert!(
        b.symbols.rate > a.symbols.high,
        "{} vs {}",
        b.symbols,
        a.symbols
    );
}

/// Timing the parts lists each part once, in the chain's order, with times that add up to no
/// more than the wall time of the blocks, and does not change what the chain computes.
#[test]
fn part_times_cover_the_chain_in_order_and_change_nothing() {
    let p = pattern(2_000);
    let mut plain = ReferenceChain::from_rig(&rig(), &SimSettings::default(), 0, 0);
    let mut timed = ReferenceChain::from_rig(&rig(), &SimSettings::default(), 0, 0);
    assert!(timed.part_times().is_none());
    timed.time_parts(true);
    let start = std::time::Instant::now();
    for _ in 0..3 {
        let (a, b) = (plain.readout(&p), timed.readout(&p));
        assert_eq!(a, b);
        assert_eq!(plain.decide(&a), timed.decide(&b));
    }
    let wall = start.elapsed().as_secs_f64();
    let t = timed.part_times().unwrap();
    let names: Vec<&str> = t.parts.iter().map(|p| p.0).collect();
    assert_eq!(
        names,
        [
            "laser",
            "modulator",
            "passive path",
            "soa",
            "absorber",
            "photodiode",
            "tia",
            "integrate-and-dump",
            "comparator"
        ]
    );
    assert!(t.parts.iter().all(|p| p.1 > 0.0), "{t:?}");
    assert!(t.parts.iter().map(|p| p.1).sum::<f64>() <= wall);
    timed.time_parts(false);
    assert!(timed.part_times().is_none());
}

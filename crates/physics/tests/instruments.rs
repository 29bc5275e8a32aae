//! The bench instruments against closed forms and against each other: counted error rates
//! against the prediction from the measured eye, zero-error bounds, SNR per pass, crosstalk
//! against the rig's figure, re-centring, faults, and seed determinism across thread counts.

use lightloop_physics::chain::SimSettings;
use lightloop_physics::instruments::ber::{self, CountSettings};
use lightloop_physics::instruments::depth::{self, DepthSettings};
use lightloop_physics::instruments::faults::{self, FaultSettings};
use lightloop_physics::instruments::plan::{self, PlanSettings};
use lightloop_physics::instruments::recentring::{self, Policy, RecentringSettings};
use lightloop_physics::instruments::{ErrorCount, crosstalk};
use lightloop_physics::link::Fault;

fn rig() -> lightloop_rig::Rig {
    lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
}

fn sim() -> SimSettings {
    SimSettings::default()
}

#[test]
fn counted_errors_match_the_prediction_from_the_eye() {
    // At −25 dBm the seed rig's comparator hysteresis (5 mV) is comparable to the level spacing:
    // the counted rate must follow the Markov predictions that include it, from the measured
    // eye and from the noise budget.
    let count = CountSettings {
        symbols: 60_000,
        ..CountSettings::default()
    };
    for (power, trial) in [(3.16e-6, 0), (1.5e-6, 1)] {
        let p = ber::measure(&rig(), &sim(), power, &count, trial);
        assert!(p.symbols.errors > 100, "{}", p.symbols);
        let rel = (p.ser_gaussian / p.symbols.rate - 1.0).abs();
        assert!(
            rel < 0.15,
            "{power} W: counted {} vs predicted {:.3e}",
            p.symbols,
            p.ser_gaussian
        );
        assert!(p.bits.errors >= p.symbols.errors && p.bits.trials == 2 * p.symbols.trials);
        // The analytic budget from the compressed levels follows too.
        let budget = p.ser_noise_budget / p.symbols.rate;
        assert!(
            (0.85..1.15).contains(&budget),
            "{power} W: counted {} vs budget {:.3e}",
            p.symbols,
            p.ser_noise_budget
        );
    }
}

/// The cost model's error budget from the compressed levels ([`ber::level_budget`]) against
/// the engine on the seed rig. At −25 and −22.5 dBm the budget must lie inside the counted
/// rate's Wilson 95 % interval (20 000 and 100 000 symbols: 3 382 and 1 254 errors); at
/// −20 dBm, where the rate is
/// near 3·10⁻⁷ (10⁸ symbols would be needed), the budget's level means and σ are held to the
/// engine's measured eye (means within 2 % of the swing, σ within 5 %) and its SER to the
/// Gaussian prediction from that eye within a factor 1.5. (Counted with
/// `lightloop simulate --power "-20 dBm" --symbols 30000000`: 3.33·10⁻⁷ [1.8·10⁻⁷, 6.1·10⁻⁷],
/// 10 errors, against the budget's 3.16·10⁻⁷; 18 s, too long for this test.)
#[test]
fn the_level_budget_follows_the_engine() {
    let rig = rig();
    let swing = |e: &[f64; 3]| e[2] - e[0];
    for (dbm, symbols, trial) in [(-25.0, 20_000, 0), (-22.5, 100_000, 1), (-20.0, 100_000, 2)] {
        let power = 1e-3 * 10f64.powf(dbm / 10.0);
        let count = CountSettings {
            symbols,
            ..CountSettings::default()
        };
        let p = ber::measure(&rig, &sim(), power, &count, trial);
        let mut chain = lightloop_physics::chain::ReferenceChain::from_rig(&rig, &sim(), 0, trial);
        chain.set_received_power(power);
        let b = ber::level_budget(&rig, &chain);
        assert_eq!(b.ser(), p.ser_noise_budget);
        let counted = p.symbols;
        if counted.errors >= 50 {
            // Inside the Wilson 95 % interval where it is narrow, else within a factor 1.5.
            let (lo, hi) = if counted.high / counted.low <= 1.5 {
                (counted.low, counted.high)
            } else {
                (counted.rate / 1.5, counted.rate * 1.5)
            };
            assert!(
                (lo..=hi).contains(&b.ser()),
                "{dbm} dBm: counted {counted}, budget {:.3e}",
                b.ser()
            );
        } else {
            // The eye: readout volts = transimpedance × current, plus the single photodiode's dark
            // current (a balanced pair's cancel in the budget).
            let rf = chain.tia.transimpedance;
            let dark = chain.photodiode.dark_current * rf;
            let means = b.means.map(|m| m * rf + dark);
            let e = p.eye;
            for (i, (mean, sd)) in means.iter().zip(b.readout_sds.map(|s| s * rf)).enumerate() {
                assert!(
                    (mean - e.means[i]).abs() < 0.02 * swing(&e.means),
                    "{dbm} dBm, level {i}: budget {mean:.4e} V, eye {:.4e} V",
                    e.means[i]
                );
                assert!(
                    (sd / e.sds[i] - 1.0).abs() < 0.05,
                    "{dbm} dBm, level {i}: budget σ {sd:.4e} V, eye {:.4e} V",
                    e.sds[i]
                );
            }
            let r = b.ser() / p.ser_gaussian;
            assert!(
                (1.0 / 1.5..1.5).contains(&r),
                "{dbm} dBm: budget {:.3e}, from the eye {:.3e}",
                b.ser(),
                p.ser_gaussian
            );
        }
        eprintln!(
            "{dbm} dBm: counted {counted}, budget {:.3e}, from the eye {:.3e}, eye {:?} σ {:?}, budget means {:?} σ {:?}",
            b.ser(),
            p.ser_gaussian,
            p.eye.means,
            p.eye.sds,
            b.means.map(|m| m * chain.tia.transimpedance),
            b.readout_sds.map(|m| m * chain.tia.transimpedance)
        );
    }
}

#[test]
fn no_errors_is_reported_as_an_upper_bound() {
    let count = CountSettings {
        symbols: 30_000,
        ..CountSettings::default()
    };
    let p = ber::measure(&rig(), &sim(), 1e-4, &count, 0);
    assert_eq!(p.symbols.errors, 0);
    assert!(p.symbols.is_bound() && p.symbols.low == 0.0);
    // Wilson's upper end for 0/n at 95 %: z²/(n + z²) ≈ 3.84/n.
    let z2 = 1.959964f64.powi(2);
    assert!((p.symbols.high - z2 / (30_000.0 + z2)).abs() < 1e-9);
    assert!(p.eye.margin_sigma > 10.0);
}

#[test]
fn error_rate_falls_with_power_and_rises_as_slots_shorten() {
    let count = CountSettings {
        symbols: 20_000,
        ..CountSettings::default()
    };
    let curve = ber::versus_power(&rig(), &sim(), &[3e-7, 3e-6, 3e-5], &count);
    assert!(curve[0].symbols.rate > curve[1].symbols.rate);
    assert!(curve[1].symbols.rate > curve[2].symbols.rate);
    let slots = ber::versus_slot_time(&rig(), &sim(), &[0.2e-9, 6e-9], 1e-5, &count);
    assert!(slots[0].symbols.rate > slots[1].symbols.rate, "{:?}", slots);
    assert!(slots[0].photons_per_symbol < slots[1].photons_per_symbol);
}

#[test]
fn snr_falls_as_ase_accumulates_over_passes() {
    // The twin test's rig: a 30 dB SOA makes up the dense mesh's loss.
    let rig = lightloop_rig::load_rig(
        "seed-16ch",
        &["soa.small_signal_gain=\"30 dB\"".to_string()],
    )
    .unwrap()
    .value;
    let s = DepthSettings {
        passes: 16,
        trials: 150,
        ..DepthSettings::default()
    };
    let c = depth::measure(&rig, &sim(), &s);
    assert!(c.instability.is_none(), "{:?}", c.instability);
    assert_eq!(c.points.len(), 16);
    let (first, last) = (&c.points[0], &c.points[15]);
    // ASE power grows linearly with passes: 16 passes cost well over 6 dB against the first.
    assert!(
        first.snr_db - last.snr_db > 6.0,
        "{} {}",
        first.snr_db,
        last.snr_db
    );
    for p in &c.points {
        assert!(p.snr_db_low < p.snr_db && p.snr_db < p.snr_db_high);
    }
    let e = &c.energy;
    assert!(e.joules_per_mac > 0.0 && e.static_share > 0.0 && e.static_share <= 1.0);
    assert!(
        (e.joules_per_mac * e.mac_equivalents - e.joules_per_run).abs()
            < 1e-12 * e.joules_per_run.max(1.0)
    );
}

#[test]
fn crosstalk_matches_the_rigs_figure() {
    let m = crosstalk::measure(&rig(), &sim(), 4, 1e-5, 16_384);
    let stated = m.rig_db;
    for i in 0..4 {
        for j in 0..4 {
            let v = m.db[i][j];
            if i == j {
                assert_eq!(v, 0.0);
            } else if i.abs_diff(j) == 1 {
                assert!((v - stated).abs() < 1.0, "{i}←{j}: {v} dB vs {stated} dB");
            } else {
                assert!(v < stated - 20.0, "{i}←{j}: {v} dB");
            }
        }
    }
}

#[test]
fn recentring_recovers_a_cold_start() {
    let s = RecentringSettings {
        frames: 40,
        frame_symbols: 512,
        cold_offset: 0.6,
        ..RecentringSettings::default()
    };
    let policies = [
        Policy::Never,
        Policy::EveryFrames { frames: 10 },
        Policy::MarginBelow { sigma: 3.0 },
    ];
    let o = recentring::compare(&rig(), &sim(), &s, &policies, 1e-3);
    assert_eq!(
        o[0].frames_to_lock, None,
        "mis-biased thresholds never recover alone"
    );
    assert_eq!(o[1].frames_to_lock, Some(10));
    assert_eq!(o[2].frames_to_lock, Some(1));
    assert!(o[2].symbols.rate < o[1].symbols.rate && o[1].symbols.rate < o[0].symbols.rate);
    // Duty: calibrations × duration ÷ (operating + calibrating time).
    let d = rig().calibration.duration.si();
    let n = o[1].calibrations as f64;
    assert_eq!(o[1].calibrations, 4);
    assert!((o[1].duty - n * d / (40.0 * s.frame_interval + n * d)).abs() < 1e-15);
    // Every policy saw the same drift.
    assert!(o.iter().all(|p| p.final_delta_t == o[0].final_delta_t));
}

#[test]
fn faults_degrade_gracefully() {
    let s = FaultSettings {
        channels: 4,
        symbols: 5000,
        ..FaultSettings::default()
    };
    let base = faults::run(&rig(), &sim(), &s, None);
    assert!(base.flagged.is_empty() && base.capacity == 1.0);
    for fault in [
        Fault::Dead { channel: 1 },
        Fault::StuckSelector {
            channel: 1,
            frame: 512,
        },
    ] {
        let o = faults::run(&rig(), &sim(), &s, Some(fault));
        assert_eq!(o.flagged, vec![1], "{fault:?}: margins {:?}", o.margins);
        assert_eq!(o.capacity, 0.75);
        // Before anyone notices, the faulty channel makes errors; the others do not.
        assert!(
            o.before_recalibration[1].rate > 0.2,
            "{:?}",
            o.before_recalibration[1]
        );
        let healthy_before: ErrorCount = [0, 2, 3].iter().fold(ErrorCount::new(0, 0), |a, c| {
            a.plus(&o.before_recalibration[*c])
        });
        assert!(
            healthy_before.rate <= base.in_service.high,
            "{healthy_before}"
        );
        assert!(
            o.in_service.rate <= base.in_service.high,
            "{}",
            o.in_service
        );
    }
}

#[test]
fn the_plan_is_the_same_for_any_thread_count() {
    let s = PlanSettings::quick(7);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| serde_json::to_string(&plan::run(&rig(), &s, &mut |_| {})).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    // Put together from its items, measured in any order and read back from JSON text (as
    // from a plan's shards), the plan is the same.
    let items = plan::items(&s);
    assert_eq!(items.len(), s.powers.len() + s.slot_times.len() + 5);
    let mut parts: Vec<(usize, serde_json::Value)> = items
        .iter()
        .enumerate()
        .rev()
        .map(|(i, it)| {
            let text = serde_json::to_string(&plan::measure(&rig(), &s, *it)).unwrap();
            (i, serde_json::from_str(&text).unwrap())
        })
        .collect();
    parts.sort_by_key(|(i, _)| *i);
    let parts: Vec<serde_json::Value> = parts.into_iter().map(|(_, v)| v).collect();
    let assembled = plan::assemble(&rig().rig.name, &s, &parts);
    assert_eq!(
        assembled,
        serde_json::from_str::<serde_json::Value>(&one).unwrap()
    );
    let other = PlanSettings::quick(8);
    let different = serde_json::to_string(&plan::run(&rig(), &other, &mut |_| {})).unwrap();
    assert_ne!(one, different);
}

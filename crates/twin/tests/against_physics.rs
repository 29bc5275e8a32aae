//! The twin's noisy VMM against the time-domain engine on the same rig: mean and variance of each
//! output within 5 %.

use faer::Mat;
use lightloop_physics::vmm::simulate_vmm;
use lightloop_rig::load_rig;
use lightloop_twin::{NoisyVmm, TernaryMatrix};

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

/// A fixed pseudo-random ternary matrix and input vector.
fn case(rows: usize, cols: usize, equal_inputs: bool) -> (Vec<i8>, Vec<f64>) {
    let w: Vec<i8> = (0..rows * cols)
        .map(|k| ((k * 7919 + k / 3) % 3) as i8 - 1)
        .collect();
    let x: Vec<f64> = (0..cols)
        .map(|j| {
            if equal_inputs {
                0.8
            } else {
                ((j * 37) % 17) as f64 / 16.0
            }
        })
        .collect();
    (w, x)
}

/// Compares physics and twin for every output; returns the largest relative variance error.
fn compare(sets: &[&str], equal_inputs: bool) -> f64 {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let rig = load_rig("tier-a-1024", &sets).unwrap().value;
    let (rows, cols, reps) = (6, 16, 20_000);
    let (w, x) = case(rows, cols, equal_inputs);
    let w_rows: Vec<Vec<i8>> = w.chunks(cols).map(|r| r.to_vec()).collect();
    let phys = simulate_vmm(&rig, &w_rows, &x, reps, 4, 7);

    let twin = NoisyVmm::from_rig(&rig, 7);
    let tm = TernaryMatrix::from_rows(rows, cols, &w);
    let xs = Mat::from_fn(cols, reps, |j, _| x[j] as f32);
    // The twin is cheap: four calls (4·reps draws) halve its share of the comparison's
    // sampling error, leaving mostly the engine's (one standard error of a variance from reps
    // draws is √(2/reps) ≈ 1 %).
    let ys: Vec<Mat<f32>> = (0..4)
        .map(|call| twin.apply(&tm, xs.as_ref(), call))
        .collect();
    let ideal = twin.ideal(&tm, xs.as_ref());

    let mut worst: f64 = 0.0;
    for i in 0..rows {
        let (pm, pv) = mean_var(&phys.values[i]);
        let t: Vec<f64> = ys
            .iter()
            .flat_map(|y| (0..reps).map(move |b| y[(i, b)] as f64))
            .collect();
        let (tm_, tv) = mean_var(&t);
        let exact = ideal[(i, 0)] as f64;
        // Means: both centred on the ideal output (within 5 % of its size or 4 standard errors).
        let se = (pv / reps as f64).sqrt();
        for m in [pm, tm_] {
            assert!(
                (m - exact).abs() <= (0.05 * exact.abs()).max(4.0 * se),
                "output {i}: mean {m} vs ideal {exact} (se {se})"
            );
        }
        let rel = tv / pv - 1.0;
        assert!(
            rel.abs() < 0.05,
            "output {i}: twin variance {tv:e} vs physics {pv:e} ({:+.1} %)",
            rel * 100.0
        );
        worst = worst.max(rel.abs());
    }
    worst
}

#[test]
fn receiver_noise_dominated_rig() {
    // The tier-A preset as shipped: the TIA's noise dominates the readout.
    compare(&[], false);
}

#[test]
fn quantisation_dominated_rig() {
    // Ten times the laser power and a quiet receiver: the 8-bit converter's rounding dominates,
    // with analog noise far below one code (so rounding is not a uniform noise).
    compare(
        &[
            "laser.power=\"10 dBm\"",
            "tia.input_noise_density=\"0.5 pA/√Hz\"",
        ],
        false,
    );
}

#[test]
fn shot_noise_dominated_rig() {
    // As above with a 16-bit converter: shot noise dominates.
    let sets = [
        "laser.power=\"10 dBm\"",
        "tia.input_noise_density=\"0.5 pA/√Hz\"",
        "adc.bits=16",
        "adc.enob=14",
    ];
    let rig = load_rig("tier-a-1024", &sets.map(String::from))
        .unwrap()
        .value;
    let n = lightloop_twin::VmmNoise::from_rig(&rig);
    // A typical output of the case: about half the 16 inputs contribute, at p ≈ ½.
    let s = 4.0;
    let shot = lightloop_cost::noise::shot_variance(
        n.unit_current * s,
        0.0,
        1.0 / (2.0 * n.symbol_period),
    );
    let total = n.variance(16.0, s, 8.0) * (n.unit_current * (1.0 - n.t_min)).powi(2);
    assert!(
        shot > 0.7 * total,
        "shot is {:.0} % of the variance",
        shot / total * 100.0
    );
    compare(&sets, false);
}

#[test]
fn rin_term_with_equal_inputs() {
    // A noisy laser (−120 dB/Hz) at high power, where RIN is a large share of the variance; with
    // equal inputs the twin's Σp² = S²/n is exact.
    compare(
        &[
            "laser.power=\"10 dBm\"",
            "laser.rin=\"-120 dB/Hz\"",
            "tia.input_noise_density=\"0.5 pA/√Hz\"",
        ],
        true,
    );
}

#[test]
fn same_seed_same_numbers_for_any_thread_count() {
    // 100 rows: three whole tiles and a partial one; batches of 5 (the dot kernel) and 40 (the
    // panel kernel, one padded panel of 64 columns).
    let rig = load_rig("tier-a-1024", &[]).unwrap().value;
    let (w, _) = case(100, 128, false);
    let tm = TernaryMatrix::from_rows(100, 128, &w);
    for batch in [5, 40] {
        let xs = Mat::from_fn(128, batch, |j, b| ((j * 13 + b * 7) % 11) as f32 / 10.0);
        let one = NoisyVmm::from_rig(&rig, 3).apply(&tm, xs.as_ref(), 5);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let three = pool.install(|| {
            NoisyVmm::from_rig(&rig, 3)
                .with_threads(3)
                .apply(&tm, xs.as_ref(), 5)
        });
        assert_eq!(one, three, "batch {batch}");
        let empty = Mat::<f32>::zeros(128, 0);
        let none = NoisyVmm::from_rig(&rig, 3).apply(&tm, empty.as_ref(), 5);
        assert_eq!((none.nrows(), none.ncols()), (100, 0));
        let other_call = NoisyVmm::from_rig(&rig, 3).apply(&tm, xs.as_ref(), 6);
        assert_ne!(one, other_call);
    }
}

//! The twin's loop pass against the physics engine's analog loop on the same rig: the variance of
//! every homodyne readout within 5 %, and its mean within 5 % of the outputs' RMS level, after 1,
//! 3 and 6 passes.

use lightloop_cost::optics::mesh_amplitude;
use lightloop_physics::analog_loop::{AnalogLoop, Mixing};
use lightloop_rig::load_rig;
use lightloop_twin::LoopTwin;

const CHANNELS: usize = 4;
const SLOTS: usize = 8;
const D: usize = CHANNELS * SLOTS;
const PASSES: usize = 6;
const TRIALS: usize = 20_000;
const LO: f64 = 1e-3;

fn rig() -> lightloop_rig::Rig {
    // A 30 dB SOA so that the dense mesh's loss is made up, and a noisier amplifier (10 dB NF)
    // so that the accumulated ASE, not the readout, dominates the variance.
    let sets = [
        "soa.small_signal_gain=\"30 dB\"",
        "soa.noise_figure=\"10 dB\"",
    ]
    .map(String::from);
    load_rig("seed-16ch", &sets).unwrap().value
}

fn stats(runs: &[Vec<Vec<f64>>], pass: usize, k: usize) -> (f64, f64) {
    let v: Vec<f64> = runs.iter().map(|r| r[pass][k]).collect();
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

#[test]
fn loop_passes_match() {
    let rig = rig();
    let mixing = Mixing::random(D, 0.3, 5);
    let x: Vec<f64> = (0..D)
        .map(|k| ((k * 37) % 21) as f64 / 10.0 - 1.0)
        .collect();

    let mut l = AnalogLoop::from_rig(&rig, mixing.clone(), CHANNELS, SLOTS, LO, 11, 0);
    let physics: Vec<Vec<Vec<f64>>> = (0..TRIALS as u64)
        .map(|t| {
            l.reset(&rig, 11, t);
            let (r, instability) = l.run(&x, PASSES);
            assert!(instability.is_none(), "{instability:?}");
            r
        })
        .collect();

    let twin = LoopTwin::from_rig(&rig, LO, 11);
    let kappa = mesh_amplitude(&rig, &mixing.weights, D);
    let target = x.iter().map(|v| v * v).sum::<f64>() / D as f64 * twin.p_unit;
    let twin_runs: Vec<Vec<Vec<f64>>> = (0..TRIALS as u64)
        .map(|t| {
            let mut s = twin.enter(&x);
            (0..PASSES as u64)
                .map(|p| {
                    twin.pass(&mixing.weights, kappa, &mut s, target, t, p);
                    twin.read(&s, t, p)
                })
                .collect()
        })
        .collect();

    for pass in [0, 2, 5] {
        // Means are compared against the outputs' RMS level: some outputs sit near zero.
        let rms = ((0..D)
            .map(|k| stats(&physics, pass, k).0.powi(2))
            .sum::<f64>()
            / D as f64)
            .sqrt();
        for k in 0..D {
            let (pm, pv) = stats(&physics, pass, k);
            let (tm, tv) = stats(&twin_runs, pass, k);
            let se = (pv / TRIALS as f64).sqrt();
            assert!(
                (pm - tm).abs() <= (0.05 * rms).max(4.0 * se),
                "pass {} value {k}: mean physics {pm} twin {tm} (se {se})",
                pass + 1
            );
            let rel = tv / pv - 1.0;
            assert!(
                rel.abs() < 0.05,
                "pass {} value {k}: variance physics {pv:e} twin {tv:e} ({:+.1} %)",
                pass + 1,
                rel * 100.0
            );
        }
    }
}

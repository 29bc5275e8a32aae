//! Diagnostics of a reservoir's dynamics: the largest Lyapunov exponent, the effective rank of
//! its states and their autocorrelation half-life. (Memory capacities are readout tasks:
//! [`crate::suite::Task::MemoryCapacity`].)

use crate::NnError;
use crate::reservoir::{Kind, Spec, build};
use faer::{Mat, Side};
use lightloop_base::rng::{normal, stream, uniform};
use lightloop_rig::Rig;

/// Largest Lyapunov exponent per input step, by two nearby trajectories (Benettin et al.,
/// Meccanica 15, 9, 1980; for driven reservoirs as in Verstraeten et al., Neural Netw. 20,
/// 391, 2007): both copies see the same i.i.d. input u ~ U[0, 1] (the same draws), the second
/// starts δ₀ = 10⁻⁸ away in a random direction after a 500-step washout, and after every step
/// the separation d is recorded and rescaled back to δ₀; λ = mean ln(d/δ₀). The noise inside
/// the reservoir is switched off (it would separate the copies by itself). `None` for a model
/// whose state is not a plain vector (the physics engine).
pub fn lyapunov(spec: &Spec, rig: &Rig, steps: usize) -> Result<Option<f64>, NnError> {
    if spec.model == Kind::SoaEngine {
        return Ok(None);
    }
    let quiet = Spec {
        inner_noise: false,
        ..*spec
    };
    let mut a = build(&quiet, rig, 1)?;
    let mut b = build(&quiet, rig, 1)?;
    let mut rng = stream(spec.seed, "lyapunov.input", 0, 0);
    let mut out = vec![0.0; a.nodes()];
    for _ in 0..500 {
        let u = [uniform(&mut rng)];
        a.step(&u, &mut out);
    }
    let Some(base) = a.state() else {
        return Ok(None);
    };
    const D0: f64 = 1e-8;
    let mut prng = stream(spec.seed, "lyapunov.direction", 0, 0);
    let dir: Vec<f64> = (0..base.len()).map(|_| normal(&mut prng)).collect();
    let norm = dir
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
        .max(f64::MIN_POSITIVE);
    let start: Vec<f64> = base
        .iter()
        .zip(&dir)
        .map(|(x, d)| x + D0 * d / norm)
        .collect();
    b.set_state(&start);
    let mut sum = 0.0;
    for _ in 0..steps {
        let u = [uniform(&mut rng)];
        a.step(&u, &mut out);
        b.step(&u, &mut out);
        let (sa, sb) = (a.state().unwrap_or_default(), b.state().unwrap_or_default());
        let d = sa
            .iter()
            .zip(&sb)
            .map(|(x, y)| (y - x).powi(2))
            .sum::<f64>()
            .sqrt();
        if !d.is_finite() {
            return Err(NnError::Numerical(
                "a trajectory diverged while measuring the Lyapunov exponent".into(),
            ));
        }
        if d == 0.0 {
            // The perturbation died out completely (a strongly contracting reservoir).
            return Ok(Some(f64::NEG_INFINITY));
        }
        sum += (d / D0).ln();
        let rescaled: Vec<f64> = sa
            .iter()
            .zip(&sb)
            .map(|(x, y)| x + (y - x) * D0 / d)
            .collect();
        b.set_state(&rescaled);
    }
    Ok(Some(sum / steps.max(1) as f64))
}

/// Participation ratio of the states' covariance eigenvalues, (Σλ)²/Σλ²: the number of
/// directions the states really use (1 … nodes).
pub fn participation_ratio(states: &[Vec<f64>]) -> f64 {
    let (t, n) = (states.len(), states.first().map_or(0, Vec::len));
    if t < 2 || n == 0 {
        return 0.0;
    }
    let mean: Vec<f64> = (0..n)
        .map(|j| states.iter().map(|r| r[j]).sum::<f64>() / t as f64)
        .collect();
    let x = Mat::from_fn(t, n, |i, j| states[i][j] - mean[j]);
    let cov = x.transpose() * &x;
    let Ok(eig) = cov.self_adjoint_eigenvalues(Side::Lower) else {
        return 0.0;
    };
    let s1: f64 = eig.iter().map(|v| v.max(0.0)).sum();
    let s2: f64 = eig.iter().map(|v| v.max(0.0).powi(2)).sum();
    if s2 > 0.0 { s1 * s1 / s2 } else { 0.0 }
}

/// Node-averaged autocorrelation of the states at each lag 1 … `max_lag` (nodes with zero
/// variance are left out).
pub fn autocorrelation(states: &[Vec<f64>], max_lag: usize) -> Vec<f64> {
    let (t, n) = (states.len(), states.first().map_or(0, Vec::len));
    if t <= max_lag + 1 || n == 0 {
        return Vec::new();
    }
    let mean: Vec<f64> = (0..n)
        .map(|j| states.iter().map(|r| r[j]).sum::<f64>() / t as f64)
        .collect();
    let var: Vec<f64> = (0..n)
        .map(|j| states.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>())
        .collect();
    (1..=max_lag)
        .map(|lag| {
            let (mut acc, mut used) = (0.0, 0.0);
            for j in (0..n).filter(|j| var[*j] > 0.0) {
                let c: f64 = (lag..t)
                    .map(|i| (states[i][j] - mean[j]) * (states[i - lag][j] - mean[j]))
                    .sum();
                acc += c / var[j];
                used += 1.0;
            }
            if used > 0.0 { acc / used } else { f64::NAN }
        })
        .collect()
}

/// The first lag (in steps) at which the node-averaged autocorrelation of the states falls
/// below ½, up to `max_lag`; `None` if it never does. Under i.i.d. input a half-life of 1 means
/// each step's input dominates the nodes.
pub fn autocorrelation_half_life(states: &[Vec<f64>], max_lag: usize) -> Option<usize> {
    autocorrelation(states, max_lag)
        .iter()
        .position(|r| *r < 0.5)
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rig() -> Rig {
        lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value
    }

    /// An echo-state network is contracting at a small spectral radius and expanding (chaotic)
    /// at a large one: the exponent's sign flips across ρ ≈ 1 (for weak input).
    #[test]
    fn lyapunov_exponent_changes_sign_across_the_edge_of_chaos() {
        let r = rig();
        let mut s = Spec::new(Kind::Esn, 1);
        s.nodes = 100;
        s.gain = Some(0.5);
        let calm = lyapunov(&s, &r, 300).unwrap().unwrap();
        s.gain = Some(3.0);
        let wild = lyapunov(&s, &r, 300).unwrap().unwrap();
        assert!(calm < -0.1 && wild > 0.05, "{calm} {wild}");
        // tanh has slope ≤ 1, so at ρ = 0.5 a perturbation shrinks by about ρ per step.
        assert!(calm <= 0.5f64.ln() + 0.2, "{calm}");
    }

    #[test]
    fn participation_ratio_counts_used_directions() {
        // Three independent unit-variance columns and one copy of the first: three directions,
        // one of them twice as strong → (1+1+2)²/(1+1+4) = 16/6.
        let mut rng = stream(3, "t", 0, 0);
        let rows: Vec<Vec<f64>> = (0..20_000)
            .map(|_| {
                let (a, b, c) = (normal(&mut rng), normal(&mut rng), normal(&mut rng));
                vec![a, b, c, a]
            })
            .collect();
        let pr = participation_ratio(&rows);
        assert!((pr - 16.0 / 6.0).abs() < 0.05, "{pr}");
        // An AR(1) series x ← 0.9x + noise has autocorrelation 0.9^k: below ½ first at k = 7.
        let mut x = 0.0;
        let ar: Vec<Vec<f64>> = (0..200_000)
            .map(|_| {
                x = 0.9 * x + normal(&mut rng);
                vec![x]
            })
            .collect();
        assert_eq!(autocorrelation_half_life(&ar, 50), Some(7));
    }
}

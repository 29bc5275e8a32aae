//! Benchmark tasks of reservoir computing with their exact definitions (docs/references.md).

use lightloop_base::rng::{Rng, normal, uniform};

/// An input series and the target the readout must produce from it, step by step.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub input: Vec<f64>,
    pub target: Vec<f64>,
}

/// NARMA10: y(t+1) = 0.3·y(t) + 0.05·y(t)·Σ_{i=0..9} y(t−i) + 1.5·u(t−9)·u(t) + 0.1, with
/// u ~ U[0, 0.5] i.i.d. and y = 0 before the start; the target at step t is y(t+1).
///
/// The recursion diverges for rare input draws (a few per cent of 10⁴-step series); such a
/// series (some |y| > 10) is discarded and the next one is drawn from the same stream, so the
/// result still depends only on the seed.
pub fn narma10(steps: usize, rng: &mut Rng) -> Series {
    loop {
        let s = narma10_draw(steps, rng);
        if s.target.iter().all(|y| y.is_finite() && y.abs() <= 10.0) {
            return s;
        }
    }
}

fn narma10_draw(steps: usize, rng: &mut Rng) -> Series {
    let u: Vec<f64> = (0..steps).map(|_| 0.5 * uniform(rng)).collect();
    let mut y = vec![0.0; steps + 1];
    for t in 0..steps {
        let sum: f64 = (0..10).filter(|i| *i <= t).map(|i| y[t - i]).sum();
        let u9 = if t >= 9 { u[t - 9] } else { 0.0 };
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * sum + 1.5 * u9 * u[t] + 0.1;
    }
    Series {
        input: u,
        target: y[1..].to_vec(),
    }
}

/// The Mackey–Glass series dx/dt = 0.2·x(t−17)/(1 + x(t−17)¹⁰) − 0.1·x(t), integrated by
/// classical Runge–Kutta with step 0.1 (the delayed value at half steps is the mean of its
/// neighbours), x = 1.2 on [−17, 0], sampled every `every` time units after a transient of 1000.
pub fn mackey_glass(samples: usize, every: f64) -> Vec<f64> {
    const DT: f64 = 0.1;
    let lag = (17.0 / DT) as usize;
    let stride = (every / DT).round().max(1.0) as usize;
    let skip = (1000.0 / DT) as usize;
    let f = |x: f64, xd: f64| 0.2 * xd / (1.0 + xd.powi(10)) - 0.1 * x;
    let total = skip + samples * stride;
    let mut x = vec![1.2; lag + 1];
    x.reserve(total);
    let mut out = Vec::with_capacity(samples);
    for n in 0..total {
        let i = x.len() - 1;
        let (xn, d0, d1) = (x[i], x[i - lag], x[i - lag + 1]);
        let dh = 0.5 * (d0 + d1);
        let k1 = f(xn, d0);
        let k2 = f(xn + 0.5 * DT * k1, dh);
        let k3 = f(xn + 0.5 * DT * k2, dh);
        let k4 = f(xn + DT * k3, d1);
        x.push(xn + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4));
        if n >= skip && (n - skip).is_multiple_of(stride) {
            out.push(x[i + 1]);
        }
    }
    out
}

/// Channel equalisation (Jaeger & Haas, Science 304, 2004): symbols d ∈ {−3, −1, 1, 3} pass a
/// linear channel q(n) = 0.08d(n+2) − 0.12d(n+1) + d(n) + 0.18d(n−1) − 0.1d(n−2) + 0.091d(n−3)
/// − 0.05d(n−4) + 0.04d(n−5) + 0.03d(n−6) + 0.01d(n−7), then u = q + 0.036q² − 0.011q³ plus
/// Gaussian noise at `snr_db` (signal power of the noiseless u over the noise power); the target
/// at step n is d(n−2).
pub fn channel_equalisation(steps: usize, snr_db: f64, rng: &mut Rng) -> Series {
    const TAPS: [(i64, f64); 10] = [
        (2, 0.08),
        (1, -0.12),
        (0, 1.0),
        (-1, 0.18),
        (-2, -0.1),
        (-3, 0.091),
        (-4, -0.05),
        (-5, 0.04),
        (-6, 0.03),
        (-7, 0.01),
    ];
    let pad = 7;
    let d: Vec<f64> = (0..steps + pad + 2)
        .map(|_| [-3.0, -1.0, 1.0, 3.0][(uniform(rng) * 4.0).min(3.0) as usize])
        .collect();
    let clean: Vec<f64> = (0..steps)
        .map(|n| {
            let at = n + pad;
            let q: f64 = TAPS
                .iter()
                .map(|(k, w)| w * d[(at as i64 + k) as usize])
                .sum();
            q + 0.036 * q * q - 0.011 * q * q * q
        })
        .collect();
    let power = clean.iter().map(|u| u * u).sum::<f64>() / steps.max(1) as f64;
    let sd = (power / 10f64.powf(snr_db / 10.0)).sqrt();
    Series {
        input: clean.iter().map(|u| u + sd * normal(rng)).collect(),
        target: (0..steps).map(|n| d[n + pad - 2]).collect(),
    }
}

/// Normalised mean-square error mean((y − ŷ)²)/var(y) and its root (docs/references.md: report both).
pub fn nmse(target: &[f64], predicted: &[f64]) -> (f64, f64) {
    let n = target.len() as f64;
    let mean = target.iter().sum::<f64>() / n;
    let var = target.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n;
    let mse = target
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).powi(2))
        .sum::<f64>()
        / n;
    (mse / var, (mse / var).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_base::rng::stream;

    #[test]
    fn a_diverging_narma10_draw_is_replaced() {
        // Seed 4's first 14 200-step draw diverges.
        let mut rng = stream(4, "narma", 0, 0);
        assert!(
            narma10_draw(14_200, &mut rng)
                .target
                .iter()
                .any(|y| !y.is_finite())
        );
        let s = narma10(14_200, &mut stream(4, "narma", 0, 0));
        assert!(s.target.iter().all(|y| y.is_finite() && *y < 1.5));
    }

    #[test]
    fn narma10_follows_its_recursion() {
        let s = narma10(5000, &mut stream(1, "narma", 0, 0));
        let (u, y) = (&s.input, &s.target);
        assert!(u.iter().all(|v| (0.0..0.5).contains(v)));
        // target[t] = y(t+1); check the recursion from t = 10 on.
        for t in 10..4999 {
            let sum: f64 = (0..10).map(|i| y[t - 1 - i]).sum();
            let next = 0.3 * y[t - 1] + 0.05 * y[t - 1] * sum + 1.5 * u[t - 9] * u[t] + 0.1;
            assert!((y[t] - next).abs() < 1e-12, "t = {t}");
        }
        let (lo, hi) = y
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
        // Bounded (NARMA10 can diverge for other input ranges): 0.1 ≤ y, and well below 1.5.
        assert!(lo >= 0.1 && hi < 1.5, "{lo} … {hi}");
    }

    #[test]
    fn mackey_glass_is_the_chaotic_attractor() {
        let x = mackey_glass(2000, 1.0);
        let (lo, hi) = x
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
        // The τ = 17 attractor lies between about 0.2 and 1.4 and never settles.
        assert!(lo > 0.15 && lo < 0.5 && hi > 1.1 && hi < 1.5, "{lo} … {hi}");
        let (_, nrmse) = nmse(&x[1000..], &x[999..1999]);
        assert!(nrmse > 0.05, "not a constant or period-1 series");
    }

    #[test]
    fn channel_taps_and_noise_are_as_defined() {
        let s = channel_equalisation(20_000, 300.0, &mut stream(2, "equaliser", 0, 0));
        assert!(s.target.iter().all(|d| [-3.0, -1.0, 1.0, 3.0].contains(d)));
        // The target is d(n−2), so d(n+k) = target[n+k+2]: rebuild the channel from the targets.
        let taps = [0.08, -0.12, 1.0, 0.18, -0.1, 0.091, -0.05, 0.04, 0.03, 0.01];
        for n in 5..19_990 {
            let q: f64 = (0..10).map(|j| taps[j] * s.target[n + 4 - j]).sum();
            let u = q + 0.036 * q * q - 0.011 * q * q * q;
            assert!((s.input[n] - u).abs() < 1e-9, "n = {n}");
        }
        // The same symbols at 12 dB: the added noise has the requested power.
        let noisy = channel_equalisation(20_000, 12.0, &mut stream(2, "equaliser", 0, 0));
        let n = noisy.input.len() as f64;
        let err = noisy
            .input
            .iter()
            .zip(&s.input)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / n;
        let power = s.input.iter().map(|u| u * u).sum::<f64>() / n;
        let snr = 10.0 * (power / err).log10();
        assert!((snr - 12.0).abs() < 0.2, "{snr} dB");
    }

    #[test]
    fn nmse_of_the_mean_is_one() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let (nmse, nrmse) = nmse(&y, &[2.5; 4]);
        assert!((nmse - 1.0).abs() < 1e-12 && (nrmse - 1.0).abs() < 1e-12);
    }
}

//! Ridge-regression readout: W = argmin ‖X·W − Y‖² + λ‖W‖², solved through the normal equations
//! (XᵀX + λ·I)·W = XᵀY by a Cholesky factorisation (faer).

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// A linear readout: y = W·[features]; rows of `weights` are outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    /// outputs × features.
    pub weights: Vec<Vec<f64>>,
    pub lambda: f64,
}

/// Fits a readout of `targets` (samples × outputs) from `features` (samples × features).
/// `None` when the system is singular even with λ (λ = 0 and rank-deficient features).
pub fn fit(features: &[Vec<f64>], targets: &[Vec<f64>], lambda: f64) -> Option<Readout> {
    let (n, f) = (features.len(), features.first()?.len());
    let o = targets.first()?.len();
    let x = Mat::from_fn(n, f, |i, j| features[i][j]);
    let y = Mat::from_fn(n, o, |i, j| targets[i][j]);
    let mut gram = x.transpose() * &x;
    for i in 0..f {
        gram[(i, i)] += lambda;
    }
    let rhs = x.transpose() * &y;
    let w = gram.llt(Side::Lower).ok()?.solve(&rhs);
    Some(Readout {
        weights: (0..o)
            .map(|k| (0..f).map(|j| w[(j, k)]).collect())
            .collect(),
        lambda,
    })
}

impl Readout {
    pub fn apply(&self, features: &[f64]) -> Vec<f64> {
        self.weights
            .iter()
            .map(|w| w.iter().zip(features).map(|(a, b)| a * b).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recovers_a_linear_map_and_shrinks_with_lambda() {
        let xs: Vec<Vec<f64>> = (0..50)
            .map(|i| vec![1.0, i as f64 / 10.0, ((i * 7) % 11) as f64])
            .collect();
        let ys: Vec<Vec<f64>> = xs
            .iter()
            .map(|x| vec![0.5 - 2.0 * x[1] + 0.25 * x[2]])
            .collect();
        let r = super::fit(&xs, &ys, 0.0).unwrap();
        for (w, want) in r.weights[0].iter().zip([0.5, -2.0, 0.25]) {
            assert!((w - want).abs() < 1e-9, "{w} vs {want}");
        }
        let shrunk = super::fit(&xs, &ys, 1e4).unwrap();
        let norm = |w: &[f64]| w.iter().map(|v| v * v).sum::<f64>();
        assert!(norm(&shrunk.weights[0]) < norm(&r.weights[0]));
    }
}

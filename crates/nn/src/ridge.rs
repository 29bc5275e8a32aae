//! Ridge-regression readout: W = argmin ‖X·W − Y‖² + λ‖W‖², solved through the normal equations
//! (XᵀX + λ·I)·W = XᵀY by a Cholesky factorisation (faer).
//!
//! [`Gram`] accumulates XᵀX and XᵀY over blocks of rows, so a long run never holds its whole
//! feature matrix, and one accumulation serves a whole sweep of λ.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};

/// A linear readout: y = W·[features]; rows of `weights` are outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    /// outputs × features.
    pub weights: Vec<Vec<f64>>,
    pub lambda: f64,
}

/// The sums XᵀX and XᵀY of a regression, accumulated block by block.
#[derive(Debug, Clone)]
pub struct Gram {
    xtx: Mat<f64>,
    xty: Mat<f64>,
    rows: usize,
}

/// Rows per block when accumulating from row slices.
const BLOCK: usize = 1024;

impl Gram {
    pub fn new(features: usize, outputs: usize) -> Self {
        Self {
            xtx: Mat::zeros(features, features),
            xty: Mat::zeros(features, outputs),
            rows: 0,
        }
    }

    /// Adds samples: `features[i]` with `targets[i]` (equal lengths).
    pub fn add(&mut self, features: &[Vec<f64>], targets: &[Vec<f64>]) {
        assert_eq!(features.len(), targets.len(), "one target per sample");
        let (f, o) = (self.xtx.nrows(), self.xty.ncols());
        for (xs, ys) in features.chunks(BLOCK).zip(targets.chunks(BLOCK)) {
            let x = Mat::from_fn(xs.len(), f, |i, j| xs[i][j]);
            let y = Mat::from_fn(ys.len(), o, |i, j| ys[i][j]);
            self.add_block(x.as_ref(), y.as_ref());
        }
    }

    /// Adds a block of samples given as matrices (rows = samples). Only the lower triangle of
    /// the symmetric XᵀX is accumulated (half the work): the Cholesky solve reads no other.
    /// XᵀY is computed sequentially (a parallel matrix–vector product may split its sums across
    /// threads and change the last bits with the thread count).
    pub fn add_block(&mut self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) {
        self.add_block_with(x, y, Par::rayon(0));
    }

    /// [`Gram::add_block`] on the calling thread alone: the sums in one order whatever the
    /// pool, and no other thread taken (for a caller that runs other work beside it).
    pub fn add_block_seq(&mut self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) {
        self.add_block_with(x, y, Par::Seq);
    }

    fn add_block_with(&mut self, x: MatRef<'_, f64>, y: MatRef<'_, f64>, par: Par) {
        triangular::matmul(
            self.xtx.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            x.transpose(),
            BlockStructure::Rectangular,
            x,
            BlockStructure::Rectangular,
            1.0,
            par,
        );
        matmul(
            self.xty.as_mut(),
            Accum::Add,
            x.transpose(),
            y,
            1.0,
            Par::Seq,
        );
        self.rows += x.nrows();
    }

    /// Samples accumulated so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The sum of two accumulations over the same features and outputs.
    pub fn merged(&self, other: &Gram) -> Gram {
        Gram {
            xtx: &self.xtx + &other.xtx,
            xty: &self.xty + &other.xty,
            rows: self.rows + other.rows,
        }
    }

    /// The readout for regularisation λ; `None` when XᵀX + λI is not positive definite in
    /// floating point (rank-deficient features and λ = 0, or λ below the rounding of the
    /// diagonal).
    pub fn solve(&self, lambda: f64) -> Option<Readout> {
        let f = self.xtx.nrows();
        let mut gram = self.xtx.clone();
        for i in 0..f {
            gram[(i, i)] += lambda;
        }
        let w = gram.llt(Side::Lower).ok()?.solve(&self.xty);
        if (0..w.ncols()).any(|k| (0..f).any(|j| !w[(j, k)].is_finite())) {
            return None;
        }
        Some(Readout {
            weights: (0..w.ncols())
                .map(|k| (0..f).map(|j| w[(j, k)]).collect())
                .collect(),
            lambda,
        })
    }
}

/// Fits a readout of `targets` (samples × outputs) from `features` (samples × features).
/// `None` when the system is singular even with λ (λ = 0 and rank-deficient features).
pub fn fit(features: &[Vec<f64>], targets: &[Vec<f64>], lambda: f64) -> Option<Readout> {
    let mut g = Gram::new(features.first()?.len(), targets.first()?.len());
    g.add(features, targets);
    g.solve(lambda)
}

impl Readout {
    pub fn apply(&self, features: &[f64]) -> Vec<f64> {
        self.weights
            .iter()
            .map(|w| w.iter().zip(features).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// The outputs for many samples at once (one matrix product).
    pub fn apply_all(&self, features: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let (n, o) = (features.len(), self.weights.len());
        let f = self.weights.first().map_or(0, Vec::len);
        let x = Mat::from_fn(n, f, |i, j| features[i][j]);
        let w = Mat::from_fn(f, o, |j, k| self.weights[k][j]);
        let mut y = Mat::<f64>::zeros(n, o);
        // Sequential: a parallel product may split the sum over features across threads, which
        // would make the last bits depend on the thread count.
        matmul(
            y.as_mut(),
            Accum::Replace,
            x.as_ref(),
            w.as_ref(),
            1.0,
            Par::Seq,
        );
        (0..n)
            .map(|i| (0..o).map(|k| y[(i, k)]).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_map_and_shrinks_with_lambda() {
        let xs: Vec<Vec<f64>> = (0..50)
            .map(|i| vec![1.0, i as f64 / 10.0, ((i * 7) % 11) as f64])
            .collect();
        let ys: Vec<Vec<f64>> = xs
            .iter()
            .map(|x| vec![0.5 - 2.0 * x[1] + 0.25 * x[2]])
            .collect();
        let r = fit(&xs, &ys, 0.0).unwrap();
        for (w, want) in r.weights[0].iter().zip([0.5, -2.0, 0.25]) {
            assert!((w - want).abs() < 1e-9, "{w} vs {want}");
        }
        let all = r.apply_all(&xs);
        for (x, y) in xs.iter().zip(&all) {
            assert!((r.apply(x)[0] - y[0]).abs() < 1e-9);
        }
        let shrunk = fit(&xs, &ys, 1e4).unwrap();
        let norm = |w: &[f64]| w.iter().map(|v| v * v).sum::<f64>();
        assert!(norm(&shrunk.weights[0]) < norm(&r.weights[0]));
    }

    #[test]
    fn blocks_add_up_to_the_whole() {
        let xs: Vec<Vec<f64>> = (0..3000)
            .map(|i| vec![1.0, (i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()])
            .collect();
        let ys: Vec<Vec<f64>> = xs.iter().map(|x| vec![x[1] * 3.0 - x[2]]).collect();
        let mut a = Gram::new(3, 1);
        a.add(&xs[..1700], &ys[..1700]);
        let mut b = Gram::new(3, 1);
        b.add(&xs[1700..], &ys[1700..]);
        let whole = fit(&xs, &ys, 1e-3).unwrap();
        let merged = a.merged(&b);
        assert_eq!(merged.rows(), 3000);
        let parts = merged.solve(1e-3).unwrap();
        for (p, w) in parts.weights[0].iter().zip(&whole.weights[0]) {
            assert!((p - w).abs() < 1e-9, "{p} vs {w}");
        }
        // A rank-deficient system without regularisation has no Cholesky factor.
        let flat: Vec<Vec<f64>> = (0..10).map(|_| vec![1.0, 1.0]).collect();
        let t: Vec<Vec<f64>> = (0..10).map(|_| vec![1.0]).collect();
        assert!(fit(&flat, &t, 0.0).is_none());
    }
}

//! Fitting the serving stack to the measured points marked [`Role::Fit`]: the parameters that
//! minimise Σ ln²(predicted/measured) over them, found by Nelder–Mead (Nelder & Mead, Computer
//! Journal 7(4), 1965) on transformed coordinates that keep every fraction in (0, 1) and every
//! time positive, from the stack's current values. Deterministic: the same points give the same
//! parameters.

use crate::measured::{Prepared, Role};
use crate::stack::{PARAMETERS, ServingStack};

/// The range each parameter may take, (low, high): physically possible values only. No kernel
/// streams HBM or fills the tensor cores at their full peak, so the efficiencies stay at or
/// below 0.92 (an assumption: bandwidth tests reach about 90 % of HBM peak); overheads stay
/// between 0.1 µs and 10 ms; the power coefficients between 0 and 5 (the load is clamped to
/// the TDP anyway).
pub const RANGES: [(f64, f64); PARAMETERS.len()] = [
    (0.05, 0.92),  // compute_efficiency
    (0.05, 0.92),  // fp4_compute_efficiency
    (1.0, 4096.0), // gemm_half_rows
    (0.3, 0.92),   // memory_efficiency
    (0.1, 0.92),   // attention_efficiency
    (1e-7, 1e-2),  // step_overhead, s
    (1e-7, 1e-3),  // layer_overhead, s
    (1e-4, 0.999), // power_active
    (1e-3, 5.0),   // power_compute
    (1e-3, 5.0),   // power_memory
];

/// Parameters to unconstrained coordinates: the logit of the position within the range, on a
/// log scale for ranges spanning decades.
fn to_free(p: &[f64; PARAMETERS.len()]) -> [f64; PARAMETERS.len()] {
    let mut x = [0.0; PARAMETERS.len()];
    for i in 0..x.len() {
        let (lo, hi) = scale(i);
        let t = ((scaled(i, p[i]) - lo) / (hi - lo)).clamp(1e-9, 1.0 - 1e-9);
        x[i] = (t / (1.0 - t)).ln();
    }
    x
}

fn from_free(x: &[f64; PARAMETERS.len()]) -> [f64; PARAMETERS.len()] {
    let mut p = [0.0; PARAMETERS.len()];
    for i in 0..p.len() {
        let (lo, hi) = scale(i);
        let v = lo + (hi - lo) / (1.0 + (-x[i]).exp());
        p[i] = if log_scaled(i) { v.exp() } else { v };
    }
    p
}

fn log_scaled(i: usize) -> bool {
    RANGES[i].1 / RANGES[i].0 > 100.0
}

fn scale(i: usize) -> (f64, f64) {
    let (lo, hi) = RANGES[i];
    if log_scaled(i) {
        (lo.ln(), hi.ln())
    } else {
        (lo, hi)
    }
}

fn scaled(i: usize, v: f64) -> f64 {
    if log_scaled(i) { v.ln() } else { v }
}

/// Σ ln²(predicted/measured) over `points` with the stack of parameters `p`; a point the
/// stack cannot serve counts as a factor e³ off.
pub fn loss(points: &[Prepared], p: &[f64; PARAMETERS.len()]) -> f64 {
    let stack = ServingStack::from_parameters(p);
    points
        .iter()
        .map(|pt| match pt.predict(&stack) {
            Ok(x) if x.ratio.is_finite() && x.ratio > 0.0 => x.ratio.ln().powi(2),
            _ => 9.0,
        })
        .sum()
}

/// The outcome of a fit.
#[derive(Debug, Clone, Copy)]
pub struct Fitted {
    pub parameters: [f64; PARAMETERS.len()],
    pub loss: f64,
    pub evaluations: usize,
}

/// Fits the stack to the fit points among `all`, starting from `start`.
pub fn fit(all: &[Prepared], start: &ServingStack) -> Fitted {
    let points: Vec<Prepared> = all
        .iter()
        .filter(|p| p.point.role == Role::Fit)
        .cloned()
        .collect();
    let f = |x: &[f64; PARAMETERS.len()]| loss(&points, &from_free(x));
    // Several starts (the given stack and the middle of every range), each restarted from its
    // end with a fresh simplex until it stops improving: the loss has more than one valley.
    let middle = [0.0; PARAMETERS.len()];
    let mut best: Option<([f64; PARAMETERS.len()], f64)> = None;
    let mut evaluations = 0;
    for x0 in [to_free(&start.parameters()), middle] {
        let mut x = x0;
        let mut value = f64::INFINITY;
        for _ in 0..8 {
            let (nx, nv, n) = nelder_mead(f, x, 1.0, 6000, 1e-12);
            evaluations += n;
            let improved = nv < value - 1e-9;
            x = nx;
            value = nv.min(value);
            if !improved {
                break;
            }
        }
        if best.is_none_or(|b| value < b.1) {
            best = Some((x, value));
        }
    }
    let (x, loss) = best.expect("at least one start");
    Fitted {
        parameters: from_free(&x),
        loss,
        evaluations,
    }
}

/// Minimises `f` from `x0` with an initial simplex of steps `step` along each axis; stops after
/// `max_evals` evaluations or when the simplex's values differ by less than `tol`. Standard
/// coefficients: reflection 1, expansion 2, contraction ½, shrink ½.
pub fn nelder_mead<const N: usize>(
    f: impl Fn(&[f64; N]) -> f64,
    x0: [f64; N],
    step: f64,
    max_evals: usize,
    tol: f64,
) -> ([f64; N], f64, usize) {
    let mut simplex: Vec<([f64; N], f64)> = Vec::with_capacity(N + 1);
    simplex.push((x0, f(&x0)));
    for i in 0..N {
        let mut x = x0;
        x[i] += step;
        simplex.push((x, f(&x)));
    }
    let mut evals = N + 1;
    let combine = |a: &[f64; N], b: &[f64; N], t: f64| -> [f64; N] {
        let mut out = [0.0; N];
        for k in 0..N {
            out[k] = a[k] + t * (b[k] - a[k]);
        }
        out
    };
    while evals < max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        if simplex[N].1 - simplex[0].1 < tol {
            break;
        }
        let mut centroid = [0.0; N];
        for (x, _) in &simplex[..N] {
            for k in 0..N {
                centroid[k] += x[k] / N as f64;
            }
        }
        let worst = simplex[N];
        let reflected = combine(&centroid, &worst.0, -1.0);
        let fr = f(&reflected);
        evals += 1;
        if fr < simplex[0].1 {
            let expanded = combine(&centroid, &worst.0, -2.0);
            let fe = f(&expanded);
            evals += 1;
            simplex[N] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[N - 1].1 {
            simplex[N] = (reflected, fr);
        } else {
            let contracted = if fr < worst.1 {
                combine(&centroid, &reflected, 0.5)
            } else {
                combine(&centroid, &worst.0, 0.5)
            };
            let fc = f(&contracted);
            evals += 1;
            if fc < worst.1.min(fr) {
                simplex[N] = (contracted, fc);
            } else {
                let best = simplex[0].0;
                for item in simplex.iter_mut().skip(1) {
                    let x = combine(&best, &item.0, 0.5);
                    *item = (x, f(&x));
                    evals += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    (simplex[0].0, simplex[0].1, evals)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Rosenbrock function's minimum at (1, 1) (Rosenbrock, Computer Journal 3(3), 1960).
    #[test]
    fn nelder_mead_finds_rosenbrocks_minimum() {
        let f = |x: &[f64; 2]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let (x, v, _) = nelder_mead(f, [-1.2, 1.0], 0.5, 10_000, 1e-16);
        assert!(
            (x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3,
            "{x:?}"
        );
        assert!(v < 1e-7);
    }
}

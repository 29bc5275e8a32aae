//! The loop's activation as a differentiable operation: one slot through the rig's saturable
//! absorber and SOA at steady state ([`lightloop_twin::LoopTwin::node`]), normalised to unit
//! small-signal slope: φ(a) = node(a)/√(T₀G₀), a the in-phase field amplitude in units of
//! √P_unit. φ is odd and compressive: the SOA's gain saturates from G₀ towards 1 as the slot's
//! power grows (the absorber's own saturation is weaker at these powers).
//!
//! The gradient is φ'(a) by a central difference (the SOA's steady state is an implicit
//! equation, G = G₀·exp(−(G − 1)·P/P_sat), with no closed form to differentiate).
//!
//! Networks evaluate φ and φ' from tables on a uniform grid over |a| ≤ 32 (16 385 points, step
//! 1/256) by linear interpolation (error below 1e-5 against the direct evaluation, tested);
//! beyond the grid the end values hold (32 value units is 32²·P_unit, watts of light: no rig
//! operates there).

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, bail, cpu_backend};
use lightloop_twin::LoopTwin;

/// φ of one rig.
#[derive(Debug, Clone)]
pub struct Phi {
    twin: LoopTwin,
    norm: f64,
    table: std::sync::Arc<Table>,
}

/// φ and φ' on the grid a = −LIMIT + k·STEP.
#[derive(Debug)]
struct Table {
    phi: Vec<f64>,
    slope: Vec<f64>,
}

/// Half-width of the tabulated range, value units.
pub const LIMIT: f64 = 32.0;
/// Grid step.
pub const STEP: f64 = 1.0 / 256.0;

impl Phi {
    pub fn new(twin: LoopTwin) -> Self {
        let mut p = Self {
            norm: twin.small_signal_gain().sqrt(),
            twin,
            table: std::sync::Arc::new(Table {
                phi: Vec::new(),
                slope: Vec::new(),
            }),
        };
        let n = (2.0 * LIMIT / STEP).round() as usize + 1;
        let grid = |k: usize| -LIMIT + k as f64 * STEP;
        p.table = std::sync::Arc::new(Table {
            phi: (0..n).map(|k| p.value(grid(k))).collect(),
            slope: (0..n).map(|k| p.slope(grid(k))).collect(),
        });
        p
    }

    /// The grid (a, φ(a), φ'(a)) of the tables.
    pub fn table(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        let t = &self.table;
        (0..t.phi.len()).map(|k| (-LIMIT + k as f64 * STEP, t.phi[k], t.slope[k]))
    }

    /// Linear interpolation in `col` at a (end values beyond the grid).
    #[inline]
    fn lookup(col: &[f64], a: f64) -> f64 {
        let x = ((a + LIMIT) / STEP).clamp(0.0, (col.len() - 1) as f64);
        let k = (x as usize).min(col.len() - 2);
        let f = x - k as f64;
        col[k] + f * (col[k + 1] - col[k])
    }

    /// φ(a) from the table.
    #[inline]
    pub fn value_fast(&self, a: f64) -> f64 {
        Self::lookup(&self.table.phi, a)
    }

    /// φ'(a) from the table.
    #[inline]
    pub fn slope_fast(&self, a: f64) -> f64 {
        Self::lookup(&self.table.slope, a)
    }

    /// φ(a).
    pub fn value(&self, a: f64) -> f64 {
        self.twin.node(a, 0.0, 0.0, 0.0).0 / self.norm
    }

    /// φ'(a), central difference.
    pub fn slope(&self, a: f64) -> f64 {
        let h = 1e-4 * a.abs().max(1.0);
        (self.value(a + h) - self.value(a - h)) / (2.0 * h)
    }

    /// Standard deviation of the in-phase ASE one pass adds, in the normalised units of φ's
    /// output, at the small-signal operating point (the largest gain, so the most ASE).
    pub fn pass_noise_sd(&self) -> f64 {
        (self.twin.node(0.0, 0.0, 0.0, 1.0).0 - self.twin.node(0.0, 0.0, 0.0, 0.0).0) / self.norm
    }

    /// φ applied to a tensor (f32), with its gradient.
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        x.apply_op1(self.clone())
    }

    /// φ' applied to a tensor (no gradient of its own).
    pub fn slope_of(&self, x: &Tensor) -> Result<Tensor> {
        x.apply_op1_no_bwd(&Slope(self.clone()))
    }
}

/// φ' as an operation without a gradient of its own.
struct Slope(Phi);

fn map(name: &str, s: &CpuStorage, l: &Layout, f: impl Fn(f64) -> f64) -> Result<CpuStorage> {
    match s {
        CpuStorage::F32(v) => Ok(CpuStorage::F32(cpu_backend::unary_map(v, l, |x| {
            f(x as f64) as f32
        }))),
        CpuStorage::F64(v) => Ok(CpuStorage::F64(cpu_backend::unary_map(v, l, f))),
        _ => bail!("{name}: f32 or f64 tensors only"),
    }
}

impl CustomOp1 for Phi {
    fn name(&self) -> &'static str {
        "absorber-soa"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        Ok((
            map(self.name(), s, l, |a| self.value_fast(a))?,
            l.shape().clone(),
        ))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad_res.mul(&self.slope_of(arg)?)?))
    }
}

impl CustomOp1 for Slope {
    fn name(&self) -> &'static str {
        "absorber-soa-slope"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        Ok((
            map(self.name(), s, l, |a| self.0.slope_fast(a))?,
            l.shape().clone(),
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// φ of the seed rig, for the networks' tests.
    pub(crate) fn seed_phi() -> Phi {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        Phi::new(LoopTwin::from_rig(&rig, 0.0, 1))
    }

    use seed_phi as phi;

    #[test]
    fn tables_match_the_direct_evaluation() {
        let p = phi();
        for i in 0..20_000 {
            let a = -40.0 + i as f64 * 0.004 + 0.0013;
            let want = p.value(a.clamp(-LIMIT, LIMIT));
            assert!((p.value_fast(a) - want).abs() < 1e-5, "{a}");
            let ws = p.slope(a.clamp(-LIMIT, LIMIT));
            assert!(
                (p.slope_fast(a) - ws).abs() < 1e-3 * ws.abs().max(1e-2),
                "{a}"
            );
        }
    }

    #[test]
    fn unit_slope_at_zero_odd_and_compressive() {
        let p = phi();
        assert!((p.slope(0.0) - 1.0).abs() < 1e-3, "{}", p.slope(0.0));
        for a in [0.1, 0.5, 1.0, 2.0] {
            assert!((p.value(a) + p.value(-a)).abs() < 1e-12);
            assert!(p.value(a) < a, "compressive at {a}: {}", p.value(a));
        }
        assert!(p.slope(1.0) < p.slope(0.1));
    }

    /// The gradient through the custom operation equals φ' (checked against a finite
    /// difference of the forward pass).
    #[test]
    fn gradient_is_the_slope() {
        let p = phi();
        let x = Var::from_vec(vec![-1.5f32, -0.3, 0.0, 0.2, 0.8], 5, &Device::Cpu).unwrap();
        let y = p.apply(x.as_tensor()).unwrap().sum_all().unwrap();
        let g = y.backward().unwrap();
        let grad: Vec<f32> = g.get(&x).unwrap().to_vec1().unwrap();
        for (a, d) in [-1.5f64, -0.3, 0.0, 0.2, 0.8].iter().zip(grad) {
            let fd = (p.value(a + 1e-5) - p.value(a - 1e-5)) / 2e-5;
            assert!((d as f64 - fd).abs() < 1e-3, "{a}: {d} vs {fd}");
        }
    }
}

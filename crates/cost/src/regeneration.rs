//! Whether the loop regenerates its ternary levels: the fixed points of its return map, their
//! stability and basins, and, for a level the loop does not restore, how many passes its drift
//! takes to bring the error rate past a target.
//!
//! The return map a ↦ f(a) carries one value's field amplitude through a pass with the mixing
//! set to the identity (each value sees only its own power): its power κ²a²·P_unit meets the
//! absorber, then the SOA ([`Compression::loop_pass`], the same steady-state transfers as the
//! time-domain engine's), then a fixed trim t chosen so that a = 1 is a fixed point:
//! f(a) = sign(a)·√(t·F(κ²a²·P_unit)/P_unit), F the pass in power, κ² the loop's passive
//! transmission, P_unit the power of a value of 1 at loop entry. The map is odd, so the ternary
//! levels are the amplitudes −1, 0, +1.
//!
//! A fixed point a* = f(a*) attracts when |f′(a*)| < 1 (Strogatz, *Nonlinear Dynamics and
//! Chaos*, 2nd ed., §10.1): small deviations shrink pass by pass and the loop restores the
//! level. Its basin is the interval of starting amplitudes whose orbits converge to it
//! ([`basin`]). A level at a repelling fixed point is not restored: a deviation d₀ grows as
//! d_{k+1} = f(d_k) and the noise added each pass is amplified by the local slope,
//! σ²_{k+1} = f′(d_k)²·σ²_k + σ_a² (the linearised map; Gaussian deviations). The level is
//! decided wrongly when it crosses a threshold midway to a neighbouring level, with probability
//! Q((θ − d_k)/σ) + Q((θ + d_k)/σ) for the zero level (θ = ½, both signs) — so the error rate
//! follows the drift, not the linear growth of the ASE alone ([`drift`]).

use crate::levels::Compression;
use crate::optics::loop_loss_db;
use lightloop_base::stats::q_function;
use lightloop_rig::rig::Rig;
use lightloop_rig::units::db_to_linear;
use serde::Serialize;

/// A fixed point a* = f(a*) of a one-dimensional map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FixedPoint {
    pub amplitude: f64,
    /// f′(a*), by a central difference of step 10⁻⁶·max(1, |a*|).
    pub slope: f64,
    /// |f′(a*)| < 1: deviations shrink pass by pass.
    pub stable: bool,
}

/// The slope of `f` at `a` by a central difference.
pub fn slope(f: &impl Fn(f64) -> f64, a: f64) -> f64 {
    let h = 1e-6 * a.abs().max(1.0);
    (f(a + h) - f(a - h)) / (2.0 * h)
}

/// The fixed points of `f` in [`lo`, `hi`]: sign changes of f(a) − a on `n` equal steps (and
/// exact zeros at the nodes), each refined by 80 bisections. A tangency without a sign change
/// is not found.
pub fn fixed_points(f: &impl Fn(f64) -> f64, lo: f64, hi: f64, n: usize) -> Vec<FixedPoint> {
    let n = n.max(2);
    let node = |i: usize| lo + (hi - lo) * i as f64 / (n - 1) as f64;
    let g = |a: f64| f(a) - a;
    let mut out: Vec<FixedPoint> = Vec::new();
    let mut push = |a: f64| {
        if out
            .last()
            .is_none_or(|p| (p.amplitude - a).abs() > 1e-9 * (hi - lo))
        {
            let s = slope(f, a);
            out.push(FixedPoint {
                amplitude: a,
                slope: s,
                stable: s.abs() < 1.0,
            });
        }
    };
    for i in 0..n - 1 {
        let (a, b) = (node(i), node(i + 1));
        let (ga, gb) = (g(a), g(b));
        if ga == 0.0 {
            push(a);
        } else if ga * gb < 0.0 {
            let (mut l, mut r) = (a, b);
            for _ in 0..80 {
                let m = 0.5 * (l + r);
                if g(l) * g(m) <= 0.0 {
                    r = m;
                } else {
                    l = m;
                }
            }
            push(0.5 * (l + r));
        }
        if i == n - 2 && gb == 0.0 {
            push(b);
        }
    }
    out
}

/// Whether the orbit of `f` from `a` comes within `tol` of `target` within `passes` passes.
fn converges(f: &impl Fn(f64) -> f64, mut a: f64, target: f64, tol: f64, passes: usize) -> bool {
    for _ in 0..passes {
        if (a - target).abs() <= tol {
            return true;
        }
        a = f(a);
        if !a.is_finite() {
            return false;
        }
    }
    (a - target).abs() <= tol
}

/// The basin of the fixed point `a*` within [`lo`, `hi`]: the nodes lo + i·(hi − lo)/n of a grid
/// whose orbits reach within 10⁻⁶ of a* in 10 000 passes, taken outwards from a* on both sides
/// until the first node that does not converge; the interval from the lowest to the highest
/// such node. (`a*`, `a*`) for a repelling fixed point.
pub fn basin(
    f: &impl Fn(f64) -> f64,
    fixed: &FixedPoint,
    lo: f64,
    hi: f64,
    n: usize,
) -> (f64, f64) {
    let a = fixed.amplitude;
    if !fixed.stable {
        return (a, a);
    }
    let n = n.max(1);
    let step = (hi - lo) / n as f64;
    let node = |i: usize| lo + step * i as f64;
    let tol = 1e-6 * a.abs().max(1.0);
    let ok = |i: usize| converges(f, node(i), a, tol, 10_000);
    let at = ((a - lo) / step).clamp(0.0, n as f64);
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    let (mut left, mut right) = (a, a);
    let mut i = below;
    while ok(i) {
        left = left.min(node(i));
        right = right.max(node(i));
        if i == 0 {
            break;
        }
        i -= 1;
    }
    let mut i = above;
    while i <= n && ok(i) {
        left = left.min(node(i));
        right = right.max(node(i));
        i += 1;
    }
    (left, right)
}

/// The return map of a rig's loop (see the module's notes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoopMap {
    pub compression: Compression,
    /// κ²: the loop's passive power transmission with identity mixing.
    pub passive: f64,
    /// Power of a value of 1 at loop entry (laser through the modulator's insertion loss), W.
    pub unit_power: f64,
    /// Power transmission of the trim that puts a fixed point at a = 1 (capped at 1).
    pub trim: f64,
    /// Whether a passive trim can hold a = 1 (the SOA makes up the loop's loss).
    pub holds_unit: bool,
}

impl LoopMap {
    /// The loop of `rig`; `None` without an SOA (the chain's loop amplifier).
    pub fn from_rig(rig: &Rig) -> Option<Self> {
        rig.soa.as_ref()?;
        let compression = Compression::from_rig(rig);
        let passive = db_to_linear(-loop_loss_db(rig));
        let unit_power = rig.laser.power.si() / rig.modulator.insertion_loss.linear();
        Some(Self::new(compression, passive, unit_power))
    }

    /// The map of these parts, with the trim that holds a = 1 where one can.
    pub fn new(compression: Compression, passive: f64, unit_power: f64) -> Self {
        let mut m = Self {
            compression,
            passive,
            unit_power,
            trim: 1.0,
            holds_unit: true,
        };
        let needed = 1.0 / m.untrimmed(1.0).powi(2);
        m.holds_unit = needed <= 1.0;
        m.trim = needed.min(1.0);
        m
    }

    fn untrimmed(&self, a: f64) -> f64 {
        let p = self.passive * a * a * self.unit_power;
        a.signum() * (self.compression.loop_pass(p) / self.unit_power).sqrt()
    }

    /// f(a): the amplitude after one pass.
    pub fn next(&self, a: f64) -> f64 {
        self.trim.sqrt() * self.untrimmed(a)
    }
}

/// What one pass does to a ternary level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelFate {
    /// The level: −1, 0 or +1 (amplitude).
    pub level: i8,
    /// The fixed point the level sits on (the nearest within 0.05), if any.
    pub fixed_point: Option<FixedPoint>,
    /// Whether the loop restores the level (it sits on an attracting fixed point).
    pub restored: bool,
    /// The starting amplitudes that converge to the level's fixed point (the point itself when
    /// it repels; none when the level is not a fixed point).
    pub basin: Option<(f64, f64)>,
}

/// The drift of a level the loop does not restore, pass by pass (see the module's notes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// d_k: the level's mean amplitude after k passes, k = 0, 1, … (up to the pass where the
    /// error rate passes the target, or the last pass iterated).
    pub mean: Vec<f64>,
    /// σ_k: its accumulated amplitude noise (the readout's own noise included).
    pub sigma: Vec<f64>,
    /// The error rate of the level after k passes.
    pub error_rate: Vec<f64>,
    /// The first pass whose error rate exceeds the target (None within the passes iterated).
    pub passes_to_target: Option<usize>,
    /// The first pass at which the mean reaches the threshold (None within the passes iterated).
    pub passes_to_threshold: Option<usize>,
}

/// Iterates the zero level's drift under `f` from amplitude `start`: d_{k+1} = f(d_k),
/// σ²_{k+1} = f′(d_k)²·σ²_k + σ_pass² from σ₀ = 0, the error rate after k passes
/// Q((θ − d_k)/σ) + Q((θ + d_k)/σ) with σ² = σ²_k + σ_read² (θ the threshold), until it exceeds
/// `target` or `max_passes` passes have been iterated, or the mean and σ have settled (a change
/// below 10⁻¹² in a pass).
pub fn drift(
    f: &impl Fn(f64) -> f64,
    start: f64,
    threshold: f64,
    sigma_pass: f64,
    sigma_read: f64,
    target: f64,
    max_passes: usize,
) -> Drift {
    iterate(
        f,
        start,
        (sigma_pass, sigma_read),
        target,
        max_passes,
        |d, s| q_function((threshold - d.abs()) / s) + q_function((threshold + d.abs()) / s),
        |d| d.abs() >= threshold,
    )
}

/// As [`drift`] for the +1 level (−1 by symmetry), which has one threshold below it: the error
/// rate after k passes is Q((d_k − θ)/σ), and the mean reaches the threshold when d_k ≤ θ.
pub fn drift_of_one(
    f: &impl Fn(f64) -> f64,
    start: f64,
    threshold: f64,
    sigma_pass: f64,
    sigma_read: f64,
    target: f64,
    max_passes: usize,
) -> Drift {
    iterate(
        f,
        start,
        (sigma_pass, sigma_read),
        target,
        max_passes,
        |d, s| q_function((d - threshold) / s),
        |d| d <= threshold,
    )
}

/// The iteration of [`drift`] and [`drift_of_one`]: `rate(d, σ)` the error rate of a level of
/// mean d and total σ, `crossed(d)` whether the mean has reached the threshold.
fn iterate(
    f: &impl Fn(f64) -> f64,
    start: f64,
    (sigma_pass, sigma_read): (f64, f64),
    target: f64,
    max_passes: usize,
    rate: impl Fn(f64, f64) -> f64,
    crossed: impl Fn(f64) -> bool,
) -> Drift {
    let total = |s2: f64| (s2 + sigma_read * sigma_read).sqrt();
    let at = |d: f64, s2: f64| rate(d, total(s2).max(f64::MIN_POSITIVE));
    let (mut d, mut s2) = (start, 0.0f64);
    let mut out = Drift {
        mean: vec![d],
        sigma: vec![total(s2)],
        error_rate: vec![at(d, s2)],
        passes_to_target: None,
        passes_to_threshold: crossed(d).then_some(0),
    };
    for k in 1..=max_passes {
        let k_slope = slope(f, d);
        let next_s2 = k_slope * k_slope * s2 + sigma_pass * sigma_pass;
        let next_d = f(d);
        let settled = (next_d - d).abs() < 1e-12 && (next_s2.sqrt() - s2.sqrt()).abs() < 1e-12;
        (d, s2) = (next_d, next_s2);
        let p = at(d, s2);
        out.mean.push(d);
        out.sigma.push(total(s2));
        out.error_rate.push(p);
        if out.passes_to_threshold.is_none() && crossed(d) {
            out.passes_to_threshold = Some(k);
        }
        if p > target {
            out.passes_to_target = Some(k);
            break;
        }
        if settled {
            break;
        }
    }
    out
}

/// The loop's regeneration of its ternary levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regeneration {
    pub map: LoopMap,
    /// Every fixed point on a ∈ [0, 2] (the map is odd: −a* is one too).
    pub fixed_points: Vec<FixedPoint>,
    /// The levels −1, 0, +1.
    pub levels: [LevelFate; 3],
    /// Where the zero level starts: the modulator's extinction floor in amplitude, ER^(−½).
    pub zero_start: f64,
    /// Amplitude noise one pass adds, relative to a value of 1: σ_a = √(S·B_e/P), the in-phase
    /// ASE over the unit level's power (from the budget's signal–ASE term per pass,
    /// σ_a = σ_sig-ASE/(2·I_sig) since I ∝ a²).
    pub sigma_pass: f64,
    /// The readout's other noise in the same units, √V₀/(2·I_sig).
    pub sigma_read: f64,
    pub target_error_rate: f64,
    /// The zero level's drift when the loop does not restore it, from `zero_start`.
    pub zero_drift: Option<Drift>,
    /// The same from exactly 0 (an ideal modulator, as the time-domain loop enters values):
    /// only the noise grows.
    pub zero_drift_ideal: Option<Drift>,
    /// The +1 level's drift from 1 when the loop does not restore it (−1 mirrors it).
    pub one_drift: Option<Drift>,
}

/// At most this many passes are iterated for a drift.
pub const MAX_DRIFT_PASSES: usize = 100_000;

impl Regeneration {
    /// The regeneration of `rig`'s loop, with per-pass noise σ_a and readout noise σ_read
    /// (amplitude, relative to a value of 1) and a target error rate for the zero level's drift.
    /// `None` for a rig without an SOA.
    pub fn of_rig(rig: &Rig, sigma_pass: f64, sigma_read: f64, target: f64) -> Option<Self> {
        let map = LoopMap::from_rig(rig)?;
        let zero_start = (1.0 / rig.modulator.extinction_ratio.linear()).sqrt();
        Some(Self::of_map(
            map, zero_start, sigma_pass, sigma_read, target,
        ))
    }

    pub fn of_map(
        map: LoopMap,
        zero_start: f64,
        sigma_pass: f64,
        sigma_read: f64,
        target: f64,
    ) -> Self {
        let f = |a: f64| map.next(a);
        let (lo, hi, n) = (0.0, 2.0, 400);
        let fixed_points = fixed_points(&f, lo, hi, n);
        let fate = |level: i8| {
            let a = level.unsigned_abs() as f64;
            let fp = fixed_points
                .iter()
                .filter(|p| (p.amplitude - a).abs() < 0.05)
                .min_by(|x, y| (x.amplitude - a).abs().total_cmp(&(y.amplitude - a).abs()))
                .copied();
            let sign = if level < 0 { -1.0 } else { 1.0 };
            let (restored, basin) = match &fp {
                Some(p) => {
                    let (l, r) = basin(&f, p, lo, hi, n);
                    // The map is odd: −1's basin mirrors +1's; zero's spans both signs.
                    let b = match level {
                        0 => (-r, r),
                        1 => (l, r),
                        _ => (-r, -l),
                    };
                    (p.stable, Some(b))
                }
                None => (false, None),
            };
            LevelFate {
                level,
                fixed_point: fp.map(|p| FixedPoint {
                    amplitude: sign * p.amplitude,
                    ..p
                }),
                restored,
                basin,
            }
        };
        let levels = [fate(-1), fate(0), fate(1)];
        let from = |start: f64| {
            (!levels[1].restored).then(|| {
                drift(
                    &f,
                    start,
                    0.5,
                    sigma_pass,
                    sigma_read,
                    target,
                    MAX_DRIFT_PASSES,
                )
            })
        };
        let (zero_drift, zero_drift_ideal) = (from(zero_start), from(0.0));
        let one_drift = (!levels[2].restored).then(|| {
            drift_of_one(
                &f,
                1.0,
                0.5,
                sigma_pass,
                sigma_read,
                target,
                MAX_DRIFT_PASSES,
            )
        });
        Self {
            map,
            fixed_points,
            levels,
            zero_start,
            sigma_pass,
            sigma_read,
            target_error_rate: target,
            zero_drift,
            zero_drift_ideal,
            one_drift,
        }
    }

    /// The passes until the error rate passes the target from the drift of an unrestored level
    /// (zero from the extinction floor, or ±1), the fewer of the two: `None` when the loop
    /// restores every level or the drifts stay below the target.
    pub fn passes_to_target(&self) -> Option<usize> {
        [&self.zero_drift, &self.one_drift]
            .into_iter()
            .filter_map(|d| d.as_ref().and_then(|d| d.passes_to_target))
            .min()
    }

    /// The regeneration in words.
    pub fn words(&self) -> String {
        let z = &self.levels[1];
        let one = &self.levels[2];
        let mut s = String::new();
        match (&z.fixed_point, z.restored) {
            (Some(p), true) => {
                let (l, r) = z.basin.unwrap_or((0.0, 0.0));
                s.push_str(&format!(
                    "the loop restores zero (slope {:.2} at 0; basin {l:.2} to {r:.2})",
                    p.slope
                ))
            }
            (Some(p), false) => s.push_str(&format!(
                "the loop does not restore zero: slope {:.2} at 0",
                p.slope
            )),
            (None, _) => s.push_str("zero is not a fixed point of the loop"),
        }
        match (&one.fixed_point, one.restored) {
            (Some(p), true) => {
                let (l, r) = one.basin.unwrap_or((1.0, 1.0));
                s.push_str(&format!(
                    "; it restores ±1 (slope {:.2} at ±1; basin of +1 {l:.2} to {r:.2} of the amplitudes 0 to 2 scanned)",
                    p.slope
                ))
            }
            (Some(p), false) => s.push_str(&format!(
                "; it does not restore ±1 (slope {:.2} at ±1)",
                p.slope
            )),
            (None, _) => {
                s.push_str("; ±1 is not a fixed point (the SOA cannot make up the loop's loss)")
            }
        }
        if let Some(d) = &self.zero_drift {
            match d.passes_to_threshold {
                Some(k) => s.push_str(&format!(
                    "; the zero level, entering at the modulator's extinction floor (amplitude {:.3}), reaches the decision threshold (½) after {k} passes",
                    self.zero_start
                )),
                None => s.push_str(&format!(
                    "; the zero level, entering at amplitude {:.3}, stays short of the decision threshold",
                    self.zero_start
                )),
            }
            match d.passes_to_target {
                Some(k) => s.push_str(&format!(
                    ", and its error rate passes {:.0e} after {k}",
                    self.target_error_rate
                )),
                None => s.push_str(&format!(
                    ", and its error rate stays below {:.0e} over {} passes",
                    self.target_error_rate,
                    d.mean.len() - 1
                )),
            }
            if let Some(k) = self
                .zero_drift_ideal
                .as_ref()
                .and_then(|d| d.passes_to_target)
            {
                s.push_str(&format!(
                    " (entering at exactly 0, only the noise grows: {k} passes)"
                ));
            }
        }
        if let Some(d) = &self.one_drift {
            match (d.passes_to_threshold, d.passes_to_target) {
                (Some(k), Some(t)) => s.push_str(&format!(
                    "; the ±1 levels fall to the decision threshold (½) after {k} passes, and their error rate passes {:.0e} after {t}",
                    self.target_error_rate
                )),
                (None, Some(t)) => s.push_str(&format!(
                    "; the ±1 levels' error rate passes {:.0e} after {t} passes",
                    self.target_error_rate
                )),
                (_, None) => s.push_str(&format!(
                    "; the ±1 levels' error rate stays below {:.0e} over {} passes",
                    self.target_error_rate,
                    d.mean.len() - 1
                )),
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f(a) = tanh(βa), β = 2: fixed points 0 (slope β, repelling) and a* = tanh(β·a*)
    /// (a* = 0.957 50…, slope β·(1 − a*²) = 0.1664), whose basin is every a > 0.
    #[test]
    fn tanh_map_fixed_points_and_basins() {
        let beta = 2.0;
        let f = |a: f64| (beta * a).tanh();
        let fps = fixed_points(&f, 0.0, 2.0, 200);
        assert_eq!(fps.len(), 2, "{fps:?}");
        assert_eq!(fps[0].amplitude, 0.0);
        assert!((fps[0].slope - beta).abs() < 1e-9 && !fps[0].stable);
        // a* by Newton on tanh(βa) − a.
        let mut a = 1.0f64;
        for _ in 0..50 {
            a -= ((beta * a).tanh() - a) / (beta * (1.0 - (beta * a).tanh().powi(2)) - 1.0);
        }
        assert!(
            (fps[1].amplitude - a).abs() < 1e-12,
            "{} vs {a}",
            fps[1].amplitude
        );
        assert!((fps[1].slope - beta * (1.0 - a * a)).abs() < 1e-8);
        assert!(fps[1].stable);
        let (l, r) = basin(&f, &fps[1], 0.0, 2.0, 200);
        assert!((l - 0.01).abs() < 1e-9 && (r - 2.0).abs() < 1e-9, "{l} {r}");
        assert_eq!(basin(&f, &fps[0], 0.0, 2.0, 200), (0.0, 0.0));
    }

    /// f(a) = (3a − a³)/2: fixed points 0 (slope 3/2) and 1 (slope 0); on a ≥ 0 the orbits from
    /// (0, √3) go to 1 (f maps (1, √3) into (0, 1)), √3 goes to 0 and beyond it to −1.
    #[test]
    fn cubic_map_basin_ends_at_root_three() {
        let f = |a: f64| (3.0 * a - a * a * a) / 2.0;
        let fps = fixed_points(&f, 0.0, 2.0, 400);
        let one = fps
            .iter()
            .find(|p| (p.amplitude - 1.0).abs() < 1e-9)
            .unwrap();
        assert!(one.slope.abs() < 1e-8 && one.stable);
        let zero = fps.iter().find(|p| p.amplitude == 0.0).unwrap();
        assert!((zero.slope - 1.5).abs() < 1e-8 && !zero.stable);
        let (l, r) = basin(&f, one, 0.0, 2.0, 400);
        // Grid of 0.005: the last converging node below √3 = 1.7320…, the first above 0.
        assert!((r - 1.730).abs() < 1e-9, "{r}");
        assert!((l - 0.005).abs() < 1e-9, "{l}");
    }

    /// The drift of a linear map f(a) = s·a by hand: d_k = s^k·d₀,
    /// σ²_k = σ_a²·(s^(2k) − 1)/(s² − 1); with s = 1.2, d₀ = 0.1, σ_a = 0.01, no readout noise:
    /// d = 0.1, 0.12, 0.144, 0.1728, 0.20736, 0.248832, 0.2985984, 0.35831808, 0.429981696,
    /// 0.5159780352; the mean reaches ½ at pass 9.
    #[test]
    fn drift_of_a_linear_map_by_hand() {
        let s = 1.2;
        let f = |a: f64| s * a;
        let d = drift(&f, 0.1, 0.5, 0.01, 0.0, 1e-3, 1000);
        let hand = [
            0.1, 0.12, 0.144, 0.1728, 0.20736, 0.248832, 0.2985984, 0.35831808,
        ];
        for (k, h) in hand.iter().enumerate() {
            assert!((d.mean[k] - h).abs() < 1e-12, "pass {k}: {}", d.mean[k]);
            let var = 0.01f64.powi(2) * (s.powi(2 * k as i32) - 1.0) / (s * s - 1.0);
            assert!((d.sigma[k] - var.sqrt()).abs() < 1e-9, "pass {k}");
        }
        // Error rate after k passes: Q((½ − d_k)/σ_k) + Q((½ + d_k)/σ_k); the first above 10⁻³.
        let first = (1..30)
            .find(|&k| {
                let dk = 0.1 * s.powi(k);
                let sk = (0.01f64.powi(2) * (s.powi(2 * k) - 1.0) / (s * s - 1.0)).sqrt();
                q_function((0.5 - dk) / sk) + q_function((0.5 + dk) / sk) > 1e-3
            })
            .unwrap();
        assert_eq!(d.passes_to_target, Some(first as usize));
        // By hand: at k = 6, d = 0.2986, σ = 0.01·√((1.2¹² − 1)/0.44) = 0.0424: Q(4.75) = 1.0e-6;
        // at k = 7, d = 0.3583, σ = 0.01·√((1.2¹⁴ − 1)/0.44) = 0.0519: Q(2.73) = 3.2e-3.
        assert_eq!(first, 7);
        // The mean crosses ½ only after the target is passed (the drift stops there).
        assert_eq!(d.passes_to_threshold, None);
        let d2 = drift(&f, 0.1, 0.5, 0.0, 1e-9, 1e-300, 100);
        assert_eq!(d2.passes_to_threshold, Some(9));
    }

    /// A decaying top level, f(a) = 0.9·a from 1: d_k = 0.9^k falls to ½ at pass 7
    /// (0.9⁶ = 0.5314, 0.9⁷ = 0.4783). With readout noise σ = 0.01 alone the error rate
    /// Q((d − ½)/σ) is Q(3.14) = 8.4·10⁻⁴ at pass 6, below 10⁻³, and Q(−2.17) = 0.985 at pass 7.
    #[test]
    fn a_decaying_top_level_by_hand() {
        let f = |a: f64| 0.9 * a;
        let d = drift_of_one(&f, 1.0, 0.5, 0.0, 0.01, 1e-3, 100);
        assert_eq!(d.passes_to_threshold, Some(7));
        assert_eq!(d.passes_to_target, Some(7));
        assert!((d.error_rate[6] - q_function((0.9f64.powi(6) - 0.5) / 0.01)).abs() < 1e-15);
        assert!(d.error_rate[6] < 1e-3 && d.error_rate[7] > 0.5);
    }

    /// A contracting map settles: the mean goes to 0 and σ² to σ_a²/(1 − s²); no pass passes a
    /// target above that rate.
    #[test]
    fn a_restored_level_settles() {
        let f = |a: f64| 0.5 * a;
        let d = drift(&f, 0.1, 0.5, 0.01, 0.0, 1e-6, 100_000);
        assert_eq!(d.passes_to_target, None);
        let last = *d.sigma.last().unwrap();
        assert!(
            (last - 0.01 / (1.0f64 - 0.25).sqrt()).abs() < 1e-9,
            "{last}"
        );
        assert!(d.mean.len() < 200);
    }

    #[test]
    fn the_seed_loop_does_not_restore_zero() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let r = Regeneration::of_rig(&rig, 1e-3, 1e-3, 1e-6).unwrap();
        let z = &r.levels[1];
        assert!(!z.restored);
        let s0 = z.fixed_point.unwrap().slope;
        // The same as the engine's return map (test plan: 1.180 at 0, 0.754 at 1).
        assert!((s0 - 1.18).abs() < 0.005, "{s0}");
        let one = &r.levels[2];
        assert!(one.restored);
        assert!((one.fixed_point.unwrap().slope - 0.754).abs() < 0.005);
        let (l, h) = one.basin.unwrap();
        assert!(l > 0.0 && l < 0.01 && h >= 1.99, "{:?}", one.basin);
        assert_eq!(r.levels[0].basin, Some((-h, -l)));
        let d = r.zero_drift.as_ref().unwrap();
        let k = d.passes_to_target.unwrap();
        assert!(k > 1 && k < 30, "{k}");
        assert!(r.words().contains("does not restore zero"));
    }
}

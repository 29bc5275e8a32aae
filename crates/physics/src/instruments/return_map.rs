//! The loop's return map: how one value's amplitude after a pass depends on its amplitude
//! before it, a ↦ f(a), with the mixing set to the identity so that each value sees only its
//! own power.
//!
//! Per pass the value's power κ²a²·P_unit (κ the passive mesh's amplitude scale, P_unit the
//! power of a value of 1) goes through the absorber, T_SA(P) = 1 − α_s/(1 + P/P_sat) − α_ns, and
//! the SOA's saturated gain G = G₀·exp(−(G − 1)·P/P_sat) (docs/references.md), then a fixed trim t
//! chosen so that a = 1 is a fixed point: f(a) = √(t·G·T_SA·κ²a²·P_unit / P_unit) (the cost
//! model's `regeneration::LoopMap`, which also finds basins and drifts, on the same transfers
//! of `levels::Compression`). These are the
//! parts' steady-state (fast) transfers, valid when the slot is long against the absorber's
//! recovery and the SOA's carrier lifetime; the time-domain loop keeps their dynamics.
//!
//! A slope |f′| < 1 at a fixed point makes it attracting (contraction); an absorber makes the
//! small-signal slope low and the map bistable, which is the loop's ternary decision. Where the
//! SOA alone cannot make up the loop's loss (t would exceed 1) no such fixed point exists and the
//! map says so. The fraction of states with slope > 1 is measured on noisy runs of the
//! time-domain loop with that fixed trim.

use super::count::ErrorCount;
use crate::analog_loop::{AnalogLoop, Mixing, Trim};
use crate::chain::SimSettings;
use crate::rng::{stream, uniform};
use lightloop_cost::levels::Compression;
use lightloop_cost::optics::mesh_amplitude;
use lightloop_cost::regeneration::LoopMap;
use lightloop_rig::Rig;
use serde::Serialize;

/// One point of the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MapPoint {
    pub amplitude: f64,
    pub next: f64,
    pub slope: f64,
}

/// A fixed point a* = f(a*).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FixedPoint {
    pub amplitude: f64,
    pub slope: f64,
    /// |slope| < 1.
    pub stable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnMap {
    /// Power transmission of the trim that puts a fixed point at a = 1 (≤ 1 when one exists).
    pub trim: f64,
    /// Whether a passive trim can hold a = 1 (the SOA makes up the loop's loss).
    pub holds_unit: bool,
    pub points: Vec<MapPoint>,
    pub fixed_points: Vec<FixedPoint>,
    /// f′(0): the small-signal loop gain in amplitude.
    pub small_signal_slope: f64,
    /// States visited by noisy time-domain runs whose local slope exceeds 1, out of all visited.
    pub slope_above_one: ErrorCount,
    /// Passes and trials of those runs.
    pub runs: (usize, usize),
}

/// The map of `rig` over |a| ∈ [0, `max_amplitude`] at `n` points, and `trials` noisy runs of
/// `passes` passes of a one-channel loop of `slots` values to measure how often the slope
/// exceeds 1.
pub fn measure(
    rig: &Rig,
    sim: &SimSettings,
    max_amplitude: f64,
    n: usize,
    (slots, passes, trials): (usize, usize, usize),
) -> ReturnMap {
    let p_unit = rig.laser.power.si() / rig.modulator.insertion_loss.linear();
    let identity = Mixing::identity(slots);
    let k2 = mesh_amplitude(rig, &identity.weights, slots).powi(2);
    // The cost model's loop map: the same steady-state transfers, the same trim.
    let map = LoopMap::new(Compression::from_rig(rig), k2, p_unit);
    let (holds_unit, trim) = (map.holds_unit, map.trim);
    let f = |a: f64| map.next(a);
    let h = 1e-5 * max_amplitude.max(1e-9);
    let slope = |a: f64| {
        let lo = (a - h).max(0.0);
        (f(a + h) - f(lo)) / (a + h - lo)
    };
    let points: Vec<MapPoint> = (0..n)
        .map(|i| {
            let a = max_amplitude * i as f64 / (n - 1).max(1) as f64;
            MapPoint {
                amplitude: a,
                next: f(a),
                slope: slope(a),
            }
        })
        .collect();
    let mut fixed_points = Vec::new();
    for w in points.windows(2) {
        let (g0, g1) = (w[0].next - w[0].amplitude, w[1].next - w[1].amplitude);
        if w[0].amplitude == 0.0 && g0 == 0.0 {
            fixed_points.push(fixed(0.0, slope(0.0)));
        }
        if g0 * g1 < 0.0 || (g1 == 0.0 && w[1].amplitude > 0.0) {
            // Bisection for the crossing.
            let (mut lo, mut hi) = (w[0].amplitude, w[1].amplitude);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if (f(lo) - lo) * (f(mid) - mid) <= 0.0 {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let a = 0.5 * (lo + hi);
            fixed_points.push(fixed(a, slope(a)));
        }
    }

    // Noisy runs of the time-domain loop with that trim.
    let mut l = AnalogLoop::from_rig(rig, identity, 1, slots, 1e-3, sim.seed, 0);
    l.trim = Trim::Fixed(trim);
    let (mut above, mut visited) = (0u64, 0u64);
    for t in 0..trials as u64 {
        l.reset(rig, sim.seed, t);
        let mut rng = stream(sim.seed, "bench.return-map", 0, t);
        let x: Vec<f64> = (0..slots)
            .map(|_| max_amplitude.min(1.5) * (2.0 * uniform(&mut rng) - 1.0))
            .collect();
        let (readouts, _) = l.run(&x, passes);
        for r in readouts.iter().flatten() {
            visited += 1;
            above += (slope(r.abs()).abs() > 1.0) as u64;
        }
    }
    ReturnMap {
        trim,
        holds_unit,
        small_signal_slope: slope(0.0),
        points,
        fixed_points,
        slope_above_one: ErrorCount::new(above, visited),
        runs: (passes, trials),
    }
}

fn fixed(amplitude: f64, slope: f64) -> FixedPoint {
    FixedPoint {
        amplitude,
        slope,
        stable: slope.abs() < 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trim_puts_a_fixed_point_at_one() {
        let rig = lightloop_rig::load_rig("seed-16ch", &["soa.small_signal_gain=\"30 dB\"".into()])
            .unwrap()
            .value;
        let m = measure(&rig, &SimSettings::default(), 2.0, 201, (16, 4, 2));
        assert!(m.holds_unit, "trim {}", m.trim);
        let one = m
            .fixed_points
            .iter()
            .find(|p| (p.amplitude - 1.0).abs() < 1e-6)
            .unwrap_or_else(|| panic!("{:?}", m.fixed_points));
        // Gain saturation makes the slope at the operating point < 1: the loop contracts there.
        assert!(one.stable && one.slope > 0.0, "{one:?}");
        // f(0) = 0 is always a fixed point of a map without offset.
        assert!(m.points[0].next.abs() < 1e-12);
        assert_eq!(m.slope_above_one.trials, 16 * 4 * 2);
    }
}

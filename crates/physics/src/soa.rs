//! Semiconductor optical amplifier with carrier dynamics.
//!
//! The integrated gain h = ln G follows the Agrawal–Olsson rate equation (IEEE JQE 25(11), 1989;
//! docs/references.md): dh/dt = (h₀ − h)/τ_c − (eʰ − 1)·P_in/E_sat, E_sat = P_sat·τ_c. Over each
//! sample the gain relaxes under the sample's input power towards that power's steady state
//! G = G₀·exp(−(G − 1)·P_in/P_sat) (tabulated by Lambert's W and polished by a Newton step, see
//! `steady_states_generic`), by one step of
//! the rate equation with its right-hand side replaced by a quadratic about the steady state,
//! integrated exactly (see `Soa::relax`); the sample is amplified by the relaxed gain. The step
//! is exact for pure recovery and in the steady state, and holds the gain to a fine-step
//! Runge–Kutta reference within 5·10⁻⁶ at the seed's 0.75 ns samples and 10⁻³ at 10 ps samples
//! (tests below), so a gain that recovers within a slot keeps no numerical memory of the
//! previous one. Gain saturation by the amplifier's own ASE and the linewidth-enhancement chirp
//! are not modelled. ASE: see [`crate::ase`].

use crate::ase::Ase;
use crate::gaussian::fill_normals;
use crate::rng::Rng;
use crate::signal::{Clock, Light};
use crate::speculative::{self, Recurrence};
use crate::stage::Stage;
use lightloop_cost::noise::spontaneous_emission_factor;
use lightloop_cost::{Item, Ledger};
use lightloop_rig::Rig;
use lightloop_rig::constants::photon_energy;

/// Segments the SOA's gain runs in at once (see [`Soa::gains`]): two AVX-512 registers of
/// chains per step, so that one's operations fill the other's waits (16 measured 4 % faster
/// than 8 in `bench physics`, 32 slower). At most 32: a step keeps one bit per lane in a `u32`
/// ([`Soa::relax_lanes`]).
const LANES: usize = 16;
const _: () = assert!(LANES <= 32);

#[derive(Debug, Clone)]
pub struct Soa {
    h: f64,
    h0: f64,
    tau: f64,
    e_sat: f64,
    dt: f64,
    ase: Ase,
    /// A trim in [0, 1] on the output power (a variable attenuator after the SOA), set by a loop
    /// controller to hold the net gain at unity.
    pub trim: f64,
    drive_power: f64,
    tec_power: f64,
    /// The steady states of this amplifier's h₀, tabulated (see [`Steady`]).
    steady: Steady,
    /// Per sample of the block being processed: the input power P_in, then the steady state's
    /// integrated gain, its eˣ and the relaxation factor e^(−k·Δt) (see [`Soa::relax`]).
    scratch: Scratch,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    p: Vec<f64>,
    /// Per sample, P_in/E_sat: the rate equation's saturation per unit gain (computed with
    /// the steady states, out of the recurrence's chain).
    a: Vec<f64>,
    h_ss: Vec<f64>,
    g_ss: Vec<f64>,
    decay: Vec<f64>,
    /// Per sample, the integrated gain and its eʰ at the sample's end (the recurrence's
    /// output; see [`Soa::recurrence`]).
    h_end: Vec<f64>,
    gain: Vec<f64>,
    /// A second buffer for rearranging the block into lane order and back (see
    /// [`Soa::gains`]).
    other: Vec<f64>,
    /// Standard normal deviates for the ASE (in-phase, then quadrature).
    noise: Vec<f64>,
}

impl Soa {
    /// An SOA from the rig's `[soa]` section; `None` when the rig has none.
    pub fn from_rig(rig: &Rig, clock: &Clock) -> Option<Self> {
        let s = rig.soa.as_ref()?;
        let g0 = s.small_signal_gain.linear();
        let nsp = spontaneous_emission_factor(s.noise_figure.linear(), g0);
        let hv = photon_energy(rig.topology.wavelength.si());
        Some(Self {
            h: g0.ln(),
            h0: g0.ln(),
            tau: s.carrier_lifetime.si(),
            e_sat: s.saturation_power.si() * s.carrier_lifetime.si(),
            dt: clock.dt(),
            ase: Ase::new(
                nsp,
                hv,
                clock.rate(),
                rig.passives.optical_filter_bandwidth.si(),
            ),
            trim: 1.0,
            drive_power: s.electrical_power.si(),
            tec_power: s.tec_power.si(),
            steady: Steady::new(
                g0.ln(),
                1.0 / s.saturation_power.si(),
                clock.dt() / s.carrier_lifetime.si(),
                s.saturation_power.si() * s.carrier_lifetime.si(),
            ),
            scratch: Scratch::default(),
        })
    }

    /// Current gain G = eʰ.
    pub fn gain(&self) -> f64 {
        self.h.exp()
    }
    pub fn small_signal_gain(&self) -> f64 {
        self.h0.exp()
    }
    pub fn saturation_power(&self) -> f64 {
        self.e_sat / self.tau
    }
    pub fn ase(&self) -> &Ase {
        &self.ase
    }

    /// The steady states, relaxation factors and P_in/E_sat of the samples whose input powers
    /// are in `scratch.p` (see [`steady_states_generic`]): passes compiled for AVX2 as well and run
    /// so when the processor has it (the same operations in the same order, so the same
    /// numbers).
    fn steady_states(&self, sc: &mut Scratch) {
        let n = sc.p.len();
        // Every entry is written by the passes: no need to clear.
        for v in [&mut sc.h_ss, &mut sc.g_ss, &mut sc.decay, &mut sc.a] {
            v.resize(n, 0.0);
        }
        lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { steady_states_avx512(&self.steady, sc) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { steady_states_avx2(&self.steady, sc) },
            steady_states_generic(&self.steady, sc)
        )
    }

    /// Relaxes the integrated gain over one sample of constant input power P_in
    /// (`a` = P_in/E_sat) towards its steady state (h_ss, G_ss), from h with G = eʰ = `g`;
    /// returns the new (h, eʰ).
    ///
    /// With y = h − h_ss the rate equation reads dy/dt = F(h_ss + y). F is replaced by the
    /// quadratic −k·y + c·y² that has F's slope −k = −(1/τ_c + G_ss·p/E_sat) at the steady state
    /// and F's value at the start; that Riccati equation integrates exactly:
    /// y(Δt) = y₀·E / (E + r·(1 − E)), with E = e^(−k·Δt) and r = −F(h)/(k·y₀) > 0. The step is
    /// exact when F is linear (no input: pure recovery with τ_c), exact in the steady state, first-
    /// order exact at small Δt, and settles to the sample's own steady state when Δt ≫ 1/k, so a
    /// single step per sample serves any sample length (the stiff seed rig has k·Δt ≈ 16).
    ///
    /// Where r is far from 1 (|r − 1| ≥ [`ONE_STEP_BELOW`]) F is far from that quadratic over
    /// the path, and unless the sample is stiff enough to end at its steady state anyway
    /// (E·|y₀| < 10⁻¹⁰) it is split into ⌊|ln r|·[`PARTS_PER_LN_R`]⌋ + 1 parts, each a
    /// second-order step ([`corrected_step`]).
    ///
    /// `e` is E, computed with the steady state.
    #[inline(always)]
    fn relax(&self, h: f64, g: f64, a: f64, h_ss: f64, g_ss: f64, e: f64) -> (f64, f64) {
        let y0 = h - h_ss;
        if y0.abs() < 1e-12 {
            // `one_step`'s first case as a branch: faster where the chain runs one sample
            // after another (12.7 against 13.2 M samples/s in `bench physics`), though almost
            // no sample with noise on takes it.
            return (h_ss + y0 * e, exp_step(g_ss, y0 * e));
        }
        let (y, done) = self.one_step(h, g, a, h_ss, g_ss, e);
        if done {
            return (h_ss + y, exp_step(g_ss, y));
        }
        self.split(h, g, a, h_ss, g_ss)
    }

    /// [`Soa::relax`] of a sample that one step does not serve: split into parts (1.4 % of the
    /// samples in `bench physics`, into 2 parts on average).
    #[inline(always)]
    fn split(&self, h: f64, g: f64, a: f64, h_ss: f64, g_ss: f64) -> (f64, f64) {
        let y0 = h - h_ss;
        let inv_tau = 1.0 / self.tau;
        let k = inv_tau + g_ss * a;
        let rate_at = |h: f64, g: f64| ((self.h0 - h) * inv_tau + a) - g * a;
        let rate = rate_at(h, g);
        let ky0 = k * y0;
        // ⌊|ln r|·PARTS_PER_LN_R⌋ + 1 parts (r > 0: F and y₀ have opposite signs).
        let want = crate::fastmath::ln(-rate / ky0).abs() * PARTS_PER_LN_R;
        let parts = (want as usize + 1).min(64);
        let e_part = crate::fastmath::exp(-k * self.dt / parts as f64);
        let (mut y, mut rate, mut g) = (y0, rate, g);
        for i in 0..parts {
            y = corrected_step(y, rate, e_part, k, |y| rate_at(h_ss + y, exp_step(g_ss, y)));
            g = exp_step(g_ss, y);
            if i + 1 < parts {
                rate = rate_at(h_ss + y, g);
            }
        }
        (h_ss + y, g)
    }

    /// The common path of [`Soa::relax`], without branches (so that [`Soa::relax_lanes`]
    /// vectorises it): the deviation y = h − h_ss at the sample's end after one Riccati step,
    /// and whether that one step serves the sample (otherwise it is split). Within 10⁻¹² of
    /// the steady state (to rounding, where F's rounding would swamp r) the step is the linear
    /// decay y₀·E.
    #[inline(always)]
    fn one_step(&self, h: f64, g: f64, a: f64, h_ss: f64, g_ss: f64, e: f64) -> (f64, bool) {
        let inv_tau = 1.0 / self.tau;
        let k = inv_tau + g_ss * a;
        let y0 = h - h_ss;
        // F at h with eʰ = g (grouped so that g, the last to arrive, enters late); at the start
        // F(h) = −r·k·y₀.
        let rate = ((self.h0 - h) * inv_tau + a) - g * a;
        let ky0 = k * y0;
        // Far from the steady state under a strong input the rate varies too much across y for
        // one quadratic (r far from 1): split the sample. Neither test divides:
        // |r − 1| < ε ⇔ |F + k·y₀| < ε·|k·y₀|.
        let one_part = e * y0.abs() < 1e-10 || (rate + ky0).abs() < ky0.abs() * ONE_STEP_BELOW;
        // `riccati_step`, its test a select.
        let stepped = y0 * e * ky0 / (e * ky0 - rate * (1.0 - e));
        let near = y0.abs() < 1e-12;
        (if near { y0 * e } else { stepped }, near || one_part)
    }

    /// Each sample's gain eʰ in `sc.gain`, in the samples' order, from their input powers in
    /// `sc.p` (left in lane order when the block runs in `segments`, as are the steady states
    /// and `sc.h_end`): the steady states ([`Soa::steady_states`]), then the recurrence
    /// ([`Soa::recurrence`]). Returns the block's last h.
    ///
    /// With `segments` the powers are first rearranged into lane order
    /// ([`speculative::lane_index`]), so that the steady states come out in it and each step of
    /// the interleaved chains reads its inputs and writes its outputs as one contiguous row;
    /// the gains are put back in the samples' order at the end. (Gathering each step's inputs
    /// from the segments' places took 40 % of the recurrence's time.) The steady states are
    /// computed sample by sample, so their order does not change their numbers.
    fn gains(&self, sc: &mut Scratch, segments: Option<usize>) -> f64 {
        if let Some(len) = segments {
            speculative::to_lane_order::<LANES>(&sc.p, len, &mut sc.other);
            std::mem::swap(&mut sc.p, &mut sc.other);
        }
        self.steady_states(sc);
        let h = self.recurrence(sc, segments);
        if let Some(len) = segments {
            speculative::from_lane_order::<LANES>(&sc.gain, len, &mut sc.other);
            std::mem::swap(&mut sc.gain, &mut sc.other);
        }
        h
    }

    /// The gain's recurrence over the block whose steady states are in `sc` (see
    /// [`Soa::steady_states`]), from the current h: each sample's relaxed (h, eʰ) in
    /// `sc.h_end` and `sc.gain` (the sample sees the gain as relaxed under its own power, the
    /// end of its step; for samples much longer than τ_c the steady-state gain of that
    /// sample's power). Returns the block's last h.
    ///
    /// With `segments` of that length it runs speculatively ([`crate::speculative`]) on
    /// arrays in lane order, the segments' steps vectorised by [`Soa::relax_lanes`], with the
    /// plain recurrence's numbers (tested). In `bench physics` a segment's re-run ends within
    /// a few samples (35 samples of 8 192 in all when measured with 8 segments).
    fn recurrence(&self, sc: &mut Scratch, segments: Option<usize>) -> f64 {
        let Scratch {
            a,
            h_ss,
            g_ss,
            decay,
            h_end,
            gain,
            ..
        } = sc;
        let n = a.len();
        // Every entry is written below: no need to clear.
        h_end.resize(n, 0.0);
        gain.resize(n, 0.0);
        let start = (self.h, self.h.exp());
        let mut run = GainRun {
            soa: self,
            inputs: [a, h_ss, g_ss, decay],
            h_end,
            gain,
            lanes: segments,
        };
        let Some(len) = segments else {
            return speculative::plain(&mut run, 0, n, start).0;
        };
        // (h, eʰ) per segment: the block's start, then each segment's guess.
        let guess = |v: &[f64], first: f64| {
            std::array::from_fn(|l| match l {
                0 => first,
                _ => v[speculative::lane_index::<LANES>(l * len - 1, len)],
            })
        };
        let mut state = [guess(h_ss, start.0), guess(g_ss, start.1)];
        lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { lanes_avx512(&mut run, len, &mut state) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { lanes_avx2(&mut run, len, &mut state) },
            lanes_generic(&mut run, len, &mut state)
        );
        let last = (state[0][LANES - 1], state[1][LANES - 1]);
        speculative::finish::<_, LANES>(&mut run, n, len, last).0
    }
}

/// The gain's recurrence over one block ([`Soa::relax`] per sample): the block's P_in/E_sat
/// and steady states in, each sample's (h, eʰ) out, in lane order when `lanes` gives the
/// segments' length ([`speculative::lane_index`]).
struct GainRun<'a> {
    soa: &'a Soa,
    inputs: [&'a [f64]; 4],
    h_end: &'a mut [f64],
    gain: &'a mut [f64],
    lanes: Option<usize>,
}

impl GainRun<'_> {
    /// Where sample `j`'s inputs and outputs sit.
    #[inline(always)]
    fn at(&self, j: usize) -> usize {
        match self.lanes {
            Some(len) => speculative::lane_index::<LANES>(j, len),
            None => j,
        }
    }
}

impl Recurrence for GainRun<'_> {
    type State = (f64, f64);
    #[inline(always)]
    fn step(&self, (h, g): (f64, f64), j: usize) -> (f64, f64) {
        let [a, h_ss, g_ss, decay] = self.inputs;
        let k = self.at(j);
        self.soa.relax(h, g, a[k], h_ss[k], g_ss[k], decay[k])
    }
    fn stored(&self, j: usize) -> (f64, f64) {
        let k = self.at(j);
        (self.h_end[k], self.gain[k])
    }
    #[inline(always)]
    fn store(&mut self, j: usize, (h, g): (f64, f64)) {
        let k = self.at(j);
        (self.h_end[k], self.gain[k]) = (h, g);
    }
    fn same(a: (f64, f64), b: (f64, f64)) -> bool {
        a.0.to_bits() == b.0.to_bits() && a.1.to_bits() == b.1.to_bits()
    }
}

/// [`Soa::recurrence`]'s interleaved chains on arrays in lane order: the first `len` rows, each
/// a step of the [`LANES`] segments, from (h, eʰ) per segment in `state`, left there at the
/// segments' ends; each sample's (h, eʰ) stored in `run`.
#[inline(always)]
fn lanes_generic(run: &mut GainRun, len: usize, state: &mut [[f64; LANES]; 2]) {
    let GainRun {
        soa,
        inputs,
        h_end,
        gain,
        ..
    } = run;
    let row = |v: &[f64], i: usize| -> [f64; LANES] { v[i * LANES..][..LANES].try_into().unwrap() };
    let [a, h_ss, g_ss, decay] = *inputs;
    let [mut hl, mut gl] = *state;
    for i in 0..len {
        (hl, gl) = soa.relax_lanes(hl, gl, row(a, i), row(h_ss, i), row(g_ss, i), row(decay, i));
        h_end[i * LANES..][..LANES].copy_from_slice(&hl);
        gain[i * LANES..][..LANES].copy_from_slice(&gl);
    }
    *state = [hl, gl];
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lanes_avx2(run: &mut GainRun, len: usize, state: &mut [[f64; LANES]; 2]) {
    lanes_generic(run, len, state)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn lanes_avx512(run: &mut GainRun, len: usize, state: &mut [[f64; LANES]; 2]) {
    lanes_generic(run, len, state)
}

impl Soa {
    /// [`Soa::relax`] on [`LANES`] independent samples at once, the same operations in the same
    /// order: the common path (within 10⁻¹² of the steady state, or one step) computed for every
    /// lane without branches, so that it vectorises, and any lane off it (a split sample, a gain
    /// deviation beyond the exponential's range, a NaN) recomputed by [`Soa::relax`] itself.
    #[inline(always)]
    fn relax_lanes(
        &self,
        h: [f64; LANES],
        g: [f64; LANES],
        a: [f64; LANES],
        h_ss: [f64; LANES],
        g_ss: [f64; LANES],
        e: [f64; LANES],
    ) -> ([f64; LANES], [f64; LANES]) {
        let (mut scalar, mut split, mut large) = (0u32, 0u32, 0u32);
        let mut ys = [0.0; LANES];
        let mut h_new = [0.0; LANES];
        let mut g_new = [0.0; LANES];
        for l in 0..LANES {
            let (y, done) = self.one_step(h[l], g[l], a[l], h_ss[l], g_ss[l], e[l]);
            // `exp_step`: its series here, its exponential below for the lanes that need it
            // ([`crate::fastmath::exp`] is `exp_bounded` within ±700; a lane beyond goes to
            // `relax`).
            let in_range = y.abs() <= 700.0;
            scalar |= ((!(done && in_range)) as u32) << l;
            split |= (!done as u32) << l;
            large |= ((y.abs() >= EXP_SERIES_BELOW) as u32) << l;
            ys[l] = if in_range { y } else { 0.0 };
            h_new[l] = h_ss[l] + y;
            g_new[l] = g_ss[l] * exp_series(y);
        }
        if large != 0 {
            // Computed for every lane (it vectorises) and kept where needed.
            for l in 0..LANES {
                let full = g_ss[l] * crate::fastmath::exp_bounded(ys[l]);
                if large >> l & 1 == 1 {
                    g_new[l] = full;
                }
            }
        }
        if scalar != 0 {
            let inputs = [h, g, a, h_ss, g_ss, e];
            (h_new, g_new) = self.relax_some(scalar, split, inputs, [h_new, g_new]);
        }
        (h_new, g_new)
    }

    /// [`Soa::relax`] on the lanes of `inputs` (h, eʰ, P_in/E_sat, h_ss, G_ss, E) whose bits
    /// are set in `lanes`, into `out` (h, eʰ); those also set in `split` (one step does not
    /// serve them) go straight to [`Soa::split`]. Kept out of line: with its lanes picked by
    /// index in [`Soa::relax_lanes`] itself, the chains' states went through memory at every
    /// step.
    #[cold]
    #[inline(never)]
    fn relax_some(
        &self,
        lanes: u32,
        split: u32,
        inputs: [[f64; LANES]; 6],
        mut out: [[f64; LANES]; 2],
    ) -> ([f64; LANES], [f64; LANES]) {
        let [h, g, a, h_ss, g_ss, e] = inputs;
        for l in 0..LANES {
            if lanes >> l & 1 == 1 {
                (out[0][l], out[1][l]) = if split >> l & 1 == 1 {
                    self.split(h[l], g[l], a[l], h_ss[l], g_ss[l])
                } else {
                    self.relax(h[l], g[l], a[l], h_ss[l], g_ss[l], e[l])
                };
            }
        }
        (out[0], out[1])
    }
}

/// One step of `Soa::relax`'s Riccati equation from the deviation y, whose rate is F = `rate`,
/// over a time whose decay factor is E = `e`: y·E/(E + r·(1 − E)) with r = −F/(k·y) > 0, as one
/// division. Within 10⁻¹² of the steady state, where F's rounding would swamp r, the linear
/// decay y·E.
#[inline(always)]
fn riccati_step(y: f64, e: f64, k: f64, rate: f64) -> f64 {
    if y.abs() < 1e-12 {
        return y * e;
    }
    let ky = k * y;
    y * e * ky / (e * ky - rate * (1.0 - e))
}

/// One part of a split relaxation (see `Soa::relax`), second order in the part's length: the
/// Riccati step from y (rate F = `rate`, decay factor E = `e`) with the quadratic's curvature
/// c = (F(y) + k·y)/y² averaged between the part's start and the end of a first (predictor)
/// step, F there from `rate_at`. Exact when F is quadratic (both curvatures are c); the error
/// of a part falls as its length squared where the predictor's falls as its length (tested).
/// The predictor is kept where its end is within 10⁻⁹ of the steady state (the curvature there
/// is rounding) or where the averaged quadratic would not decay towards the steady state
/// (r = 1 − c·y/k ≤ 0; not met in the tests).
#[inline(always)]
fn corrected_step(y: f64, rate: f64, e: f64, k: f64, rate_at: impl Fn(f64) -> f64) -> f64 {
    let yp = riccati_step(y, e, k, rate);
    if yp.abs() <= 1e-9 {
        return yp;
    }
    let c = 0.5 * ((rate + k * y) / (y * y) + (rate_at(yp) + k * yp) / (yp * yp));
    // r > 0 ⇔ k − c·y > 0 (k > 0); otherwise the predictor's own rate (a select, not a branch:
    // the branch measured 3 % slower).
    let corrected = if k - c * y > 0.0 {
        -k * y + c * y * y
    } else {
        rate
    };
    riccati_step(y, e, k, corrected)
}

/// Below this |r − 1| one step serves a whole sample (see `Soa::relax`). With second-order
/// parts beyond it, 1/8 holds the Runge–Kutta tests tighter than the first-order parts did at
/// 1/64, and splits fewer samples.
const ONE_STEP_BELOW: f64 = 1.0 / 8.0;

/// Parts per unit of |ln r| when a sample's relaxation is split (see `Soa::relax`).
const PARTS_PER_LN_R: f64 = 8.0;

/// Grid of [`Steady`]'s table in A, read off A's bits: each octave 2ᴱ ≤ A < 2ᴱ⁺¹ from
/// 2^`E_MIN` to 2^`E_MAX` cut into 2^`SUB_BITS` equal intervals, so that an interval's index is
/// A's exponent and top mantissa bits and the fraction t across it the rest of the mantissa
/// (no logarithm; the intervals are 1/32 to 1/64 wide in ln A, half the width a grid in ln A
/// needs for the same interpolation error, ~10⁻⁸). Below A = 2⁻⁸⁷ ≈ e⁻⁶⁰ the
/// steady state differs from the first node's by less than A·e^h₀ < 10⁻²⁰ (for h₀ < 14,
/// G₀ < 61 dB); above 2⁴⁴ ≈ e³⁰·⁵ (10¹³ times the saturation power) the last interval's start
/// is a start within 10⁻¹² that the Newton step polishes.
const E_MIN: i64 = -87;
const E_MAX: i64 = 44;
const SUB_BITS: u32 = 5;

/// Intervals of [`Steady`]'s table.
const INTERVALS: usize = ((E_MAX - E_MIN) as usize) << SUB_BITS;

/// A at node k of [`Steady`]'s grid (exact: a power of two times 1 + j/2^`SUB_BITS`).
fn grid_node(k: usize) -> f64 {
    let (octave, j) = (k >> SUB_BITS, k & ((1 << SUB_BITS) - 1));
    2f64.powi((E_MIN + octave as i64) as i32) * (1.0 + j as f64 / (1 << SUB_BITS) as f64)
}

/// The steady states of one amplifier: h₀, A per watt of input (τ_c/E_sat = 1/P_sat), Δt/τ_c,
/// and its steady-state integrated gain x(A) on a grid in A (see [`E_MIN`]), as a cubic per
/// interval in the fraction t ∈ [0, 1) of the interval: the Hermite cubic through the nodes'
/// values and slopes dx/dA = −(eˣ − 1)/(1 + A·eˣ) (from differentiating h₀ − x = A·(eˣ − 1))
/// times the interval's width.
#[derive(Debug, Clone)]
struct Steady {
    h0: f64,
    to_a: f64,
    dt_over_tau: f64,
    /// E_sat, J: each sample's P_in/E_sat is computed with its steady state.
    e_sat: f64,
    cubic: Vec<[f64; 4]>,
}

impl Steady {
    fn new(h0: f64, to_a: f64, dt_over_tau: f64, e_sat: f64) -> Self {
        let a: Vec<f64> = (0..=INTERVALS).map(grid_node).collect();
        let (x, g) = lambert_steady_states(h0, &a);
        let slope = |j: usize| -(g[j] - 1.0) / (1.0 + a[j] * g[j]);
        let cubic = (0..INTERVALS)
            .map(|j| {
                // Slopes per interval width (derivatives in t).
                let width = a[j + 1] - a[j];
                let (x0, x1) = (x[j], x[j + 1]);
                let (m0, m1) = (slope(j) * width, slope(j + 1) * width);
                [
                    x0,
                    m0,
                    3.0 * (x1 - x0) - 2.0 * m0 - m1,
                    2.0 * (x0 - x1) + m0 + m1,
                ]
            })
            .collect();
        Self {
            h0,
            to_a,
            dt_over_tau,
            e_sat,
            cubic,
        }
    }
}

/// The steady states (x, eˣ) of the integrated gain at the inputs A = P_in/P_sat of `sc.p`
/// (times `st.to_a`), one per sample: the roots of h₀ − x = A·(eˣ − 1), where dh/dt = 0, and
/// the relaxation factors e^(−k·Δt), k = (1 + G_ss·A)/τ_c (see `Soa::relax`), and P_in/E_sat
/// in `sc.a` (a division per sample taken out of the recurrence's chain, where it waited on
/// the divider with the chain's own: 5 % of the chain's time).
///
/// x is interpolated in A from [`Steady`]'s table, then polished by one Newton step on
/// φ(x) = h₀ − x − A·(eˣ − 1). The step's error is below ε²/2 for an interpolation error ε
/// (|φ''/2φ'| = A·eˣ/(2(1 + A·eˣ)) < ½), and ε < 2·10⁻⁸ on the table's grid; φ's rounding
/// (terms below h₀ at the root, eˣ to 10⁻¹⁵) moves x by less than 10⁻¹⁵·h₀/(1 + A·eˣ). So x
/// is exact to rounding: the test below holds it to 10⁻¹⁴ of a bisected root over A from
/// 10⁻²⁵ to 10¹⁵ and h₀ from 0 to 12. A is held above 10⁻³⁰⁰; a NaN or infinite power
/// gives NaN.
#[inline(always)]
fn steady_states_generic(st: &Steady, sc: &mut Scratch) {
    use crate::fastmath::{decay, exp_bounded};
    let input = |p: f64| {
        let a = p * st.to_a;
        if a < 1e-300 { 1e-300 } else { a }
    };
    // Passes: the position on the grid, which vectorises (the interval's index in `decay`, as
    // an integer's bits, and the fraction t in `g_ss`); the table look-up (in `g_ss`), which
    // does not; the Newton step, which vectorises; the relaxation factor.
    const MANTISSA: u64 = 0x000F_FFFF_FFFF_FFFF;
    const ONE: u64 = 0x3FF0_0000_0000_0000;
    // A's biased exponent and top mantissa bits, as one integer, at the grid's first node.
    const FIRST: i64 = (E_MIN + 1023) << SUB_BITS;
    for ((p, t), index) in sc.p.iter().zip(&mut sc.g_ss).zip(&mut sc.decay) {
        let bits = input(*p).to_bits();
        // The interval: exponent and top mantissa bits (A > 0, so no sign bit), clamped to
        // the grid; a NaN lands on the last interval (and gives NaN below).
        let i = (bits >> (52 - SUB_BITS)) as i64 - FIRST;
        let inside = i >= 0 && i < INTERVALS as i64;
        let i = if i < 0 { 0 } else { i };
        let i = if i < INTERVALS as i64 {
            i
        } else {
            INTERVALS as i64 - 1
        };
        // The fraction across it: the rest of the mantissa, as 1.f − 1 (0 where clamped).
        let fraction = f64::from_bits(ONE | ((bits << SUB_BITS) & MANTISSA)) - 1.0;
        *t = if inside { fraction } else { 0.0 };
        *index = f64::from_bits(i as u64);
    }
    for (s, index) in sc.g_ss.iter_mut().zip(&sc.decay) {
        let t = *s;
        let c = &st.cubic[index.to_bits() as usize];
        *s = c[0] + t * (c[1] + t * (c[2] + t * c[3]));
    }
    let rows = sc.p.iter().zip(&mut sc.h_ss).zip(&mut sc.g_ss);
    for ((p, h), g) in rows {
        let (a, x0) = (input(*p), *g);
        // One Newton step on φ (a NaN or infinite A makes dx NaN).
        let e0 = exp_bounded(x0);
        let dx = (st.h0 - x0 - a * (e0 - 1.0)) / (1.0 + a * e0);
        *h = x0 + dx;
        // eˣ = e^(x₀)·e^(dx), |dx| < 10⁻⁷: the series to dx² is exact to rounding.
        *g = e0 * (1.0 + dx * (1.0 + 0.5 * dx));
    }
    // e^(−k·Δt) and P_in/E_sat, in a pass of their own: in one with the Newton step each
    // sample's chain of two exponentials left too little work to overlap.
    let rows = sc.p.iter().zip(&sc.g_ss).zip(&mut sc.decay).zip(&mut sc.a);
    for (((p, g), d), a) in rows {
        *d = decay((1.0 + *g * input(*p)) * st.dt_over_tau);
        *a = *p / st.e_sat;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn steady_states_avx2(st: &Steady, sc: &mut Scratch) {
    steady_states_generic(st, sc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn steady_states_avx512(st: &Steady, sc: &mut Scratch) {
    steady_states_generic(st, sc)
}

/// The steady states (x, eˣ) of the integrated gain at inputs `a` (A = P_in/P_sat): the roots
/// of h₀ − x = A·(eˣ − 1), by Lambert's W, to tabulate them (see [`Steady`]).
///
/// With z = h₀ + A − x the equation reads z·e^z = y, y = A·e^(h₀+A), so z = W(y), Lambert's W
/// (Corless et al., Adv. Comput. Math. 5, 329, 1996), and x = h₀ + A − z = ln z − ln A (each
/// where it does not cancel). W is found by Halley's method on z + ln z = ln y, which converges
/// cubically, from the asymptotic series ln y − ln ln y + ln ln y/ln y (y > e) or the Padé
/// approximant y·(1 + 4y/3)/(1 + 7y/3 + 5y²/6) (y ≤ e; Winitzki 2003), three steps (two took
/// x within 1.1·10⁻¹⁴ of bisected roots when this solved every sample). The table built from
/// it is checked against bisected roots (test below).
fn lambert_steady_states(h0: f64, a: &[f64]) -> (Vec<f64>, Vec<f64>) {
    a.iter()
        .map(|&a| {
            let ln_y = a.ln() + h0 + a;
            let mut z = if ln_y > 1.0 {
                let l2 = ln_y.ln();
                ln_y - l2 + l2 / ln_y
            } else {
                let y = ln_y.exp();
                y * (1.0 + y * (4.0 / 3.0)) / (1.0 + y * (7.0 / 3.0 + y * (5.0 / 6.0)))
            };
            for _ in 0..3 {
                // Halley's step for f(z) = z + ln z − ln y (f' = 1 + 1/z, f'' = −1/z²):
                // z − 2f·f'/(2f'² − f·f'') = z − 2f·z·(z + 1)/(2(z + 1)² + f).
                let f = z + z.ln() - ln_y;
                let z1 = z + 1.0;
                z -= 2.0 * f * z * z1 / (2.0 * z1 * z1 + f);
            }
            let x = if a < 1.0 { h0 + a - z } else { z.ln() - a.ln() };
            (x, x.exp())
        })
        .unzip()
}

/// g·e^d: [`exp_series`] when |d| < [`EXP_SERIES_BELOW`], else [`crate::fastmath::exp`].
#[inline]
fn exp_step(g: f64, d: f64) -> f64 {
    if d.abs() < EXP_SERIES_BELOW {
        g * exp_series(d)
    } else {
        g * crate::fastmath::exp(d)
    }
}

/// Below this |d| [`exp_series`] is e^d to rounding.
const EXP_SERIES_BELOW: f64 = 1e-3;

/// e^d to 4th order, relative error below d⁵/120 < 10⁻¹⁷ for |d| < [`EXP_SERIES_BELOW`].
/// Estrin's scheme: a shorter dependency chain than Horner's (the gain's recurrence runs
/// through here).
#[inline(always)]
fn exp_series(d: f64) -> f64 {
    let d2 = d * d;
    (1.0 + d) + d2 * ((0.5 + d * (1.0 / 6.0)) + d2 * (1.0 / 24.0))
}

/// Gain (relaxed, in `sc.gain`), ASE (deviates in `sc.noise`) and trim on every sample: a pass
/// without branches, compiled for AVX2 as well (the same operations in the same order, so the
/// same numbers).
#[inline(always)]
fn amplify_generic(ase: &Ase, trim: f64, sc: &Scratch, light: &mut Light) {
    let n = light.len();
    let (z_re, z_im) = sc.noise.split_at(n);
    let trim_field = trim.sqrt();
    let samples = light.field.iter_mut().zip(light.background.iter_mut());
    for (((e, b), g), z) in samples.zip(&sc.gain).zip(z_re.iter().zip(z_im)) {
        *e *= g.sqrt();
        *b *= g;
        ase.add(*g, e, b, [*z.0, *z.1]);
        *e *= trim_field;
        *b *= trim;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn amplify_avx2(ase: &Ase, trim: f64, sc: &Scratch, light: &mut Light) {
    amplify_generic(ase, trim, sc, light)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn amplify_avx512(ase: &Ase, trim: f64, sc: &Scratch, light: &mut Light) {
    amplify_generic(ase, trim, sc, light)
}

impl Stage for Soa {
    fn name(&self) -> &'static str {
        "soa"
    }

    fn process(&mut self, light: &mut Light, rng: &mut Rng) {
        let p = light.field.iter().zip(&light.background);
        self.scratch.p.clear();
        self.scratch.p.extend(p.map(|(e, b)| e.norm_sqr() + b));
        // Out of `self` while the recurrence borrows it; put back below.
        let mut sc = std::mem::take(&mut self.scratch);
        let segments = speculative::lane_segment_length::<LANES>(sc.p.len(), self.tau / self.dt);
        self.h = self.gains(&mut sc, segments);
        fill_normals(rng, 2 * light.len(), &mut sc.noise);
        lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { amplify_avx512(&self.ase, self.trim, &sc, light) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { amplify_avx2(&self.ase, self.trim, &sc, light) },
            amplify_generic(&self.ase, self.trim, &sc, light)
        );
        self.scratch = sc;
    }

    fn energy(&self, elapsed: f64, ledger: &mut Ledger) {
        ledger.add(Item::SoaDrive, self.drive_power * elapsed);
        ledger.add(Item::SoaCooling, self.tec_power * elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;
    use crate::speculative::STAGGER;
    use num_complex::Complex64;

    /// dy/dt = f(y) integrated by classical Runge–Kutta with `n` steps over `t`.
    fn rk4(f: impl Fn(f64) -> f64, y: f64, t: f64, n: usize) -> f64 {
        let s = t / n as f64;
        let mut y = y;
        for _ in 0..n {
            let k1 = f(y);
            let k2 = f(y + 0.5 * s * k1);
            let k3 = f(y + 0.5 * s * k2);
            let k4 = f(y + s * k3);
            y += s / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        y
    }

    /// The rate equation integrated by [`rk4`] with `n` steps over `dt`.
    fn reference_step(h: f64, h0: f64, tau: f64, e_sat: f64, p: f64, dt: f64, n: usize) -> f64 {
        rk4(|h| (h0 - h) / tau - (h.exp() - 1.0) * p / e_sat, h, dt, n)
    }

    /// The root of h₀ − x = A·(eˣ − 1) with libm's exp: φ(x) = h₀ − x − A(eˣ − 1) is concave
    /// and decreasing, φ(h₀) ≤ 0 ≤ φ(lo) for lo low enough; bisected to the last bit, then three
    /// Newton steps polish it.
    fn reference_root(h0: f64, a: f64) -> f64 {
        let phi = |x: f64| h0 - x - a * (x.exp() - 1.0);
        let (mut lo, mut hi) = (-1.0, h0);
        while phi(lo) < 0.0 {
            lo *= 2.0;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if phi(mid) > 0.0 { lo = mid } else { hi = mid }
        }
        let mut x = 0.5 * (lo + hi);
        for _ in 0..3 {
            x += phi(x) / (1.0 + a * x.exp());
        }
        x
    }

    /// The tabulated steady state matches a bisected and polished root to 10⁻¹⁴ in x (and eˣ
    /// to 10⁻¹⁴ relative) over A from 10⁻²⁵ to 10¹⁵ (past both ends of the table) and h₀ from
    /// 0 to 12 (the rig allows 0–45 dB, h₀ ≤ 10.4), and gives G₀ for no input; its AVX2 build
    /// gives the same numbers. The table's cubics themselves are within 10⁻⁸ of the root
    /// midway between nodes.
    #[test]
    fn steady_state_matches_a_bisected_root() {
        let (mut worst, mut worst_table): (f64, f64) = (0.0, 0.0);
        for h0 in [0.0, 0.1, 1.0, 3.0, 6.9, 9.2, 10.4, 12.0] {
            let st = Steady::new(h0, 1.0, 0.01, 1e-12);
            for (j, c) in st.cubic.iter().enumerate() {
                let a = 0.5 * (grid_node(j) + grid_node(j + 1));
                let mid = c[0] + 0.5 * (c[1] + 0.5 * (c[2] + 0.5 * c[3]));
                worst_table = worst_table.max((mid - reference_root(h0, a)).abs());
            }
            let mut sc = Scratch::default();
            let mut a = 1e-25;
            while a < 1e15 {
                sc.p.push(a);
                a *= 1.13;
            }
            sc.p.push(0.0);
            let n = sc.p.len();
            for v in [&mut sc.h_ss, &mut sc.g_ss, &mut sc.decay, &mut sc.a] {
                v.resize(n, 0.0);
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut wide = sc.clone();
                // SAFETY: the processor has AVX2 (checked just above).
                unsafe { steady_states_avx2(&st, &mut wide) };
                steady_states_generic(&st, &mut sc);
                assert_eq!((&wide.h_ss, &wide.g_ss), (&sc.h_ss, &sc.g_ss));
                assert_eq!((&wide.decay, &wide.a), (&sc.decay, &sc.a));
            }
            steady_states_generic(&st, &mut sc);
            for i in 0..n {
                let x = reference_root(h0, sc.p[i]);
                let (dx, dg) = ((sc.h_ss[i] - x).abs(), (sc.g_ss[i] / x.exp() - 1.0).abs());
                worst = worst.max(dx);
                assert!(
                    dx < 1e-14 && dg < 1e-14,
                    "h0 {h0}, A {:e}: x {} vs {x}, dg {dg:e}",
                    sc.p[i],
                    sc.h_ss[i]
                );
            }
            assert!((sc.h_ss[n - 1] - h0).abs() < 1e-14);
        }
        eprintln!("worst |Δx| {worst:e}, table {worst_table:e}");
        assert!(worst_table < 2e-8, "table off by {worst_table:e}");
        // A NaN or infinite power is not mistaken for darkness or for a finite power.
        let mut sc = Scratch {
            p: vec![f64::NAN, f64::INFINITY],
            h_ss: vec![0.0; 2],
            g_ss: vec![0.0; 2],
            decay: vec![0.0; 2],
            a: vec![0.0; 2],
            ..Scratch::default()
        };
        steady_states_generic(&Steady::new(3.0, 1.0, 0.01, 1e-12), &mut sc);
        assert!(sc.h_ss.iter().chain(&sc.g_ss).all(|v| v.is_nan()));
    }

    /// The amplifying pass's AVX2 build gives the plain build's numbers bit for bit.
    #[test]
    fn amplify_builds_agree() {
        let n = 1001;
        let sc = Scratch {
            gain: (0..n).map(|i| 0.5 + (i % 13) as f64 * 7.0).collect(),
            noise: (0..2 * n)
                .map(|i| ((i * 29) % 17) as f64 / 8.0 - 1.0)
                .collect(),
            ..Scratch::default()
        };
        let ase = Ase::new(1.8, 1.28e-19, 1.3e9, 1.25e11);
        let light = Light {
            field: (0..n)
                .map(|i| Complex64::new(i as f64 * 1e-4, -1e-3))
                .collect(),
            background: vec![1e-7; n],
        };
        let mut plain = light.clone();
        amplify_generic(&ase, 0.7, &sc, &mut plain);
        assert_ne!(plain, light);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut wide = light.clone();
            // SAFETY: the processor has AVX2 (checked just above).
            unsafe { amplify_avx2(&ase, 0.7, &sc, &mut wide) };
            assert_eq!(wide, plain);
        }
    }

    /// Sample by sample, the gain of a ternary power pattern follows a fine Runge–Kutta
    /// integration of the rate equation, for stiff (0.75 ns) and fine (10 ps) samples and input
    /// powers from the linear regime to deep saturation.
    #[test]
    fn gain_follows_a_fine_reference_integration() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let mut rng = stream(3, "soa-test", 0, 0);
        for (period, sps) in [(6e-9, 8), (1e-9, 100)] {
            let clock = Clock::new(period, sps);
            for p_max in [1e-5, 1e-3, 1e-2, 1e-1] {
                let mut soa = Soa::from_rig(&rig, &clock).unwrap();
                let (h0, tau, e_sat, dt) = (soa.h0, soa.tau, soa.e_sat, soa.dt);
                let mut h_ref = h0;
                let mut worst: f64 = 0.0;
                for k in 0..600 {
                    let level = [0.0, 0.5, 1.0][(k / sps * 7 + k / (3 * sps)) % 3];
                    let p = level * p_max;
                    h_ref = reference_step(h_ref, h0, tau, e_sat, p, dt, 2000);
                    let mut light = Light {
                        field: vec![Complex64::new(p.sqrt(), 0.0)],
                        background: vec![0.0],
                    };
                    soa.process(&mut light, &mut rng);
                    worst = worst.max((soa.gain() / h_ref.exp() - 1.0).abs());
                }
                // The seed's stiff sampling is held tightly; 10 ps samples accumulate the steps'
                // errors over a transient of ~20 samples, most under 5 dB overdrive (measured:
                // 2.5·10⁻⁶ and 3.2·10⁻⁴; with first-order split parts 8.9·10⁻⁶ and 4.5·10⁻³).
                let tolerance = if sps == 8 { 5e-6 } else { 1e-3 };
                assert!(
                    worst < tolerance,
                    "dt {dt:e}, p_max {p_max:e}: gain off by {worst:e}"
                );
            }
        }
    }

    /// One sample from far from its steady state: sample lengths from 1 ps to 0.75 ns, input
    /// powers from 1 µW to 1 W, the gain starting from 1 % to 100 % of h₀. The step never
    /// passes the steady state and follows the Runge–Kutta reference within 6·10⁻³ in h
    /// (measured 4.3·10⁻³, at 1 W from the small-signal gain in 10 ps; first-order split parts
    /// gave 8.2·10⁻³).
    #[test]
    fn one_sample_from_any_start_follows_the_reference() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let mut rng = stream(4, "soa-test", 0, 0);
        let mut worst: f64 = 0.0;
        for dt in [1e-12, 1e-11, 1e-10, 7.5e-10] {
            let clock = Clock::new(dt, 1);
            for p in [1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0] {
                for frac in [0.01, 0.1, 0.3, 0.6, 0.9, 1.0] {
                    let mut soa = Soa::from_rig(&rig, &clock).unwrap();
                    let (h0, tau, e_sat) = (soa.h0, soa.tau, soa.e_sat);
                    let h_start = frac * h0;
                    soa.h = h_start;
                    let h_ref = reference_step(h_start, h0, tau, e_sat, p, dt, 20_000);
                    let h_ss = reference_root(h0, p * tau / e_sat);
                    let mut light = Light {
                        field: vec![Complex64::new(p.sqrt(), 0.0)],
                        background: vec![0.0],
                    };
                    soa.process(&mut light, &mut rng);
                    let (lo, hi) = (h_start.min(h_ss), h_start.max(h_ss));
                    assert!(
                        soa.h >= lo - 1e-12 && soa.h <= hi + 1e-12,
                        "dt {dt:e}, p {p:e}, from {h_start}: {} outside [{lo}, {hi}]",
                        soa.h
                    );
                    worst = worst.max((soa.h - h_ref).abs());
                }
            }
        }
        assert!(worst < 6e-3, "worst |Δh| {worst:e}");
    }

    /// The speculative recurrence gives the plain recurrence's numbers bit for bit: at the
    /// seed's stiff 0.75 ns samples, where each segment's guess is forgotten within a few
    /// samples, and at 10 ps samples (τ_c/Δt = 20), where the re-runs go to the segments' ends;
    /// for block lengths that do and do not divide into the lanes, a power pattern with
    /// overdriven samples (split in `relax`), and a NaN power. The AVX2 build of the lanes
    /// gives the plain build's numbers.
    #[test]
    fn speculative_recurrence_is_the_plain_one() {
        let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
        let mut rng = stream(5, "soa-test", 0, 0);
        for (period, sps) in [(6e-9, 8), (1e-9, 100)] {
            let clock = Clock::new(period, sps);
            let mut soa = Soa::from_rig(&rig, &clock).unwrap();
            for (n, nan) in [(8192, false), (9001, false), (5000, true)] {
                soa.scratch.p = (0..n)
                    .map(|j| {
                        let level = [0.0, 0.5, 1.0][(j / sps * 7 + j / (3 * sps)) % 3];
                        let overdrive = if j % 997 == 0 { 300.0 } else { 1.0 };
                        let noise = 1.0 + 0.05 * crate::rng::normal(&mut rng);
                        (level * 3e-3 * overdrive * noise).abs()
                    })
                    .collect();
                if nan {
                    soa.scratch.p[3210] = f64::NAN;
                }
                let mut sc = soa.scratch.clone();
                soa.steady_states(&mut sc);
                let splits = (0..n)
                    .filter(|&j| {
                        let h = if j == 0 { soa.h } else { sc.h_ss[j - 1] };
                        !soa.one_step(h, h.exp(), sc.a[j], sc.h_ss[j], sc.g_ss[j], sc.decay[j])
                            .1
                    })
                    .count();
                assert!(splits > 0, "dt {:e}, n {n}: no sample is split", clock.dt());
                // Segments with and without the stagger (the run uses whole n/LANES).
                for len in [n / LANES - STAGGER, n / LANES] {
                    let (mut plain, mut fast) = (soa.scratch.clone(), soa.scratch.clone());
                    let h_plain = soa.gains(&mut plain, None);
                    let h_fast = soa.gains(&mut fast, Some(len));
                    // Bit patterns, NaNs as one (their sign and payload carry no number).
                    let bits = |v: &[f64]| -> Vec<u64> {
                        v.iter()
                            .map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() })
                            .collect()
                    };
                    let first_difference = |a: &[f64], b: &[f64]| {
                        let (a, b) = (bits(a), bits(b));
                        (0..n).find(|&j| a[j] != b[j])
                    };
                    assert_eq!(bits(&[h_fast]), bits(&[h_plain]));
                    // The speculative run leaves h in lane order.
                    let h_fast_natural: Vec<f64> = (0..n)
                        .map(|j| fast.h_end[speculative::lane_index::<LANES>(j, len)])
                        .collect();
                    for (what, a, b) in [
                        ("h", &h_fast_natural, &plain.h_end),
                        ("gain", &fast.gain, &plain.gain),
                    ] {
                        let at = first_difference(a, b);
                        let show = at.map(|j| (j, a[j], b[j]));
                        assert_eq!(show, None, "dt {:e}, n {n}: {what}", clock.dt());
                    }
                    assert_eq!(plain.h_end[3210].is_nan(), nan);
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx2") {
                        // The lanes' inputs in lane order.
                        let mut lanes = soa.scratch.clone();
                        let mut other = Vec::new();
                        speculative::to_lane_order::<LANES>(&lanes.p, len, &mut other);
                        lanes.p = other;
                        soa.steady_states(&mut lanes);
                        let inputs = [
                            &lanes.p[..],
                            &lanes.h_ss[..],
                            &lanes.g_ss[..],
                            &lanes.decay[..],
                        ];
                        let run = |wide: bool| {
                            let mut state = [[soa.h; LANES], [soa.h.exp(); LANES]];
                            let (mut h_end, mut gain) = (vec![0.0; n], vec![0.0; n]);
                            let mut run = GainRun {
                                soa: &soa,
                                inputs,
                                h_end: &mut h_end,
                                gain: &mut gain,
                                lanes: Some(len),
                            };
                            if wide {
                                // SAFETY: the processor has AVX2 (checked just above).
                                unsafe { lanes_avx2(&mut run, len, &mut state) }
                            } else {
                                lanes_generic(&mut run, len, &mut state)
                            }
                            let [h, g] = state;
                            (bits(&h_end), bits(&gain), bits(&h), bits(&g))
                        };
                        assert!(
                            run(true) == run(false),
                            "dt {:e}, n {n}: AVX2 lanes",
                            clock.dt()
                        );
                    }
                }
            }
        }
    }

    /// The rate of a toy amplifier in y = h − h_ss: F(y) = −y/τ − A·(eʸ − 1), τ = 1, A = 3.
    fn toy_rate(y: f64) -> f64 {
        -y - 3.0 * y.exp_m1()
    }

    /// `n` parts of `step` over t = 0.5 from y = −2 (far below the steady state, r ≈ 0.35).
    fn toy_run(n: usize, step: impl Fn(f64, f64, f64, f64) -> f64) -> f64 {
        let k = 4.0;
        let e = (-k * 0.5 / n as f64).exp();
        let mut y = -2.0;
        for _ in 0..n {
            y = step(y, toy_rate(y), e, k);
        }
        y
    }

    /// The corrected step is exact for a quadratic rate, its error falls as the part length
    /// squared (the plain Riccati step's as the length), and it keeps the predictor where the
    /// averaged quadratic would not decay.
    #[test]
    fn corrected_step_is_second_order() {
        // A quadratic rate −k·y + c·y²: the Riccati step is exact, and so is the corrected one.
        let (k, c, y0, t) = (2.0, -0.7, 1.5, 0.3);
        let quadratic = |y: f64| -k * y + c * y * y;
        let e = (-k * t).exp();
        let exact = y0 * e / (1.0 - c * y0 / k * (1.0 - e));
        let corrected = corrected_step(y0, quadratic(y0), e, k, quadratic);
        assert!(
            (corrected / exact - 1.0).abs() < 1e-14,
            "{corrected} vs {exact}"
        );
        // The toy amplifier against a fine Runge–Kutta integration.
        let y = rk4(toy_rate, -2.0, 0.5, 100_000);
        let err = |n: usize, second: bool| {
            (toy_run(n, |y, f, e, k| {
                if second {
                    corrected_step(y, f, e, k, toy_rate)
                } else {
                    riccati_step(y, e, k, f)
                }
            }) - y)
                .abs()
        };
        for n in [4, 8, 16] {
            let (first, second) = (
                err(n, false) / err(2 * n, false),
                err(n, true) / err(2 * n, true),
            );
            assert!(
                (1.8..2.1).contains(&first),
                "n = {n}: first-order ratio {first}"
            );
            assert!(
                (3.8..4.2).contains(&second),
                "n = {n}: second-order ratio {second}"
            );
            assert!(err(n, true) < err(n, false) / 4.0, "n = {n}");
        }
        // A rate at the predictor's end that would make r ≤ 0: the predictor is kept.
        let (y, rate, e, k) = (-3.0, 2.0, 0.5, 1.0);
        assert_eq!(
            corrected_step(y, rate, e, k, |_| -10.0),
            riccati_step(y, e, k, rate)
        );
    }
}

//! Saturable absorber with finite recovery.
//!
//! The saturable absorption a relaxes as da/dt = (α_s − a)/τ_r − a·P/E_sat with
//! E_sat = P_sat·τ_r, integrated exactly for the power of each sample; in steady state
//! a = α_s/(1 + P/P_sat), giving the fast transfer T(P) = 1 − α_s/(1 + P/P_sat) − α_ns
//! (docs/references.md). Power transmission is T = 1 − a − α_ns.

use crate::rng::Rng;
use crate::signal::{Clock, Light};
use crate::speculative;
use crate::stage::Stage;
use lightloop_cost::Ledger;
use lightloop_rig::Rig;

#[derive(Debug, Clone)]
pub struct SaturableAbsorber {
    a: f64,
    alpha_s: f64,
    alpha_ns: f64,
    p_sat: f64,
    tau: f64,
    dt: f64,
    /// Per sample of the block being processed: the steady-state absorption, the relaxation
    /// factor and the absorption at the sample's end.
    scratch: Scratch,
}

#[derive(Debug, Clone, Default)]
struct Scratch {
    a_ss: Vec<f64>,
    decay: Vec<f64>,
    a_end: Vec<f64>,
}

impl SaturableAbsorber {
    pub fn new(alpha_s: f64, alpha_ns: f64, p_sat: f64, recovery: f64, dt: f64) -> Self {
        Self {
            a: alpha_s,
            alpha_s,
            alpha_ns,
            p_sat,
            tau: recovery,
            dt,
            scratch: Scratch::default(),
        }
    }

    pub fn from_rig(rig: &Rig, clock: &Clock) -> Option<Self> {
        let s = rig.saturable_absorber.as_ref()?;
        Some(Self::new(
            s.modulation_depth.si(),
            s.nonsaturable_loss.si(),
            s.saturation_power.si(),
            s.recovery_time.si(),
            clock.dt(),
        ))
    }

    /// (α_s, α_ns, P_sat): the saturable and non-saturable losses and the saturation power.
    pub fn parameters(&self) -> (f64, f64, f64) {
        (self.alpha_s, self.alpha_ns, self.p_sat)
    }

    /// Steady-state transmission at power `p`.
    pub fn steady_transmission(&self, p: f64) -> f64 {
        lightloop_cost::optics::absorber_transmission(self.alpha_s, self.alpha_ns, self.p_sat, p)
    }

    /// Per sample, u = 1 + P/P_sat sets both the steady state α_s/u and the relaxation factor
    /// e^(−u·Δt/τ): a pass without branches, which vectorises;
    /// then the recurrence, one multiply-add per sample, run speculatively in segments where the
    /// block is long enough against τ_r/Δt ([`crate::speculative`]; the same numbers, tested:
    /// 6.7 → 4.4 ns per sample in `bench physics`); then the transmission.
    #[inline(always)]
    fn absorb(&mut self, light: &mut Light) {
        let (inv_p_sat, dt_over_tau) = (1.0 / self.p_sat, self.dt / self.tau);
        let sc = &mut self.scratch;
        sc.a_ss.resize(light.len(), 0.0);
        sc.decay.resize(light.len(), 0.0);
        let inputs = light.field.iter().zip(&light.background);
        for ((e, b), (a_ss, d)) in inputs.zip(sc.a_ss.iter_mut().zip(&mut sc.decay)) {
            let u = 1.0 + (e.norm_sqr() + b) * inv_p_sat;
            *a_ss = self.alpha_s / u;
            *d = crate::fastmath::decay(dt_over_tau * u);
        }
        self.a = recover(
            self.a,
            &sc.a_ss,
            &sc.decay,
            &mut sc.a_end,
            speculative::segment_length(light.len(), self.tau / self.dt),
        );
        let samples = light.field.iter_mut().zip(light.background.iter_mut());
        for ((e, b), a) in samples.zip(&sc.a_end) {
            let t = (1.0 - a - self.alpha_ns).max(0.0);
            *e *= t.sqrt();
            *b *= t;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn absorb_avx2(&mut self, light: &mut Light) {
        self.absorb(light)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    fn absorb_avx512(&mut self, light: &mut Light) {
        self.absorb(light)
    }
}

/// The absorption's recurrence a ← a_ss + (a − a_ss)·E from `a` over a block, each sample's
/// end state in `a_end`, in `segments` of that length or plainly; returns the last.
fn recover(
    a: f64,
    a_ss: &[f64],
    decay: &[f64],
    a_end: &mut Vec<f64>,
    segments: Option<usize>,
) -> f64 {
    a_end.resize(a_ss.len(), 0.0);
    speculative::run_scalar(
        |a, [a_ss, decay]| a_ss + (a - a_ss) * decay,
        [a_ss, decay],
        a_end,
        a,
        // A segment starts from the steady state of the sample before it.
        |j| a_ss[j - 1],
        segments,
    )
}

impl Stage for SaturableAbsorber {
    fn name(&self) -> &'static str {
        "saturable absorber"
    }

    /// Passes over the block (see [`SaturableAbsorber::absorb`]), compiled for AVX2 as well and
    /// run so when the processor has it (the same operations in the same order, so the same
    /// numbers).
    fn process(&mut self, light: &mut Light, _rng: &mut Rng) {
        lightloop_base::avx512_avx2_or!(
            // SAFETY: run only where the processor has AVX-512 (F, BW, DQ, VL).
            unsafe { self.absorb_avx512(light) },
            // SAFETY: run only where the processor has AVX2.
            unsafe { self.absorb_avx2(light) },
            self.absorb(light)
        )
    }

    fn energy(&self, _elapsed: f64, _ledger: &mut Ledger) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;

    /// The AVX2 build gives the plain build's numbers bit for bit, and the transmission at a
    /// held power settles to the steady-state transfer.
    #[test]
    fn both_builds_agree_and_settle_to_the_transfer() {
        let sa = SaturableAbsorber::new(0.3, 0.05, 1e-3, 1e-9, 1e-10);
        let light = Light {
            field: (0..1000)
                .map(|i| Complex64::new((((i * 37) % 101) as f64 * 4e-5).sqrt(), 0.0))
                .collect(),
            background: (0..1000).map(|i| (i % 7) as f64 * 1e-5).collect(),
        };
        let (mut plain, mut plain_light) = (sa.clone(), light.clone());
        plain.absorb(&mut plain_light);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let (mut wide, mut wide_light) = (sa.clone(), light.clone());
            // SAFETY: the processor has AVX2 (checked just above).
            unsafe { wide.absorb_avx2(&mut wide_light) };
            assert_eq!(wide_light, plain_light);
            assert_eq!(wide.a, plain.a);
        }
        let mut held = sa.clone();
        let p: f64 = 2e-3;
        let mut l = Light {
            field: vec![Complex64::new(p.sqrt(), 0.0); 500],
            background: vec![0.0; 500],
        };
        held.absorb(&mut l);
        let t = l.field[499].norm_sqr() / p;
        assert!((t / held.steady_transmission(p) - 1.0).abs() < 1e-12, "{t}");
    }

    /// The speculative recurrence gives the plain one's numbers bit for bit: with the seed's
    /// recovery against its samples (relaxation factors about e^(−0.75·u), guesses forgotten
    /// within ~50 samples) and with a recovery 100 times slower (factors near 0.99, the re-runs
    /// go on to the segments' ends); block lengths that do and do not divide into the segments.
    #[test]
    fn speculative_recovery_is_the_plain_one() {
        for dt_over_tau in [0.75, 0.0075] {
            for n in [8192, 9001] {
                let u: Vec<f64> = (0..n)
                    .map(|j| 1.0 + ((j * 37 + j / 8) % 11) as f64)
                    .collect();
                let a_ss: Vec<f64> = u.iter().map(|u| 0.3 / u).collect();
                let decay: Vec<f64> = u.iter().map(|u| (-dt_over_tau * u).exp()).collect();
                let (mut plain, mut fast) = (Vec::new(), Vec::new());
                let a_plain = recover(0.3, &a_ss, &decay, &mut plain, None);
                let len = n / speculative::LANES - speculative::STAGGER;
                let a_fast = recover(0.3, &a_ss, &decay, &mut fast, Some(len));
                assert_eq!(a_fast.to_bits(), a_plain.to_bits());
                let first = (0..n).find(|&j| fast[j].to_bits() != plain[j].to_bits());
                assert_eq!(first, None, "dt/τ {dt_over_tau}, n {n}");
            }
        }
    }
}

//! Rare-event error rates of the reference chain: importance sampling of the receiver's noise.
//!
//! Links are specified at symbol-error rates of 10⁻⁹…10⁻¹⁵, which brute-force counting
//! ([`super::ber`]) cannot reach (10¹⁴ symbols for a 10⁻¹² figure to ±20 %). Here the chain runs
//! as it always does, but for chosen symbols the standard normal deviates of its receiver are
//! drawn from a shifted distribution that makes that symbol's error likely, and each such
//! symbol's error indicator is weighted by the likelihood ratio of its own deviates.
//!
//! **What is biased.** Symbol k's *window*: the photodiode's standard normal deviates of the
//! samples k·sps − lead … (k+1)·sps − 1 (the TIA's input noise, fused with shot and ASE–ASE noise
//! where a sample collects ≥ [`crate::photodiode::FUSE_ABOVE`] electrons; `lead` covers the TIA
//! filter's memory, [`ReferenceChain::receiver_lead`]) and the comparator's input-noise deviate:
//! d = lead + sps + 1 independent N(0, 1) coordinates. The decision statistic of the symbol (the
//! integrate-and-dump readout plus the comparator's noise) is linear in them. Every other random
//! draw — the exact Poisson counts below the fusing count, laser RIN, SOA ASE, clock jitter,
//! drift, metastability, the symbols — keeps its own distribution, so the estimator stays
//! unbiased whatever their size; they only cost efficiency when they dominate. At the powers of
//! interest (microwatts at the photodiode) the TIA's and comparator's noise dominate: the Poisson
//! variance is below 1 % of the TIA's per sample there.
//!
//! **Likelihood ratio.** With the deviates z of a window drawn from N(μ, I) instead of N(0, I),
//! the ratio of densities at the drawn z is
//!   w = φ(z)/φ(z − μ) = exp(−μ·z + |μ|²/2)
//! (Bucklew, *Introduction to Rare Event Simulation*, Springer 2004, §4.2), which depends on
//! one projection only and does not degenerate with the dimension d. The estimate of
//! P(error | class) is the mean of w·1[error] over the biased symbols of the class, its standard
//! error the sample standard deviation of w·1[error] over √n (normal 95 % interval).
//!
//! **Classes.** An error of a ternary symbol crosses one threshold in one direction: sent −1 and
//! decided above, sent 0 and decided above, sent 0 and decided below, sent +1 and decided below.
//! The biased symbol of each class is sent at the class's level (the others are random), so
//! SER = ⅓·Σ P(class error) (each level is sent with probability ⅓) and the bit-error rate is
//! ⅙·Σ E[bit flips | class] under the two-bit code of [`super::count::ternary_code`]. The
//! shift may depend on the symbol before (sent, unbiased): the comparator's hysteresis sets the
//! threshold the error crosses from the previous decision, which is that symbol but with
//! probability of the error rate.
//!
//! **Memory (the assumption).** The chain has memory: the TIA filter, the comparator's
//! hysteresis, the SOA's and absorber's gain dynamics. Biased symbols are `spacing` symbols
//! apart (8 by default, at least 3 + ⌈lead/sps⌉), and each is weighted by the ratio of its own
//! window only. That is unbiased as long as a biased window does not change the error of the
//! next biased symbol: its noise reaches the next ⌈lead/sps⌉ symbols' readouts only through the
//! TIA filter (decayed below e⁻⁸ by then), and later ones only through the comparator's state,
//! which carries a wrong decision onward only through an unbiased error at every symbol in
//! between, each at most at the rate with the threshold moved by the hysteresis. (At spacing 3
//! and a rate of 4·10⁻³ on the seed rig that chain was visible: 4.25·10⁻³ ± 4 % against the
//! count's 4.04·10⁻³ ± 4 %; at spacing 8 the two agree.) The gain dynamics respond to the
//! light, which the receiver's noise does not touch.
//!
//! **Choosing the shift.** Importance ([`Estimator::Importance`]): mean translation along the
//! error event's dominant direction. A pilot run with no shift measures, per class, the gradient
//! of the decision statistic S with respect to the window's deviates by Stein's identity
//! E[S·z] − E[S]·E[z] = E[∇S] (Stein, Ann. Stat. 9(6), 1135, 1981; exact for a linear S; refined
//! by least squares on the same draws where the window has at most 64 coordinates), and the
//! statistic's mean and variance σ² for each previous symbol. For a linear statistic with
//! gradient g and other noise of variance σ² − |g|², the most likely way to reach the threshold
//! at distance δ from the mean is z* = ±g·δ/σ² (the sign of the error's direction): the shift
//! μ = z*. A second pilot run with these shifts measures where the statistic's mean lands and
//! scales each shift along itself to put it on the threshold (a few per cent of sampling error
//! in g or σ² would otherwise leave a shift of tens of σ several σ short). The efficiency falls
//! where unbiased noise carries a share of the statistic's variance: the log-weights then spread
//! by about |μ|·√(share left), which the output reports (`biased_variance_share`) and notes.
//! Cross-entropy ([`Estimator::CrossEntropy`]), where the direction is unclear: the shift of each
//! (class, previous symbol) starts at zero and is learned by the multilevel cross-entropy method
//! (Rubinstein & Kroese, *The Cross-Entropy Method*, Springer 2004, §3.4; de Boer et al., Ann.
//! Oper. Res. 134, 19, 2005, Algorithm 2.1): each round draws with the current shift, takes the
//! level γ = min(0, the (1 − ρ) quantile of the signed excursion past the threshold), and sets the
//! shift to the likelihood-ratio-weighted mean of the deviates of the draws at or beyond γ, until
//! γ reaches the threshold. The pilot and the learning rounds come before the counted run in the
//! chain's streams, so the counted draws are independent of the shift chosen.

use super::count::{random_symbols, ternary_code};
use super::eye::Eye;
use crate::chain::{ReferenceChain, SimSettings, Tilt};
use crate::rng::{Rng, stream};
use lightloop_base::stats::Z95;
use lightloop_rig::Rig;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The estimator of an error rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Count errors among random symbols (Wilson 95 % interval).
    Brute,
    /// Importance sampling along the direction from a pilot run.
    Importance,
    /// Importance sampling with the shift learned by the cross-entropy method.
    CrossEntropy,
    /// Brute force when the symbols sent are expected to show enough errors
    /// ([`RareSettings::auto_min_errors`], from a Gaussian reading of a probe block's eye),
    /// importance sampling otherwise.
    Auto,
}

impl Estimator {
    /// The estimator's name in words.
    pub fn describe(self) -> &'static str {
        match self {
            Estimator::Brute => "brute-force count, Wilson 95 % interval",
            Estimator::Importance => {
                "importance sampling (mean translation along the pilot's gradient), normal 95 % interval"
            }
            Estimator::CrossEntropy => {
                "importance sampling (shift learned by cross-entropy), normal 95 % interval"
            }
            Estimator::Auto => "automatic choice",
        }
    }
}

impl fmt::Display for Estimator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Estimator::Brute => "brute",
            Estimator::Importance => "importance",
            Estimator::CrossEntropy => "cross-entropy",
            Estimator::Auto => "auto",
        })
    }
}

/// Settings of an error-rate estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RareSettings {
    pub estimator: Estimator,
    /// Symbols sent through the chain in the counted run (for importance sampling one in
    /// `spacing` is biased, a quarter of those in each error class).
    pub symbols: usize,
    /// Importance: unbiased symbols per class in the pilot run.
    pub pilot: usize,
    /// Cross-entropy: biased symbols per class in each learning round.
    pub ce_samples: usize,
    /// Cross-entropy: the fraction ρ of draws kept as elite in each round.
    pub ce_rarity: f64,
    /// Cross-entropy: the most learning rounds.
    pub ce_rounds: usize,
    /// Symbols between biased symbols (at least the least the chain's memory allows, 3 +
    /// ⌈lead/sps⌉, is taken).
    pub spacing: usize,
    /// Training symbols per level for the comparator's thresholds.
    pub calibration: usize,
    /// Auto: the least expected errors among `symbols` for brute force.
    pub auto_min_errors: f64,
}

impl Default for RareSettings {
    fn default() -> Self {
        Self {
            estimator: Estimator::Importance,
            symbols: 100_000,
            pilot: 2000,
            ce_samples: 3000,
            ce_rarity: 0.1,
            ce_rounds: 40,
            spacing: 8,
            calibration: 500,
            auto_min_errors: 100.0,
        }
    }
}

/// An error rate with its 95 % interval and the estimator that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub estimator: Estimator,
    pub rate: f64,
    /// Lower end of the 95 % interval (clamped at 0).
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    /// Standard error of the rate.
    pub std_error: f64,
    /// Half-width of the 95 % interval over the rate (infinite when the rate is 0).
    pub relative_half_width: f64,
    /// Importance: Kish's effective sample size (Σy)²/Σy² of the weighted error indicators y,
    /// summed over the classes (how many equally weighted errors carry the same information);
    /// brute force: the errors counted.
    pub effective_sample_size: f64,
    /// Symbols a brute-force count would need for the same standard error, p(1 − p)/se².
    pub equivalent_symbols: f64,
}

impl Figure {
    fn normal(estimator: Estimator, rate: f64, se: f64, ess: f64) -> Self {
        let rate = rate.max(0.0);
        let half = Z95 * se;
        Self {
            estimator,
            rate,
            low: (rate - half).max(0.0),
            high: rate + half,
            std_error: se,
            relative_half_width: if rate > 0.0 {
                half / rate
            } else {
                f64::INFINITY
            },
            effective_sample_size: ess,
            equivalent_symbols: if se > 0.0 {
                rate * (1.0 - rate) / (se * se)
            } else {
                0.0
            },
        }
    }

    /// The figure of a brute-force count of `errors` in `trials`.
    pub fn counted(errors: u64, trials: u64) -> Self {
        let c = super::ErrorCount::new(errors, trials);
        let p = c.rate;
        let se = (p * (1.0 - p) / trials.max(1) as f64).sqrt();
        Self {
            estimator: Estimator::Brute,
            rate: p,
            low: c.low,
            high: c.high,
            std_error: se,
            relative_half_width: if p > 0.0 {
                (c.high - c.low) / 2.0 / p
            } else {
                f64::INFINITY
            },
            effective_sample_size: errors as f64,
            equivalent_symbols: trials as f64,
        }
    }
}

impl fmt::Display for Figure {
    /// `1.02e-12 [8.1e-13, 1.2e-12]`, or `0` (no error drawn, or weights below the doubles'
    /// range: the estimate's notes say which).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rate == 0.0 {
            write!(f, "0")
        } else {
            write!(f, "{:.3e} [{:.2e}, {:.2e}]", self.rate, self.low, self.high)
        }
    }
}

/// The four error classes: (level sent, direction of the error).
pub const CLASSES: [(i8, i8); 4] = [(-1, 1), (0, 1), (0, -1), (1, -1)];

/// One error class's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassEstimate {
    /// Level sent.
    pub sent: i8,
    /// +1: decided above the level sent; −1: below.
    pub direction: i8,
    /// Biased symbols of the class counted.
    pub samples: u64,
    /// Of those, decided wrongly in the class's direction (under the shifted noise).
    pub hits: u64,
    /// P(error in this direction | level sent).
    pub probability: f64,
    pub std_error: f64,
    /// Kish's effective sample size of the weighted error indicators.
    pub effective_sample_size: f64,
    /// Length |μ| of the shift, in standard deviations, for each previous symbol −1, 0, +1.
    pub shift_sigma: [f64; 3],
    /// Importance: the share |g|²/σ² of the decision statistic's variance that the biased
    /// draws carry (from the pilot); where it is small, unbiased noise (RIN, ASE, Poisson
    /// counts) dominates and the estimate converges slowly.
    pub biased_variance_share: Option<f64>,
}

/// What an estimate measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RareEstimate {
    /// The estimator that produced the figures (auto resolved).
    pub estimator: Estimator,
    pub symbol_error_rate: Figure,
    /// Bit-error rate under the two-bit code of [`super::count::ternary_code`].
    pub bit_error_rate: Figure,
    /// Importance sampling: the four classes (empty for brute force).
    pub classes: Vec<ClassEstimate>,
    /// Symbols sent in the counted run.
    pub symbols: u64,
    /// Symbols sent before it to choose the shift (pilot or cross-entropy rounds).
    pub preparation_symbols: u64,
    /// Cross-entropy: the learning rounds run, and whether every level reached its threshold.
    pub ce_rounds: usize,
    pub ce_converged: bool,
    /// Importance sampling: symbols between biased symbols, and window samples before a
    /// symbol's own.
    pub spacing: usize,
    pub lead: usize,
    /// Auto: the symbol-error rate a Gaussian reading of the probe block's eye predicted.
    pub auto_predicted_ser: Option<f64>,
    /// What limits the figures, in words (none when nothing does).
    pub notes: Vec<String>,
}

/// A bad setting, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct RareError(pub String);

impl fmt::Display for RareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RareError {}

/// Checks the settings (counts at least 1, ρ in (0, 1), a spacing the chain allows).
pub fn check(settings: &RareSettings) -> Result<(), RareError> {
    let s = settings;
    if s.symbols == 0 || s.calibration == 0 {
        return Err(RareError(
            "the symbols and calibration symbols must be at least 1".into(),
        ));
    }
    if matches!(s.estimator, Estimator::Importance | Estimator::Auto) && s.pilot < 10 {
        return Err(RareError(format!(
            "the pilot needs at least 10 symbols per class, not {}",
            s.pilot
        )));
    }
    if s.estimator == Estimator::CrossEntropy {
        if !(s.ce_rarity > 0.0 && s.ce_rarity < 1.0) {
            return Err(RareError(format!(
                "the cross-entropy rarity must lie in (0, 1), not {}",
                s.ce_rarity
            )));
        }
        if (s.ce_samples as f64 * s.ce_rarity) < 30.0 || s.ce_rounds == 0 {
            return Err(RareError(format!(
                "cross-entropy needs at least 30 elite draws per class and round ({} × {} given) and at least one round",
                s.ce_samples, s.ce_rarity
            )));
        }
    }
    if !(s.auto_min_errors.is_finite() && s.auto_min_errors >= 0.0) {
        return Err(RareError(format!(
            "the least expected errors for brute force must be a number ≥ 0, not {}",
            s.auto_min_errors
        )));
    }
    Ok(())
}

/// An estimate as `simulate --estimator … --json` and Python's `simulate(estimator=…)` report it:
/// the rig, the seed, the operating point and the estimate.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rig: String,
    pub seed: u64,
    pub received_power_w: f64,
    pub symbol_period_s: f64,
    #[serde(flatten)]
    pub estimate: RareEstimate,
}

impl Report {
    pub fn new(rig: &Rig, seed: u64, power: f64, estimate: RareEstimate) -> Self {
        Self {
            rig: rig.rig.name.clone(),
            seed,
            received_power_w: power,
            symbol_period_s: rig.topology.symbol_period.si(),
            estimate,
        }
    }
}

/// Estimates the error rates of `rig`'s chain at full-scale received `power` (W), run `trial`:
/// the chain of channel 0 is built, its thresholds calibrated, and `settings.estimator` run
/// ([`estimate_on`]).
pub fn estimate(
    rig: &Rig,
    sim: &SimSettings,
    power: f64,
    settings: &RareSettings,
    trial: u64,
) -> Result<RareEstimate, RareError> {
    check(settings)?;
    let build = || {
        let mut chain = ReferenceChain::from_rig(rig, sim, 0, trial);
        chain.set_received_power(power);
        chain.calibrate(settings.calibration);
        chain
    };
    let mut chain = build();
    let mut estimator = settings.estimator;
    let mut predicted = None;
    if estimator == Estimator::Auto {
        let (e, p) = choose(&mut build(), sim.seed, trial, settings);
        estimator = e;
        predicted = Some(p);
    }
    let mut out = estimate_on(
        &mut chain,
        sim.seed,
        trial,
        &RareSettings {
            estimator,
            ..*settings
        },
    )?;
    out.auto_predicted_ser = predicted;
    Ok(out)
}

/// The automatic choice on a calibrated `chain` (spent by the probe): brute force when the
/// symbol-error rate a Gaussian reading of one probe block's eye predicts
/// ([`Eye::predicted_ser`]) gives at least `auto_min_errors` errors among `symbols`, importance
/// sampling otherwise. Returns the choice and the predicted rate.
pub fn choose(
    chain: &mut ReferenceChain,
    seed: u64,
    trial: u64,
    settings: &RareSettings,
) -> (Estimator, f64) {
    let mut rng = stream(seed, "rare.probe", 0, trial);
    let symbols = random_symbols(8192, &mut rng);
    let r = chain.readout(&symbols);
    let eye = Eye::measure(&r, &symbols, chain.comparator.thresholds);
    let p = eye.predicted_ser(chain.comparator.noise, chain.comparator.hysteresis);
    let p = if p.is_finite() { p } else { 1.0 };
    let enough = p * settings.symbols as f64 >= settings.auto_min_errors;
    (
        if enough {
            Estimator::Brute
        } else {
            Estimator::Importance
        },
        p,
    )
}

/// Runs `settings.estimator` (not auto: resolve it with [`choose`] first) on a calibrated
/// `chain`, the symbols drawn from streams keyed by `seed` and `trial` (brute force from the
/// stream of [`super::ber::measure`], so its count is `lightloop simulate`'s).
pub fn estimate_on(
    chain: &mut ReferenceChain,
    seed: u64,
    trial: u64,
    settings: &RareSettings,
) -> Result<RareEstimate, RareError> {
    check(settings)?;
    match settings.estimator {
        Estimator::Auto => Err(RareError(
            "resolve the automatic choice before estimating".into(),
        )),
        Estimator::Brute => {
            let mut rng = stream(seed, "bench.symbols", 0, trial);
            let c =
                super::ber::count_symbols(chain, &mut rng, settings.symbols, 8192, |_, _, _, _| {
                    Ok::<(), std::convert::Infallible>(())
                })
                .unwrap_or_else(|e| match e {});
            Ok(RareEstimate {
                estimator: Estimator::Brute,
                symbol_error_rate: Figure::counted(c.symbols.errors, c.symbols.trials),
                bit_error_rate: Figure::counted(c.bits.errors, c.bits.trials),
                classes: Vec::new(),
                symbols: c.symbols.trials,
                preparation_symbols: 0,
                ce_rounds: 0,
                ce_converged: false,
                spacing: 1,
                lead: 0,
                auto_predicted_ser: None,
                notes: Vec::new(),
            })
        }
        Estimator::Importance | Estimator::CrossEntropy => Ok(sample(chain, seed, trial, settings)),
    }
}

/// One biased symbol as drawn: its class, the symbol before it, its window's deviates (shift
/// included), its decision statistic and its decision.
struct Draw {
    class: usize,
    prev: i8,
    z: Vec<f64>,
    statistic: f64,
    decided: i8,
}

/// The biased positions of blocks of a chain: every `spacing`-th symbol, the classes in turn.
struct Sampler {
    spacing: usize,
    lead: usize,
    dim: usize,
    per_block: usize,
    rng: Rng,
    /// Biased symbols drawn so far (sets the class in turn).
    count: u64,
    /// Symbols sent.
    sent: u64,
}

impl Sampler {
    /// Draws `n` biased symbols through `chain`, each window shifted by `shift(class, prev)`,
    /// handing each to `each`.
    fn run(
        &mut self,
        chain: &mut ReferenceChain,
        n: u64,
        shift: &dyn Fn(usize, i8) -> Vec<f64>,
        each: &mut dyn FnMut(&Draw),
    ) {
        let sps = chain.clock.samples_per_symbol;
        let noise = chain.comparator.noise;
        let mut done = 0u64;
        while done < n {
            let j_n = self.per_block.min((n - done) as usize);
            let mut symbols = random_symbols(j_n * self.spacing, &mut self.rng);
            let mut tilt = Tilt {
                lead: self.lead,
                ..Tilt::default()
            };
            let mut classes = Vec::with_capacity(j_n);
            for j in 0..j_n {
                let k = j * self.spacing + self.spacing - 1;
                let class = ((self.count + j as u64) % 4) as usize;
                symbols[k] = CLASSES[class].0;
                let s = shift(class, symbols[k - 1]);
                debug_assert_eq!(s.len(), self.dim);
                tilt.symbols.push(k);
                tilt.shifts.push(s);
                classes.push(class);
            }
            tilt.draws = vec![vec![0.0; self.dim]; j_n];
            chain.transmit(&symbols);
            let r = chain.receive_tilted(Some(&mut tilt));
            let d = chain.decide_tilted(&r, &mut tilt);
            debug_assert!(tilt.symbols.iter().all(|k| k * sps >= self.lead));
            for (j, (&k, z)) in tilt.symbols.iter().zip(tilt.draws.drain(..)).enumerate() {
                let statistic = r[k] + noise * z[self.dim - 1];
                each(&Draw {
                    class: classes[j],
                    prev: symbols[k - 1],
                    z,
                    statistic,
                    decided: d[k],
                });
            }
            self.count += j_n as u64;
            self.sent += symbols.len() as u64;
            done += j_n as u64;
        }
    }
}

/// exp(−μ·z + |μ|²/2): the likelihood ratio of N(0, I) to N(μ, I) at z.
fn likelihood_ratio(mu: &[f64], z: &[f64]) -> f64 {
    log_likelihood_ratio(mu, z).exp()
}

/// −μ·z + |μ|²/2.
fn log_likelihood_ratio(mu: &[f64], z: &[f64]) -> f64 {
    let dot: f64 = mu.iter().zip(z).map(|(m, z)| m * z).sum();
    let norm: f64 = mu.iter().map(|m| m * m).sum();
    -dot + norm / 2.0
}

/// The largest log-likelihood ratio kept: e⁷⁰⁰ ≈ 10³⁰⁴, below the largest double.
const MAX_LOG_WEIGHT: f64 = 700.0;

/// The threshold an error of `class` crosses when the comparator's previous decision was
/// `prev`, V: the comparator's rule ([`crate::comparator::Comparator::decide`]).
fn threshold(chain: &ReferenceChain, class: usize, prev: i8) -> f64 {
    let (t1, t2) = chain.comparator.thresholds;
    let h = chain.comparator.hysteresis / 2.0;
    match CLASSES[class] {
        (-1, _) | (0, -1) => {
            if prev <= -1 {
                t1 + h
            } else {
                t1 - h
            }
        }
        _ => {
            if prev >= 1 {
                t2 - h
            } else {
                t2 + h
            }
        }
    }
}

/// Index of a (class, previous symbol) proposal.
fn key(class: usize, prev: i8) -> usize {
    class * 3 + (prev + 1) as usize
}

/// Whether a decision is an error of `class`.
fn is_error(class: usize, decided: i8) -> bool {
    let (sent, dir) = CLASSES[class];
    (decided - sent) * dir > 0
}

/// Importance sampling on `chain`: the shifts (pilot or cross-entropy), then the counted run.
fn sample(
    chain: &mut ReferenceChain,
    seed: u64,
    trial: u64,
    settings: &RareSettings,
) -> RareEstimate {
    let sps = chain.clock.samples_per_symbol;
    let lead = chain.receiver_lead();
    let least = 3 + lead.div_ceil(sps);
    let spacing = settings.spacing.max(least);
    let dim = lead + sps + 1;
    let mut sampler = Sampler {
        spacing,
        lead,
        dim,
        per_block: (8192 / spacing).max(1),
        rng: stream(seed, "rare.symbols", 0, trial),
        count: 0,
        sent: 0,
    };
    let zero = vec![0.0; dim];
    let (shifts, rounds, converged, share) = match settings.estimator {
        Estimator::CrossEntropy => {
            let (s, r, c) = cross_entropy(chain, &mut sampler, settings);
            (s, r, c, None)
        }
        _ => {
            let (s, share) = pilot_shifts(chain, &mut sampler, settings.pilot);
            (s, 0, false, Some(share))
        }
    };
    let preparation = sampler.sent;
    sampler.sent = 0;
    // Counted run: per class Σy, Σy², Σb, Σb², hits, n (y = w·1[error], b = w·bit flips).
    let mut acc = [[0.0f64; 4]; 4];
    let mut hits = [0u64; 4];
    let mut n = [0u64; 4];
    let mut capped = false;
    let biased = (settings.symbols / spacing).max(4) as u64;
    let shift_of = |class: usize, prev: i8| {
        shifts
            .get(key(class, prev))
            .cloned()
            .unwrap_or_else(|| zero.clone())
    };
    sampler.run(chain, biased, &shift_of, &mut |d: &Draw| {
        let c = d.class;
        n[c] += 1;
        if is_error(c, d.decided) {
            let log_w = log_likelihood_ratio(&shift_of(c, d.prev), &d.z);
            capped |= log_w > MAX_LOG_WEIGHT;
            let w = log_w.min(MAX_LOG_WEIGHT).exp();
            let flips = (ternary_code(CLASSES[c].0) ^ ternary_code(d.decided)).count_ones() as f64;
            hits[c] += 1;
            acc[c][0] += w;
            acc[c][1] += w * w;
            acc[c][2] += w * flips;
            acc[c][3] += (w * flips).powi(2);
        }
    });
    let mean_se = |sum: f64, sq: f64, n: u64| {
        let nf = n.max(1) as f64;
        let m = sum / nf;
        let var = if n > 1 {
            ((sq - nf * m * m) / (nf - 1.0)).max(0.0)
        } else {
            0.0
        };
        (m, (var / nf).sqrt())
    };
    let mut classes = Vec::new();
    let (mut ser, mut ser_var, mut ber, mut ber_var, mut ess_sym, mut ess_bit) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for c in 0..4 {
        let (p, se) = mean_se(acc[c][0], acc[c][1], n[c]);
        let (b, bse) = mean_se(acc[c][2], acc[c][3], n[c]);
        let kish = |s: f64, q: f64| if q > 0.0 { s * s / q } else { 0.0 };
        let ess = kish(acc[c][0], acc[c][1]);
        ser += p / 3.0;
        ser_var += se * se / 9.0;
        ber += b / 6.0;
        ber_var += bse * bse / 36.0;
        ess_sym += ess;
        ess_bit += kish(acc[c][2], acc[c][3]);
        let norm = |prev: i8| {
            shifts
                .get(key(c, prev))
                .map_or(0.0, |m| m.iter().map(|x| x * x).sum::<f64>().sqrt())
        };
        classes.push(ClassEstimate {
            sent: CLASSES[c].0,
            direction: CLASSES[c].1,
            samples: n[c],
            hits: hits[c],
            probability: p,
            std_error: se,
            effective_sample_size: ess,
            shift_sigma: [norm(-1), norm(0), norm(1)],
            biased_variance_share: share.map(|s| s[c]),
        });
    }
    let mut notes = Vec::new();
    if ser == 0.0 && hits.iter().any(|h| *h > 0) {
        notes.push(
            "errors were drawn but their likelihood ratios underflow (below 1e-308): the rates are below the range of doubles and reported as 0"
                .to_string(),
        );
    }
    if ser == 0.0 && hits.iter().all(|h| *h == 0) {
        notes.push(
            "no error was drawn under the shifted noise: the rate is reported as 0, with no interval (send more symbols)"
                .to_string(),
        );
    }
    if let Some(low) = share.map(|s| s.iter().copied().fold(f64::INFINITY, f64::min))
        && low < 0.8
    {
        notes.push(format!(
            "the biased draws carry only {:.0} % of the decision statistic's variance in some class (unbiased noise — RIN, ASE, Poisson counts — carries the rest): the estimate is unbiased but converges slowly",
            100.0 * low
        ));
    }
    if ess_sym > 0.0 && ess_sym < 30.0 {
        notes.push(format!(
            "the effective sample size is {ess_sym:.1}: the normal interval is not reliable with so few; send more symbols"
        ));
    }
    if capped {
        notes.push(format!(
            "some drawn errors had likelihood ratios above e^{MAX_LOG_WEIGHT} (errors far from the shifted direction) and were capped there: the rate may be underestimated"
        ));
    }
    RareEstimate {
        notes,
        estimator: settings.estimator,
        symbol_error_rate: Figure::normal(settings.estimator, ser, ser_var.sqrt(), ess_sym),
        bit_error_rate: Figure::normal(settings.estimator, ber, ber_var.sqrt(), ess_bit),
        classes,
        symbols: sampler.sent,
        preparation_symbols: preparation,
        ce_rounds: rounds,
        ce_converged: converged,
        spacing,
        lead,
        auto_predicted_ser: None,
    }
}

/// The importance shifts from an unbiased pilot of `per_class` symbols per class: per class the
/// gradient g of the statistic by Stein's identity, per (class, previous symbol) the statistic's
/// mean m and variance σ², and the shift ±g·δ/σ² with δ the distance from m to the threshold
/// (towards it; none where the eye is closed, δ ≤ 0); then a second run of as many symbols with
/// those shifts, and each shift scaled so that the statistic's mean under it lands on the
/// threshold.
fn pilot_shifts(
    chain: &mut ReferenceChain,
    sampler: &mut Sampler,
    per_class: usize,
) -> (Vec<Vec<f64>>, [f64; 4]) {
    let mut draws: Vec<Draw> = Vec::new();
    let dim = sampler.dim;
    let zero = vec![0.0; dim];
    sampler.run(
        chain,
        4 * per_class as u64,
        &|_, _| zero.clone(),
        &mut |d: &Draw| {
            draws.push(Draw {
                class: d.class,
                prev: d.prev,
                z: d.z.clone(),
                statistic: d.statistic,
                decided: d.decided,
            })
        },
    );
    // Mean and variance of the statistic per key.
    let mut sum = [0.0f64; 12];
    let mut sq = [0.0f64; 12];
    let mut n = [0usize; 12];
    for d in &draws {
        let k = key(d.class, d.prev);
        sum[k] += d.statistic;
        sq[k] += d.statistic * d.statistic;
        n[k] += 1;
    }
    let mean: [f64; 12] = std::array::from_fn(|k| sum[k] / n[k].max(1) as f64);
    // Gradient per class (from deviations about each key's mean), and the pooled variance.
    let mut grad = vec![vec![0.0f64; dim]; 4];
    let mut var = [0.0f64; 4];
    let mut nc = [0usize; 4];
    for d in &draws {
        let dev = d.statistic - mean[key(d.class, d.prev)];
        for (g, z) in grad[d.class].iter_mut().zip(&d.z) {
            *g += dev * z;
        }
        var[d.class] += dev * dev;
        nc[d.class] += 1;
    }
    let mut shifts = vec![vec![0.0; dim]; 12];
    let mut share = [0.0; 4];
    for c in 0..4 {
        let m = nc[c].max(2) as f64;
        grad[c].iter_mut().for_each(|g| *g /= m);
        // Least squares refines Stein's estimate where the window is small against the pilot:
        // E[z zᵀ] = I, so it is the same estimator with the sample's own Gram matrix, and its
        // error comes from the unbiased noise alone instead of the whole statistic.
        if dim <= 64 && nc[c] > 4 * dim {
            let mut gram = vec![vec![0.0f64; dim]; dim];
            for d in draws.iter().filter(|d| d.class == c) {
                for (row, zi) in gram.iter_mut().zip(&d.z) {
                    for (g, zj) in row.iter_mut().zip(&d.z) {
                        *g += zi * zj / m;
                    }
                }
            }
            if let Some(g) = solve(gram, grad[c].clone()) {
                grad[c] = g;
            }
        }
        let var = var[c] / (m - 1.0);
        if var > 0.0 {
            share[c] = grad[c].iter().map(|g| g * g).sum::<f64>() / var;
        }
        for prev in -1..=1i8 {
            let k = key(c, prev);
            if n[k] == 0 || var <= 0.0 {
                continue;
            }
            let dir = CLASSES[c].1 as f64;
            let delta = dir * (threshold(chain, c, prev) - mean[k]);
            if delta > 0.0 {
                // The statistic moves by dir·δ.
                shifts[k] = grad[c].iter().map(|g| g * dir * delta / var).collect();
            }
        }
    }
    // Second stage: the statistic's mean under these shifts, and each shift scaled along its
    // own direction so that the mean lands on the threshold (the statistic is linear in the
    // shift; the pilot's gradient and variance carry sampling errors of a few per cent, which
    // a shift of tens of σ turns into σs short of or beyond the threshold).
    let mut moved = [0.0f64; 12];
    let mut count = [0usize; 12];
    let current = shifts.clone();
    sampler.run(
        chain,
        4 * per_class as u64,
        &|c, p| current[key(c, p)].clone(),
        &mut |d: &Draw| {
            let k = key(d.class, d.prev);
            moved[k] += d.statistic;
            count[k] += 1;
        },
    );
    for k in 0..12 {
        let (c, prev) = (k / 3, (k % 3) as i8 - 1);
        let dir = CLASSES[c].1 as f64;
        let want = dir * (threshold(chain, c, prev) - mean[k]);
        let got = dir * (moved[k] / count[k].max(1) as f64 - mean[k]);
        if count[k] >= 10 && want > 0.0 && got > 0.0 && shifts[k].iter().any(|m| *m != 0.0) {
            let scale = (want / got).clamp(0.5, 2.0);
            shifts[k].iter_mut().for_each(|m| *m *= scale);
        }
    }
    (shifts, share)
}

/// Solves A·x = b by Gaussian elimination with partial pivoting; None when A is singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, rest) = a.split_at_mut(col + 1);
        let p = &top[col];
        for (row, r) in rest.iter_mut().enumerate() {
            let f = r[col] / p[col];
            for (x, y) in r[col..].iter_mut().zip(&p[col..]) {
                *x -= f * y;
            }
            b[col + 1 + row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The multilevel cross-entropy method for the shift of each (class, previous symbol): returns
/// the shifts, the rounds run and whether every level reached its threshold.
fn cross_entropy(
    chain: &mut ReferenceChain,
    sampler: &mut Sampler,
    settings: &RareSettings,
) -> (Vec<Vec<f64>>, usize, bool) {
    let dim = sampler.dim;
    let mut shifts = vec![vec![0.0f64; dim]; 12];
    let mut reached = [false; 12];
    let mut rounds = 0;
    while rounds < settings.ce_rounds && !reached.iter().all(|r| *r) {
        rounds += 1;
        let mut draws: Vec<(usize, f64, Vec<f64>)> = Vec::new();
        let current = shifts.clone();
        sampler.run(
            chain,
            4 * settings.ce_samples as u64,
            &|c, p| current[key(c, p)].clone(),
            &mut |d: &Draw| draws.push((key(d.class, d.prev), d.statistic, d.z.clone())),
        );
        for k in 0..12 {
            if reached[k] {
                continue;
            }
            let (class, prev) = (k / 3, (k % 3) as i8 - 1);
            let t = threshold(chain, class, prev);
            let dir = CLASSES[class].1 as f64;
            let mine: Vec<&(usize, f64, Vec<f64>)> = draws.iter().filter(|d| d.0 == k).collect();
            if mine.len() < 10 {
                continue;
            }
            // Signed excursion past the threshold: ≥ 0 is an error (metastability aside).
            let mut s: Vec<f64> = mine.iter().map(|d| dir * (d.1 - t)).collect();
            s.sort_by(f64::total_cmp);
            let q = s[((1.0 - settings.ce_rarity) * (s.len() - 1) as f64).round() as usize];
            let level = q.min(0.0);
            let (mut wsum, mut mean) = (0.0, vec![0.0; dim]);
            for d in &mine {
                if dir * (d.1 - t) >= level {
                    let w = likelihood_ratio(&current[k], &d.2);
                    wsum += w;
                    mean.iter_mut().zip(&d.2).for_each(|(m, z)| *m += w * z);
                }
            }
            if wsum > 0.0 && wsum.is_finite() {
                shifts[k] = mean.into_iter().map(|m| m / wsum).collect();
            }
            reached[k] = level >= 0.0;
        }
    }
    (shifts, rounds, reached.iter().all(|r| *r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The likelihood ratio is the ratio of the two normal densities, φ(z)/φ(z − μ), at points
    /// near and far from the shift.
    #[test]
    fn likelihood_ratio_is_the_density_ratio() {
        let density = |x: &[f64]| (-x.iter().map(|v| v * v).sum::<f64>() / 2.0).exp();
        let mu = [1.5, -0.5, 3.0];
        for z in [[0.0, 0.0, 0.0], [1.5, -0.5, 3.0], [2.0, 1.0, -1.0]] {
            let shifted: Vec<f64> = z.iter().zip(&mu).map(|(z, m)| z - m).collect();
            let want = density(&z) / density(&shifted);
            let got = likelihood_ratio(&mu, &z);
            assert!((got / want - 1.0).abs() < 1e-12, "{got} vs {want}");
        }
    }

    /// Gaussian elimination solves a system that needs pivoting, and refuses a singular one.
    #[test]
    fn solve_needs_pivoting_and_refuses_singular_systems() {
        let a = vec![
            vec![0.0, 2.0, 1.0],
            vec![1.0, 1.0, 0.0],
            vec![2.0, 0.0, 3.0],
        ];
        // x = (1, 2, −1).
        let x = solve(a, vec![3.0, 3.0, -1.0]).unwrap();
        for (got, want) in x.iter().zip([1.0, 2.0, -1.0]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
        let singular = vec![vec![1.0, 2.0], vec![2.0, 4.0]];
        assert_eq!(solve(singular, vec![1.0, 2.0]), None);
    }

    /// An error of a class is a decision beyond the level sent in the class's direction only.
    #[test]
    fn class_errors_have_a_direction() {
        assert!(is_error(0, 0) && is_error(0, 1) && !is_error(0, -1));
        assert!(is_error(1, 1) && !is_error(1, 0) && !is_error(1, -1));
        assert!(is_error(2, -1) && !is_error(2, 0) && !is_error(2, 1));
        assert!(is_error(3, 0) && is_error(3, -1) && !is_error(3, 1));
    }
}

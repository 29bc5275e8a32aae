//! The impairments of a multi-lane loop over fibre in one budget: each impairment's penalty at
//! the rig's passes between readouts and the passes it allows, and which one limits the loop.
//!
//! - lane gain (tilt and ripple across the WDM band, [`crate::lane_gain`]): the worst lanes'
//!   residual gain errors through the loop's return map; criterion: a level's error rate passes
//!   the target;
//! - polarisation-dependent gain ([`crate::polarisation`]): a random gain error every pass, the
//!   +1 level's deviation a random walk held back by the map's slope; criterion: error rate;
//! - chromatic dispersion ([`crate::dispersion`]): criterion: the penalty passes the budget;
//! - mode-dependent loss and mode crosstalk ([`crate::mode_multiplexing`]): the worst modes'
//!   gain errors (error rate), the accumulated crosstalk's penalty (budget);
//! - all together: the worst lane's gain errors added (tilt/ripple and MDL of the same sign) with
//!   PDG on top, the passes the fewest of that and of the budget-based limits.
//!
//! Each gain-error figure includes the loop's own drift (ASE, the modulator's extinction
//! floor), which the "none" line shows alone. The figures are closed forms or iterations of
//! the one-value return map, cheap enough for the `noise` command and the report but kept out
//! of the cost model's per-evaluation path.

use crate::decision::loop_noise;
use crate::dispersion::Dispersion;
use crate::lane_gain::{LaneFate, LaneGains, LaneLoop, LaneSetting};
use crate::mode_multiplexing::ModeMultiplexing;
use crate::noise::ReadoutPoint;
use crate::polarisation::sigma_per_pass_db;
use crate::regeneration::slope;
use lightloop_rig::rig::Rig;
use serde::Serialize;

/// Criterion of a limit based on the error rate.
pub const BY_ERROR_RATE: &str = "error rate > target";
/// Criterion of a limit based on the penalty budget.
pub const BY_BUDGET: &str = "penalty > budget";

/// One impairment's penalty and the passes it allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub impairment: &'static str,
    /// The impairment's size, in words with units.
    pub detail: String,
    /// Its penalty after the rig's passes, dB: the worst level offset for gain errors, the rms
    /// gain error for PDG, the power penalty for dispersion and crosstalk (None: the eye is
    /// closed, the closed form has no finite penalty).
    pub penalty_db: Option<f64>,
    /// The worse level's error rate after the rig's passes (gain-error impairments).
    pub error_rate: Option<f64>,
    /// The first pass beyond the criterion (None: not within the passes iterated, or never).
    pub passes: Option<u64>,
    pub criterion: &'static str,
}

/// The impairments of a rig's loop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpairmentBudget {
    pub target_error_rate: f64,
    /// The rig's passes between readouts.
    pub passes: u32,
    pub penalty_budget_db: f64,
    /// Whether the loop's amplifier saturates (the return map) or the loop is linear.
    pub regenerating: bool,
    pub lane_gains: Option<LaneGains>,
    pub dispersion: Option<Dispersion>,
    pub modes: Option<ModeMultiplexing>,
    /// PDG per pass and its σ per pass, dB.
    pub pdg_db: Option<f64>,
    pub pdg_sigma_per_pass_db: Option<f64>,
    /// The loop without impairment, then each impairment, then all together.
    pub limits: Vec<Limit>,
    /// The impairment with the fewest passes (the loop's own drift when none comes sooner).
    pub limited_by: &'static str,
    pub limit_passes: Option<u64>,
    pub model: &'static str,
}

/// The impairment model in one line, for outputs.
pub const MODEL: &str = "impairments per pass: lane gain error g_k = tilt·x + (ripple/2)·sin(2πpx) − mean \
    (the trim equalises the mean only), iterated through the loop's return map scaled by \
    10^(g_k/20) (linear loop f(a) = a without an SOA); PDG uniform in ±PDG/2 dB per pass \
    (random SOP on the Poincaré sphere), σ = PDG/(2√3), a random walk held back by the map's \
    slope; dispersion penalty −5·log10(1 − (4BL|D|σ_λ)²), L growing by the loop fibre each pass; \
    MDL as a fixed gain error ±MDL/2 of the worst modes; mode crosstalk adding in power, penalty \
    −10·log10(1 − 2√ε); levels at amplitude 0, ±1, thresholds ½, Gaussian deviations";

impl ImpairmentBudget {
    /// The impairments of `rig` at target error rate `target`, with the loop's noise from the
    /// headline readout `point`; `None` when the rig sets neither `[impairments]` nor
    /// `[mode_multiplexing]`.
    pub fn of_rig(rig: &Rig, point: ReadoutPoint, target: f64) -> Option<Self> {
        if rig.impairments.is_none() && rig.mode_multiplexing.is_none() {
            return None;
        }
        let (sigma_pass, sigma_read) = loop_noise(rig, point);
        let lane_loop = LaneLoop::of_rig(rig);
        let setting = LaneSetting {
            lane_loop,
            zero_start: (1.0 / rig.modulator.extinction_ratio.linear()).sqrt(),
            sigma_pass,
            sigma_read,
            target,
            passes: rig.topology.loop_passes as usize,
        };
        let im = rig.impairments.clone().unwrap_or_default();
        let pdg = im.polarisation_dependent_gain.map(|v| v.db());
        Some(Self::new(
            setting,
            LaneGains::of_rig(rig),
            pdg,
            Dispersion::of_rig(rig),
            ModeMultiplexing::of_rig(rig),
            im.penalty_budget_db(),
        ))
    }

    /// The budget from its parts (see the module's notes).
    pub fn new(
        setting: LaneSetting,
        lane_gains: Option<LaneGains>,
        pdg_db: Option<f64>,
        dispersion: Option<Dispersion>,
        modes: Option<ModeMultiplexing>,
        penalty_budget_db: f64,
    ) -> Self {
        let n = setting.passes;
        let drift_limit = |impairment, detail: String, fates: &[LaneFate]| {
            let worst = fates
                .iter()
                .max_by(|a, b| a.offset_db.abs().total_cmp(&b.offset_db.abs()));
            Limit {
                impairment,
                detail,
                penalty_db: Some(worst.map_or(0.0, |f| f.offset_db.abs())),
                error_rate: fates.iter().map(|f| f.error_rate).reduce(f64::max),
                passes: fates
                    .iter()
                    .filter_map(|f| f.passes_to_target)
                    .min()
                    .map(|p| p as u64),
                criterion: BY_ERROR_RATE,
            }
        };
        let mut limits = vec![drift_limit(
            "none (the loop's own drift)",
            "no gain error, ASE only".into(),
            &[setting.fate(0.0, 0.0)],
        )];
        if let Some(g) = &lane_gains {
            limits.push(drift_limit(
                "lane gain (tilt and ripple)",
                format!(
                    "tilt {:.2} dB and ripple {:.2} dB p-p over the band; {} wavelengths, worst lanes {:+.3} / {:+.3} dB per pass",
                    g.tilt_db, g.ripple_db, g.wavelengths, g.worst_low_db, g.worst_high_db
                ),
                &[
                    setting.fate(g.worst_low_db, 0.0),
                    setting.fate(g.worst_high_db, 0.0),
                ],
            ));
        }
        let pdg_sigma = pdg_db.map(sigma_per_pass_db);
        if let (Some(p), Some(s)) = (pdg_db, pdg_sigma) {
            let fate = setting.fate(0.0, s);
            // The rms gain error after n passes: σ₁·√((1 − s^{2n})/(1 − s²)) with s the
            // map's slope at +1 (σ₁·√n for a linear loop).
            let k = match setting.lane_loop {
                LaneLoop::Map(m) => slope(&|a| m.next(a), 1.0).abs(),
                LaneLoop::Linear => 1.0,
            };
            let nf = n as f64;
            let rms = if (1.0 - k * k).abs() < 1e-12 {
                s * nf.sqrt()
            } else {
                s * ((1.0 - k.powf(2.0 * nf)) / (1.0 - k * k)).max(0.0).sqrt()
            };
            limits.push(Limit {
                penalty_db: Some(rms).filter(|r| r.is_finite()),
                ..drift_limit(
                    "polarisation-dependent gain",
                    format!(
                        "PDG {p:.2} dB per pass, σ {s:.3} dB per pass (uniform in ±{:.2} dB)",
                        p / 2.0
                    ),
                    &[fate],
                )
            });
        }
        if let Some(d) = &dispersion {
            limits.push(Limit {
                impairment: "chromatic dispersion",
                detail: format!(
                    "D {:.1} ps/(nm·km), {:.0} m per pass, σ_λ {:.3} nm{}; broadening {:.3} ps per pass, {:.3} ps after {} passes",
                    d.dispersion_ps_nm_km,
                    d.length_per_pass_m,
                    d.spectral_width_m * 1e9,
                    if d.width_from_modulation {
                        " (from the modulator's bandwidth)"
                    } else {
                        ""
                    },
                    d.broadening_per_pass_s * 1e12,
                    d.broadening_s * 1e12,
                    d.passes
                ),
                penalty_db: d.penalty_db,
                error_rate: None,
                passes: d.passes_to_budget,
                criterion: BY_BUDGET,
            });
        }
        let mdl = modes.map_or(0.0, |m| m.mode_dependent_loss_db);
        if let Some(m) = &modes {
            if m.mode_dependent_loss_db > 0.0 {
                limits.push(drift_limit(
                    "mode-dependent loss",
                    format!(
                        "MDL {:.2} dB per pass over {} modes, worst modes ±{:.2} dB per pass",
                        m.mode_dependent_loss_db,
                        m.modes,
                        m.mode_dependent_loss_db / 2.0
                    ),
                    &[setting.fate(-mdl / 2.0, 0.0), setting.fate(mdl / 2.0, 0.0)],
                ));
            }
            if m.crosstalk_per_pass > 0.0 {
                limits.push(Limit {
                    impairment: "mode crosstalk",
                    detail: format!(
                        "{:.1} dB per pass from the other {} modes, {:.1} dB after {} passes",
                        10.0 * m.crosstalk_per_pass.log10(),
                        m.modes.saturating_sub(1),
                        10.0 * m.crosstalk_after.log10(),
                        m.passes
                    ),
                    penalty_db: m.crosstalk_penalty_db,
                    error_rate: None,
                    passes: m.passes_to_budget,
                    criterion: BY_BUDGET,
                });
            }
        }
        // All together: the worst lane's gain errors of one sign added, PDG on top.
        let (low, high) = lane_gains
            .as_ref()
            .map_or((0.0, 0.0), |g| (g.worst_low_db, g.worst_high_db));
        let s = pdg_sigma.unwrap_or(0.0);
        let mut all = drift_limit(
            "all together",
            format!(
                "worst lane {:+.3} / {:+.3} dB per pass with PDG",
                low - mdl / 2.0,
                high + mdl / 2.0
            ),
            &[
                setting.fate(low - mdl / 2.0, s),
                setting.fate(high + mdl / 2.0, s),
            ],
        );
        let budget_based: Vec<&Limit> =
            limits.iter().filter(|l| l.criterion == BY_BUDGET).collect();
        // The penalties in dB added (closed eye: none).
        all.penalty_db = budget_based
            .iter()
            .try_fold(all.penalty_db.unwrap_or(0.0), |sum, l| {
                l.penalty_db.map(|p| sum + p)
            });
        all.passes = all
            .passes
            .into_iter()
            .chain(budget_based.iter().filter_map(|l| l.passes))
            .min();
        if limits.len() > 2 {
            limits.push(all);
        }
        // Which limits: the fewest passes among the impairments (the "all together" line aside),
        // or the loop's own drift when it comes first.
        let own = limits[0].passes;
        let first = limits[1..]
            .iter()
            .filter(|l| l.impairment != "all together")
            .filter_map(|l| l.passes.map(|p| (p, l.impairment)))
            .min_by_key(|(p, _)| *p);
        let (limited_by, limit_passes) = match (first, own) {
            (Some((p, name)), Some(o)) if p < o => (name, Some(p)),
            (Some((p, name)), None) => (name, Some(p)),
            (_, Some(o)) => (limits[0].impairment, Some(o)),
            (None, None) => ("nothing within the passes iterated", None),
        };
        Self {
            target_error_rate: setting.target,
            passes: n as u32,
            penalty_budget_db,
            regenerating: setting.lane_loop.regenerates(),
            lane_gains,
            dispersion,
            modes,
            pdg_db,
            pdg_sigma_per_pass_db: pdg_sigma,
            limits,
            limited_by,
            limit_passes,
            model: MODEL,
        }
    }

    /// Which impairment limits the loop, in words.
    pub fn words(&self) -> String {
        let within = |p: u64| {
            if p <= self.passes as u64 {
                format!(", within the rig's {} passes between readouts", self.passes)
            } else {
                format!(", beyond the rig's {} passes between readouts", self.passes)
            }
        };
        let together = self
            .limits
            .iter()
            .find(|l| l.impairment == "all together")
            .and_then(|l| l.passes)
            .filter(|t| self.limit_passes.is_none_or(|p| *t < p))
            .map_or(String::new(), |t| {
                format!("; all together (the worst lane's gain errors with PDG, and the penalties) the loop passes its criteria at pass {t}")
            });
        let one = match self.limit_passes {
            Some(p) if self.limited_by.starts_with("none") => format!(
                "no impairment comes before the loop's own drift, which passes the target error rate at pass {p}{}",
                within(p)
            ),
            Some(p) => format!(
                "{} limits the loop: its criterion is first passed at pass {p}{}",
                self.limited_by,
                within(p)
            ),
            None => "no limit within the passes iterated".into(),
        };
        one + &together
    }
}

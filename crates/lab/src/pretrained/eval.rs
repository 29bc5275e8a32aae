//! Digital versus optical: SmolLM2's perplexity or MiniLM's sentence embeddings with chosen
//! linear layers on the rig's twin, at the rig's light and ADC and over sweeps of photons and ADC
//! bits, with the energy and time per token of exactly that mapping beside the GPUs'.

use super::verdict::{self, Terms, Verdict, Works};
use super::{catalogued, derived, english_ids, locate, op_list, op_name};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_base::words::{count, percent};
use lightloop_models::bert::Bert;
use lightloop_models::eval::{self as measure, Perplexity, SentenceCheck, Tokenizer};
use lightloop_models::fetch::Catalogued;
use lightloop_models::linear::{AdcRange, Optics, Weights};
use lightloop_models::llama::Llama;
use lightloop_plot::{Axes, Series};
use lightloop_rig::{Derive, OpticalOp, Rig, Workload};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// The GPUs (presets) priced beside the rig.
pub const GPUS: [&str; 3] = ["h100-sxm", "h200-sxm", "b200"];

/// What to measure: the model, the layers on the optics and the settings of the optics.
#[derive(Debug, Clone)]
pub struct Config {
    /// Model name: `smollm2` (perplexity) or `minilm` (embedding similarity).
    pub model: String,
    /// Folder holding the model's files; `None`: the cache that `lightloop model fetch` fills.
    pub model_dir: Option<PathBuf>,
    /// The workload priced, whose `optical_ops` are the layers mapped onto the optics; `None`:
    /// the model's preset ([`workload_preset`]).
    pub workload: Option<Workload>,
    /// Linear layers on the optics, in place of the workload's `optical_ops`.
    pub ops: Option<Vec<OpticalOp>>,
    /// Weight representations measured, each at every setting of the optics.
    pub weights: Vec<Weights>,
    /// ADC spans measured at the rig's light and ADC; the sweeps use the first.
    pub adc_range: Vec<AdcRange>,
    /// Photons per input per symbol swept (none: no photon sweep).
    pub photons: Vec<f64>,
    /// ADC bits swept, each converter keeping the rig's ENOB shortfall (none: no ADC sweep).
    pub adc_bits: Vec<u32>,
    /// Tokens of text scored (smollm2).
    pub tokens: usize,
    /// Tokens per window; each window is scored from position 0 (smollm2).
    pub window: usize,
    /// Characters of the text skipped before scoring (smollm2).
    pub offset: usize,
    /// Seed of the optical noise (the same streams for every setting).
    pub seed: u64,
    /// The largest loss against the digital model with which a setting still works: its
    /// perplexity at most this fraction above the digital model's (smollm2), its paraphrase
    /// ranking at most this fraction below (minilm). See [`Works`].
    pub tolerance: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            model: "smollm2".into(),
            model_dir: None,
            workload: None,
            ops: None,
            weights: vec![Weights::Ternary, Weights::Analog],
            adc_range: vec![AdcRange::Calibrated { margin: 1.25 }, AdcRange::WorstCase],
            photons: Vec::new(),
            adc_bits: Vec::new(),
            tokens: 1024,
            window: 128,
            offset: 12_000,
            seed: 1,
            tolerance: 0.1,
        }
    }
}

impl Config {
    /// Checks every field that does not need the model or the rig, naming the first bad one.
    pub fn validate(&self) -> Result<(), LabError> {
        catalogued(&self.model)?;
        if let Some(ops) = &self.ops {
            if ops.is_empty() {
                return Err(LabError::config(
                    "ops",
                    "no linear layer is mapped onto the optics",
                ));
            }
            if let Some((_, op)) = ops.iter().enumerate().find(|(i, o)| ops[..*i].contains(o)) {
                return Err(LabError::config(
                    "ops",
                    format!("`{}` is listed twice", op_name(*op)),
                ));
            }
        }
        if self.weights.is_empty() {
            return Err(LabError::config("weights", "needs at least one value"));
        }
        if let Some(p) = self.photons.iter().find(|p| !(p.is_finite() && **p > 0.0)) {
            return Err(LabError::config(
                "photons",
                format!("{p} is not a positive number"),
            ));
        }
        if let Some(b) = self.adc_bits.iter().find(|b| !(2..=16).contains(*b)) {
            return Err(LabError::config(
                "adc_bits",
                format!("{b} is not in 2 … 16"),
            ));
        }
        if self.window < 2 {
            return Err(LabError::config("window", "must be at least 2"));
        }
        if self.tokens < 2 {
            return Err(LabError::config("tokens", "must be at least 2"));
        }
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(LabError::config(
                "tolerance",
                format!("{} is not between 0 and 1", self.tolerance),
            ));
        }
        if self.adc_range.is_empty() {
            return Err(LabError::config("adc_range", "needs at least one value"));
        }
        if let Some(m) = self.adc_range.iter().find_map(|r| match r {
            AdcRange::Calibrated { margin } if !(margin.is_finite() && *margin > 0.0) => {
                Some(*margin)
            }
            _ => None,
        }) {
            return Err(LabError::config(
                "adc_range",
                format!("the calibration margin {m} is not a positive number"),
            ));
        }
        Ok(())
    }

    /// The workload priced on `rig`, after every check that needs no model: the configuration
    /// is valid, the workload (the configuration's, else the model's preset) with the chosen
    /// optical ops maps at least one layer onto the optics, and it fits the rig.
    pub fn workload(&self, rig: &Rig) -> Result<Workload, LabError> {
        self.validate()?;
        let wl = match &self.workload {
            Some(w) => w.clone(),
            None => lightloop_rig::load_workload(workload_preset(&self.model)?, &[])?.value,
        };
        let wl = match &self.ops {
            Some(ops) => wl
                .modified(|w| w.run.optical_ops = ops.clone())
                .map_err(|p| derived("the workload with the chosen optical ops", p))?,
            None => wl,
        };
        let (on_wl, on_rig) = lightloop_rig::pair_problems(rig, &wl);
        if !(on_wl.is_empty() && on_rig.is_empty()) {
            return Err(lightloop_cost::Incompatible {
                workload: on_wl,
                rig: on_rig,
            }
            .into());
        }
        if wl.run.optical_ops.is_empty() {
            return Err(LabError::config(
                "ops",
                "no linear layer is mapped onto the optics (the workload's optical_ops is empty)",
            ));
        }
        Ok(wl)
    }
}

/// The workload preset of `model`: the one priced when the configuration names none.
pub fn workload_preset(model: &str) -> Result<&'static str, LabError> {
    Ok(match catalogued(model)?.name {
        "smollm2" => "smollm2-135m",
        _ => "minilm-l6",
    })
}

/// One setting measured (a row of `model_eval.csv`).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub model: &'static str,
    /// The setting in words ("digital", "ternary, calibrated, 8-bit ADC", ...).
    pub setting: String,
    /// "digital", "rig", "photons" or "adc bits".
    pub sweep: &'static str,
    pub weights: String,
    pub adc_range: String,
    pub photons_per_sample: Option<f64>,
    pub adc_bits: Option<u32>,
    pub optical_layers: usize,
    /// smollm2
    pub perplexity: Option<f64>,
    pub nll_per_token: Option<f64>,
    pub tokens_scored: Option<usize>,
    /// minilm
    pub mean_cosine_to_digital: Option<f64>,
    pub min_cosine_to_digital: Option<f64>,
    pub ranking_accuracy: Option<f64>,
    pub mean_pair_similarity: Option<f64>,
    /// Whether the setting keeps the model usable (empty for the digital model, the reference):
    /// the verdict of [`Summary::verdicts`].
    pub works: Option<Works>,
    /// Wall-clock time of the setting's measurement.
    pub seconds: f64,
}

/// A system's energy and time per token running the workload (a row of `cost.csv`): the rig
/// with this mapping first, then the GPUs.
#[derive(Debug, Clone, Serialize)]
pub struct CostRow {
    pub system: String,
    /// Whether the model runs usably on this system: the GPUs run it digitally; the rig's
    /// mapping as its best setting at the rig's own light and ADC ([`Summary::mapping`]).
    pub works: Works,
    pub j_per_token: f64,
    pub tokens_per_s: f64,
    pub fj_per_mac: f64,
    pub optical_fraction: Option<f64>,
}

/// One category of the rig's ledger for this mapping (a row of `ledger.csv`).
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub category: String,
    pub j_per_token: f64,
    /// Fraction of the rig's J/token.
    pub share: f64,
}

/// How the model was scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Perplexity over `tokens` tokens of data/english.txt, by a model with a vocabulary of
    /// `vocabulary` tokens (uniform guessing has that perplexity).
    Perplexity { tokens: usize, vocabulary: usize },
    /// The sentence check over `pairs` paraphrase pairs.
    Sentences { pairs: usize },
}

/// What an evaluation measured (as JSON: the model by its name, the plots left out).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The model's catalogue entry.
    #[serde(serialize_with = "catalogue_name")]
    pub model: &'static Catalogued,
    pub scoring: Scoring,
    /// Rig, workload, optical layers and seed in words (the plots' titles carry it).
    pub basis: String,
    /// The workload priced (its name).
    pub workload: String,
    /// The layers on the optics.
    #[serde(serialize_with = "op_names")]
    pub ops: Vec<OpticalOp>,
    /// Digital first, then each weight representation at the rig's light and ADC and over the
    /// sweeps.
    pub rows: Vec<Row>,
    /// The rig with this mapping, then the GPUs.
    pub costs: Vec<CostRow>,
    /// The rig's energy per token by category.
    pub ledger: Vec<LedgerRow>,
    /// What the numbers mean: the references and a verdict per setting.
    pub summary: Summary,
    /// The metric against photons and against ADC bits (those swept).
    #[serde(skip)]
    pub plots: Vec<Plot>,
    /// Remarks on the configuration (for the user, not errors).
    pub notes: Vec<String>,
}

fn catalogue_name<S: serde::Serializer>(c: &&'static Catalogued, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.name)
}

fn op_names<S: serde::Serializer>(ops: &[OpticalOp], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ops.iter().map(|o| op_name(*o)))
}

/// The ADC span named `name`: `calibrated` (each layer's receiver gain set once from a
/// calibration window, ×1.25 margin) or `worst-case` (all inputs at full light).
pub fn adc_range_from_name(name: &str) -> Option<AdcRange> {
    match name {
        "calibrated" => Some(AdcRange::Calibrated { margin: 1.25 }),
        "worst-case" => Some(AdcRange::WorstCase),
        _ => None,
    }
}

/// What the numbers mean: the references the optical settings are judged against, whether each
/// works, and whether the mapping priced works at the rig's own light and ADC.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The references, one line each: the digital model's figure, and chance (uniform guessing
    /// over the vocabulary, or picking a paraphrase at random).
    pub references: Vec<String>,
    /// When a setting works, in words (the tolerance, and where it stops working).
    pub rule: String,
    /// One line per optical setting, in the rows' order: the setting, its figure against the
    /// references, and whether it works.
    pub verdicts: Vec<String>,
    /// The mapping at the rig's own light and ADC: its best setting's verdict.
    pub mapping: Works,
    /// The mapping's verdict in a line, for beside its energy per token.
    pub mapping_line: String,
}

/// One setting of the optics.
#[derive(Debug, Clone, Copy)]
struct Setting {
    weights: Option<Weights>,
    range: AdcRange,
    sweep: &'static str,
    photons: Option<f64>,
    adc_bits: Option<u32>,
}

enum Network {
    Llama(Box<Llama>, Tokenizer),
    Bert(Box<Bert>, Tokenizer),
}

fn range_name(r: AdcRange) -> &'static str {
    match r {
        AdcRange::WorstCase => "worst-case",
        AdcRange::Calibrated { .. } => "calibrated",
    }
}

fn describe(s: &Setting) -> String {
    match s.weights {
        None => "digital".into(),
        Some(w) => {
            let r = range_name(s.range);
            match (s.photons, s.adc_bits) {
                (Some(p), _) => format!("{w}, {r}, {p:.0e} photons"),
                (_, Some(b)) => format!("{w}, {r}, {b}-bit ADC"),
                _ => format!("{w}, {r}, the rig's light and ADC"),
            }
        }
    }
}

/// Runs the model digitally and at every setting of the optics on `rig`'s twin, and prices the
/// mapping. `progress` hears when the model is loaded, then of each setting (and of each window
/// within it).
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    let a = config;
    let wl = a.workload(rig)?;
    let e = lightloop_cost::evaluate(rig, &wl)?;
    let ops = wl.run.optical_ops.clone();
    let (c, dir) = locate(&a.model, a.model_dir.as_deref())?;
    // Validated: there is at least one ADC range.
    let sweep_range = a.adc_range[0];

    // Settings: digital, the rig as it is, then the sweeps.
    let mut settings = vec![Setting {
        weights: None,
        range: AdcRange::WorstCase,
        sweep: "digital",
        photons: None,
        adc_bits: None,
    }];
    for &w in &a.weights {
        let optical = |range, sweep, photons, adc_bits| Setting {
            weights: Some(w),
            range,
            sweep,
            photons,
            adc_bits,
        };
        settings.extend(a.adc_range.iter().map(|r| optical(*r, "rig", None, None)));
        settings.extend(
            a.photons
                .iter()
                .map(|p| optical(sweep_range, "photons", Some(*p), None)),
        );
        settings.extend(
            a.adc_bits
                .iter()
                .map(|b| optical(sweep_range, "adc bits", None, Some(*b))),
        );
    }

    let mut model = if c.name == "smollm2" {
        let path = dir.join("model.gguf");
        let (m, ct) = Llama::from_gguf(&path)?;
        let tok = measure::gguf_tokenizer(&ct, &path)?;
        Network::Llama(Box::new(m), tok)
    } else {
        let m = Bert::load(&dir)?;
        let tok = measure::json_tokenizer(&dir.join("tokenizer.json"))?;
        Network::Bert(Box::new(m), tok)
    };
    let llama = matches!(model, Network::Llama(..));
    let scoring = match &model {
        Network::Llama(m, _) => Scoring::Perplexity {
            tokens: a.tokens,
            vocabulary: m.config.vocab,
        },
        Network::Bert(..) => Scoring::Sentences {
            pairs: measure::PAIRS.len(),
        },
    };
    let total = settings.len();
    progress(Progress {
        done: 0,
        total,
        what: "model loaded",
    });

    // The text for perplexity, and a calibration window from the text's start (before the
    // offset, never scored) for the calibrated ADC range.
    let (ids, calibration): (Vec<u32>, Vec<u32>) = match &model {
        Network::Llama(_, tok) => (
            english_ids(tok, a.offset, a.tokens, "tokens")?,
            english_ids(tok, 0, a.window.min(128), "window")?,
        ),
        Network::Bert(_, tok) => (Vec::new(), english_ids(tok, 0, 128, "window")?),
    };
    let mut notes = Vec::new();
    if a.offset < 2_000 && a.adc_range.contains(&AdcRange::Calibrated { margin: 1.25 }) && llama {
        notes.push(
            "with an offset below 2000 characters the calibration window overlaps the scored text"
                .to_string(),
        );
    }

    let threads = rayon::current_num_threads();
    let mut rows = Vec::new();
    let mut reference: Option<Vec<Vec<f32>>> = None;
    for (i, s) in settings.iter().enumerate() {
        let what = describe(s);
        progress(Progress {
            done: i,
            total,
            what: &what,
        });
        let rig_s = match s.adc_bits {
            // A new bit count keeps the rig's ENOB shortfall (bits − ENOB).
            Some(b) => rig
                .modified(|r| {
                    r.adc.bits = b;
                    r.adc.enob = rig.adc.enob_at(b);
                })
                .map_err(|p| derived(&format!("the rig with a {b}-bit ADC"), p))?,
            None => rig.clone(),
        };
        let optics = s.weights.map(|w| Optics {
            rig: rig_s.clone(),
            weights: w,
            photons: s.photons,
            adc_range: s.range,
            // Every setting draws from the same noise streams (common random numbers): a
            // setting's numbers do not depend on which other settings are listed, and
            // differences between settings are the settings', not the draws'.
            seed: a.seed,
            threads,
        });
        let started = Instant::now();
        let photons = {
            let mut n = lightloop_twin::noise::VmmNoise::from_rig(&rig_s);
            if let Some(p) = s.photons {
                n = n.with_photons_per_sample(p);
            }
            n.photons_per_sample()
        };
        let mut row = Row {
            model: c.name,
            setting: what.clone(),
            sweep: s.sweep,
            weights: s.weights.map_or("digital".into(), |w| w.to_string()),
            adc_range: if s.weights.is_some() {
                range_name(s.range).into()
            } else {
                String::new()
            },
            photons_per_sample: s.weights.map(|_| photons),
            adc_bits: s.weights.map(|_| rig_s.adc.bits),
            optical_layers: 0,
            perplexity: None,
            nll_per_token: None,
            tokens_scored: None,
            mean_cosine_to_digital: None,
            min_cosine_to_digital: None,
            ranking_accuracy: None,
            mean_pair_similarity: None,
            works: None,
            seconds: 0.0,
        };
        match &mut model {
            Network::Llama(m, _) => {
                row.optical_layers = m.map(&ops, optics.as_ref())?;
                if optics.is_some() {
                    m.forward(&calibration)?;
                }
                let p: Perplexity = measure::perplexity(m, &ids, a.window, &mut |_, _| {
                    progress(Progress {
                        done: i,
                        total,
                        what: &what,
                    })
                })?;
                row.perplexity = Some(p.perplexity);
                row.nll_per_token = Some(p.nll);
                row.tokens_scored = Some(p.scored);
            }
            Network::Bert(m, tok) => {
                row.optical_layers = m.map(&ops, optics.as_ref())?;
                if optics.is_some() {
                    m.hidden(&calibration)?;
                }
                let e = measure::embed_pairs(m, tok)?;
                let r = reference.get_or_insert_with(|| e.clone());
                let ch: SentenceCheck = measure::sentence_check(&e, r);
                row.mean_cosine_to_digital =
                    Some(ch.to_digital.iter().sum::<f64>() / ch.to_digital.len() as f64);
                row.min_cosine_to_digital =
                    Some(ch.to_digital.iter().copied().fold(f64::INFINITY, f64::min));
                row.ranking_accuracy = Some(ch.ranking_accuracy);
                row.mean_pair_similarity = Some(ch.mean_pair_similarity);
            }
        }
        row.seconds = started.elapsed().as_secs_f64();
        rows.push(row);
    }
    progress(Progress {
        done: total,
        total,
        what: "done",
    });

    let summary = summarise(
        scoring,
        &mut rows,
        a.tolerance,
        &format!("{} with {} on the optics", rig.rig.name, op_list(&ops)),
    );

    // The energy and time of this mapping, and of the GPUs running the same model.
    let mut costs = vec![CostRow {
        system: format!("{} ({} optical)", rig.rig.name, op_list(&ops)),
        works: summary.mapping,
        j_per_token: e.metrics.j_per_token,
        tokens_per_s: e.metrics.tokens_per_s,
        fj_per_mac: e.metrics.fj_per_mac,
        optical_fraction: Some(e.metrics.optical_fraction),
    }];
    for g in GPUS {
        let gpu = lightloop_rig::load_gpu(g, &[])?.value;
        let ge = lightloop_gpu::evaluate_gpu(&gpu, &wl)
            .map_err(|e| LabError::Incompatible(e.to_string()))?;
        costs.push(CostRow {
            system: gpu.gpu.name.clone(),
            works: Works::Yes,
            j_per_token: ge.j_per_token,
            tokens_per_s: ge.tokens_per_s,
            fj_per_mac: ge.fj_per_mac,
            optical_fraction: None,
        });
    }
    // The rig's ledger for this mapping, by category.
    let ledger = lightloop_cost::Category::ALL
        .iter()
        .map(|&cat| {
            let j = e.per_token.category(cat);
            LedgerRow {
                category: cat.label().to_string(),
                j_per_token: j,
                share: j / e.metrics.j_per_token,
            }
        })
        .collect();

    let basis = format!(
        "rig {}, workload {} (batch {}), optical: {}, noise seed {}",
        rig.rig.name,
        wl.workload.name,
        wl.run.batch,
        op_list(&ops),
        a.seed
    );
    let uniform = match scoring {
        Scoring::Perplexity { vocabulary, .. } => Some(vocabulary as f64),
        Scoring::Sentences { .. } => None,
    };
    let plots = sweep_plots(c.name, uniform, &a.weights, &rows, &basis);
    Ok(Outcome {
        model: c,
        scoring,
        basis,
        workload: wl.workload.name.clone(),
        ops,
        rows,
        costs,
        ledger,
        summary,
        plots,
        notes,
    })
}

/// Judges every optical row against the digital one (the first) and against chance, filling
/// their `works`; the mapping (`mapping`, in words) is judged by its best setting at the rig's
/// own light and ADC.
fn summarise(scoring: Scoring, rows: &mut [Row], tolerance: f64, mapping: &str) -> Summary {
    let terms = Terms {
        subject: "this mapping",
        reference: "the digital model",
        tolerance,
    };
    let digital = &rows[0];
    type Judge = Box<dyn Fn(&Row) -> Verdict>;
    let (references, rule, judge): (Vec<String>, String, Judge) = match scoring {
        Scoring::Perplexity { vocabulary, .. } => {
            let d = digital.perplexity.unwrap_or(f64::NAN);
            let v = count(vocabulary as u64);
            let itself = if d < vocabulary as f64 {
                ""
            } else {
                ", itself no better than guessing uniformly"
            };
            (
                vec![
                    format!(
                        "the digital model: perplexity {}{itself}",
                        verdict::perplexity_figure(d)
                    ),
                    format!("guessing uniformly over the {v}-token vocabulary: perplexity {v}"),
                ],
                format!(
                    "a setting works within {} of the digital model's perplexity, and does not work \
                     from half of the way (in nats per token) to guessing uniformly",
                    percent(tolerance)
                ),
                Box::new(move |r: &Row| {
                    verdict::perplexity(r.perplexity.unwrap_or(f64::NAN), d, vocabulary, &terms)
                }),
            )
        }
        Scoring::Sentences { pairs } => {
            let d = digital.ranking_accuracy.unwrap_or(f64::NAN);
            let others = (2 * pairs).saturating_sub(1).max(1);
            (
                vec![
                    format!(
                        "the digital model: ranks {} of the paraphrases first",
                        percent(d)
                    ),
                    format!(
                        "picking at random among the other {others} sentences: {}",
                        percent(1.0 / others as f64)
                    ),
                ],
                format!(
                    "a setting works when it ranks at least {} as many paraphrases first as the \
                     digital model, and does not work from half of the way to picking at random",
                    percent(1.0 - tolerance)
                ),
                Box::new(move |r: &Row| {
                    verdict::ranking(r.ranking_accuracy.unwrap_or(f64::NAN), d, others, &terms)
                }),
            )
        }
    };
    let mut verdicts = Vec::new();
    for r in rows.iter_mut().skip(1) {
        let v = judge(r);
        r.works = Some(v.works);
        // An encoder's ranking is coarse (ten pairs): its embeddings' distance from the digital
        // ones goes with it.
        let embeddings = r
            .mean_cosine_to_digital
            .map(|c| format!(" (embeddings at mean cosine {c:.3} to the digital ones)"))
            .unwrap_or_default();
        verdicts.push(format!("{}{embeddings}: {}", r.setting, v.line));
    }
    // The best setting at the rig's own light and ADC: the best verdict, then the best figure.
    let figure_of = |r: &Row| match scoring {
        Scoring::Perplexity { .. } => -r.perplexity.unwrap_or(f64::NAN),
        Scoring::Sentences { .. } => r.ranking_accuracy.unwrap_or(f64::NAN),
    };
    let mut best: Option<(Verdict, &Row)> = None;
    for r in rows.iter().skip(1).filter(|r| r.sweep == "rig") {
        let better = best.as_ref().is_none_or(|(bv, br)| {
            r.works > Some(bv.works) || (r.works == Some(bv.works) && figure_of(r) > figure_of(br))
        });
        if better {
            best = Some((judge(r), r));
        }
    }
    let (mapping_works, mapping_line) = match best {
        Some((v, r)) => {
            let setting = format!("{} weights, {} ADC span", r.weights, r.adc_range);
            (
                v.works,
                match v.works {
                    Works::Yes => format!(
                        "{mapping} works at the rig's own light and ADC: with {setting}, {}",
                        v.figure
                    ),
                    Works::Degraded => format!(
                        "{mapping} works only degraded at the rig's own light and ADC: at best \
                         ({setting}), {}; its energy per token prices a degraded model",
                        v.figure
                    ),
                    Works::No => format!(
                        "{mapping} does not work at the rig's own light and ADC: at best \
                         ({setting}), {}; its energy per token prices a model that does not work",
                        v.figure
                    ),
                },
            )
        }
        None => (Works::No, format!("{mapping}: no setting measured")),
    };
    Summary {
        references,
        rule,
        verdicts,
        mapping: mapping_works,
        mapping_line,
    }
}

/// The metric (perplexity, or the mean cosine to the digital embedding) against photons and
/// against ADC bits, one line per weight representation and the digital value dashed; a
/// perplexity (`uniform`: the perplexity of guessing uniformly over the vocabulary) on a
/// logarithmic axis, with uniform guessing dashed. A sweep without rows has no plot.
fn sweep_plots(
    model: &str,
    uniform: Option<f64>,
    weights: &[Weights],
    rows: &[Row],
    basis: &str,
) -> Vec<Plot> {
    let llama = uniform.is_some();
    let metric = |r: &Row| {
        if llama {
            r.perplexity.unwrap_or(f64::NAN)
        } else {
            r.mean_cosine_to_digital.unwrap_or(f64::NAN)
        }
    };
    let y_label = if llama {
        "perplexity"
    } else {
        "mean cosine similarity to the digital embedding"
    };
    let mut plots = Vec::new();
    for (sweep, name, x_label, log_x) in [
        (
            "photons",
            "vs_photons",
            "photons per input per symbol",
            true,
        ),
        ("adc bits", "vs_adc_bits", "ADC bits", false),
    ] {
        let x = |r: &Row| {
            if sweep == "photons" {
                r.photons_per_sample.unwrap_or(f64::NAN)
            } else {
                r.adc_bits.map_or(f64::NAN, f64::from)
            }
        };
        let mut series: Vec<Series> = weights
            .iter()
            .map(|w| {
                Series::line(
                    format!("{w} weights"),
                    rows.iter()
                        .filter(|r| r.sweep == sweep && r.weights == w.to_string())
                        .map(|r| (x(r), metric(r)))
                        .collect(),
                )
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        if series.is_empty() {
            continue;
        }
        let xs: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        let (lo, hi) = (
            xs.iter().copied().fold(f64::INFINITY, f64::min),
            xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        );
        series.push(Series {
            name: "digital".into(),
            points: vec![(lo, metric(&rows[0])), (hi, metric(&rows[0]))],
            dashed: true,
            ..Default::default()
        });
        if let Some(v) = uniform {
            series.push(Series {
                name: format!(
                    "guessing uniformly over the {}-token vocabulary",
                    count(v as u64)
                ),
                points: vec![(lo, v), (hi, v)],
                dashed: true,
                ..Default::default()
            });
        }
        plots.push(Plot {
            name: name.into(),
            axes: Axes {
                title: format!("{model} {y_label} versus {x_label} — {basis}"),
                x_label: x_label.into(),
                y_label: y_label.into(),
                log_x,
                log_y: llama,
            },
            kind: Kind::Lines(series),
        });
    }
    plots
}

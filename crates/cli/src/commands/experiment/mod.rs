//! `lightloop experiment`: deep-loop ternary networks trained on the twin (candle, CPU), one
//! experiment per subcommand, each writing its CSV and SVG plot.

mod cadence;
mod gain;
mod halting;
mod pareto;
mod rule;

use super::output::OutputDir;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{Align, Table};
use clap::{Args, Subcommand};
use lightloop_base::stats::median_min_max;
use lightloop_nn::dynamics::participation_ratio;
use lightloop_nn::loopnet::phi::Phi;
use lightloop_nn::loopnet::train::{NetTask, TrainSettings, train};
use lightloop_nn::loopnet::{ForwardNoise, LoopNetConfig};
use lightloop_nn::sensing::Sensing;
use lightloop_plot::{Axes, Series, line_chart};
use lightloop_rig::presets::DEFAULT_RIG;
use lightloop_twin::LoopTwin;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

pub const LONG_ABOUT: &str = "Experiments with deep-loop ternary networks on the rig's twin, trained \
with candle on the CPU: the input is encoded once, multiplied optically by a ternary matrix, and the \
state circulates T times through the loop h ← h + α_t·φ(g·A·h + noise) (one ternary A for every \
pass, φ the rig's saturable absorber and SOA, the ASE of the rig's SOA as noise) before the \
photodiodes read it once (the rig's receiver noise and ADC) and a digital layer classifies. \
Training is noise-aware: the rig's noise is injected in every forward pass.\n\nTasks: scikit-learn's \
8×8 digits (1 797 images, shipped in data/; 80 % training and 20 % held-out test, a seeded \
split); parity-N (the parity of N random bits: 2 000 training and 1 000 distinct test codes), \
an algorithmic task where depth should matter; and chars-K (a character-level language model \
on data/english.txt: the next character from the K before it, one-hot; 16 000 training positions \
from the first 80 % of the text and 4 000 test positions from the rest; scored by next-character \
accuracy). Each experiment writes CSV and SVG files into its --out folder.";

#[derive(Args)]
pub struct ExperimentArgs {
    #[command(subcommand)]
    pub which: Which,
}

#[derive(Subcommand)]
pub enum Which {
    /// Test accuracy versus loop passes T (each T trained from scratch), with the effective
    /// rank of the loop state pass by pass and the accuracy of early exits
    Depth(DepthArgs),
    /// Accuracy of a network trained at the rig's noise, read out at other photon counts and
    /// ADC resolutions
    Readout(ReadoutArgs),
    /// Test accuracy and the cost model's energy per input versus the loop's width
    Width(WidthArgs),
    /// Students trained from scratch against students distilled from a wider noiseless teacher
    Distill(DistillArgs),
    /// Deep loops trained at full depth from the start against a curriculum in depth (the
    /// passes double during training)
    Curriculum(CurriculumArgs),
    /// Accuracy versus a fixed small-signal loop gain g (the mesh at unit RMS gain, g not
    /// trained), beside the same network with g learned
    Gain(gain::GainArgs),
    /// Exits every k passes with a halting head trained with a price on the cost model's energy
    /// (PonderNet): accuracy, mean passes and energy per input versus the halting threshold,
    /// against stopping every input at the same exit
    Halting(halting::HaltingArgs),
    /// A sequence task (chars-K) with every position in the loop and a digital causal
    /// attention layer every K passes: accuracy and energy per character versus K
    Cadence(cadence::CadenceArgs),
    /// The energy–accuracy Pareto front of trained networks: widths × passes trained at the
    /// rig's noise, each read on variants of the rig (laser power, ADC bits), energy per input
    /// from the cost model
    Pareto(pareto::ParetoArgs),
    /// Backpropagation through the passes against Direct Feedback Alignment (fixed random
    /// feedback, an optics-friendly rule) and a deep reservoir (only the readout trained),
    /// versus the loop's passes
    Rule(rule::RuleArgs),
}

#[derive(Args)]
pub struct CurriculumArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T of the trained networks, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 64])]
    pub passes: Vec<usize>,
    /// Passes at the start of the curriculum (doubled at equal shares of the epochs up to T)
    #[arg(long, default_value_t = 2)]
    pub start: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-curriculum",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct DistillArgs {
    #[command(flatten)]
    pub common: Common,
    /// Student widths, comma-separated (replaces --width)
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 32])]
    pub widths: Vec<usize>,
    /// Width of the teacher (the same loop network, trained without noise)
    #[arg(long, default_value_t = 256)]
    pub teacher_width: usize,
    /// Loop passes T of teacher and students
    #[arg(long, default_value_t = 8)]
    pub passes: usize,
    /// Distillation temperature τ
    #[arg(long, default_value_t = 4.0)]
    pub temperature: f64,
    /// Weight of the distillation term (the rest is the label cross-entropy)
    #[arg(long, default_value_t = 0.7)]
    pub weight: f64,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-distill",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct WidthArgs {
    #[command(flatten)]
    pub common: Common,
    /// Widths of the loop state, comma-separated (replaces --width)
    #[arg(long, value_delimiter = ',', default_values_t = vec![16usize, 32, 64, 128])]
    pub widths: Vec<usize>,
    /// Loop passes T
    #[arg(long, default_value_t = 8)]
    pub passes: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-width",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Args, Clone)]
pub struct Common {
    /// Rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Override a rig key; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Width of the loop state (slots × channels)
    #[arg(long, default_value_t = 64)]
    pub width: usize,
    /// Training epochs
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Seeds (weights, batches, noise, data split): 1 … N
    #[arg(long, default_value_t = 2)]
    pub seeds: u64,
    /// Task: digits (the 8×8 images), parity-N (parity of N bits, 12 ≤ N ≤ 24) or chars-K (the
    /// next character of data/english.txt from the K before it, 1 ≤ K ≤ 16)
    #[arg(long, default_value = "digits")]
    pub task: String,
    /// Rank of a shared analog adapter U·Vᵀ beside the ternary loop matrix (0: none; not in
    /// the cost model's energy)
    #[arg(long, default_value_t = 0)]
    pub adapter_rank: usize,
}

#[derive(Args)]
pub struct DepthArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 4, 16, 64, 256, 1024])]
    pub passes: Vec<usize>,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-depth",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct ReadoutArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T of the trained network
    #[arg(long, default_value_t = 8)]
    pub passes: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-readout",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

struct Setup {
    task: NetTask,
    phi: Phi,
    noise: ForwardNoise,
    rig: lightloop_rig::Rig,
}

fn setup(c: &Common) -> CliResult<Setup> {
    if !(4..=1024).contains(&c.width) {
        return Err(CliError::BadInput(format!(
            "--width must be 4 … 1024, not {}",
            c.width
        )));
    }
    if c.adapter_rank > c.width {
        return Err(CliError::BadInput(format!(
            "--adapter-rank must be at most the width ({})",
            c.width
        )));
    }
    if c.epochs == 0 || c.seeds == 0 {
        return Err(CliError::BadInput(
            "--epochs and --seeds must be at least 1".into(),
        ));
    }
    let task: NetTask = c.task.parse().map_err(CliError::BadInput)?;
    let rig = load_rig(&c.rig, &c.sets)?.value;
    if rig.soa.is_none() {
        return Err(CliError::BadInput(format!(
            "rig `{}` has no SOA: the loop networks need the loop's amplifier",
            rig.rig.name
        )));
    }
    let phi = Phi::new(LoopTwin::from_rig(&rig, 0.0, 1));
    let noise = ForwardNoise {
        pass_sd: phi.pass_noise_sd(),
        sensing: Sensing::from_rig(&rig, None, None),
    };
    Ok(Setup {
        task,
        phi,
        noise,
        rig,
    })
}

fn config(
    c: &Common,
    data: &lightloop_nn::loopnet::train::Dataset,
    passes: usize,
    seed: u64,
) -> LoopNetConfig {
    LoopNetConfig {
        adapter_rank: c.adapter_rank,
        ..LoopNetConfig::new(data.inputs, c.width, passes, data.classes, seed)
    }
}

/// A loop network's size as the cost model sees it.
#[derive(Debug, Clone, Copy)]
struct NetShape {
    width: usize,
    /// Loop passes T.
    passes: usize,
    classes: usize,
    /// Positions a prediction attends over (1 for an image; K for a K-character context).
    context: usize,
    /// Passes between readings of the state (exits or attention checkpoints; T for one reading).
    cadence: usize,
    /// Mean passes run (dynamic halting; T when absent).
    halting_depth: Option<f64>,
    /// Width of the host attention head at a reading (`None`: the width, at most 64).
    head: Option<usize>,
}

impl NetShape {
    /// A classifier read once, after its T passes, from one input (`experiment width` and
    /// `experiment pareto` cost their networks so).
    fn one_reading(width: usize, passes: usize, classes: usize) -> Self {
        Self {
            width,
            passes,
            classes,
            context: 1,
            cadence: passes,
            halting_depth: None,
            head: None,
        }
    }
}

/// The cost model's energy per prediction of a loop network: J/token of the seed deep-loop
/// decoder (deep-loop-2048) resized to the network (d_model = width, one head, the classes as
/// vocabulary, the context, T passes, a reading every `cadence` passes with its host attention
/// core). One new vector runs the loop per prediction: in a stream of characters the earlier
/// positions' keys and values are cached, as the decoder's KV cache. Simplified: the host's
/// attention core stands for whatever the network computes digitally at a reading (a
/// classifier and halting head, or an attention layer), and a reading re-encodes the state
/// (DAC) as a checkpoint does.
fn net_energy(c: &Common, n: &NetShape) -> CliResult<f64> {
    Ok(net_cost(c, n)?.energy)
}

/// A prediction's energy and latency: one decode step of the resized decoder (the loop run
/// once for the new vector), not a serving cycle with its prompt's prefill.
#[derive(Debug, Clone, Copy)]
struct PredictionCost {
    /// J.
    energy: f64,
    /// s.
    latency: f64,
}

/// [`net_energy`] with the latency of the step.
fn net_cost(c: &Common, n: &NetShape) -> CliResult<PredictionCost> {
    let mut sets = c.sets.clone();
    let head = n.head.unwrap_or(n.width.min(64));
    sets.extend([
        format!("model.d_model={}", n.width),
        "model.heads=1".into(),
        "model.kv_heads=1".into(),
        format!("model.head_dim={head}"),
        format!("model.vocab={}", n.classes),
        format!("model.context={}", n.context.max(1) + 1),
        format!("run.prompt_tokens={}", n.context.max(1)),
        "run.generated_tokens=1".into(),
        format!("loop.micro_steps={}", n.passes),
        format!(
            "loop.attention_cadence={}",
            n.cadence.clamp(1, n.passes.max(1))
        ),
    ]);
    if let Some(h) = n.halting_depth {
        sets.push(format!("loop.halting_depth={h:?}"));
    }
    let pair = crate::load::load_pair(&c.rig, "deep-loop-2048", &sets)?;
    let e = super::evaluate(&pair)?;
    Ok(PredictionCost {
        energy: e.step.ledger.total() / e.step.tokens,
        latency: e.step.time,
    })
}

pub fn run(a: &ExperimentArgs) -> CliResult<()> {
    match &a.which {
        Which::Depth(d) => depth(d),
        Which::Readout(r) => readout(r),
        Which::Width(w) => width(w),
        Which::Distill(d) => distill(d),
        Which::Curriculum(c) => curriculum(c),
        Which::Gain(g) => gain::run(g),
        Which::Halting(h) => halting::run(h),
        Which::Cadence(c) => cadence::run(c),
        Which::Pareto(p) => pareto::run(p),
        Which::Rule(r) => rule::run(r),
    }
}

#[derive(Serialize)]
struct CurriculumRow {
    seed: u64,
    passes: usize,
    curriculum_start: usize,
    full_depth_accuracy: f64,
    curriculum_accuracy: f64,
}

fn curriculum(a: &CurriculumArgs) -> CliResult<()> {
    if a.passes.is_empty() || a.passes.iter().any(|p| *p < 2 || *p > 4096) {
        return Err(CliError::BadInput("--passes must be 2 … 4096".into()));
    }
    if a.start == 0 || a.passes.iter().any(|p| a.start >= *p) {
        return Err(CliError::BadInput(
            "--start must be at least 1 and below every --passes value".into(),
        ));
    }
    let s = setup(&a.common)?;
    let out = OutputDir::create(&a.out, "curriculum.csv")?;
    let plain = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let staged = TrainSettings {
        curriculum_start: Some(a.start),
        ..plain
    };
    let b = super::progress(
        2 * a.passes.len() as u64 * a.common.seeds,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        for &t in &a.passes {
            let mut acc = [0.0; 2];
            for (k, settings) in [plain, staged].iter().enumerate() {
                acc[k] = train(
                    config(&a.common, &data, t, seed),
                    s.phi.clone(),
                    &s.noise,
                    settings,
                    &data,
                )
                .map_err(CliError::Message)?
                .1;
                b.inc(1);
            }
            rows.push(CurriculumRow {
                seed,
                passes: t,
                curriculum_start: a.start,
                full_depth_accuracy: acc[0],
                curriculum_accuracy: acc[1],
            });
        }
    }
    b.finish_and_clear();
    let basis = format!(
        "rig {}, width {}, curriculum from {} passes, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.start, a.common.epochs, a.common.seeds
    );
    let mut table = Table::new(
        &["passes T", "full depth from the start", "curriculum"],
        &[Align::Right; 3],
    );
    let (mut full_pts, mut cur_pts) = (Vec::new(), Vec::new());
    for &t in &a.passes {
        let med = |f: &dyn Fn(&CurriculumRow) -> f64| {
            median_min_max(rows.iter().filter(|r| r.passes == t).map(f).collect())
        };
        let (f, flo, fhi) = med(&|r| r.full_depth_accuracy);
        let (c, clo, chi) = med(&|r| r.curriculum_accuracy);
        table.row(vec![
            t.to_string(),
            format!("{f:.4} [{flo:.4} – {fhi:.4}]"),
            format!("{c:.4} [{clo:.4} – {chi:.4}]"),
        ]);
        full_pts.push((t as f64, f, flo, fhi));
        cur_pts.push((t as f64, c, clo, chi));
    }
    println!(
        "curriculum in depth on {}: {basis} (test accuracy, median [min – max])\n",
        s.task
    );
    println!("{}", table.render());
    let series = |name: &str, p: &[(f64, f64, f64, f64)]| Series {
        name: name.into(),
        points: p.iter().map(|q| (q.0, q.1)).collect(),
        intervals: Some(p.iter().map(|q| (q.2, q.3)).collect()),
        dashed: false,
    };
    let svg = line_chart(
        &Axes::new(
            format!(
                "{} accuracy: full depth versus a depth curriculum — {basis}",
                s.task
            ),
            "loop passes T at the end of training",
            "test accuracy at the rig's noise",
        )
        .log_x(),
        &[
            series("full depth from the start", &full_pts),
            series("curriculum (passes doubling)", &cur_pts),
        ],
    )?;
    out.text("curriculum.svg", &svg)?;
    out.csv("curriculum.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nwrote {}/{{curriculum.csv, curriculum.svg}}",
        dir.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct DistillRow {
    seed: u64,
    width: usize,
    passes: usize,
    teacher_width: usize,
    teacher_accuracy_noiseless: f64,
    scratch_accuracy: f64,
    distilled_accuracy: f64,
}

fn distill(a: &DistillArgs) -> CliResult<()> {
    use lightloop_nn::loopnet::train::{Distillation, train_distilled};
    if a.widths.is_empty()
        || a.widths
            .iter()
            .chain([&a.teacher_width])
            .any(|w| !(4..=1024).contains(w))
    {
        return Err(CliError::BadInput(
            "--widths and --teacher-width must be 4 … 1024".into(),
        ));
    }
    if a.passes == 0 || a.passes > 4096 {
        return Err(CliError::BadInput("--passes must be 1 … 4096".into()));
    }
    if !(a.temperature.is_finite() && a.temperature > 0.0 && (0.0..=1.0).contains(&a.weight)) {
        return Err(CliError::BadInput(
            "--temperature must be positive and --weight in 0 … 1".into(),
        ));
    }
    let s = setup(&a.common)?;
    let out = OutputDir::create(&a.out, "distill.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let msg = |e: candle_core::Error| CliError::Message(e.to_string());
    let b = super::progress(
        a.common.seeds * (1 + 2 * a.widths.len() as u64),
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        let with_width = |w: usize| Common {
            width: w,
            ..a.common.clone()
        };
        let off = ForwardNoise::off();
        let (teacher, _) = train(
            config(&with_width(a.teacher_width), &data, a.passes, seed),
            s.phi.clone(),
            &off,
            &settings,
            &data,
        )
        .map_err(CliError::Message)?;
        let teacher_acc = teacher
            .accuracy(&data.test_x, &data.test_y, a.passes, &off, 0)
            .map_err(msg)?;
        let logits = teacher
            .forward(&data.train_x, a.passes, &off, 0)
            .map_err(msg)?
            .detach();
        b.inc(1);
        for &w in &a.widths {
            let cfg = config(&with_width(w), &data, a.passes, seed);
            let (_, scratch) =
                train(cfg, s.phi.clone(), &s.noise, &settings, &data).map_err(CliError::Message)?;
            b.inc(1);
            let (_, distilled) = train_distilled(
                cfg,
                s.phi.clone(),
                &s.noise,
                &settings,
                &data,
                Some(Distillation {
                    teacher_logits: &logits,
                    temperature: a.temperature,
                    weight: a.weight,
                }),
            )
            .map_err(CliError::Message)?;
            b.inc(1);
            rows.push(DistillRow {
                seed,
                width: w,
                passes: a.passes,
                teacher_width: a.teacher_width,
                teacher_accuracy_noiseless: teacher_acc,
                scratch_accuracy: scratch,
                distilled_accuracy: distilled,
            });
        }
    }
    b.finish_and_clear();
    let basis = format!(
        "rig {}, T = {}, teacher width {} without noise, τ = {}, weight {}, {} epochs, seeds 1–{}",
        s.rig.rig.name,
        a.passes,
        a.teacher_width,
        a.temperature,
        a.weight,
        a.common.epochs,
        a.common.seeds
    );
    let mut table = Table::new(
        &[
            "student width",
            "from scratch",
            "distilled",
            "teacher (noiseless)",
        ],
        &[Align::Right; 4],
    );
    let med = |w: usize, f: &dyn Fn(&DistillRow) -> f64| {
        median_min_max(rows.iter().filter(|r| r.width == w).map(f).collect()).0
    };
    let (mut scratch_pts, mut distilled_pts) = (Vec::new(), Vec::new());
    for &w in &a.widths {
        let (sc, di) = (
            med(w, &|r| r.scratch_accuracy),
            med(w, &|r| r.distilled_accuracy),
        );
        table.row(vec![
            w.to_string(),
            format!("{sc:.4}"),
            format!("{di:.4}"),
            format!("{:.4}", med(w, &|r| r.teacher_accuracy_noiseless)),
        ]);
        scratch_pts.push((w as f64, sc));
        distilled_pts.push((w as f64, di));
    }
    println!(
        "distillation on {}: {basis} (test accuracy under the rig's noise, medians)\n",
        s.task
    );
    println!("{}", table.render());
    let svg = line_chart(
        &Axes::new(
            format!(
                "{} students: from scratch versus distilled — {basis}",
                s.task
            ),
            "student width",
            "test accuracy at the rig's noise (median)",
        )
        .log_x(),
        &[
            Series::line("from scratch", scratch_pts),
            Series::line("distilled", distilled_pts),
        ],
    )?;
    out.text("distill.svg", &svg)?;
    out.csv("distill.csv", &rows)?;
    let dir = out.finish()?;
    println!("\nwrote {}/{{distill.csv, distill.svg}}", dir.display());
    Ok(())
}

#[derive(Serialize)]
struct WidthRow {
    width: usize,
    passes: usize,
    seed: u64,
    test_accuracy: f64,
    /// The cost model's energy for one input through the network of this width and passes on
    /// the rig (see `net_energy`: the loop, one reading, its host head), J.
    j_per_input: f64,
    train_seconds: f64,
}

fn width(a: &WidthArgs) -> CliResult<()> {
    if a.widths.is_empty() || a.widths.iter().any(|w| !(4..=1024).contains(w)) {
        return Err(CliError::BadInput("--widths must be 4 … 1024".into()));
    }
    if a.passes == 0 || a.passes > 4096 {
        return Err(CliError::BadInput("--passes must be 1 … 4096".into()));
    }
    let s = setup(&a.common)?;
    // Energy per input from the cost model: the network of each width (as `experiment pareto`
    // costs it: one reading after T passes). Seed 1's data gives the number of classes.
    let classes = s.task.load(1).map_err(CliError::Message)?.classes;
    let energy = a
        .widths
        .iter()
        .map(|&w| net_energy(&a.common, &NetShape::one_reading(w, a.passes, classes)))
        .collect::<CliResult<Vec<f64>>>()?;
    let out = OutputDir::create(&a.out, "width.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let b = super::progress(a.widths.len() as u64 * a.common.seeds, "networks trained");
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        for (k, &w) in a.widths.iter().enumerate() {
            let common = Common {
                width: w,
                ..a.common.clone()
            };
            let start = Instant::now();
            let (_, acc) = train(
                config(&common, &data, a.passes, seed),
                s.phi.clone(),
                &s.noise,
                &settings,
                &data,
            )
            .map_err(CliError::Message)?;
            rows.push(WidthRow {
                width: w,
                passes: a.passes,
                seed,
                test_accuracy: acc,
                j_per_input: energy[k],
                train_seconds: start.elapsed().as_secs_f64(),
            });
            b.inc(1);
        }
    }
    b.finish_and_clear();
    let mut table = Table::new(
        &[
            "width",
            "test accuracy (median)",
            "min – max",
            "J per input (cost model)",
        ],
        &[Align::Right; 4],
    );
    let mut acc_points = Vec::new();
    let mut front = Vec::new();
    for (k, &w) in a.widths.iter().enumerate() {
        let (m, lo, hi) = median_min_max(
            rows.iter()
                .filter(|r| r.width == w)
                .map(|r| r.test_accuracy)
                .collect(),
        );
        table.row(vec![
            w.to_string(),
            format!("{m:.4}"),
            format!("{lo:.4} – {hi:.4}"),
            crate::table::si(energy[k], "J"),
        ]);
        acc_points.push((w as f64, m, lo, hi));
        front.push((energy[k], m));
    }
    let basis = format!(
        "rig {}, T = {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.passes, a.common.epochs, a.common.seeds
    );
    println!("width sweep on {}: {basis}\n", s.task);
    println!("{}", table.render());
    let svg_w = line_chart(
        &Axes::new(
            format!("{} accuracy versus loop width — {basis}", s.task),
            "width of the loop state (channels × slots)",
            "test accuracy",
        )
        .log_x(),
        &[Series {
            name: "median (min–max over seeds)".into(),
            points: acc_points.iter().map(|p| (p.0, p.1)).collect(),
            intervals: Some(acc_points.iter().map(|p| (p.2, p.3)).collect()),
            dashed: false,
        }],
    )?;
    let svg_e = line_chart(
        &Axes::new(
            format!("{} accuracy versus energy per input — {basis}", s.task),
            "J per input (cost model, network of this width)",
            "test accuracy (median)",
        )
        .log_x(),
        &[Series::line("one point per width", front)],
    )?;
    out.text("accuracy_vs_width.svg", &svg_w)?;
    out.text("accuracy_vs_energy.svg", &svg_e)?;
    out.csv("width.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nenergy: the cost model's J per input for the network of this width on the rig (the tied loop for T passes, one reading with its host head; costed as by `experiment pareto`).\nwrote {}/{{width.csv, accuracy_vs_width.svg, accuracy_vs_energy.svg}}",
        dir.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct DepthRow {
    passes: usize,
    seed: u64,
    test_accuracy: f64,
    test_accuracy_noiseless: f64,
    train_seconds: f64,
    /// Cross-entropy of the test labels at the rig's noise, bits per example (bits per
    /// character for chars-K).
    test_bits_per_example: f64,
}

#[derive(Serialize)]
struct PassRow {
    trained_passes: usize,
    seed: u64,
    exit_after_pass: usize,
    test_accuracy: f64,
    participation_ratio: f64,
}

fn depth(a: &DepthArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    if a.passes.is_empty() || a.passes.iter().any(|p| *p == 0 || *p > 4096) {
        return Err(CliError::BadInput("--passes must be 1 … 4096".into()));
    }
    let out = OutputDir::create(&a.out, "depth.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let b = super::progress(a.passes.len() as u64 * a.common.seeds, "networks trained");
    let (mut rows, mut per_pass) = (Vec::new(), Vec::new());
    let deepest = *a.passes.iter().max().unwrap_or(&1);
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        for &t in &a.passes {
            let start = Instant::now();
            let (net, acc) = train(
                config(&a.common, &data, t, seed),
                s.phi.clone(),
                &s.noise,
                &settings,
                &data,
            )
            .map_err(CliError::Message)?;
            let secs = start.elapsed().as_secs_f64();
            let clean = net
                .accuracy(&data.test_x, &data.test_y, t, &ForwardNoise::off(), 0)
                .map_err(|e| CliError::Message(e.to_string()))?;
            let bits = net
                .scores(&data.test_x, &data.test_y, t, &s.noise, u64::MAX - 1)
                .map_err(|e| CliError::Message(e.to_string()))?
                .bits_per_example;
            rows.push(DepthRow {
                passes: t,
                seed,
                test_accuracy: acc,
                test_accuracy_noiseless: clean,
                train_seconds: secs,
                test_bits_per_example: bits,
            });
            if t == deepest {
                // Early exits of the deepest network and the effective rank of its state.
                let states = net
                    .states(&data.test_x, t)
                    .map_err(|e| CliError::Message(e.to_string()))?;
                // The readings after every pass, from one run of the loop (one noise stream).
                let every: Vec<usize> = (1..=t).collect();
                let exits = net
                    .readings(&data.test_x, &every, &s.noise, 1_000)
                    .and_then(|reads| {
                        reads
                            .iter()
                            .map(|r| {
                                Ok(lightloop_nn::loopnet::Scores::of(
                                    &net.classify(r)?,
                                    &data.test_y,
                                )?
                                .accuracy)
                            })
                            .collect::<candle_core::Result<Vec<f64>>>()
                    })
                    .map_err(|e| CliError::Message(e.to_string()))?;
                for (k, h) in states.iter().enumerate() {
                    let m: Vec<Vec<f32>> =
                        h.to_vec2().map_err(|e| CliError::Message(e.to_string()))?;
                    let m: Vec<Vec<f64>> = m
                        .into_iter()
                        .map(|r| r.into_iter().map(f64::from).collect())
                        .collect();
                    let acc_k = if k == 0 { f64::NAN } else { exits[k - 1] };
                    per_pass.push(PassRow {
                        trained_passes: t,
                        seed,
                        exit_after_pass: k,
                        test_accuracy: acc_k,
                        participation_ratio: participation_ratio(&m),
                    });
                }
            }
            b.inc(1);
        }
    }
    b.finish_and_clear();
    let mut table = Table::new(
        &[
            "passes T",
            "test accuracy (rig noise)",
            "min – max",
            "noiseless",
            "train s",
        ],
        &[Align::Right; 5],
    );
    let mut points = Vec::new();
    let mut clean_points = Vec::new();
    for &t in &a.passes {
        let sel: Vec<&DepthRow> = rows.iter().filter(|r| r.passes == t).collect();
        let (m, lo, hi) = median_min_max(sel.iter().map(|r| r.test_accuracy).collect());
        let (mc, _, _) = median_min_max(sel.iter().map(|r| r.test_accuracy_noiseless).collect());
        let secs = sel.iter().map(|r| r.train_seconds).sum::<f64>() / sel.len() as f64;
        table.row(vec![
            t.to_string(),
            format!("{m:.4}"),
            format!("{lo:.4} – {hi:.4}"),
            format!("{mc:.4}"),
            format!("{secs:.1}"),
        ]);
        points.push((t as f64, m, lo, hi));
        clean_points.push((t as f64, mc));
    }
    println!(
        "depth sweep on {}: rig {}, width {}, {} epochs, seeds 1–{} (medians)\n",
        s.task, s.rig.rig.name, a.common.width, a.common.epochs, a.common.seeds
    );
    println!("{}", table.render());
    let basis = format!(
        "rig {}, width {}, {} epochs, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.common.epochs, a.common.seeds
    );
    let svg = line_chart(
        &Axes::new(
            format!("{} test accuracy versus loop passes — {basis}", s.task),
            "loop passes T (tied ternary weights)",
            "test accuracy",
        )
        .log_x(),
        &[
            Series {
                name: "rig noise (median, min–max)".into(),
                points: points.iter().map(|p| (p.0, p.1)).collect(),
                intervals: Some(points.iter().map(|p| (p.2, p.3)).collect()),
                dashed: false,
            },
            Series {
                name: "same networks, noiseless".into(),
                points: clean_points,
                dashed: true,
                ..Default::default()
            },
        ],
    )?;
    let exits: Vec<(f64, f64)> = per_pass
        .iter()
        .filter(|r| r.seed == 1 && r.exit_after_pass > 0)
        .map(|r| (r.exit_after_pass as f64, r.test_accuracy))
        .collect();
    let ranks: Vec<(f64, f64)> = per_pass
        .iter()
        .filter(|r| r.seed == 1)
        .map(|r| ((r.exit_after_pass as f64).max(0.5), r.participation_ratio))
        .collect();
    let exit_svg = line_chart(
        &Axes::new(
            format!("Early exits of the T = {deepest} network — {basis}, seed 1"),
            "passes before the readout",
            "test accuracy",
        )
        .log_x(),
        &[Series::line("accuracy when read after k passes", exits)],
    )?;
    let rank_svg = line_chart(
        &Axes::new(
            format!("Effective rank of the loop state — T = {deepest}, {basis}, seed 1"),
            "pass (0.5 = entering the loop)",
            "participation ratio of the state covariance",
        )
        .log_x(),
        &[Series::line("participation ratio", ranks)],
    )?;
    out.csv("passes.csv", &per_pass)?;
    out.text("accuracy_vs_passes.svg", &svg)?;
    out.text("early_exit.svg", &exit_svg)?;
    out.text("effective_rank.svg", &rank_svg)?;
    out.csv("depth.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nwrote {}/{{depth.csv, passes.csv, accuracy_vs_passes.svg, early_exit.svg, effective_rank.svg}}",
        dir.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct ReadoutRow {
    sweep: &'static str,
    seed: u64,
    photons_per_sample: Option<f64>,
    adc_bits: Option<u32>,
    test_accuracy: f64,
}

fn readout(a: &ReadoutArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    if a.passes == 0 || a.passes > 4096 {
        return Err(CliError::BadInput("--passes must be 1 … 4096".into()));
    }
    let out = OutputDir::create(&a.out, "readout.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let photons: Vec<f64> = (3..=9).map(|e| 10f64.powi(e)).collect();
    let bits: Vec<u32> = vec![2, 3, 4, 5, 6, 8, 10, 12];
    let b = super::progress(a.common.seeds, "networks trained and read out");
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        let (net, _) = train(
            config(&a.common, &data, a.passes, seed),
            s.phi.clone(),
            &s.noise,
            &settings,
            &data,
        )
        .map_err(CliError::Message)?;
        let mut eval = |sweep: &'static str, sensing: Sensing, k: u64| -> CliResult<()> {
            let noise = ForwardNoise {
                pass_sd: s.noise.pass_sd,
                sensing,
            };
            let acc = net
                .accuracy(&data.test_x, &data.test_y, a.passes, &noise, 10_000 + k)
                .map_err(|e| CliError::Message(e.to_string()))?;
            rows.push(ReadoutRow {
                sweep,
                seed,
                photons_per_sample: sensing.photons_per_sample,
                adc_bits: sensing.adc_bits,
                test_accuracy: acc,
            });
            Ok(())
        };
        for (k, p) in photons.iter().enumerate() {
            eval(
                "photons",
                Sensing::from_rig(&s.rig, Some(*p), None),
                k as u64,
            )?;
        }
        for (k, bb) in bits.iter().enumerate() {
            eval(
                "adc bits",
                Sensing::from_rig(&s.rig, None, Some(*bb)),
                100 + k as u64,
            )?;
        }
        b.inc(1);
    }
    b.finish_and_clear();
    let med = |sweep: &str, pick: &dyn Fn(&ReadoutRow) -> f64| -> Vec<(f64, f64, f64, f64)> {
        let mut xs: Vec<f64> = rows.iter().filter(|r| r.sweep == sweep).map(pick).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs.into_iter()
            .map(|x| {
                let (m, lo, hi) = median_min_max(
                    rows.iter()
                        .filter(|r| r.sweep == sweep && pick(r) == x)
                        .map(|r| r.test_accuracy)
                        .collect(),
                );
                (x, m, lo, hi)
            })
            .collect()
    };
    let by_photons = med("photons", &|r| r.photons_per_sample.unwrap_or(f64::NAN));
    let by_bits = med("adc bits", &|r| r.adc_bits.map_or(f64::NAN, f64::from));
    let basis = format!(
        "rig {}, width {}, T = {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.passes, a.common.epochs, a.common.seeds
    );
    let series = |v: &[(f64, f64, f64, f64)]| Series {
        name: "median (min–max over seeds)".into(),
        points: v.iter().map(|p| (p.0, p.1)).collect(),
        intervals: Some(v.iter().map(|p| (p.2, p.3)).collect()),
        dashed: false,
    };
    let svg_p = line_chart(
        &Axes::new(
            format!("{} accuracy versus photons per sample — {basis}", s.task),
            "photons per sample at the readout's full scale",
            "test accuracy",
        )
        .log_x(),
        &[series(&by_photons)],
    )?;
    let svg_b = line_chart(
        &Axes::new(
            format!("{} accuracy versus ADC bits — {basis}", s.task),
            "ADC bits",
            "test accuracy",
        ),
        &[series(&by_bits)],
    )?;
    let mut t = Table::new(
        &["readout", "test accuracy (median)", "min – max"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for p in &by_photons {
        t.row(vec![
            format!("{:.0e} photons", p.0),
            format!("{:.4}", p.1),
            format!("{:.4} – {:.4}", p.2, p.3),
        ]);
    }
    for p in &by_bits {
        t.row(vec![
            format!("{}-bit ADC", p.0),
            format!("{:.4}", p.1),
            format!("{:.4} – {:.4}", p.2, p.3),
        ]);
    }
    println!("readout sweep on {}: {basis}\n", s.task);
    println!("{}", t.render());
    out.text("accuracy_vs_photons.svg", &svg_p)?;
    out.text("accuracy_vs_adc_bits.svg", &svg_b)?;
    out.csv("readout.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nwrote {}/{{readout.csv, accuracy_vs_photons.svg, accuracy_vs_adc_bits.svg}}",
        dir.display()
    );
    Ok(())
}

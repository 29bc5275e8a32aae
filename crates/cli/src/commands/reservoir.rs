//! `lightloop reservoir`: reservoir computing on the rig — one model on one task, the benchmark
//! suite (every model × task × readout noise level × seed) and the gain sweep that locates the
//! edge of chaos. The science is `lightloop_lab::reservoir`'s; this parses the arguments, prints
//! the tables and writes the files.

use super::output::OutputDir;
use super::shard_out::ShardOut;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{Align, Table};
use clap::{Args, Subcommand};
use lightloop_lab::reservoir::{single, suite, sweep};
use lightloop_lab::{LabError, Progress, progress::quiet};
use lightloop_nn::NnError;
use lightloop_nn::reservoir::Kind;
use lightloop_nn::suite::Task;
use lightloop_rig::presets::DEFAULT_RIG;
use std::path::PathBuf;

pub const LONG_ABOUT: &str = "Reservoir computing on the simulated optics: a fixed dynamical system \
driven by the input, of which only a linear (ridge) readout is trained.\n\nModels: esn (software \
echo-state network, the digital reference), delay-mg (one Mackey–Glass node with a delay loop and \
N virtual nodes), delay-appeltant (the same at Appeltant 2011's published settings), delay-ikeda \
(an electro-optic sin² node), soa-twin and soa-engine (the rig's fibre loop with its saturable \
absorber and SOA as the node, on the statistical twin and on the time-domain engine), ternary \
(a multi-channel loop x ← a·φ(κ·A·x + s·B·u + b) with ternary A through the rig's mesh and the \
attenuator a setting the loop gain, on the twin), linear (the baseline: a tapped delay line of \
the input, the best any linear reservoir can do; a model scoring no better gains nothing from \
its nonlinearity).\n\nTasks: narma10, \
mackey-glass-H (direct H-step prediction), santa-fe (the real laser data), equalisation-SNRdb, \
japanese-vowels (real speaker data), memory-capacity (linear and quadratic).\n\nEvery score is \
measured on held-out data after a readout whose ridge λ was chosen on a validation split. The \
readout reads the nodes through the rig's photodiode, TIA and ADC with the noise of the one noise \
budget; --photons and --adc-bits change them. NMSE and NRMSE are always both reported.\n\n  \
lightloop reservoir --model delay-mg --task narma10      one model, five seeds\n  \
lightloop reservoir suite --out suite                   the benchmark table (CSV + Markdown)\n  \
lightloop reservoir sweep --model esn --task narma10     the gain sweep and the edge of chaos";

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReservoirArgs {
    #[command(subcommand)]
    pub action: Option<Action>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand)]
pub enum Action {
    /// The benchmark table: every model × task × readout noise level × seed, with spreads and
    /// the published figures, written as CSV and Markdown
    Suite(SuiteArgs),
    /// Sweep a model's gain: Lyapunov exponent, memory capacity, effective rank and a task's
    /// score per gain; the edge of chaos and the best operating point
    Sweep(SweepArgs),
}

/// The rig and the reservoir's knobs.
#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Rig: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Override a rig key, e.g. --set soa.noise_figure="6 dB"; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Nodes (virtual nodes of a delay line, slots of the loop) [default: 400; 100 for soa-engine]
    #[arg(long)]
    pub nodes: Option<usize>,
    /// Input drive relative to the model's default
    #[arg(long, default_value_t = 1.0)]
    pub input_scale: f64,
    /// Switch off the noise inside the reservoir (the SOA's ASE in soa-twin and ternary): what
    /// the loop's nonlinearity could do with noiseless amplifiers. The readout's noise is set
    /// apart (--photons, --adc-bits); soa-engine's noise cannot be switched off.
    #[arg(long)]
    pub no_inner_noise: bool,
}

#[derive(Args)]
pub struct RunArgs {
    /// Reservoir model
    #[arg(long, default_value = "delay-mg")]
    pub model: String,
    /// Task
    #[arg(long, default_value = "narma10")]
    pub task: String,
    #[command(flatten)]
    pub knobs: ModelArgs,
    /// The model's gain knob (spectral radius, feedback strength or loop gain) [default: the
    /// model's own]
    #[arg(long)]
    pub gain: Option<f64>,
    /// Number of seeds (reservoir, readout noise and, for NARMA10, equalisation and memory
    /// capacity, the task's random data), from --seed on
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// First seed
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Photons per sample at the readout's full scale [default: the rig's]
    #[arg(long)]
    pub photons: Option<f64>,
    /// ADC bits of the readout [default: the rig's]
    #[arg(long)]
    pub adc_bits: Option<u32>,
    /// Read the nodes without noise or rounding (the suite's "ideal" level); with
    /// --no-inner-noise, the noiseless reservoir
    #[arg(long, conflicts_with_all = ["photons", "adc_bits"])]
    pub ideal_readout: bool,
    // --shard K/N runs shard K of N of the seeds (a contiguous block; each seed's scores
    // depend on the seed only).
    #[command(flatten)]
    pub sharding: ShardOut,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct SuiteArgs {
    /// Models, comma-separated [default: all]
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<String>,
    /// Tasks, comma-separated [default: the standard suite]
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<String>,
    #[command(flatten)]
    pub knobs: ModelArgs,
    /// Seeds per model and task (1 … N)
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Two seeds, three tasks, four readout levels: a look in under a minute (the full suite
    /// takes several minutes on two cores)
    #[arg(long)]
    pub quick: bool,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/reservoir-suite",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct SweepArgs {
    /// Reservoir model
    #[arg(long, default_value = "esn")]
    pub model: String,
    /// Task scored at each gain
    #[arg(long, default_value = "narma10")]
    pub task: String,
    /// Gains, comma-separated [default: a grid around the model's default]
    #[arg(long, value_delimiter = ',')]
    pub gains: Vec<f64>,
    #[command(flatten)]
    pub knobs: ModelArgs,
    /// Seeds per gain
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/reservoir-sweep",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

fn bad(e: String) -> CliError {
    CliError::BadInput(e)
}

/// A library error as the command line reports it: a bad configuration field by its flag
/// (`--adc-bits must be …`), the user's input as bad input (exit status 2), anything else as a
/// failure (exit status 1).
fn lab(e: LabError) -> CliError {
    match e {
        LabError::Input(e) => CliError::Input(e),
        LabError::Config { field, message } => {
            CliError::BadInput(format!("--{} {message}", field.replace('_', "-")))
        }
        e if e.is_input() => CliError::BadInput(e.to_string()),
        e => CliError::Message(e.to_string()),
    }
}

/// Parses each of `names` (an empty list stays empty: the library's default).
fn parse_all<T: std::str::FromStr<Err = NnError>>(names: &[String]) -> CliResult<Vec<T>> {
    names
        .iter()
        .map(|n| n.parse())
        .collect::<Result<_, _>>()
        .map_err(named)
}

/// A name the library does not know: bad input, in the library's words.
fn named(e: NnError) -> CliError {
    bad(e.to_string())
}

/// The library's progress reports drawn as a bar (hidden when standard error is not a
/// terminal).
#[derive(Default)]
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn update(&mut self, p: Progress) {
        let bar = self
            .0
            .get_or_insert_with(|| super::progress(p.total as u64, p.what));
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(p.what.to_string());
    }

    fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.4}"))
}

pub fn run(a: &ReservoirArgs) -> CliResult<()> {
    match &a.action {
        None => run_one(&a.run),
        Some(Action::Suite(s)) => run_suite(s),
        Some(Action::Sweep(s)) => run_sweep(s),
    }
}

fn run_one(a: &RunArgs) -> CliResult<()> {
    let model: Kind = a.model.parse().map_err(named)?;
    let task: Task = a.task.parse().map_err(named)?;
    let config = single::Config {
        model,
        task,
        nodes: a.knobs.nodes,
        input_scale: a.knobs.input_scale,
        no_inner_noise: a.knobs.no_inner_noise,
        gain: a.gain,
        seeds: a.seeds,
        seed: a.seed,
        photons: a.photons,
        adc_bits: a.adc_bits,
        ideal_readout: a.ideal_readout,
    };
    config.validate().map_err(lab)?;
    let loaded = load_rig(&a.knobs.rig, &a.knobs.sets)?;
    let rig = &loaded.value;
    let o = match (a.sharding.shard()?, a.sharding.out()?) {
        (Some(spec), Some(out)) => {
            let rig_toml = toml::to_string(&loaded.doc.table).unwrap_or_default();
            let (o, file) =
                single::run_shard(&config, rig, &rig_toml, spec, &mut quiet).map_err(lab)?;
            file.write(out, a.sharding.force)?;
            if !a.json {
                println!(
                    "shard {spec}: seeds {}..{} of the run's {} (merge the shards with `lightloop merge`; wrote {})\n",
                    config.seed + file.header.start,
                    config.seed + file.header.end - 1,
                    config.seeds,
                    out.display()
                );
            }
            o
        }
        _ => single::run(&config, rig, &mut quiet).map_err(lab)?,
    };
    if a.json {
        return super::print_json(&o.rows);
    }
    let (meaning, _) = model.gain_meaning();
    let mut gain = o.gain.map_or(String::new(), |g| format!(", {meaning} {g}"));
    if model.noisy_inside() && !o.inner_noise {
        gain += ", its own ASE off";
    }
    println!(
        "reservoir {model} ({} nodes{gain}) on {task}\n  rig      {}\n  readout  {}\n",
        o.nodes, rig.rig.name, o.readout
    );
    let mut t = Table::new(
        &[
            "seed",
            "NMSE",
            "NRMSE",
            "accuracy",
            "SER",
            "MC",
            "nonlinear MC",
            "λ",
        ],
        &[Align::Right; 8],
    );
    for r in &o.rows {
        t.row(vec![
            r.seed.to_string(),
            opt(r.nmse),
            opt(r.nrmse),
            opt(r.accuracy),
            opt(r.ser),
            opt(r.memory_capacity),
            opt(r.nonlinear_capacity),
            format!("{:.0e}", r.lambda),
        ]);
    }
    println!("{}", t.render());
    // The software references are usually quoted with an ideal readout: show both, labelled.
    let reference = matches!(model, Kind::Esn | Kind::Linear);
    if reference && !a.ideal_readout && a.photons.is_none() && a.adc_bits.is_none() {
        let ideal = single::Config {
            ideal_readout: true,
            ..config.clone()
        };
        let i = single::run(&ideal, rig, &mut quiet).map_err(lab)?;
        // The task's headline score: the first of these the rows carry.
        type Field = fn(&single::RunRow) -> Option<f64>;
        let metrics: [(&str, Field); 4] = [
            ("NRMSE", |r| r.nrmse),
            ("accuracy", |r| r.accuracy),
            ("SER", |r| r.ser),
            ("MC", |r| r.memory_capacity),
        ];
        let (name, field) = metrics
            .into_iter()
            .find(|(_, f)| o.rows.iter().any(|r| f(r).is_some()))
            .unwrap_or(metrics[0]);
        let mean = |rows: &[single::RunRow]| {
            let v: Vec<f64> = rows.iter().filter_map(field).collect();
            (name, v.iter().sum::<f64>() / v.len().max(1) as f64)
        };
        let ((name, through), (_, clean)) = (mean(&o.rows), mean(&i.rows));
        println!(
            "\n{model} is a software reference: mean {name} {clean:.4} with an ideal readout (as software \
             reservoirs are quoted), {through:.4} through the rig's readout (the table above)"
        );
    }
    if let Some(p) = task.published() {
        println!("\npublished: {p}");
    }
    if let Some(c) = model.caveat() {
        print!(
            "\n{}",
            crate::table::wrap(&format!("note: {model}: {c}"), 100, "")
        );
    }
    Ok(())
}

fn run_suite(a: &SuiteArgs) -> CliResult<()> {
    let rig = load_rig(&a.knobs.rig, &a.knobs.sets)?.value;
    let config = suite::Config {
        models: parse_all(&a.models)?,
        tasks: parse_all(&a.tasks)?,
        nodes: a.knobs.nodes,
        input_scale: a.knobs.input_scale,
        no_inner_noise: a.knobs.no_inner_noise,
        seeds: a.seeds,
        quick: a.quick,
    };
    // Every model must build on this rig before the output folder is opened for the long run.
    config.check(&rig).map_err(lab)?;
    let out = OutputDir::create(&a.out, "summary.md", "--out")?;
    let mut bar = Bar::default();
    let o = suite::run(&config, &rig, &mut |p| bar.update(p)).map_err(lab)?;
    bar.finish();
    out.csv("runs.csv", &o.runs)?;
    out.csv("summary.csv", &o.summary)?;
    out.csv("dynamics.csv", &o.dynamics)?;
    out.text("summary.md", &o.markdown)?;
    let dir = out.finish()?;
    print!("{}", o.markdown);
    println!(
        "\nwrote {}/{{runs.csv, summary.csv, dynamics.csv, summary.md}}",
        dir.display()
    );
    Ok(())
}

fn run_sweep(a: &SweepArgs) -> CliResult<()> {
    let model: Kind = a.model.parse().map_err(named)?;
    let task: Task = a.task.parse().map_err(named)?;
    let config = sweep::Config {
        model,
        task,
        gains: a.gains.clone(),
        nodes: a.knobs.nodes,
        input_scale: a.knobs.input_scale,
        no_inner_noise: a.knobs.no_inner_noise,
        seeds: a.seeds,
    };
    config.validate().map_err(lab)?;
    let rig = load_rig(&a.knobs.rig, &a.knobs.sets)?.value;
    let out = OutputDir::create(&a.out, "gain_sweep.csv", "--out")?;
    let mut bar = Bar::default();
    let o = sweep::run(&config, &rig, &mut |p| bar.update(p)).map_err(lab)?;
    bar.finish();
    let metric = &o.metric;
    let mut t = Table::new(
        &[
            "gain",
            "Lyapunov /step",
            &format!("{metric} ideal"),
            &format!("{metric} rig readout"),
            "MC",
        ],
        &[Align::Right; 5],
    );
    for p in &o.points {
        t.row(vec![
            format!("{:.4}", p.gain),
            opt(p.lyapunov),
            opt(p.ideal),
            opt(p.rig),
            opt(p.memory),
        ]);
    }
    let (meaning, _) = model.gain_meaning();
    println!(
        "gain sweep of {model} ({meaning}) on {task}, rig {}, {} seed(s), medians\n",
        rig.rig.name, a.seeds
    );
    print!("{}", t.render());
    for r in o.rows.iter().filter(|r| !r.error.is_empty()).take(3) {
        println!("  gain {}: {}", r.gain, r.error);
    }
    match o.edge_of_chaos {
        Some(g) => println!("\nedge of chaos (Lyapunov exponent crosses 0): gain ≈ {g:.3}"),
        None => println!("\nedge of chaos: the Lyapunov exponent does not cross 0 in this range"),
    }
    if let Some((g, v)) = o.best_ideal {
        println!(
            "lowest held-out error, ideal readout: gain {g:.4} ({metric} {v:.4}; picked on the test scores themselves, so optimistic: confirm on other seeds)"
        );
    }
    if let Some((g, v)) = o.best_rig {
        println!("lowest held-out error, rig readout:   gain {g:.4} ({metric} {v:.4})");
    }
    // Each plot as SVG and, beside it, as PDF.
    let mut files = vec!["gain_sweep.csv".to_string()];
    for p in &o.plots {
        let chart = p.chart()?;
        out.text(&format!("{}.svg", p.name), &chart.svg())?;
        out.bytes(&format!("{}.pdf", p.name), &chart.pdf())?;
        files.extend([format!("{}.svg", p.name), format!("{}.pdf", p.name)]);
    }
    out.csv("gain_sweep.csv", &o.rows)?;
    let dir = out.finish()?;
    println!("\nwrote {}/{{{}}}", dir.display(), files.join(", "));
    Ok(())
}

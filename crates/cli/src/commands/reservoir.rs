//! `lightloop reservoir`: reservoir computing on the rig — one model on one task, the benchmark
//! suite (every model × task × readout noise level × seed) and the gain sweep that locates the
//! edge of chaos.

use super::output::OutputDir;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{Align, Table};
use clap::{Args, Subcommand};
use lightloop_base::rng::stream;
use lightloop_base::stats::median_min_max;
use lightloop_nn::dynamics::{
    autocorrelation, autocorrelation_half_life, lyapunov, participation_ratio,
};
use lightloop_nn::reservoir::{Model, Spec, build};
use lightloop_nn::sensing::{Sensing, levels};
use lightloop_nn::suite::{Score, Task, collect, evaluate};
use lightloop_plot::{Axes, Series, line_chart};
use lightloop_rig::Rig;
use lightloop_rig::presets::DEFAULT_RIG;
use rayon::prelude::*;
use serde::Serialize;
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

fn spec(model: Model, knobs: &ModelArgs, gain: Option<f64>, seed: u64) -> CliResult<Spec> {
    let mut s = Spec::new(model, seed);
    if let Some(n) = knobs.nodes {
        if n == 0 || n > 10_000 {
            return Err(bad(format!("--nodes must be 1 … 10000, not {n}")));
        }
        s.nodes = n;
    }
    if !(knobs.input_scale.is_finite() && knobs.input_scale > 0.0) {
        return Err(bad(format!(
            "--input-scale must be a positive number, not {}",
            knobs.input_scale
        )));
    }
    s.input_scale = knobs.input_scale;
    s.gain = gain;
    // soa-engine's noise is the physics engine's and stays on (single runs and sweeps refuse
    // the flag for it; the suite runs it noisy and says so).
    s.inner_noise = !knobs.no_inner_noise || model == Model::SoaEngine;
    Ok(s)
}

/// Refuses --no-inner-noise for the one model that cannot honour it (the suite runs that model
/// noisy and says so in its summary).
fn engine_keeps_its_noise(model: Model, knobs: &ModelArgs) -> CliResult<()> {
    if knobs.no_inner_noise && model == Model::SoaEngine {
        return Err(bad(
            "--no-inner-noise: soa-engine's noise is the physics engine's and cannot be switched off (soa-twin is the same loop on the twin)".into(),
        ));
    }
    Ok(())
}

/// The task's headline metric: (name, value, whether lower is better).
fn headline(task: &Task, s: &Score) -> (&'static str, f64, bool) {
    match task {
        Task::Equalisation { .. } => ("SER", s.ser.unwrap_or(f64::NAN), true),
        Task::JapaneseVowels => ("accuracy", s.accuracy.unwrap_or(f64::NAN), false),
        Task::MemoryCapacity => ("MC", s.memory_capacity.unwrap_or(f64::NAN), false),
        _ => ("NRMSE", s.nrmse.unwrap_or(f64::NAN), true),
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.4}"))
}

pub fn run(a: &ReservoirArgs) -> CliResult<()> {
    match &a.action {
        None => run_one(&a.run),
        Some(Action::Suite(s)) => suite(s),
        Some(Action::Sweep(s)) => sweep(s),
    }
}

#[derive(Serialize)]
struct OneRow {
    seed: u64,
    nmse: Option<f64>,
    nrmse: Option<f64>,
    accuracy: Option<f64>,
    ser: Option<f64>,
    memory_capacity: Option<f64>,
    nonlinear_capacity: Option<f64>,
    lambda: f64,
}

fn run_one(a: &RunArgs) -> CliResult<()> {
    let model: Model = a.model.parse().map_err(bad)?;
    let task: Task = a.task.parse().map_err(bad)?;
    engine_keeps_its_noise(model, &a.knobs)?;
    let rig = load_rig(&a.knobs.rig, &a.knobs.sets)?.value;
    if let Some(n) = a.photons
        && !(n.is_finite() && n > 0.0)
    {
        return Err(bad(format!("--photons must be a positive number, not {n}")));
    }
    if let Some(b) = a.adc_bits
        && !(1..=24).contains(&b)
    {
        return Err(bad(format!("--adc-bits must be 1 … 24, not {b}")));
    }
    if a.seeds == 0 {
        return Err(bad("--seeds must be at least 1".into()));
    }
    let sensing = if a.ideal_readout {
        Sensing::ideal()
    } else {
        Sensing::from_rig(&rig, a.photons, a.adc_bits)
    };
    let last = a
        .seed
        .checked_add(a.seeds)
        .ok_or_else(|| bad("--seed + --seeds is too large".into()))?;
    let seeds: Vec<u64> = (a.seed..last).collect();
    let rows: Vec<CliResult<OneRow>> = seeds
        .par_iter()
        .map(|&seed| {
            let s = spec(model, &a.knobs, a.gain, seed)?;
            let mut r = build(&s, &rig, task.inputs()).map_err(bad)?;
            let c = collect(task, r.as_mut(), seed).map_err(CliError::Message)?;
            let purpose = format!("reservoir.sensing.{}", task.name());
            let sc = evaluate(&c, &sensing, &mut stream(seed, &purpose, u64::MAX, 0))
                .map_err(CliError::Message)?;
            Ok(OneRow {
                seed,
                nmse: sc.nmse,
                nrmse: sc.nrmse,
                accuracy: sc.accuracy,
                ser: sc.ser,
                memory_capacity: sc.memory_capacity,
                nonlinear_capacity: sc.nonlinear_capacity,
                lambda: sc.lambda,
            })
        })
        .collect();
    let rows = rows.into_iter().collect::<CliResult<Vec<_>>>()?;
    if a.json {
        return super::print_json(&rows);
    }
    let (meaning, default) = model.gain_meaning();
    let mut gain = if model.has_gain() {
        format!(", {meaning} {}", a.gain.unwrap_or(default))
    } else {
        String::new()
    };
    if a.knobs.no_inner_noise && model.noisy_inside() {
        gain += ", its own ASE off";
    }
    println!(
        "reservoir {model} ({} nodes{gain}) on {task}\n  rig      {}\n  readout  {}\n",
        a.knobs.nodes.unwrap_or(model.default_nodes()),
        rig.rig.name,
        sensing.label()
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
    for r in &rows {
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

#[derive(Serialize, Clone)]
struct SuiteRow {
    model: String,
    task: String,
    readout: String,
    seed: u64,
    nodes: usize,
    gain: f64,
    /// Whether the reservoir's own noise (the SOA's ASE) was on.
    inner_noise: bool,
    nmse: Option<f64>,
    nrmse: Option<f64>,
    accuracy: Option<f64>,
    ser: Option<f64>,
    test_symbols: Option<usize>,
    memory_capacity: Option<f64>,
    nonlinear_capacity: Option<f64>,
    lambda: f64,
    photons_per_sample: Option<f64>,
    adc_bits: Option<u32>,
}

#[derive(Serialize)]
struct SummaryRow {
    model: String,
    task: String,
    readout: String,
    metric: String,
    median: f64,
    min: f64,
    max: f64,
    nmse_median: Option<f64>,
    nrmse_median: Option<f64>,
    seeds: usize,
    published: String,
}

#[derive(Serialize)]
struct DynamicsRow {
    model: String,
    seed: u64,
    gain: f64,
    lyapunov_per_step: Option<f64>,
    participation_ratio: f64,
    autocorrelation_lag1: f64,
    autocorrelation_half_life_steps: Option<usize>,
}

fn suite(a: &SuiteArgs) -> CliResult<()> {
    let rig = load_rig(&a.knobs.rig, &a.knobs.sets)?.value;
    let models: Vec<Model> = if a.models.is_empty() {
        Model::ALL.to_vec()
    } else {
        a.models
            .iter()
            .map(|m| m.parse())
            .collect::<Result<_, _>>()
            .map_err(bad)?
    };
    let tasks: Vec<Task> = if !a.tasks.is_empty() {
        a.tasks
            .iter()
            .map(|t| t.parse())
            .collect::<Result<_, _>>()
            .map_err(bad)?
    } else if a.quick {
        vec![Task::Narma10, Task::SantaFe, Task::MemoryCapacity]
    } else {
        Task::suite()
    };
    let seeds = if a.quick { a.seeds.min(2) } else { a.seeds };
    if seeds == 0 {
        return Err(bad("--seeds must be at least 1".into()));
    }
    // Check every model builds on this rig before the long run.
    for m in &models {
        build(&spec(*m, &a.knobs, None, 1)?, &rig, 1).map_err(|e| bad(format!("{m}: {e}")))?;
    }
    let out = OutputDir::create(&a.out, "summary.md")?;
    let lv = levels(&rig, a.quick);
    let jobs: Vec<(Model, usize, u64)> = models
        .iter()
        .flat_map(|m| (0..tasks.len()).flat_map(move |t| (1..=seeds).map(move |s| (*m, t, s))))
        .collect();
    let bar = super::progress(
        jobs.len() as u64 + (models.len() as u64 * seeds),
        "model × task × seed runs",
    );
    // Each job's rows, and the state statistics of the memory-capacity run (the dynamics table
    // reuses them rather than running the reservoir again).
    type Job = (Vec<SuiteRow>, Option<((Model, u64), StateStats)>);
    let results: Vec<CliResult<Job>> = jobs
        .par_iter()
        .map(|&(m, ti, seed)| {
            let task = tasks[ti];
            let s = spec(m, &a.knobs, None, seed)?;
            let mut r = build(&s, &rig, task.inputs()).map_err(bad)?;
            let c = collect(task, r.as_mut(), seed).map_err(CliError::Message)?;
            let stats = (task == Task::MemoryCapacity).then(|| ((m, seed), state_stats(&c.states)));
            let mut rows = Vec::new();
            for (li, (name, sensing)) in lv.iter().enumerate() {
                // Keyed by the task's name, not its place in --tasks.
                let purpose = format!("reservoir.sensing.{}", task.name());
                let mut rng = stream(seed, &purpose, li as u64, 0);
                let sc = evaluate(&c, sensing, &mut rng).map_err(CliError::Message)?;
                rows.push(SuiteRow {
                    model: m.to_string(),
                    task: task.name(),
                    readout: name.clone(),
                    seed,
                    nodes: s.nodes,
                    gain: s.gain(),
                    inner_noise: s.noisy_inside(),
                    nmse: sc.nmse,
                    nrmse: sc.nrmse,
                    accuracy: sc.accuracy,
                    ser: sc.ser,
                    test_symbols: sc.symbols,
                    memory_capacity: sc.memory_capacity,
                    nonlinear_capacity: sc.nonlinear_capacity,
                    lambda: sc.lambda,
                    photons_per_sample: sensing.photons_per_sample,
                    adc_bits: sensing.adc_bits,
                });
            }
            bar.inc(1);
            Ok((rows, stats))
        })
        .collect();
    let (mut rows, mut known) = (Vec::new(), std::collections::HashMap::new());
    for r in results {
        let (job_rows, stats) = r?;
        rows.extend(job_rows);
        known.extend(stats);
    }
    bar.set_message("dynamics (Lyapunov exponent, effective rank)");
    let dyn_jobs: Vec<(Model, u64)> = models
        .iter()
        .flat_map(|m| (1..=seeds).map(move |s| (*m, s)))
        .collect();
    let dynamics: Vec<CliResult<DynamicsRow>> = dyn_jobs
        .par_iter()
        .map(|&(m, seed)| {
            let s = spec(m, &a.knobs, None, seed)?;
            let d = dynamics_of(&s, &rig, known.get(&(m, seed)).copied())?;
            bar.inc(1);
            Ok(d)
        })
        .collect();
    let dynamics = dynamics.into_iter().collect::<CliResult<Vec<_>>>()?;
    bar.finish_and_clear();

    let mut summary = Vec::new();
    for m in &models {
        for task in &tasks {
            for (name, _) in &lv {
                let sel: Vec<&SuiteRow> = rows
                    .iter()
                    .filter(|r| r.model == m.name() && r.task == task.name() && &r.readout == name)
                    .collect();
                let metric_of = |r: &SuiteRow| {
                    let sc = Score {
                        nmse: r.nmse,
                        nrmse: r.nrmse,
                        accuracy: r.accuracy,
                        ser: r.ser,
                        memory_capacity: r.memory_capacity,
                        ..Score::default()
                    };
                    headline(task, &sc)
                };
                let metric = sel.first().map_or("", |r| metric_of(r).0);
                let (median, min, max) =
                    median_min_max(sel.iter().map(|r| metric_of(r).1).collect());
                let med = |f: &dyn Fn(&SuiteRow) -> Option<f64>| {
                    let v: Vec<f64> = sel.iter().filter_map(|r| f(r)).collect();
                    (!v.is_empty()).then(|| median_min_max(v).0)
                };
                summary.push(SummaryRow {
                    model: m.to_string(),
                    task: task.name(),
                    readout: name.clone(),
                    metric: metric.into(),
                    median,
                    min,
                    max,
                    nmse_median: med(&|r| r.nmse),
                    nrmse_median: med(&|r| r.nrmse),
                    seeds: sel.len(),
                    published: task.published().unwrap_or("").into(),
                });
            }
        }
    }
    let mut md = markdown(
        &summary,
        &lv,
        &tasks,
        &models,
        &rig,
        seeds,
        a.knobs.no_inner_noise,
    );
    md += "\n## Dynamics (inner noise off for the Lyapunov exponent; states under i.i.d. input)\n\n\
| model | gain | largest Lyapunov exponent /step | participation ratio | lag-1 autocorrelation |\n|---|---|---|---|---|\n";
    for m in &models {
        let sel: Vec<&DynamicsRow> = dynamics.iter().filter(|d| d.model == m.name()).collect();
        let med = |f: &dyn Fn(&DynamicsRow) -> Option<f64>| {
            median_min_max(sel.iter().filter_map(|d| f(d)).collect()).0
        };
        let lyap = med(&|d| d.lyapunov_per_step);
        md += &format!(
            "| {m} | {} | {} | {:.2} | {:.3} |\n",
            sel.first().map_or(f64::NAN, |d| d.gain),
            if lyap.is_nan() {
                "— (engine state not a vector)".to_string()
            } else {
                format!("{lyap:.3}")
            },
            med(&|d| Some(d.participation_ratio)),
            med(&|d| Some(d.autocorrelation_lag1)),
        );
    }
    out.csv("runs.csv", &rows)?;
    out.csv("summary.csv", &summary)?;
    out.csv("dynamics.csv", &dynamics)?;
    out.text("summary.md", &md)?;
    let dir = out.finish()?;
    print!("{md}");
    println!(
        "\nwrote {}/{{runs.csv, summary.csv, dynamics.csv, summary.md}}",
        dir.display()
    );
    Ok(())
}

/// Statistics of a reservoir's states under the memory-capacity task's i.i.d. input (its first
/// 5 000 steps).
#[derive(Debug, Clone, Copy)]
struct StateStats {
    participation_ratio: f64,
    autocorrelation_lag1: f64,
    half_life: Option<usize>,
}

fn state_stats(states: &[Vec<f64>]) -> StateStats {
    let s = &states[..states.len().min(5000)];
    StateStats {
        participation_ratio: participation_ratio(s),
        autocorrelation_lag1: autocorrelation(s, 1).first().copied().unwrap_or(f64::NAN),
        half_life: autocorrelation_half_life(s, 100),
    }
}

/// The dynamics row of one reservoir: its Lyapunov exponent, and the statistics of its states
/// under the memory-capacity input (`known` when the suite has run that task already).
fn dynamics_of(s: &Spec, rig: &Rig, known: Option<StateStats>) -> CliResult<DynamicsRow> {
    let lyap = lyapunov(s, rig, 1000).map_err(CliError::Message)?;
    let st = match known {
        Some(k) => k,
        None => {
            let mut r = build(s, rig, 1).map_err(bad)?;
            let c = collect(Task::MemoryCapacity, r.as_mut(), s.seed).map_err(CliError::Message)?;
            state_stats(&c.states)
        }
    };
    Ok(DynamicsRow {
        model: s.model.to_string(),
        seed: s.seed,
        gain: s.gain(),
        lyapunov_per_step: lyap,
        participation_ratio: st.participation_ratio,
        autocorrelation_lag1: st.autocorrelation_lag1,
        autocorrelation_half_life_steps: st.half_life,
    })
}

fn markdown(
    summary: &[SummaryRow],
    lv: &[(String, Sensing)],
    tasks: &[Task],
    models: &[Model],
    rig: &Rig,
    seeds: u64,
    no_inner_noise: bool,
) -> String {
    let mut s = format!(
        "# Reservoir benchmark suite\n\nrig `{}`; {seeds} seed(s) per cell: median [min – max] on held-out data; \
NMSE and NRMSE medians in summary.csv. Readout levels:\n\n",
        rig.rig.name
    );
    for (name, sensing) in lv {
        s += &format!("- **{name}**: {}\n", sensing.label());
    }
    s += if no_inner_noise {
        "\nThe noise inside the reservoirs (the SOA's ASE in the loops) is switched off \
(--no-inner-noise), except soa-engine's, which cannot be.\n"
    } else {
        "\nThe columns change the readout only: the noise inside the reservoirs (the SOA's ASE in \
soa-twin, soa-engine and ternary) is on in every column, ideal included \
(--no-inner-noise switches it off).\n"
    };
    s += "\nSimplifications: the readout's shot noise is taken at full scale; node ranges are calibrated onto the receiver's swing; the SOA loop adds its input and feedback in power.\n";
    for task in tasks {
        let metric = summary
            .iter()
            .find(|r| r.task == task.name())
            .map_or("", |r| r.metric.as_str());
        s += &format!("\n## {task} — {metric}\n\n| model |");
        for (name, _) in lv {
            s += &format!(" {name} |");
        }
        s += "\n|---|";
        s += &"---|".repeat(lv.len());
        s += "\n";
        for m in models {
            s += &format!("| {m} |");
            for (name, _) in lv {
                if let Some(r) = summary
                    .iter()
                    .find(|r| r.model == m.name() && r.task == task.name() && &r.readout == name)
                {
                    s += &format!(" {:.3} [{:.3} – {:.3}] |", r.median, r.min, r.max);
                } else {
                    s += " — |";
                }
            }
            s += "\n";
        }
        if let Some(p) = task.published() {
            s += &format!("\npublished: {p}\n");
        }
    }
    let caveats: Vec<String> = models
        .iter()
        .filter_map(|m| m.caveat().map(|c| format!("- **{m}**: {c}\n")))
        .collect();
    if !caveats.is_empty() {
        s += "\n## Notes on the models\n\n";
        s += &caveats.concat();
    }
    s
}

#[derive(Serialize)]
struct SweepRow {
    gain: f64,
    seed: u64,
    lyapunov_per_step: Option<f64>,
    metric: String,
    score_ideal: Option<f64>,
    score_rig_readout: Option<f64>,
    memory_capacity: Option<f64>,
    participation_ratio: Option<f64>,
    error: String,
}

/// Medians over seeds at one gain.
struct GainPoint {
    gain: f64,
    lyapunov: Option<f64>,
    ideal: Option<f64>,
    rig: Option<f64>,
    memory: Option<f64>,
}

fn sweep(a: &SweepArgs) -> CliResult<()> {
    let model: Model = a.model.parse().map_err(bad)?;
    let task: Task = a.task.parse().map_err(bad)?;
    engine_keeps_its_noise(model, &a.knobs)?;
    if !model.has_gain() {
        return Err(bad(format!(
            "`{model}` has no gain that changes what it computes: there is nothing to sweep"
        )));
    }
    let rig = load_rig(&a.knobs.rig, &a.knobs.sets)?.value;
    let gains: Vec<f64> = if a.gains.is_empty() {
        let g0 = model.gain_meaning().1;
        [0.25, 0.5, 0.7, 0.85, 0.95, 1.0, 1.05, 1.15, 1.3, 1.6]
            .iter()
            .map(|f| f * g0)
            .collect()
    } else {
        a.gains.clone()
    };
    if let Some(g) = gains.iter().find(|g| !(g.is_finite() && **g >= 0.0)) {
        return Err(bad(format!("gains must be finite and ≥ 0, not {g}")));
    }
    if a.seeds == 0 {
        return Err(bad("--seeds must be at least 1".into()));
    }
    let out = OutputDir::create(&a.out, "gain_sweep.csv")?;
    let rig_sensing = Sensing::from_rig(&rig, None, None);
    let jobs: Vec<(f64, u64)> = gains
        .iter()
        .flat_map(|g| (1..=a.seeds).map(move |s| (*g, s)))
        .collect();
    let bar = super::progress(jobs.len() as u64, "gains × seeds");
    let rows: Vec<SweepRow> = jobs
        .par_iter()
        .map(|&(gain, seed)| {
            let row = sweep_point(model, task, &a.knobs, gain, seed, &rig, &rig_sensing)
                .unwrap_or_else(|e| SweepRow {
                    gain,
                    seed,
                    lyapunov_per_step: None,
                    metric: String::new(),
                    score_ideal: None,
                    score_rig_readout: None,
                    memory_capacity: None,
                    participation_ratio: None,
                    error: e.to_string(),
                });
            bar.inc(1);
            row
        })
        .collect();
    bar.finish_and_clear();
    // Medians per gain.
    let per_gain: Vec<GainPoint> = gains
        .iter()
        .map(|g| {
            let sel: Vec<&SweepRow> = rows.iter().filter(|r| r.gain == *g).collect();
            let med = |f: &dyn Fn(&SweepRow) -> Option<f64>| {
                let v: Vec<f64> = sel
                    .iter()
                    .filter_map(|r| f(r))
                    .filter(|x| x.is_finite())
                    .collect();
                (!v.is_empty()).then(|| median_min_max(v).0)
            };
            GainPoint {
                gain: *g,
                lyapunov: med(&|r| r.lyapunov_per_step),
                ideal: med(&|r| r.score_ideal),
                rig: med(&|r| r.score_rig_readout),
                memory: med(&|r| r.memory_capacity),
            }
        })
        .collect();
    let lower_better = !matches!(task, Task::JapaneseVowels | Task::MemoryCapacity);
    let metric = rows
        .iter()
        .find(|r| !r.metric.is_empty())
        .map_or("score".to_string(), |r| r.metric.clone());
    let edge = per_gain
        .windows(2)
        .find_map(|w| match (w[0].lyapunov, w[1].lyapunov) {
            (Some(a), Some(b)) if a <= 0.0 && b > 0.0 => {
                Some(w[0].gain + (w[1].gain - w[0].gain) * (-a) / (b - a))
            }
            _ => None,
        });
    let best = |k: usize| {
        per_gain
            .iter()
            .filter_map(|p| {
                let v = if k == 0 { p.ideal } else { p.rig };
                v.map(|v| (p.gain, v))
            })
            .min_by(|x, y| {
                if lower_better {
                    x.1.total_cmp(&y.1)
                } else {
                    y.1.total_cmp(&x.1)
                }
            })
    };
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
    for p in &per_gain {
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
    for r in rows.iter().filter(|r| !r.error.is_empty()).take(3) {
        println!("  gain {}: {}", r.gain, r.error);
    }
    match edge {
        Some(g) => println!("\nedge of chaos (Lyapunov exponent crosses 0): gain ≈ {g:.3}"),
        None => println!("\nedge of chaos: the Lyapunov exponent does not cross 0 in this range"),
    }
    if let Some((g, v)) = best(0) {
        println!(
            "lowest held-out error, ideal readout: gain {g:.4} ({metric} {v:.4}; picked on the test scores themselves, so optimistic: confirm on other seeds)"
        );
    }
    if let Some((g, v)) = best(1) {
        println!("lowest held-out error, rig readout:   gain {g:.4} ({metric} {v:.4})");
    }
    let series = |name: &str, k: usize| Series {
        name: name.into(),
        points: per_gain
            .iter()
            .filter_map(|p| {
                let v = match k {
                    0 => p.lyapunov,
                    1 => p.ideal,
                    _ => p.rig,
                };
                v.filter(|v| v.is_finite()).map(|v| (p.gain, v))
            })
            .collect(),
        intervals: None,
        dashed: false,
    };
    let title_tail = format!(
        "{model} on rig {}, seeds 1–{}, medians",
        rig.rig.name, a.seeds
    );
    let lyap_svg = line_chart(
        &Axes::new(
            format!("Largest Lyapunov exponent vs gain — {title_tail}"),
            meaning,
            "λ_max per input step",
        ),
        &[series("λ_max (noise off)", 0)],
    )?;
    let score_svg = line_chart(
        &Axes::new(
            format!("{task} {metric} vs gain — {title_tail}"),
            meaning,
            metric.clone(),
        ),
        &[series("ideal readout", 1), series("rig readout", 2)],
    )?;
    out.text("lyapunov_vs_gain.svg", &lyap_svg)?;
    out.text("score_vs_gain.svg", &score_svg)?;
    out.csv("gain_sweep.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nwrote {}/{{gain_sweep.csv, lyapunov_vs_gain.svg, score_vs_gain.svg}}",
        dir.display()
    );
    Ok(())
}

fn sweep_point(
    model: Model,
    task: Task,
    knobs: &ModelArgs,
    gain: f64,
    seed: u64,
    rig: &Rig,
    rig_sensing: &Sensing,
) -> CliResult<SweepRow> {
    let s = spec(model, knobs, Some(gain), seed)?;
    let lyap = lyapunov(&s, rig, 1000).map_err(CliError::Message)?;
    let mut r = build(&s, rig, task.inputs()).map_err(bad)?;
    let c = collect(task, r.as_mut(), seed).map_err(CliError::Message)?;
    let ideal = evaluate(
        &c,
        &Sensing::ideal(),
        &mut stream(seed, "sweep.ideal", 0, 0),
    )
    .map_err(CliError::Message)?;
    let noisy = evaluate(&c, rig_sensing, &mut stream(seed, "sweep.rig", 0, 0))
        .map_err(CliError::Message)?;
    let mut r = build(&s, rig, 1).map_err(bad)?;
    let mc = collect(Task::MemoryCapacity, r.as_mut(), seed).map_err(CliError::Message)?;
    let mcs = evaluate(&mc, &Sensing::ideal(), &mut stream(seed, "sweep.mc", 0, 0))
        .map_err(CliError::Message)?;
    let (metric, v, _) = headline(&task, &ideal);
    Ok(SweepRow {
        gain,
        seed,
        lyapunov_per_step: lyap,
        metric: metric.into(),
        score_ideal: Some(v),
        score_rig_readout: Some(headline(&task, &noisy).1),
        memory_capacity: mcs.memory_capacity,
        participation_ratio: Some(participation_ratio(&mc.states[..5000])),
        error: String::new(),
    })
}

//! `lightloop`: what an optical co-processor built from telecom fibre parts really costs in energy,
//! time and accuracy, from one description of the rig.

mod commands;
mod load;
mod table;

use clap::{Args, Parser, Subcommand};
use lightloop_rig::presets::{DEFAULT_RIG, DEFAULT_WORKLOAD};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lightloop",
    version,
    about = "Simulator and design tool for analog optical neural-network co-processors",
    long_about = "Simulator and design tool for analog optical neural-network co-processors built from \
telecom fibre parts.\n\nOne rig description (lasers, modulators, converters, amplifiers, absorbers, \
passives, topology, host) and one workload description (a transformer, a deep optical loop, or a bare \
kernel) drive every figure: the energy ledger with every DC load counted, throughput and latency \
derived from the architecture, the noise budget, the GPU baseline and the audit of published claims.\n\n\
Rigs, workloads and GPUs are preset names (`lightloop presets`) or TOML files; values carry units \
(\"6 ns\", \"10 dBm\", \"5 dB\"). Start with:\n\n  \
lightloop report                               the HTML report of the default rig (plots + CSVs)\n  \
lightloop compare                              the default rig against H100, H200 and B200\n  \
lightloop audit                                published claims beside consistent figures\n  \
lightloop presets show seed-16ch > my-rig.toml a complete rig to edit",
    after_help = "Every command that prints results takes --json for machine-readable output; report and \
sweep print what they wrote with --json. \
Exit status: 0 on success, 2 for bad input (reported with file, line and key), 1 for other failures."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// A rig and a workload, with overrides.
#[derive(Args, Clone)]
pub struct Target {
    /// Rig: a preset name (see `lightloop presets`) or a TOML file
    #[arg(long, short, default_value = DEFAULT_RIG, value_name = "RIG")]
    pub rig: String,
    /// Workload: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_WORKLOAD, value_name = "WORKLOAD")]
    pub workload: String,
    /// Override a key of the rig or the workload (chosen by the key's section), e.g.
    /// --set laser.power="12 dBm" --set run.batch=64; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print JSON instead of tables
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Energy per token by ledger category and item, fJ/MAC and TOPS/W, every DC load counted
    Energy(Target),
    /// MAC/s from the architecture, the per-step schedule, time per token, TTFT and tokens/s
    Throughput(Target),
    /// The readout noise budget: SNR, effective bits, dominant term, required laser power, loop
    /// depth; one channel's ternary decision from the levels the SOA and absorber compress, the
    /// laser power for a target symbol-error rate, and whether the loop regenerates its levels;
    /// for a rig with `[impairments]` or `[mode_multiplexing]`, each impairment's penalty, the
    /// passes it allows and which one limits the loop
    Noise {
        #[command(flatten)]
        target: Target,
        /// Target symbol-error rate of the ternary decision (the laser power for it, and the
        /// passes until an unrestored level's error rate passes it)
        #[arg(long, default_value_t = lightloop_cost::decision::DEFAULT_TARGET_SER, value_name = "SER")]
        target_ser: f64,
    },
    /// The optical rig side by side with GPU baselines on the same workload
    Compare {
        #[command(flatten)]
        target: Target,
        /// GPU presets or files to compare against; repeatable [default: h100-sxm, h200-sxm, b200]
        #[arg(long = "gpu", value_name = "GPU")]
        gpus: Vec<String>,
    },
    /// Reproduce each published claim under its own assumptions, beside the physically consistent figure
    Audit {
        /// Rig for the 16-channel token-time rows and the data-centre comparison
        #[arg(long, short, default_value = DEFAULT_RIG)]
        rig: String,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Size a deployment on GPU nodes and optical rigs: devices, power at the wall, cost per
    /// million tokens, or the constraint that no configuration meets
    #[command(long_about = commands::fleet::LONG_ABOUT)]
    Fleet(commands::fleet::FleetArgs),
    /// The GPU serving model: predicted against published measurements (validate), or one
    /// workload on one GPU split (serve)
    #[command(long_about = commands::gpu::LONG_ABOUT)]
    Gpu(commands::gpu::GpuArgs),
    /// List the built-in rigs, workloads and GPUs, or print one as TOML
    Presets {
        #[command(subcommand)]
        action: Option<PresetsAction>,
        /// Print JSON instead of a table
        #[arg(long, global = true)]
        json: bool,
    },
    /// Check description files and report every problem with file, line and key
    Validate {
        /// Rig, workload, GPU or deployment files (the kind is recognised from their sections); - reads standard input
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON record per file (valid or not, with its problems) instead of lines
        #[arg(long)]
        json: bool,
    },
    /// Sweep any rig or workload keys over a grid, streaming one row per point to CSV or JSON Lines
    Sweep(commands::sweep::SweepArgs),
    /// Combine the shards of a run (sweep --shard, simulate --shard) into one result
    #[command(long_about = commands::merge::LONG_ABOUT)]
    Merge(commands::merge::MergeArgs),
    /// Benchmarks: cost-model evaluations per second, sweep memory, physics chain and twin speed
    Bench(commands::bench::BenchArgs),
    /// Time-domain simulation of one channel's reference chain: error rates, eye, energy, trace
    #[command(long_about = commands::simulate::LONG_ABOUT)]
    Simulate(commands::simulate::SimulateArgs),
    /// The lab's test plan in simulation: BER vs power, SNR vs passes, return map, crosstalk,
    /// re-centring, faults, energy — tables plus CSV and JSON files (also: bench-plan)
    #[command(long_about = commands::test_plan::LONG_ABOUT, alias = "bench-plan")]
    TestPlan(commands::test_plan::TestPlanArgs),
    /// The main job: one self-contained HTML report of a rig (plots inline) with the CSV behind
    /// every plot
    #[command(long_about = commands::report::LONG_ABOUT)]
    Report(commands::report::ReportArgs),
    /// Reservoir computing on the simulated optics: one model on one task, the benchmark suite,
    /// the gain sweep
    #[command(long_about = commands::reservoir::LONG_ABOUT)]
    Reservoir(commands::reservoir::ReservoirArgs),
    /// Deep-loop ternary networks trained on the rig's twin: depth sweep, readout sweep
    #[command(long_about = commands::experiment::LONG_ABOUT)]
    Experiment(commands::experiment::ExperimentArgs),
    /// Real pretrained transformers (SmolLM2-135M, MiniLM-L6) with their linear layers on the
    /// rig's optical twin: fetch, evaluate digital versus optical, energy per token
    #[command(long_about = commands::model::LONG_ABOUT)]
    Model(commands::model::ModelArgs),
    /// A local dashboard: sliders for the rig's main knobs, headline figures and plots that update
    #[command(long_about = commands::serve::LONG_ABOUT)]
    Serve(commands::serve::ServeArgs),
}

#[derive(Subcommand)]
enum PresetsAction {
    /// One line per preset
    List,
    /// Print a preset's TOML (redirect it to a file to start your own description)
    Show {
        /// Preset name
        name: String,
    },
}

/// Lets `lightloop … | head` end quietly: Rust ignores SIGPIPE, which turns a closed pipe into a
/// panic inside `println!`; the default disposition ends the process as other Unix tools do.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Runs candle on the calling thread for the commands that train the small loop networks,
/// unless the user chose otherwise (CANDLE_NUM_THREADS for element-wise operations,
/// RAYON_NUM_THREADS, which candle reads for matrix products): at widths ≤ 1024 waking pool
/// workers costs more than the work. Measured on 2 cores, reference loop model (width 256, 64
/// passes, batch 64): 3.0 training steps/s with both pools, 10.5 with element-wise operations
/// on one thread, 17.1 with everything on one thread.
fn single_threaded_candle(command: &Command) {
    let small = matches!(command, Command::Experiment(_))
        || matches!(command, Command::Bench(b) if b.which == commands::bench::BenchKind::Loop);
    if !small {
        return;
    }
    for var in ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"] {
        if std::env::var_os(var).is_none() {
            // SAFETY: called once at start-up, after argument parsing and before any thread
            // exists (no concurrent reader of the environment).
            unsafe { std::env::set_var(var, "1") };
        }
    }
}

/// The thread count the user set with LIGHTLOOP_THREADS, applied before any thread exists: the
/// global thread pool (every parallel loop and faer's products) gets that many workers, and
/// candle's pools (CANDLE_NUM_THREADS, RAYON_NUM_THREADS, which it reads) the same unless set on
/// their own. A command's own `--threads` still wins for that command. Unset: one per core.
fn apply_thread_setting() -> Result<(), String> {
    let Some(v) = std::env::var_os("LIGHTLOOP_THREADS") else {
        return Ok(());
    };
    let text = v.to_string_lossy();
    let n: usize = text
        .trim()
        .parse()
        .ok()
        .filter(|&n| (1..=4096).contains(&n))
        .ok_or_else(|| {
            format!("LIGHTLOOP_THREADS={text:?}: a whole number of threads from 1 to 4096")
        })?;
    for var in ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"] {
        if std::env::var_os(var).is_none() {
            // SAFETY: called once at start-up, after argument parsing and before any thread
            // exists (no concurrent reader of the environment).
            unsafe { std::env::set_var(var, n.to_string()) };
        }
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| format!("LIGHTLOOP_THREADS={n}: {e}"))
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    if let Err(m) = apply_thread_setting() {
        eprintln!("error: {m}");
        return ExitCode::from(2);
    }
    single_threaded_candle(&cli.command);
    let result = match cli.command {
        Command::Energy(t) => commands::energy::run(&t),
        Command::Throughput(t) => commands::throughput::run(&t),
        Command::Noise { target, target_ser } => commands::noise::run(&target, target_ser),
        Command::Compare { target, gpus } => commands::compare::run(&target, &gpus),
        Command::Audit { rig, json } => commands::audit::run(&rig, json),
        Command::Fleet(a) => commands::fleet::run(&a),
        Command::Gpu(a) => commands::gpu::run(&a),
        Command::Presets { action, json } => match action {
            None | Some(PresetsAction::List) => commands::presets::list(json),
            Some(PresetsAction::Show { name }) => commands::presets::show(&name, json),
        },
        Command::Validate { files, json } => commands::validate::run(&files, json),
        Command::Sweep(a) => commands::sweep::run(&a),
        Command::Merge(a) => commands::merge::run(&a),
        Command::Bench(a) => commands::bench::run(&a),
        Command::Simulate(a) => commands::simulate::run(&a),
        Command::TestPlan(a) => commands::test_plan::run(&a),
        Command::Report(a) => commands::report::run(&a),
        Command::Reservoir(a) => commands::reservoir::run(&a),
        Command::Experiment(a) => commands::experiment::run(&a),
        Command::Model(a) => commands::model::run(&a),
        Command::Serve(a) => commands::serve::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(load::CliError::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(load::CliError::BadInput(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(load::CliError::Message(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

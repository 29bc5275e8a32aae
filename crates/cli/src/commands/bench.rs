//! `lightloop bench`: speed and memory benchmarks, each printed as a ratio against a baseline
//! measured in the same run.

use crate::load::{CliError, CliResult};
use crate::table::{Align, Table, num, si};
use clap::{Args, ValueEnum};
use lightloop_rig::{DescKind, Document, Rig, load_rig, load_workload};
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchKind {
    /// Cost-model evaluations per second on one core
    Cost,
    /// Peak memory of a sweep at 1× and 100× the grid size
    Sweep,
    /// Time-domain reference chain: channel-samples per second on one core
    Physics,
    /// The twin's noisy ternary VMM against a plain f32 GEMM of the same library
    Twin,
    /// Report generation time, quick and full, against one cost-model evaluation of the rig
    Report,
    /// The dashboard's server-side time per slider change (target < 100 ms)
    Serve,
    /// An echo-state network run (states + ridge fit) against ReservoirPy: run
    /// peers/reservoirpy/run.sh, which times ReservoirPy 0.4.2 and passes its time here
    Esn,
    /// Training steps per second of the reference loop model (candle) against PyTorch: run
    /// peers/pytorch/run.sh, which times the same model in PyTorch and passes its rate here
    Loop,
    /// Simulated tokens per second of SmolLM2 with its linear layers on the twin, against plain
    /// digital candle inference of the same model (needs `lightloop model fetch smollm2`)
    Model,
    /// Fleet sizing: GPU serving evaluations per second on one core, and the full search of
    /// the 1 T-parameter MoE deployment on four GPU types and a rig
    Fleet,
    /// Rare-event error rate: importance sampling of a 10⁻¹² symbol-error rate to ±20 % on the
    /// seed rig (target < 60 s), against the brute-force count it replaces
    Rare,
    /// All of them (except esn, loop and model, which need baselines or downloads)
    All,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Which benchmark to run
    #[arg(value_enum, default_value = "all")]
    pub which: BenchKind,
    /// Seconds of measurement per cost-model case
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Grid points of the small sweep (the large one has 100 times as many)
    #[arg(long, default_value_t = 2000)]
    pub points: u64,
    /// esn: reservoir nodes
    #[arg(long, default_value_t = 500)]
    pub nodes: usize,
    /// esn: input steps (ridge fit on all after a 200-step washout)
    #[arg(long, default_value_t = 100_000)]
    pub steps: usize,
    /// esn: the baseline's time for the same run, seconds (peers/reservoirpy/run.sh measures it)
    #[arg(long)]
    pub baseline_seconds: Option<f64>,
    /// esn: repeat the run idle and beside one competing busy process, with 1 and 2 threads,
    /// and report the spread and the contention criteria
    #[arg(long)]
    pub contention: bool,
    /// esn --contention: repeats of each case
    #[arg(long, default_value_t = 30)]
    pub repeats: usize,
    /// esn / loop: the baseline's name [default: ReservoirPy 0.4.2 / PyTorch (CPU)]
    #[arg(long)]
    pub baseline_name: Option<String>,
    /// loop: width d of the loop state
    #[arg(long, default_value_t = 256)]
    pub width: usize,
    /// loop: passes T
    #[arg(long, default_value_t = 64)]
    pub passes: usize,
    /// loop: batch size
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// loop: the baseline's training steps per second (peers/pytorch/run.sh measures it)
    #[arg(long)]
    pub baseline_steps_per_second: Option<f64>,
    /// model: tokens per window (each window is one forward pass from position 0)
    #[arg(long, default_value_t = 128)]
    pub window: usize,
    /// loop: write the default rig's tabulated activation (a, phi, slope) to this CSV and stop
    #[arg(long, value_name = "FILE")]
    pub export_phi: Option<std::path::PathBuf>,
}

/// One line naming the machine a benchmark ran on, so that ratios from different runs can be
/// told apart: the processor's name, its hardware threads, its first-level data cache and the
/// vector extensions the hot loops use. Ratios against a baseline measured in the same run
/// still move between machines (the baseline's code and ours gain differently from a newer
/// core).
fn machine() -> String {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let name = read("/proc/cpuinfo")
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut parts = vec![name, format!("{threads} hardware threads")];
    let cache = "/sys/devices/system/cpu/cpu0/cache/index0";
    if read(&format!("{cache}/type")).is_some_and(|t| t.trim() == "Data")
        && let Some(size) = read(&format!("{cache}/size"))
    {
        parts.push(format!("L1d {} per core", size.trim()));
    }
    #[cfg(target_arch = "x86_64")]
    {
        let isa: Vec<&str> = [
            ("AVX2", std::arch::is_x86_feature_detected!("avx2")),
            ("FMA", std::arch::is_x86_feature_detected!("fma")),
            ("AVX-512F", std::arch::is_x86_feature_detected!("avx512f")),
            ("AVX-512BW", std::arch::is_x86_feature_detected!("avx512bw")),
            (
                "AVX-512 VNNI",
                std::arch::is_x86_feature_detected!("avx512vnni"),
            ),
        ]
        .into_iter()
        .filter_map(|(n, has)| has.then_some(n))
        .collect();
        if !isa.is_empty() {
            parts.push(isa.join(" "));
        }
    }
    format!("machine: {}", parts.join(", "))
}

/// Target of the cost-model benchmark: evaluations per second per core.
pub const COST_TARGET: f64 = 1e6;

/// Rounds per measurement; the median round is reported (the machine's timing noise is large
/// compared with one round's length).
const ROUNDS: usize = 7;

/// Calls per second of `f`: the median of [`ROUNDS`] rounds sharing `seconds`.
fn rate(seconds: f64, mut f: impl FnMut()) -> f64 {
    let mut rates: Vec<f64> = (0..ROUNDS)
        .map(|_| one_round(seconds / ROUNDS as f64, &mut f))
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[ROUNDS / 2]
}

/// Runs `f` repeatedly for about `seconds`, returning calls per second.
fn one_round(seconds: f64, mut f: impl FnMut()) -> f64 {
    // Warm up.
    for _ in 0..100 {
        f();
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    let mut batch = 64u64;
    while start.elapsed() < budget {
        for _ in 0..batch {
            f();
        }
        n += batch;
        batch = (batch * 2).min(1 << 16);
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The targets this run checked: each benchmark's name and whether it met its target.
static CHECKED: std::sync::Mutex<Vec<(String, bool)>> = std::sync::Mutex::new(Vec::new());

/// Records whether `name` met its target (`score` ≥ 1, the measured figure over its target in
/// the direction where more is better) and says so in words for its line.
pub(super) fn target(name: &str, score: f64) -> &'static str {
    let met = score >= 1.0;
    if let Ok(mut c) = CHECKED.lock() {
        c.push((name.to_string(), met));
    }
    if met {
        "meets the target"
    } else {
        "MISSES the target"
    }
}

/// The closing line: how many of the checked targets were met, naming the misses.
fn targets_summary() -> Option<String> {
    let c = CHECKED.lock().ok()?;
    if c.is_empty() {
        return None;
    }
    let missed: Vec<&str> = c.iter().filter(|x| !x.1).map(|x| x.0.as_str()).collect();
    Some(if missed.is_empty() {
        format!("Targets: all {} met.", c.len())
    } else {
        format!(
            "Targets: {} of {} met; missed: {}.",
            c.len() - missed.len(),
            c.len(),
            missed.join(", ")
        )
    })
}

/// Fleet targets: one configuration evaluated at ≥ 10⁴ per second per core; the 1 T MoE's full
/// search within 10 s.
const FLEET_EVAL_TARGET: f64 = 1e4;
const FLEET_SEARCH_TARGET: f64 = 10.0;

fn fleet(seconds: f64) -> CliResult<()> {
    println!(
        "Fleet sizing, one thread (targets: ≥ {} GPU configurations per second per core; the 1 T MoE search within {FLEET_SEARCH_TARGET} s)",
        num(FLEET_EVAL_TARGET)
    );
    let d = lightloop_rig::load_deployment("chat-moe-1t", &[])?.value;
    let model = lightloop_fleet::served_model(&d)?;
    let gpu = lightloop_rig::load_gpu("h100-sxm", &[])?.value;
    let stack = lightloop_gpu::ServingStack::for_gpu(&gpu);
    let split = lightloop_gpu::Split::new(4, 1, 64);
    let per_s = rate(seconds, || {
        let s = lightloop_gpu::serving::serve_batch(
            black_box(&gpu),
            &stack,
            black_box(&model),
            split,
            512.0,
        );
        black_box(&s);
    });
    // Baseline in the same run: one cost-model evaluation of the seed rig on the same model.
    let rig = load_rig("seed-16ch", &[])?.value;
    let rig_rate = rate(seconds, || {
        let e = lightloop_cost::evaluate(black_box(&rig), black_box(&model));
        black_box(&e);
    });
    let hw = lightloop_fleet::Hardware::of(&d)?;
    let mut times = Vec::new();
    let mut evaluated = 0;
    for _ in 0..ROUNDS {
        let t = std::time::Instant::now();
        let a = lightloop_fleet::size(black_box(&d), &model, &hw);
        times.push(t.elapsed().as_secs_f64());
        evaluated = a.options.iter().map(|o| o.evaluated).sum();
        black_box(&a);
    }
    times.sort_by(f64::total_cmp);
    let search = times[times.len() / 2];
    let mut t = Table::new(
        &["measure", "value", "target", ""],
        &[Align::Left, Align::Right, Align::Right, Align::Left],
    );
    t.row(vec![
        "GPU configurations per second (1 T MoE, TP4·EP64, batch 512)".into(),
        num(per_s),
        format!("≥ {}", num(FLEET_EVAL_TARGET)),
        target("fleet evaluations", per_s / FLEET_EVAL_TARGET).into(),
    ]);
    t.row(vec![
        format!("full search of chat-moe-1t ({evaluated} configurations, 4 GPUs and a rig; median of {ROUNDS})"),
        si(search, "s"),
        format!("≤ {FLEET_SEARCH_TARGET} s"),
        target("fleet search", FLEET_SEARCH_TARGET / search).into(),
    ]);
    println!("{}", t.render());
    println!(
        "  ratio to the targets: evaluations {:.0}×, search {:.0}× faster than the bound",
        per_s / FLEET_EVAL_TARGET,
        FLEET_SEARCH_TARGET / search
    );
    println!(
        "  baseline, one cost-model evaluation of seed-16ch on the same model: {} per second ({:.2}× the GPU configuration's rate)",
        num(rig_rate),
        rig_rate / per_s
    );
    Ok(())
}

fn cost(seconds: f64) -> CliResult<()> {
    println!(
        "Cost-model evaluations, one thread (target ≥ {} per second per core; median of {ROUNDS} rounds)",
        num(COST_TARGET)
    );
    let cases = [
        ("seed-16ch", "deep-loop-2048"),
        ("seed-16ch", "llama-3-8b"),
        ("tier-c-1024", "moe-8k-a37b"),
        ("wdm-bw-64", "gpt2-small"),
        ("tier-a-1024", "minilm-l6"),
    ];
    let mut t = Table::new(
        &["rig × workload", "evaluations/s", "time each"],
        &[Align::Left, Align::Right, Align::Right],
    );
    let mut rates = Vec::new();
    for (r, w) in cases {
        let rig = load_rig(r, &[])?.value;
        let wl = load_workload(w, &[])?.value;
        let per_s = rate(seconds, || {
            let e = lightloop_cost::evaluate(black_box(&rig), black_box(&wl));
            // Observe the result in place: moving it would add copies that are not the model's.
            black_box(&e);
        });
        t.row(vec![format!("{r} × {w}"), num(per_s), si(1.0 / per_s, "s")]);
        rates.push(per_s);
    }
    let harmonic = rates.len() as f64 / rates.iter().map(|r| 1.0 / r).sum::<f64>();
    t.rule();
    t.row(vec![
        "mean (harmonic)".into(),
        num(harmonic),
        si(1.0 / harmonic, "s"),
    ]);
    println!("{}", t.render());
    // Baseline measured in the same run: reading and validating the same rig description.
    let text = lightloop_rig::presets::text(DescKind::Rig, "seed-16ch").expect("built-in preset");
    let loads = rate(seconds, || {
        let r = Document::from_text(DescKind::Rig, "seed-16ch", black_box(text), None)
            .and_then(|d| d.parse::<Rig>());
        black_box(&r);
    });
    println!();
    println!(
        "  ratio to the target (≥ 1 passes):                        {:.2}: {}",
        harmonic / COST_TARGET,
        target("cost model", harmonic / COST_TARGET)
    );
    println!(
        "  baseline, reading + validating the rig file:             {} per second",
        num(loads)
    );
    println!(
        "  ratio of evaluations to description reads (same run):   {:.1}×",
        harmonic / loads
    );
    Ok(())
}

fn sweep_child(points: u64, dir: &std::path::Path, tag: &str) -> CliResult<(u64, f64, u64)> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Message(format!("cannot find the lightloop binary: {e}")))?;
    let out = dir.join(format!("sweep-{tag}.csv"));
    let batches = (points / 20).max(1);
    let start = Instant::now();
    let o = Command::new(exe)
        .args([
            "sweep",
            "--rig",
            "seed-16ch",
            "--workload",
            "deep-loop-2048",
            "--vary",
            "laser.power=log:1 mW..100 mW:20",
            "--vary",
            &format!("run.batch=lin:1..{batches}:{batches}"),
            "--out",
        ])
        .arg(&out)
        .args(["--quiet", "--force", "--report-peak-rss"])
        .output()
        .map_err(|e| CliError::Message(format!("cannot run the sweep: {e}")))?;
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        return Err(CliError::Message(format!(
            "the benchmark sweep failed: {stderr}"
        )));
    }
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| CliError::Message("the sweep did not report its memory".into()))?;
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&out);
    Ok((rss, (20 * batches) as f64 / secs, size))
}

fn sweep(points: u64) -> CliResult<()> {
    println!("Sweep memory as the grid grows 100× (seed-16ch × deep-loop-2048, all cores)");
    let dir = std::env::temp_dir().join(format!("lightloop-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Message(format!("{}: {e}", dir.display())))?;
    let small = sweep_child(points, &dir, "small")?;
    let large = sweep_child(points * 100, &dir, "large")?;
    let _ = std::fs::remove_dir_all(&dir);
    let mut t = Table::new(
        &["grid", "points", "output", "peak memory", "points/s"],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    let pts = |n: u64| 20 * (n / 20).max(1);
    t.row(vec![
        "1× (baseline)".into(),
        num(pts(points) as f64),
        si(small.2 as f64, "B"),
        si(small.0 as f64 * 1024.0, "B"),
        num(small.1),
    ]);
    t.row(vec![
        "100×".into(),
        num(pts(points * 100) as f64),
        si(large.2 as f64, "B"),
        si(large.0 as f64 * 1024.0, "B"),
        num(large.1),
    ]);
    println!("{}", t.render());
    println!();
    println!(
        "  peak memory ratio 100× ÷ 1× (flat ≈ 1): {:.2}   (output grew {:.0}×)",
        large.0 as f64 / small.0 as f64,
        large.2 as f64 / small.2.max(1) as f64
    );
    Ok(())
}

/// Target of the physics benchmark: channel-samples per second per core.
pub const CHAIN_TARGET: f64 = 50e6;
/// Target of the twin benchmark: its noisy VMM at least as fast as a plain f32 GEMM.
pub const TWIN_TARGET: f64 = 1.0;

fn physics(seconds: f64) -> CliResult<()> {
    let rig = load_rig("seed-16ch", &[])?.value;
    println!(
        "Time-domain reference chain (seed-16ch: laser → modulator → SOA → absorber → photodiode/TIA → comparator, all noise on), one thread"
    );
    let mut rates: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            lightloop_physics::speed::chain_samples_per_second(&rig, seconds / ROUNDS as f64, 1024)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let r = rates[ROUNDS / 2];
    println!(
        "  channel-samples per second (median of {ROUNDS}):  {}",
        num(r)
    );
    println!(
        "  ratio to the {} target:                 {:.2}: {}",
        num(CHAIN_TARGET),
        r / CHAIN_TARGET,
        target("physics chain", r / CHAIN_TARGET)
    );
    // Where the time goes: one more run, timed part by part.
    let parts = lightloop_physics::speed::chain_part_times(&rig, seconds / ROUNDS as f64, 1024);
    let total: f64 = parts.iter().map(|p| p.1).sum();
    let mut table = Table::new(
        &["part", "ns per channel-sample", "share"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for (part, ns) in &parts {
        table.row(vec![
            part.to_string(),
            format!("{ns:.1}"),
            format!("{:.0} %", 100.0 * ns / total),
        ]);
    }
    println!(
        "\n  where the time goes (one more run, each part timed; the target is {:.0} ns per sample):",
        1e9 / CHAIN_TARGET
    );
    for line in table.render().lines() {
        println!("  {line}");
    }
    Ok(())
}

/// Target of the rare-event benchmark: a 10⁻¹² symbol-error rate to ±20 % (95 %) in this many
/// seconds.
pub const RARE_TARGET_S: f64 = 60.0;

/// The rare-event benchmark: finds the received power at which the seed rig's symbol-error
/// rate is near 10⁻¹² (bisection in dBm on the logarithm of short importance-sampled
/// estimates), times an importance-sampled estimate there to a 95 % interval of ±20 % (the
/// symbols doubled until it is reached), and sets beside it the brute-force count's time for
/// the same interval: its symbols per second measured on the same chain in this run, times the
/// symbols it would need, p(1 − p)·(1.96/(0.2·p))².
fn rare() -> CliResult<()> {
    use lightloop_physics::chain::{ReferenceChain, SimSettings};
    use lightloop_physics::instruments::rare::{self, Estimator, RareSettings};
    let rig = load_rig("seed-16ch", &[])?.value;
    let sim = SimSettings::default();
    println!(
        "Rare-event error rate (seed-16ch, all noise on): importance sampling of a symbol-error rate near 10⁻¹² to ±20 % (95 %), one thread, against the brute-force count it replaces"
    );
    let dbm = |p: f64| 1e-3 * 10f64.powf(p / 10.0);
    let failed = |e: rare::RareError| CliError::Message(format!("rare-event benchmark: {e}"));
    let quick = RareSettings {
        estimator: Estimator::Importance,
        symbols: 20_000,
        pilot: 500,
        ..RareSettings::default()
    };
    let search = Instant::now();
    let (mut lo, mut hi) = (-25.0f64, -15.0f64);
    for _ in 0..12 {
        let mid = (lo + hi) / 2.0;
        let ser = rare::estimate(&rig, &sim, dbm(mid), &quick, 0)
            .map_err(failed)?
            .symbol_error_rate
            .rate;
        if ser > 1e-12 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let power_dbm = (lo + hi) / 2.0;
    let search = search.elapsed().as_secs_f64();
    println!(
        "  received power where SER ≈ 10⁻¹² (12 bisection steps, {}):  {power_dbm:.2} dBm ({})",
        si(search, "s"),
        si(dbm(power_dbm), "W")
    );
    let start = Instant::now();
    let mut symbols = 20_000;
    let estimate = loop {
        let settings = RareSettings {
            symbols,
            ..RareSettings::default()
        };
        let e = rare::estimate(&rig, &sim, dbm(power_dbm), &settings, 1).map_err(failed)?;
        if e.symbol_error_rate.relative_half_width <= 0.2 || symbols >= 1 << 26 {
            break e;
        }
        symbols *= 2;
    };
    let seconds = start.elapsed().as_secs_f64();
    let f = estimate.symbol_error_rate;
    println!(
        "  importance sampling:  SER {f} (±{:.1} %) from {} symbols + {} pilot, {}",
        100.0 * f.relative_half_width,
        num(estimate.symbols as f64),
        num(estimate.preparation_symbols as f64),
        si(seconds, "s")
    );
    // Brute force's rate on the same chain, calibrated the same way.
    let mut chain = ReferenceChain::from_rig(&rig, &sim, 0, 2);
    chain.set_received_power(dbm(power_dbm));
    chain.calibrate(500);
    let mut rng = lightloop_physics::rng::stream(sim.seed, "bench.symbols", 0, 2);
    let counted = 1usize << 20;
    let start = Instant::now();
    lightloop_physics::instruments::ber::count_symbols(
        &mut chain,
        &mut rng,
        counted,
        8192,
        |_, _, _, _| Ok::<(), std::convert::Infallible>(()),
    )
    .unwrap_or_else(|e| match e {});
    let per_second = counted as f64 / start.elapsed().as_secs_f64();
    let p = f.rate;
    let needed = p * (1.0 - p) * (lightloop_base::stats::Z95 / (0.2 * p)).powi(2);
    let brute = needed / per_second;
    println!(
        "  brute force:          {} symbols per second (measured, {} symbols); ±20 % at this rate needs {} symbols: {} ({:.0} days)",
        num(per_second),
        num(counted as f64),
        num(needed),
        si(brute, "s"),
        brute / 86_400.0
    );
    println!(
        "  ratio brute force ÷ importance sampling: {}",
        num(brute / seconds)
    );
    println!(
        "  ratio to the {RARE_TARGET_S} s target (target ÷ time): {:.1}: {}",
        RARE_TARGET_S / seconds,
        target("rare-event estimate", RARE_TARGET_S / seconds)
    );
    Ok(())
}

fn twin() -> CliResult<()> {
    let rig = load_rig("tier-a-1024", &[])?.value;
    println!(
        "Twin: noisy ternary VMM 1024×1024, batch 64, against a plain f32 GEMM (faer) of the same shape, one thread"
    );
    let (gemm, twin) = lightloop_twin::speed::vmm_against_gemm(&rig, 1024, 64, 15);
    println!("  plain GEMM W·X (baseline):  {}", si(gemm, "s"));
    println!("  twin VMM:                   {}", si(twin, "s"));
    println!(
        "  twin kernel:                {} (exact integer sums), then one Gaussian draw per output",
        lightloop_twin::ternary_gemm::kernel_name(64)
    );
    println!(
        "  ratio GEMM ÷ twin (target ≥ {TWIN_TARGET}): {:.2}: {}",
        gemm / twin,
        target("twin VMM", gemm / twin / TWIN_TARGET)
    );
    Ok(())
}

pub fn run(a: &BenchArgs) -> CliResult<()> {
    if !(a.seconds.is_finite() && a.seconds > 0.0) {
        return Err(CliError::BadInput(format!(
            "--seconds must be a positive number of seconds, not {}",
            a.seconds
        )));
    }
    println!("{}\n", machine());
    if matches!(a.which, BenchKind::Physics | BenchKind::All) {
        physics(a.seconds)?;
        println!();
    }
    if matches!(a.which, BenchKind::Rare | BenchKind::All) {
        rare()?;
        println!();
    }
    if matches!(a.which, BenchKind::Twin | BenchKind::All) {
        twin()?;
        println!();
    }
    if matches!(a.which, BenchKind::Cost | BenchKind::All) {
        cost(a.seconds)?;
        println!();
    }
    if matches!(a.which, BenchKind::Fleet | BenchKind::All) {
        fleet(a.seconds)?;
        println!();
    }
    if matches!(a.which, BenchKind::Sweep | BenchKind::All) {
        sweep(a.points)?;
        println!();
    }
    if matches!(a.which, BenchKind::Report | BenchKind::All) {
        report()?;
        println!();
    }
    if matches!(a.which, BenchKind::Serve | BenchKind::All) {
        serve()?;
    }
    if a.which == BenchKind::Esn {
        esn(a)?;
    }
    if a.which == BenchKind::Loop {
        loop_training(a)?;
    }
    if a.which == BenchKind::Model {
        super::model::bench(a.window)?;
    }
    // A missed target is a finding, not a failure: the exit status stays 0.
    if let Some(line) = targets_summary() {
        println!("\n{line}");
    }
    Ok(())
}

/// Target of the loop-training benchmark: training steps per second relative to PyTorch.
pub const LOOP_TARGET: f64 = 1.0;

/// Training steps per second of the reference loop model (width d, T tied ternary passes with
/// the rig's absorber/SOA activation, batch B, AdamW) on random inputs; the same model as
/// peers/pytorch/loop_bench.py (`lightloop_lab::experiment::loop_training`).
fn loop_training(a: &BenchArgs) -> CliResult<()> {
    use lightloop_lab::experiment::loop_training::{Config, activation, run};
    use lightloop_rig::presets::DEFAULT_RIG;
    let lab_error = super::experiment::lab_error;
    let rig = load_rig(DEFAULT_RIG, &[])?.value;
    if let Some(path) = &a.export_phi {
        let mut w = csv::Writer::from_path(path)
            .map_err(|e| CliError::Message(format!("{}: {e}", path.display())))?;
        w.write_record(["a", "phi", "slope"])
            .map_err(|e| CliError::Message(e.to_string()))?;
        for (x, p, s) in activation(&rig) {
            w.write_record([x.to_string(), p.to_string(), s.to_string()])
                .map_err(|e| CliError::Message(e.to_string()))?;
        }
        w.flush().map_err(|e| CliError::Message(e.to_string()))?;
        println!(
            "wrote {} (the activation of rig {})",
            path.display(),
            rig.rig.name
        );
        return Ok(());
    }
    let config = Config {
        width: a.width,
        passes: a.passes,
        batch: a.batch,
        ..Config::default()
    };
    config.validate().map_err(lab_error)?;
    let o = run(&config, &rig, &mut lightloop_lab::progress::quiet).map_err(lab_error)?;
    println!(
        "loop-model training: width {}, {} passes, batch {}, AdamW, candle 0.11 on the CPU (matrix products on {} thread(s), element-wise operations on {})",
        a.width,
        a.passes,
        a.batch,
        o.matmul_threads,
        std::env::var("CANDLE_NUM_THREADS").unwrap_or_else(|_| "all".into())
    );
    println!(
        "  lightloop: {:.2} steps/s over {} steps (final loss {:.3})",
        o.steps_per_second, o.steps, o.final_loss
    );
    match a.baseline_steps_per_second {
        Some(b) if b.is_finite() && b > 0.0 => println!(
            "  {}: {b:.2} steps/s  →  ratio {:.2} (lightloop ÷ baseline; target ≥ {LOOP_TARGET}): {}",
            a.baseline_name.as_deref().unwrap_or("PyTorch (CPU)"),
            o.steps_per_second / b,
            target("loop training", o.steps_per_second / b / LOOP_TARGET)
        ),
        Some(b) => {
            return Err(CliError::BadInput(format!(
                "--baseline-steps-per-second must be a positive number, not {b}"
            )));
        }
        None => println!(
            "  no baseline given: peers/pytorch/run.sh measures the same model in PyTorch and passes --baseline-steps-per-second"
        ),
    }
    Ok(())
}

/// Target of the echo-state benchmark: times faster than ReservoirPy on the same run.
pub const ESN_TARGET: f64 = 5.0;

/// One echo-state run on NARMA10 (N nodes, density 0.1, ρ 0.95, input scaling 0.1, bias 0.3,
/// tanh, ridge λ = 1e-8 with a constant feature, 200-step washout), the sizes ReservoirPy's run
/// uses; the weights are built before the clock starts, as on the other side. The run is
/// lightloop's f32 route (`lightloop_nn::esn::fit_run`: states in f32, Gram in f64 overlapped
/// with the states); the NRMSE check recomputes the same states untimed.
fn esn(a: &BenchArgs) -> CliResult<()> {
    use lightloop_base::rng::stream;
    use lightloop_nn::esn::{Esn, EsnSettings, fit_run};
    if a.nodes == 0 || a.nodes > Esn::MAX_NODES || a.steps <= 2_200 {
        return Err(CliError::BadInput(format!(
            "esn bench: --nodes must be 1 … {} and --steps > 2200",
            Esn::MAX_NODES
        )));
    }
    if let Some(b) = a.baseline_seconds
        && !(b.is_finite() && b > 0.0)
    {
        return Err(CliError::BadInput(format!(
            "--baseline-seconds must be a positive number, not {b}"
        )));
    }
    let data = lightloop_nn::tasks::narma10(a.steps, &mut stream(1, "bench.esn", 0, 0));
    let settings = EsnSettings {
        nodes: a.nodes,
        spectral_radius: 0.95,
        input_scaling: 0.1,
        bias_scaling: 0.3,
        density: 0.1,
    };
    // One timed run: seconds and the readout.
    let once = || {
        let mut esn = Esn::new(&settings, 1, 1);
        esn.prepare_f32();
        let start = Instant::now();
        let readout = fit_run(&mut esn, &data.input, &data.target, 200, 1e-8);
        (start.elapsed().as_secs_f64(), readout)
    };
    if a.contention {
        if a.repeats == 0 {
            return Err(CliError::BadInput("--repeats must be at least 1".into()));
        }
        return esn_contention(a, &once);
    }
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let (seconds, readout) = once();
        times.push(seconds);
        last = readout;
    }
    times.sort_by(f64::total_cmp);
    let threads = rayon::current_num_threads();
    let process = process_threads();
    let readout = last.ok_or_else(|| CliError::Message("the ridge fit failed".into()))?;
    // Check: training NRMSE over the last 2 000 steps, states recomputed from rest (untimed).
    let states = Esn::new(&settings, 1, 1).run_f32(&data.input);
    let (mut pred, mut truth) = (Vec::new(), Vec::new());
    for (x, y) in states.iter().zip(&data.target).skip(a.steps - 2_000) {
        let f: Vec<f64> = x.iter().map(|v| f64::from(*v)).chain([1.0]).collect();
        pred.push(readout.apply(&f)[0]);
        truth.push(*y);
    }
    let nrmse = lightloop_nn::tasks::nmse(&truth, &pred).1;
    println!(
        "echo-state run: N = {}, {} steps, density 0.1, tanh, ridge fit included ({threads} threads)",
        a.nodes, a.steps,
    );
    if let Some(p) = process {
        println!(
            "  process threads: {p} (the pool's {threads} worker(s) and the main thread, which waits)"
        );
    }
    println!(
        "  lightloop: {:.3} s (fastest of 3; slowest {:.3} s), training NRMSE over the last 2000 steps {nrmse:.3}",
        times[0], times[2]
    );
    match a.baseline_seconds {
        Some(b) => println!(
            "  {}: {b:.3} s  →  ratio {:.2} (baseline time ÷ lightloop time; target ≥ {ESN_TARGET}): {}",
            a.baseline_name.as_deref().unwrap_or("ReservoirPy 0.4.2"),
            b / times[0],
            target("echo-state network", b / times[0] / ESN_TARGET)
        ),
        None => println!(
            "  no baseline given: peers/reservoirpy/run.sh measures ReservoirPy 0.4.2 on the same run and passes --baseline-seconds"
        ),
    }
    Ok(())
}

/// Targets of `bench esn --contention`: with one competing busy process, a
/// one-thread run within this factor of its idle time …
pub const ESN_BUSY_SLOWDOWN_TARGET: f64 = 1.2;
/// … and no repeat beyond this factor of its case's median.
pub const ESN_SPREAD_TARGET: f64 = 2.0;

/// The threads of this process now ("Threads:" of /proc/self/status; `None` where there is
/// none).
fn process_threads() -> Option<usize> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))?
        .trim()
        .parse()
        .ok()
}

/// The machine's one-minute load average (/proc/loadavg; `None` where there is none).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A competing busy process (`sh -c 'while :; do :; done'`), killed and reaped when dropped,
/// so also when the measurement fails or panics.
struct BusyChild(std::process::Child);

impl BusyChild {
    fn start() -> CliResult<Self> {
        use std::process::Stdio;
        let child = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| CliError::Message(format!("cannot start a busy process (sh): {e}")))?;
        let busy = Self(child);
        // Let it take its core before the clock starts.
        std::thread::sleep(Duration::from_millis(50));
        Ok(busy)
    }
}

impl Drop for BusyChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `bench esn --contention`: the run repeated `--repeats` times in each of four cases, 1 and 2
/// threads (a rayon pool of its own built for each run), idle and beside one busy child process.
/// The cases alternate, one of each per round, so that a slow stretch of the machine falls on
/// all of them; the busy child is started before each busy run and killed after it. Prints
/// each case's median, min, max and max ÷ median, whether the readouts agree bit for bit, and
/// the three contention criteria, each as a ratio against its target.
fn esn_contention(
    a: &BenchArgs,
    once: &(dyn Fn() -> (f64, Option<lightloop_nn::ridge::Readout>) + Sync),
) -> CliResult<()> {
    let cases = [(1, false), (1, true), (2, false), (2, true)];
    let load_before = load_average();
    let mut times = vec![Vec::new(); cases.len()];
    let mut threads = vec![0; cases.len()];
    let mut readouts = Vec::new();
    println!(
        "echo-state run under contention: N = {}, {} steps, {} repeats of each case, one of each per round; busy = one competing child `sh -c 'while :; do :; done'`",
        a.nodes, a.steps, a.repeats
    );
    for _ in 0..a.repeats {
        for (i, &(n, busy)) in cases.iter().enumerate() {
            // A pool of its own for each run, so that the process holds no other workers
            // (the last run's have exited by the time the count is read, after the run).
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| CliError::Message(format!("a pool of {n} threads: {e}")))?;
            let _busy = if busy {
                Some(BusyChild::start()?)
            } else {
                None
            };
            let (seconds, readout, p) = pool.install(|| {
                let (seconds, readout) = once();
                (seconds, readout, process_threads().unwrap_or(0))
            });
            times[i].push(seconds);
            threads[i] = threads[i].max(p);
            readouts.push(readout.ok_or_else(|| CliError::Message("the ridge fit failed".into()))?);
        }
    }
    let mut t = Table::new(
        &[
            "case",
            "median",
            "min",
            "max",
            "max ÷ median",
            "process threads",
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
    );
    let mut medians = Vec::new();
    let mut spreads = Vec::new();
    for (i, &(n, busy)) in cases.iter().enumerate() {
        let (median, min, max) = lightloop_base::stats::median_min_max(times[i].clone());
        medians.push(median);
        spreads.push(max / median);
        t.row(vec![
            format!(
                "{n} thread{}, {}",
                if n == 1 { "" } else { "s" },
                if busy { "busy" } else { "idle" }
            ),
            format!("{median:.3} s"),
            format!("{min:.3} s"),
            format!("{max:.3} s"),
            format!("{:.2}", max / median),
            threads[i].to_string(),
        ]);
    }
    println!("{}", t.render().trim_end());
    println!(
        "  process threads (the most seen after a run): the run's pool, the main thread (waiting) and, if LIGHTLOOP_THREADS is set, the global pool (idle)"
    );
    if let (Some(b), Some(e)) = (load_before, load_average()) {
        println!(
            "  load average (1 min) before: {b:.2}, after: {e:.2} (this run adds 1 to 3 of it; the criteria assume no other load)"
        );
    }
    let same = readouts.windows(2).all(|w| w[0].weights == w[1].weights);
    println!(
        "  readouts: {}",
        if same {
            "the same, bit for bit, in every run"
        } else {
            "DIFFER between runs"
        }
    );
    let slowdown = medians[1] / medians[0];
    println!(
        "  1 thread, busy ÷ idle (medians): {slowdown:.2} (target ≤ {ESN_BUSY_SLOWDOWN_TARGET}): {}",
        target(
            "esn one thread under contention",
            ESN_BUSY_SLOWDOWN_TARGET / slowdown
        )
    );
    let gain = medians[3] / medians[1];
    println!(
        "  busy: 2 threads ÷ 1 thread (medians): {gain:.2} (target ≤ 1): {}",
        target("esn two threads under contention", 1.0 / gain)
    );
    let spread = spreads[1].max(spreads[3]);
    println!(
        "  busy: slowest repeat ÷ its case's median: {spread:.2} (target ≤ {ESN_SPREAD_TARGET}): {}",
        target("esn spread under contention", ESN_SPREAD_TARGET / spread)
    );
    Ok(())
}

/// Target of the dashboard benchmark: server-side time per slider change, s.
pub const SERVE_TARGET: f64 = 0.1;

/// The dashboard's answer to a slider change (parse, evaluate, sweep, draw, serialise), timed
/// over a walk of every knob; the baseline is one cost-model evaluation.
fn serve() -> CliResult<()> {
    use super::serve::{load_base, update};
    use lightloop_rig::presets::{DEFAULT_RIG, DEFAULT_WORKLOAD};
    let base = load_base(DEFAULT_RIG, DEFAULT_WORKLOAD)?;
    let queries: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "channels={}&loop_passes={}&adc_bits={}&eo_pj={}",
                [8, 16, 32, 64][i % 4],
                [4, 12, 64][i % 3],
                4 + i % 8,
                [0.1, 1.0, 25.0][i % 3]
            )
        })
        .collect();
    let mut times: Vec<f64> = queries
        .iter()
        .map(|q| {
            let start = Instant::now();
            let u = update(&base, q).map_err(|e| CliError::Message(e.to_string()));
            let json = u.map(|u| serde_json::to_string(&u).unwrap_or_default());
            black_box(json).map(|_| start.elapsed().as_secs_f64())
        })
        .collect::<CliResult<_>>()?;
    times.sort_by(f64::total_cmp);
    let (median, worst) = (times[times.len() / 2], times[times.len() - 1]);
    let rig = load_rig(DEFAULT_RIG, &[])?.value;
    let wl = load_workload(DEFAULT_WORKLOAD, &[])?.value;
    let eval = 1.0
        / rate(0.5, || {
            black_box(lightloop_cost::evaluate(&rig, &wl).ok());
        });
    println!(
        "Dashboard: server-side time per slider change ({DEFAULT_RIG}, {} changes)",
        times.len()
    );
    println!("  one cost-model evaluation (baseline): {}", si(eval, "s"));
    println!(
        "  median update:                        {}  ({} evaluations)",
        si(median, "s"),
        num(median / eval)
    );
    println!("  slowest update:                       {}", si(worst, "s"));
    println!(
        "  ratio target ÷ median (target {} ⇒ ≥ 1): {:.0}: {}",
        si(SERVE_TARGET, "s"),
        SERVE_TARGET / median,
        target("dashboard", SERVE_TARGET / median)
    );
    Ok(())
}

/// Time to build the report (every section, CSV and the HTML page, not the disk writes), quick and
/// full, on the default rig; the baseline is one cost-model evaluation of the same rig and workload.
fn report() -> CliResult<()> {
    use lightloop_report::{Settings, build, html};
    use lightloop_rig::presets::{DEFAULT_RIG, DEFAULT_WORKLOAD};
    let rig = load_rig(DEFAULT_RIG, &[])?.value;
    let wl = load_workload(DEFAULT_WORKLOAD, &[])?.value;
    let gpus = super::compare::DEFAULT_GPUS
        .iter()
        .map(|g| crate::load::load_gpu(g).map(|l| l.value))
        .collect::<CliResult<Vec<_>>>()?;
    let settings = |quick| Settings {
        rig: rig.clone(),
        workload: wl.clone(),
        gpus: gpus.clone(),
        seed: 1,
        quick,
        provenance: vec![],
    };
    let time = |quick| -> CliResult<f64> {
        let start = Instant::now();
        let r =
            build(&settings(quick), &mut |_| {}).map_err(|e| CliError::Message(e.to_string()))?;
        black_box(html::page(&r));
        Ok(start.elapsed().as_secs_f64())
    };
    let eval = 1.0
        / rate(0.5, || {
            black_box(lightloop_cost::evaluate(&rig, &wl).ok());
        });
    let (quick, full) = (time(true)?, time(false)?);
    println!("Report generation ({DEFAULT_RIG}, {DEFAULT_WORKLOAD}; all threads)");
    println!("  one cost-model evaluation (baseline): {}", si(eval, "s"));
    println!(
        "  report --quick:                       {}  ({} evaluations)",
        si(quick, "s"),
        num(quick / eval)
    );
    println!(
        "  report (full):                        {}  ({} evaluations)",
        si(full, "s"),
        num(full / eval)
    );
    Ok(())
}

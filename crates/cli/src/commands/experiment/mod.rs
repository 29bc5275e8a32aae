//! `lightloop experiment`: deep-loop ternary networks trained on the twin (candle, CPU), one
//! experiment per subcommand, each writing its CSV and its plots as SVG and PDF. The science is in
//! `lightloop_lab::experiment`; here the arguments become its configurations and its outcomes
//! become tables and files.

mod cadence;
mod gain;
mod halting;
mod pareto;
mod rule;

use super::output::OutputDir;
use crate::load::{CliError, CliResult, load_rig};
use crate::table::{Align, Table};
use clap::{Args, Subcommand};
use lightloop_lab::experiment::{self as lab, curriculum, depth, distill, readout, width};
use lightloop_lab::{LabError, Plot, Progress};
use lightloop_rig::Rig;
use lightloop_rig::presets::DEFAULT_RIG;
use std::path::{Path, PathBuf};

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
accuracy). Each experiment writes CSV files and each plot as SVG and PDF into its --out folder.";

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

impl Common {
    /// The shared part of every experiment's configuration.
    fn lab(&self) -> CliResult<lab::Common> {
        Ok(lab::Common {
            width: self.width,
            epochs: self.epochs,
            seeds: self.seeds,
            task: self
                .task
                .parse()
                .map_err(|e: lightloop_nn::NnError| CliError::BadInput(e.to_string()))?,
            adapter_rank: self.adapter_rank,
        })
    }

    /// The rig, with the `--set` overrides applied.
    fn rig(&self) -> CliResult<Rig> {
        Ok(load_rig(&self.rig, &self.sets)?.value)
    }
}

/// The command line's error for the library's: a configuration error names its option (field
/// `adapter_rank` is `--adapter-rank`); the user's input is a bad input (exit 2), anything else
/// a failure (exit 1).
pub fn lab_error(e: LabError) -> CliError {
    match e {
        LabError::Input(e) => CliError::Input(e),
        LabError::Config { field, message } => {
            CliError::BadInput(format!("--{} {message}", field.replace('_', "-")))
        }
        e if e.is_input() => CliError::BadInput(e.to_string()),
        e => CliError::Message(e.to_string()),
    }
}

/// A progress bar that appears with the first report.
#[derive(Default)]
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn update(&mut self, p: Progress) {
        let b = self
            .0
            .get_or_insert_with(|| super::progress(p.total as u64, p.what));
        b.set_position(p.done as u64);
    }

    fn finish(self) {
        if let Some(b) = self.0 {
            b.finish_and_clear();
        }
    }
}

/// An experiment's `run`: its configuration and the rig in, its outcome out, progress reported.
type Experiment<C, O> = fn(&C, &Rig, &mut dyn FnMut(Progress)) -> Result<O, LabError>;

/// Runs an experiment whose files go into `dir` (refused before any work when `dir` is not an
/// output folder of this command; nothing is left there when the run fails), with a progress
/// bar.
fn run_into<C, O>(
    dir: &Path,
    marker: &'static str,
    run: Experiment<C, O>,
    config: &C,
    rig: &Rig,
) -> CliResult<(OutputDir, O)> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    let new_parent = parent.filter(|p| !p.exists());
    let out = OutputDir::create(dir, marker, "--out")?;
    let mut bar = Bar::default();
    let result = run(config, rig, &mut |p| bar.update(p));
    bar.finish();
    match result {
        Ok(o) => Ok((out, o)),
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_dir_all(lightloop_cost::sweep::partial_path(dir));
            if let Some(p) = new_parent {
                // Only if still empty.
                let _ = std::fs::remove_dir(p);
            }
            Err(lab_error(e))
        }
    }
}

/// Writes each plot as `NAME.svg` and, beside it, `NAME.pdf` (one vector page, for papers).
fn write_plots(out: &OutputDir, plots: &[Plot]) -> CliResult<()> {
    for p in plots {
        out.text(&format!("{}.svg", p.name), &p.svg()?)?;
        out.bytes(&format!("{}.pdf", p.name), &p.pdf()?)?;
    }
    Ok(())
}

/// "wrote DIR/{a.csv, …, plot.svg, plot.pdf, …}": the CSVs, then each plot as SVG and PDF (as
/// [`write_plots`] writes them).
fn wrote(dir: &Path, csvs: &[&str], plots: &[Plot]) -> String {
    let files: Vec<String> = csvs
        .iter()
        .map(|c| c.to_string())
        .chain(
            plots
                .iter()
                .flat_map(|p| [format!("{}.svg", p.name), format!("{}.pdf", p.name)]),
        )
        .collect();
    format!("wrote {}/{{{}}}", dir.display(), files.join(", "))
}

/// Checks a configuration before the rig is loaded.
fn valid<C>(config: C, validate: fn(&C) -> Result<(), LabError>) -> CliResult<C> {
    validate(&config).map_err(lab_error)?;
    Ok(config)
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

fn curriculum(a: &CurriculumArgs) -> CliResult<()> {
    let config = valid(
        curriculum::Config {
            common: a.common.lab()?,
            passes: a.passes.clone(),
            start: a.start,
        },
        curriculum::Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "curriculum.csv", curriculum::run, &config, &rig)?;
    let mut table = Table::new(
        &["passes T", "full depth from the start", "curriculum"],
        &[Align::Right; 3],
    );
    for m in &o.summary {
        let (f, c) = (m.full_depth, m.curriculum);
        table.row(vec![
            m.passes.to_string(),
            format!("{:.4} [{:.4} – {:.4}]", f.median, f.min, f.max),
            format!("{:.4} [{:.4} – {:.4}]", c.median, c.min, c.max),
        ]);
    }
    println!(
        "curriculum in depth on {}: {} (test accuracy, median [min – max])\n",
        config.common.task, o.basis
    );
    println!("{}", table.render());
    write_plots(&out, &o.plots)?;
    out.csv("curriculum.csv", &o.rows)?;
    let dir = out.finish()?;
    println!("\n{}", wrote(&dir, &["curriculum.csv"], &o.plots));
    Ok(())
}

fn distill(a: &DistillArgs) -> CliResult<()> {
    let config = valid(
        distill::Config {
            common: a.common.lab()?,
            widths: a.widths.clone(),
            teacher_width: a.teacher_width,
            passes: a.passes,
            temperature: a.temperature,
            weight: a.weight,
        },
        distill::Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "distill.csv", distill::run, &config, &rig)?;
    let mut table = Table::new(
        &[
            "student width",
            "from scratch",
            "distilled",
            "teacher (noiseless)",
        ],
        &[Align::Right; 4],
    );
    for m in &o.summary {
        table.row(vec![
            m.width.to_string(),
            format!("{:.4}", m.scratch),
            format!("{:.4}", m.distilled),
            format!("{:.4}", m.teacher_noiseless),
        ]);
    }
    println!(
        "distillation on {}: {} (test accuracy under the rig's noise, medians)\n",
        config.common.task, o.basis
    );
    println!("{}", table.render());
    write_plots(&out, &o.plots)?;
    out.csv("distill.csv", &o.rows)?;
    let dir = out.finish()?;
    println!("\n{}", wrote(&dir, &["distill.csv"], &o.plots));
    Ok(())
}

fn width(a: &WidthArgs) -> CliResult<()> {
    let config = valid(
        width::Config {
            common: a.common.lab()?,
            widths: a.widths.clone(),
            passes: a.passes,
        },
        width::Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "width.csv", width::run, &config, &rig)?;
    let mut table = Table::new(
        &[
            "width",
            "test accuracy (median)",
            "min – max",
            "J per input (cost model)",
        ],
        &[Align::Right; 4],
    );
    for m in &o.summary {
        let acc = m.accuracy;
        table.row(vec![
            m.width.to_string(),
            format!("{:.4}", acc.median),
            format!("{:.4} – {:.4}", acc.min, acc.max),
            crate::table::si(m.energy, "J"),
        ]);
    }
    println!("width sweep on {}: {}\n", config.common.task, o.basis);
    println!("{}", table.render());
    write_plots(&out, &o.plots)?;
    out.csv("width.csv", &o.rows)?;
    let dir = out.finish()?;
    println!(
        "\nenergy: the cost model's J per input for the network of this width on the rig (the tied loop for T passes, one reading with its host head; costed as by `experiment pareto`).\n{}",
        wrote(&dir, &["width.csv"], &o.plots)
    );
    Ok(())
}

fn depth(a: &DepthArgs) -> CliResult<()> {
    let config = valid(
        depth::Config {
            common: a.common.lab()?,
            passes: a.passes.clone(),
        },
        depth::Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "depth.csv", depth::run, &config, &rig)?;
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
    for m in &o.summary {
        let acc = m.accuracy;
        table.row(vec![
            m.passes.to_string(),
            format!("{:.4}", acc.median),
            format!("{:.4} – {:.4}", acc.min, acc.max),
            format!("{:.4}", m.noiseless),
            format!("{:.1}", m.train_seconds),
        ]);
    }
    let c = &config.common;
    println!(
        "depth sweep on {}: rig {}, width {}, {} epochs, seeds 1–{} (medians)\n",
        c.task, rig.rig.name, c.width, c.epochs, c.seeds
    );
    println!("{}", table.render());
    if let Some(line) = noise_against_margin(&o.summary) {
        println!("\n{line}");
    }
    out.csv("passes.csv", &o.passes)?;
    write_plots(&out, &o.plots)?;
    out.csv("depth.csv", &o.rows)?;
    let dir = out.finish()?;
    println!("\n{}", wrote(&dir, &["depth.csv", "passes.csv"], &o.plots));
    Ok(())
}

/// Where the rig's noise leaves the median accuracy at the noiseless network's: one line saying
/// what that means, the readout's noise against the networks' decision margins (None where the
/// two differ at every T).
fn noise_against_margin(summary: &[depth::DepthSummary]) -> Option<String> {
    let same: Vec<&depth::DepthSummary> = summary
        .iter()
        .filter(|m| m.accuracy.median == m.noiseless)
        .collect();
    let first = same.first()?;
    let passes: Vec<String> = same.iter().map(|m| m.passes.to_string()).collect();
    // Two significant figures: these are estimates.
    let fig = |x: f64| {
        if x == 0.0 || (1e-3..1e6).contains(&x.abs()) {
            lightloop_rig::units::trim_float(x, 2)
        } else {
            format!("{x:.1e}")
        }
    };
    let span = |f: fn(&depth::Margin) -> f64| {
        let v = same.iter().map(|m| f(&m.margin));
        let (lo, hi) = (
            v.clone().fold(f64::INFINITY, f64::min),
            v.fold(0.0, f64::max),
        );
        let (lo, hi) = (fig(lo), fig(hi));
        if lo == hi { lo } else { format!("{lo}–{hi}") }
    };
    let most = same
        .iter()
        .map(|m| m.margin.expected_changes)
        .fold(0.0, f64::max);
    let meaning = if most < 1.0 {
        "fewer than one, so equal accuracy is what the noise predicts"
    } else {
        "so a few decisions may change, in both directions, and leave the count where it is"
    };
    Some(format!(
        "rig noise = noiseless at T = {}: the readout's noise (σ {} of each value's range over the test inputs, the ADC's steps included) moves the gap between a test input's two largest logits by {} (median over the inputs) against a median gap of {}, and is expected to change {} of the {} test decisions to the runner-up (Σ Q(gap/σ)): {meaning}. The ASE inside the loop is not in this estimate.",
        passes.join(", "),
        span(|m| m.readout_sd),
        span(|m| m.gap_sd),
        span(|m| m.gap),
        span(|m| m.expected_changes),
        first.margin.inputs,
    ))
}

fn readout(a: &ReadoutArgs) -> CliResult<()> {
    let config = valid(
        readout::Config {
            common: a.common.lab()?,
            passes: a.passes,
        },
        readout::Config::validate,
    )?;
    let rig = a.common.rig()?;
    let (out, o) = run_into(&a.out, "readout.csv", readout::run, &config, &rig)?;
    let mut t = Table::new(
        &["readout", "test accuracy (median)", "min – max"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for (p, m) in &o.by_photons {
        t.row(vec![
            format!("{p:.0e} photons"),
            format!("{:.4}", m.median),
            format!("{:.4} – {:.4}", m.min, m.max),
        ]);
    }
    for (b, m) in &o.by_bits {
        t.row(vec![
            format!("{b}-bit ADC"),
            format!("{:.4}", m.median),
            format!("{:.4} – {:.4}", m.min, m.max),
        ]);
    }
    println!("readout sweep on {}: {}\n", config.common.task, o.basis);
    println!("{}", t.render());
    write_plots(&out, &o.plots)?;
    out.csv("readout.csv", &o.rows)?;
    let dir = out.finish()?;
    println!("\n{}", wrote(&dir, &["readout.csv"], &o.plots));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_lab::experiment::Spread;

    fn at(passes: usize, noisy: f64, noiseless: f64, expected_changes: f64) -> depth::DepthSummary {
        depth::DepthSummary {
            passes,
            accuracy: Spread::of(vec![noisy]),
            noiseless,
            train_seconds: 0.0,
            margin: depth::Margin {
                readout_sd: 0.0019,
                gap_sd: 0.01 * passes as f64,
                gap: 2.0,
                expected_changes,
                inputs: 360,
            },
        }
    }

    /// The line names only the T where the two accuracies agree, with the margins of those T,
    /// and what the expected count of changed decisions means; none where they never agree.
    #[test]
    fn depth_explains_equal_accuracies_by_the_margins() {
        let line = noise_against_margin(&[
            at(1, 0.9, 0.9, 0.02),
            at(4, 0.9, 0.91, 3.0),
            at(16, 0.8, 0.8, 0.5),
        ])
        .unwrap();
        assert!(
            line.starts_with("rig noise = noiseless at T = 1, 16: "),
            "{line}"
        );
        assert!(line.contains("(σ 0.0019 of each value's range"), "{line}");
        assert!(
            line.contains("by 0.01–0.16 (median over the inputs)"),
            "{line}"
        );
        assert!(line.contains("median gap of 2,"), "{line}");
        assert!(
            line.contains("change 0.02–0.5 of the 360 test decisions"),
            "{line}"
        );
        assert!(line.contains("fewer than one, so equal accuracy is what the noise predicts"));
        let line = noise_against_margin(&[at(4, 0.9, 0.9, 3.0)]).unwrap();
        assert!(line.contains("change 3 of the 360"), "{line}");
        assert!(line.contains("in both directions"), "{line}");
        assert_eq!(noise_against_margin(&[at(4, 0.9, 0.91, 0.1)]), None);
    }
}

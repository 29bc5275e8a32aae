//! `lightloop experiment rule`: backpropagation against Direct Feedback Alignment, and a deep
//! reservoir (only the readout trained).

use super::{Common, config, setup};
use crate::commands::output::OutputDir;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table};
use clap::Args;
use lightloop_base::stats::median_min_max;
use lightloop_nn::loopnet::dfa;
use lightloop_nn::loopnet::train::{TrainSettings, train};
use lightloop_plot::{Axes, Series, line_chart};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct RuleArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 4, 16, 64])]
    pub passes: Vec<usize>,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-rule",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct RuleRow {
    /// "backprop", "dfa" or "reservoir" (loop left at its random start, readout trained).
    rule: &'static str,
    passes: usize,
    seed: u64,
    test_accuracy: f64,
}

const RULES: [&str; 3] = ["backprop", "dfa", "reservoir"];

pub fn run(a: &RuleArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    if a.passes.is_empty() || a.passes.iter().any(|p| !(1..=4096).contains(p)) {
        return Err(CliError::BadInput("--passes must be 1 … 4096".into()));
    }
    let out = OutputDir::create(&a.out, "rule.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let b = super::super::progress(
        RULES.len() as u64 * a.passes.len() as u64 * a.common.seeds,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        for &t in &a.passes {
            for rule in RULES {
                let mut c = config(&a.common, &data, t, seed);
                c.readout_only = rule == "reservoir";
                let trained = if rule == "dfa" {
                    dfa::train(c, s.phi.clone(), &s.noise, &settings, &data)
                } else {
                    train(c, s.phi.clone(), &s.noise, &settings, &data)
                };
                let (_, acc) = trained.map_err(CliError::Message)?;
                rows.push(RuleRow {
                    rule,
                    passes: t,
                    seed,
                    test_accuracy: acc,
                });
                b.inc(1);
            }
        }
    }
    b.finish_and_clear();
    let mut table = Table::new(
        &[
            "passes T",
            "backprop (median)",
            "min – max",
            "DFA (median)",
            "min – max",
            "reservoir (median)",
            "min – max",
        ],
        &[Align::Right; 7],
    );
    let mut curves: Vec<Vec<(f64, f64, f64, f64)>> = vec![Vec::new(); RULES.len()];
    for &t in &a.passes {
        let mut cells = vec![t.to_string()];
        for (i, rule) in RULES.iter().enumerate() {
            let (m, lo, hi) = median_min_max(
                rows.iter()
                    .filter(|r| r.passes == t && r.rule == *rule)
                    .map(|r| r.test_accuracy)
                    .collect(),
            );
            cells.push(format!("{m:.4}"));
            cells.push(format!("{lo:.4} – {hi:.4}"));
            curves[i].push((t as f64, m, lo, hi));
        }
        table.row(cells);
    }
    let basis = format!(
        "rig {}, width {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.common.epochs, a.common.seeds
    );
    println!("training rules on {}: {basis}\n", s.task);
    println!("{}", table.render());
    let series: Vec<Series> = curves
        .iter()
        .zip([
            "backpropagation through the passes",
            "direct feedback alignment",
            "reservoir: loop at its random start, readout trained",
        ])
        .map(|(c, name)| Series {
            name: format!("{name} (median, min–max)"),
            points: c.iter().map(|p| (p.0, p.1)).collect(),
            intervals: Some(c.iter().map(|p| (p.2, p.3)).collect()),
            dashed: false,
        })
        .collect();
    let svg = line_chart(
        &Axes::new(
            format!(
                "{} accuracy versus passes by training rule — {basis}",
                s.task
            ),
            "loop passes T",
            "test accuracy",
        )
        .log_x(),
        &series,
    )?;
    out.text("accuracy_vs_passes.svg", &svg)?;
    out.csv("rule.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nDFA: the output error reaches every pass through one fixed random matrix (the same for all passes); the readout layer gets its true gradient. Reservoir: the ternary loop and input encoding keep their random start, only the digital readout is trained (by AdamW, not a ridge fit). All train under the rig's noise.\nwrote {}/{{rule.csv, accuracy_vs_passes.svg}}",
        dir.display()
    );
    Ok(())
}

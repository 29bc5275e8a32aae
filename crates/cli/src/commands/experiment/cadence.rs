//! `lightloop experiment cadence`: the loop with digital attention checkpoints every K passes.

use super::{Common, NetShape, setup};
use crate::commands::output::OutputDir;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table, si};
use clap::Args;
use lightloop_base::stats::median_min_max;
use lightloop_nn::loopnet::attention::{SeqLoopNet, train};
use lightloop_nn::loopnet::train::{NetTask, TrainSettings};
use lightloop_plot::{Axes, Series, line_chart};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct CadenceArgs {
    #[command(flatten)]
    pub common: Common,
    /// Loop passes T
    #[arg(long, default_value_t = 8)]
    pub passes: usize,
    /// Passes between attention checkpoints K, comma-separated; 0: no attention at all
    #[arg(long, value_delimiter = ',', default_values_t = vec![0usize, 8, 4, 2, 1])]
    pub cadences: Vec<usize>,
    /// Width of the attention head d_h
    #[arg(long, default_value_t = 16)]
    pub head: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-cadence",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct CadenceRow {
    /// Passes between checkpoints (empty: no attention).
    cadence: Option<usize>,
    checkpoints: usize,
    seed: u64,
    passes: usize,
    test_accuracy: f64,
    test_bits_per_char: f64,
    /// Cost model's energy per predicted character, J.
    j_per_char: f64,
}

pub fn run(a: &CadenceArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    let NetTask::Chars { context } = s.task else {
        return Err(CliError::BadInput(format!(
            "experiment cadence needs a sequence task: --task chars-K (not {})",
            s.task
        )));
    };
    if a.common.adapter_rank > 0 {
        return Err(CliError::BadInput(
            "experiment cadence has no adapter: drop --adapter-rank".into(),
        ));
    }
    if a.passes == 0 || a.passes > 1024 {
        return Err(CliError::BadInput("--passes must be 1 … 1024".into()));
    }
    if a.cadences.is_empty() || a.cadences.iter().any(|k| *k > a.passes) {
        return Err(CliError::BadInput(format!(
            "--cadences must be 0 (none) … --passes ({})",
            a.passes
        )));
    }
    if a.head == 0 || a.head > a.common.width {
        return Err(CliError::BadInput(
            "--head must be 1 … the loop's width".into(),
        ));
    }
    let out = OutputDir::create(&a.out, "cadence.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let cadences: Vec<Option<usize>> = a
        .cadences
        .iter()
        .map(|k| Some(*k).filter(|k| *k > 0))
        .collect();
    let b = super::super::progress(cadences.len() as u64 * a.common.seeds, "networks trained");
    let msg = |e: candle_core::Error| CliError::Message(e.to_string());
    let mut energy = Vec::new();
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        if energy.is_empty() {
            for k in &cadences {
                energy.push(super::net_energy(
                    &a.common,
                    &NetShape {
                        width: a.common.width,
                        passes: a.passes,
                        classes: data.classes,
                        context,
                        cadence: k.unwrap_or(a.passes),
                        halting_depth: None,
                        head: Some(a.head),
                    },
                )?);
            }
        }
        for (i, k) in cadences.iter().enumerate() {
            let net = SeqLoopNet::new(
                data.classes,
                context,
                a.common.width,
                a.passes,
                *k,
                a.head,
                seed,
                s.phi.clone(),
            )
            .map_err(msg)?;
            let checkpoints = net.checkpoints().len();
            let (net, acc) = train(net, &s.noise, &settings, &data).map_err(CliError::Message)?;
            let bits = net
                .scores(&data.test_x, &data.test_y, &s.noise, u64::MAX - 1)
                .map_err(msg)?
                .bits_per_example;
            rows.push(CadenceRow {
                cadence: *k,
                checkpoints,
                seed,
                passes: a.passes,
                test_accuracy: acc,
                test_bits_per_char: bits,
                j_per_char: energy[i],
            });
            b.inc(1);
        }
    }
    b.finish_and_clear();
    let mut table = Table::new(
        &[
            "cadence K",
            "checkpoints",
            "next-char accuracy (median)",
            "min – max",
            "bits per char",
            "J per char",
        ],
        &[Align::Right; 6],
    );
    let (mut by_energy, mut none) = (Vec::new(), None);
    for (i, k) in cadences.iter().enumerate() {
        let sel: Vec<&CadenceRow> = rows.iter().filter(|r| r.cadence == *k).collect();
        let (m, lo, hi) = median_min_max(sel.iter().map(|r| r.test_accuracy).collect());
        let (bits, _, _) = median_min_max(sel.iter().map(|r| r.test_bits_per_char).collect());
        table.row(vec![
            k.map_or("none".into(), |k| k.to_string()),
            sel[0].checkpoints.to_string(),
            format!("{m:.4}"),
            format!("{lo:.4} – {hi:.4}"),
            format!("{bits:.3}"),
            si(energy[i], "J"),
        ]);
        match k {
            Some(_) => by_energy.push((energy[i], m)),
            None => none = Some((energy[i], m)),
        }
    }
    by_energy.sort_by(|x, y| x.0.total_cmp(&y.0));
    let basis = format!(
        "rig {}, width {}, T = {}, head {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.passes, a.head, a.common.epochs, a.common.seeds
    );
    println!("attention cadence on {}: {basis}\n", s.task);
    println!("{}", table.render());
    let mut series = vec![Series::line(
        "checkpoints every K passes (one point per K)",
        by_energy,
    )];
    if let Some(p) = none {
        series.push(Series::line("no attention (the loop alone)", vec![p]));
    }
    let svg = line_chart(
        &Axes::new(
            format!(
                "{} next-character accuracy versus energy per character — {basis}",
                s.task
            ),
            "J per character (cost model: deep-loop decoder at this width and cadence)",
            "next-character accuracy (median over seeds)",
        )
        .log_x(),
        &series,
    )?;
    out.text("accuracy_vs_energy.svg", &svg)?;
    out.csv("cadence.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\neach position of the {context}-character context runs the loop; every K passes the host reads all positions and runs one causal attention layer (one head of width {}), whose result is re-encoded. Energy per character from the cost model (one new position per character, earlier ones cached).\nwrote {}/{{cadence.csv, accuracy_vs_energy.svg}}",
        a.head,
        dir.display()
    );
    Ok(())
}

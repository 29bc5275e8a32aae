//! `lightloop experiment gain`: accuracy versus a fixed small-signal loop gain.

use super::{Common, config, setup};
use crate::commands::output::OutputDir;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table};
use clap::Args;
use lightloop_base::stats::median_min_max;
use lightloop_nn::dynamics::participation_ratio;
use lightloop_nn::loopnet::ForwardNoise;
use lightloop_nn::loopnet::train::{TrainSettings, train};
use lightloop_plot::{Axes, Series, line_chart};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args)]
pub struct GainArgs {
    #[command(flatten)]
    pub common: Common,
    /// Fixed small-signal loop gains g, comma-separated (φ has unit slope at 0, the mesh unit
    /// RMS gain, so g is the gain of one pass for a small state)
    #[arg(long, value_delimiter = ',', default_values_t = vec![0.25, 0.5, 1.0, 2.0, 4.0, 8.0])]
    pub gains: Vec<f64>,
    /// Loop passes T
    #[arg(long, default_value_t = 16)]
    pub passes: usize,
    /// Output folder
    #[arg(
        long,
        default_value = "lightloop-out/experiment-gain",
        value_name = "DIR"
    )]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct GainRow {
    /// The fixed loop gain g (empty: g and A's scale learned).
    loop_gain: Option<f64>,
    seed: u64,
    passes: usize,
    test_accuracy: f64,
    test_accuracy_noiseless: f64,
    /// Participation ratio of the final loop state over the test set (noiseless).
    participation_ratio: f64,
    /// Mean |α_t| of the trained per-pass gains.
    mean_abs_alpha: f64,
}

pub fn run(a: &GainArgs) -> CliResult<()> {
    let s = setup(&a.common)?;
    if a.passes == 0 || a.passes > 4096 {
        return Err(CliError::BadInput("--passes must be 1 … 4096".into()));
    }
    if a.gains.is_empty()
        || a.gains
            .iter()
            .any(|g| !g.is_finite() || *g <= 0.0 || *g > 1e3)
    {
        return Err(CliError::BadInput(
            "--gains must be positive numbers up to 1000".into(),
        ));
    }
    let out = OutputDir::create(&a.out, "gain.csv")?;
    let settings = TrainSettings {
        epochs: a.common.epochs,
        ..TrainSettings::default()
    };
    let msg = |e: candle_core::Error| CliError::Message(e.to_string());
    let settings_list: Vec<Option<f64>> = std::iter::once(None)
        .chain(a.gains.iter().map(|g| Some(*g)))
        .collect();
    let b = super::super::progress(
        settings_list.len() as u64 * a.common.seeds,
        "networks trained",
    );
    let mut rows = Vec::new();
    for seed in 1..=a.common.seeds {
        let data = s.task.load(seed).map_err(CliError::Message)?;
        for g in &settings_list {
            let mut c = config(&a.common, &data, a.passes, seed);
            c.loop_gain = *g;
            let (net, acc) =
                train(c, s.phi.clone(), &s.noise, &settings, &data).map_err(CliError::Message)?;
            let clean = net
                .accuracy(
                    &data.test_x,
                    &data.test_y,
                    a.passes,
                    &ForwardNoise::off(),
                    0,
                )
                .map_err(msg)?;
            let last = net
                .states(&data.test_x, a.passes)
                .map_err(msg)?
                .pop()
                .expect("the state entering the loop at least");
            let m: Vec<Vec<f64>> = last
                .to_vec2::<f32>()
                .map_err(msg)?
                .into_iter()
                .map(|r| r.into_iter().map(f64::from).collect())
                .collect();
            let alpha: Vec<f32> = net.alpha.as_tensor().to_vec1().map_err(msg)?;
            rows.push(GainRow {
                loop_gain: *g,
                seed,
                passes: a.passes,
                test_accuracy: acc,
                test_accuracy_noiseless: clean,
                participation_ratio: participation_ratio(&m),
                mean_abs_alpha: alpha.iter().map(|x| x.abs() as f64).sum::<f64>()
                    / alpha.len() as f64,
            });
            b.inc(1);
        }
    }
    b.finish_and_clear();
    let mut table = Table::new(
        &[
            "loop gain g",
            "test accuracy (median)",
            "min – max",
            "noiseless",
            "effective rank",
            "mean |α|",
        ],
        &[Align::Right; 6],
    );
    let mut points = Vec::new();
    let mut learned = f64::NAN;
    for g in &settings_list {
        let sel: Vec<&GainRow> = rows.iter().filter(|r| r.loop_gain == *g).collect();
        let med = |f: &dyn Fn(&GainRow) -> f64| median_min_max(sel.iter().map(|r| f(r)).collect());
        let (m, lo, hi) = med(&|r| r.test_accuracy);
        table.row(vec![
            g.map_or("learned".into(), |g| format!("{g}")),
            format!("{m:.4}"),
            format!("{lo:.4} – {hi:.4}"),
            format!("{:.4}", med(&|r| r.test_accuracy_noiseless).0),
            format!("{:.1}", med(&|r| r.participation_ratio).0),
            format!("{:.3}", med(&|r| r.mean_abs_alpha).0),
        ]);
        match g {
            Some(g) => points.push((*g, m, lo, hi)),
            None => learned = m,
        }
    }
    let basis = format!(
        "rig {}, width {}, T = {}, {} epochs at the rig's noise, seeds 1–{}",
        s.rig.rig.name, a.common.width, a.passes, a.common.epochs, a.common.seeds
    );
    println!("loop-gain sweep on {}: {basis}\n", s.task);
    println!("{}", table.render());
    let span = (a.gains.iter().copied().fold(f64::INFINITY, f64::min))
        ..=(a.gains.iter().copied().fold(0.0, f64::max));
    let svg = line_chart(
        &Axes::new(
            format!("{} accuracy versus loop gain — {basis}", s.task),
            "small-signal loop gain g of one pass (fixed, mesh at unit RMS gain)",
            "test accuracy",
        )
        .log_x(),
        &[
            Series {
                name: "fixed g (median, min–max over seeds)".into(),
                points: points.iter().map(|p| (p.0, p.1)).collect(),
                intervals: Some(points.iter().map(|p| (p.2, p.3)).collect()),
                dashed: false,
            },
            Series {
                name: "g and A's scale learned (median)".into(),
                points: vec![(*span.start(), learned), (*span.end(), learned)],
                dashed: true,
                ..Default::default()
            },
        ],
    )?;
    out.text("accuracy_vs_gain.svg", &svg)?;
    out.csv("gain.csv", &rows)?;
    let dir = out.finish()?;
    println!(
        "\nloop gain: with g fixed, A's ternary codes are scaled by 1/√(non-zeros per row) and g is not trained; the per-pass gains α_t still are, so g sets how hard the state drives the absorber/SOA, not the residual step.\nwrote {}/{{gain.csv, accuracy_vs_gain.svg}}",
        dir.display()
    );
    Ok(())
}

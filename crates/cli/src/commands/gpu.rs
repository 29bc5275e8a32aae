//! `lightloop gpu`: the GPU serving model against published measurements, and one workload on
//! one GPU split.

use super::print_json;
use crate::load::{CliResult, load_gpu};
use crate::table::{Align, Table, si, wrap};
use clap::{Args, Subcommand};
use lightloop_fleet::verdict::{duration, figure};
use lightloop_gpu::measured::{self, Batch, Metric, Role};
use lightloop_gpu::stack::{FITTED, PARAMETERS};
use lightloop_gpu::{ServingStack, Split, fit, serving};
use serde::Serialize;

pub const LONG_ABOUT: &str = "The GPU serving model: validation against published measurements, and \
one workload on one GPU split.\n\n\
`lightloop gpu validate` predicts every measured point (MLPerf Inference, the TensorRT-LLM \
performance overview, ML.ENERGY's leaderboard: output tokens/s, GPU power, server power at the \
wall), each with its source and scenario, and reports the geometric-mean error of the points the \
model was fitted on and, separately, of the points held out from the fit. `--fit` re-runs the \
fit.\n\n\
`lightloop gpu serve -w llama-3-70b --gpu h100-sxm --tp 2` shows one replica: batch, tokens/s, \
time per token, power per GPU (never above its TDP), the host's share, energy per token.";

#[derive(Args)]
pub struct GpuArgs {
    #[command(subcommand)]
    pub action: GpuAction,
}

#[derive(Subcommand)]
pub enum GpuAction {
    /// Predicted against measured for every published point, with the fit and held-out errors
    Validate {
        /// Re-run the fit on the fit points and show its parameters beside the stored ones
        #[arg(long)]
        fit: bool,
        /// Print JSON instead of tables
        #[arg(long)]
        json: bool,
    },
    /// One workload on one GPU split
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Workload: a preset name or a TOML file
    #[arg(long, short, default_value = "llama-3-8b")]
    pub workload: String,
    /// GPU: a preset name or a TOML file
    #[arg(long, default_value = "h100-sxm")]
    pub gpu: String,
    /// Tensor-parallel degree (with --pp and --ep; without any, the fewest GPUs that hold the
    /// batch)
    #[arg(long)]
    pub tp: Option<u32>,
    #[arg(long)]
    pub pp: Option<u32>,
    #[arg(long)]
    pub ep: Option<u32>,
    /// Override a workload key, e.g. --set run.batch=64; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: &GpuArgs) -> CliResult<()> {
    match &a.action {
        GpuAction::Validate { fit, json } => validate(*fit, *json),
        GpuAction::Serve(s) => serve(s),
    }
}

#[derive(Serialize)]
struct Refit {
    parameters: Vec<(&'static str, f64, f64)>,
    loss_stored: f64,
    loss_refit: f64,
    held_out_error_refit: f64,
}

#[derive(Serialize)]
struct ValidateOut {
    validation: measured::Validation,
    target_held_out_error: f64,
    refit: Option<Refit>,
}

/// Held-out geometric-mean error the model must stay within.
pub const TARGET: f64 = 0.15;

fn validate(refit: bool, json: bool) -> CliResult<()> {
    let points = measured::prepared();
    let stack = ServingStack::fitted();
    let v = measured::validate(&points, &stack);
    let refit = refit.then(|| {
        let f = fit::fit(&points, &stack);
        let refitted = ServingStack::from_parameters(&f.parameters);
        Refit {
            parameters: PARAMETERS
                .iter()
                .zip(FITTED.iter().zip(f.parameters))
                .map(|(n, (s, r))| (*n, *s, r))
                .collect(),
            loss_stored: fit::loss(
                &points
                    .iter()
                    .filter(|p| p.point.role == Role::Fit)
                    .cloned()
                    .collect::<Vec<_>>(),
                &FITTED,
            ),
            loss_refit: f.loss,
            held_out_error_refit: measured::validate(&points, &refitted).held_out_error,
        }
    });
    if json {
        return print_json(&ValidateOut {
            validation: v,
            target_held_out_error: TARGET,
            refit,
        });
    }
    println!("The GPU serving model against published measurements\n");
    let mut t = Table::new(
        &[
            "point",
            "GPUs",
            "split",
            "model",
            "bits",
            "in/out",
            "batch",
            "measured",
            "predicted",
            "error",
            "role",
        ],
        &[
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
    );
    for r in &v.rows {
        let p = &r.point;
        let unit = match p.metric {
            Metric::TokensPerS => "tok/s",
            Metric::GpuPower => "W (GPUs)",
            Metric::WallPower => "W (wall)",
        };
        t.row(vec![
            p.id.to_string(),
            format!("{}×{}", p.gpus, p.gpu),
            p.split.to_string(),
            p.model.to_string(),
            format!("{}", p.weight_bits),
            format!("{}/{}", p.prompt, p.output),
            match p.batch {
                Batch::Fixed(b) => format!("{b:.0}"),
                Batch::KvLimited(b) => format!("≤{b:.0}"),
            },
            format!("{} {unit}", figure(p.measured)),
            r.predicted.map(figure).unwrap_or_else(|| "–".into()),
            r.error
                .map(|e| format!("{:+.1} %", e * 100.0))
                .unwrap_or_else(|| "–".into()),
            match p.role {
                Role::Fit => "fit".into(),
                Role::HeldOut => "held out".into(),
                Role::Excluded(_) => "excluded".into(),
            },
        ]);
    }
    println!("{}\n", t.render());
    let verdict = if v.held_out_error <= TARGET {
        "within"
    } else {
        "OUTSIDE"
    };
    println!(
        "Held-out error {:.1} % (geometric mean of |predicted/measured|, {} points): {verdict} the {:.0} % target; worst held-out point {:.1} %.",
        v.held_out_error * 100.0,
        v.held_out_points,
        TARGET * 100.0,
        v.worst_held_out * 100.0
    );
    println!(
        "Fit error {:.1} % ({} points the stack's parameters were fitted on).\n",
        v.fit_error * 100.0,
        v.fit_points
    );
    for r in &v.rows {
        if let Some(f) = &r.failure {
            println!("  {}: the model cannot serve it: {f}", r.point.id);
        }
        if let Role::Excluded(why) = r.point.role {
            print!(
                "{}",
                wrap(
                    &format!("{} is shown but not counted: {why}.", r.point.id),
                    100,
                    "  "
                )
            );
        }
    }
    println!("\nSources (docs/references.md, GPU serving measurements):");
    let mut seen: Vec<&str> = Vec::new();
    for r in &v.rows {
        if !seen.contains(&r.point.source) {
            seen.push(r.point.source);
            println!("  {} — {}", r.point.source, r.point.engine);
        }
    }
    println!();
    print!(
        "{}",
        wrap(
            &format!(
                "Scenarios: TensorRT-LLM points run as many sequences as the KV cache holds (at most 2048 per replica); MLPerf Offline points use the dataset's mean lengths (222 in, 294 out) and the submission's batch; ML.ENERGY points use the measured running batch and an assumed prompt of {} tokens (not published).",
                measured::ML_ENERGY_PROMPT
            ),
            100,
            ""
        )
    );
    println!("\nFitted parameters:");
    for (n, v) in PARAMETERS.iter().zip(FITTED) {
        println!("  {n:24} {}", lightloop_rig::units::trim_float(v, 4));
    }
    if let Some(r) = &refit {
        println!(
            "\nRe-fit: loss {:.5} (stored parameters {:.5}); held-out error with the re-fit {:.1} %",
            r.loss_refit,
            r.loss_stored,
            r.held_out_error_refit * 100.0
        );
        for (n, s, f) in &r.parameters {
            println!(
                "  {n:24} stored {:>12}  re-fit {:>12}",
                lightloop_rig::units::trim_float(*s, 4),
                lightloop_rig::units::trim_float(*f, 4)
            );
        }
    }
    Ok(())
}

fn serve(a: &ServeArgs) -> CliResult<()> {
    let gpu = load_gpu(&a.gpu)?.value;
    let wl = lightloop_rig::load_workload(&a.workload, &a.sets)?.value;
    let stack = ServingStack::for_gpu(&gpu);
    let s = match (a.tp, a.pp, a.ep) {
        (None, None, None) => serving::serve_best(&gpu, &stack, &wl, 576)?,
        (tp, pp, ep) => {
            let split = Split::new(tp.unwrap_or(1), pp.unwrap_or(1), ep.unwrap_or(1));
            serving::serve(&gpu, &stack, &wl, split)?
        }
    };
    if a.json {
        return print_json(&s);
    }
    println!(
        "{} on {} — {} ({} GPU{}), batch {} of {} the KV cache holds\n",
        wl.workload.name,
        gpu.gpu.name,
        s.split,
        s.gpus,
        if s.gpus == 1 { "" } else { "s" },
        figure(s.batch),
        figure(s.max_batch)
    );
    let mut t = Table::new(&["", ""], &[Align::Left, Align::Right]);
    let mut row = |k: &str, v: String| t.row(vec![k.to_string(), v]);
    row("output tokens per second", figure(s.tokens_per_s));
    row("time per output token", duration(s.tpot));
    row("one decode step", duration(s.step_time));
    row("time to first token (idle replica)", duration(s.ttft));
    row(
        "share of time in prefill",
        crate::table::pct(s.prefill_share),
    );
    row("power per GPU (mean)", si(s.gpu_power, "W"));
    row(
        "power per GPU in decode / prefill",
        format!(
            "{} / {}",
            si(s.gpu_power_decode, "W"),
            si(s.gpu_power_prefill, "W")
        ),
    );
    row("board limit (TDP)", si(gpu.power.tdp.si(), "W"));
    row("host's share", si(s.host_power, "W"));
    row("energy per token", si(s.j_per_token, "J"));
    row(
        "  GPUs / host / network",
        format!(
            "{} / {} / {}",
            si(s.j_per_token_gpu, "J"),
            si(s.j_per_token_host, "J"),
            si(s.j_per_token_network, "J")
        ),
    );
    row("weights per GPU", si(s.weights_per_gpu, "B"));
    row("KV cache per GPU", si(s.kv_per_gpu, "B"));
    row(
        "compute / bandwidth utilisation (decode)",
        format!(
            "{} / {}",
            crate::table::pct(s.compute_utilisation),
            crate::table::pct(s.memory_utilisation)
        ),
    );
    row("decode bound by", s.bound.name().into());
    println!("{}", t.render());
    if s.batch_limited {
        println!(
            "\n  the KV cache holds only {} sequences: the batch was cut",
            figure(s.max_batch)
        );
    }
    Ok(())
}

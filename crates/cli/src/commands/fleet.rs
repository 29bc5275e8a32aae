//! `lightloop fleet`.

use super::print_json;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table, si, wrap};
use clap::Args;
use lightloop_fleet::sensitivity::{Swing, tornado};
use lightloop_fleet::verdict::{count, device_count, duration, figure, verdict};
use lightloop_fleet::{FleetAnswer, FleetError, Hardware, OptionAnswer, Sizing};
use lightloop_gpu::roofline::{Ceilings, Operation, Over, operations};
use lightloop_rig::presets::DEFAULT_DEPLOYMENT;
use lightloop_rig::{Deployment, DescKind, Document};
use serde::Serialize;

pub const LONG_ABOUT: &str = "Size a deployment on GPU nodes and on optical rigs with their hosts.\n\n\
A deployment (`lightloop presets show chat-moe-1t`) names a model, the traffic at the busiest hour, \
the service targets (time to first token, time per output token), the hardware to size, the \
facility (PUE, electricity price, mean load) and the finances (write-off years, maintenance). For \
each option lightloop evaluates every configuration (GPU splits and batches; rig pipelines and \
weight placements), keeps the cheapest per million tokens that meets the targets, and prints \
devices, hosts, racks, power at the wall, tokens per MW, energy per token and the cost of \
ownership, or the constraint that no configuration can meet.\n\n\
  lightloop fleet --model moe-1t --rig seed-16ch --gpu h100-sxm,b200\n  \
lightloop fleet -d chat-llama-70b --set facility.electricity_price=\"0.12 USD/kWh\"";

#[derive(Args)]
pub struct FleetArgs {
    /// Deployment: a preset name or a TOML file
    #[arg(long, short, default_value = DEFAULT_DEPLOYMENT, value_name = "DEPLOYMENT")]
    pub deployment: String,
    /// The model to serve (a workload preset or file), in place of the deployment's
    #[arg(long, short, value_name = "WORKLOAD")]
    pub model: Option<String>,
    /// GPUs to size (presets or files, comma-separated); with --rig, replaces the deployment's
    /// options
    #[arg(long = "gpu", value_delimiter = ',', value_name = "GPU")]
    pub gpus: Vec<String>,
    /// Optical rigs to size (presets or files, comma-separated); with --gpu, replaces the
    /// deployment's options
    #[arg(long = "rig", value_delimiter = ',', value_name = "RIG")]
    pub rigs: Vec<String>,
    /// Override a key of the deployment, e.g. --set traffic.requests_per_s=500; repeatable
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Also size each GPU option with photonic links in place of its scale-out network or its
    /// NVLink copper
    #[arg(long)]
    pub links: bool,
    /// Also show each operation's arithmetic intensity against every option's ceilings
    #[arg(long)]
    pub roofline: bool,
    /// Also price a training run of this many tokens on every option (its fleet's devices)
    #[arg(long, value_name = "TOKENS")]
    pub train: Option<f64>,
    /// Print JSON instead of tables
    #[arg(long)]
    pub json: bool,
}

impl From<FleetError> for CliError {
    fn from(e: FleetError) -> Self {
        match e {
            FleetError::Input(e) => CliError::Input(e),
            FleetError::Model(m) => CliError::BadInput(m),
            FleetError::Incompatible(e) => CliError::BadInput(e.to_string()),
        }
    }
}

#[derive(Serialize)]
struct Out<'a> {
    verdict: String,
    answer: &'a FleetAnswer,
    /// The cheapest option's cost per million tokens as each economic input moves.
    tornado: Option<(String, Vec<Swing>)>,
    links: Vec<LinksOut>,
    roofline: Vec<RooflineOut>,
    training: Vec<lightloop_fleet::training::Run>,
}

#[derive(Serialize)]
struct LinksOut {
    gpu: String,
    baseline_usd_per_m_tokens: f64,
    baseline_wall_busy_w: f64,
    swaps: Vec<lightloop_fleet::interconnect::Swap>,
}

#[derive(Serialize)]
struct RooflineOut {
    ceilings: Ceilings,
    operations: Vec<(Operation, f64, bool)>,
}

/// The deployment as given on the command line: the file or preset, `--set` overrides, and
/// `--model`, `--gpu`, `--rig` in place of its own.
pub fn load(a: &FleetArgs) -> CliResult<Deployment> {
    let mut doc = Document::load(DescKind::Deployment, &a.deployment)?;
    for s in &a.sets {
        doc.set(s)?;
    }
    let mut d: Deployment = doc.parse()?;
    if let Some(m) = &a.model {
        d.model.workload = m.clone();
    }
    if !a.gpus.is_empty() || !a.rigs.is_empty() {
        d.options.gpus = a.gpus.clone();
        d.options.rigs = a.rigs.clone();
    }
    Ok(d)
}

pub fn run(a: &FleetArgs) -> CliResult<()> {
    let d = load(a)?;
    let model = lightloop_fleet::served_model(&d)?;
    let hw = Hardware::of(&d)?;
    let answer = lightloop_fleet::size(&d, &model, &hw);
    let v = verdict(&answer);
    let econ = answer.economics;
    let cheapest = answer
        .options
        .iter()
        .filter_map(|o| o.chosen.as_ref())
        .min_by(|x, y| x.cost.usd_per_m_tokens.total_cmp(&y.cost.usd_per_m_tokens));
    let tornado_rows = cheapest.map(|s| {
        (
            s.hardware.clone(),
            tornado(s, &econ, answer.demand.tokens_per_s),
        )
    });
    let links: Vec<LinksOut> = if a.links {
        hw.gpus
            .iter()
            .map(|g| {
                let (base, swaps) = lightloop_fleet::interconnect::compare(
                    g,
                    &model,
                    &answer.demand,
                    &econ,
                    d.options.max_gpus_per_replica,
                );
                LinksOut {
                    gpu: g.gpu.name.clone(),
                    baseline_usd_per_m_tokens: base
                        .shown()
                        .map(|s| s.cost.usd_per_m_tokens)
                        .unwrap_or(f64::NAN),
                    baseline_wall_busy_w: base
                        .shown()
                        .map(|s| s.power.wall_busy)
                        .unwrap_or(f64::NAN),
                    swaps,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let roofline: Vec<RooflineOut> = if a.roofline {
        roofline(&answer, &hw, &model)
    } else {
        Vec::new()
    };
    let training = match a.train {
        Some(tokens) => train(&answer, &hw, &model, tokens)?,
        None => Vec::new(),
    };
    if a.json {
        return print_json(&Out {
            verdict: v,
            answer: &answer,
            tornado: tornado_rows,
            links,
            roofline,
            training,
        });
    }
    let dm = &answer.demand;
    println!(
        "Fleet for {} — {} ({} parameters, {} active), {} output tokens/s at the busiest hour ({} prompt and {} output tokens a request)\n  targets: time to first token ≤ {}, time per output token ≤ {}",
        d.deployment.name,
        answer.model,
        figure(answer.params_total),
        figure(answer.params_active),
        figure(dm.tokens_per_s),
        dm.prompt_tokens,
        dm.output_tokens,
        duration(dm.ttft),
        duration(dm.tpot),
    );
    let e = &answer.economics;
    println!(
        "  facility: PUE {}, {} USD/kWh, mean load {} of the busiest hour's, building {} USD per MW over {} years; hardware written off over {} years, maintenance {} a year\n",
        lightloop_rig::units::trim_float(e.pue, 3),
        lightloop_rig::units::trim_float(e.electricity_price * 3.6e6, 3),
        crate::table::pct(e.utilisation),
        figure(e.facility_cost_per_w * 1e6),
        lightloop_rig::units::trim_float(e.facility_life / lightloop_fleet::economics::YEAR, 3),
        lightloop_rig::units::trim_float(e.depreciation / lightloop_fleet::economics::YEAR, 3),
        crate::table::pct(e.maintenance),
    );
    print!("{}", wrap(&format!("Verdict: {v}"), 100, ""));
    println!();
    print!("{}", table(&answer.options));
    println!();
    for o in &answer.options {
        if let Some(b) = &o.binding {
            print!(
                "{}",
                wrap(
                    &format!("{} misses the targets — {b}.", o.hardware),
                    100,
                    "  "
                )
            );
        }
    }
    if let Some((hw_name, rows)) = &tornado_rows {
        println!("\nCost per million tokens of {hw_name} as each input moves (the rest held):");
        let mut t = Table::new(
            &["input", "low", "high", "USD/M tokens at low", "at high"],
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
        );
        for r in rows {
            t.row(vec![
                r.input.to_string(),
                r.low_value.clone(),
                r.high_value.clone(),
                figure(r.at_low),
                figure(r.at_high),
            ]);
        }
        println!("{}", t.render());
    }
    for l in &links {
        println!(
            "\n{} with photonic links (baseline {} USD per million tokens, {} at the wall):",
            l.gpu,
            figure(l.baseline_usd_per_m_tokens),
            si(l.baseline_wall_busy_w, "W")
        );
        let mut t = Table::new(
            &[
                "links",
                "in place of",
                "configuration",
                "link energy per token",
                "wall, busiest",
                "USD/M tokens",
            ],
            &[
                Align::Left,
                Align::Left,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
        );
        for sw in &l.swaps {
            t.row(vec![
                sw.tech.name.to_string(),
                match sw.replaces {
                    lightloop_gpu::roofline::Replaces::ScaleOut => "scale-out network".into(),
                    lightloop_gpu::roofline::Replaces::ScaleUp { domain } => {
                        format!("NVLink copper (domain {domain})")
                    }
                },
                sw.answer
                    .shown()
                    .map(|s| s.configuration.clone())
                    .unwrap_or_else(|| "–".into()),
                si(sw.link_j_per_token, "J"),
                si(sw.wall_busy, "W"),
                figure(sw.usd_per_m_tokens),
            ]);
        }
        println!("{}", t.render());
    }
    for r in &roofline {
        println!(
            "\nRoofline of {} (peak {}FLOP/s; memory {}, scale-up {}, scale-out {} per device):",
            r.ceilings.device,
            si(r.ceilings.peak, ""),
            si(r.ceilings.memory, "B/s"),
            si(r.ceilings.scale_up, "B/s"),
            si(r.ceilings.scale_out, "B/s"),
        );
        let mut t = Table::new(
            &[
                "operation",
                "FLOP per byte",
                "over",
                "attainable",
                "bound by",
            ],
            &[
                Align::Left,
                Align::Right,
                Align::Left,
                Align::Right,
                Align::Left,
            ],
        );
        for (op, att, bw_bound) in &r.operations {
            t.row(vec![
                op.name.clone(),
                figure(op.intensity()),
                over_name(op.over).into(),
                si(*att, "FLOP/s"),
                if *bw_bound {
                    over_name(op.over).into()
                } else {
                    "compute".into()
                },
            ]);
        }
        println!("{}", t.render());
    }
    if !training.is_empty() {
        println!("\nTraining {} tokens:", figure(a.train.unwrap_or(0.0)));
        let mut t = Table::new(
            &[
                "hardware",
                "devices",
                "time",
                "energy per token",
                "cost",
                "USD per M tokens",
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
        for r in &training {
            t.row(vec![
                r.hardware.clone(),
                count(r.devices as u64),
                duration(r.time),
                si(r.j_per_token, "J"),
                format!("{} USD", figure(r.cost)),
                figure(r.usd_per_m_tokens),
            ]);
        }
        println!("{}", t.render());
        for r in &training {
            print!(
                "{}",
                wrap(&format!("{}: {}", r.hardware, r.assumptions), 100, "  ")
            );
        }
    }
    println!();
    print!(
        "{}",
        wrap(
            "GPUs: lightloop's serving model (see `lightloop gpu validate`), whole nodes bought and powered; rigs: the cost model, each rig with its host share, pipelines long enough that hosts' memory (and, for persistent weights, the optics) holds the model. Busy: every device loaded at the busiest hour; the rest of the year idle. Power at the wall = IT power × PUE.",
            100,
            ""
        )
    );
    Ok(())
}

fn table(options: &[OptionAnswer]) -> String {
    let mut head = vec![String::new()];
    head.extend(options.iter().map(|o| o.hardware.clone()));
    let refs: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut align = vec![Align::Left];
    align.extend(std::iter::repeat_n(Align::Right, options.len()));
    let mut t = Table::new(&refs, &align);
    let shown: Vec<Option<&Sizing>> = options.iter().map(OptionAnswer::shown).collect();
    let mut line = |label: &str, f: &dyn Fn(&Sizing) -> String| {
        let mut cells = vec![label.to_string()];
        cells.extend(shown.iter().map(|s| s.map(f).unwrap_or_else(|| "–".into())));
        t.row(cells);
    };
    line("targets met", &|s| {
        if s.meets_targets {
            "yes".into()
        } else {
            "no (closest shown)".into()
        }
    });
    line("configuration", &|s| s.configuration.clone());
    line("devices", &|s| device_count(s.kind, s.devices));
    line("hosts (nodes or host shares)", &|s| count(s.hosts));
    line("racks", &|s| count(s.racks));
    line("time to first token", &|s| duration(s.ttft));
    line("time per output token", &|s| duration(s.tpot));
    line("power at the wall, busiest hour", &|s| {
        si(s.power.wall_busy, "W")
    });
    line("power at the wall, year's mean", &|s| {
        si(s.power.wall_mean, "W")
    });
    line("output tokens/s per MW (busiest)", &|s| {
        figure(s.tokens_per_s_per_mw)
    });
    line("energy per token at the wall (mean)", &|s| {
        si(s.cost.j_per_token_wall, "J")
    });
    line("hardware price", &|s| {
        format!("{} USD", figure(s.cost.hardware))
    });
    line("cost per year", &|s| {
        format!("{} USD", figure(s.cost.total_per_year))
    });
    line("  of which electricity", &|s| {
        format!("{} USD", figure(s.cost.energy_per_year))
    });
    line("cost per million tokens", &|s| {
        format!("{} USD", figure(s.cost.usd_per_m_tokens))
    });
    let mut out = t.render();
    out.push('\n');
    for (o, s) in options.iter().zip(&shown) {
        if let Some(s) = s {
            out.push_str(&format!("  weights on {}: {}\n", o.hardware, s.weights));
        }
    }
    out
}

fn over_name(o: Over) -> &'static str {
    match o {
        Over::Memory => "memory",
        Over::ScaleUp => "scale-up link",
        Over::ScaleOut => "scale-out link",
    }
}

/// The deployment's operations against every option's ceilings (a rig: its peak MAC rate, its
/// host's memory and its host link).
fn roofline(
    answer: &FleetAnswer,
    hw: &Hardware,
    model: &lightloop_rig::Workload,
) -> Vec<RooflineOut> {
    let mut out = Vec::new();
    for (o, g) in answer.options.iter().zip(&hw.gpus) {
        let Some(s) = o.shown() else { continue };
        let (tp, ep) = s
            .split
            .map(|x| (x.tp as f64, x.ep as f64))
            .unwrap_or((1.0, 1.0));
        let c = Ceilings::of_gpu(g, model.run.weight_bits);
        out.push(with_ops(c, model, s.batch, tp, ep));
    }
    for r in &hw.rigs {
        let Ok(e) = lightloop_cost::evaluate(r, model) else {
            continue;
        };
        let c = Ceilings {
            device: r.rig.name.clone(),
            peak: 2.0 * e.rates.peak_macs_per_s,
            memory: r.host.memory_bandwidth.si(),
            scale_up: r.host.link_bandwidth.si(),
            scale_out: r.host.link_bandwidth.si(),
        };
        out.push(with_ops(c, model, model.run.batch as f64, 1.0, 1.0));
    }
    out
}

fn with_ops(
    c: Ceilings,
    model: &lightloop_rig::Workload,
    batch: f64,
    tp: f64,
    ep: f64,
) -> RooflineOut {
    let ops = operations(model, batch, model.run.prompt_tokens as f64, tp, ep)
        .into_iter()
        .map(|op| {
            let att = op.attainable(&c);
            let b = op.bandwidth_bound(&c);
            (op, att, b)
        })
        .collect();
    RooflineOut {
        ceilings: c,
        operations: ops,
    }
}

/// Training runs on every option, with its fleet's devices.
fn train(
    answer: &FleetAnswer,
    hw: &Hardware,
    model: &lightloop_rig::Workload,
    tokens: f64,
) -> CliResult<Vec<lightloop_fleet::training::Run>> {
    if !(tokens.is_finite() && tokens >= 1.0) {
        return Err(CliError::BadInput(format!(
            "--train {tokens}: give a number of tokens of at least 1"
        )));
    }
    let econ = &answer.economics;
    let mut out = Vec::new();
    let mut opts = answer.options.iter();
    for g in &hw.gpus {
        let n = opts
            .next()
            .and_then(|o| o.shown())
            .map(|s| s.devices as f64)
            .unwrap_or(8.0);
        out.push(lightloop_fleet::training::on_gpus(
            g, model, tokens, n, econ,
        ));
    }
    for r in &hw.rigs {
        let n = opts
            .next()
            .and_then(|o| o.shown())
            .map(|s| s.devices as f64)
            .unwrap_or(1.0);
        match lightloop_fleet::training::on_rigs(r, model, tokens, n, econ) {
            Ok(run) => out.push(run),
            Err(e) => eprintln!("  {} cannot train the model: {e}", r.rig.name),
        }
    }
    Ok(out)
}

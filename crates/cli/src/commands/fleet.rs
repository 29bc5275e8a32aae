//! `lightloop fleet`.

use super::print_json;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table, si, wrap};
use clap::Args;
use lightloop_fleet::verdict::{count, device_count, duration, figure, verdict};
use lightloop_fleet::{FleetAnswer, FleetError, Hardware, OptionAnswer, Sizing};
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
    /// Print JSON instead of tables
    #[arg(long)]
    pub json: bool,
}

impl From<FleetError> for CliError {
    fn from(e: FleetError) -> Self {
        match e {
            FleetError::Input(e) => CliError::Input(e),
            FleetError::Model(m) => CliError::BadInput(m),
        }
    }
}

#[derive(Serialize)]
struct Out<'a> {
    verdict: String,
    answer: &'a FleetAnswer,
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
    if a.json {
        return print_json(&Out {
            verdict: v,
            answer: &answer,
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

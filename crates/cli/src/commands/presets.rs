//! `lightloop presets`.

use super::print_json;
use crate::load::{CliError, CliResult};
use crate::table::{Align, Table};
use lightloop_rig::presets::{self, PRESETS, Preset};
use lightloop_rig::{Deployment, DescKind, Document, Gpu, Rig, Workload};
use serde::Serialize;

#[derive(Serialize)]
struct Listed {
    name: &'static str,
    kind: &'static str,
    default: bool,
    summary: &'static str,
}

fn is_default(p: &Preset) -> bool {
    match p.kind {
        DescKind::Rig => p.name == presets::DEFAULT_RIG,
        DescKind::Workload => p.name == presets::DEFAULT_WORKLOAD,
        DescKind::Gpu => p.name == presets::DEFAULT_GPU,
        DescKind::Deployment => p.name == presets::DEFAULT_DEPLOYMENT,
    }
}

pub fn list(json: bool) -> CliResult<()> {
    if json {
        let all: Vec<Listed> = PRESETS
            .iter()
            .map(|p| Listed {
                name: p.name,
                kind: p.kind.noun(),
                default: is_default(p),
                summary: presets::summary(p),
            })
            .collect();
        return print_json(&all);
    }
    for (kind, title) in [
        (DescKind::Rig, "rigs"),
        (DescKind::Workload, "workloads"),
        (DescKind::Gpu, "GPUs"),
        (DescKind::Deployment, "deployments"),
    ] {
        let mut t = Table::new(&[title, "summary"], &[Align::Left, Align::Left]);
        for p in PRESETS.iter().filter(|p| p.kind == kind) {
            let default = if is_default(p) { " (default)" } else { "" };
            t.row(vec![
                format!("{}{default}", p.name),
                presets::summary(p).to_string(),
            ]);
        }
        println!("{}\n", t.render());
    }
    println!(
        "Print one with `lightloop presets show NAME`; a file can start from one with `extends = \"NAME\"`."
    );
    Ok(())
}

/// A preset as JSON: its name, kind, TOML text and the resolved description (`extends`
/// followed, defaults filled in, units written out).
#[derive(Serialize)]
struct Shown<'a> {
    name: &'a str,
    kind: &'static str,
    toml: &'a str,
    resolved: serde_json::Value,
}

fn resolved(p: &Preset) -> CliResult<serde_json::Value> {
    let doc = Document::load(p.kind, p.name)?;
    let json = |v: Result<serde_json::Value, serde_json::Error>| {
        v.map_err(|e| CliError::Message(format!("preset {}: {e}", p.name)))
    };
    match p.kind {
        DescKind::Rig => json(serde_json::to_value(doc.parse::<Rig>()?)),
        DescKind::Workload => json(serde_json::to_value(doc.parse::<Workload>()?)),
        DescKind::Gpu => json(serde_json::to_value(doc.parse::<Gpu>()?)),
        DescKind::Deployment => json(serde_json::to_value(doc.parse::<Deployment>()?)),
    }
}

pub fn show(name: &str, json: bool) -> CliResult<()> {
    match PRESETS.iter().find(|p| p.name == name) {
        Some(p) if json => print_json(&Shown {
            name: p.name,
            kind: p.kind.noun(),
            toml: p.text,
            resolved: resolved(p)?,
        }),
        Some(p) => {
            print!("{}", p.text);
            Ok(())
        }
        None => {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
            Err(CliError::BadInput(format!(
                "no preset named \"{name}\"{}; presets: {}",
                lightloop_rig::document::suggest(name, &names),
                names.join(", ")
            )))
        }
    }
}

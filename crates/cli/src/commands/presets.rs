//! `lightloop presets`.

use crate::load::{CliError, CliResult};
use crate::table::{Align, Table};
use lightloop_rig::DescKind;
use lightloop_rig::presets::{self, PRESETS};

pub fn list() -> CliResult<()> {
    for (kind, title) in [
        (DescKind::Rig, "rigs"),
        (DescKind::Workload, "workloads"),
        (DescKind::Gpu, "GPUs"),
        (DescKind::Deployment, "deployments"),
    ] {
        let mut t = Table::new(&[title, "summary"], &[Align::Left, Align::Left]);
        for p in PRESETS.iter().filter(|p| p.kind == kind) {
            let default = match kind {
                DescKind::Rig if p.name == presets::DEFAULT_RIG => " (default)",
                DescKind::Workload if p.name == presets::DEFAULT_WORKLOAD => " (default)",
                DescKind::Gpu if p.name == presets::DEFAULT_GPU => " (default)",
                DescKind::Deployment if p.name == presets::DEFAULT_DEPLOYMENT => " (default)",
                _ => "",
            };
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

pub fn show(name: &str) -> CliResult<()> {
    match PRESETS.iter().find(|p| p.name == name) {
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

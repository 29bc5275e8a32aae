//! `lightloop validate`.

use crate::load::{CliError, CliResult};
use lightloop_rig::{DescKind, Document, Gpu, InputErrors, Rig, Workload};
use std::path::PathBuf;

/// Recognises a description's kind from its top-level sections (following `extends`).
fn kind_of(doc_text: &str) -> DescKind {
    let table: toml::Table = toml::from_str(doc_text).unwrap_or_default();
    if let Some(base) = table.get("extends").and_then(|v| v.as_str())
        && let Some(p) = lightloop_rig::presets::PRESETS
            .iter()
            .find(|p| p.name == base)
    {
        return p.kind;
    }
    if table.contains_key("gpu") {
        DescKind::Gpu
    } else if table.contains_key("deployment") || table.contains_key("traffic") {
        DescKind::Deployment
    } else if ["workload", "run", "model", "loop"]
        .iter()
        .any(|k| table.contains_key(*k))
    {
        DescKind::Workload
    } else {
        DescKind::Rig
    }
}

pub fn run(files: &[PathBuf]) -> CliResult<()> {
    let mut errors = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let kind = kind_of(&text);
        let result = Document::from_file(kind, f).and_then(|doc| match kind {
            DescKind::Rig => doc.parse::<Rig>().map(|_| ()),
            DescKind::Workload => doc.parse::<Workload>().map(|_| ()),
            DescKind::Gpu => doc.parse::<Gpu>().map(|_| ()),
            DescKind::Deployment => doc.parse::<lightloop_rig::Deployment>().map(|_| ()),
        });
        match result {
            Ok(()) => println!("{}: a valid {}", f.display(), kind.noun()),
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(InputErrors(errors)))
    }
}

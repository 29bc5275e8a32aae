//! `lightloop validate`.

use crate::load::{CliError, CliResult};
use lightloop_rig::{DescKind, Document, Gpu, InputErrors, Rig, Workload};
use serde::Serialize;
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

/// One file's verdict, for `--json`.
#[derive(Serialize)]
struct Checked {
    file: String,
    kind: &'static str,
    valid: bool,
    problems: Vec<lightloop_rig::InputError>,
}

pub fn run(files: &[PathBuf], json: bool) -> CliResult<()> {
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    for f in files {
        let shown = if f.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            f.display().to_string()
        };
        // Read once (a pipe or standard input cannot be read twice), within the size limit.
        let text = lightloop_rig::document::read_text(f);
        let kind = text.as_deref().map(kind_of).unwrap_or(DescKind::Rig);
        let result = text
            .and_then(|t| Document::from_read(kind, f, &t))
            .and_then(|doc| match kind {
                DescKind::Rig => doc.parse::<Rig>().map(|_| ()),
                DescKind::Workload => doc.parse::<Workload>().map(|_| ()),
                DescKind::Gpu => doc.parse::<Gpu>().map(|_| ()),
                DescKind::Deployment => doc.parse::<lightloop_rig::Deployment>().map(|_| ()),
            });
        let problems = match &result {
            Ok(()) => vec![],
            Err(e) => e.0.clone(),
        };
        checked.push(Checked {
            file: shown.clone(),
            kind: kind.noun(),
            valid: result.is_ok(),
            problems,
        });
        match result {
            Ok(()) if !json => println!("{shown}: a valid {}", kind.noun()),
            Ok(()) => {}
            Err(e) => errors.extend(e.0),
        }
    }
    if json {
        super::print_json(&checked)?;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(InputErrors(errors)))
    }
}

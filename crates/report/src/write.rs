//! Writing a built report: `DIR/report.html` with `csv/`, `figures/` (SVG and PDF) and the
//! descriptions beside it, under `DIR.partial/` until every file is written
//! ([`lightloop_base::output::OutputDir`]).

use crate::html;
use crate::sections::Report;
use lightloop_base::output::{OutputDir, OutputError};
use serde::Serialize;
use std::path::Path;

/// What was written, with every path (as given by the output folder).
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub report: String,
    pub rig: String,
    pub workload: String,
    pub seed: u64,
    pub quick: bool,
    pub verdict: Option<String>,
    pub sections: Vec<WrittenSection>,
    pub csv: Vec<String>,
    pub descriptions: Vec<String>,
    pub regenerate: String,
    /// Sections this rig cannot have, each with why.
    pub not_computed: Vec<String>,
}

/// One section's files.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenSection {
    pub id: &'static str,
    pub title: &'static str,
    pub figures: Vec<WrittenFigure>,
    pub skipped: Vec<String>,
}

/// One figure's files and caption.
#[derive(Debug, Clone, Serialize)]
pub struct WrittenFigure {
    pub svg: String,
    pub pdf: String,
    pub csv: String,
    pub caption: String,
}

/// Writes `report` to the folder `dir` (replacing an earlier report there, refusing any other
/// folder; `option` names the choice in messages) and lists what it wrote.
pub fn write(report: &Report, dir: &Path, option: &str) -> Result<Written, OutputError> {
    let out = OutputDir::create(dir, "report.html", option)?;
    for c in &report.csvs {
        out.text(&format!("csv/{}", c.name), &c.text)?;
    }
    for d in &report.descriptions {
        out.text(&d.name, &d.text)?;
    }
    for f in report.sections.iter().flat_map(|s| &s.figures) {
        out.text(&format!("figures/{}.svg", f.name), &f.svg)?;
        out.bytes(&format!("figures/{}.pdf", f.name), &f.pdf)?;
    }
    out.text("report.html", &html::page(report))?;
    let dir = out.finish()?;
    let path = |p: &str| dir.join(p).display().to_string();
    Ok(Written {
        report: path("report.html"),
        rig: report.rig_name.clone(),
        workload: report.workload_name.clone(),
        seed: report.seed,
        quick: report.quick,
        verdict: report.verdict.clone(),
        sections: report
            .sections
            .iter()
            .map(|s| WrittenSection {
                id: s.id,
                title: s.title,
                figures: s
                    .figures
                    .iter()
                    .map(|f| WrittenFigure {
                        svg: path(&format!("figures/{}.svg", f.name)),
                        pdf: path(&format!("figures/{}.pdf", f.name)),
                        csv: path(&format!("csv/{}", f.csv)),
                        caption: f.caption.clone(),
                    })
                    .collect(),
                skipped: s.skipped.clone(),
            })
            .collect(),
        csv: report
            .csvs
            .iter()
            .map(|c| path(&format!("csv/{}", c.name)))
            .collect(),
        descriptions: report.descriptions.iter().map(|d| path(&d.name)).collect(),
        regenerate: report.regenerate.clone(),
        not_computed: report.not_computed.clone(),
    })
}

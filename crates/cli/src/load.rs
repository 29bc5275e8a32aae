//! Loading descriptions from the command line: a preset name or a file, plus `--set` overrides
//! routed to the rig or the workload by their section.

use lightloop_cost::sweep::Axis;
use lightloop_rig::{DescKind, Document, Gpu, InputErrors, Loaded, Rig, Workload};
use std::fmt;

/// Errors the binary reports.
#[derive(Debug)]
pub enum CliError {
    /// Bad descriptions: printed with file, line and key.
    Input(InputErrors),
    /// Bad arguments (not a description), as a sentence.
    BadInput(String),
    /// Anything else, as a sentence.
    Message(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(e) => write!(f, "{e}"),
            CliError::BadInput(m) | CliError::Message(m) => f.write_str(m),
        }
    }
}

impl From<InputErrors> for CliError {
    fn from(e: InputErrors) -> Self {
        CliError::Input(e)
    }
}

impl From<String> for CliError {
    fn from(m: String) -> Self {
        CliError::Message(m)
    }
}

impl From<lightloop_cost::CostError> for CliError {
    fn from(e: lightloop_cost::CostError) -> Self {
        if e.is_input() {
            CliError::BadInput(e.to_string())
        } else {
            CliError::Message(e.to_string())
        }
    }
}

impl From<lightloop_base::output::OutputError> for CliError {
    fn from(e: lightloop_base::output::OutputError) -> Self {
        if e.is_input() {
            CliError::BadInput(e.to_string())
        } else {
            CliError::Message(e.to_string())
        }
    }
}

impl From<lightloop_plot::PlotError> for CliError {
    fn from(e: lightloop_plot::PlotError) -> Self {
        CliError::Message(e.to_string())
    }
}

impl From<lightloop_gpu::GpuError> for CliError {
    fn from(e: lightloop_gpu::GpuError) -> Self {
        CliError::BadInput(e.to_string())
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// Splits `--set` assignments into rig and workload ones by the key's first section.
pub fn route_sets(sets: &[String]) -> (Vec<String>, Vec<String>) {
    sets.iter().cloned().partition(|s| {
        let key = s.split('=').next().unwrap_or("");
        !Axis {
            key: key.trim().to_string(),
            values: lightloop_cost::sweep::Values::List(vec![]),
        }
        .is_workload()
    })
}

fn load_doc(kind: DescKind, spec: &str, sets: &[String]) -> CliResult<Document> {
    let mut doc = Document::load(kind, spec)?;
    for s in sets {
        doc.set(s)?;
    }
    Ok(doc)
}

/// A rig and a workload that fit together.
pub struct Pair {
    pub rig: Loaded<Rig>,
    pub workload: Loaded<Workload>,
}

pub fn load_pair(rig: &str, workload: &str, sets: &[String]) -> CliResult<Pair> {
    let (rig_sets, wl_sets) = route_sets(sets);
    let rig_doc = load_doc(DescKind::Rig, rig, &rig_sets)?;
    let wl_doc = load_doc(DescKind::Workload, workload, &wl_sets)?;
    // Report problems in both descriptions at once.
    let r = rig_doc.parse::<Rig>();
    let w = wl_doc.parse::<Workload>();
    let (r, w) = match (r, w) {
        (Ok(r), Ok(w)) => (r, w),
        (r, w) => {
            let mut all = Vec::new();
            if let Err(e) = r {
                all.extend(e.0);
            }
            if let Err(e) = w {
                all.extend(e.0);
            }
            return Err(InputErrors(all).into());
        }
    };
    let pair = Pair {
        rig: Loaded::new(DescKind::Rig, rig_doc, r),
        workload: Loaded::new(DescKind::Workload, wl_doc, w),
    };
    lightloop_rig::check_pair(&pair.rig, &pair.workload)?;
    Ok(pair)
}

pub fn load_rig(spec: &str, sets: &[String]) -> CliResult<Loaded<Rig>> {
    Ok(lightloop_rig::load_rig(spec, sets)?)
}

pub fn load_gpu(spec: &str) -> CliResult<Loaded<Gpu>> {
    Ok(lightloop_rig::load_gpu(spec, &[])?)
}

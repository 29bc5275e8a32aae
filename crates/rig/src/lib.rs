//! # lightloop-rig
//!
//! Descriptions of an optical co-processor rig, of the workload it runs, and of the GPUs it is
//! compared with: typed, unit-carrying, validated, and traceable to the file, line and key each
//! value came from.
//!
//! ```
//! let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap();
//! assert_eq!(rig.value.topology.channels, 16);
//! assert_eq!(rig.value.topology.symbol_period.si(), 6e-9);
//! ```

pub mod constants;
pub mod deployment;
pub mod document;
pub mod error;
pub mod gpu;
pub mod presets;
pub mod provenance;
pub mod rig;
pub mod units;
pub mod validate;
pub mod work;
pub mod workload;

pub use deployment::Deployment;
pub use document::{DescKind, Document};
pub use error::{ErrorKind, InputError, InputErrors};
pub use gpu::Gpu;
pub use provenance::{Named, Provenance};
pub use rig::{Architecture, Rig, Tier};
pub use validate::{Derive, Problem, Validate};
pub use workload::{OpticalOp, Workload, WorkloadKind};

use serde::de::DeserializeOwned;

/// A description together with the document it was read from (for locating later problems)
/// and where its values came from.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The description, named by its provenance's title (a modified preset never passes for
    /// the preset).
    pub value: T,
    pub doc: Document,
    pub provenance: Provenance,
}

impl<T> Loaded<T>
where
    T: DeserializeOwned + Validate + serde::Serialize + Named,
{
    /// A parsed description with its provenance; its name becomes the provenance's title.
    pub fn new(kind: DescKind, doc: Document, mut value: T) -> Self {
        let provenance = provenance::of(kind, &doc, &value);
        value.set_name(provenance.title.clone());
        Self {
            value,
            doc,
            provenance,
        }
    }
}

fn load<T: DeserializeOwned + Validate + serde::Serialize + Named>(
    kind: DescKind,
    spec: &str,
    sets: &[String],
) -> Result<Loaded<T>, InputErrors> {
    let mut doc = Document::load(kind, spec)?;
    for s in sets {
        doc.set(s)?;
    }
    let value = doc.parse()?;
    Ok(Loaded::new(kind, doc, value))
}

/// Loads a rig from a file path or preset name, with `KEY=VALUE` overrides applied on top.
pub fn load_rig(spec: &str, sets: &[String]) -> Result<Loaded<Rig>, InputErrors> {
    load(DescKind::Rig, spec, sets)
}

/// Loads a workload from a file path or preset name, with overrides.
pub fn load_workload(spec: &str, sets: &[String]) -> Result<Loaded<Workload>, InputErrors> {
    load(DescKind::Workload, spec, sets)
}

/// Loads a GPU description from a file path or preset name, with overrides.
pub fn load_gpu(spec: &str, sets: &[String]) -> Result<Loaded<Gpu>, InputErrors> {
    load(DescKind::Gpu, spec, sets)
}

/// Loads a deployment from a file path or preset name, with overrides.
pub fn load_deployment(spec: &str, sets: &[String]) -> Result<Loaded<Deployment>, InputErrors> {
    load(DescKind::Deployment, spec, sets)
}

/// Reads and validates a description from an already merged table (used by sweeps, where each
/// grid point is the base table with a few keys replaced).
pub fn from_table<T: DeserializeOwned + Validate>(table: &toml::Table) -> Result<T, Vec<Problem>> {
    let value: T = document::deserialize_table(table).map_err(|p| vec![p])?;
    let problems = value.problems();
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(problems)
    }
}

/// Problems that only show when a rig and a workload meet: the loop state must divide into the
/// rig's channels and fit its delay line; fixed-weight optics cannot hold trained weights.
/// Each problem is addressed to a key of the workload (`.0`) or of the rig (`.1`).
pub fn pair_problems(rig: &Rig, wl: &Workload) -> (Vec<Problem>, Vec<Problem>) {
    let mut on_wl = Vec::new();
    let mut on_rig = Vec::new();
    let t = &rig.topology;
    if let Some(width) = wl.loop_width() {
        let key = if wl.loop_block.as_ref().is_some_and(|l| l.width.is_some()) {
            "loop.width"
        } else {
            "model.d_model"
        };
        if width % t.channels != 0 {
            on_wl.push(Problem::new(
                key,
                ErrorKind::Topology,
                format!(
                    "the loop state of width {width} does not divide into the rig's topology.channels = {} (d_model = channels × slots)",
                    t.channels
                ),
            ));
        } else if width / t.channels > t.slots_per_channel {
            on_wl.push(Problem::new(
                key,
                ErrorKind::Topology,
                format!(
                    "the loop state of width {width} needs {} slots per channel, but the rig's delay line holds topology.slots_per_channel = {}",
                    width / t.channels,
                    t.slots_per_channel
                ),
            ));
        }
    }
    let optical_work = !wl.run.optical_ops.is_empty()
        || (wl.loop_block.is_some() && wl.workload.kind != WorkloadKind::Kernel);
    if !t.architecture.programmable() && optical_work {
        on_rig.push(Problem::new(
            "topology.architecture",
            ErrorKind::Topology,
            format!(
                "{} realises fixed weights; the workload's trained layers cannot be mapped onto it (only kernel workloads, which accept any fixed matrix, can run)",
                t.architecture.name()
            ),
        ));
    }
    (on_wl, on_rig)
}

/// [`pair_problems`] as located errors, naming both files.
pub fn check_pair(rig: &Loaded<Rig>, wl: &Loaded<Workload>) -> Result<(), InputErrors> {
    let (on_wl, on_rig) = pair_problems(&rig.value, &wl.value);
    let mut errors = wl.doc.problems_to_errors(on_wl).0;
    errors.extend(rig.doc.problems_to_errors(on_rig).0);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(errors))
    }
}

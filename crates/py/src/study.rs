//! The report and the fleet model from Python.

use crate::convert::to_py;
use crate::desc::{deployment_arg, gpus_or_default, rig_or_default, workload_arg};
use crate::error::Fail;
use crate::run::long;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Writes the HTML report of a rig (SVG plots inline, the data behind every plot in `csv/`,
/// each figure as SVG and PDF in `figures/`) to the folder `out`, replacing an earlier report
/// there and refusing any other folder. Returns what was written: paths, the verdict, every
/// section's captions. `quick=True` takes seconds with fewer points.
#[pyfunction]
#[pyo3(signature = (rig = None, workload = None, out = PathBuf::from("lightloop-report"), gpus = None, seed = 1, quick = false, threads = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn report(
    py: Python<'_>,
    rig: Option<&Bound<'_, PyAny>>,
    workload: Option<&Bound<'_, PyAny>>,
    out: PathBuf,
    gpus: Option<Vec<Bound<'_, PyAny>>>,
    seed: u64,
    quick: bool,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let r = rig_or_default(rig)?;
    let w = match workload {
        Some(w) => workload_arg(w)?,
        None => crate::desc::preset(
            lightloop_rig::DescKind::Workload,
            lightloop_rig::presets::DEFAULT_WORKLOAD,
        )?,
    };
    lightloop_rig::check_pair(&r, &w).map_err(Fail::Input)?;
    let gpus = gpus_or_default(gpus)?;
    let settings = lightloop_report::Settings {
        rig: r.value,
        workload: w.value,
        gpus,
        seed,
        quick,
        provenance: vec![r.provenance, w.provenance],
    };
    let written = long(py, threads, progress, |control| {
        let total = lightloop_report::sections::STEPS.len() as u64;
        let report =
            lightloop_report::build(&settings, &mut |step| control.progress(step as u64, total))
                .map_err(|e| {
                    Fail::of(
                        matches!(e, lightloop_report::ReportError::Incompatible(_)),
                        e,
                    )
                })?;
        lightloop_report::write(&report, &out, "out=").map_err(|e| Fail::of(e.is_input(), e))
    })?;
    to_py(py, &written)
}

/// Sizes fleets of optical rigs and GPUs for a deployment (default: the built-in one, a
/// trillion-parameter MoE): for each hardware option, the devices, racks, interconnect, power
/// at the facility and cost of ownership that meet the demand, with the verdict in words.
#[pyfunction]
#[pyo3(signature = (deployment = None))]
pub fn fleet(py: Python<'_>, deployment: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let d = match deployment {
        Some(d) => deployment_arg(d)?,
        None => crate::desc::preset(
            lightloop_rig::DescKind::Deployment,
            lightloop_rig::presets::DEFAULT_DEPLOYMENT,
        )?,
    };
    let fail = Fail::from;
    let model = lightloop_fleet::served_model(&d.value).map_err(fail)?;
    let hw = lightloop_fleet::Hardware::of(&d.value).map_err(fail)?;
    let answer = lightloop_fleet::size(&d.value, &model, &hw);
    #[derive(serde::Serialize)]
    struct Out<'a> {
        verdict: String,
        #[serde(flatten)]
        answer: &'a lightloop_fleet::FleetAnswer,
    }
    to_py(
        py,
        &Out {
            verdict: lightloop_fleet::verdict::verdict(&answer),
            answer: &answer,
        },
    )
}

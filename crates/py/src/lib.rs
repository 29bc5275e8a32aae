//! # lightloop (Python)
//!
//! The Python package's native module, `lightloop._native`: descriptions (`Rig`, `Workload`,
//! `Gpu`, `Deployment`) and every main capability of the library crates — the cost model
//! (`evaluate`, `compare`, `audit`, sweeps), the time-domain engine (`simulate`, `test_plan`),
//! reservoirs on NumPy inputs, the loop-network experiments, pretrained transformers and users' own ONNX models on the twin, the report and the fleet model — as Python objects and NumPy
//! arrays. A thin front end: every number comes from the same library calls as the command
//! line's. The pure-Python part of the package (`python/lightloop/`) adds DataFrames, the
//! distributed runs and the type stubs.

mod convert;
mod cost;
mod desc;
mod error;
mod experiment;
mod onnx;
mod physics;
mod pretrained;
mod reservoir;
mod run;
mod study;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("InputError", py.get_type::<error::InputError>())?;
    m.add_class::<error::Problem>()?;
    m.add_class::<desc::Rig>()?;
    m.add_class::<desc::Workload>()?;
    m.add_class::<desc::Gpu>()?;
    m.add_class::<desc::Deployment>()?;
    m.add_class::<cost::Evaluation>()?;
    m.add_class::<reservoir::Reservoir>()?;
    m.add_class::<onnx::OnnxModel>()?;
    m.add_class::<onnx::OnRig>()?;
    m.add_function(wrap_pyfunction!(cost::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(cost::compare, m)?)?;
    m.add_function(wrap_pyfunction!(cost::audit, m)?)?;
    m.add_function(wrap_pyfunction!(cost::sweep_to_file, m)?)?;
    m.add_function(wrap_pyfunction!(cost::merge_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(physics::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(physics::merge_counts, m)?)?;
    m.add_function(wrap_pyfunction!(physics::test_plan, m)?)?;
    m.add_function(wrap_pyfunction!(study::report, m)?)?;
    m.add_function(wrap_pyfunction!(experiment::experiment, m)?)?;
    m.add_function(wrap_pyfunction!(experiment::experiment_config, m)?)?;
    m.add_function(wrap_pyfunction!(study::fleet, m)?)?;
    m.add_function(wrap_pyfunction!(pretrained::model_eval, m)?)?;
    m.add_function(wrap_pyfunction!(pretrained::model_list, m)?)?;
    m.add_function(wrap_pyfunction!(pretrained::model_fetch, m)?)?;
    m.add_function(wrap_pyfunction!(run::set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(run::threads, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

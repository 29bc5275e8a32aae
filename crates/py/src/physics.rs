//! The time-domain engine from Python: `simulate` (one channel's reference chain at one received
//! power, its trace as NumPy arrays) and `test_plan` (the bench's measurement plan).

use crate::convert::to_py;
use crate::desc::rig_or_default;
use crate::error::{Fail, Result};
use crate::run::long;
use lightloop_physics::chain::{ReferenceChain, SimSettings};
use lightloop_physics::instruments::ber::{self, ESTIMATED_RATE, MAX_SAMPLES_PER_SYMBOL};
use lightloop_physics::instruments::plan::{self, PlanSettings};
use lightloop_physics::rng::stream;
use lightloop_rig::units::{dim, parse_quantity};
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Symbols per block of the chain: the cancel flag and the progress are checked between blocks.
const BLOCK: usize = 8192;

/// A received power given as a string with its unit ("-30 dBm", "1 µW") or a float in W.
fn power_arg(v: &Bound<'_, PyAny>) -> Result<f64> {
    let p = if let Ok(s) = v.extract::<String>() {
        parse_quantity::<dim::Power>(&s).map_err(|e| Fail::arg("power", format!("{s:?}: {e:?}")))?
    } else {
        v.extract::<f64>().map_err(|_| {
            Fail::arg(
                "power",
                "expected a power with its unit (\"-30 dBm\") or a float in W",
            )
        })?
    };
    if !(p.is_finite() && p > 0.0) {
        return Err(Fail::arg(
            "power",
            format!("the received power must be positive, not {p} W"),
        ));
    }
    Ok(p)
}

/// Runs the reference chain of one channel of the rig (laser → modulator → path → SOA →
/// saturable absorber → attenuator → photodiode → TIA → integrate-and-dump → ternary
/// comparator) on `symbols` random ternary symbols at the full-scale received `power`, every
/// noise source on. Returns a dict: the symbol- and bit-error counts with Wilson 95 %
/// intervals, the eye, the energy ledger (J) and, with `trace=True`, the arrays `sent` (int8),
/// `readout_v` (float64) and `decided` (int8), one entry per symbol. The same seed gives the
/// same numbers whatever the thread count. Ctrl-C stops it within a block of 8192 symbols.
#[pyfunction]
#[pyo3(signature = (rig = None, power = None, symbols = 100_000, samples_per_symbol = 8, seed = 1, trace = false, time_limit = 3600.0, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    py: Python<'_>,
    rig: Option<&Bound<'_, PyAny>>,
    power: Option<&Bound<'_, PyAny>>,
    symbols: usize,
    samples_per_symbol: usize,
    seed: u64,
    trace: bool,
    time_limit: f64,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let rig = rig_or_default(rig)?.value;
    let power = match power {
        Some(p) => power_arg(p)?,
        None => parse_quantity::<dim::Power>("-30 dBm").expect("a valid power"),
    };
    if symbols == 0 || samples_per_symbol == 0 {
        return Err(Fail::arg(
            "symbols",
            "symbols and samples_per_symbol must be at least 1",
        )
        .into());
    }
    if samples_per_symbol > MAX_SAMPLES_PER_SYMBOL {
        return Err(Fail::arg(
            "samples_per_symbol",
            format!("at most {MAX_SAMPLES_PER_SYMBOL} (a block of {BLOCK} symbols holds 8 bytes per sample in each buffer)"),
        )
        .into());
    }
    if !(time_limit.is_finite() && time_limit > 0.0) {
        return Err(Fail::arg("time_limit", "a positive number of seconds").into());
    }
    let seconds = symbols as f64 * samples_per_symbol as f64 / ESTIMATED_RATE;
    if seconds > time_limit {
        return Err(Fail::arg(
            "time_limit",
            format!(
                "{symbols} symbols × {samples_per_symbol} samples is about {seconds:.0} s at 10⁷ channel-samples per second, over time_limit={time_limit} s; raise it to run longer"
            ),
        )
        .into());
    }
    // A trace holds 10 bytes per symbol: bounded like the run itself.
    if trace && symbols > 100_000_000 {
        return Err(Fail::arg(
            "trace",
            "a trace holds at most 10⁸ symbols (1 GB); run without trace=True",
        )
        .into());
    }
    let sim = SimSettings {
        seed,
        samples_per_symbol,
        ..SimSettings::default()
    };
    let out = long(py, Some(1), progress, |control| {
        let mut chain = ReferenceChain::from_rig(&rig, &sim, 0, 0);
        chain.set_received_power(power);
        chain.calibrate(500);
        let mut rng = stream(seed, "bench.symbols", 0, 0);
        let (mut sent, mut readout, mut decided) = (Vec::new(), Vec::new(), Vec::new());
        let counted =
            ber::count_symbols(&mut chain, &mut rng, symbols, BLOCK, |first, s, r, d| {
                control.check()?;
                if trace {
                    sent.extend_from_slice(s);
                    readout.extend_from_slice(r);
                    decided.extend_from_slice(d);
                }
                control.progress((first + s.len()) as u64, symbols as u64);
                Ok::<(), Fail>(())
            })?;
        Ok((chain, counted, sent, readout, decided))
    })?;
    let (chain, counted, sent, readout, decided) = out;
    #[derive(serde::Serialize)]
    struct Report {
        rig: String,
        seed: u64,
        #[serde(flatten)]
        measured: ber::Measured,
    }
    let report = Report {
        rig: rig.rig.name.clone(),
        seed,
        measured: ber::Measured::of(&rig, power, &chain, &counted),
    };
    let d = to_py(py, &report)?;
    if trace {
        let dict = d.bind(py).cast::<PyDict>()?.clone();
        let sent: Bound<'_, PyArray1<i8>> = sent.into_pyarray(py);
        dict.set_item("sent", sent)?;
        dict.set_item("readout_v", readout.into_pyarray(py))?;
        dict.set_item("decided", decided.into_pyarray(py))?;
    }
    Ok(d)
}

/// The bench's measurement plan on the time-domain engine (error rate against received power
/// and slot time, SNR against loop passes, the return map, crosstalk, re-centring, cold start,
/// faults), as a dict of tables. `quick=True` (the default) runs the short plan in seconds.
#[pyfunction]
#[pyo3(signature = (rig = None, quick = true, seed = 1, threads = None, progress = None))]
pub fn test_plan(
    py: Python<'_>,
    rig: Option<&Bound<'_, PyAny>>,
    quick: bool,
    seed: u64,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let rig = rig_or_default(rig)?.value;
    let settings = if quick {
        PlanSettings::quick(seed)
    } else {
        PlanSettings::full(seed)
    };
    let result = long(py, threads, progress, |control| {
        let total = plan::STEPS.len() as u64;
        Ok(plan::run(&rig, &settings, &mut |step| {
            control.progress(step as u64, total)
        }))
    })?;
    to_py(py, &result)
}

//! Reservoir computing on the rig: one model on one task over several seeds ([`single`]), the
//! benchmark suite of every model × task × readout noise level × seed with the models' dynamics
//! ([`suite`]), and the gain sweep that locates the edge of chaos ([`sweep`]).
//!
//! Each action is a module with a `Config` (its `Default` the command line's defaults,
//! `validate` naming the bad field) and a `run(&config, &rig, progress)` returning an
//! `Outcome`: the serialisable rows (the CSV files of `lightloop reservoir`), the data behind its tables and,
//! for the sweep, plot specifications. Every random draw comes from
//! `lightloop_base::rng::stream(seed, purpose, …)`, so the numbers depend on the seeds, never
//! on the number of threads.
//!
//! ```no_run
//! use lightloop_lab::reservoir::single;
//! use lightloop_nn::reservoir::Kind;
//!
//! let rig = lightloop_rig::load_rig("seed-16ch", &[]).unwrap().value;
//! let config = single::Config { model: Kind::Esn, nodes: Some(100), ..single::Config::default() };
//! let outcome = single::run(&config, &rig, &mut lightloop_lab::progress::quiet)?;
//! println!("NRMSE of seed 1: {:?}", outcome.rows[0].nrmse);
//! # Ok::<(), lightloop_lab::LabError>(())
//! ```

pub mod single;
pub mod suite;
pub mod sweep;

pub use single::RunRow;
pub use suite::{DynamicsRow, SuiteRow, SummaryRow};
pub use sweep::{GainPoint, SweepRow};

use crate::{LabError, Progress};
use lightloop_nn::reservoir::{Kind, Reservoir, Spec};
use lightloop_nn::suite::{Collected, Score, Task};
use lightloop_rig::Rig;
use rayon::prelude::*;

/// The most nodes a reservoir may have.
pub const MAX_NODES: usize = 10_000;

/// Checks the knobs every action shares: the node count and the input drive.
fn validate_knobs(nodes: Option<usize>, input_scale: f64) -> Result<(), LabError> {
    if let Some(n) = nodes
        && !(1..=MAX_NODES).contains(&n)
    {
        return Err(LabError::config(
            "nodes",
            format!("must be 1 … {MAX_NODES}, not {n}"),
        ));
    }
    if !(input_scale.is_finite() && input_scale > 0.0) {
        return Err(LabError::config(
            "input_scale",
            format!("must be a positive number, not {input_scale}"),
        ));
    }
    Ok(())
}

/// Refuses to switch off the noise of the one model that cannot honour it (the suite runs that
/// model noisy and says so in its summary).
fn validate_engine_noise(model: Kind, no_inner_noise: bool) -> Result<(), LabError> {
    if no_inner_noise && model == Kind::SoaEngine {
        return Err(LabError::config(
            "no_inner_noise",
            "cannot switch off soa-engine's noise: it is the physics engine's (soa-twin is the \
             same loop on the twin)",
        ));
    }
    Ok(())
}

/// The reservoir of one run: `model` with the shared knobs, `gain` (`None`: the model's own)
/// and `seed`. soa-engine's noise is the physics engine's and stays on.
fn spec(
    model: Kind,
    nodes: Option<usize>,
    input_scale: f64,
    no_inner_noise: bool,
    gain: Option<f64>,
    seed: u64,
) -> Spec {
    let mut s = Spec::new(model, seed);
    if let Some(n) = nodes {
        s.nodes = n;
    }
    s.input_scale = input_scale;
    s.gain = gain;
    s.inner_noise = !no_inner_noise || model == Kind::SoaEngine;
    s
}

/// Builds the reservoir of `spec` for `inputs` input dimensions; a refusal is the rig's or the
/// settings' (an SOA missing, a gain the attenuator cannot set, ...).
fn build(spec: &Spec, rig: &Rig, inputs: usize) -> Result<Box<dyn Reservoir>, LabError> {
    lightloop_nn::reservoir::build(spec, rig, inputs).map_err(LabError::from)
}

/// Runs a reservoir over a task (a data file that cannot be read is the failure here).
fn collect(task: Task, r: &mut dyn Reservoir, seed: u64) -> Result<Collected, LabError> {
    Ok(lightloop_nn::suite::collect(task, r, seed)?)
}

/// Trains and scores a readout.
fn score(
    c: &Collected,
    sensing: &lightloop_nn::sensing::Sensing,
    rng: &mut lightloop_base::rng::Rng,
) -> Result<Score, LabError> {
    lightloop_nn::suite::score(c, sensing, rng).map_err(LabError::from)
}

/// The largest Lyapunov exponent over 1 000 steps (`None` where the state is not a vector).
fn lyapunov(spec: &Spec, rig: &Rig) -> Result<Option<f64>, LabError> {
    lightloop_nn::dynamics::lyapunov(spec, rig, 1000).map_err(LabError::from)
}

/// The task's headline metric: its name, value, and whether lower is better.
pub fn headline(task: &Task, s: &Score) -> (&'static str, f64, bool) {
    match task {
        Task::Equalisation { .. } => ("SER", s.ser.unwrap_or(f64::NAN), true),
        Task::JapaneseVowels => ("accuracy", s.accuracy.unwrap_or(f64::NAN), false),
        Task::MemoryCapacity => ("MC", s.memory_capacity.unwrap_or(f64::NAN), false),
        _ => ("NRMSE", s.nrmse.unwrap_or(f64::NAN), true),
    }
}

/// Maps `f` over `items` on rayon's pool, results in the order of `items`, reporting every
/// finished item to `progress` on the calling thread as `done + finished` of `total`.
///
/// The calling thread waits on a channel while a helper thread drives the pool; a caller that
/// is itself one of rayon's workers maps on its own pool and hears of the work once, at the end
/// (it must not block a worker the pool may need).
fn par_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    (done, total, what): (usize, usize, &str),
    progress: &mut dyn FnMut(Progress),
) -> Vec<R> {
    progress(Progress { done, total, what });
    if rayon::current_thread_index().is_some() {
        let out: Vec<R> = items.par_iter().map(&f).collect();
        progress(Progress {
            done: done + items.len(),
            total,
            what,
        });
        return out;
    }
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let f = &f;
    std::thread::scope(|s| {
        let worker = s.spawn(move || {
            items
                .par_iter()
                .map_with(tx, |tx, x| {
                    let r = f(x);
                    // The receiver lives until every sender is gone.
                    let _ = tx.send(());
                    r
                })
                .collect::<Vec<R>>()
        });
        for (finished, ()) in (done + 1..).zip(rx) {
            progress(Progress {
                done: finished,
                total,
                what,
            });
        }
        worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_the_order_and_reports_every_item() {
        let items: Vec<u64> = (0..50).collect();
        let mut seen = Vec::new();
        let out = par_map(&items, |x| x * x, (3, 60, "squares"), &mut |p| {
            seen.push((p.done, p.total, p.what.to_string()))
        });
        assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        assert_eq!(seen.len(), 51);
        assert_eq!(seen[0], (3, 60, "squares".to_string()));
        assert_eq!(seen.last().unwrap().0, 53);
        assert!(seen.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        // From inside the pool: the same results, reported at the start and the end.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mut calls = 0;
        let inner = pool.install(|| par_map(&items, |x| x * x, (0, 50, "x"), &mut |_| calls += 1));
        assert_eq!(inner, out);
        assert_eq!(calls, 2);
    }

    #[test]
    fn knobs_name_the_bad_field() {
        let field = |e: LabError| match e {
            LabError::Config { field, .. } => field,
            e => panic!("{e}"),
        };
        assert_eq!(field(validate_knobs(Some(0), 1.0).unwrap_err()), "nodes");
        assert_eq!(
            field(validate_knobs(Some(MAX_NODES + 1), 1.0).unwrap_err()),
            "nodes"
        );
        assert_eq!(
            field(validate_knobs(None, f64::NAN).unwrap_err()),
            "input_scale"
        );
        assert!(validate_knobs(Some(MAX_NODES), 0.5).is_ok());
        assert_eq!(
            field(validate_engine_noise(Kind::SoaEngine, true).unwrap_err()),
            "no_inner_noise"
        );
        assert!(validate_engine_noise(Kind::SoaTwin, true).is_ok());
        // The engine's noise stays on in its spec whatever is asked.
        assert!(spec(Kind::SoaEngine, None, 1.0, true, None, 1).inner_noise);
        assert!(!spec(Kind::SoaTwin, None, 1.0, true, None, 1).inner_noise);
    }
}

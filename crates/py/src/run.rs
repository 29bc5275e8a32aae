//! Long calls: the work runs on its own thread pool with the GIL released, while the calling
//! thread wakes every few milliseconds to let Python handle signals (Ctrl-C sets the run's
//! cancel flag, which the work checks between blocks, and raises KeyboardInterrupt once the
//! work has stopped, within a second) and to call the progress callback.
//!
//! **Threads.** Each call builds its own rayon pool of `threads` workers (the call's argument,
//! else `lightloop.set_threads`, else the environment's `LIGHTLOOP_THREADS`, else one per
//! core), so N worker processes given `threads=1` start N threads, not N². No pool outlives a
//! call: a process forked after a call (multiprocessing's default on Linux) starts with no
//! pool threads to lose, and builds its own.

use crate::error::{Fail, Result};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The thread count set by `lightloop.set_threads` (0: not set).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the default number of worker threads per call (0 restores the default: the
/// environment's LIGHTLOOP_THREADS, else one per core).
#[pyfunction]
pub fn set_threads(n: usize) {
    THREADS.store(n, Ordering::Relaxed);
}

/// The number of worker threads a call with `threads` would use.
#[pyfunction]
#[pyo3(signature = (threads = None))]
pub fn threads(threads: Option<usize>) -> usize {
    threads
        .filter(|&n| n > 0)
        .or_else(|| Some(THREADS.load(Ordering::Relaxed)).filter(|&n| n > 0))
        .or_else(|| {
            std::env::var("LIGHTLOOP_THREADS")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .filter(|&n: &usize| n > 0)
        })
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// What the work and the calling thread share: the cancel flag and the progress.
#[derive(Default)]
pub struct Control {
    cancel: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

impl Control {
    /// Whether the caller asked the work to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
    /// `Err(Cancelled)` once the caller asked the work to stop.
    pub fn check(&self) -> Result<()> {
        if self.cancelled() {
            Err(Fail::Cancelled)
        } else {
            Ok(())
        }
    }
    /// Reports `done` of `total` units of work.
    pub fn progress(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }
}

/// Runs `work` on a pool of `threads` workers with the GIL released; see the module's notes.
/// `progress(done, total)` is called from the calling thread when the work reports progress.
pub fn long<R: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&Control) -> Result<R> + Send,
) -> PyResult<R> {
    let n = self::threads(threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("lightloop-{i}"))
        .build()
        .map_err(|e| Fail::Failed(format!("cannot start {n} worker threads: {e}")))?;
    let control = Control::default();
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| pool.install(|| work(&control)));
        let mut wait = Duration::from_micros(200);
        let mut shown = (u64::MAX, u64::MAX);
        let mut failure: Option<PyErr> = None;
        while !handle.is_finished() {
            py.detach(|| std::thread::sleep(wait));
            wait = (wait * 2).min(Duration::from_millis(20));
            if failure.is_some() {
                continue;
            }
            if let Err(e) = py.check_signals() {
                control.cancel.store(true, Ordering::Relaxed);
                failure = Some(e);
                continue;
            }
            if let Some(cb) = progress {
                let now = (
                    control.done.load(Ordering::Relaxed),
                    control.total.load(Ordering::Relaxed),
                );
                if now != shown && now.1 > 0 {
                    shown = now;
                    if let Err(e) = cb.call1(now) {
                        control.cancel.store(true, Ordering::Relaxed);
                        failure = Some(e);
                    }
                }
            }
        }
        let outcome = handle.join();
        if let Some(e) = failure {
            return Err(e);
        }
        // The last report, which the work may have made just before it finished.
        if let (Some(cb), Ok(Ok(_))) = (progress, &outcome) {
            let now = (
                control.done.load(Ordering::Relaxed),
                control.total.load(Ordering::Relaxed),
            );
            if now != shown && now.1 > 0 {
                cb.call1(now)?;
            }
        }
        match outcome {
            Ok(r) => Ok(r?),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "internal error in a worker: {what}"
                )))
            }
        }
    })
}

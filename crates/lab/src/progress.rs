//! Progress of a long run, reported to whoever started it.

/// One step of a run: `done` of `total` units of work, and what the current one is.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub what: &'a str,
}

/// A progress callback that ignores everything.
pub fn quiet(_: Progress) {}

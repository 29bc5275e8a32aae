//! What can go wrong in the cost model and its sweeps.

use crate::evaluate::Incompatible;
use crate::shard::Shard;
use std::path::PathBuf;
use thiserror::Error;

/// The cost crate's errors, for callers to match.
#[derive(Debug, Error)]
pub enum CostError {
    /// The rig and the workload cannot be evaluated together (each problem names its key).
    #[error("{0}")]
    Incompatible(#[from] Incompatible),
    /// The GPU baseline cannot serve the workload (no valid split, too little memory).
    #[error("{gpu}: {message}")]
    Gpu { gpu: String, message: String },
    /// A sweep specification that does not parse, or an axis no description knows.
    #[error("{0}")]
    Spec(String),
    /// A sweep's output could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The output already holds a finished sweep.
    #[error("{} already holds a finished sweep; pass --force to overwrite it", .0.display())]
    Exists(PathBuf),
    /// The output's partial file is not what this sweep wrote: a link, or a header that
    /// differs from the sweep's columns.
    #[error("{}: {why}; pass --force to discard it, or choose another output", path.display())]
    Tampered { path: PathBuf, why: String },
    /// The output's partial file belongs to another sweep.
    #[error("{} holds a partial run of a different sweep (other descriptions, axes or format); pass --force to discard it, or choose another output", .0.display())]
    Mismatch(PathBuf),
    /// A shard specification (`K/N`) that does not parse or names no shard.
    #[error("--shard `{spec}`: {why}")]
    ShardSpec { spec: String, why: String },
    /// No files were given to merge.
    #[error("no shard files to merge")]
    NoShards,
    /// A file given to merge that is not a shard (no description beside it, or one that does
    /// not parse), or not of the kind the others are.
    #[error("{}: {why}", path.display())]
    NotAShard { path: PathBuf, why: String },
    /// A shard that is still being written (only its partial file exists).
    #[error("{}: unfinished shard (only {} exists); run its shard command again to finish it, then merge", path.display(), partial.display())]
    Unfinished { path: PathBuf, partial: PathBuf },
    /// A shard of another run (other descriptions, axes, seed or format, or another split)
    /// than the others given to merge.
    #[error("{}: shard {shard} is of a different run than {}: {found}, not {expected}; merge only the shards of one run", path.display(), reference.display())]
    OtherRun {
        path: PathBuf,
        shard: Shard,
        found: String,
        reference: PathBuf,
        expected: String,
    },
    /// The same shard given twice.
    #[error("shard {shard} given twice: {} and {}", first.display(), second.display())]
    DuplicateShard {
        shard: Shard,
        first: PathBuf,
        second: PathBuf,
    },
    /// Shards of the run that were not given.
    #[error("missing {} {} of run {run} ({given} files given); run the missing {} and merge them all", shards_word(.missing), shard_list(.missing), shards_word(.missing))]
    MissingShards {
        missing: Vec<Shard>,
        run: String,
        given: usize,
    },
    /// A shard whose file does not match its description (rows missing or changed).
    #[error("{}: {why}; run its shard command again with --force", path.display())]
    Corrupt { path: PathBuf, why: String },
}

impl CostError {
    /// Whether the cause is the user's input rather than the machine (the file system).
    pub fn is_input(&self) -> bool {
        !matches!(self, CostError::Io { .. })
    }
}

/// "shard" or "shards".
fn shards_word(shards: &[Shard]) -> &'static str {
    if shards.len() == 1 { "shard" } else { "shards" }
}

/// `1/4, 3/4`.
fn shard_list(shards: &[Shard]) -> String {
    shards
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

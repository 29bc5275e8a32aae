//! Deterministic sharding of long runs: a run is split into N shards that can run anywhere (a
//! Slurm job array, several machines, one after another) and are merged back into one result.
//!
//! * Shard K of N (1 ≤ K ≤ N) of a run of T items (grid points, symbols, seeds) takes the
//!   contiguous block [⌊(K−1)·T/N⌋, ⌊K·T/N⌋). The blocks of K = 1 … N cover 0 … T−1 exactly
//!   once, in order, whatever T and N (N > T gives empty shards).
//! * What a shard computes depends only on the run's description and K (its items, and for
//!   Monte-Carlo runs its random streams, keyed by the root seed and K), never on which
//!   machine, worker count or order ran it; so the merged result is the same bytes whatever
//!   the backend.
//! * Every shard file names its run (a hash of the run's full description, [`run_id`]), K, N and
//!   its block. A merge refuses files of different runs (naming the odd file), a shard given
//!   twice, missing shards (naming them), and unfinished shards.
//!
//! Sweeps keep their rows in their CSV or JSON Lines file with the description beside it
//! (`crate::sweep`); Monte-Carlo counts are one JSON file per shard ([`CountShard`]), merged by
//! adding the counts into one estimate with its Wilson interval ([`merge_counts`]); runs of
//! independent items kept whole (reservoir seeds, test-plan measurements) are one JSON file per
//! shard ([`RowShard`]), merged by concatenating the items' results in order ([`merge_rows`]).

use crate::error::CostError;
use lightloop_base::stats::{Z95, wilson_interval};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why the shard file `path`, which does not exist, cannot be merged: unfinished when its
/// partial file is there, else not a shard at all.
pub fn missing(path: &Path) -> CostError {
    let partial = crate::sweep::partial_path(path);
    if partial.exists() {
        CostError::Unfinished {
            path: path.to_path_buf(),
            partial,
        }
    } else {
        CostError::NotAShard {
            path: path.to_path_buf(),
            why: "no such file".into(),
        }
    }
}

/// Version of the shard description format.
pub const SHARD_FORMAT: u32 = 1;

/// Shard `index` (K, from 1) of `count` (N): written and parsed as `K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Shard `index` of `count`, checked: 1 ≤ index ≤ count.
    pub fn new(index: u64, count: u64) -> Result<Self, CostError> {
        let spec = format!("{index}/{count}");
        let why = |w: &str| CostError::ShardSpec {
            spec: spec.clone(),
            why: w.to_string(),
        };
        if count == 0 {
            return Err(why("N, the number of shards, must be at least 1"));
        }
        if index == 0 {
            return Err(why("shards are numbered from 1 to N, not from 0"));
        }
        if index > count {
            return Err(why(&format!(
                "K must be at most N (there is no shard {index} of {count})"
            )));
        }
        Ok(Shard { index, count })
    }

    /// The block of items [⌊(K−1)·T/N⌋, ⌊K·T/N⌋) of a run of `total` items (computed in 128
    /// bits, so any u64 total is exact).
    pub fn range(&self, total: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(k) * u128::from(total) / u128::from(self.count)) as u64;
        at(self.index - 1)..at(self.index)
    }

    /// The shard's key for random streams: K − 1, so that shard 1 of 1 draws what the run
    /// unsharded draws (key 0), and shard K's streams depend on the root seed and K only.
    pub fn stream_key(&self) -> u64 {
        self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = CostError;

    /// `K/N`, e.g. `3/16`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let why = |w: &str| CostError::ShardSpec {
            spec: s.to_string(),
            why: w.to_string(),
        };
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| why("expected K/N, shard K of N (e.g. 3/16)"))?;
        let number = |x: &str, what: &str| {
            x.trim().parse::<u64>().map_err(|_| {
                why(&format!(
                    "{what} `{}` is not a whole number; expected K/N, shard K of N (e.g. 3/16)",
                    x.trim()
                ))
            })
        };
        let (k, n) = (number(k, "K")?, number(n, "N")?);
        Shard::new(k, n).map_err(|e| match e {
            CostError::ShardSpec { why: w, .. } => why(&w),
            other => other,
        })
    }
}

/// FNV-1a, 64 bits.
pub(crate) fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// FNV-1a's starting value.
pub(crate) const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The identity of a run: FNV-1a (64 bits, hexadecimal) of its full description (for a sweep,
/// [`crate::sweep::Sweep::fingerprint`]: the descriptions, the axes, the format and the
/// version). Shards merge only with shards of the same identity.
pub fn run_id(description: &str) -> String {
    format!("{:016x}", fnv1a(FNV_START, description.as_bytes()))
}

/// What a shard's result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardKind {
    /// Rows of a sweep (CSV or JSON Lines, the description in `OUT.shard`).
    Sweep,
    /// Monte-Carlo error counts (one JSON file).
    Counts,
    /// Results of independent items kept whole (one JSON file): the seeds of a reservoir run,
    /// the measurements of a test plan.
    Rows,
}

/// What every shard says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardHeader {
    /// Version of this format ([`SHARD_FORMAT`]).
    pub lightloop_shard: u32,
    pub kind: ShardKind,
    /// The run's identity ([`run_id`]).
    pub run: String,
    /// K and N.
    pub shard: Shard,
    /// The run's items, and this shard's block of them ([`Shard::range`]).
    pub total: u64,
    pub start: u64,
    pub end: u64,
    /// The run, in words (for people).
    pub label: String,
}

impl ShardHeader {
    pub fn new(kind: ShardKind, run: String, shard: Shard, total: u64, label: String) -> Self {
        let r = shard.range(total);
        Self {
            lightloop_shard: SHARD_FORMAT,
            kind,
            run,
            shard,
            total,
            start: r.start,
            end: r.end,
            label,
        }
    }

    /// The run and split this shard belongs to, in words.
    fn describe_run(&self) -> String {
        format!(
            "run {} ({}) split in {}",
            self.run, self.label, self.shard.count
        )
    }
}

/// Checks that `shards` (file, header) are shards 1 … N of one run, each given once, each
/// with the block its K and N give, and returns them in shard order. Files that disagree
/// with the majority of the others (ties: with the first file) on the run, its size or N are
/// refused by name; so are a shard given twice and missing shards.
pub fn check_set<T>(
    mut shards: Vec<(PathBuf, ShardHeader, T)>,
) -> Result<Vec<(PathBuf, ShardHeader, T)>, CostError> {
    if shards.is_empty() {
        return Err(CostError::NoShards);
    }
    let key = |h: &ShardHeader| (h.kind, h.run.clone(), h.shard.count, h.total);
    // The run most files belong to.
    let mut votes: Vec<(usize, usize)> = Vec::new(); // (first file with the key, files)
    for (i, (_, h, _)) in shards.iter().enumerate() {
        match votes.iter_mut().find(|(j, _)| key(&shards[*j].1) == key(h)) {
            Some(v) => v.1 += 1,
            None => votes.push((i, 1)),
        }
    }
    let reference = votes
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|v| v.0)
        .unwrap_or(0);
    let (ref_path, ref_header) = (shards[reference].0.clone(), shards[reference].1.clone());
    for (path, h, _) in &shards {
        if key(h) != key(&ref_header) {
            return Err(CostError::OtherRun {
                path: path.clone(),
                shard: h.shard,
                found: if h.kind != ref_header.kind {
                    format!("a {:?} run", h.kind).to_lowercase()
                } else {
                    h.describe_run()
                },
                reference: ref_path,
                expected: if h.kind != ref_header.kind {
                    format!("a {:?} run", ref_header.kind).to_lowercase()
                } else {
                    ref_header.describe_run()
                },
            });
        }
        let r = h.shard.range(h.total);
        if (h.start, h.end) != (r.start, r.end) || h.lightloop_shard != SHARD_FORMAT {
            return Err(CostError::Corrupt {
                path: path.clone(),
                why: format!(
                    "shard {} of {} items should hold items {}..{}, its description says {}..{} (format {})",
                    h.shard, h.total, r.start, r.end, h.start, h.end, h.lightloop_shard
                ),
            });
        }
    }
    shards.sort_by_key(|(_, h, _)| h.shard.index);
    for pair in shards.windows(2) {
        if pair[0].1.shard == pair[1].1.shard {
            return Err(CostError::DuplicateShard {
                shard: pair[0].1.shard,
                first: pair[0].0.clone(),
                second: pair[1].0.clone(),
            });
        }
    }
    let n = ref_header.shard.count;
    if shards.len() as u64 != n {
        let given: Vec<u64> = shards.iter().map(|(_, h, _)| h.shard.index).collect();
        let missing = (1..=n)
            .filter(|k| given.binary_search(k).is_err())
            .map(|k| Shard { index: k, count: n })
            .collect();
        return Err(CostError::MissingShards {
            missing,
            run: ref_header.run.clone(),
            given: shards.len(),
        });
    }
    Ok(shards)
}

/// Writes `bytes` to `path` whole or not at all: into `PATH.partial`, then renamed. An
/// existing `path` is refused unless `force`.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), CostError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| CostError::Io {
            path: p.clone(),
            source: e,
        }
    };
    if path.exists() && !force {
        return Err(CostError::Exists(path.to_path_buf()));
    }
    let tmp = crate::sweep::partial_path(path);
    if std::fs::symlink_metadata(&tmp).is_ok() {
        std::fs::remove_file(&tmp).map_err(io(&tmp))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Errors in a number of trials (summed over shards by a merge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub errors: u64,
    pub trials: u64,
}

/// One shard of a Monte-Carlo run: its counts, and sums of other extensive figures (energy,
/// simulated time), all of which add across shards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountShard {
    #[serde(flatten)]
    pub header: ShardHeader,
    /// The run's settings, the same in every shard (part of its identity).
    pub about: serde_json::Value,
    pub counts: BTreeMap<String, Tally>,
    pub sums: BTreeMap<String, f64>,
}

/// Reads every file of `inputs` with `read` and checks that they are shards 1 … N of one run
/// ([`check_set`]); returns them in shard order.
fn read_set<T>(
    inputs: &[PathBuf],
    read: fn(&Path) -> Result<T, CostError>,
    header: fn(&T) -> &ShardHeader,
) -> Result<Vec<(PathBuf, ShardHeader, T)>, CostError> {
    let mut shards = Vec::with_capacity(inputs.len());
    for p in inputs {
        let s = read(p)?;
        shards.push((p.clone(), header(&s).clone(), s));
    }
    check_set(shards)
}

/// Writes `value` as pretty JSON to `path`, whole or not at all ([`write_atomic`]).
fn write_json<T: Serialize>(value: &T, path: &Path, force: bool) -> Result<(), CostError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| CostError::NotAShard {
        path: path.to_path_buf(),
        why: format!("cannot be written as JSON: {e}"),
    })?;
    text.push('\n');
    write_atomic(path, text.as_bytes(), force)
}

/// The text of the shard file `path`; a missing file says whether it is unfinished ([`missing`]).
fn read_text(path: &Path) -> Result<String, CostError> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            missing(path)
        } else {
            CostError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })
}

/// Reads a JSON shard of `kind` from `path`, saying why when it is missing, unreadable, not a
/// shard, or a shard of another kind.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, kind: ShardKind) -> Result<T, CostError> {
    let text = read_text(path)?;
    let found = kind_in(&text).map_err(|why| CostError::NotAShard {
        path: path.to_path_buf(),
        why,
    })?;
    if found != kind {
        return Err(CostError::NotAShard {
            path: path.to_path_buf(),
            why: format!("a {found:?} shard, not {kind:?}").to_lowercase(),
        });
    }
    let shard: T = serde_json::from_str(&text).map_err(|e| CostError::NotAShard {
        path: path.to_path_buf(),
        why: format!("not a {kind:?} shard ({e})").to_lowercase(),
    })?;
    Ok(shard)
}

/// The kind of the JSON shard in `text`, or why it is not one.
fn kind_in(text: &str) -> Result<ShardKind, String> {
    #[derive(Deserialize)]
    struct Header {
        #[serde(flatten)]
        header: ShardHeader,
    }
    serde_json::from_str::<Header>(text)
        .map(|h| h.header.kind)
        .map_err(|e| format!("not a shard of a lightloop run ({e})"))
}

/// The kind of the JSON shard at `path` (counts or rows), or why it is not one.
pub fn kind_of(path: &Path) -> Result<ShardKind, CostError> {
    let text = read_text(path)?;
    kind_in(&text).map_err(|why| CostError::NotAShard {
        path: path.to_path_buf(),
        why,
    })
}

impl CountShard {
    /// Writes the shard as JSON, whole or not at all ([`write_atomic`]).
    pub fn write(&self, path: &Path, force: bool) -> Result<(), CostError> {
        write_json(self, path, force)
    }

    /// Reads a shard written by [`CountShard::write`].
    pub fn read(path: &Path) -> Result<Self, CostError> {
        read_json(path, ShardKind::Counts)
    }
}

/// One shard of a run of independent items whose results are kept whole (the seeds of a
/// reservoir run, the measurements of a test plan): the result of each item of its block, as
/// JSON, in item order. Each item's result depends on the run and the item only, so the merged
/// rows are the rows of the run done in one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowShard {
    #[serde(flatten)]
    pub header: ShardHeader,
    /// The run's settings, the same in every shard (part of its identity).
    pub about: serde_json::Value,
    /// One result per item of the shard's block.
    pub rows: Vec<serde_json::Value>,
}

impl RowShard {
    /// Writes the shard as JSON, whole or not at all ([`write_atomic`]).
    pub fn write(&self, path: &Path, force: bool) -> Result<(), CostError> {
        write_json(self, path, force)
    }

    /// Reads a shard written by [`RowShard::write`].
    pub fn read(path: &Path) -> Result<Self, CostError> {
        read_json(path, ShardKind::Rows)
    }
}

/// A merged run of items: every item's result in item order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedRows {
    pub run: String,
    pub label: String,
    /// N.
    pub shards: u64,
    /// Items of the run.
    pub total: u64,
    pub about: serde_json::Value,
    pub rows: Vec<serde_json::Value>,
}

/// Merges the shards of a run of items ([`RowShard`] files): checks that they are shards 1 … N
/// of one run ([`check_set`]), each holding one row per item of its block, and concatenates
/// their rows in shard order.
pub fn merge_rows(inputs: &[PathBuf]) -> Result<MergedRows, CostError> {
    let shards = read_set(inputs, RowShard::read, |s| &s.header)?;
    let first = &shards[0].2;
    let mut rows = Vec::with_capacity(first.header.total.min(1 << 20) as usize);
    for (path, h, s) in &shards {
        if s.about != first.about {
            return Err(CostError::Corrupt {
                path: path.clone(),
                why: format!(
                    "shard {} describes another run than shard {} ({})",
                    h.shard,
                    shards[0].1.shard,
                    shards[0].0.display()
                ),
            });
        }
        if s.rows.len() as u64 != h.end - h.start {
            return Err(CostError::Corrupt {
                path: path.clone(),
                why: format!(
                    "shard {} should hold {} rows (items {}..{}), it holds {}",
                    h.shard,
                    h.end - h.start,
                    h.start,
                    h.end,
                    s.rows.len()
                ),
            });
        }
        rows.extend(s.rows.iter().cloned());
    }
    let h = &shards[0].1;
    Ok(MergedRows {
        run: h.run.clone(),
        label: h.label.clone(),
        shards: h.shard.count,
        total: h.total,
        about: first.about.clone(),
        rows,
    })
}

/// A rate estimated from merged counts: errors / trials with its Wilson 95 % interval
/// ([`lightloop_base::stats::wilson_interval`]; the lower end is 0 when no error was seen).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub errors: u64,
    pub trials: u64,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    pub fn of(t: Tally) -> Self {
        let (low, high) = wilson_interval(t.errors, t.trials, Z95);
        Self {
            errors: t.errors,
            trials: t.trials,
            rate: if t.trials == 0 {
                f64::NAN
            } else {
                t.errors as f64 / t.trials as f64
            },
            low,
            high,
        }
    }
}

/// A merged Monte-Carlo run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedCounts {
    pub run: String,
    pub label: String,
    /// N.
    pub shards: u64,
    /// Items of the run (e.g. symbols), all shards together.
    pub total: u64,
    pub about: serde_json::Value,
    /// Each count summed over the shards, with its interval.
    pub counts: BTreeMap<String, Estimate>,
    /// Each sum added over the shards in shard order (so the same bytes whatever the order
    /// the files are given in).
    pub sums: BTreeMap<String, f64>,
    /// Each shard's file and counts, in shard order.
    pub parts: Vec<MergedPart>,
}

/// One shard of a merged run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedPart {
    pub shard: Shard,
    pub file: PathBuf,
    pub counts: BTreeMap<String, Tally>,
}

/// Merges the shards of a Monte-Carlo run ([`CountShard`] files): checks that they are
/// shards 1 … N of one run ([`check_set`]) carrying the same counts, then adds the counts and
/// the sums. The merged estimate is a sample of the same size as the unsharded run's but from
/// other random streams (each shard's streams are keyed by the root seed and K), so it is a
/// different, equally valid, sample; it is the same whatever the order, machines or worker
/// count of the shards.
pub fn merge_counts(inputs: &[PathBuf]) -> Result<MergedCounts, CostError> {
    let shards = read_set(inputs, CountShard::read, |s| &s.header)?;
    let first = &shards[0].2;
    let mut counts: BTreeMap<String, Tally> = BTreeMap::new();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let mut parts = Vec::with_capacity(shards.len());
    for (path, h, s) in &shards {
        let same_names = s.counts.keys().eq(first.counts.keys())
            && s.sums.keys().eq(first.sums.keys())
            && s.about == first.about;
        if !same_names {
            return Err(CostError::Corrupt {
                path: path.clone(),
                why: format!(
                    "shard {} counts other things than shard {} ({})",
                    h.shard,
                    shards[0].1.shard,
                    shards[0].0.display()
                ),
            });
        }
        for (name, t) in &s.counts {
            let c = counts.entry(name.clone()).or_insert(Tally {
                errors: 0,
                trials: 0,
            });
            c.errors += t.errors;
            c.trials += t.trials;
        }
        for (name, x) in &s.sums {
            *sums.entry(name.clone()).or_insert(0.0) += x;
        }
        parts.push(MergedPart {
            shard: h.shard,
            file: path.clone(),
            counts: s.counts.clone(),
        });
    }
    let h = &shards[0].1;
    Ok(MergedCounts {
        run: h.run.clone(),
        label: h.label.clone(),
        shards: h.shard.count,
        total: h.total,
        about: first.about.clone(),
        counts: counts
            .into_iter()
            .map(|(k, t)| (k, Estimate::of(t)))
            .collect(),
        sums,
        parts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_item_once_in_order() {
        for total in [0u64, 1, 2, 3, 7, 10, 100, 1001, 65_537] {
            for n in [1u64, 2, 3, 4, 7, 16, 100, 1000, 70_000] {
                let mut next = 0;
                for k in 1..=n {
                    let r = Shard::new(k, n).unwrap().range(total);
                    assert_eq!(r.start, next, "total {total}, shard {k}/{n}");
                    assert!(r.end >= r.start);
                    // Blocks differ in size by at most one.
                    assert!(r.end - r.start <= total.div_ceil(n));
                    next = r.end;
                }
                assert_eq!(next, total, "total {total}, {n} shards");
            }
        }
        // No overflow at the top of u64.
        let r = Shard::new(2, 2).unwrap().range(u64::MAX);
        assert_eq!(r.end, u64::MAX);
        assert_eq!(r.start, u64::MAX / 2);
    }

    #[test]
    fn shard_specs_parse_or_say_why() {
        assert_eq!(
            "3/16".parse::<Shard>().unwrap(),
            Shard {
                index: 3,
                count: 16
            }
        );
        assert_eq!(
            " 1 / 1 ".trim().parse::<Shard>().unwrap().to_string(),
            "1/1"
        );
        for (bad, why) in [
            ("0/3", "numbered from 1"),
            ("4/3", "at most N"),
            ("1/0", "at least 1"),
            ("0/0", "at least 1"),
            ("3", "expected K/N"),
            ("a/3", "`a` is not a whole number"),
            ("1/b", "`b` is not a whole number"),
            ("-1/3", "not a whole number"),
            ("1/2/3", "not a whole number"),
            ("", "expected K/N"),
        ] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.is_input());
            let msg = e.to_string();
            assert!(msg.contains(why), "{bad}: {msg}");
            assert!(msg.contains(&format!("`{bad}`")), "{bad}: {msg}");
        }
    }

    fn header(run: &str, k: u64, n: u64) -> ShardHeader {
        ShardHeader::new(
            ShardKind::Counts,
            run.into(),
            Shard::new(k, n).unwrap(),
            100,
            "test".into(),
        )
    }

    fn set(items: &[(&str, &str, u64, u64)]) -> Result<Vec<u64>, CostError> {
        check_set(
            items
                .iter()
                .map(|(p, run, k, n)| (PathBuf::from(p), header(run, *k, *n), ()))
                .collect(),
        )
        .map(|v| v.iter().map(|(_, h, _)| h.shard.index).collect())
    }

    #[test]
    fn a_set_is_one_run_each_shard_once() {
        assert_eq!(
            set(&[("c", "r", 3, 3), ("a", "r", 1, 3), ("b", "r", 2, 3)]).unwrap(),
            vec![1, 2, 3]
        );
        let e = set(&[("a", "r", 1, 3), ("c", "r", 3, 3)]).unwrap_err();
        assert!(
            matches!(&e, CostError::MissingShards { missing, .. } if missing == &[Shard { index: 2, count: 3 }]),
            "{e}"
        );
        assert!(e.to_string().contains("missing shard 2/3"), "{e}");
        let e = set(&[("a", "r", 1, 2), ("b", "r", 1, 2), ("c", "r", 2, 2)]).unwrap_err();
        assert!(
            e.to_string().contains("shard 1/2 given twice: a and b"),
            "{e}"
        );
        // The odd file is named, whatever its place.
        let e = set(&[("a", "r", 1, 3), ("odd", "s", 2, 3), ("c", "r", 3, 3)]).unwrap_err();
        assert!(
            matches!(&e, CostError::OtherRun { path, .. } if path == Path::new("odd")),
            "{e}"
        );
        let e = set(&[("odd", "s", 1, 3), ("b", "r", 2, 3), ("c", "r", 3, 3)]).unwrap_err();
        assert!(
            matches!(&e, CostError::OtherRun { path, .. } if path == Path::new("odd")),
            "{e}"
        );
        // Another split of the same run is another run.
        let e = set(&[("a", "r", 1, 2), ("b", "r", 2, 3), ("c", "r", 2, 2)]).unwrap_err();
        assert!(
            matches!(&e, CostError::OtherRun { path, .. } if path == Path::new("b")),
            "{e}"
        );
        assert!(matches!(set(&[]).unwrap_err(), CostError::NoShards));
    }
}

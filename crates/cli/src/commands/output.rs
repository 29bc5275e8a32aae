//! Writing a command's files so that nothing half-written looks complete: every file goes into
//! `DIR.partial/` first, and the folder takes its final name only when all are written.

use crate::load::{CliError, CliResult};
use lightloop_cost::sweep::partial_path;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

/// A set of output files being written under `DIR.partial/`.
pub struct OutputDir {
    target: PathBuf,
    partial: PathBuf,
    /// The file whose presence marks a finished folder of this command.
    marker: &'static str,
}

impl OutputDir {
    /// Starts writing `dir`. A `dir` that exists is replaced only when it holds `marker` (a
    /// finished output of the same command) or is empty; anything else is refused, so that no
    /// user folder is overwritten by mistake.
    pub fn create(dir: &Path, marker: &'static str) -> CliResult<Self> {
        // Replacing the current folder, or one above it, would delete the files being read
        // (and the shell's working folder): refused.
        if let (Ok(target), Ok(here)) = (dir.canonicalize(), std::env::current_dir())
            && here.starts_with(&target)
        {
            return Err(CliError::BadInput(format!(
                "{} is the current folder or contains it; a finished output replaces its folder \
                 whole, so choose a new folder for --out (e.g. --out regenerated)",
                dir.display()
            )));
        }
        if dir.exists() {
            let empty = fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !dir.is_dir() || !(empty || dir.join(marker).exists()) {
                return Err(CliError::BadInput(format!(
                    "{} exists and is not an output folder of this command (no {marker} in it): \
                     choose another --out",
                    dir.display()
                )));
            }
        }
        let partial = partial_path(dir);
        if partial.exists() {
            fs::remove_dir_all(&partial).map_err(|e| io(&partial, e))?;
        }
        fs::create_dir_all(&partial).map_err(|e| io(&partial, e))?;
        Ok(Self {
            target: dir.to_path_buf(),
            partial,
            marker,
        })
    }

    /// Writes rows of `T` as CSV to `name`.
    pub fn csv<T: Serialize>(&self, name: &str, rows: &[T]) -> CliResult<()> {
        let path = self.partial.join(name);
        let mut w = csv::Writer::from_path(&path).map_err(|e| csv_err(&path, e))?;
        for r in rows {
            w.serialize(r).map_err(|e| csv_err(&path, e))?;
        }
        w.flush().map_err(|e| io(&path, e))
    }

    /// Writes `text` to `name` (a path relative to the folder; sub-folders are created).
    pub fn text(&self, name: &str, text: &str) -> CliResult<()> {
        let path = self.partial.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        fs::write(&path, text).map_err(|e| io(&path, e))
    }

    /// Writes `bytes` to `name` (a path relative to the folder; sub-folders are created).
    pub fn bytes(&self, name: &str, bytes: &[u8]) -> CliResult<()> {
        let path = self.partial.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| io(&path, e))
    }

    /// Writes `value` as pretty JSON to `name`.
    pub fn json<T: Serialize>(&self, name: &str, value: &T) -> CliResult<()> {
        let path = self.partial.join(name);
        let s = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::Message(format!("JSON output: {e}")))?;
        fs::write(&path, s).map_err(|e| io(&path, e))
    }

    /// Gives the folder its final name (the marker file must have been written).
    pub fn finish(self) -> CliResult<PathBuf> {
        debug_assert!(self.partial.join(self.marker).exists());
        if self.target.exists() {
            fs::remove_dir_all(&self.target).map_err(|e| io(&self.target, e))?;
        }
        fs::rename(&self.partial, &self.target).map_err(|e| io(&self.target, e))?;
        Ok(self.target)
    }
}

fn io(path: &Path, e: std::io::Error) -> CliError {
    CliError::Message(format!("{}: {e}", path.display()))
}

fn csv_err(path: &Path, e: csv::Error) -> CliError {
    CliError::Message(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--out .` (or a folder above the current one) would delete what it reads: refused, and
    /// the folder keeps its files.
    #[test]
    fn the_current_folder_is_never_replaced() {
        let here = std::env::current_dir().unwrap();
        for dir in [Path::new("."), here.as_path(), here.parent().unwrap()] {
            let e = OutputDir::create(dir, "report.html")
                .err()
                .expect("refused");
            assert!(e.to_string().contains("current folder"), "{e}");
        }
        assert!(here.join("Cargo.toml").is_file());
    }
}

//! Writing a run's files so that nothing half-written looks complete: every file goes into
//! `DIR.partial/` first, and the folder takes its final name only when all are written.
//!
//! Used by every front end (the command line, the Python package) for the report, the test
//! plan, the experiments and the model evaluations.

use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

/// Why an output folder could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The folder asked for cannot be used (it is the current folder, or holds other files):
    /// the user's choice, refused before anything is written.
    #[error("{0}")]
    Refused(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A CSV or JSON file could not be written.
    #[error("{path}: {message}")]
    Encode { path: PathBuf, message: String },
}

impl OutputError {
    /// Whether the error is the user's choice of folder (exit status 2 on the command line).
    pub fn is_input(&self) -> bool {
        matches!(self, OutputError::Refused(_))
    }
}

/// `PATH.partial`: where a file or folder is written until it is complete.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

/// A set of output files being written under `DIR.partial/`.
pub struct OutputDir {
    target: PathBuf,
    partial: PathBuf,
    /// The file whose presence marks a finished folder of this kind of run.
    marker: &'static str,
}

fn io(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl OutputDir {
    /// Starts writing `dir`. A `dir` that exists is replaced only when it holds `marker` (a
    /// finished output of the same kind) or is empty; anything else is refused, so that no
    /// user folder is overwritten by mistake. `option` names the choice in messages
    /// (`--out` on the command line, `out=` in Python).
    pub fn create(dir: &Path, marker: &'static str, option: &str) -> Result<Self, OutputError> {
        // Replacing the current folder, or one above it, would delete the files being read
        // (and the shell's working folder): refused.
        if let (Ok(target), Ok(here)) = (dir.canonicalize(), std::env::current_dir())
            && here.starts_with(&target)
        {
            return Err(OutputError::Refused(format!(
                "{} is the current folder or contains it; a finished output replaces its folder \
                 whole, so choose a new folder for {option} (e.g. {option} regenerated)",
                dir.display()
            )));
        }
        if dir.exists() {
            let empty = fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !dir.is_dir() || !(empty || dir.join(marker).exists()) {
                return Err(OutputError::Refused(format!(
                    "{} exists and is not an output folder of this command (no {marker} in it): \
                     choose another {option}",
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
    pub fn csv<T: Serialize>(&self, name: &str, rows: &[T]) -> Result<(), OutputError> {
        let path = self.partial.join(name);
        let encode = |e: csv::Error| OutputError::Encode {
            path: path.clone(),
            message: e.to_string(),
        };
        let mut w = csv::Writer::from_path(&path).map_err(encode)?;
        for r in rows {
            w.serialize(r).map_err(encode)?;
        }
        w.flush().map_err(|e| io(&path, e))
    }

    /// Writes `text` to `name` (a path relative to the folder; sub-folders are created).
    pub fn text(&self, name: &str, text: &str) -> Result<(), OutputError> {
        self.bytes(name, text.as_bytes())
    }

    /// Writes `bytes` to `name` (a path relative to the folder; sub-folders are created).
    pub fn bytes(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.partial.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| io(&path, e))
    }

    /// Writes `value` as pretty JSON to `name`.
    pub fn json<T: Serialize>(&self, name: &str, value: &T) -> Result<(), OutputError> {
        let path = self.partial.join(name);
        let s = serde_json::to_string_pretty(value).map_err(|e| OutputError::Encode {
            path: path.clone(),
            message: e.to_string(),
        })?;
        fs::write(&path, s).map_err(|e| io(&path, e))
    }

    /// Gives the folder its final name (the marker file must have been written).
    pub fn finish(self) -> Result<PathBuf, OutputError> {
        debug_assert!(self.partial.join(self.marker).exists());
        if self.target.exists() {
            fs::remove_dir_all(&self.target).map_err(|e| io(&self.target, e))?;
        }
        fs::rename(&self.partial, &self.target).map_err(|e| io(&self.target, e))?;
        Ok(self.target)
    }
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
            let e = OutputDir::create(dir, "report.html", "--out")
                .err()
                .expect("refused");
            assert!(e.is_input());
            assert!(e.to_string().contains("current folder"), "{e}");
            assert!(e.to_string().contains("--out"), "{e}");
        }
        assert!(here.join("Cargo.toml").is_file());
    }

    /// A folder of other files is refused; a finished folder (with its marker) is replaced
    /// whole, and only when the new one is complete.
    #[test]
    fn only_a_finished_output_is_replaced() {
        let root = std::env::temp_dir().join(format!("lightloop-output-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("other")).unwrap();
        fs::write(root.join("other/notes.txt"), "mine").unwrap();
        let e = OutputDir::create(&root.join("other"), "done.txt", "out=")
            .err()
            .expect("refused");
        assert!(e.to_string().contains("no done.txt"), "{e}");
        assert!(root.join("other/notes.txt").is_file());

        let dir = root.join("run");
        let out = OutputDir::create(&dir, "done.txt", "--out").unwrap();
        out.text("a/b.txt", "x").unwrap();
        assert!(!dir.exists(), "nothing under the final name before finish");
        out.text("done.txt", "ok").unwrap();
        out.finish().unwrap();
        assert_eq!(fs::read_to_string(dir.join("a/b.txt")).unwrap(), "x");
        let again = OutputDir::create(&dir, "done.txt", "--out").unwrap();
        again.text("done.txt", "ok2").unwrap();
        again.finish().unwrap();
        assert!(!dir.join("a/b.txt").exists(), "replaced whole");
        fs::remove_dir_all(&root).unwrap();
    }
}

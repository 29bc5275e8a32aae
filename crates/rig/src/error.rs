//! Errors in rig, workload and GPU descriptions, each naming the file, line and key.

use serde::Serialize;
use std::fmt;

/// The class of an input problem. Tests and tools can match on it; people read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid TOML (includes truncated files).
    Syntax,
    /// A key the description does not know (often a typo).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong TOML type (a table where a number belongs, ...).
    WrongType,
    /// A dimensional value with a missing, unknown or wrong unit, or a non-finite number.
    Unit,
    /// A value outside its physical or allowed range (negative power, NaN, ENOB > bits, ...).
    Value,
    /// Parts that cannot go together (width not divisible into slots, tier C with re-driven
    /// weights, more wavelengths than the band holds, ...).
    Topology,
    /// An unknown preset name, or an `extends` chain that loops.
    Preset,
}

/// One problem in an input description.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    pub kind: ErrorKind,
    /// File path, or `preset NAME` for a built-in preset, or `--set KEY` for a command-line value.
    pub file: String,
    /// 1-based line, when the key is written somewhere.
    pub line: Option<usize>,
    /// 1-based column (in characters).
    pub column: Option<usize>,
    /// Dotted key path, such as `laser.power`.
    pub key: Option<String>,
    pub message: String,
    /// The source line the error points at, for display.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl InputError {
    /// An error that is not tied to a position in a file.
    pub fn bare(kind: ErrorKind, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            file: file.into(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
            source_line: None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let (Some(src), Some(col)) = (&self.source_line, self.column) {
            let n = self.line.unwrap_or(0).to_string();
            write!(
                f,
                "\n {n} | {src}\n {} | {}^",
                " ".repeat(n.len()),
                " ".repeat(col.saturating_sub(1))
            )?;
        }
        Ok(())
    }
}

/// One or more input problems; validation reports all it finds, not just the first.
#[derive(Debug, Clone, Serialize)]
pub struct InputErrors(pub Vec<InputError>);

impl InputErrors {
    pub fn one(e: InputError) -> Self {
        Self(vec![e])
    }
    /// The kinds of all problems, in order.
    pub fn kinds(&self) -> Vec<ErrorKind> {
        self.0.iter().map(|e| e.kind).collect()
    }
    /// Whether any problem is about `key`.
    pub fn mentions_key(&self, key: &str) -> bool {
        self.0.iter().any(|e| e.key.as_deref() == Some(key))
    }
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() > 1 {
            writeln!(f, "{} problems in the description:", self.0.len())?;
        }
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        Self::one(e)
    }
}

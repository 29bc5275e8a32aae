//! A description as it was written: one or more TOML layers merged into one table.
//!
//! Layers, from bottom to top: the files named by `extends` (built-in presets or other files),
//! the file itself, and `--set KEY=VALUE` overrides from the command line. The merged table is
//! what the typed description is read from; the layers are kept so that any problem found later
//! (by serde or by validation) can be pointed at the file, line and key where the value was
//! written.

use crate::error::{ErrorKind, InputError, InputErrors};
use crate::presets;
use crate::units::UNIT_TAG;
use crate::validate::{Problem, Validate};
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// Which kind of description a document holds (decides which presets `extends` can name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescKind {
    Rig,
    Workload,
    Gpu,
    Deployment,
}

impl DescKind {
    pub fn noun(self) -> &'static str {
        match self {
            DescKind::Rig => "rig",
            DescKind::Workload => "workload",
            DescKind::Gpu => "GPU",
            DescKind::Deployment => "deployment",
        }
    }
}

/// One written source of keys.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Shown in messages: a path, `preset NAME`, or `--set KEY`.
    pub origin: String,
    pub text: String,
    /// Directory for resolving relative `extends` paths.
    pub dir: Option<PathBuf>,
}

/// Merged layers of one description.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: DescKind,
    pub layers: Vec<Layer>,
    /// The merged table, `extends` removed.
    pub table: toml::Table,
}

/// What part of a key's line an error should point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Key,
    Value,
}

/// A resolved position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub source_line: String,
}

const MAX_EXTENDS_DEPTH: usize = 8;

impl Document {
    /// Loads a description from a path or a built-in preset name.
    ///
    /// A `spec` naming an existing file is read from disk; otherwise it is looked up among the
    /// presets of `kind`.
    pub fn load(kind: DescKind, spec: &str) -> Result<Self, InputErrors> {
        let path = Path::new(spec);
        // Anything that exists and is not a folder is read once, within the size limit: regular
        // files, standard input (`-`), pipes from process substitution, devices.
        if spec == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_dir()) {
            return Self::from_file(kind, path);
        }
        if path.is_dir() {
            return Err(InputError::bare(
                ErrorKind::Io,
                spec,
                format!("is a folder, not a {} file", kind.noun()),
            )
            .into());
        }
        if let Some(text) = presets::text(kind, spec) {
            return Self::from_text(kind, &format!("preset {spec}"), text, None);
        }
        let looks_like_path = spec.contains('/') || spec.contains('\\') || spec.ends_with(".toml");
        let err = if looks_like_path {
            InputError::bare(
                ErrorKind::Io,
                spec,
                format!(
                    "no such file (a {} file or a preset name was expected)",
                    kind.noun()
                ),
            )
        } else {
            InputError::bare(
                ErrorKind::Preset,
                spec,
                format!(
                    "no file or {} preset named \"{spec}\"; presets: {}{}",
                    kind.noun(),
                    presets::names(kind).join(", "),
                    suggest(spec, &presets::names(kind))
                ),
            )
        };
        Err(err.into())
    }

    /// Reads a description file.
    pub fn from_file(kind: DescKind, path: &Path) -> Result<Self, InputErrors> {
        let text = read_text(path)?;
        Self::from_read(kind, path, &text)
    }

    /// Parses text already read from `path` (by [`read_text`]): `path` names it in messages and
    /// resolves relative `extends`.
    pub fn from_read(kind: DescKind, path: &Path, text: &str) -> Result<Self, InputErrors> {
        let origin = if path == Path::new("-") {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        let dir = path.parent().map(Path::to_path_buf);
        Self::from_text(kind, &origin, text, dir)
    }

    /// Parses description text; `origin` names it in messages.
    pub fn from_text(
        kind: DescKind,
        origin: &str,
        text: &str,
        dir: Option<PathBuf>,
    ) -> Result<Self, InputErrors> {
        let mut layers = Vec::new();
        let mut chain = Vec::new();
        collect_layers(kind, origin, text, dir, &mut layers, &mut chain)?;
        let mut table = toml::Table::new();
        for layer in &layers {
            let mut t = parse_table(&layer.origin, &layer.text)?;
            t.remove("extends");
            merge(&mut table, t);
        }
        Ok(Self {
            kind,
            layers,
            table,
        })
    }

    /// Applies a command-line override `KEY=VALUE`. VALUE is read as a TOML value if it parses
    /// as one (`16`, `true`, `"6 ns"`), otherwise as a string (`6 ns`).
    pub fn set(&mut self, assignment: &str) -> Result<(), InputErrors> {
        let (key, raw) = assignment.split_once('=').ok_or_else(|| {
            InputError::bare(
                ErrorKind::Syntax,
                format!("--set {assignment}"),
                "expected KEY=VALUE, for example --set laser.power=\"12 dBm\"",
            )
        })?;
        let key = key.trim();
        let value = parse_value_literal(raw.trim());
        let origin = format!("--set {key}");
        insert_dotted(&mut self.table, key, value.clone())
            .map_err(|p| InputError::bare(ErrorKind::WrongType, &origin, p.message))?;
        self.layers.push(Layer {
            origin,
            text: format!("{key} = {value}"),
            dir: None,
        });
        Ok(())
    }

    /// Reads the typed description and validates it.
    ///
    /// Every problem of the description is reported at once: unknown keys, wrong types and
    /// units (see [`Document::read_all`]) together with the range checks of the keys that were
    /// read as written.
    pub fn parse<T: DeserializeOwned + Validate>(&self) -> Result<T, InputErrors> {
        let read = self.read_all::<T>();
        let mut problems = read.problems;
        match read.value {
            Some(value) => {
                let stand_in = |key: &str| {
                    read.stood_in
                        .iter()
                        .any(|s| key == s || key.starts_with(&format!("{s}.")))
                };
                problems.extend(value.problems().into_iter().filter(|p| !stand_in(&p.key)));
                if problems.is_empty() {
                    return Ok(value);
                }
            }
            None if problems.is_empty() => {
                return Err(self.problems_to_errors(vec![Problem::new(
                    "",
                    ErrorKind::Value,
                    "the description could not be read",
                )]));
            }
            None => {}
        }
        Err(self.problems_to_errors(problems))
    }

    /// Reads the typed description without semantic validation (every reading problem at once).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, InputErrors> {
        let read = self.read_all::<T>();
        match read.value {
            Some(v) if read.problems.is_empty() => Ok(v),
            _ => Err(self.problems_to_errors(read.problems)),
        }
    }

    /// Reads the typed description, collecting every problem serde finds rather than the first.
    ///
    /// serde stops at the first unknown key, wrong type or unit. To go on, the key at fault
    /// is set aside and the reading repeated: an unknown key is removed; a value of the wrong
    /// type or unit, or a missing key, stands in with the default preset's value at the same
    /// key (removed where the preset has none). The stand-ins are only a way to read on: the
    /// value is never returned as valid while any problem remains, and range checks of keys
    /// that stood in are not reported. At most [`MAX_PROBLEMS`] problems are collected.
    pub fn read_all<T: DeserializeOwned>(&self) -> ReadAll<T> {
        // A sound description is read once, as before; the stand-ins' preset and the copy they
        // are written into are made only when there is a problem.
        let first = match deserialize_table::<T>(&self.table) {
            Ok(v) => {
                return ReadAll {
                    value: Some(v),
                    problems: Vec::new(),
                    stood_in: Vec::new(),
                };
            }
            Err(p) => p,
        };
        let donor = presets::default_name(self.kind)
            .and_then(|name| presets::text(self.kind, name).map(|t| (name, t)))
            .and_then(|(name, t)| {
                Document::from_text(self.kind, &format!("preset {name}"), t, None).ok()
            })
            .map(|d| d.table);
        let mut first = Some(first);
        let mut table = self.table.clone();
        let mut problems: Vec<Problem> = Vec::new();
        let mut stood_in: Vec<String> = Vec::new();
        while problems.len() < MAX_PROBLEMS {
            let read = match first.take() {
                Some(p) => Err(p),
                None => deserialize_table::<T>(&table),
            };
            let p = match read {
                Ok(v) => {
                    return ReadAll {
                        value: Some(v),
                        problems: fold_misspellings(problems),
                        stood_in,
                    };
                }
                Err(p) => p,
            };
            // A key that is missing because its bad value was set aside is not a new problem.
            let caused = p.kind == ErrorKind::MissingKey && stood_in.contains(&p.key);
            let again = problems.iter().any(|q| q.key == p.key && q.kind == p.kind);
            if caused || again || p.key.is_empty() || p.key.contains('[') {
                if !caused && !again {
                    problems.push(p);
                }
                break;
            }
            let key = p.key.clone();
            let stand_in = match p.kind {
                ErrorKind::UnknownKey => None,
                _ => donor.as_ref().and_then(|d| get_dotted(d, &key)).cloned(),
            };
            problems.push(p);
            if !put_dotted(&mut table, &key, stand_in) {
                break;
            }
            stood_in.push(key);
        }
        ReadAll {
            value: None,
            problems: fold_misspellings(problems),
            stood_in,
        }
    }

    /// Turns key-addressed problems into located errors.
    pub fn problems_to_errors(&self, problems: Vec<Problem>) -> InputErrors {
        let mut errors: Vec<InputError> = problems
            .into_iter()
            .map(|p| self.locate_problem(p))
            .collect();
        // In the order of the files and their lines; problems without a line keep their order
        // after them.
        errors.sort_by_key(|e| (e.line.is_none(), e.file.clone(), e.line, e.column));
        InputErrors(errors)
    }

    fn locate_problem(&self, p: Problem) -> InputError {
        let point = if p.kind == ErrorKind::UnknownKey {
            Point::Key
        } else {
            Point::Value
        };
        // A missing key is pointed at the table that should hold it.
        let lookup = if p.kind == ErrorKind::MissingKey {
            p.key
                .rsplit_once('.')
                .map(|(parent, _)| parent.to_string())
                .unwrap_or_default()
        } else {
            p.key.clone()
        };
        let loc = self.locate(&lookup, point);
        let key = if p.key.is_empty() { None } else { Some(p.key) };
        match loc {
            Some(l) => InputError {
                kind: p.kind,
                file: l.origin,
                line: Some(l.line),
                column: Some(l.column),
                key,
                message: p.message,
                source_line: Some(l.source_line),
            },
            None => InputError {
                kind: p.kind,
                file: self.main_origin().to_string(),
                line: None,
                column: None,
                key,
                message: p.message,
                source_line: None,
            },
        }
    }

    /// The origin of the top file layer (not a command-line override).
    pub fn main_origin(&self) -> &str {
        self.layers
            .iter()
            .rev()
            .find(|l| !is_override(&l.origin))
            .or(self.layers.last())
            .map(|l| l.origin.as_str())
            .unwrap_or("<input>")
    }

    /// Finds where `key` (dotted path, `a.b[2].c`) was written, searching the top layer first.
    /// The empty key is the start of the top file.
    pub fn locate(&self, key: &str, point: Point) -> Option<Location> {
        let segs = split_path(key);
        for layer in self.layers.iter().rev() {
            let Ok(doc) = DeTable::parse(&layer.text) else {
                continue;
            };
            let span = if segs.is_empty() {
                if layer.origin.starts_with("--set") {
                    continue;
                }
                Some(0..0)
            } else {
                find_span(doc.get_ref(), &segs, point)
            };
            if let Some(span) = span {
                let (line, column, source_line) = line_col(&layer.text, span.start);
                return Some(Location {
                    origin: layer.origin.clone(),
                    line,
                    column,
                    source_line,
                });
            }
        }
        None
    }
}

fn collect_layers(
    kind: DescKind,
    origin: &str,
    text: &str,
    dir: Option<PathBuf>,
    layers: &mut Vec<Layer>,
    chain: &mut Vec<String>,
) -> Result<(), InputErrors> {
    if chain.iter().any(|c| c == origin) {
        return Err(InputError::bare(
            ErrorKind::Preset,
            origin,
            format!("`extends` loops: {} → {origin}", chain.join(" → ")),
        )
        .into());
    }
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return Err(InputError::bare(
            ErrorKind::Preset,
            origin,
            format!("`extends` is nested more than {MAX_EXTENDS_DEPTH} deep"),
        )
        .into());
    }
    let table = parse_table(origin, text)?;
    chain.push(origin.to_string());
    if let Some(ext) = table.get("extends") {
        let locate_ext = |message: String, kind_: ErrorKind| -> InputErrors {
            let (line, column, source_line) = DeTable::parse(text)
                .ok()
                .and_then(|d| find_span(d.get_ref(), &[Seg::Key("extends".into())], Point::Value))
                .map(|s| line_col(text, s.start))
                .unwrap_or((1, 1, String::new()));
            InputError {
                kind: kind_,
                file: origin.to_string(),
                line: Some(line),
                column: Some(column),
                key: Some("extends".into()),
                message,
                source_line: Some(source_line),
            }
            .into()
        };
        let Some(name) = ext.as_str() else {
            return Err(locate_ext(
                "`extends` names a preset or a file, as a string".into(),
                ErrorKind::WrongType,
            ));
        };
        let candidate = dir
            .as_ref()
            .map(|d| d.join(name))
            .unwrap_or_else(|| PathBuf::from(name));
        if candidate.is_file() {
            let base_text = std::fs::read_to_string(&candidate).map_err(|e| {
                locate_ext(
                    format!("cannot read {}: {e}", candidate.display()),
                    ErrorKind::Io,
                )
            })?;
            let base_origin = candidate.display().to_string();
            let base_dir = candidate.parent().map(Path::to_path_buf);
            collect_layers(kind, &base_origin, &base_text, base_dir, layers, chain)?;
        } else if let Some(base_text) = presets::text(kind, name) {
            collect_layers(
                kind,
                &format!("preset {name}"),
                base_text,
                None,
                layers,
                chain,
            )?;
        } else {
            return Err(locate_ext(
                format!(
                    "`extends = \"{name}\"` names no file and no {} preset; presets: {}{}",
                    kind.noun(),
                    presets::names(kind).join(", "),
                    suggest(name, &presets::names(kind))
                ),
                ErrorKind::Preset,
            ));
        }
    }
    chain.pop();
    layers.push(Layer {
        origin: origin.to_string(),
        text: text.to_string(),
        dir,
    });
    Ok(())
}

/// Parses TOML text into a table, with syntax errors located.
fn parse_table(origin: &str, text: &str) -> Result<toml::Table, InputErrors> {
    toml::from_str::<toml::Table>(text).map_err(|e| {
        let (line, column, source_line) = e
            .span()
            .map(|s| line_col(text, s.start))
            .map(|(l, c, s)| (Some(l), Some(c), Some(s)))
            .unwrap_or((None, None, None));
        let mut message = format!("invalid TOML: {}", e.message().trim());
        let last_line = text.matches('\n').count() + 1;
        if !text.is_empty() && !text.ends_with('\n') && line == Some(last_line) {
            // A file cut off mid-way usually ends without a newline, at the failing line.
            message.push_str(" (the file may be truncated)");
        }
        InputError {
            kind: ErrorKind::Syntax,
            file: origin.to_string(),
            line,
            column,
            key: None,
            message,
            source_line,
        }
        .into()
    })
}

/// Whether a layer is an override of one key on top of a description: `--set KEY` on the
/// command line, `with_ KEY` from the Python package.
pub fn is_override(origin: &str) -> bool {
    origin.starts_with("--set ") || origin.starts_with("with_ ")
}

/// Deep-merges `top` into `base`: tables merge key by key, anything else replaces.
pub fn merge(base: &mut toml::Table, top: toml::Table) {
    for (k, v) in top {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Sets `a.b.c = value` in a table, creating intermediate tables.
pub fn insert_dotted(
    table: &mut toml::Table,
    key: &str,
    value: toml::Value,
) -> Result<(), Problem> {
    let fail = |m: String| Problem::new(key, ErrorKind::WrongType, m);
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(fail(format!("`{key}` is not a valid dotted key")));
    }
    let (last, parents) = parts.split_last().expect("split yields at least one part");
    let mut t = table;
    for (i, p) in parents.iter().enumerate() {
        let entry = t
            .entry((*p).to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = match entry {
            toml::Value::Table(inner) => inner,
            _ => {
                return Err(fail(format!(
                    "`{}` is a value, not a table, so `{key}` cannot be set",
                    parts[..=i].join(".")
                )));
            }
        };
    }
    t.insert((*last).to_string(), value);
    Ok(())
}

/// Reads `raw` as a TOML value, or as a string when it is not one.
pub fn parse_value_literal(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// The largest description file read, in bytes (the presets are a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads a description file once, whole, and within [`MAX_FILE_BYTES`]: a regular file, a pipe
/// or device, or standard input when `path` is `-`. A folder, an unreadable file, a file over
/// the limit and text that is not UTF-8 are errors naming the file.
pub fn read_text(path: &Path) -> Result<String, InputErrors> {
    use std::io::Read;
    let stdin = path == Path::new("-");
    let origin = if stdin {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    if path.is_dir() {
        return Err(InputError::bare(
            ErrorKind::Io,
            &origin,
            "is a folder, not a description file",
        )
        .into());
    }
    let io = |e: std::io::Error| {
        InputErrors::from(InputError::bare(
            ErrorKind::Io,
            &origin,
            format!("cannot read the file: {e}"),
        ))
    };
    let mut bytes = Vec::new();
    if stdin {
        std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(InputError::bare(
            ErrorKind::Io,
            &origin,
            format!(
                "larger than {} MiB, the most a description may hold: is this the right file?",
                MAX_FILE_BYTES >> 20
            ),
        )
        .into());
    }
    String::from_utf8(bytes).map_err(|e| {
        InputErrors::from(InputError::bare(
            ErrorKind::Syntax,
            &origin,
            format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// The most problems [`Document::read_all`] collects from one description.
pub const MAX_PROBLEMS: usize = 50;

/// What [`Document::read_all`] found.
#[derive(Debug)]
pub struct ReadAll<T> {
    /// The description read with the stand-ins (none when reading stopped early).
    pub value: Option<T>,
    /// Every problem found, in the order serde met them.
    pub problems: Vec<Problem>,
    /// The keys set aside or given a stand-in value to read on.
    pub stood_in: Vec<String>,
}

/// Drops the missing-key problems that a misspelt key already explains: `laser.rim` (did you
/// mean `rin`?) makes `laser.rin` missing, which is one mistake, not two.
fn fold_misspellings(problems: Vec<Problem>) -> Vec<Problem> {
    let explained = |p: &Problem| {
        let (parent, field) = p.key.rsplit_once('.').unwrap_or(("", p.key.as_str()));
        problems.iter().any(|q| {
            q.kind == ErrorKind::UnknownKey
                && q.key.rsplit_once('.').map_or("", |x| x.0) == parent
                && q.message.ends_with(&format!("did you mean `{field}`?"))
        })
    };
    let keep: Vec<bool> = problems
        .iter()
        .map(|p| !(p.kind == ErrorKind::MissingKey && explained(p)))
        .collect();
    problems
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

/// A dotted key's parent tables and its last part: `a.b.c` → ([a, b], c).
fn split_dotted(key: &str) -> (Vec<&str>, &str) {
    match key.rsplit_once('.') {
        Some((p, l)) => (p.split('.').collect(), l),
        None => (Vec::new(), key),
    }
}

/// The value at a dotted key of a table.
fn get_dotted<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let (parents, last) = split_dotted(key);
    let mut t = table;
    for part in parents {
        t = t.get(part)?.as_table()?;
    }
    t.get(last)
}

/// Sets (or, with `None`, removes) the value at a dotted key whose parent tables exist;
/// whether the key could be reached.
fn put_dotted(table: &mut toml::Table, key: &str, value: Option<toml::Value>) -> bool {
    let (parents, last) = split_dotted(key);
    let mut t = table;
    for part in parents {
        match t.get_mut(part).and_then(toml::Value::as_table_mut) {
            Some(next) => t = next,
            None => return false,
        }
    }
    match value {
        Some(v) => {
            t.insert(last.to_string(), v);
        }
        None => {
            t.remove(last);
        }
    }
    true
}

/// Deserializes a merged table, turning a serde error into a key-addressed problem.
pub fn deserialize_table<T: DeserializeOwned>(table: &toml::Table) -> Result<T, Problem> {
    let value = toml::Value::Table(table.clone());
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        classify_serde_error(path, e.inner().message())
    })
}

/// serde's names of integer types in words: "expected u32" says the range instead.
fn integer_words(raw: &str) -> String {
    let mut s = raw.to_string();
    for (ty, max) in [
        ("u8", u8::MAX as u64),
        ("u16", u16::MAX as u64),
        ("u32", u32::MAX as u64),
        ("u64", u64::MAX),
        ("usize", usize::MAX as u64),
    ] {
        let name = format!("expected {ty}");
        if s.ends_with(&name) {
            s = format!(
                "{}expected a whole number from 0 to {max}",
                &s[..s.len() - name.len()]
            );
        }
    }
    s
}

fn classify_serde_error(path: String, raw: &str) -> Problem {
    let raw = &integer_words(raw);
    if let Some(msg) = raw.strip_prefix(UNIT_TAG) {
        return Problem::new(path, ErrorKind::Unit, msg);
    }
    if raw.starts_with("unknown field") {
        let names = backticked(raw);
        let hint = names
            .first()
            .map(|bad| {
                suggest(
                    bad,
                    &names[1..].iter().map(String::as_str).collect::<Vec<_>>(),
                )
            })
            .unwrap_or_default();
        return Problem::new(path, ErrorKind::UnknownKey, format!("{raw}{hint}"));
    }
    if raw.starts_with("missing field") {
        let field = backticked(raw).into_iter().next().unwrap_or_default();
        let key = if path.is_empty() {
            field
        } else {
            format!("{path}.{field}")
        };
        return Problem::new(key, ErrorKind::MissingKey, raw);
    }
    if raw.starts_with("invalid type") {
        // An integer too long for TOML arrives as text: say so rather than "string".
        if let Some(digits) = raw
            .strip_prefix("invalid type: string \"")
            .and_then(|r| r.split_once('"'))
            .map(|(d, _)| d)
            .filter(|d| {
                let d = d.strip_prefix('-').unwrap_or(d);
                !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
            })
        {
            let expected = raw.rsplit_once("expected ").map_or("", |x| x.1);
            return Problem::new(
                path,
                ErrorKind::Value,
                format!("{digits} is too large: expected {expected}"),
            );
        }
        return Problem::new(path, ErrorKind::WrongType, raw);
    }
    Problem::new(path, ErrorKind::Value, raw)
}

/// Words quoted in backticks, in order.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// ` (did you mean "x"?)` when a candidate is close to `word`.
pub fn suggest(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn split_path(key: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in key.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Seg::Key(rest[..i].to_string()));
            rest = &rest[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let end = stripped.find(']').unwrap_or(stripped.len());
                if let Ok(n) = stripped[..end].parse() {
                    out.push(Seg::Index(n));
                }
                rest = stripped.get(end + 1..).unwrap_or("");
            }
        } else {
            out.push(Seg::Key(rest.to_string()));
        }
    }
    out
}

fn find_span(table: &DeTable<'_>, segs: &[Seg], point: Point) -> Option<Range<usize>> {
    let (first, rest) = segs.split_first()?;
    let Seg::Key(name) = first else { return None };
    let (k, v) = table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == name.as_str())?;
    if rest.is_empty() {
        return Some(if point == Point::Key {
            k.span()
        } else {
            v.span()
        });
    }
    find_in_value(v.get_ref(), rest, point).or(Some(v.span()))
}

fn find_in_value(v: &DeValue<'_>, segs: &[Seg], point: Point) -> Option<Range<usize>> {
    match (v, segs.first()?) {
        (DeValue::Table(t), Seg::Key(_)) => find_span(t, segs, point),
        (DeValue::Array(a), Seg::Index(i)) => {
            let item = a.get(*i)?;
            if segs.len() == 1 {
                Some(item.span())
            } else {
                find_in_value(item.get_ref(), &segs[1..], point)
            }
        }
        _ => None,
    }
}

/// 1-based line and column (in characters) of a byte offset, and the text of that line.
pub fn line_col(text: &str, offset: usize) -> (usize, usize, String) {
    let offset = offset.min(text.len());
    let offset = (0..=offset)
        .rev()
        .find(|o| text.is_char_boundary(*o))
        .unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = text[line_start..offset].chars().count() + 1;
    let line_end = text[line_start..]
        .find('\n')
        .map(|i| line_start + i)
        .unwrap_or(text.len());
    (
        line,
        column,
        text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            split_path("run.optical_ops[2]"),
            vec![
                Seg::Key("run".into()),
                Seg::Key("optical_ops".into()),
                Seg::Index(2)
            ]
        );
        assert!(split_path("").is_empty());
    }

    #[test]
    fn line_and_column_count_characters() {
        let t = "a = 1\nµ = \"x\"\nb = 2";
        assert_eq!(line_col(t, 0), (1, 1, "a = 1".into()));
        let off = t.find("\"x\"").unwrap();
        assert_eq!(line_col(t, off), (2, 5, "µ = \"x\"".into()));
    }

    #[test]
    fn merge_is_deep() {
        let mut a: toml::Table = toml::from_str("[x]\na = 1\nb = 2\n").unwrap();
        let b: toml::Table = toml::from_str("[x]\nb = 3\n[y]\nc = 4\n").unwrap();
        merge(&mut a, b);
        assert_eq!(a["x"]["a"].as_integer(), Some(1));
        assert_eq!(a["x"]["b"].as_integer(), Some(3));
        assert_eq!(a["y"]["c"].as_integer(), Some(4));
    }

    #[test]
    fn literal_values() {
        assert_eq!(parse_value_literal("16").as_integer(), Some(16));
        assert_eq!(parse_value_literal("\"6 ns\"").as_str(), Some("6 ns"));
        assert_eq!(parse_value_literal("6 ns").as_str(), Some("6 ns"));
        assert_eq!(parse_value_literal("true").as_bool(), Some(true));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("powr", &["power", "rin"]),
            "; did you mean `power`?"
        );
        assert_eq!(suggest("zzzzzz", &["power", "rin"]), "");
    }
}

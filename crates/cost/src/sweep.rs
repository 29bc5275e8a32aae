//! Parameter sweeps: grids over any rig or workload key, evaluated in parallel and streamed to
//! CSV or JSON Lines in grid order.
//!
//! * Memory is flat in the grid size: a point is decoded from its index (mixed radix over the
//!   axes) and rows are written chunk by chunk.
//! * Results do not depend on the thread count: each row is a pure function of its index, and
//!   chunks are written in index order.
//! * A killed sweep resumes: rows go to `OUT.partial` (with the sweep's description beside it in
//!   `OUT.partial.json`); a rerun of the same sweep keeps every complete row, drops a row cut
//!   off mid-line, and continues. Only a finished sweep is renamed to `OUT`, so a file at `OUT`
//!   is always complete.

use crate::error::CostError;
use crate::evaluate::evaluate;
use crate::ledger::Category;
use lightloop_gpu::evaluate_gpu;
use lightloop_rig::document::{insert_dotted, parse_value_literal};
use lightloop_rig::{Gpu, Rig, Workload, from_table};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Top-level sections of a workload description; every other key belongs to the rig.
const WORKLOAD_SECTIONS: [&str; 4] = ["workload", "model", "run", "loop"];

/// One swept key and its values (TOML values, as they would be written in the file).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<toml::Value>,
}

impl Axis {
    /// Whether the key belongs to the workload (else the rig).
    pub fn is_workload(&self) -> bool {
        let first = self.key.split('.').next().unwrap_or("");
        WORKLOAD_SECTIONS.contains(&first)
    }
}

/// Splits `"12.5 mW"` into (12.5, "mW"); `"16"` into (16, "").
fn number_and_unit(s: &str) -> Option<(f64, String)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(i, c)| {
            !(c.is_ascii_digit()
                || *c == '.'
                || ((*c == '-' || *c == '+') && (*i == 0 || s[..*i].ends_with(['e', 'E'])))
                || ((*c == 'e' || *c == 'E') && *i > 0))
        })
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let x: f64 = s[..end].parse().ok()?;
    x.is_finite().then(|| (x, s[end..].trim().to_string()))
}

/// Parses `KEY=SPEC`. SPEC is a comma-separated list of values (`1 mW,2 mW`, `8,16,32`), or
/// `lin:START..STOP:N` or `log:START..STOP:N` for N evenly or geometrically spaced values.
/// START and STOP are numbers or quantities in the same unit (`log:0.1 mW..10 mW:21`).
/// Integer ranges give integers (rounded, repeats dropped).
pub fn parse_axis(arg: &str) -> Result<Axis, CostError> {
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        CostError::Spec(format!(
            "`{arg}`: expected KEY=VALUES, e.g. topology.channels=8,16,32"
        ))
    })?;
    let key = key.trim().to_string();
    if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
        return Err(CostError::Spec(format!(
            "`{arg}`: `{key}` is not a dotted key"
        )));
    }
    let spec = spec.trim();
    let values = if let Some((kind, rest)) = spec
        .split_once(':')
        .filter(|(k, _)| *k == "lin" || *k == "log")
    {
        let (range, n) = rest
            .rsplit_once(':')
            .ok_or_else(|| CostError::Spec(format!("`{arg}`: expected {kind}:START..STOP:N")))?;
        let (a, b) = range
            .split_once("..")
            .ok_or_else(|| CostError::Spec(format!("`{arg}`: expected {kind}:START..STOP:N")))?;
        let n: usize = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n >= 1 && *n <= 10_000_000)
            .ok_or_else(|| {
                CostError::Spec(format!(
                    "`{arg}`: the point count `{n}` must be an integer from 1 to 10^7"
                ))
            })?;
        let (x0, u0) = number_and_unit(a).ok_or_else(|| {
            CostError::Spec(format!(
                "`{arg}`: `{a}` is not a number with an optional unit"
            ))
        })?;
        let (x1, u1) = number_and_unit(b).ok_or_else(|| {
            CostError::Spec(format!(
                "`{arg}`: `{b}` is not a number with an optional unit"
            ))
        })?;
        if u0 != u1 {
            return Err(CostError::Spec(format!(
                "`{arg}`: both ends must use the same unit (found `{u0}` and `{u1}`)"
            )));
        }
        if kind == "log" && (x0 <= 0.0 || x1 <= 0.0) {
            return Err(CostError::Spec(format!(
                "`{arg}`: a log range needs positive ends"
            )));
        }
        let integer = u0.is_empty() && !a.contains(['.', 'e', 'E']) && !b.contains(['.', 'e', 'E']);
        let mut out: Vec<toml::Value> = Vec::with_capacity(n);
        for i in 0..n {
            let f = if n == 1 {
                0.0
            } else {
                i as f64 / (n - 1) as f64
            };
            let x = if kind == "lin" {
                x0 + (x1 - x0) * f
            } else {
                (x0.ln() + (x1.ln() - x0.ln()) * f).exp()
            };
            let v = if integer {
                toml::Value::Integer(x.round() as i64)
            } else if u0.is_empty() {
                toml::Value::Float(x)
            } else {
                toml::Value::String(format!("{} {u0}", lightloop_rig::units::trim_float(x, 12)))
            };
            if out.last() != Some(&v) {
                out.push(v);
            }
        }
        out
    } else {
        split_list(spec)
            .iter()
            .map(|v| parse_value_literal(v))
            .collect()
    };
    if values.is_empty() {
        return Err(CostError::Spec(format!("`{arg}`: no values")));
    }
    Ok(Axis { key, values })
}

/// Splits on commas outside quotes and brackets.
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut depth, mut quote) = (String::new(), 0i32, None::<char>);
    for c in s.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('[' | '{', None) => depth += 1,
            (']' | '}', None) => depth -= 1,
            (',', None) if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Output format of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    /// From the output file's extension (`.csv`, `.jsonl`, `.ndjson`).
    pub fn from_path(p: &Path) -> Option<Self> {
        match p.extension().and_then(|e| e.to_str()) {
            Some("csv") => Some(Format::Csv),
            Some("jsonl" | "ndjson") => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// A sweep: base descriptions (merged tables) and axes.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub rig_table: toml::Table,
    pub workload_table: toml::Table,
    pub gpu: Option<Gpu>,
    pub axes: Vec<Axis>,
    /// A line identifying the base rig, workload and GPU (names, origins) for the spec file.
    pub label: String,
}

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Num(f64),
    Text(String),
}

/// A dotted key as a column name: `laser.power` → `laser_power`, `layers[1].width` →
/// `layers_1_width`.
pub fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        match c {
            '.' | '[' | '-' | ' ' => out.push('_'),
            ']' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A unit as a column suffix in ASCII lower case (`mW` → `mw`, `dBm` → `dbm`, `µs` → `us`,
/// `GB/s` → `gb_per_s`); the mega and peta prefixes, which lower case would confuse with milli
/// and pico, are written `mega` and `peta` (`MW` → `megaw`).
pub fn unit_suffix(unit: &str) -> String {
    let mut chars = unit.chars();
    let first = match (chars.next(), unit.chars().nth(1)) {
        (Some('M'), Some(c)) if c.is_alphabetic() => "mega".to_string(),
        (Some('P'), Some(c)) if c.is_alphabetic() => "peta".to_string(),
        (Some(c), _) => c.to_string(),
        (None, _) => String::new(),
    };
    let rest: String = chars.collect();
    (first + &rest)
        .replace('/', "_per_")
        .replace('µ', "u")
        .replace('Ω', "ohm")
        .replace('√', "sqrt")
        .replace(' ', "_")
        .to_lowercase()
}

/// How an axis is written: numbers as they are; strings sharing one unit as numbers in a column
/// named `key_unit` (`laser_power_mw`); anything else as text.
#[derive(Debug, Clone)]
enum AxisColumn {
    Number,
    Unit(String),
    Text,
}

impl Sweep {
    /// Grid points.
    pub fn len(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Axis values of point `index` (mixed radix, last axis fastest).
    fn point(&self, mut index: u64) -> Vec<&toml::Value> {
        let mut out = vec![&self.axes[0].values[0]; self.axes.len()];
        for (i, axis) in self.axes.iter().enumerate().rev() {
            let n = axis.values.len() as u64;
            out[i] = &axis.values[(index % n) as usize];
            index /= n;
        }
        out
    }

    fn axis_columns(&self) -> Vec<AxisColumn> {
        self.axes
            .iter()
            .map(|a| {
                if a.values.iter().all(|v| v.is_integer() || v.is_float()) {
                    return AxisColumn::Number;
                }
                let units: Vec<Option<String>> = a
                    .values
                    .iter()
                    .map(|v| v.as_str().and_then(number_and_unit).map(|(_, u)| u))
                    .collect();
                match units.first() {
                    Some(Some(u))
                        if !u.is_empty() && units.iter().all(|x| x.as_deref() == Some(u)) =>
                    {
                        AxisColumn::Unit(u.clone())
                    }
                    _ => AxisColumn::Text,
                }
            })
            .collect()
    }

    /// Column names, in order.
    pub fn columns(&self) -> Vec<String> {
        let mut cols = vec!["point".to_string()];
        for (a, c) in self.axes.iter().zip(self.axis_columns()) {
            cols.push(match c {
                AxisColumn::Unit(u) => format!("{}_{}", snake(&a.key), unit_suffix(&u)),
                _ => snake(&a.key),
            });
        }
        cols.extend(METRIC_COLUMNS.iter().map(|s| s.to_string()));
        cols.extend(Category::ALL.iter().map(|c| format!("j_{}", c.key())));
        if self.gpu.is_some() {
            cols.extend(GPU_COLUMNS.iter().map(|s| s.to_string()));
        }
        cols.push("checks".into());
        cols.push("error".into());
        cols
    }

    /// Checks that every axis names a key the descriptions know, with values of the right kind
    /// (units, types), by applying each value alone to the base descriptions. Values that are
    /// merely out of range are left to their rows.
    pub fn preflight(&self) -> Result<(), CostError> {
        use lightloop_rig::ErrorKind;
        use lightloop_rig::document::deserialize_table;
        if self.axes.is_empty() {
            return Err(CostError::Spec("give at least one --vary axis".into()));
        }
        for axis in &self.axes {
            for v in axis.values.iter().take(64) {
                let result = if axis.is_workload() {
                    let mut t = self.workload_table.clone();
                    insert_dotted(&mut t, &axis.key, v.clone())
                        .and_then(|_| deserialize_table::<Workload>(&t).map(|_| ()))
                } else {
                    let mut t = self.rig_table.clone();
                    insert_dotted(&mut t, &axis.key, v.clone())
                        .and_then(|_| deserialize_table::<Rig>(&t).map(|_| ()))
                };
                if let Err(p) = result {
                    let about_axis =
                        p.key == axis.key || p.key.starts_with(&format!("{}.", axis.key));
                    if about_axis
                        && matches!(
                            p.kind,
                            ErrorKind::UnknownKey | ErrorKind::Unit | ErrorKind::WrongType
                        )
                    {
                        let what = if axis.is_workload() {
                            "workload"
                        } else {
                            "rig"
                        };
                        return Err(CostError::Spec(format!(
                            "--vary {}={v}: {what} key `{}`: {}",
                            axis.key, p.key, p.message
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// A description of the sweep that a resumed run must match exactly.
    pub fn fingerprint(&self, format: Format) -> String {
        let axes: Vec<serde_json::Value> = self
            .axes
            .iter()
            .map(|a| {
                serde_json::json!({
                    "key": a.key,
                    "values": a.values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_string_pretty(&serde_json::json!({
            "lightloop_sweep": 1,
            "version": env!("CARGO_PKG_VERSION"),
            "label": self.label,
            "rig": toml::to_string(&self.rig_table).unwrap_or_default(),
            "workload": toml::to_string(&self.workload_table).unwrap_or_default(),
            "gpu": self.gpu.as_ref().map(|g| toml::to_string(g).unwrap_or_default()),
            "format": format!("{format:?}"),
            "points": self.len(),
            "axes": axes,
        }))
        .unwrap_or_default()
    }

    /// Evaluates point `index` into its cells (pure: depends only on the index).
    fn row(&self, index: u64, axis_cols: &[AxisColumn]) -> Vec<Cell> {
        let values = self.point(index);
        let mut cells = Vec::with_capacity(48);
        cells.push(Cell::Num(index as f64));
        for (v, c) in values.iter().zip(axis_cols) {
            cells.push(match c {
                AxisColumn::Number => Cell::Num(
                    v.as_float()
                        .or(v.as_integer().map(|i| i as f64))
                        .unwrap_or(f64::NAN),
                ),
                AxisColumn::Unit(_) => Cell::Num(
                    v.as_str()
                        .and_then(number_and_unit)
                        .map(|(x, _)| x)
                        .unwrap_or(f64::NAN),
                ),
                AxisColumn::Text => Cell::Text(match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            });
        }
        let n_metrics = METRIC_COLUMNS.len()
            + Category::ALL.len()
            + if self.gpu.is_some() {
                GPU_COLUMNS.len()
            } else {
                0
            };
        match self.evaluate_point(&values) {
            Ok((metrics, checks)) => {
                cells.extend(metrics.into_iter().map(Cell::Num));
                cells.push(Cell::Text(checks));
                cells.push(Cell::Text(String::new()));
            }
            Err(e) => {
                cells.extend(std::iter::repeat_n(Cell::Num(f64::NAN), n_metrics));
                cells.push(Cell::Text(String::new()));
                cells.push(Cell::Text(e));
            }
        }
        cells
    }

    fn evaluate_point(&self, values: &[&toml::Value]) -> Result<(Vec<f64>, String), String> {
        let mut rig_t = self.rig_table.clone();
        let mut wl_t = self.workload_table.clone();
        for (axis, v) in self.axes.iter().zip(values) {
            let t = if axis.is_workload() {
                &mut wl_t
            } else {
                &mut rig_t
            };
            insert_dotted(t, &axis.key, (*v).clone())
                .map_err(|p| format!("{}: {}", axis.key, p.message))?;
        }
        let describe = |what: &str, problems: Vec<lightloop_rig::Problem>| {
            problems
                .iter()
                .map(|p| format!("{what} key `{}`: {}", p.key, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let rig: Rig = from_table(&rig_t).map_err(|p| describe("rig", p))?;
        let wl: Workload = from_table(&wl_t).map_err(|p| describe("workload", p))?;
        let e = evaluate(&rig, &wl).map_err(|e| e.to_string())?;
        let m = &e.metrics;
        let mut out = vec![
            m.j_per_token,
            m.fj_per_mac,
            m.core_fj_per_optical_mac,
            m.tops_per_w,
            m.tokens_per_s,
            m.step_time,
            m.ttft,
            m.optical_macs_per_token,
            m.host_macs_per_token,
            m.static_fraction,
            e.noise.snr_db,
            e.noise.enob,
            e.noise.required_laser_power.unwrap_or(f64::NAN),
            e.rates.macs_per_symbol,
            e.rates.effective_period,
            e.rates.peak_macs_per_s,
            e.rates.utilisation,
        ];
        out.extend(Category::ALL.iter().map(|c| e.per_token.category(*c)));
        if let Some(g) = &self.gpu {
            let ge = evaluate_gpu(g, &wl).map_err(|e| format!("GPU baseline: {e}"))?;
            out.extend([
                ge.j_per_token,
                ge.tokens_per_s,
                m.j_per_token / ge.j_per_token,
            ]);
        }
        let checks = e
            .checks
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(";");
        Ok((out, checks))
    }
}

/// Metric columns after the axes.
pub const METRIC_COLUMNS: [&str; 17] = [
    "j_per_token",
    "fj_per_mac",
    "core_fj_per_optical_mac",
    "tops_per_w",
    "tokens_per_s",
    "step_time_s",
    "ttft_s",
    "optical_macs_per_token",
    "host_macs_per_token",
    "static_fraction",
    "snr_db",
    "enob",
    "required_laser_power_w",
    "macs_per_symbol",
    "symbol_period_s",
    "peak_macs_per_s",
    "utilisation",
];

/// GPU columns when a baseline is given.
pub const GPU_COLUMNS: [&str; 3] = [
    "gpu_j_per_token",
    "gpu_tokens_per_s",
    "energy_ratio_rig_to_gpu",
];

fn format_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

fn encode(cells: &[Vec<Cell>], columns: &[String], format: Format) -> Vec<u8> {
    let mut buf = Vec::with_capacity(cells.len() * 400);
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut buf);
            for row in cells {
                let rec: Vec<String> = row
                    .iter()
                    .map(|c| match c {
                        Cell::Num(x) => format_num(*x),
                        Cell::Text(s) => s.clone(),
                    })
                    .collect();
                w.write_record(&rec)
                    .expect("writing CSV to memory cannot fail");
            }
            w.flush().expect("flushing CSV to memory cannot fail");
        }
        Format::JsonLines => {
            for row in cells {
                let mut line = String::from("{");
                for (i, (name, c)) in columns.iter().zip(row).enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    let key = serde_json::to_string(name).expect("a string serialises");
                    let value = match c {
                        Cell::Num(x) if x.is_finite() => format!("{x}"),
                        Cell::Num(_) => "null".to_string(),
                        Cell::Text(s) => serde_json::to_string(s).expect("a string serialises"),
                    };
                    let _ = write!(line, "{key}:{value}");
                }
                line.push_str("}\n");
                buf.extend_from_slice(line.as_bytes());
            }
        }
    }
    buf
}

/// Where rows go, and how far a previous run got.
#[derive(Debug, Clone)]
pub struct Output {
    pub path: PathBuf,
    pub format: Format,
    /// Overwrite a finished output or a partial one from a different sweep.
    pub force: bool,
}

/// Where a file or folder is written before it is complete: `PATH.partial`.
pub fn partial_path(path: &std::path::Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

impl Output {
    pub fn partial_path(&self) -> PathBuf {
        partial_path(&self.path)
    }
    pub fn spec_path(&self) -> PathBuf {
        let mut p = self.path.as_os_str().to_owned();
        p.push(".partial.json");
        PathBuf::from(p)
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    pub total: u64,
    /// Rows found complete in a partial file and kept.
    pub resumed: u64,
    /// Rows written by this run.
    pub written: u64,
    /// Rows of this run that hold an error (an invalid point) instead of figures.
    pub errors: u64,
    /// Whether the sweep finished (and `OUT` now exists).
    pub finished: bool,
}

/// Counts complete lines of a partial file and truncates a cut-off last line.
fn complete_lines(path: &Path) -> Result<u64, CostError> {
    let io = |e| CostError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let mut reader = std::io::BufReader::new(&file);
    let (mut lines, mut good_len, mut buf) = (0u64, 0u64, Vec::new());
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io)?;
        if n == 0 || buf.last() != Some(&b'\n') {
            break;
        }
        lines += 1;
        good_len += n as u64;
    }
    file.set_len(good_len).map_err(io)?;
    Ok(lines)
}

/// Rows per chunk: enough to keep the threads busy, few enough to keep memory flat.
pub const CHUNK: u64 = 2048;

/// Runs (or resumes) a sweep. `progress(done, total)` is called after each chunk;
/// `stop_after` ends the run early after that many new rows (for tests of resumption).
pub fn run(
    sweep: &Sweep,
    out: &Output,
    progress: &(dyn Fn(u64, u64) + Sync),
    stop_after: Option<u64>,
) -> Result<RunSummary, CostError> {
    let total = sweep.len();
    let partial = out.partial_path();
    let spec_path = out.spec_path();
    let fingerprint = sweep.fingerprint(out.format);
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| CostError::Io {
            path: p.clone(),
            source: e,
        }
    };

    if out.path.exists() && !out.force {
        return Err(CostError::Exists(out.path.clone()));
    }
    let mut resumed = 0u64;
    let can_resume = partial.exists()
        && std::fs::read_to_string(&spec_path)
            .map(|s| s == fingerprint)
            .unwrap_or(false);
    if partial.exists() && !can_resume && !out.force {
        return Err(CostError::Mismatch(partial.clone()));
    }
    let columns = sweep.columns();
    if can_resume {
        let lines = complete_lines(&partial)?;
        let header = u64::from(out.format == Format::Csv);
        resumed = lines.saturating_sub(header).min(total);
        if lines == 0 && header == 1 {
            // Not even the header survived: start over.
            std::fs::remove_file(&partial).map_err(io(&partial))?;
        }
    }
    if !partial.exists() {
        std::fs::write(&spec_path, &fingerprint).map_err(io(&spec_path))?;
        let mut f = std::fs::File::create(&partial).map_err(io(&partial))?;
        if out.format == Format::Csv {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record(&columns)
                .expect("writing CSV to memory cannot fail");
            let header = w.into_inner().expect("flushing CSV to memory cannot fail");
            f.write_all(&header).map_err(io(&partial))?;
        }
        resumed = 0;
    }
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&partial)
        .map_err(io(&partial))?;
    let mut writer = std::io::BufWriter::new(file);
    let axis_cols = sweep.axis_columns();
    let mut next = resumed;
    let mut errors = 0u64;
    let limit = stop_after
        .map(|n| (resumed + n).min(total))
        .unwrap_or(total);
    progress(next, total);
    while next < limit {
        let end = (next + CHUNK).min(limit);
        let rows: Vec<Vec<Cell>> = (next..end)
            .into_par_iter()
            .map(|i| sweep.row(i, &axis_cols))
            .collect();
        errors += rows
            .iter()
            .filter(|r| matches!(r.last(), Some(Cell::Text(t)) if !t.is_empty()))
            .count() as u64;
        writer
            .write_all(&encode(&rows, &columns, out.format))
            .map_err(io(&partial))?;
        writer.flush().map_err(io(&partial))?;
        next = end;
        progress(next, total);
    }
    drop(writer);
    let finished = next == total;
    if finished {
        if out.path.exists() {
            std::fs::remove_file(&out.path).map_err(io(&out.path))?;
        }
        std::fs::rename(&partial, &out.path).map_err(io(&out.path))?;
        let _ = std::fs::remove_file(&spec_path);
    }
    Ok(RunSummary {
        total,
        resumed,
        written: next - resumed,
        errors,
        finished,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_specs() {
        let a = parse_axis("topology.channels=8,16,32").unwrap();
        assert_eq!(
            a.values,
            vec![
                toml::Value::Integer(8),
                toml::Value::Integer(16),
                toml::Value::Integer(32)
            ]
        );
        assert!(!a.is_workload());
        let a = parse_axis("run.batch=log:1..1024:11").unwrap();
        assert!(a.is_workload());
        let ints: Vec<i64> = a.values.iter().map(|v| v.as_integer().unwrap()).collect();
        assert_eq!(ints, vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
        let a = parse_axis("laser.power=lin:1 mW..3 mW:3").unwrap();
        let s: Vec<&str> = a.values.iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(s, vec!["1 mW", "2 mW", "3 mW"]);
        let a = parse_axis("laser.power=1 mW, \"2 mW\"").unwrap();
        assert_eq!(a.values.len(), 2);
        assert_eq!(a.values[1].as_str(), Some("2 mW"));
        let a = parse_axis("adc.enob=lin:4..8:5").unwrap();
        assert_eq!(a.values[0], toml::Value::Integer(4));
        let a = parse_axis("adc.enob=lin:4.0..8.0:3").unwrap();
        assert_eq!(a.values[1], toml::Value::Float(6.0));
        // Repeats from rounding are dropped.
        let a = parse_axis("topology.channels=lin:1..3:5").unwrap();
        assert_eq!(a.values.len(), 3);
    }

    #[test]
    fn bad_axis_specs() {
        for bad in [
            "laser.power",
            "=1,2",
            "laser..power=1",
            "laser.power=log:0 mW..1 mW:3",
            "laser.power=lin:1 mW..1 W:3",
            "laser.power=lin:1 mW..2 mW",
            "laser.power=lin:1 mW..2 mW:0",
            "laser.power=lin:x..2:3",
        ] {
            assert!(parse_axis(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn column_names_are_snake_case_with_the_unit() {
        assert_eq!(snake("laser.power"), "laser_power");
        assert_eq!(snake("run.optical_ops[2]"), "run_optical_ops_2");
        assert_eq!(unit_suffix("mW"), "mw");
        assert_eq!(unit_suffix("MW"), "megaw");
        assert_eq!(unit_suffix("dBm"), "dbm");
        assert_eq!(unit_suffix("µs"), "us");
        assert_eq!(unit_suffix("GB/s"), "gb_per_s");
        assert_eq!(unit_suffix("m"), "m");
    }

    #[test]
    fn number_and_unit_split() {
        assert_eq!(number_and_unit("12.5 mW"), Some((12.5, "mW".into())));
        assert_eq!(number_and_unit("-3 dBm"), Some((-3.0, "dBm".into())));
        assert_eq!(number_and_unit("1e-3 s"), Some((1e-3, "s".into())));
        assert_eq!(number_and_unit("16"), Some((16.0, String::new())));
        assert_eq!(number_and_unit("ns"), None);
    }
}

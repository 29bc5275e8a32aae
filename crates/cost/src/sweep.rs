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
//! * A sweep splits into shards ([`run_shard`], [`Shard`]): shard K of N writes the rows of points
//!   [⌊(K−1)·T/N⌋, ⌊K·T/N⌋) of the T grid points, byte for byte as the whole sweep writes them
//!   (CSV shards each start with the header), with its description in `OUT.shard` beside it
//!   (the sweep's identity, K, N, its points, and the file's length and checksum). A shard
//!   resumes as a whole sweep does. [`merge`] checks the shards are 1 … N of one sweep, each
//!   finished and intact, and writes their rows in grid order: the same bytes as the sweep run
//!   in one process.

use crate::error::CostError;
use crate::evaluate::evaluate;
use crate::ledger::Category;
pub use crate::shard::Shard;
use crate::shard::{ShardHeader, ShardKind, check_set, run_id};
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
    pub values: Values,
}

/// An axis's values: listed, or computed from their range when needed, so that an axis of
/// 10⁷ points takes no memory (integers take 8 bytes each: repeats after rounding are dropped).
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// As listed (TOML values).
    List(Vec<toml::Value>),
    /// The distinct integers of a rounded range, in order.
    Integers(Vec<i64>),
    /// `n` evenly (`log` false) or geometrically spaced numbers from `start` to `stop`,
    /// written with `unit` (plain floats when it is empty).
    Range {
        log: bool,
        start: f64,
        stop: f64,
        n: usize,
        unit: String,
    },
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::List(v) => v.len(),
            Values::Integers(v) => v.len(),
            Values::Range { n, .. } => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` (< `len`).
    pub fn get(&self, i: usize) -> toml::Value {
        match self {
            Values::List(v) => v[i].clone(),
            Values::Integers(v) => toml::Value::Integer(v[i]),
            Values::Range {
                log,
                start,
                stop,
                n,
                unit,
            } => {
                let x = range_point(*log, *start, *stop, *n, i);
                if unit.is_empty() {
                    toml::Value::Float(x)
                } else {
                    toml::Value::String(format!(
                        "{} {unit}",
                        lightloop_rig::units::trim_float(x, 12)
                    ))
                }
            }
        }
    }

    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = toml::Value> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Point `i` of `n` evenly or geometrically spaced from `start` to `stop`.
fn range_point(log: bool, start: f64, stop: f64, n: usize, i: usize) -> f64 {
    let f = if n == 1 {
        0.0
    } else {
        i as f64 / (n - 1) as f64
    };
    if log {
        (start.ln() + (stop.ln() - start.ln()) * f).exp()
    } else {
        start + (stop - start) * f
    }
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
        let log = kind == "log";
        if integer {
            let mut out: Vec<i64> = Vec::new();
            for i in 0..n {
                let v = range_point(log, x0, x1, n, i).round() as i64;
                if out.last() != Some(&v) {
                    out.push(v);
                }
            }
            Values::Integers(out)
        } else {
            Values::Range {
                log,
                start: x0,
                stop: x1,
                // Equal ends are one value.
                n: if x0 == x1 { 1 } else { n },
                unit: u0,
            }
        }
    } else {
        Values::List(
            split_list(spec)
                .iter()
                .map(|v| parse_value_literal(v))
                .collect(),
        )
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
    fn point(&self, mut index: u64) -> Vec<toml::Value> {
        let mut out = vec![toml::Value::Boolean(false); self.axes.len()];
        for (i, axis) in self.axes.iter().enumerate().rev() {
            let n = axis.values.len() as u64;
            out[i] = axis.values.get((index % n) as usize);
            index /= n;
        }
        out
    }

    fn axis_columns(&self) -> Vec<AxisColumn> {
        self.axes
            .iter()
            .map(|a| {
                let list = match &a.values {
                    Values::Integers(_) => return AxisColumn::Number,
                    Values::Range { unit, .. } if unit.is_empty() => return AxisColumn::Number,
                    Values::Range { unit, .. } => return AxisColumn::Unit(unit.clone()),
                    Values::List(list) => list,
                };
                if list.iter().all(|v| v.is_integer() || v.is_float()) {
                    return AxisColumn::Number;
                }
                let units: Vec<Option<String>> = list
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
                let v = &v;
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
                    // The problem is about the axis's key, a key inside it, or (for an unknown
                    // section such as `nosuch` of `nosuch.key`) a table that holds it.
                    let about_axis = p.key == axis.key
                        || p.key.starts_with(&format!("{}.", axis.key))
                        || (p.kind == ErrorKind::UnknownKey
                            && axis.key.starts_with(&format!("{}.", p.key)));
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
        serde_json::to_string_pretty(&self.fingerprint_value(format)).unwrap_or_default()
    }

    /// The fingerprint of shard `shard` of the sweep: the sweep's, with the shard and its
    /// points (a partial file of one shard resumes only that shard).
    fn shard_fingerprint(&self, format: Format, shard: Shard) -> String {
        let mut v = self.fingerprint_value(format);
        let r = shard.range(self.len());
        v["shard"] = serde_json::json!({
            "index": shard.index,
            "count": shard.count,
            "start": r.start,
            "end": r.end,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// The sweep's identity for merging shards: [`run_id`] of its fingerprint.
    pub fn run_id(&self, format: Format) -> String {
        run_id(&self.fingerprint(format))
    }

    fn fingerprint_value(&self, format: Format) -> serde_json::Value {
        let axes: Vec<serde_json::Value> = self
            .axes
            .iter()
            .map(|a| match &a.values {
                Values::Range {
                    log,
                    start,
                    stop,
                    n,
                    unit,
                } => serde_json::json!({
                    "key": a.key,
                    "range": { "log": log, "start": start, "stop": stop, "n": n, "unit": unit },
                }),
                values => serde_json::json!({
                    "key": a.key,
                    "values": values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                }),
            })
            .collect();
        serde_json::json!({
            "lightloop_sweep": 1,
            "version": env!("CARGO_PKG_VERSION"),
            "label": self.label,
            "rig": toml::to_string(&self.rig_table).unwrap_or_default(),
            "workload": toml::to_string(&self.workload_table).unwrap_or_default(),
            "gpu": self.gpu.as_ref().map(|g| toml::to_string(g).unwrap_or_default()),
            "format": format!("{format:?}"),
            "points": self.len(),
            "axes": axes,
        })
    }

    /// The cells that name point `index`: the index and its axis values.
    fn prefix_cells(&self, index: u64, axis_cols: &[AxisColumn]) -> Vec<Cell> {
        let values = self.point(index);
        let mut cells = Vec::with_capacity(48);
        self.push_prefix(&mut cells, index, &values, axis_cols);
        cells
    }

    /// Evaluates point `index` into its cells (pure: depends only on the index).
    fn row(&self, index: u64, axis_cols: &[AxisColumn]) -> Vec<Cell> {
        let values = self.point(index);
        let mut cells = Vec::with_capacity(48);
        self.push_prefix(&mut cells, index, &values, axis_cols);
        self.push_metrics(&mut cells, &values);
        cells
    }

    fn push_prefix(
        &self,
        cells: &mut Vec<Cell>,
        index: u64,
        values: &[toml::Value],
        axis_cols: &[AxisColumn],
    ) {
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
    }

    fn push_metrics(&self, cells: &mut Vec<Cell>, values: &[toml::Value]) {
        let n_metrics = METRIC_COLUMNS.len()
            + Category::ALL.len()
            + if self.gpu.is_some() {
                GPU_COLUMNS.len()
            } else {
                0
            };
        match self.evaluate_point(values) {
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
    }

    fn evaluate_point(&self, values: &[toml::Value]) -> Result<(Vec<f64>, String), String> {
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
    /// The checksums of the partial file's chunks of rows.
    pub fn sum_path(&self) -> PathBuf {
        let mut p = self.path.as_os_str().to_owned();
        p.push(".partial.sum");
        PathBuf::from(p)
    }
    /// The description of a shard's finished file ([`SweepShard`]).
    pub fn shard_path(&self) -> PathBuf {
        shard_path(&self.path)
    }
}

/// Where the description of a sweep shard's file `PATH` is: `PATH.shard`.
pub fn shard_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".shard");
    PathBuf::from(p)
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    /// The points of this run: the grid's, or the shard's.
    pub total: u64,
    /// The shard run, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The index of this run's first point (0 for a whole sweep).
    pub first: u64,
    /// Rows found complete in a partial file and kept.
    pub resumed: u64,
    /// Rows written by this run.
    pub written: u64,
    /// Rows of this run that hold an error (an invalid point) instead of figures.
    pub errors: u64,
    /// Whether the sweep finished (and `OUT` now exists).
    pub finished: bool,
    /// The row (counted from the run's first) from which a resumed partial file did not match
    /// its points (a changed, missing or extra row) and was recomputed; `None` when every kept
    /// row matched.
    pub cut_at: Option<u64>,
}

/// What [`verify_partial`] kept of a partial file.
struct Kept {
    /// The point after the last row verified and kept.
    next: u64,
    /// Whether the file held its header (CSV) or anything at all.
    started: bool,
    /// The point from which the file did not match the sweep and was cut.
    cut_at: Option<u64>,
}

/// Whether `path` is a symbolic link (a partial file must be a plain file this run wrote).
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// FNV-1a, 64 bits: the checksum of each chunk of rows in `PATH.partial.sum`.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(crate::shard::FNV_START)
    }
    fn update(&mut self, bytes: &[u8]) {
        self.0 = crate::shard::fnv1a(self.0, bytes);
    }
}

/// The chunk checksums of a partial file of the points `range`: (point after the chunk's
/// last, checksum), increasing from the range's start; a line that does not parse ends the
/// list.
fn read_sums(path: &Path, range: &std::ops::Range<u64>) -> Vec<(u64, u64)> {
    let text = std::fs::read(path).unwrap_or_default();
    let mut sums: Vec<(u64, u64)> = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        let parsed = std::str::from_utf8(line).ok().and_then(|l| {
            let (end, hash) = l.split_once(' ')?;
            Some((
                end.parse::<u64>().ok()?,
                u64::from_str_radix(hash, 16).ok()?,
            ))
        });
        match parsed {
            Some((end, hash))
                if end <= range.end && sums.last().map_or(range.start, |l| l.0) < end =>
            {
                sums.push((end, hash))
            }
            _ => break,
        }
    }
    sums
}

/// Checks a partial file line by line against the sweep it claims to be before a run resumes
/// it. The header must equal the sweep's columns (else the file is refused). Each row must
/// carry its own point index and axis values as its first cells and one cell per column; each
/// chunk of rows must match the checksum recorded when it was written (`PATH.partial.sum`),
/// and rows written after the last recorded checksum (a run killed between the two writes)
/// are recomputed and compared byte for byte (rows are pure functions of their index). The
/// file is cut at the start of the first chunk that fails, and at a cut-off last line, so that
/// the run recomputes everything from there; the checksums are rewritten to match.
fn verify_partial(
    sweep: &Sweep,
    range: &std::ops::Range<u64>,
    path: &Path,
    sum_path: &Path,
    columns: &[String],
    format: Format,
) -> Result<Kept, CostError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| CostError::Io {
            path: p.clone(),
            source: e,
        }
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io(path))?;
    let mut reader = std::io::BufReader::new(&file);
    let mut buf = Vec::new();
    let axis_cols = sweep.axis_columns();
    let n_axes = sweep.axes.len();
    let sums = read_sums(sum_path, range);
    let mut read_line = |buf: &mut Vec<u8>| -> Result<bool, CostError> {
        buf.clear();
        let n = reader.read_until(b'\n', buf).map_err(io(path))?;
        Ok(n > 0 && buf.last() == Some(&b'\n'))
    };
    let mut started = false;
    let mut offset = 0u64;
    if format == Format::Csv {
        if !read_line(&mut buf)? {
            file.set_len(0).map_err(io(path))?;
            return Ok(Kept {
                next: range.start,
                started: false,
                cut_at: None,
            });
        }
        if buf != csv_header(columns) {
            return Err(CostError::Tampered {
                path: path.to_path_buf(),
                why: "its header differs from this sweep's columns".into(),
            });
        }
        offset = buf.len() as u64;
        started = true;
    }
    // The point after the rows verified so far, and their bytes; the chunk being read and its
    // checksum so far.
    let (mut rows, mut good_len) = (range.start, offset);
    let mut chunk = 0usize;
    let mut hash = Fnv::new();
    let mut cut_at = None;
    let mut tail = Fnv::new();
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut i = range.start;
    while read_line(&mut buf)? {
        started = true;
        let named = i < range.end
            && line_matches(
                &buf,
                &sweep.prefix_cells(i, &axis_cols),
                columns,
                format,
                n_axes,
            );
        if !named {
            cut_at = Some(rows);
            break;
        }
        offset += buf.len() as u64;
        i += 1;
        if let Some(&(end, expected)) = sums.get(chunk) {
            hash.update(&buf);
            // Held until the chunk's checksum is met, in case the file ends before it.
            if pending.len() < CHUNK as usize {
                pending.push(buf.clone());
            }
            if i == end {
                if hash.0 != expected {
                    cut_at = Some(rows);
                    pending.clear();
                    break;
                }
                chunk += 1;
                hash = Fnv::new();
                pending.clear();
                rows = i;
                good_len = offset;
            }
        } else {
            // Past the last checksum: recompute the row.
            if buf != encode(&[sweep.row(i - 1, &axis_cols)], columns, format) {
                cut_at = Some(rows);
                break;
            }
            tail.update(&buf);
            rows = i;
            good_len = offset;
        }
    }
    if cut_at.is_none() && chunk < sums.len() {
        // The file ends inside a recorded chunk (a torn write): its rows are recomputed, and
        // those that match are kept.
        let first = rows;
        for (k, line) in pending.iter().enumerate() {
            let row = first + k as u64;
            if *line != encode(&[sweep.row(row, &axis_cols)], columns, format) {
                break;
            }
            tail.update(line);
            rows = row + 1;
            good_len += line.len() as u64;
        }
        if rows < i {
            cut_at = Some(rows);
        }
    }
    file.set_len(good_len).map_err(io(path))?;
    let mut kept: Vec<(u64, u64)> = sums[..chunk].to_vec();
    if rows > kept.last().map_or(range.start, |k| k.0) {
        kept.push((rows, tail.0));
    }
    let text: String = kept
        .iter()
        .map(|(e, h)| format!("{e} {h:016x}\n"))
        .collect();
    std::fs::write(sum_path, text).map_err(io(sum_path))?;
    Ok(Kept {
        next: rows,
        started,
        cut_at,
    })
}

/// The CSV header line of `columns`.
fn csv_header(columns: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(columns)
        .expect("writing CSV to memory cannot fail");
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// Whether a written line starts with `prefix` (the point index and axis cells, encoded as the
/// run encodes them) and has one cell per column.
fn line_matches(
    line: &[u8],
    prefix: &[Cell],
    columns: &[String],
    format: Format,
    n_axes: usize,
) -> bool {
    match format {
        Format::Csv => {
            let mut expected = encode(&[prefix.to_vec()], columns, format);
            expected.pop(); // the newline
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line);
            let Some(Ok(record)) = r.records().next() else {
                return false;
            };
            record.len() == columns.len()
                && line.starts_with(&expected)
                && line.get(expected.len()) == Some(&b',')
        }
        Format::JsonLines => {
            let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(line) else {
                return false;
            };
            if map.len() != columns.len() || !columns.iter().all(|c| map.contains_key(c)) {
                return false;
            }
            let expected = encode(&[prefix.to_vec()], &columns[..=n_axes], format);
            let expected = &expected[..expected.len() - 2]; // "}\n"
            line.starts_with(expected) && line.get(expected.len()) == Some(&b',')
        }
    }
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
    run_points(sweep, out, None, progress, stop_after, &|| false)
}

/// Runs (or resumes) shard `shard` (K of N) of a sweep: the rows of points
/// [⌊(K−1)·T/N⌋, ⌊K·T/N⌋) of its T points, each byte for byte the row the whole sweep writes
/// (a CSV shard starts with the header). A finished shard is at `OUT` with its description
/// ([`SweepShard`]) at `OUT.shard`, written before `OUT` appears; an unfinished one resumes
/// as a whole sweep does (its partial file resumes only the same shard of the same sweep).
/// `progress(done, total)` counts the shard's points.
pub fn run_shard(
    sweep: &Sweep,
    out: &Output,
    shard: Shard,
    progress: &(dyn Fn(u64, u64) + Sync),
    stop_after: Option<u64>,
) -> Result<RunSummary, CostError> {
    run_points(sweep, out, Some(shard), progress, stop_after, &|| false)
}

/// Runs (or resumes) a sweep, or shard `shard` of it, until it is finished or `stop()` says
/// so; `stop` is asked before each chunk of [`CHUNK`] rows, so a front end can interrupt a
/// long sweep within one chunk's time. A stopped run leaves its partial file, resumed by the
/// next run of the same sweep (`finished` is false in the summary).
pub fn run_until(
    sweep: &Sweep,
    out: &Output,
    shard: Option<Shard>,
    progress: &(dyn Fn(u64, u64) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<RunSummary, CostError> {
    run_points(sweep, out, shard, progress, None, stop)
}

fn run_points(
    sweep: &Sweep,
    out: &Output,
    shard: Option<Shard>,
    progress: &(dyn Fn(u64, u64) + Sync),
    stop_after: Option<u64>,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<RunSummary, CostError> {
    let range = match shard {
        Some(s) => s.range(sweep.len()),
        None => 0..sweep.len(),
    };
    let (start, end) = (range.start, range.end);
    let total = end - start;
    let partial = out.partial_path();
    let spec_path = out.spec_path();
    let sum_path = out.sum_path();
    let shard_file = out.shard_path();
    let fingerprint = match shard {
        Some(s) => sweep.shard_fingerprint(out.format, s),
        None => sweep.fingerprint(out.format),
    };
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
    let mut cut_at = None;
    // Nothing is read or written through a link: a partial file or its description that is
    // a link is refused (or, with --force, the link itself removed).
    for p in [&partial, &spec_path, &sum_path, &shard_file] {
        if is_link(p) {
            if !out.force {
                return Err(CostError::Tampered {
                    path: p.clone(),
                    why: "is a symbolic link, not a file this sweep wrote".into(),
                });
            }
            std::fs::remove_file(p).map_err(io(p))?;
        }
    }
    let can_resume = partial.exists()
        && std::fs::read_to_string(&spec_path)
            .map(|s| s == fingerprint)
            .unwrap_or(false);
    if partial.exists() && !can_resume && !out.force {
        return Err(CostError::Mismatch(partial.clone()));
    }
    let columns = sweep.columns();
    let mut started = false;
    if can_resume {
        match verify_partial(sweep, &range, &partial, &sum_path, &columns, out.format) {
            Ok(kept) => {
                resumed = kept.next - start;
                cut_at = kept.cut_at.map(|c| c - start);
                started = kept.started;
            }
            // --force discards what cannot be resumed.
            Err(CostError::Tampered { .. }) if out.force => {}
            Err(e) => return Err(e),
        }
    }
    if !started {
        // Nothing usable (or a run not to resume): start over in a new file.
        if partial.exists() {
            std::fs::remove_file(&partial).map_err(io(&partial))?;
        }
        std::fs::write(&spec_path, &fingerprint).map_err(io(&spec_path))?;
        std::fs::write(&sum_path, "").map_err(io(&sum_path))?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(io(&partial))?;
        if out.format == Format::Csv {
            f.write_all(&csv_header(&columns)).map_err(io(&partial))?;
        }
        resumed = 0;
    }
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&partial)
        .map_err(io(&partial))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut sums = std::fs::OpenOptions::new()
        .append(true)
        .open(&sum_path)
        .map_err(io(&sum_path))?;
    let axis_cols = sweep.axis_columns();
    let mut next = start + resumed;
    let mut errors = 0u64;
    let limit = stop_after.map(|n| (next + n).min(end)).unwrap_or(end);
    progress(next - start, total);
    while next < limit && !stop() {
        let chunk_end = (next + CHUNK).min(limit);
        let rows: Vec<Vec<Cell>> = (next..chunk_end)
            .into_par_iter()
            .map(|i| sweep.row(i, &axis_cols))
            .collect();
        errors += rows
            .iter()
            .filter(|r| matches!(r.last(), Some(Cell::Text(t)) if !t.is_empty()))
            .count() as u64;
        let bytes = encode(&rows, &columns, out.format);
        writer.write_all(&bytes).map_err(io(&partial))?;
        writer.flush().map_err(io(&partial))?;
        // The chunk's checksum, written after its rows (a resumed run verifies it).
        let mut hash = Fnv::new();
        hash.update(&bytes);
        writeln!(sums, "{chunk_end} {:016x}", hash.0).map_err(io(&sum_path))?;
        next = chunk_end;
        progress(next - start, total);
    }
    drop(writer);
    let finished = next == end;
    if finished {
        match shard {
            // The shard's description first: a file at OUT always has its own beside it (a
            // run stopped between the two leaves the partial file, and is resumed).
            Some(s) => {
                let (bytes, checksum) = file_checksum(&partial)?;
                let description = SweepShard {
                    header: ShardHeader::new(
                        ShardKind::Sweep,
                        sweep.run_id(out.format),
                        s,
                        sweep.len(),
                        sweep.label.clone(),
                    ),
                    format: out.format,
                    bytes,
                    checksum,
                };
                let text = serde_json::to_string_pretty(&description)
                    .expect("a shard description serialises")
                    + "\n";
                std::fs::write(&shard_file, text).map_err(io(&shard_file))?;
            }
            // A whole sweep's file has no shard description (an old one would not match it).
            None => {
                if shard_file.exists() {
                    std::fs::remove_file(&shard_file).map_err(io(&shard_file))?;
                }
            }
        }
        if out.path.exists() {
            std::fs::remove_file(&out.path).map_err(io(&out.path))?;
        }
        std::fs::rename(&partial, &out.path).map_err(io(&out.path))?;
        let _ = std::fs::remove_file(&spec_path);
        let _ = std::fs::remove_file(&sum_path);
    }
    Ok(RunSummary {
        total,
        shard,
        first: start,
        resumed,
        written: next - start - resumed,
        errors,
        finished,
        cut_at,
    })
}

/// Length and FNV-1a checksum (hexadecimal) of a file.
fn file_checksum(path: &Path) -> Result<(u64, String), CostError> {
    let io = |e| CostError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut f = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let (mut len, mut hash) = (0u64, Fnv::new());
    loop {
        let buf = f.fill_buf().map_err(io)?;
        if buf.is_empty() {
            break;
        }
        hash.update(buf);
        let n = buf.len();
        len += n as u64;
        f.consume(n);
    }
    Ok((len, format!("{:016x}", hash.0)))
}

/// The description of a finished sweep shard, in `OUT.shard` (JSON) beside its file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepShard {
    #[serde(flatten)]
    pub header: ShardHeader,
    pub format: Format,
    /// The length of the shard's file, bytes, and its FNV-1a checksum (64 bits, hexadecimal).
    pub bytes: u64,
    pub checksum: String,
}

impl SweepShard {
    /// Reads the description of the sweep shard `path` (from `PATH.shard`); an unfinished shard
    /// (only its partial file) or a file without one is refused.
    pub fn read(path: &Path) -> Result<Self, CostError> {
        if !path.exists() {
            return Err(crate::shard::missing(path));
        }
        let side = shard_path(path);
        let text = match std::fs::read_to_string(&side) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CostError::NotAShard {
                    path: path.to_path_buf(),
                    why: format!(
                        "not a shard of a sweep: {} is missing (shards are written by `lightloop sweep … --shard K/N`)",
                        side.display()
                    ),
                });
            }
            Err(e) => {
                return Err(CostError::Io {
                    path: side,
                    source: e,
                });
            }
        };
        let d: SweepShard = serde_json::from_str(&text).map_err(|e| CostError::NotAShard {
            path: path.to_path_buf(),
            why: format!(
                "{} is not a sweep shard's description ({e})",
                side.display()
            ),
        })?;
        if d.header.kind != ShardKind::Sweep {
            return Err(CostError::NotAShard {
                path: path.to_path_buf(),
                why: format!(
                    "{} describes a {:?} shard, not a sweep's",
                    side.display(),
                    d.header.kind
                ),
            });
        }
        Ok(d)
    }
}

/// What a merge wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MergeSummary {
    /// The sweep's identity ([`Sweep::run_id`]).
    pub run: String,
    pub label: String,
    /// N.
    pub shards: u64,
    /// Rows written (the grid's points).
    pub rows: u64,
    pub out: PathBuf,
}

/// Merges the shards of one sweep (their files, each with its `PATH.shard` description) into
/// `out`, in grid order: the same bytes as the sweep run whole into `out`. Refused, before
/// `out` is touched: a file that is not a finished sweep shard (an unfinished one is named as
/// such), files of different sweeps or splits (the odd one named), a shard given twice,
/// missing shards (named K/N), a format other than `out`'s, and an existing `out` unless
/// `out.force`. A shard whose bytes differ from its description (length, checksum, rows, CSV
/// header) is refused while the merged file is written; the merged file is written to
/// `OUT.partial` and renamed when complete, so a file at `OUT` is always whole.
pub fn merge(inputs: &[PathBuf], out: &Output) -> Result<MergeSummary, CostError> {
    let mut shards = Vec::with_capacity(inputs.len());
    for p in inputs {
        let d = SweepShard::read(p)?;
        shards.push((p.clone(), d.header.clone(), d));
    }
    let shards = check_set(shards)?;
    let first = &shards[0];
    if first.2.format != out.format {
        return Err(CostError::Spec(format!(
            "{}: the shards are {}, the output must be too",
            out.path.display(),
            match first.2.format {
                Format::Csv => "CSV (.csv)",
                Format::JsonLines => "JSON Lines (.jsonl)",
            }
        )));
    }
    for (p, _, _) in &shards {
        if same_file(p, &out.path) {
            return Err(CostError::Spec(format!(
                "{}: the output is one of the shards; choose another output",
                out.path.display()
            )));
        }
    }
    if out.path.exists() && !out.force {
        return Err(CostError::Exists(out.path.clone()));
    }
    let tmp = out.partial_path();
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| CostError::Io {
            path: p.clone(),
            source: e,
        }
    };
    if std::fs::symlink_metadata(&tmp).is_ok() {
        std::fs::remove_file(&tmp).map_err(io(&tmp))?;
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io(&tmp))?;
    let mut writer = std::io::BufWriter::new(file);
    let written = copy_shards(&shards, out.format, &mut writer, &tmp).and_then(|rows| {
        writer.flush().map_err(io(&tmp))?;
        Ok(rows)
    });
    drop(writer);
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if out.path.exists() {
        std::fs::remove_file(&out.path).map_err(io(&out.path))?;
    }
    std::fs::rename(&tmp, &out.path).map_err(io(&out.path))?;
    let h = &first.1;
    Ok(MergeSummary {
        run: h.run.clone(),
        label: h.label.clone(),
        shards: h.shard.count,
        rows,
        out: out.path.clone(),
    })
}

/// Whether two paths name the same file (both existing), or are equal.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Copies the rows of `shards` (in shard order) to `w`, the first CSV header once, checking
/// each file against its description as it goes; returns the rows written.
fn copy_shards(
    shards: &[(PathBuf, ShardHeader, SweepShard)],
    format: Format,
    w: &mut impl Write,
    tmp: &Path,
) -> Result<u64, CostError> {
    let mut header: Option<Vec<u8>> = None;
    let mut rows = 0u64;
    let mut line = Vec::new();
    for (path, h, d) in shards {
        let corrupt = |why: String| CostError::Corrupt {
            path: path.clone(),
            why,
        };
        let io = |e| CostError::Io {
            path: path.clone(),
            source: e,
        };
        let mut r = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        let (mut len, mut hash, mut lines) = (0u64, Fnv::new(), 0u64);
        loop {
            line.clear();
            let n = r.read_until(b'\n', &mut line).map_err(io)?;
            if n == 0 {
                break;
            }
            len += n as u64;
            hash.update(&line);
            if line.last() != Some(&b'\n') {
                return Err(corrupt("its last line is cut off".into()));
            }
            if format == Format::Csv && len == n as u64 {
                // The header: written once, and the same in every shard.
                match &header {
                    None => {
                        w.write_all(&line).map_err(|e| CostError::Io {
                            path: tmp.to_path_buf(),
                            source: e,
                        })?;
                        header = Some(line.clone());
                    }
                    Some(first) if *first == line => {}
                    Some(_) => {
                        return Err(corrupt(format!(
                            "its CSV header differs from shard {}'s",
                            shards[0].1.shard
                        )));
                    }
                }
                continue;
            }
            lines += 1;
            w.write_all(&line).map_err(|e| CostError::Io {
                path: tmp.to_path_buf(),
                source: e,
            })?;
        }
        if format == Format::Csv && len == 0 {
            return Err(corrupt(
                "it is empty (a CSV shard starts with its header)".into(),
            ));
        }
        let expected = h.end - h.start;
        if lines != expected {
            return Err(corrupt(format!(
                "{lines} rows where shard {} holds {expected} (points {}..{})",
                h.shard, h.start, h.end
            )));
        }
        if len != d.bytes || format!("{:016x}", hash.0) != d.checksum {
            return Err(corrupt(format!(
                "its bytes differ from those its description {} records (length {len} against {}, or checksum)",
                shard_path(path).display(),
                d.bytes
            )));
        }
        rows += lines;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_specs() {
        let a = parse_axis("topology.channels=8,16,32").unwrap();
        assert_eq!(
            a.values.iter().collect::<Vec<_>>(),
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
        let s: Vec<String> = a
            .values
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(s, vec!["1 mW", "2 mW", "3 mW"]);
        let a = parse_axis("laser.power=1 mW, \"2 mW\"").unwrap();
        assert_eq!(a.values.len(), 2);
        assert_eq!(a.values.get(1).as_str(), Some("2 mW"));
        let a = parse_axis("adc.enob=lin:4..8:5").unwrap();
        assert_eq!(a.values.get(0), toml::Value::Integer(4));
        let a = parse_axis("adc.enob=lin:4.0..8.0:3").unwrap();
        assert_eq!(a.values.get(1), toml::Value::Float(6.0));
        // Repeats from rounding are dropped; equal ends are one value.
        let a = parse_axis("topology.channels=lin:1..3:5").unwrap();
        assert_eq!(a.values.len(), 3);
        let a = parse_axis("laser.power=log:2 mW..2 mW:9").unwrap();
        assert_eq!(a.values.len(), 1);
        // A range of 10⁷ points is computed when needed, not held.
        let a = parse_axis("laser.power=log:1 mW..100 mW:10000000").unwrap();
        assert!(matches!(a.values, Values::Range { n: 10_000_000, .. }));
        assert_eq!(a.values.get(9_999_999).as_str(), Some("100 mW"));
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

//! Where each value of a loaded description came from, and how it differs from the preset it
//! was made from.
//!
//! A description is read from layers (a preset or a file, the presets it `extends`, `--set`
//! overrides). Its **provenance** lists every resolved value (defaults included) with the layer
//! that wrote it and the comment on that line, which in the presets is the value's source or
//! the word "assumption"; a value no layer writes is lightloop's default. Its **differences**
//! compare the resolved value with the preset it is based on: the preset it names (its
//! `name` is a preset's), or failing that the preset it extends.
//!
//! **Title.** Outputs call a description by its title, so that a modified preset never passes
//! for the preset: the name as written when nothing differs from the preset (or there is no
//! preset to compare with, or the file gives its own name); `"<file stem> (<preset>, modified)"`
//! for a file that keeps a preset's name and changes values; `"<name>, modified"` for a preset
//! changed by `--set`.

use crate::document::{DescKind, Document};
use crate::presets;
use crate::{Deployment, Gpu, Rig, Workload};
use serde::Serialize;
use std::path::Path;

/// A description's name, which outputs show.
pub trait Named {
    fn name(&self) -> &str;
    fn set_name(&mut self, name: String);
}

macro_rules! named {
    ($t:ty, $section:ident) => {
        impl Named for $t {
            fn name(&self) -> &str {
                &self.$section.name
            }
            fn set_name(&mut self, name: String) {
                self.$section.name = name;
            }
        }
    };
}
named!(Rig, rig);
named!(Workload, workload);
named!(Gpu, gpu);
named!(Deployment, deployment);

/// One resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Dotted key, `laser.power`.
    pub key: String,
    /// The value as a description would write it (`"10 mW"` is written `10 mW`).
    pub value: String,
    /// The layer that wrote it (`preset seed-16ch`, a file path, `--set KEY`), or `default`.
    pub from: String,
    /// The comment on the value's line (the source, or "assumption"); empty when none.
    pub note: String,
}

/// A value that differs from the preset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub key: String,
    /// The preset's value; empty when the preset has no such key.
    pub preset: String,
    /// This description's value; empty when it drops the key.
    pub value: String,
}

/// Where a description came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// `rig`, `workload`, `GPU`, `deployment`.
    pub kind: &'static str,
    /// The name as written in the description.
    pub name: String,
    /// What outputs call it (see the module's documentation).
    pub title: String,
    /// The file or preset read, and any `--set` overrides: `my.toml`, `preset seed-16ch with
    /// --set topology.channels`.
    pub source: String,
    /// The preset compared with.
    pub preset: Option<String>,
    pub differences: Vec<Difference>,
    pub entries: Vec<Entry>,
}

impl Provenance {
    /// One line: "my.toml: seed-16ch, modified: laser.power 10 mW → 15 mW; …".
    pub fn summary(&self) -> String {
        match (&self.preset, self.differences.is_empty()) {
            (Some(p), false) => format!(
                "{}: preset {p}, modified: {}",
                self.source,
                self.differences
                    .iter()
                    .map(|d| format!(
                        "{} {} → {}",
                        d.key,
                        tidy(or_none(&d.preset)),
                        tidy(or_none(&d.value))
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            (Some(p), true) => format!("{}: preset {p}, unmodified", self.source),
            (None, _) => format!("{}: no preset to compare with", self.source),
        }
    }
}

/// A value with a long number shown to 6 significant figures (`19.9526231496888 mW` →
/// `19.9526 mW`); anything else unchanged.
fn tidy(s: &str) -> String {
    let (num, rest) = s.split_once(' ').unwrap_or((s, ""));
    match num.parse::<f64>() {
        Ok(x) if num.len() > 8 => {
            let n = crate::units::trim_float(x, 6);
            if rest.is_empty() {
                n
            } else {
                format!("{n} {rest}")
            }
        }
        _ => s.to_string(),
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}

/// Every leaf of a TOML value as `(dotted key, value)`, strings without quotes.
pub fn flatten(value: &toml::Value) -> Vec<(String, String)> {
    fn walk(v: &toml::Value, key: String, out: &mut Vec<(String, String)>) {
        match v {
            toml::Value::Table(t) => {
                for (k, x) in t {
                    let k = if key.is_empty() {
                        k.clone()
                    } else {
                        format!("{key}.{k}")
                    };
                    walk(x, k, out);
                }
            }
            toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{key}[{i}]"), out);
                }
            }
            toml::Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn leaves<T: Serialize>(value: &T) -> Vec<(String, String)> {
    toml::Value::try_from(value)
        .map(|v| flatten(&v))
        .unwrap_or_default()
}

/// The comment after a value on its line (`# …`), outside quoted strings.
fn comment(line: &str) -> String {
    let mut quoted = None;
    for (i, c) in line.char_indices() {
        match (c, quoted) {
            ('"' | '\'', None) => quoted = Some(c),
            (q, Some(open)) if q == open => quoted = None,
            ('#', None) => return line[i + 1..].trim().to_string(),
            _ => {}
        }
    }
    String::new()
}

/// Whether a TOML table holds the dotted key `a.b[2].c`.
fn holds(table: &toml::Table, key: &str) -> bool {
    fn seg(s: &str) -> (&str, Option<usize>) {
        match s.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse().ok()),
            None => (s, None),
        }
    }
    fn pick(v: Option<&toml::Value>, index: Option<usize>) -> Option<&toml::Value> {
        match index {
            Some(i) => v?.get(i),
            None => v,
        }
    }
    let mut segs = key.split('.').map(seg);
    let Some((name, index)) = segs.next() else {
        return false;
    };
    let mut here = pick(table.get(name), index);
    for (name, index) in segs {
        here = pick(here.and_then(|v| v.get(name)), index);
    }
    here.is_some()
}

/// The last of `layers` (each with its parsed table) that writes `key`, and the comment on
/// its line.
fn written_in(
    doc: &Document,
    layers: &[Option<toml::Table>],
    key: &str,
) -> Option<(String, String)> {
    let i = (0..doc.layers.len())
        .rev()
        .find(|&i| layers[i].as_ref().is_some_and(|t| holds(t, key)))?;
    let layer = &doc.layers[i];
    let alone = Document {
        kind: doc.kind,
        layers: vec![layer.clone()],
        table: toml::Table::new(),
    };
    let note = alone
        .locate(key, crate::document::Point::Value)
        .map(|l| comment(&l.source_line))
        .unwrap_or_default();
    Some((layer.origin.clone(), note))
}

/// The preset a document is based on: the one its main layer is, the one named like it, or
/// the first it extends.
fn base_preset(kind: DescKind, doc: &Document, name: &str) -> Option<String> {
    let main = doc.main_origin();
    if let Some(p) = main.strip_prefix("preset ") {
        return Some(p.to_string());
    }
    if presets::text(kind, name).is_some() {
        return Some(name.to_string());
    }
    doc.layers
        .iter()
        .rev()
        .find_map(|l| l.origin.strip_prefix("preset ").map(str::to_string))
}

/// The provenance of `value`, read from `doc`; `preset` is the preset's resolved value when
/// there is one to compare with (see [`base_preset`]).
fn build<T: Serialize + Named>(
    kind: DescKind,
    doc: &Document,
    value: &T,
    preset: Option<(String, &T)>,
) -> Provenance {
    let now = leaves(value);
    let layers: Vec<Option<toml::Table>> = doc
        .layers
        .iter()
        .map(|l| toml::from_str(&l.text).ok())
        .collect();
    let entries = now
        .iter()
        .map(|(k, v)| {
            let (from, note) =
                written_in(doc, &layers, k).unwrap_or(("default".to_string(), String::new()));
            Entry {
                key: k.clone(),
                value: v.clone(),
                from,
                note,
            }
        })
        .collect();
    let differences = match &preset {
        Some((_, p)) => {
            let was = leaves(*p);
            let mut d: Vec<Difference> = now
                .iter()
                .filter(|(k, v)| {
                    k != &name_key(kind)
                        && was.iter().find(|(wk, _)| wk == k).map(|x| &x.1) != Some(v)
                })
                .map(|(k, v)| Difference {
                    key: k.clone(),
                    preset: was
                        .iter()
                        .find(|(wk, _)| wk == k)
                        .map(|x| x.1.clone())
                        .unwrap_or_default(),
                    value: v.clone(),
                })
                .collect();
            d.extend(
                was.iter()
                    .filter(|(k, _)| !now.iter().any(|(nk, _)| nk == k))
                    .map(|(k, v)| Difference {
                        key: k.clone(),
                        preset: v.clone(),
                        value: String::new(),
                    }),
            );
            d
        }
        None => Vec::new(),
    };
    let sets: Vec<&str> = doc
        .layers
        .iter()
        .filter(|l| crate::document::is_override(&l.origin))
        .filter_map(|l| l.origin.split_once(' ').map(|(_, key)| key))
        .collect();
    let main = doc.main_origin().to_string();
    let source = if sets.is_empty() {
        main.clone()
    } else {
        format!("{main} with --set {}", sets.join(", "))
    };
    let name = value.name().to_string();
    let preset_name = preset.as_ref().map(|p| p.0.clone());
    let title = match &preset_name {
        _ if differences.is_empty() => name.clone(),
        _ if main.starts_with("preset ") => format!("{name}, modified"),
        Some(p) if p == &name || preset.as_ref().is_some_and(|x| x.1.name() == name) => {
            let stem = Path::new(&main)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or(main.clone());
            format!("{stem} ({name}, modified)")
        }
        _ => name.clone(),
    };
    Provenance {
        kind: kind.noun(),
        name,
        title,
        source,
        preset: preset_name,
        differences,
        entries,
    }
}

fn name_key(kind: DescKind) -> String {
    format!("{}.name", section(kind))
}

/// The TOML section that holds a description's name.
pub fn section(kind: DescKind) -> &'static str {
    match kind {
        DescKind::Rig => "rig",
        DescKind::Workload => "workload",
        DescKind::Gpu => "gpu",
        DescKind::Deployment => "deployment",
    }
}

/// The provenance of a parsed description, comparing it with its preset (loaded here).
pub fn of<T>(kind: DescKind, doc: &Document, value: &T) -> Provenance
where
    T: Serialize + Named + serde::de::DeserializeOwned + crate::Validate,
{
    let preset = base_preset(kind, doc, value.name()).and_then(|p| {
        let d = Document::load(kind, &p).ok()?;
        // A preset always parses; one that did not would be caught by the presets' own tests.
        d.parse::<T>().ok().map(|v| (p, v))
    });
    build(
        kind,
        doc,
        value,
        preset.as_ref().map(|(p, v)| (p.clone(), v)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_rig;

    #[test]
    fn comments_outside_quotes() {
        assert_eq!(comment("power = \"10 dBm\"   # DFB laser"), "DFB laser");
        assert_eq!(comment("name = \"a # b\""), "");
        assert_eq!(comment("x = 3 # assumption"), "assumption");
    }

    #[test]
    fn a_preset_is_its_own_title_and_has_sources() {
        let r = load_rig("seed-16ch", &[]).unwrap();
        let p = &r.provenance;
        assert_eq!(p.title, "seed-16ch");
        assert!(p.differences.is_empty(), "{:?}", p.differences);
        let laser = p.entries.iter().find(|e| e.key == "laser.power").unwrap();
        assert_eq!(laser.from, "preset seed-16ch");
        assert!(laser.note.contains("DFB"), "{laser:?}");
        // A value no layer writes is lightloop's default.
        let opu = load_rig("lighton-opu", &[]).unwrap().provenance;
        let defaults: Vec<&str> = opu
            .entries
            .iter()
            .filter(|e| e.from == "default")
            .map(|e| e.key.as_str())
            .collect();
        assert!(defaults.contains(&"weights.banks"), "{defaults:?}");
    }

    #[test]
    fn overrides_and_files_are_titled_and_listed() {
        let r = load_rig("seed-16ch", &["topology.channels=32".into()]).unwrap();
        assert_eq!(r.value.rig.name, "seed-16ch, modified");
        assert_eq!(r.provenance.differences.len(), 1);
        let d = &r.provenance.differences[0];
        assert_eq!(
            (d.key.as_str(), d.preset.as_str(), d.value.as_str()),
            ("topology.channels", "16", "32")
        );

        let dir = std::env::temp_dir().join(format!("lightloop-prov-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = crate::presets::text(DescKind::Rig, "seed-16ch")
            .unwrap()
            .replace("power = \"10 dBm\"", "power = \"12 dBm\"");
        let file = dir.join("my.toml");
        std::fs::write(&file, text).unwrap();
        let r = load_rig(file.to_str().unwrap(), &[]).unwrap();
        assert_eq!(r.value.rig.name, "my (seed-16ch, modified)");
        assert_eq!(r.provenance.preset.as_deref(), Some("seed-16ch"));
        assert_eq!(
            r.provenance.differences.len(),
            1,
            "{:?}",
            r.provenance.differences
        );
        assert_eq!(r.provenance.differences[0].key, "laser.power");
        assert!(
            r.provenance
                .summary()
                .contains("laser.power 10 mW → 15.8489 mW"),
            "{}",
            r.provenance.summary()
        );
        // A file that names itself keeps its name, and is still compared with what it extends.
        std::fs::write(
            &file,
            "extends = \"seed-16ch\"\n[rig]\nname = \"bench rig\"\n[topology]\nchannels = 32\n",
        )
        .unwrap();
        let r = load_rig(file.to_str().unwrap(), &[]).unwrap();
        assert_eq!(r.value.rig.name, "bench rig");
        assert_eq!(r.provenance.preset.as_deref(), Some("seed-16ch"));
        assert_eq!(r.provenance.differences.len(), 1);
        std::fs::remove_dir_all(&dir).ok();
    }
}

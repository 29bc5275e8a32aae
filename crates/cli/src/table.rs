//! Plain-text tables for the terminal.

use lightloop_rig::units::{format_si, trim_float};

/// Column alignment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table of strings, printed with aligned columns.
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str], align: &[Align]) -> Self {
        Self {
            header: header.iter().map(|s| s.to_string()).collect(),
            align: align.to_vec(),
            rows: Vec::new(),
        }
    }
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
    /// A full-width separator row.
    pub fn rule(&mut self) {
        self.rows.push(Vec::new());
    }
    pub fn render(&self) -> String {
        let n = self.header.len();
        let width = |s: &str| s.chars().count();
        let mut w: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                w[i] = w[i].max(width(c));
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, wi) in w.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = wi - width(c);
                if i > 0 {
                    s.push_str("  ");
                }
                match self.align.get(i).copied().unwrap_or(Align::Left) {
                    Align::Left => {
                        s.push_str(c);
                        if i + 1 < n {
                            s.push_str(&" ".repeat(pad));
                        }
                    }
                    Align::Right => {
                        s.push_str(&" ".repeat(pad));
                        s.push_str(c);
                    }
                }
            }
            s.trim_end().to_string()
        };
        let total: usize = w.iter().sum::<usize>() + 2 * (n.saturating_sub(1));
        let mut out = line(&self.header);
        out.push('\n');
        out.push_str(&"─".repeat(total));
        for r in &self.rows {
            out.push('\n');
            if r.is_empty() {
                out.push_str(&"─".repeat(total));
            } else {
                out.push_str(&line(r));
            }
        }
        out
    }
}

/// `1.23 µJ` style.
pub fn si(x: f64, unit: &str) -> String {
    if x.is_nan() {
        return "–".into();
    }
    if x.is_infinite() {
        return "∞".into();
    }
    format_si(x, unit, 4)
}

/// A plain number with 4 significant digits, or scientific when very large or small.
pub fn num(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x.is_infinite() {
        "∞".into()
    } else if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        trim_float(x, 4)
    }
}

/// A percentage with one decimal.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1} %", x * 100.0)
    } else {
        "–".into()
    }
}

/// Wraps `text` to `width` columns with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut t = Table::new(&["a", "value"], &[Align::Left, Align::Right]);
        t.row(vec!["long name".into(), "1".into()]);
        t.row(vec!["x".into(), "123".into()]);
        let r = t.render();
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[2], "long name      1");
        assert_eq!(lines[3], "x            123");
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap("one two three", 7, "  "), "  one two\n  three\n");
    }
}

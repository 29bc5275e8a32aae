//! A scene as a one-page vector PDF (PDF 1.4), for papers: one pixel of the scene is one point,
//! text is set in the standard Helvetica font (no font file embedded: every PDF reader carries
//! it) with the WinAnsi encoding. Characters outside that encoding are written in ASCII (`λ` as
//! `lambda`, `≤` as `<=`, a superscript `⁻³` as `^-3`).

use crate::scene::{
    Anchor, Rgb, Run, SUPERSCRIPT_RISE, SUPERSCRIPT_SCALE, Scene, Shape, Stroke, runs_width,
};
use std::fmt::Write;

fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn colour(c: Rgb) -> String {
    format!(
        "{} {} {}",
        n(c.0 as f64 / 255.0),
        n(c.1 as f64 / 255.0),
        n(c.2 as f64 / 255.0)
    )
}

/// The bytes of a PDF string literal in WinAnsi encoding, with `(`, `)` and `\` escaped.
fn literal(text: &str) -> String {
    let mut out = String::from("(");
    for c in text.chars() {
        let code: Option<u8> = match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
                continue;
            }
            ' '..='~' => Some(c as u8),
            '–' => Some(0x96),
            '—' => Some(0x97),
            '‘' => Some(0x91),
            '’' => Some(0x92),
            '“' => Some(0x93),
            '”' => Some(0x94),
            '•' => Some(0x95),
            '€' => Some(0x80),
            '…' => Some(0x85),
            '\u{a0}'..='\u{ff}' => Some(c as u32 as u8),
            _ => None,
        };
        match code {
            Some(b) if b < 0x80 => out.push(b as char),
            Some(b) => {
                let _ = write!(out, "\\{b:03o}");
            }
            None => out.push_str(fallback(c)),
        }
    }
    out.push(')');
    out
}

/// ASCII for characters WinAnsi lacks.
fn fallback(c: char) -> &'static str {
    match c {
        '−' => "-",
        '≤' => "<=",
        '≥' => ">=",
        '→' => "->",
        '←' => "<-",
        '≈' => "~",
        '∞' => "inf",
        '√' => "sqrt",
        'λ' => "lambda",
        'η' => "eta",
        'σ' => "sigma",
        'Δ' => "Delta",
        'Ω' => "Ohm",
        'π' => "pi",
        'α' => "alpha",
        'β' => "beta",
        'γ' => "gamma",
        'τ' => "tau",
        'ε' => "epsilon",
        '⁰' => "^0",
        '¹' => "^1",
        '⁴' => "^4",
        '⁵' => "^5",
        '⁶' => "^6",
        '⁷' => "^7",
        '⁸' => "^8",
        '⁹' => "^9",
        '⁻' => "^-",
        _ => "?",
    }
}

fn stroke_ops(s: &Stroke) -> String {
    let dash = match s.dash {
        Some((on, off)) => format!("[{} {}] 0 d", n(on), n(off)),
        None => "[] 0 d".into(),
    };
    format!("{} RG {} w {dash} 1 j 1 J\n", colour(s.colour), n(s.width))
}

/// Four Bézier arcs approximating a circle.
fn circle_path(cx: f64, cy: f64, r: f64) -> String {
    let k = 0.552_284_75 * r;
    format!(
        "{} {} m {} {} {} {} {} {} c {} {} {} {} {} {} c {} {} {} {} {} {} c {} {} {} {} {} {} c h\n",
        n(cx + r),
        n(cy),
        n(cx + r),
        n(cy + k),
        n(cx + k),
        n(cy + r),
        n(cx),
        n(cy + r),
        n(cx - k),
        n(cy + r),
        n(cx - r),
        n(cy + k),
        n(cx - r),
        n(cy),
        n(cx - r),
        n(cy - k),
        n(cx - k),
        n(cy - r),
        n(cx),
        n(cy - r),
        n(cx + k),
        n(cy - r),
        n(cx + r),
        n(cy - k),
        n(cx + r),
        n(cy)
    )
}

fn paint_op(fill: Option<Rgb>, stroke: Option<&Stroke>) -> (String, &'static str) {
    let mut set = String::new();
    if let Some(c) = fill {
        let _ = writeln!(set, "{} rg", colour(c));
    }
    if let Some(s) = stroke {
        set.push_str(&stroke_ops(s));
    }
    let op = match (fill.is_some(), stroke.is_some()) {
        (true, true) => "B",
        (true, false) => "f",
        (false, true) => "S",
        (false, false) => "n",
    };
    (set, op)
}

fn text_ops(
    x: f64,
    y: f64,
    runs: &[Run],
    size: f64,
    anchor: Anchor,
    rotate: f64,
    c: Rgb,
) -> String {
    let w = runs_width(runs, size);
    let dx = match anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -w / 2.0,
        Anchor::End => -w,
    };
    // Clockwise on the page by `rotate` degrees.
    let phi = -rotate.to_radians();
    let (s, co) = phi.sin_cos();
    let mut o = format!(
        "BT {} rg /F1 {} Tf {} {} {} {} {} {} Tm {} 0 Td\n",
        colour(c),
        n(size),
        n(co),
        n(s),
        n(-s),
        n(co),
        n(x),
        n(y),
        n(dx)
    );
    for r in runs {
        if r.superscript {
            let _ = writeln!(
                o,
                "/F1 {} Tf {} Ts {} Tj 0 Ts /F1 {} Tf",
                n(size * SUPERSCRIPT_SCALE),
                n(size * SUPERSCRIPT_RISE),
                literal(&r.text),
                n(size)
            );
        } else {
            let _ = writeln!(o, "{} Tj", literal(&r.text));
        }
    }
    o.push_str("ET\n");
    o
}

/// The page's content stream.
fn content(scene: &Scene) -> String {
    let h = scene.height;
    let mut o = String::from("1 1 1 rg 0 0 ");
    let _ = writeln!(o, "{} {} re f", n(scene.width), n(h));
    for s in &scene.shapes {
        match s {
            Shape::Line { points, stroke } => {
                if points.len() < 2 {
                    continue;
                }
                o.push_str(&stroke_ops(stroke));
                path(&mut o, points, h);
                o.push_str("S\n");
            }
            Shape::Polygon {
                points,
                fill,
                stroke,
            } => {
                if points.len() < 3 {
                    continue;
                }
                let (set, op) = paint_op(*fill, stroke.as_ref());
                o.push_str(&set);
                path(&mut o, points, h);
                let _ = writeln!(o, "h {op}");
            }
            Shape::Rect {
                x,
                y,
                w,
                h: rh,
                fill,
                stroke,
            } => {
                let (set, op) = paint_op(*fill, stroke.as_ref());
                o.push_str(&set);
                let _ = writeln!(
                    o,
                    "{} {} {} {} re {op}",
                    n(*x),
                    n(h - y - rh),
                    n(*w),
                    n(*rh)
                );
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                stroke,
            } => {
                let (set, op) = paint_op(*fill, stroke.as_ref());
                o.push_str(&set);
                o.push_str(&circle_path(*cx, h - cy, *r));
                let _ = writeln!(o, "{op}");
            }
            Shape::Text {
                x,
                y,
                runs,
                size,
                anchor,
                rotate,
                colour: c,
                ..
            } => o.push_str(&text_ops(*x, h - y, runs, *size, *anchor, *rotate, *c)),
        }
    }
    o
}

/// The scene as the bytes of a one-page PDF file.
pub fn write(scene: &Scene) -> Vec<u8> {
    let stream = content(scene);
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            n(scene.width),
            n(scene.height)
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()),
        "<< /Producer (lightloop) >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(tail, "{off:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(tail.as_bytes());
    out
}

/// The path operators through `points` (moveto the first, lineto the rest), y flipped for a
/// page of height `h`.
fn path(o: &mut String, points: &[(f64, f64)], h: f64) {
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(
            o,
            "{} {} {} ",
            n(*x),
            n(h - y),
            if i == 0 { "m" } else { "l" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_winansi_with_escapes() {
        assert_eq!(literal("a (b) \\"), "(a \\(b\\) \\\\)");
        assert_eq!(literal("5 µs × 2 ÷ 3"), "(5 \\265s \\327 2 \\367 3)");
        assert_eq!(literal("λ ≤ 10⁻³"), "(lambda <= 10^-\\263)");
    }

    fn find(hay: &[u8], pat: &str) -> usize {
        hay.windows(pat.len())
            .position(|w| w == pat.as_bytes())
            .unwrap()
    }

    /// The cross-reference table points at each object: a reader can find every one.
    #[test]
    fn xref_offsets_point_at_objects() {
        let mut s = Scene::new(200.0, 100.0);
        s.text(
            10.0,
            20.0,
            "energy (µJ)",
            12.0,
            Anchor::Start,
            -90.0,
            "label",
        );
        s.push(Shape::Circle {
            cx: 50.0,
            cy: 50.0,
            r: 3.0,
            fill: Some(Rgb::BLACK),
            stroke: None,
        });
        let pdf = write(&s);
        assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
        let tail = String::from_utf8(pdf[find(&pdf, "startxref")..].to_vec()).unwrap();
        let start: usize = tail.lines().nth(1).unwrap().parse().unwrap();
        let xref = String::from_utf8(pdf[start..].to_vec()).unwrap();
        assert!(xref.starts_with("xref"));
        let entries: Vec<usize> = xref
            .lines()
            .skip(3)
            .take(6)
            .map(|l| l[..10].parse().unwrap())
            .collect();
        for (i, off) in entries.iter().enumerate() {
            assert!(
                pdf[*off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        // The stream's declared length is its length.
        let at = find(&pdf, "/Length ") + 8;
        let len: usize = String::from_utf8(pdf[at..at + 12].to_vec())
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let body = find(&pdf, "stream\n") + 7;
        assert_eq!(find(&pdf[body..], "endstream"), len);
    }
}

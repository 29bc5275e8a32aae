//! A scene as an SVG document: vector shapes and `<text>` (classed by role), sized by its
//! `viewBox` so that a page can scale it to its width.

use crate::scene::{Anchor, Rgb, Run, SUPERSCRIPT_RISE, SUPERSCRIPT_SCALE, Scene, Shape, Stroke};
use std::fmt::Write;

/// Escapes text for XML.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn paint(fill: Option<Rgb>, stroke: Option<Stroke>) -> String {
    let mut s = match fill {
        Some(c) => format!(" fill=\"{}\"", c.hex()),
        None => " fill=\"none\"".to_string(),
    };
    if let Some(st) = stroke {
        let _ = write!(
            s,
            " stroke=\"{}\" stroke-width=\"{}\"",
            st.colour.hex(),
            n(st.width)
        );
        if let Some((on, off)) = st.dash {
            let _ = write!(s, " stroke-dasharray=\"{} {}\"", n(on), n(off));
        }
    }
    s
}

fn points(p: &[(f64, f64)]) -> String {
    p.iter()
        .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn runs(r: &[Run], size: f64) -> String {
    let mut out = String::new();
    let mut raised = false;
    for run in r {
        let text = escape(&run.text);
        match (run.superscript, raised) {
            (true, false) => {
                let _ = write!(
                    out,
                    "<tspan dy=\"{}\" font-size=\"{}\">{text}",
                    n(-SUPERSCRIPT_RISE * size),
                    n(size * SUPERSCRIPT_SCALE)
                );
                raised = true;
            }
            (true, true) => out.push_str(&text),
            (false, true) => {
                let _ = write!(
                    out,
                    "</tspan><tspan dy=\"{}\">{text}</tspan>",
                    n(SUPERSCRIPT_RISE * size)
                );
                raised = false;
            }
            (false, false) => out.push_str(&text),
        }
    }
    if raised {
        out.push_str("</tspan>");
    }
    out
}

/// The scene as a standalone SVG document.
pub fn write(scene: &Scene) -> String {
    let mut o = String::with_capacity(64 * scene.shapes.len() + 512);
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         font-family=\"Helvetica, Arial, 'Liberation Sans', sans-serif\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n",
        w = n(scene.width),
        h = n(scene.height)
    );
    for s in &scene.shapes {
        match s {
            Shape::Line { points: p, stroke } => {
                let _ = writeln!(
                    o,
                    "<polyline points=\"{}\"{} stroke-linejoin=\"round\"/>",
                    points(p),
                    paint(None, Some(*stroke))
                );
            }
            Shape::Polygon {
                points: p,
                fill,
                stroke,
            } => {
                let _ = writeln!(
                    o,
                    "<polygon points=\"{}\"{}/>",
                    points(p),
                    paint(*fill, *stroke)
                );
            }
            Shape::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => {
                let _ = writeln!(
                    o,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}/>",
                    n(*x),
                    n(*y),
                    n(*w),
                    n(*h),
                    paint(*fill, *stroke)
                );
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                stroke,
            } => {
                let _ = writeln!(
                    o,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}/>",
                    n(*cx),
                    n(*cy),
                    n(*r),
                    paint(*fill, *stroke)
                );
            }
            Shape::Text {
                x,
                y,
                runs: r,
                size,
                anchor,
                rotate,
                colour,
                class,
            } => {
                let anchor = match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                };
                let turn = if *rotate != 0.0 {
                    format!(" transform=\"rotate({} {} {})\"", n(*rotate), n(*x), n(*y))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    o,
                    "<text class=\"{class}\" x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\" fill=\"{}\"{turn}>{}</text>",
                    n(*x),
                    n(*y),
                    n(*size),
                    colour.hex(),
                    runs(r, *size)
                );
            }
        }
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Run;

    #[test]
    fn text_is_escaped_and_superscripts_raised() {
        let mut s = Scene::new(100.0, 50.0);
        s.runs(
            10.0,
            20.0,
            vec![Run::plain("a<b & 10"), Run::sup("−3")],
            12.0,
            Anchor::Middle,
            0.0,
            "tick y",
        );
        let svg = write(&s);
        assert!(svg.contains("class=\"tick y\""), "{svg}");
        assert!(
            svg.contains("a&lt;b &amp; 10<tspan dy=\"-4.8\" font-size=\"8.64\">−3</tspan>"),
            "{svg}"
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}

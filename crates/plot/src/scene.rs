//! A drawing as a list of shapes in pixel coordinates (origin at the top left, y down), written
//! out by [`crate::svg`] and [`crate::pdf`] so that both files show the same figure.
//!
//! Text is laid out with the metrics of Helvetica (the widths of its Adobe font metrics file,
//! in thousandths of an em), the font the PDF names and the SVG asks for first; a viewer that
//! substitutes Arial or another sans-serif font draws within a few per cent of the estimate.

/// A colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const WHITE: Rgb = Rgb(255, 255, 255);
    pub const TEXT: Rgb = Rgb(34, 34, 34);
    pub const AXIS: Rgb = Rgb(90, 90, 90);
    pub const GRID: Rgb = Rgb(225, 225, 225);

    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }
}

/// A stroke: colour, width in pixels, and a dash pattern (on, off) when dashed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    pub colour: Rgb,
    pub width: f64,
    pub dash: Option<(f64, f64)>,
}

impl Stroke {
    pub fn solid(colour: Rgb, width: f64) -> Self {
        Self {
            colour,
            width,
            dash: None,
        }
    }
}

/// How a text's anchor point sits on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// A run of text, raised as a superscript or not (`10` then `−3` as a superscript).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub text: String,
    pub superscript: bool,
}

impl Run {
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            superscript: false,
        }
    }
    pub fn sup(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            superscript: true,
        }
    }
}

/// Superscripts are this fraction of the font size, raised by [`SUPERSCRIPT_RISE`] of it.
pub const SUPERSCRIPT_SCALE: f64 = 0.72;
pub const SUPERSCRIPT_RISE: f64 = 0.4;

/// One shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An open polyline.
    Line {
        points: Vec<(f64, f64)>,
        stroke: Stroke,
    },
    /// A closed polygon, filled and/or stroked.
    Polygon {
        points: Vec<(f64, f64)>,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    /// Text whose baseline starts (or centres, or ends) at (x, y), turned by `rotate` degrees
    /// clockwise about that point; `class` marks its role for tests and style sheets
    /// (`tick x`, `tick y`, `category`, `title`, `label`, `legend`).
    Text {
        x: f64,
        y: f64,
        runs: Vec<Run>,
        size: f64,
        anchor: Anchor,
        rotate: f64,
        colour: Rgb,
        class: &'static str,
    },
}

/// A drawing of `width` × `height` pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(width: f64, height: f64) -> Self {
        Self {
            width,
            height,
            shapes: Vec::new(),
        }
    }

    pub fn push(&mut self, s: Shape) {
        self.shapes.push(s);
    }

    /// Plain text.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        text: impl Into<String>,
        size: f64,
        anchor: Anchor,
        rotate: f64,
        class: &'static str,
    ) {
        self.runs(x, y, vec![Run::plain(text)], size, anchor, rotate, class);
    }

    /// Text made of runs.
    #[allow(clippy::too_many_arguments)]
    pub fn runs(
        &mut self,
        x: f64,
        y: f64,
        runs: Vec<Run>,
        size: f64,
        anchor: Anchor,
        rotate: f64,
        class: &'static str,
    ) {
        self.push(Shape::Text {
            x,
            y,
            runs,
            size,
            anchor,
            rotate,
            colour: Rgb::TEXT,
            class,
        });
    }
}

/// Helvetica's advance widths for the printable ASCII characters 32–126, thousandths of an em.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' ' … '/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // '0' … '9'
    278, 278, 584, 584, 584, 556, 1015, // ':' … '@'
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // 'A' … 'M'
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // 'N' … 'Z'
    278, 278, 278, 469, 556, 333, // '[' … '`'
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // 'a' … 'm'
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // 'n' … 'z'
    334, 260, 334, 584, // '{' … '~'
];

/// The width of one character in ems.
fn char_em(c: char) -> f64 {
    let code = c as u32;
    if (32..127).contains(&code) {
        HELVETICA[(code - 32) as usize] as f64 / 1000.0
    } else {
        // Greek letters, symbols and accented letters: about a digit's width.
        0.556
    }
}

/// The width of `text` at `size` pixels.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(char_em).sum::<f64>() * size
}

/// The width of runs at `size` pixels.
pub fn runs_width(runs: &[Run], size: f64) -> f64 {
    runs.iter()
        .map(|r| {
            text_width(
                &r.text,
                if r.superscript {
                    size * SUPERSCRIPT_SCALE
                } else {
                    size
                },
            )
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helvetica_widths() {
        // "Hello" in Helvetica: 722 + 556 + 222 + 222 + 556 = 2278 thousandths of an em.
        assert!((text_width("Hello", 10.0) - 22.78).abs() < 1e-9);
        assert_eq!(text_width("", 12.0), 0.0);
        let r = [Run::plain("10"), Run::sup("3")];
        assert!((runs_width(&r, 10.0) - (11.12 + 5.56 * SUPERSCRIPT_SCALE)).abs() < 1e-9);
    }
}

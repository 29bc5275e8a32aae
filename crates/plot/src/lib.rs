//! Charts for the report, the dashboard and the experiments: line charts with intervals and
//! upper bounds on linear or logarithmic axes, scatter charts with lines over them, and bar
//! charts (grouped or stacked), each written as SVG (for pages) and as a one-page vector PDF
//! (for papers) from the same drawing.
//!
//! What a reader can rely on: every numeric axis carries at least three labelled ticks, with
//! gridlines at the labelled ticks only (see [`axis`]); an axis label that ends in an SI unit in
//! parentheses (`time to first token (s)`) is shown with the prefix that suits its numbers
//! (`(ms)`); the legend sits below the plot, never over the data; category labels that would
//! collide are turned 35°; on a logarithmic axis, a point whose interval starts at zero (a count
//! of no events, bounded by its one-sided 95 % limit) is drawn at the interval's top as a bar
//! with an arrow pointing down, not as a measurement.
//!
//! Text is laid out with Helvetica's metrics (see [`scene`]), so label boxes are estimates
//! within a few per cent in other sans-serif fonts.

pub mod axis;
pub mod pdf;
pub mod scene;
pub mod svg;

use axis::Axis;
use scene::{Anchor, Rgb, Scene, Shape, Stroke, runs_width, text_width};

/// A chart that could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("drawing a chart: {0}")]
pub struct PlotError(pub String);

impl From<PlotError> for String {
    fn from(e: PlotError) -> String {
        e.to_string()
    }
}

/// Colours of the series, in order (colour-blind-safe palette of Wong, Nature Methods 8, 2011).
pub const PALETTE: [Rgb; 8] = [
    Rgb(0, 114, 178),
    Rgb(213, 94, 0),
    Rgb(0, 158, 115),
    Rgb(204, 121, 167),
    Rgb(230, 159, 0),
    Rgb(86, 180, 233),
    Rgb(240, 228, 66),
    Rgb(0, 0, 0),
];

/// One line of a line chart: points (x, y) and, optionally, an interval (low, high) per point.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub intervals: Option<Vec<(f64, f64)>>,
    /// Draw a dashed line without markers (a prediction rather than a measurement).
    pub dashed: bool,
}

/// Axes and labels of a chart.
#[derive(Debug, Clone)]
pub struct Axes {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
}

impl Series {
    /// A solid line with markers through `points`, without intervals.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            ..Default::default()
        }
    }

    /// Whether point `i` is an upper bound: its interval is one-sided, from zero (a count of no
    /// events) to the bound. On a logarithmic axis it is drawn as an arrow down from the bound.
    fn is_bound(&self, i: usize, log_y: bool) -> bool {
        log_y
            && self
                .intervals
                .as_ref()
                .and_then(|v| v.get(i))
                .is_some_and(|(lo, _)| *lo == 0.0)
    }
}

impl Axes {
    /// A chart with linear axes (see [`Axes::log_x`], [`Axes::log_y`]).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
        }
    }

    /// The x axis logarithmic.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// The y axis logarithmic.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
}

/// A drawn chart, to be written as SVG or PDF.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub scene: Scene,
}

impl Chart {
    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        svg::write(&self.scene)
    }

    /// The chart as the bytes of a one-page PDF.
    pub fn pdf(&self) -> Vec<u8> {
        pdf::write(&self.scene)
    }
}

const WIDTH: f64 = 900.0;
const PLOT_HEIGHT: f64 = 330.0;
const TITLE: f64 = 18.0;
const LABEL: f64 = 15.0;
const TICK: f64 = 13.0;
const LEGEND: f64 = 13.0;
const LEGEND_ROW: f64 = 21.0;
const PAD: f64 = 14.0;

/// Units whose numbers take an SI prefix on an axis.
const SI_UNITS: [&str; 14] = [
    "s", "J", "W", "Hz", "V", "A", "m", "B", "B/s", "bit/s", "b/s", "FLOP", "FLOP/s", "OPS",
];

/// `name (unit)` split into the name, the unit's SI base and the factor that takes the label's
/// numbers to that base (`(ns)` → `s`, 1e-9); `None` when the parentheses hold no such unit.
fn unit_of(label: &str) -> (String, Option<(String, f64)>) {
    let Some(open) = label.rfind(" (") else {
        return (label.to_string(), None);
    };
    let Some(unit) = label[open + 2..].strip_suffix(')') else {
        return (label.to_string(), None);
    };
    let name = label[..open].to_string();
    if SI_UNITS.contains(&unit) {
        return (name, Some((unit.to_string(), 1.0)));
    }
    let mut chars = unit.chars();
    let prefix = chars.next();
    let base: String = chars.collect();
    let exp = match prefix {
        Some('f') => -15,
        Some('p') => -12,
        Some('n') => -9,
        Some('µ' | 'u') => -6,
        Some('m') => -3,
        Some('k') => 3,
        Some('M') => 6,
        Some('G') => 9,
        Some('T') => 12,
        Some('P') => 15,
        _ => return (label.to_string(), None),
    };
    if SI_UNITS.contains(&base.as_str()) {
        (name, Some((base, 10f64.powi(exp))))
    } else {
        (label.to_string(), None)
    }
}

/// An axis for values given in `label`'s units: with an SI unit, the values are taken to the
/// base unit and shown with the prefix that suits them; returns the axis and the factor applied
/// to the data.
fn data_axis(values: Vec<f64>, log: bool, label: &str, zero: bool) -> (Axis, f64) {
    let (name, unit) = unit_of(label);
    match unit {
        Some((base, k)) => (
            axis::axis(
                values.into_iter().map(|v| v * k),
                log,
                &name,
                Some(&base),
                zero,
            ),
            k,
        ),
        None => (axis::axis(values.into_iter(), log, label, None, zero), 1.0),
    }
}

/// What a legend entry shows.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    /// A line (dashed or not) with a marker unless dashed.
    Line(Rgb, bool),
    /// An open marker.
    Open(Rgb),
    Bar(Rgb),
    /// The upper-bound arrow.
    Bound,
}

/// The legend's rows below the plot: entries placed left to right, wrapping at the width.
fn legend_rows(entries: &[(String, Swatch)], width: f64) -> Vec<Vec<(f64, &(String, Swatch))>> {
    let mut rows: Vec<Vec<(f64, &(String, Swatch))>> = vec![];
    let mut x = 0.0;
    for e in entries {
        let w = 30.0 + text_width(&e.0, LEGEND) + 22.0;
        if rows.is_empty() || (x + w > width && x > 0.0) {
            rows.push(vec![]);
            x = 0.0;
        }
        rows.last_mut().unwrap().push((x, e));
        x += w;
    }
    rows
}

fn draw_legend(scene: &mut Scene, entries: &[(String, Swatch)], x0: f64, y0: f64, width: f64) {
    for (r, row) in legend_rows(entries, width).iter().enumerate() {
        let y = y0 + r as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
        for (dx, (name, swatch)) in row {
            let x = x0 + dx;
            match *swatch {
                Swatch::Line(c, dashed) => {
                    scene.push(Shape::Line {
                        points: vec![(x, y), (x + 24.0, y)],
                        stroke: Stroke {
                            colour: c,
                            width: 2.0,
                            dash: dashed.then_some((6.0, 4.0)),
                        },
                    });
                    if !dashed {
                        marker(scene, x + 12.0, y, c, false);
                    }
                }
                Swatch::Open(c) => marker(scene, x + 12.0, y, c, true),
                Swatch::Bar(c) => scene.push(Shape::Rect {
                    x: x + 4.0,
                    y: y - 6.0,
                    w: 16.0,
                    h: 12.0,
                    fill: Some(c),
                    stroke: None,
                }),
                Swatch::Bound => bound_arrow(scene, x + 12.0, y - 7.0, Rgb::AXIS),
            }
            scene.text(
                x + 30.0,
                y + LEGEND * 0.35,
                name.clone(),
                LEGEND,
                Anchor::Start,
                0.0,
                "legend",
            );
        }
    }
}

fn marker(scene: &mut Scene, x: f64, y: f64, c: Rgb, open: bool) {
    scene.push(Shape::Circle {
        cx: x,
        cy: y,
        r: if open { 4.5 } else { 3.5 },
        fill: (!open).then_some(c),
        stroke: open.then(|| Stroke::solid(c, 1.8)),
    });
}

/// An upper bound at (x, y): a cap, a stem of 14 pixels down, and an arrowhead.
fn bound_arrow(scene: &mut Scene, x: f64, y: f64, c: Rgb) {
    scene.push(Shape::Line {
        points: vec![(x - 5.0, y), (x + 5.0, y)],
        stroke: Stroke::solid(c, 2.0),
    });
    scene.push(Shape::Line {
        points: vec![(x, y), (x, y + 10.0)],
        stroke: Stroke::solid(c, 1.6),
    });
    scene.push(Shape::Polygon {
        points: vec![(x - 4.0, y + 9.0), (x + 4.0, y + 9.0), (x, y + 15.0)],
        fill: Some(c),
        stroke: None,
    });
}

/// The plot area and the figure's size, from what must fit around the plot.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    height: f64,
    /// Top of the legend.
    legend_y: f64,
}

fn frame(
    title: &str,
    y_axis: &Axis,
    x_ticks_height: f64,
    has_x_label: bool,
    legend: &[(String, Swatch)],
) -> Frame {
    let tick_w = y_axis
        .ticks
        .iter()
        .map(|t| runs_width(&t.label, TICK))
        .fold(0.0, f64::max);
    let x0 = PAD + LABEL * 1.3 + 10.0 + tick_w + 8.0;
    let x1 = WIDTH - 24.0;
    let y0 = if title.is_empty() {
        PAD
    } else {
        PAD + TITLE * 1.4
    };
    let y1 = y0 + PLOT_HEIGHT;
    let below = 8.0 + x_ticks_height + if has_x_label { 8.0 + LABEL * 1.4 } else { 0.0 };
    let legend_y = y1 + below + 6.0;
    let rows = legend_rows(legend, WIDTH - 2.0 * PAD).len() as f64;
    Frame {
        x0,
        x1,
        y0,
        y1,
        height: legend_y + rows * LEGEND_ROW + PAD,
        legend_y,
    }
}

/// Title, y axis (gridlines, ticks, labels) and the frame's left and bottom lines.
fn draw_frame(scene: &mut Scene, f: &Frame, title: &str, y: &Axis) {
    if !title.is_empty() {
        scene.text(
            WIDTH / 2.0,
            PAD + TITLE,
            title,
            TITLE,
            Anchor::Middle,
            0.0,
            "title",
        );
    }
    for t in &y.ticks {
        let py = y.map(t.value, f.y1, f.y0);
        scene.push(Shape::Line {
            points: vec![(f.x0, py), (f.x1, py)],
            stroke: Stroke::solid(Rgb::GRID, 1.0),
        });
        scene.push(Shape::Line {
            points: vec![(f.x0 - 5.0, py), (f.x0, py)],
            stroke: Stroke::solid(Rgb::AXIS, 1.0),
        });
        scene.runs(
            f.x0 - 8.0,
            py + TICK * 0.35,
            t.label.clone(),
            TICK,
            Anchor::End,
            0.0,
            "tick y",
        );
    }
    scene.text(
        PAD + LABEL,
        (f.y0 + f.y1) / 2.0,
        y.label.clone(),
        LABEL,
        Anchor::Middle,
        -90.0,
        "label y",
    );
}

fn draw_axis_lines(scene: &mut Scene, f: &Frame) {
    scene.push(Shape::Line {
        points: vec![(f.x0, f.y0), (f.x0, f.y1), (f.x1, f.y1)],
        stroke: Stroke::solid(Rgb::AXIS, 1.2),
    });
}

/// One series as drawn: its colour, whether it is bare markers, and whether it has a legend
/// entry.
struct Layer<'a> {
    series: &'a Series,
    colour: Rgb,
    markers_only: bool,
    in_legend: bool,
}

/// A line chart.
pub fn lines(axes: &Axes, series: &[Series]) -> Result<Chart, PlotError> {
    let layers: Vec<Layer> = series
        .iter()
        .enumerate()
        .map(|(i, s)| Layer {
            series: s,
            colour: PALETTE[i % PALETTE.len()],
            markers_only: false,
            in_legend: series.len() > 1 || !s.name.is_empty(),
        })
        .collect();
    xy(axes, &layers)
}

/// A line chart as an SVG document.
pub fn line_chart(axes: &Axes, series: &[Series]) -> Result<String, PlotError> {
    lines(axes, series).map(|c| c.svg())
}

/// A scatter chart: each series of `clouds` as unconnected open markers with a legend entry, and
/// each series of `lines` drawn over them as a solid line with filled markers in the colour of
/// the cloud of the same index, without a legend entry (the caption says what the lines are).
/// `dashed` and `intervals` apply to `lines` as in [`lines`].
pub fn scatter(axes: &Axes, clouds: &[Series], over: &[Series]) -> Result<Chart, PlotError> {
    let colour = |i: usize| PALETTE[i % PALETTE.len()];
    let layers: Vec<Layer> = clouds
        .iter()
        .enumerate()
        .map(|(i, s)| Layer {
            series: s,
            colour: colour(i),
            markers_only: true,
            in_legend: true,
        })
        .chain(over.iter().enumerate().map(|(i, s)| Layer {
            series: s,
            colour: colour(i),
            markers_only: false,
            in_legend: false,
        }))
        .collect();
    xy(axes, &layers)
}

/// A scatter chart as an SVG document (see [`scatter`]).
pub fn scatter_chart(
    axes: &Axes,
    clouds: &[Series],
    lines: &[Series],
) -> Result<String, PlotError> {
    scatter(axes, clouds, lines).map(|c| c.svg())
}

fn xy(axes: &Axes, layers: &[Layer]) -> Result<Chart, PlotError> {
    let xs: Vec<f64> = layers
        .iter()
        .flat_map(|l| l.series.points.iter().map(|p| p.0))
        .collect();
    let ys: Vec<f64> = layers
        .iter()
        .flat_map(|l| {
            let s = l.series;
            s.points.iter().map(|p| p.1).chain(
                s.intervals
                    .iter()
                    .flat_map(|v| v.iter().flat_map(|(lo, hi)| [*lo, *hi])),
            )
        })
        .collect();
    let (x, kx) = data_axis(xs, axes.log_x, &axes.x_label, false);
    let (y, ky) = data_axis(ys, axes.log_y, &axes.y_label, false);
    let mut legend: Vec<(String, Swatch)> = layers
        .iter()
        .filter(|l| l.in_legend)
        .map(|l| {
            let swatch = if l.markers_only {
                Swatch::Open(l.colour)
            } else {
                Swatch::Line(l.colour, l.series.dashed)
            };
            (l.series.name.clone(), swatch)
        })
        .collect();
    if layers
        .iter()
        .any(|l| (0..l.series.points.len()).any(|i| l.series.is_bound(i, axes.log_y)))
    {
        legend.push((
            "upper bound: no events counted (one-sided 95 %)".to_string(),
            Swatch::Bound,
        ));
    }
    let f = frame(
        &axes.title,
        &y,
        TICK * 1.5,
        !axes.x_label.is_empty(),
        &legend,
    );
    let mut scene = Scene::new(WIDTH, f.height);
    draw_frame(&mut scene, &f, &axes.title, &y);
    for t in &x.ticks {
        let px = x.map(t.value, f.x0, f.x1);
        scene.push(Shape::Line {
            points: vec![(px, f.y0), (px, f.y1)],
            stroke: Stroke::solid(Rgb::GRID, 1.0),
        });
        scene.push(Shape::Line {
            points: vec![(px, f.y1), (px, f.y1 + 5.0)],
            stroke: Stroke::solid(Rgb::AXIS, 1.0),
        });
        scene.runs(
            px,
            f.y1 + 8.0 + TICK,
            t.label.clone(),
            TICK,
            Anchor::Middle,
            0.0,
            "tick x",
        );
    }
    if !axes.x_label.is_empty() {
        scene.text(
            (f.x0 + f.x1) / 2.0,
            f.y1 + 8.0 + TICK * 1.5 + 8.0 + LABEL,
            x.label.clone(),
            LABEL,
            Anchor::Middle,
            0.0,
            "label x",
        );
    }
    draw_axis_lines(&mut scene, &f);
    let at = |(px, py): (f64, f64)| (x.map(px * kx, f.x0, f.x1), y.map(py * ky, f.y1, f.y0));
    let ok = |(px, py): (f64, f64)| x.admits(px * kx) && y.admits(py * ky);
    for l in layers {
        let (s, c) = (l.series, l.colour);
        let measured: Vec<(f64, f64)> = s
            .points
            .iter()
            .enumerate()
            .filter(|(i, p)| !s.is_bound(*i, axes.log_y) && ok(**p))
            .map(|(_, p)| at(*p))
            .collect();
        if l.markers_only {
            for p in &measured {
                marker(&mut scene, p.0, p.1, c, true);
            }
        } else {
            if measured.len() > 1 {
                scene.push(Shape::Line {
                    points: measured.clone(),
                    stroke: Stroke {
                        colour: c,
                        width: 2.0,
                        dash: s.dashed.then_some((6.0, 4.0)),
                    },
                });
            }
            if !s.dashed {
                for p in &measured {
                    marker(&mut scene, p.0, p.1, c, false);
                }
            }
        }
        if let Some(iv) = &s.intervals {
            for (i, (p, (lo, hi))) in s.points.iter().zip(iv).enumerate() {
                if s.is_bound(i, axes.log_y)
                    || !ok(*p)
                    || !y.admits(*lo * ky)
                    || !y.admits(*hi * ky)
                {
                    continue;
                }
                let (px, _) = at(*p);
                let (ylo, yhi) = (y.map(lo * ky, f.y1, f.y0), y.map(hi * ky, f.y1, f.y0));
                let st = Stroke::solid(c, 1.2);
                scene.push(Shape::Line {
                    points: vec![(px, ylo), (px, yhi)],
                    stroke: st,
                });
                for yy in [ylo, yhi] {
                    scene.push(Shape::Line {
                        points: vec![(px - 4.0, yy), (px + 4.0, yy)],
                        stroke: st,
                    });
                }
            }
        }
        for (i, p) in s.points.iter().enumerate() {
            let top = s.intervals.as_ref().map_or(p.1, |v| v[i].1);
            if s.is_bound(i, axes.log_y) && ok((p.0, top)) {
                let (px, py) = at((p.0, top));
                bound_arrow(&mut scene, px, py, c);
            }
        }
    }
    draw_legend(&mut scene, &legend, PAD, f.legend_y, WIDTH - 2.0 * PAD);
    Ok(Chart { scene })
}

/// Category labels are turned by this many degrees when they would collide.
const TURN: f64 = 35.0;

/// A bar chart: one group per category, one bar per series in the group, or the series stacked.
pub fn bars(
    axes: &Axes,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    stacked: bool,
) -> Result<Chart, PlotError> {
    let n = categories.len().max(1);
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.1.get(i).copied().unwrap_or(0.0))
                .filter(|v| v.is_finite() && *v > 0.0)
                .sum()
        })
        .collect();
    let values: Vec<f64> = if stacked {
        totals.clone()
    } else {
        series.iter().flat_map(|s| s.1.clone()).collect()
    };
    let (y, ky) = data_axis(values, axes.log_y, &axes.y_label, true);
    let legend: Vec<(String, Swatch)> = series
        .iter()
        .enumerate()
        .filter(|_| series.len() > 1 || !series[0].0.is_empty())
        .map(|(j, s)| (s.0.clone(), Swatch::Bar(PALETTE[j % PALETTE.len()])))
        .collect();
    // Category labels: level if they fit their slot, else turned.
    let slot_guess = (WIDTH - 200.0) / n as f64;
    let widest = categories
        .iter()
        .map(|c| text_width(c, TICK))
        .fold(0.0, f64::max);
    let turn = widest > slot_guess - 8.0;
    let ticks_height = if turn {
        widest * TURN.to_radians().sin() + TICK * 1.2
    } else {
        TICK * 1.5
    };
    let f = frame(
        &axes.title,
        &y,
        ticks_height,
        !axes.x_label.is_empty(),
        &legend,
    );
    let mut scene = Scene::new(WIDTH, f.height);
    draw_frame(&mut scene, &f, &axes.title, &y);
    let slot = (f.x1 - f.x0) / n as f64;
    let cx = |i: usize| f.x0 + slot * (i as f64 + 0.5);
    for (i, c) in categories.iter().enumerate() {
        if turn {
            scene.text(
                cx(i) + 4.0,
                f.y1 + 8.0 + TICK * 0.8,
                c.clone(),
                TICK,
                Anchor::End,
                -TURN,
                "tick x category",
            );
        } else {
            scene.text(
                cx(i),
                f.y1 + 8.0 + TICK,
                c.clone(),
                TICK,
                Anchor::Middle,
                0.0,
                "tick x category",
            );
        }
    }
    if !axes.x_label.is_empty() {
        scene.text(
            (f.x0 + f.x1) / 2.0,
            f.y1 + 8.0 + ticks_height + 8.0 + LABEL,
            axes.x_label.clone(),
            LABEL,
            Anchor::Middle,
            0.0,
            "label x",
        );
    }
    let floor = if y.log { y.lo } else { 0.0 };
    let mut base = vec![floor; n];
    let k = series.len().max(1) as f64;
    for (j, (_, vals)) in series.iter().enumerate() {
        let c = PALETTE[j % PALETTE.len()];
        for (i, v) in vals.iter().enumerate().take(n) {
            let v = v * ky;
            if !(v.is_finite() && v > 0.0) {
                continue;
            }
            let (x_lo, x_hi, lo, hi) = if stacked {
                let lo = base[i];
                let hi = if y.log && lo == floor { v } else { lo + v };
                base[i] = hi;
                (cx(i) - slot * 0.3, cx(i) + slot * 0.3, lo, hi)
            } else {
                let w = slot * 0.8 / k;
                let x0 = cx(i) - slot * 0.4 + j as f64 * w;
                (x0, x0 + w * 0.92, floor, v)
            };
            let (top, bottom) = (y.map(hi, f.y1, f.y0), y.map(lo, f.y1, f.y0));
            scene.push(Shape::Rect {
                x: x_lo,
                y: top,
                w: x_hi - x_lo,
                h: (bottom - top).max(0.0),
                fill: Some(c),
                stroke: None,
            });
        }
    }
    draw_axis_lines(&mut scene, &f);
    draw_legend(&mut scene, &legend, PAD, f.legend_y, WIDTH - 2.0 * PAD);
    Ok(Chart { scene })
}

/// A bar chart as an SVG document (see [`bars`]).
pub fn bar_chart(
    axes: &Axes,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    stacked: bool,
) -> Result<String, PlotError> {
    bars(axes, categories, series, stacked).map(|c| c.svg())
}

/// A short number for text: plain between 0.01 and 10⁴, else scientific.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if (0.01..1e4).contains(&a) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.0e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes(log_x: bool, log_y: bool) -> Axes {
        Axes {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            log_x,
            log_y,
        }
    }

    fn count(c: &Chart, class: &str) -> usize {
        c.scene
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Text { class: k, .. } if *k == class))
            .count()
    }

    fn circles(c: &Chart) -> usize {
        c.scene
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Circle { .. }))
            .count()
    }

    #[test]
    fn line_chart_draws_every_point_interval_and_three_ticks_per_axis() {
        let s = Series {
            name: "a".into(),
            points: vec![(1.0, 1e-3), (10.0, 1e-2), (100.0, 1e-1)],
            intervals: Some(vec![(5e-4, 2e-3), (5e-3, 2e-2), (5e-2, 2e-1)]),
            ..Default::default()
        };
        for (lx, ly) in [(false, false), (true, true), (true, false), (false, true)] {
            let c = lines(&axes(lx, ly), std::slice::from_ref(&s)).unwrap();
            // A marker per point and the legend's.
            assert_eq!(circles(&c), 4, "{lx} {ly}");
            assert!(
                count(&c, "tick x") >= 3 && count(&c, "tick y") >= 3,
                "{lx} {ly}"
            );
            let svg = c.svg();
            assert!(
                svg.starts_with("<svg") && svg.contains(">a</text>"),
                "{svg}"
            );
            assert!(c.pdf().starts_with(b"%PDF"));
        }
    }

    #[test]
    fn upper_bounds_are_arrows_not_markers() {
        let s = Series {
            name: "errors".into(),
            points: vec![(1.0, 1e-2), (2.0, 1e-3), (3.0, 1e-5)],
            intervals: Some(vec![(5e-3, 2e-2), (5e-4, 2e-3), (0.0, 1e-5)]),
            ..Default::default()
        };
        let c = lines(&axes(false, true), &[s]).unwrap();
        // Two measured markers and the legend's; two arrowheads (the point's and the legend's).
        assert_eq!(circles(&c), 3);
        let heads = c
            .scene
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Polygon { .. }))
            .count();
        assert_eq!(heads, 2);
        assert!(c.svg().contains("upper bound"));
    }

    #[test]
    fn scatter_chart_draws_open_markers_and_lines_over_them() {
        let cloud = Series::line("all", vec![(1.0, 3.0), (2.0, 2.0), (4.0, 2.5)]);
        let line = Series::line("front", vec![(1.0, 3.0), (2.0, 2.0)]);
        let c = scatter(&axes(true, false), &[cloud], &[line]).unwrap();
        let open = c
            .scene
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Circle { fill: None, .. }))
            .count();
        // Three open markers and the legend's; two filled on the line.
        assert_eq!((open, circles(&c)), (4, 6));
        let svg = c.svg();
        assert!(
            svg.contains(">all</text>") && !svg.contains("front"),
            "{svg}"
        );
    }

    #[test]
    fn log_axes_skip_non_positive_points() {
        let s = Series::line("b", vec![(1.0, 0.0), (2.0, 1.0), (3.0, f64::NAN)]);
        let c = lines(&axes(false, true), &[s]).unwrap();
        assert_eq!(circles(&c), 2);
    }

    #[test]
    fn bar_chart_draws_one_bar_per_positive_value_and_turns_long_labels() {
        let cats = vec!["x".to_string(), "y".to_string()];
        let series = vec![
            ("p".to_string(), vec![1.0, 2.0]),
            ("q".to_string(), vec![3.0, 0.0]),
        ];
        let bars_of = |c: &Chart| {
            c.scene
                .shapes
                .iter()
                .filter(|s| matches!(s, Shape::Rect { .. }))
                .count()
        };
        let grouped = bars(&axes(false, false), &cats, &series, false).unwrap();
        let stacked = bars(&axes(false, true), &cats, &series, true).unwrap();
        // Three bars and two legend swatches.
        assert_eq!(bars_of(&grouped), 5);
        assert_eq!(bars_of(&stacked), 5);
        assert_eq!(count(&grouped, "tick x category"), 2);
        assert!(count(&grouped, "tick y") >= 3);
        let long: Vec<String> = (0..12)
            .map(|i| format!("deep-loop-{}", 1024 << i))
            .collect();
        let c = bars(
            &axes(false, false),
            &long,
            &[("a".into(), vec![1.0; 12])],
            false,
        )
        .unwrap();
        let turned = c
            .scene
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Text { rotate, class: "tick x category", .. } if *rotate != 0.0))
            .count();
        assert_eq!(turned, 12);
    }

    #[test]
    fn shares_end_at_one_and_units_take_prefixes() {
        let c = bars(
            &Axes::new("s", "", "share of energy"),
            &["a".into()],
            &[("x".into(), vec![0.6]), ("y".into(), vec![0.4])],
            true,
        )
        .unwrap();
        let top = c
            .scene
            .shapes
            .iter()
            .rev()
            .find_map(|s| match s {
                Shape::Text {
                    class: "tick y",
                    runs,
                    ..
                } => Some(runs[0].text.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(top, "1.0");
        let s = Series::line("t", vec![(1.0, 2e-3), (2.0, 8e-3)]);
        let c = lines(&Axes::new("", "x", "time to first token (s)"), &[s]).unwrap();
        assert!(c.svg().contains("time to first token (ms)"));
        let s = Series::line("t", vec![(1.0, 2e3), (2.0, 8e3)]);
        let c = lines(&Axes::new("", "x", "delay (ns)"), &[s]).unwrap();
        assert!(c.svg().contains("delay (µs)"));
        assert_eq!(unit_of("fJ per MAC (all energy)").1, None);
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(1200.0), "1200");
        assert_eq!(tick(1e-6), "1e-6");
        assert_eq!(tick(0.0), "0");
    }
}

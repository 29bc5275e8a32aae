//! SVG charts for the report, the dashboard and the experiments: line charts with optional error bars and
//! logarithmic axes, scatter charts with lines over them, and bar charts (grouped or stacked),
//! drawn with plotters' SVG backend.
//!
//! Text is emitted as SVG `<text>` and laid out by the viewer; plotters sizes labels with its
//! built-in estimate (no font files are read), so label boxes are approximate.

use plotters::prelude::*;
use std::ops::Range;

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
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
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

const SIZE: (u32, u32) = (760, 430);

/// The range covering `values` (positive values only on a log axis), padded a little.
fn range(values: impl Iterator<Item = f64>, log: bool) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { 0.1..10.0 } else { 0.0..1.0 };
    }
    if log {
        let (lo, hi) = if hi / lo < 1.01 {
            (lo / 2.0, hi * 2.0)
        } else {
            (lo, hi)
        };
        lo / 1.3..hi * 1.3
    } else {
        let pad = if hi > lo {
            0.05 * (hi - lo)
        } else {
            0.5 * lo.abs().max(1.0)
        };
        lo - pad..hi + pad
    }
}

/// The chart frame shared by every plot: title, margins and label areas.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(78);
    builder
}

/// The legend box of every plot, in the upper right corner.
fn legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(error)
}

fn error(e: impl std::fmt::Display) -> PlotError {
    PlotError(e.to_string())
}

/// One series as drawn: its colour, whether it is a line or bare markers, and whether it has a
/// legend entry.
struct Layer<'a> {
    series: &'a Series,
    colour: RGBColor,
    markers_only: bool,
    in_legend: bool,
}

/// A line chart as an SVG document.
pub fn line_chart(axes: &Axes, series: &[Series]) -> Result<String, PlotError> {
    let layers: Vec<Layer> = series
        .iter()
        .enumerate()
        .map(|(i, s)| Layer {
            series: s,
            colour: PALETTE[i % PALETTE.len()],
            markers_only: false,
            in_legend: true,
        })
        .collect();
    let legend = series.len() > 1 || series.iter().any(|s| !s.name.is_empty());
    xy_chart(axes, &layers, legend)
}

/// A scatter chart as an SVG document: each series of `clouds` as unconnected open markers with a
/// legend entry, and each series of `lines` drawn over them as a solid line with filled markers
/// in the colour of the cloud of the same index, without a legend entry (the caption says what
/// the lines are). `dashed` and `intervals` apply to `lines` as in [`line_chart`].
pub fn scatter_chart(
    axes: &Axes,
    clouds: &[Series],
    lines: &[Series],
) -> Result<String, PlotError> {
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
        .chain(lines.iter().enumerate().map(|(i, s)| Layer {
            series: s,
            colour: colour(i),
            markers_only: false,
            in_legend: false,
        }))
        .collect();
    xy_chart(axes, &layers, !clouds.is_empty())
}

/// Draws `layers` on one pair of axes, in order; `legend_box`: whether to draw the legend.
fn xy_chart(axes: &Axes, layers: &[Layer], legend_box: bool) -> Result<String, PlotError> {
    let xs = layers
        .iter()
        .flat_map(|l| l.series.points.iter().map(|p| p.0));
    let ys = layers.iter().flat_map(|l| {
        l.series.points.iter().map(|p| p.1).chain(
            l.series
                .intervals
                .iter()
                .flat_map(|v| v.iter().flat_map(|(l, h)| [*l, *h])),
        )
    });
    let (xr, yr) = (range(xs, axes.log_x), range(ys, axes.log_y));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(error)?;
        let mut builder = frame(&root, &axes.title);
        // The four axis combinations have different coordinate types.
        macro_rules! draw {
            ($x:expr, $y:expr) => {{
                let mut chart = builder.build_cartesian_2d($x, $y).map_err(error)?;
                chart
                    .configure_mesh()
                    .x_desc(&axes.x_label)
                    .y_desc(&axes.y_label)
                    .x_label_formatter(&|v| tick(*v))
                    .y_label_formatter(&|v| tick(*v))
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()
                    .map_err(error)?;
                for layer in layers {
                    let (s, c) = (layer.series, layer.colour);
                    let pts: Vec<(f64, f64)> = s
                        .points
                        .iter()
                        .copied()
                        .filter(|(x, y)| {
                            x.is_finite()
                                && y.is_finite()
                                && (!axes.log_x || *x > 0.0)
                                && (!axes.log_y || *y > 0.0)
                        })
                        .collect();
                    if layer.markers_only {
                        let drawn = chart
                            .draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.stroke_width(2))))
                            .map_err(error)?;
                        if layer.in_legend {
                            drawn.label(s.name.clone()).legend(move |(x, y)| {
                                Circle::new((x + 9, y), 4, c.stroke_width(2))
                            });
                        }
                        continue;
                    }
                    let style = c.stroke_width(2);
                    let drawn = if s.dashed {
                        chart
                            .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))
                            .map_err(error)?
                    } else {
                        chart
                            .draw_series(LineSeries::new(pts.clone(), style))
                            .map_err(error)?
                    };
                    if layer.in_legend {
                        drawn.label(s.name.clone()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                        });
                    }
                    if !s.dashed {
                        chart
                            .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                            .map_err(error)?;
                    }
                    if let Some(iv) = &s.intervals {
                        let bars = s.points.iter().zip(iv).filter(|((x, y), (l, h))| {
                            x.is_finite()
                                && y.is_finite()
                                && l.is_finite()
                                && h.is_finite()
                                && (!axes.log_y || *l > 0.0)
                        });
                        chart
                            .draw_series(bars.map(|((x, y), (l, h))| {
                                ErrorBar::new_vertical(*x, *l, *y, *h, c.stroke_width(1), 6)
                            }))
                            .map_err(error)?;
                    }
                }
                if legend_box {
                    legend(&mut chart)?;
                }
            }};
        }
        match (axes.log_x, axes.log_y) {
            (false, false) => draw!(xr, yr),
            (true, false) => draw!(xr.log_scale(), yr),
            (false, true) => draw!(xr, yr.log_scale()),
            (true, true) => draw!(xr.log_scale(), yr.log_scale()),
        }
        root.present().map_err(error)?;
    }
    Ok(svg)
}

/// A bar chart: one group per category, one bar per series in the group, or the series stacked.
pub fn bar_chart(
    axes: &Axes,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    stacked: bool,
) -> Result<String, PlotError> {
    let n = categories.len().max(1);
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.1.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let values = if stacked {
        totals.clone()
    } else {
        series.iter().flat_map(|s| s.1.clone()).collect()
    };
    let yr = range(values.into_iter().chain([0.0_f64]), axes.log_y);
    // Head room above the bars for the legend.
    let yr = if axes.log_y {
        yr.start..yr.end * 30.0
    } else {
        0.0..yr.end * 1.45
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(error)?;
        let mut builder = frame(&root, &axes.title);
        let cats = categories.to_vec();
        let k = series.len().max(1) as f64;
        macro_rules! draw {
            ($y:expr) => {{
                // Bar i is centred on x = i, where the tick labels fall.
                let mut chart = builder
                    .build_cartesian_2d(-0.5..n as f64 - 0.5, $y)
                    .map_err(error)?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(n)
                    .x_label_formatter(&|v| {
                        let i = v.round();
                        if (v - i).abs() < 0.01 && i >= 0.0 {
                            cats.get(i as usize).cloned().unwrap_or_default()
                        } else {
                            String::new()
                        }
                    })
                    .y_label_formatter(&|v| tick(*v))
                    .x_desc(&axes.x_label)
                    .y_desc(&axes.y_label)
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()
                    .map_err(error)?;
                let floor = if axes.log_y { yr.start } else { 0.0 };
                let mut base = vec![floor; n];
                for (j, (name, vals)) in series.iter().enumerate() {
                    let c = PALETTE[j % PALETTE.len()];
                    let rects: Vec<Rectangle<(f64, f64)>> = vals
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| v.is_finite() && **v > 0.0)
                        .map(|(i, v)| {
                            if stacked {
                                let lo = base[i];
                                let hi = if axes.log_y && lo == floor {
                                    *v
                                } else {
                                    lo + v
                                };
                                base[i] = hi;
                                Rectangle::new(
                                    [(i as f64 - 0.3, lo), (i as f64 + 0.3, hi)],
                                    c.filled(),
                                )
                            } else {
                                let w = 0.8 / k;
                                let x0 = i as f64 - 0.4 + j as f64 * w;
                                Rectangle::new([(x0, floor), (x0 + w * 0.92, *v)], c.filled())
                            }
                        })
                        .collect();
                    chart
                        .draw_series(rects)
                        .map_err(error)?
                        .label(name.clone())
                        .legend(move |(x, y)| {
                            Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled())
                        });
                }
                legend(&mut chart)?;
            }};
        }
        if axes.log_y {
            draw!(yr.clone().log_scale())
        } else {
            draw!(yr.clone())
        }
        root.present().map_err(error)?;
    }
    Ok(svg)
}

/// A short tick label: plain numbers between 0.01 and 10⁴, else scientific.
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

    #[test]
    fn line_chart_draws_every_point_and_interval() {
        let s = Series {
            name: "a".into(),
            points: vec![(1.0, 1e-3), (10.0, 1e-2), (100.0, 1e-1)],
            intervals: Some(vec![(5e-4, 2e-3), (5e-3, 2e-2), (5e-2, 2e-1)]),
            dashed: false,
        };
        for (lx, ly) in [(false, false), (true, true), (true, false), (false, true)] {
            let svg = line_chart(&axes(lx, ly), std::slice::from_ref(&s)).unwrap();
            assert!(svg.starts_with("<svg"), "{svg}");
            // A filled marker per point, and the error bar's own open marker on it.
            assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
            assert_eq!(svg.matches("fill=\"none\" stroke=\"#0072B2\"").count(), 3);
            assert!(svg.contains(">\na\n</text>"), "legend missing: {svg}");
        }
    }

    #[test]
    fn scatter_chart_draws_open_markers_and_lines_over_them() {
        let cloud = Series::line("all", vec![(1.0, 3.0), (2.0, 2.0), (4.0, 2.5)]);
        let line = Series::line("front", vec![(1.0, 3.0), (2.0, 2.0)]);
        let svg = scatter_chart(&axes(true, false), &[cloud], &[line]).unwrap();
        // Three open markers and the legend's, two filled markers on the line.
        assert_eq!(
            svg.matches("fill=\"none\" stroke=\"#0072B2\"").count(),
            4,
            "{svg}"
        );
        assert_eq!(svg.matches("<circle").count(), 6, "{svg}");
        assert_eq!(
            svg.matches("<polyline fill=\"none\" opacity=\"1\" stroke=\"#0072B2\"")
                .count(),
            1,
            "{svg}"
        );
        assert!(
            svg.contains(">\nall\n</text>") && !svg.contains("front"),
            "{svg}"
        );
    }

    #[test]
    fn log_axes_skip_non_positive_points() {
        let s = Series::line("b", vec![(1.0, 0.0), (2.0, 1.0), (3.0, f64::NAN)]);
        let svg = line_chart(&axes(false, true), &[s]).unwrap();
        assert_eq!(svg.matches("<circle").count(), 1);
    }

    #[test]
    fn bar_chart_draws_one_bar_per_positive_value() {
        let cats = vec!["x".to_string(), "y".to_string()];
        let series = vec![
            ("p".to_string(), vec![1.0, 2.0]),
            ("q".to_string(), vec![3.0, 0.0]),
        ];
        let grouped = bar_chart(&axes(false, false), &cats, &series, false).unwrap();
        let stacked = bar_chart(&axes(false, true), &cats, &series, true).unwrap();
        // Three bars, two legend swatches, the legend's fill and border, and the background.
        for svg in [grouped, stacked] {
            assert_eq!(svg.matches("<rect").count(), 3 + 2 + 2 + 1, "{svg}");
        }
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(1200.0), "1200");
        assert_eq!(tick(1e-6), "1e-6");
        assert_eq!(tick(0.0), "0");
    }
}

//! A plot as data: what an experiment wants drawn, for the front end to draw (SVG through
//! `lightloop-plot`, or its own plotting in Python).

use lightloop_plot::{Axes, Chart, PlotError, Series};

/// How the series are drawn.
#[derive(Debug, Clone)]
pub enum Kind {
    /// Lines with markers (and intervals where the series have them).
    Lines(Vec<Series>),
    /// Unconnected markers (`clouds`) with lines over them (`lines`).
    Scatter {
        clouds: Vec<Series>,
        lines: Vec<Series>,
    },
    /// Bars: one group per category, one bar per series (stacked when asked).
    Bars {
        categories: Vec<String>,
        series: Vec<(String, Vec<f64>)>,
        stacked: bool,
    },
}

/// One plot: its file name (without extension), axes, and series.
#[derive(Debug, Clone)]
pub struct Plot {
    pub name: String,
    pub axes: Axes,
    pub kind: Kind,
}

impl Plot {
    /// The plot drawn, to be written as SVG or PDF.
    pub fn chart(&self) -> Result<Chart, PlotError> {
        match &self.kind {
            Kind::Lines(s) => lightloop_plot::lines(&self.axes, s),
            Kind::Scatter { clouds, lines } => lightloop_plot::scatter(&self.axes, clouds, lines),
            Kind::Bars {
                categories,
                series,
                stacked,
            } => lightloop_plot::bars(&self.axes, categories, series, *stacked),
        }
    }

    /// The plot as an SVG document.
    pub fn svg(&self) -> Result<String, PlotError> {
        self.chart().map(|c| c.svg())
    }

    /// The plot as the bytes of a one-page vector PDF (for papers).
    pub fn pdf(&self) -> Result<Vec<u8>, PlotError> {
        self.chart().map(|c| c.pdf())
    }
}

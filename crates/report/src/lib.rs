//! The report: every figure a user needs to judge a rig, from one description, as one
//! self-contained HTML file (SVG inline) plus the CSV behind every plot and table.
//!
//! Layout: `lightloop-plot` draws SVG, [`sections`] computes the figures from the cost model and the
//! physics engine, [`html`] assembles the page.

pub mod html;
pub mod rows;
pub mod sections;
pub mod write;

pub use sections::{Report, ReportError, Settings, build};
pub use write::{Written, write};

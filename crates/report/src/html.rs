//! The self-contained HTML page: inline SVG, inline CSS, no script and no network access.

use crate::sections::{Report, Section, Table};
use std::fmt::Write;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(ch),
        }
    }
    o
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;\
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}h1{margin-bottom:.2em}\
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;font-size:.88em;margin:1em 0}td,th{border:1px solid #ddd;padding:.25em .5em;\
vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1.5em 0}figure svg{width:100%;height:auto;display:block}figcaption{font-size:.9em;color:#444;max-width:760px}\
.verdict{font-size:1.15em;font-weight:600}.meta{color:#555}.skipped{font-size:.85em;color:#8a4b00}nav a{margin-right:1em}";

fn table(out: &mut String, t: &Table) {
    out.push_str("<table><thead><tr>");
    for h in &t.head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        out.push_str("<tr>");
        for cell in r {
            let numeric = cell.parse::<f64>().is_ok();
            let _ = write!(
                out,
                "<td{}>{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                escape(cell)
            );
        }
        out.push_str("</tr>");
    }
    let _ = write!(
        out,
        "</tbody></table><p class=\"meta\">Data: <a href=\"csv/{0}\">csv/{0}</a></p>",
        escape(&t.csv)
    );
}

fn section(out: &mut String, s: &Section) {
    let _ = write!(out, "<section id=\"{}\"><h2>{}</h2>", s.id, escape(s.title));
    for p in &s.text {
        let _ = write!(out, "<p>{}</p>", escape(p));
    }
    for t in &s.tables {
        table(out, t);
    }
    for f in &s.figures {
        let _ = write!(
            out,
            "<figure id=\"fig-{3}\">{}<figcaption>{} Data: <a href=\"csv/{2}\">csv/{2}</a>; the figure as \
             <a href=\"figures/{3}.pdf\">PDF</a> and <a href=\"figures/{3}.svg\">SVG</a>.</figcaption></figure>",
            f.svg,
            escape(&f.caption),
            escape(&f.csv),
            escape(&f.name)
        );
    }
    if !s.skipped.is_empty() {
        out.push_str("<p class=\"skipped\">Points not computed:</p><ul class=\"skipped\">");
        for k in &s.skipped {
            let _ = write!(out, "<li>{}</li>", escape(k));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

/// The whole page.
pub fn page(r: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>lightloop report: {0}</title><style>{STYLE}</style></head><body>\
         <h1>lightloop report: {0}</h1><p class=\"meta\">{1}</p>{5}\
         <p class=\"meta\">Headline workload: {2}. Seed {3}.{4} Every figure below is computed from this \
         rig description by the cost model or the time-domain physics engine; each caption names \
         its assumptions, and the CSV behind it sits in <code>csv/</code> beside this file. \
         Regenerate it in this folder with <code>{6}</code>.</p><nav>",
        escape(&r.rig_name),
        escape(&r.rig_description),
        escape(&r.workload_name),
        r.seed,
        if r.quick {
            " Quick mode: fewer points and Monte-Carlo symbols."
        } else {
            ""
        },
        r.verdict
            .as_deref()
            .map(|v| format!("<p class=\"verdict\">{}</p>", escape(v)))
            .unwrap_or_default(),
        escape(&r.regenerate)
    );
    for s in &r.sections {
        let _ = write!(out, "<a href=\"#{}\">{}</a>", s.id, escape(s.title));
    }
    out.push_str("</nav>");
    for s in &r.sections {
        section(&mut out, s);
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a & \"b\">"),
            "&lt;a &amp; &quot;b&quot;&gt;"
        );
    }
}

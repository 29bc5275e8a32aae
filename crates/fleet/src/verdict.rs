//! The fleet's answer in words: which option serves the deployment cheapest, how the others
//! compare (always "N times the cost per token of" the cheapest), and why an option cannot
//! meet the targets.

use crate::fleet::FleetAnswer;
use crate::sizing::{Kind, OptionAnswer};

/// A number with three significant figures and thousands separators where large.
pub fn figure(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1e9 {
        format!("{} billion", figure(x / 1e9))
    } else if a >= 1e6 {
        format!("{} million", figure(x / 1e6))
    } else if a >= 1000.0 {
        let r = x.round() as i64;
        let s = r.abs().to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if r < 0 { format!("-{out}") } else { out }
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a > 0.0 {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    } else {
        "0".into()
    }
}

/// A whole number: separated thousands below a million, three significant figures above.
pub fn count(n: u64) -> String {
    if n >= 1_000_000 {
        figure(n as f64)
    } else {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// A duration in the unit a reader expects: ms below a second, s below a minute, then
/// minutes, hours and days.
pub fn duration(t: f64) -> String {
    if !t.is_finite() {
        "–".into()
    } else if t < 1e-3 {
        format!("{} µs", figure(t * 1e6))
    } else if t < 1.0 {
        format!("{} ms", figure(t * 1e3))
    } else if t < 60.0 {
        format!("{} s", figure(t))
    } else if t < 3600.0 {
        format!("{} min", figure(t / 60.0))
    } else if t < 86_400.0 {
        format!("{} h", figure(t / 3600.0))
    } else {
        format!("{} days", figure(t / 86_400.0))
    }
}

fn devices(o: &OptionAnswer, n: u64) -> String {
    device_count(o.kind, n)
}

/// `n` devices of an option's kind, in words.
pub fn device_count(kind: Kind, n: u64) -> String {
    match (kind, n) {
        (Kind::Gpu, 1) => "1 GPU".into(),
        (Kind::Rig, 1) => "1 rig".into(),
        (Kind::Gpu, _) => format!("{} GPUs", count(n)),
        (Kind::Rig, _) => format!("{} rigs", count(n)),
    }
}

/// One paragraph: the cheapest option meeting the targets, the others against it.
pub fn verdict(a: &FleetAnswer) -> String {
    let meeting: Vec<&OptionAnswer> = a.options.iter().filter(|o| o.chosen.is_some()).collect();
    let best = meeting.iter().min_by(|x, y| {
        let cx = x
            .chosen
            .as_ref()
            .map(|s| s.cost.usd_per_m_tokens)
            .unwrap_or(f64::INFINITY);
        let cy = y
            .chosen
            .as_ref()
            .map(|s| s.cost.usd_per_m_tokens)
            .unwrap_or(f64::INFINITY);
        cx.total_cmp(&cy)
    });
    let mut out = Vec::new();
    let Some(best) = best else {
        out.push(format!(
            "No option meets the targets of {} ({}).",
            a.deployment,
            a.options
                .iter()
                .map(|o| format!("{}: {}", o.hardware, o.binding.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        return out.join(" ");
    };
    let b = best.chosen.as_ref().expect("chosen");
    out.push(format!(
        "{} serves {} cheapest: {} USD per million tokens, {} MW at the wall at the busiest hour ({}).",
        best.hardware,
        a.deployment,
        figure(b.cost.usd_per_m_tokens),
        figure(b.power.wall_busy / 1e6),
        devices(best, b.devices)
    ));
    for o in &a.options {
        if std::ptr::eq(o, *best) {
            continue;
        }
        match (&o.chosen, &o.closest) {
            (Some(s), _) => out.push(format!(
                "{} meets the targets at {} times the cost per token ({} USD per million, {} MW).",
                o.hardware,
                figure(s.cost.usd_per_m_tokens / b.cost.usd_per_m_tokens),
                figure(s.cost.usd_per_m_tokens),
                figure(s.power.wall_busy / 1e6)
            )),
            (None, Some(s)) => out.push(format!(
                "{} cannot meet the targets ({}); at its closest it needs {}, {} MW and {} times the cost per token.",
                o.hardware,
                o.binding.as_deref().unwrap_or("targets missed"),
                devices(o, s.devices),
                figure(s.power.wall_busy / 1e6),
                figure(s.cost.usd_per_m_tokens / b.cost.usd_per_m_tokens)
            )),
            (None, None) => out.push(format!(
                "{} cannot serve the model ({}).",
                o.hardware,
                o.binding.as_deref().unwrap_or("no configuration")
            )),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{count, duration, figure};

    #[test]
    fn figures_keep_three_significant_digits_and_never_round_to_zero() {
        assert_eq!(figure(1_919_872.0), "1.92 million");
        assert_eq!(figure(21_664.3), "21,664");
        assert_eq!(figure(0.445), "0.445");
        assert_eq!(figure(0.00102), "0.00102");
        assert_eq!(figure(12.34), "12.3");
        assert_eq!(figure(8.19e11), "819 billion");
        assert_eq!(count(31), "31");
        assert_eq!(count(191_988), "191,988");
        assert_eq!(duration(1439.0), "24.0 min");
        assert_eq!(duration(0.0482), "48.2 ms");
    }
}

//! The fleet's answer in words: which option serves the deployment cheapest, how the others
//! compare (always "N times the cost per token of" the cheapest), and why an option cannot
//! meet the targets.

use crate::fleet::FleetAnswer;
use crate::sizing::{Kind, OptionAnswer};
pub use lightloop_base::words::{count, duration, figure};

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

//! `lightloop energy`.

use super::{Inputs, MODEL_NOTE, evaluate, header, print_json, warnings};
use crate::Target;
use crate::load::{CliResult, load_pair};
use crate::table::{Align, Table, num, pct, si, wrap};
use lightloop_cost::{Category, Evaluation, Item};
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    inputs: Inputs<'a>,
    evaluation: &'a Evaluation,
}

pub fn run(t: &Target) -> CliResult<()> {
    let pair = load_pair(&t.rig, &t.workload, &t.sets)?;
    let e = evaluate(&pair)?;
    if t.json {
        return print_json(&Report {
            inputs: Inputs::of(&pair),
            evaluation: &e,
        });
    }
    print!("{}", header("Energy per token", &pair));
    println!();
    let total = e.metrics.j_per_token;
    let mut tab = Table::new(
        &["category / item", "per token", "share", "kind"],
        &[Align::Left, Align::Right, Align::Right, Align::Left],
    );
    for c in Category::ALL {
        let cj = e.per_token.category(c);
        tab.row(vec![
            c.label().to_string(),
            si(cj, "J"),
            pct(cj / total),
            String::new(),
        ]);
        for (item, j) in e.per_token.entries().filter(|(i, _)| i.category() == c) {
            tab.row(vec![
                format!("  {}", item.label()),
                si(j, "J"),
                pct(j / total),
                if item.is_static() {
                    "DC × time".into()
                } else {
                    "per event".into()
                },
            ]);
        }
    }
    tab.rule();
    tab.row(vec![
        "total".into(),
        si(total, "J"),
        "100 %".into(),
        format!("{} static", pct(e.metrics.static_fraction)),
    ]);
    println!("{}", tab.render());
    let m = &e.metrics;
    println!();
    println!(
        "  energy per MAC, all MACs of a token      {}",
        si(m.fj_per_mac * 1e-15, "J")
    );
    println!(
        "  optical core per optical MAC             {}",
        si(m.core_fj_per_optical_mac * 1e-15, "J")
    );
    println!(
        "  TOPS/W (2 ops per MAC)                   {}",
        num(m.tops_per_w)
    );
    println!(
        "  MACs per token                           {} optical + {} host ({} optical)",
        si(m.optical_macs_per_token, ""),
        si(m.host_macs_per_token, ""),
        pct(m.optical_fraction)
    );
    let dc: f64 = Item::ALL
        .iter()
        .filter(|i| i.is_static())
        .map(|i| e.per_token.get(*i))
        .sum::<f64>()
        * m.tokens_per_s;
    println!("  average DC load while running            {}", si(dc, "W"));
    print!("{}", warnings(&e));
    println!();
    print!("{}", wrap(MODEL_NOTE, 100, ""));
    Ok(())
}

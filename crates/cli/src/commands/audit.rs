//! `lightloop audit`.

use super::print_json;
use crate::load::{CliResult, load_rig};
use crate::table::{Align, Table, num, wrap};
use lightloop_cost::audit::{AuditRigs, ClaimAudit, Status};
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    rig: &'a str,
    claims: &'a [ClaimAudit],
}

pub fn run(rig: &str, json: bool) -> CliResult<()> {
    let loaded = load_rig(rig, &[])?;
    let name = loaded.value.rig.name.clone();
    let rigs = AuditRigs::with_seed(name.clone(), loaded.value);
    let deployment =
        lightloop_rig::load_deployment(lightloop_rig::presets::DEFAULT_DEPLOYMENT, &[])?.value;
    let claims = lightloop_fleet::claims::full_audit(&rigs, &deployment)?;
    if json {
        return print_json(&Report {
            rig: &name,
            claims: &claims,
        });
    }
    println!(
        "Claims audit — each figure reproduced under its own assumptions, beside the physically consistent one"
    );
    println!(
        "  rig for the 16-channel rows and the data-centre claims: {name}; data-centre rows through fleets serving the {} deployment",
        lightloop_rig::presets::DEFAULT_DEPLOYMENT
    );
    println!();
    let mut tab = Table::new(
        &[
            "claim",
            "quoted",
            "reproduced",
            "status",
            "consistent figure",
            "claim ÷ consistent",
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Right,
        ],
    );
    for c in &claims {
        let status = match c.status {
            Status::Reproduced => "reproduced",
            Status::NotReproduced => "NOT reproduced",
            Status::Projection => "projection",
        };
        let cons = c
            .counterpart
            .as_ref()
            .map(|k| format!("{} {}", num(k.value), k.unit))
            .unwrap_or_else(|| "–".into());
        let adv = c
            .counterpart
            .as_ref()
            .map(|k| format!("{}×", num(k.claim_advantage)))
            .unwrap_or_else(|| "–".into());
        if c.figures.is_empty() {
            tab.row(vec![
                c.id.into(),
                "–".into(),
                "–".into(),
                status.into(),
                cons.clone(),
                adv.clone(),
            ]);
        }
        for (i, f) in c.figures.iter().enumerate() {
            let mark = if f.holds { "" } else { " ✗" };
            tab.row(vec![
                if i == 0 {
                    c.id.to_string()
                } else {
                    String::new()
                },
                format!("{} {}", f.quoted.text(), f.unit),
                format!("{}{mark}", num(f.reproduced)),
                if i == 0 {
                    status.to_string()
                } else {
                    String::new()
                },
                if i == 0 { cons.clone() } else { String::new() },
                if i == 0 { adv.clone() } else { String::new() },
            ]);
        }
    }
    println!("{}", tab.render());
    println!();
    println!("Why the consistent figures differ");
    for c in &claims {
        println!("  {} — {}", c.id, c.claim);
        print!(
            "{}",
            wrap(&format!("assumed: {}", c.stated_assumptions), 100, "      ")
        );
        if let Some(k) = &c.counterpart {
            print!(
                "{}",
                wrap(
                    &format!("consistent figure for: {}", k.basis),
                    100,
                    "      "
                )
            );
        }
        print!(
            "{}",
            wrap(&format!("gap: {}", c.explanation), 100, "      ")
        );
    }
    println!();
    print!(
        "{}",
        wrap(
            "\"reproduced\": the claim's own arithmetic gives the quoted figure (within 1 % when exact, rounding to it when quoted as approximate, below it when a bound). \"claim ÷ consistent\" > 1 means the claim is more favourable than the figure lightloop derives for the named rig with every watt counted.",
            100,
            ""
        )
    );
    Ok(())
}

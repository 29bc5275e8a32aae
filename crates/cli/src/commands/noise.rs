//! `lightloop noise`.

use super::{Inputs, evaluate, header, print_json, warnings};
use crate::Target;
use crate::load::{CliResult, load_pair};
use crate::table::{Align, Table, num, pct, si, wrap};
use lightloop_cost::noise::TERM_NAMES;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    inputs: Inputs<'a>,
    noise: &'a lightloop_cost::evaluate::NoiseSummary,
}

pub fn run(t: &Target) -> CliResult<()> {
    let pair = load_pair(&t.rig, &t.workload, &t.sets)?;
    let e = evaluate(&pair)?;
    if t.json {
        return print_json(&Report {
            inputs: Inputs::of(&pair),
            noise: &e.noise,
        });
    }
    print!("{}", header("Noise budget of one readout", &pair));
    let n = &e.noise;
    let b = &n.budget;
    println!();
    println!("  product width             {}", num(n.product_width));
    println!(
        "  full-scale received power {}",
        si(b.point.received_power, "W")
    );
    println!("  photons per sample        {}", num(b.photons_per_sample));
    println!(
        "  integration window        {} (noise bandwidth {})",
        si(b.point.integration_time, "s"),
        si(b.bandwidth, "Hz")
    );
    println!(
        "  amplified passes          {}",
        num(n.passes_between_readouts)
    );
    println!();
    let total = b.terms.total();
    let mut tab = Table::new(
        &["term", "σ", "share of variance"],
        &[Align::Left, Align::Right, Align::Right],
    );
    for (name, v) in TERM_NAMES.iter().zip(b.terms.as_array()) {
        if v > 0.0 {
            tab.row(vec![name.to_string(), si(v.sqrt(), "A"), pct(v / total)]);
        }
    }
    tab.rule();
    tab.row(vec!["total".into(), si(total.sqrt(), "A"), "100 %".into()]);
    tab.row(vec![
        "signal swing".into(),
        si(b.signal_current, "A"),
        String::new(),
    ]);
    println!("{}", tab.render());
    println!();
    println!(
        "  SNR (swing²/σ²)           {:.1} dB, {:.2} effective bits (dominant: {})",
        n.snr_db, n.enob, n.dominant
    );
    let q = b.signal_current / 2.0 / (2.0 * b.sigma());
    println!(
        "  ternary decision          Q = {:.1}, symbol-error rate {}",
        q,
        num(b.ternary_ser())
    );
    println!("  target                    {:.1} dB", n.target_snr_db);
    match (n.required_laser_power, n.ceiling_db) {
        (Some(p), _) => println!(
            "  laser power for target    {} per channel (rig: {})",
            si(p, "W"),
            si(pair.rig.value.laser.power.si(), "W")
        ),
        (None, Some(c)) => println!(
            "  laser power for target    none: {} caps the SNR at {c:.1} dB",
            n.ceiling_by.unwrap_or("noise")
        ),
        _ => {}
    }
    if n.passes_to_target.is_finite() {
        println!("  passes until SNR = target {}", num(n.passes_to_target));
    }
    if let Some(db) = n.loop_net_db {
        println!("  loop net gain per pass    {db:+.2} dB (excess gain is trimmed in operation)");
    }
    print!("{}", warnings(&e));
    println!();
    print!(
        "{}",
        wrap(
            "model: closed-form noise terms at full scale (shot 2q(I+I_d)B, receiver i_n²B, RIN·I²B, signal–ASE 4R²P·S·B, ASE–ASE 4R²S²B_oB, quantisation Δ²/12, timing jitter), B = 1/(2·window); ASE adds linearly with passes (no regeneration by the absorber). This is the one budget the statistical twin and the time-domain engine are to reuse.",
            100,
            ""
        )
    );
    Ok(())
}

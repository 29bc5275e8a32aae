//! `lightloop noise`.

use super::{Inputs, evaluate, header, print_json, warnings};
use crate::Target;
use crate::load::{CliError, CliResult, load_pair};
use crate::table::{Align, Table, num, pct, si, wrap};
use lightloop_cost::decision::Decision;
use lightloop_cost::evaluate::NoiseSummary;
use lightloop_cost::impairments::ImpairmentBudget;
use lightloop_cost::noise::TERM_NAMES;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    inputs: Inputs<'a>,
    noise: &'a lightloop_cost::evaluate::NoiseSummary,
    /// One channel's ternary decision from the compressed levels, and the loop's regeneration.
    decision: &'a Decision,
    /// Each impairment's penalty and the passes it allows (rigs with `[impairments]` or
    /// `[mode_multiplexing]` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    impairments: Option<&'a ImpairmentBudget>,
}

pub fn run(t: &Target, target_ser: f64) -> CliResult<()> {
    if !(target_ser > 0.0 && target_ser < 0.5) {
        return Err(CliError::BadInput(format!(
            "--target-ser must lie between 0 and 0.5 (a symbol-error rate), not {target_ser}"
        )));
    }
    let pair = load_pair(&t.rig, &t.workload, &t.sets)?;
    let e = evaluate(&pair)?;
    let d = Decision::of_rig(&pair.rig.value, e.noise.budget.point, target_ser);
    let imp = ImpairmentBudget::of_rig(&pair.rig.value, e.noise.budget.point, target_ser);
    if t.json {
        return print_json(&Report {
            inputs: Inputs::of(&pair),
            noise: &e.noise,
            decision: &d,
            impairments: imp.as_ref(),
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
        "  ternary decision          Q = {:.1}, symbol-error rate {} (equal-spacing model)",
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
    if let Some(db) = n.loop_net_db {
        println!("  loop net gain per pass    {db:+.2} dB (excess gain is trimmed in operation)");
    }
    decision(&d, n);
    if let Some(imp) = &imp {
        impairments(imp);
    }
    print!("{}", warnings(&e));
    println!();
    print!(
        "{}",
        wrap(
            "model: closed-form noise terms at full scale (shot 2q(I+I_d)B, receiver i_n²B, RIN·I²B, signal–ASE 4R²P·S·B, ASE–ASE 4R²S²B_oB, quantisation Δ²/12, timing jitter), B = 1/(2·window); ASE adds linearly with passes. The ternary decision uses the levels the SOA's gain saturation and the absorber leave (their steady-state transfers, the functions the time-domain engine uses; inter-symbol interference of their dynamics left out), each level's own noise and the comparator's thresholds midway between the levels; the equal-spacing figures (levels 0, ½, 1 of the swing, full-scale σ) are labelled as such. Regeneration: the loop's return map with identity mixing (steady-state transfers, a fixed trim holding a = 1), an unrestored level's drift iterated through it with the per-pass ASE amplified by the local slope (linearised, Gaussian).",
            100,
            ""
        )
    );
    Ok(())
}

/// One channel's ternary decision and the loop's regeneration, each figure with its model.
fn decision(d: &Decision, n: &NoiseSummary) {
    let b = &d.budget;
    let w = |p: f64| si(p, "W");
    let a = |i: f64| si(i, "A");
    let dbm = |p: f64| format!("{:.1} dBm", 10.0 * (p / 1e-3).log10());
    println!();
    println!(
        "Ternary decision of one channel (laser → modulator → path → SOA → absorber → 1:{} fan-out → photodiode/TIA over one symbol → comparator)",
        num(1.0 / d.delivered)
    );
    let r = b.levels.received;
    println!(
        "  levels at the photodiode  {} / {} / {} (middle at {:.3} of the swing; equal spacing: 0.500)",
        w(r[0]),
        w(r[1]),
        w(r[2]),
        d.middle_fraction
    );
    let s = b.sds();
    println!(
        "  σ per level               {} / {} / {} (comparator included); thresholds {} and {}",
        a(s[0]),
        a(s[1]),
        a(s[2]),
        a(b.thresholds.0),
        a(b.thresholds.1)
    );
    println!(
        "  symbol-error rate         {} (compressed levels); {} (equal-spacing model)",
        num(d.ser),
        num(d.ser_equal_spacing)
    );
    println!("  target SER                {}", num(d.target_ser));
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("none".to_string(), f);
    println!(
        "  received power for target {} (compressed levels, rig's laser, attenuated as on the bench); {} (equal-spacing model)",
        opt(d.received_power_for_target_w, &|p| format!(
            "{} ({})",
            w(p),
            dbm(p)
        )),
        opt(d.equal_spacing_received_power_for_target_w, &|p| format!(
            "{} ({})",
            w(p),
            dbm(p)
        )),
    );
    println!(
        "  laser power for target    {} per channel (compressed levels; rig: {}); {} (equal-spacing model)",
        opt(d.laser_power_for_target_w, &|p| w(p)),
        w(d.laser_power_w),
        opt(d.equal_spacing_laser_power_for_target_w, &|p| w(p)),
    );
    let Some(g) = &d.regeneration else {
        println!("  regeneration              no loop amplifier: no return map");
        return;
    };
    println!();
    println!(
        "Regeneration (return map of one value, identity mixing, trim {:.3}{})",
        g.map.trim,
        if g.map.holds_unit {
            ""
        } else {
            ", which cannot hold a = 1"
        }
    );
    let mut tab = Table::new(
        &[
            "level",
            "fixed point",
            "slope",
            "restored",
            "basin (amplitude)",
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Right,
        ],
    );
    for f in &g.levels {
        tab.row(vec![
            format!("{:+}", f.level),
            f.fixed_point
                .map_or("none".into(), |p| format!("{:.3}", p.amplitude)),
            f.fixed_point
                .map_or(String::new(), |p| format!("{:.3}", p.slope)),
            if f.restored { "yes" } else { "no" }.into(),
            match f.basin {
                None => String::new(),
                Some(_) if !f.restored => "the point only (repelling)".into(),
                Some((l, r)) => format!("{l:.3} … {r:.3}"),
            },
        ]);
    }
    println!("{}", tab.render());
    println!("{}", wrap(&format!("{}.", g.words()), 100, "  "));
    let all_restored = g.levels.iter().all(|l| l.restored);
    match g.passes_to_target() {
        Some(k) => println!(
            "  passes until SER > target {k} (the drift of the unrestored level through the return map)"
        ),
        None if all_restored => {
            println!("  passes until SER > target none from drift: the loop restores every level")
        }
        None => println!(
            "  passes until SER > target beyond the drift iterated (up to {} passes)",
            lightloop_cost::regeneration::MAX_DRIFT_PASSES
        ),
    }
    if let Some(k) = g.passes_to_target()
        && (k as f64) < n.passes_between_readouts
    {
        println!(
            "  warning: an unrestored level's error rate passes the target after {k} passes, within the {} passes between readouts",
            num(n.passes_between_readouts)
        );
    }
    if n.passes_to_target.is_finite() {
        println!(
            "  passes until SNR = target {} (linear ASE growth alone{})",
            num(n.passes_to_target),
            if all_restored {
                ""
            } else {
                ": not the limit, the loop does not restore every level"
            }
        );
    }
}

/// Each impairment's penalty and the passes it allows, and which one limits the loop.
pub(crate) fn impairments(b: &ImpairmentBudget) {
    println!();
    println!(
        "Impairments of the multi-lane loop ({} loop, target error rate {}, penalty budget {:.2} dB, {} passes between readouts)",
        if b.regenerating {
            "regenerating"
        } else {
            "linear"
        },
        num(b.target_error_rate),
        b.penalty_budget_db,
        b.passes
    );
    let mut tab = Table::new(
        &[
            "impairment",
            &format!("penalty after {} passes (dB)", b.passes),
            &format!("error rate after {} passes", b.passes),
            "passes until criterion",
            "criterion",
        ],
        &[
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
    );
    for l in &b.limits {
        tab.row(vec![
            l.impairment.to_string(),
            l.penalty_db
                .map_or("eye closed".into(), |p| format!("{p:.3}")),
            l.error_rate.map_or("—".into(), num),
            l.passes.map_or("none".into(), |p| p.to_string()),
            l.criterion.to_string(),
        ]);
    }
    println!("{}", tab.render());
    for l in &b.limits {
        println!(
            "{}",
            wrap(&format!("{}: {}.", l.impairment, l.detail), 100, "  ")
        );
    }
    if let Some(m) = &b.modes {
        println!(
            "{}",
            wrap(
                &format!(
                    "mode-division multiplexing: {} modes × {} WDM lanes = {} lanes ({}); mux pair loss {:.2} dB on the signal path{}; laser power to make it up {} per port (rig: {} before the loss); mux pairs {} drawing {}.",
                    m.modes,
                    num(m.lanes_single_mode),
                    num(m.lanes),
                    if m.amplifier_supports_modes {
                        "one few-mode amplifier carries every mode"
                    } else {
                        "one amplifier per mode"
                    },
                    m.mux_loss_db,
                    if m.amplifier_supports_modes {
                        ""
                    } else {
                        " and in the loop every pass"
                    },
                    si(m.laser_power_to_make_up_w, "W"),
                    si(
                        m.laser_power_to_make_up_w / 10f64.powf(m.mux_loss_db / 10.0),
                        "W"
                    ),
                    num(m.mux_pairs),
                    si(m.mux_power_w, "W")
                ),
                100,
                "  "
            )
        );
    }
    println!("{}", wrap(&format!("{}.", b.words()), 100, "  "));
    println!("{}", wrap(&format!("model: {}.", b.model), 100, "  "));
}

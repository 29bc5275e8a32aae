//! `lightloop throughput`.

use super::{Inputs, MODEL_NOTE, evaluate, header, print_json, warnings};
use crate::Target;
use crate::load::{CliResult, load_pair};
use crate::table::{Align, Table, num, pct, si, wrap};
use lightloop_cost::Evaluation;
use lightloop_cost::evaluate::Phases;
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    inputs: Inputs<'a>,
    rates: &'a lightloop_cost::evaluate::Rates,
    step: &'a lightloop_cost::evaluate::StepCost,
    prefill: &'a lightloop_cost::evaluate::StepCost,
    tokens_per_s: f64,
    step_time_s: f64,
    ttft_s: f64,
}

pub fn run(t: &Target) -> CliResult<()> {
    let pair = load_pair(&t.rig, &t.workload, &t.sets)?;
    let e: Evaluation = evaluate(&pair)?;
    if t.json {
        return print_json(&Report {
            inputs: Inputs::of(&pair),
            rates: &e.rates,
            step: &e.step,
            prefill: &e.prefill,
            tokens_per_s: e.metrics.tokens_per_s,
            step_time_s: e.metrics.step_time,
            ttft_s: e.metrics.ttft,
        });
    }
    print!("{}", header("Throughput and latency", &pair));
    let r = &e.rates;
    let topo = &pair.rig.value.topology;
    println!();
    println!(
        "MAC rate from the architecture ({})",
        topo.architecture.name()
    );
    println!(
        "  MACs per symbol per lane  = channels {} × readout width {} = {}",
        topo.channels,
        topo.readout_width,
        num(r.macs_per_symbol)
    );
    println!(
        "  symbol period             {} (requested {}; set by: {})",
        si(r.effective_period, "s"),
        si(r.requested_period, "s"),
        r.limited_by
    );
    if r.loop_period != r.effective_period {
        println!("  loop-pass symbol period   {}", si(r.loop_period, "s"));
    }
    println!(
        "  peak                      {} × {} lane(s) ÷ period = {}",
        num(r.macs_per_symbol),
        num(r.lanes),
        si(r.peak_macs_per_s, "MAC/s")
    );
    println!(
        "  sustained in this step    {} ({} of peak)",
        si(r.sustained_optical_macs_per_s, "MAC/s"),
        pct(r.utilisation)
    );
    if let Some(f) = r.fan_in_limit {
        println!("  fan-in limit (WDM band)   {f:.0} wavelengths");
    }
    if let Some(f) = r.fan_out_limit {
        println!(
            "  fan-out limit (power)     {} outputs at the SNR target",
            num(f.floor())
        );
    }
    println!();
    let mut tab = Table::new(
        &[
            "phase of one step",
            "decode step",
            "share",
            "prefill (TTFT)",
        ],
        &[Align::Left, Align::Right, Align::Right, Align::Right],
    );
    let (d, p) = (e.step.phases.as_array(), e.prefill.phases.as_array());
    for (i, name) in Phases::NAMES.iter().enumerate() {
        tab.row(vec![
            name.to_string(),
            si(d[i], "s"),
            pct(d[i] / e.step.time),
            si(p[i], "s"),
        ]);
    }
    tab.rule();
    tab.row(vec![
        "total".into(),
        si(e.step.time, "s"),
        "100 %".into(),
        si(e.prefill.time, "s"),
    ]);
    println!("{}", tab.render());
    println!();
    let m = &e.metrics;
    println!("  tokens per step          {}", num(e.step.tokens));
    println!("  time per step            {}", si(m.step_time, "s"));
    println!("  tokens per second        {}", num(m.tokens_per_s));
    println!("  time to first token      {}", si(m.ttft, "s"));
    print!("{}", warnings(&e));
    println!();
    print!("{}", wrap(MODEL_NOTE, 100, ""));
    Ok(())
}

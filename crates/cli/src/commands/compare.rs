//! `lightloop compare`.

use super::{Inputs, MODEL_NOTE, evaluate, header, print_json, warnings};
use crate::Target;
use crate::load::{CliResult, load_gpu, load_pair};
use crate::table::{Align, Table, num, si, wrap};
use lightloop_base::words::figure;
use lightloop_cost::Evaluation;
use lightloop_cost::verdict::{BreakEven, Compared, GpuRow, compare};
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    inputs: Inputs<'a>,
    /// The rig against the first GPU, in words.
    verdict: String,
    optical: &'a Evaluation,
    gpus: Vec<GpuRow>,
    /// What single change would bring the rig's energy per token level with the first GPU's.
    break_even: Vec<BreakEven>,
    /// How the GPU figures are made.
    gpu_model: &'static str,
}

/// What the GPU columns are.
pub const GPU_MODEL_NOTE: &str = "lightloop's serving model (prefill and decode on a per-operation roofline with fitted efficiencies, the KV cache bounding the batch, the fewest GPUs of a valid split, power from utilisation within the board limit, the host's power counted; held-out error against published measurements in `lightloop gpu validate`). Both sides count prefill and decode";

pub const DEFAULT_GPUS: [&str; 3] = ["h100-sxm", "h200-sxm", "b200"];

pub fn run(t: &Target, gpus: &[String]) -> CliResult<()> {
    let pair = load_pair(&t.rig, &t.workload, &t.sets)?;
    let e = evaluate(&pair)?;
    let names: Vec<String> = if gpus.is_empty() {
        DEFAULT_GPUS.iter().map(|s| s.to_string()).collect()
    } else {
        gpus.to_vec()
    };
    let gpus = names
        .iter()
        .map(|n| load_gpu(n).map(|g| g.value))
        .collect::<CliResult<Vec<_>>>()?;
    let Compared {
        verdict,
        gpus: rows,
        break_even: parity,
    } = compare(&pair.rig.value, &pair.workload.value, &e, &gpus)?;
    if t.json {
        return print_json(&Report {
            inputs: Inputs::of(&pair),
            verdict,
            optical: &e,
            gpus: rows,
            break_even: parity,
            gpu_model: GPU_MODEL_NOTE,
        });
    }
    print!(
        "{}",
        header("Optical rig against GPU baselines, same workload", &pair)
    );
    println!();
    print!("{}", wrap(&format!("Verdict: {verdict}"), 100, ""));
    println!();
    let mut head = vec!["".to_string(), pair.rig.value.rig.name.clone()];
    head.extend(rows.iter().map(|r| r.gpu.clone()));
    let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut align = vec![Align::Left];
    align.extend(std::iter::repeat_n(Align::Right, head.len() - 1));
    let mut tab = Table::new(&head_refs, &align);
    let m = &e.metrics;
    let mut line = |label: &str, opt: String, f: &dyn Fn(&GpuRow) -> String| {
        let mut cells = vec![label.to_string(), opt];
        cells.extend(rows.iter().map(f));
        tab.row(cells);
    };
    line("energy per token", si(m.j_per_token, "J"), &|r| {
        si(r.evaluation.j_per_token, "J")
    });
    line("tokens per second", num(m.tokens_per_s), &|r| {
        num(r.evaluation.tokens_per_s)
    });
    line("time per step", si(m.step_time, "s"), &|r| {
        si(r.evaluation.step_time, "s")
    });
    line("time to first token", si(m.ttft, "s"), &|r| {
        si(r.evaluation.ttft, "s")
    });
    line("energy per MAC", si(m.fj_per_mac * 1e-15, "J"), &|r| {
        si(r.evaluation.fj_per_mac * 1e-15, "J")
    });
    line("TOPS/W (delivered)", num(m.tops_per_w), &|r| {
        num(r.evaluation.tops_per_w)
    });
    line(
        "average power",
        si(m.j_per_token * m.tokens_per_s, "W"),
        &|r| si(r.evaluation.power_total(), "W"),
    );
    line("  of which GPUs", "–".into(), &|r| {
        si(r.evaluation.gpus as f64 * r.evaluation.gpu_power, "W")
    });
    line("devices", "1 rig".into(), &|r| {
        format!("{} GPU ({})", r.evaluation.gpus, r.evaluation.split)
    });
    line("bound by", "schedule".into(), &|r| {
        r.evaluation.bound.name().into()
    });
    line("", String::new(), &|_| String::new());
    line("energy per token, rig ÷ GPU", "–".into(), &|r| {
        format!("{}×", figure(r.comparison.energy_ratio))
    });
    line("time per token, rig ÷ GPU", "–".into(), &|r| {
        format!("{}×", figure(r.comparison.time_ratio))
    });
    println!("{}", tab.render());
    println!();
    println!(
        "  ratios > 1: the rig uses more energy per token, or takes longer per token, than the GPU."
    );
    if let Some(first) = rows.first() {
        println!(
            "\nTo use no more energy per token than {} ({}), any one of these changes would do:",
            first.gpu,
            si(first.evaluation.j_per_token, "J")
        );
        let mut t = Table::new(&["change", "how far"], &[Align::Left, Align::Left]);
        for b in &parity {
            t.row(vec![b.lever.name().to_string(), b.change.clone()]);
        }
        println!("{}", t.render());
    }
    print!("{}", warnings(&e));
    println!();
    print!(
        "{}",
        wrap(
            &format!("GPU model: {GPU_MODEL_NOTE}. {MODEL_NOTE}"),
            100,
            ""
        )
    );
    Ok(())
}

//! The rig against a GPU in one sentence, with one ratio convention everywhere, and what single
//! change would bring the rig level with the GPU.
//!
//! **Convention.** Every ratio is the rig's figure over the GPU's: `energy_ratio` = the rig's
//! energy per token ÷ the GPU's (> 1: the rig uses more), `time_ratio` = the rig's time per
//! token ÷ the GPU's (> 1: the rig is slower). Words follow the number: "uses 3.2 times the
//! energy per token of", "uses 4.1 times less energy per token than", "is 5.0 times slower",
//! "is 2.0 times faster".
//!
//! **Break-even.** For each lever (the DC loads, the host's power, channels, WDM lanes, the
//! symbol period, the conversion energies) the cost model is solved for the value at which the
//! rig's energy per token equals a target (the GPU's), the other levers held: by bisection for a
//! continuous lever (on the logarithm of a scale factor or of the period), by the first
//! admissible value (powers of two that the topology and the workload accept) for a count.

use crate::evaluate::{Evaluation, evaluate};
use crate::ledger::{Item, Ledger};
use lightloop_base::words::{count, figure, percent};
use lightloop_rig::units::{Energy, Power, Time};
use lightloop_rig::{Derive, Gpu, Rig, Workload};
use serde::Serialize;

/// The rig and a GPU on one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub rig: String,
    pub workload: String,
    pub gpu: String,
    pub rig_j_per_token: f64,
    pub gpu_j_per_token: f64,
    pub rig_tokens_per_s: f64,
    pub gpu_tokens_per_s: f64,
    /// The rig's energy per token ÷ the GPU's (> 1: the rig uses more).
    pub energy_ratio: f64,
    /// The rig's time per token ÷ the GPU's (> 1: the rig is slower).
    pub time_ratio: f64,
    /// The rig's largest ledger item and its share of the rig's energy.
    pub largest_item: &'static str,
    pub largest_share: f64,
    /// Share of the rig's energy that is static (DC loads × time).
    pub static_share: f64,
}

impl Comparison {
    /// The comparison of an evaluated rig with a GPU's energy per token and throughput.
    pub fn new(
        rig: &str,
        workload: &str,
        gpu: &str,
        e: &Evaluation,
        gpu_j_per_token: f64,
        gpu_tokens_per_s: f64,
    ) -> Self {
        let (item, share) = largest(&e.per_token);
        Self {
            rig: rig.to_string(),
            workload: workload.to_string(),
            gpu: gpu.to_string(),
            rig_j_per_token: e.metrics.j_per_token,
            gpu_j_per_token,
            rig_tokens_per_s: e.metrics.tokens_per_s,
            gpu_tokens_per_s,
            energy_ratio: e.metrics.j_per_token / gpu_j_per_token,
            time_ratio: gpu_tokens_per_s / e.metrics.tokens_per_s,
            largest_item: item.label(),
            largest_share: share,
            static_share: e.metrics.static_fraction,
        }
    }

    /// "seed-16ch uses 1.21 times the energy per token of H100 SXM and is 5.12 times slower on
    /// deep-loop-2048; its largest cost is the SOA drive (static), 41.2 % of its energy."
    pub fn sentence(&self) -> String {
        format!(
            "{} {} {} and is {} on {}; its largest cost is the {}, {} of its energy.",
            self.rig,
            energy_words(self.energy_ratio),
            self.gpu,
            time_words(self.time_ratio),
            self.workload,
            self.largest_item,
            percent(self.largest_share)
        )
    }
}

/// "uses 3.2 times the energy per token of" or "uses 4.1 times less energy per token than".
pub fn energy_words(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("uses {} times the energy per token of", figure(ratio))
    } else {
        format!(
            "uses {} times less energy per token than",
            figure(1.0 / ratio)
        )
    }
}

/// "5.0 times slower" or "2.0 times faster".
pub fn time_words(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("{} times slower", figure(ratio))
    } else {
        format!("{} times faster", figure(1.0 / ratio))
    }
}

fn largest(l: &Ledger) -> (Item, f64) {
    let total = l.total();
    l.entries()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, j)| (i, j / total))
        .unwrap_or((Item::HostStatic, 0.0))
}

/// A single change that moves the rig's energy per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lever {
    /// Every DC load scaled by one factor (bias, static converters and receivers, amplifiers'
    /// drive and coolers, weight hold, control, clock, calibration, the host's static share).
    DcLoads,
    /// The host's static share, energy per FLOP and memory energy per bit, scaled together.
    HostPower,
    /// Channels N (the fan-in of a symbol).
    Channels,
    /// WDM lanes.
    WdmLanes,
    /// The requested symbol period.
    SymbolPeriod,
    /// The DAC's and ADC's energy per conversion, scaled together.
    ConversionEnergy,
}

impl Lever {
    pub const ALL: [Lever; 6] = [
        Lever::DcLoads,
        Lever::HostPower,
        Lever::Channels,
        Lever::WdmLanes,
        Lever::SymbolPeriod,
        Lever::ConversionEnergy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lever::DcLoads => "DC loads",
            Lever::HostPower => "host power",
            Lever::Channels => "channels N",
            Lever::WdmLanes => "WDM lanes",
            Lever::SymbolPeriod => "symbol period",
            Lever::ConversionEnergy => "conversion energy",
        }
    }
}

/// How far one lever must go for parity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakEven {
    pub lever: Lever,
    /// The rig's value now and at parity (a factor for scaled levers: 1 now).
    pub now: f64,
    pub at_parity: Option<f64>,
    /// The rig's energy per token at that value, J.
    pub j_per_token: Option<f64>,
    /// In words: "× 0.12 (−88 %)", "16 → 512", or why parity is out of reach.
    pub change: String,
}

/// The rig with `lever` at `value` (a scale factor for DcLoads, HostPower, ConversionEnergy).
pub fn with_lever(rig: &Rig, lever: Lever, value: f64) -> Result<Rig, Vec<lightloop_rig::Problem>> {
    rig.modified(|r| match lever {
        Lever::DcLoads => {
            let p = |q: &mut Power| *q = Power::new(q.si() * value);
            p(&mut r.modulator.bias_power);
            p(&mut r.dac.static_power);
            p(&mut r.adc.static_power);
            p(&mut r.tia.power);
            if let Some(c) = r.comparator.as_mut() {
                p(&mut c.static_power);
            }
            if let Some(s) = r.soa.as_mut() {
                p(&mut s.electrical_power);
                p(&mut s.tec_power);
            }
            if let Some(e) = r.edfa.as_mut() {
                p(&mut e.electrical_power);
            }
            p(&mut r.weights.hold_power);
            p(&mut r.clock.power);
            p(&mut r.control.tec_power);
            p(&mut r.control.electronics_power);
            p(&mut r.control.per_channel_power);
            p(&mut r.calibration.power);
            p(&mut r.host.static_power);
            if let Some(m) = r.optical_memory.as_mut() {
                p(&mut m.static_power);
            }
        }
        Lever::HostPower => {
            r.host.static_power = Power::new(r.host.static_power.si() * value);
            r.host.energy_per_flop = Energy::new(r.host.energy_per_flop.si() * value);
            r.host.memory_energy_per_bit = Energy::new(r.host.memory_energy_per_bit.si() * value);
        }
        Lever::Channels => r.topology.channels = value as u32,
        Lever::WdmLanes => r.topology.wdm_lanes = value as u32,
        Lever::SymbolPeriod => r.topology.symbol_period = Time::new(value),
        Lever::ConversionEnergy => {
            r.dac.energy_per_conversion = Energy::new(r.dac.energy_per_conversion.si() * value);
            if let Some(e) = r.adc.energy_per_conversion.as_mut() {
                *e = Energy::new(e.si() * value);
            }
            if let Some(f) = r.adc.walden_fom.as_mut() {
                *f = Energy::new(f.si() * value);
            }
        }
    })
}

fn j_at(rig: &Rig, wl: &Workload, lever: Lever, value: f64) -> Option<f64> {
    let r = with_lever(rig, lever, value).ok()?;
    evaluate(&r, wl).ok().map(|e| e.metrics.j_per_token)
}

/// The rig's value of a lever (1 for the scaled ones).
fn now(rig: &Rig, lever: Lever) -> f64 {
    match lever {
        Lever::Channels => rig.topology.channels as f64,
        Lever::WdmLanes => rig.topology.wdm_lanes as f64,
        Lever::SymbolPeriod => rig.topology.symbol_period.si(),
        _ => 1.0,
    }
}

/// Every lever's value at which `rig` running `wl` uses `target` J per token.
pub fn break_even(rig: &Rig, wl: &Workload, target: f64) -> Vec<BreakEven> {
    Lever::ALL
        .iter()
        .map(|&lever| solve(rig, wl, target, lever))
        .collect()
}

fn solve(rig: &Rig, wl: &Workload, target: f64, lever: Lever) -> BreakEven {
    let n = now(rig, lever);
    let out = |at: Option<f64>, j: Option<f64>, change: String| BreakEven {
        lever,
        now: n,
        at_parity: at,
        j_per_token: j,
        change,
    };
    let Some(j_now) = j_at(rig, wl, lever, n) else {
        return out(None, None, "the rig does not run the workload".into());
    };
    if j_now <= target {
        return out(Some(n), Some(j_now), "already at or below parity".into());
    }
    match lever {
        Lever::Channels | Lever::WdmLanes => {
            let limit = if lever == Lever::Channels {
                65_536.0
            } else {
                1024.0
            };
            let mut v = n * 2.0;
            let mut best: Option<(f64, f64)> = None;
            while v <= limit {
                if let Some(j) = j_at(rig, wl, lever, v) {
                    if best.is_none_or(|b| j < b.1) {
                        best = Some((v, j));
                    }
                    if j <= target {
                        return out(
                            Some(v),
                            Some(j),
                            format!("{} → {}", count(n as u64), count(v as u64)),
                        );
                    }
                }
                v *= 2.0;
            }
            match best {
                Some((v, j)) => out(
                    None,
                    None,
                    format!(
                        "out of reach: the least the rig uses is {} times the target, at {} (powers of two up to {} tried)",
                        figure(j / target),
                        count(v as u64),
                        count(limit as u64),
                    ),
                ),
                None => out(None, None, "no admissible larger value".into()),
            }
        }
        _ => {
            // Continuous: the energy falls as the factor (or period) falls.
            let (lo_limit, hi) = match lever {
                Lever::SymbolPeriod => (1e-13, n),
                _ => (1e-9, 1.0),
            };
            let Some(j_lo) = j_at(rig, wl, lever, lo_limit) else {
                return out(
                    None,
                    None,
                    "out of reach: the rig refuses the extreme value".into(),
                );
            };
            if j_lo > target {
                return out(
                    None,
                    None,
                    format!(
                        "out of reach: even at {} the rig uses {} times the target",
                        extreme(lever, lo_limit),
                        figure(j_lo / target)
                    ),
                );
            }
            let (mut a, mut b) = (lo_limit.ln(), hi.ln());
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                match j_at(rig, wl, lever, m.exp()) {
                    Some(j) if j <= target => a = m,
                    _ => b = m,
                }
                if (b - a).abs() < 1e-9 {
                    break;
                }
            }
            let v = a.exp();
            let j = j_at(rig, wl, lever, v);
            let change = match lever {
                Lever::SymbolPeriod => format!(
                    "{} → {}",
                    lightloop_rig::units::format_si(n, "s", 3),
                    lightloop_rig::units::format_si(v, "s", 3)
                ),
                _ => format!("× {} ({} lower)", figure(v), percent(1.0 - v)),
            };
            out(Some(v), j, change)
        }
    }
}

fn extreme(lever: Lever, v: f64) -> String {
    match lever {
        Lever::SymbolPeriod => lightloop_rig::units::format_si(v, "s", 3),
        _ => format!("× {v:e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightloop_rig::{load_rig, load_workload};

    #[test]
    fn words_follow_the_ratio() {
        assert_eq!(energy_words(3.2), "uses 3.20 times the energy per token of");
        assert_eq!(
            energy_words(0.25),
            "uses 4.00 times less energy per token than"
        );
        assert_eq!(time_words(5.0), "5.00 times slower");
        assert_eq!(time_words(0.5), "2.00 times faster");
    }

    /// Setting each solved value reproduces parity within 1 % (the test).
    #[test]
    fn break_even_values_reproduce_parity() {
        let rig = load_rig("seed-16ch", &[]).unwrap().value;
        let wl = load_workload("deep-loop-2048", &[]).unwrap().value;
        let j = evaluate(&rig, &wl).unwrap().metrics.j_per_token;
        let target = j / 3.0;
        let solved = break_even(&rig, &wl, target);
        let mut reached = 0;
        for b in &solved {
            if let Some(v) = b.at_parity {
                let r = with_lever(&rig, b.lever, v).unwrap();
                let jj = evaluate(&r, &wl).unwrap().metrics.j_per_token;
                match b.lever {
                    Lever::Channels | Lever::WdmLanes => assert!(jj <= target, "{b:?}"),
                    _ => assert!((jj / target - 1.0).abs() < 0.01, "{b:?}: {jj} vs {target}"),
                }
                reached += 1;
            }
        }
        assert!(reached >= 2, "{solved:?}");
    }
}

/// One GPU beside the rig: its serving figures and the rig against it.
#[derive(Debug, Clone, Serialize)]
pub struct GpuRow {
    pub gpu: String,
    pub evaluation: lightloop_gpu::GpuEvaluation,
    /// The rig against this GPU: energy_ratio = the rig's J/token ÷ the GPU's (> 1: the rig
    /// uses more), time_ratio = the rig's time per token ÷ the GPU's (> 1: the rig is slower).
    pub comparison: Comparison,
}

/// The rig against GPU baselines on one workload: what `compare` says.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    /// The rig against the first GPU, in words.
    pub verdict: String,
    pub gpus: Vec<GpuRow>,
    /// What single change would bring the rig's energy per token level with the first GPU's.
    pub break_even: Vec<BreakEven>,
}

/// Compares the rig's evaluation `e` on `wl` with each GPU's serving model on the same
/// workload; the verdict and the break-even changes are against the first GPU.
pub fn compare(
    rig: &Rig,
    wl: &Workload,
    e: &Evaluation,
    gpus: &[Gpu],
) -> Result<Compared, crate::CostError> {
    let mut rows = Vec::with_capacity(gpus.len());
    for g in gpus {
        let ge = lightloop_gpu::evaluate_gpu(g, wl).map_err(|err| crate::CostError::Gpu {
            gpu: g.gpu.name.clone(),
            message: err.to_string(),
        })?;
        rows.push(GpuRow {
            gpu: g.gpu.name.clone(),
            comparison: Comparison::new(
                &rig.rig.name,
                &wl.workload.name,
                &g.gpu.name,
                e,
                ge.j_per_token,
                ge.tokens_per_s,
            ),
            evaluation: ge,
        });
    }
    let verdict = rows
        .first()
        .map(|r| r.comparison.sentence())
        .unwrap_or_default();
    let break_even = rows
        .first()
        .map(|r| break_even(rig, wl, r.evaluation.j_per_token))
        .unwrap_or_default();
    Ok(Compared {
        verdict,
        gpus: rows,
        break_even,
    })
}

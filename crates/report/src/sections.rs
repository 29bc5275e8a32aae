//! The sections of the report, each computed from the rig by the cost model or the physics engine.

use crate::chart::{self, Axes, Series};
use crate::rows::{BerRow, SnrRow};
use lightloop_cost::audit::{self, AuditRigs};
use lightloop_cost::{Category, Evaluation, evaluate, evaluate_gpu};
use lightloop_physics::instruments::plan::{self, PlanSettings};
use lightloop_rig::document::DescKind;
use lightloop_rig::gpu::Gpu;
use lightloop_rig::workload::Workload;
use lightloop_rig::{Rig, load_gpu, load_rig, load_workload, pair_problems, presets};
use serde::Serialize;

/// What to build the report from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Rig: a preset name or a TOML file.
    pub rig: String,
    pub rig_sets: Vec<String>,
    /// Workload of the headline figures: a preset name or a TOML file.
    pub workload: String,
    pub workload_sets: Vec<String>,
    /// GPU presets or files to compare against.
    pub gpus: Vec<String>,
    pub seed: u64,
    /// Fewer points and Monte-Carlo symbols.
    pub quick: bool,
}

/// A CSV file of the report: name and contents.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub name: String,
    pub text: String,
}

/// A plot with its caption and the CSV that holds its data.
#[derive(Debug, Clone)]
pub struct Figure {
    pub svg: String,
    pub caption: String,
    pub csv: String,
}

/// A table: header and rows of cells (text).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub csv: String,
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// Paragraphs of text (plain; escaped when written).
    pub text: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<Figure>,
    /// Points the section could not compute, with the reason.
    pub skipped: Vec<String>,
}

/// The computed report.
#[derive(Debug, Clone)]
pub struct Report {
    pub rig_name: String,
    pub rig_description: String,
    pub workload_name: String,
    pub seed: u64,
    pub quick: bool,
    pub sections: Vec<Section>,
    pub csvs: Vec<CsvFile>,
}

/// The steps of [`build`], for progress reporting.
pub const STEPS: [&str; 8] = [
    "headline and GPU comparison",
    "claims audit",
    "energy per MAC versus size, passes and lanes",
    "energy per token across workloads",
    "latency and throughput versus lanes and ADC rate",
    "energy ledger",
    "bench plan in simulation (BER, SNR versus passes)",
    "reservoir accuracy versus photons and ADC bits",
];

fn csv_text<T: Serialize>(rows: &[T]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| format!("CSV: {e}"))?;
    }
    String::from_utf8(w.into_inner().map_err(|e| format!("CSV: {e}"))?)
        .map_err(|e| format!("CSV: {e}"))
}

fn sci(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if (0.01..1e5).contains(&a) || v == 0.0 {
        format!("{}", audit::round_sig(v, 4))
    } else {
        format!("{v:.3e}")
    }
}

struct Ctx<'a> {
    s: &'a Settings,
    rig: Rig,
    wl: Workload,
    gpus: Vec<Gpu>,
    csvs: Vec<CsvFile>,
    /// One line naming rig, workload and seed, appended to every caption.
    basis: String,
}

impl Ctx<'_> {
    /// The rig with extra overrides after the user's.
    fn rig_with(&self, extra: &[String]) -> Result<Rig, String> {
        let mut sets = self.s.rig_sets.clone();
        sets.extend_from_slice(extra);
        load_rig(&self.s.rig, &sets)
            .map(|l| l.value)
            .map_err(|e| e.to_string().lines().next().unwrap_or("").to_string())
    }

    fn eval(&self, rig: &Rig, wl: &Workload) -> Result<Evaluation, String> {
        check_pair(rig, wl)?;
        evaluate(rig, wl).map_err(|e| e.to_string())
    }

    fn csv<T: Serialize>(&mut self, name: &str, rows: &[T]) -> Result<String, String> {
        self.csvs.push(CsvFile {
            name: name.to_string(),
            text: csv_text(rows)?,
        });
        Ok(name.to_string())
    }

    fn figure(&self, svg: String, caption: &str, csv: &str) -> Figure {
        Figure {
            svg,
            caption: format!("{caption} {}", self.basis),
            csv: csv.to_string(),
        }
    }
}

/// Whether `rig` can run `wl`: the first problem of the pair, as "key: message".
pub fn check_pair(rig: &Rig, wl: &Workload) -> Result<(), String> {
    let (errors, _) = pair_problems(rig, wl);
    match errors.first() {
        Some(p) => Err(format!("{}: {}", p.key, p.message)),
        None => Ok(()),
    }
}

/// Builds the report; `progress(step)` is called before each step of [`STEPS`].
pub fn build(s: &Settings, progress: &mut dyn FnMut(usize)) -> Result<Report, String> {
    let rig = load_rig(&s.rig, &s.rig_sets)
        .map_err(|e| e.to_string())?
        .value;
    let wl = load_workload(&s.workload, &s.workload_sets)
        .map_err(|e| e.to_string())?
        .value;
    let gpus = s
        .gpus
        .iter()
        .map(|g| load_gpu(g, &[]).map(|l| l.value).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let basis = format!(
        "Rig: {}; workload: {}; seed {}{}.",
        rig.rig.name,
        wl.workload.name,
        s.seed,
        if s.quick { "; quick mode" } else { "" }
    );
    let mut c = Ctx {
        s,
        rig,
        wl,
        gpus,
        csvs: Vec::new(),
        basis,
    };
    let mut sections = Vec::new();
    type Step = fn(&mut Ctx) -> Result<Section, String>;
    let steps: [Step; 8] = [
        headline,
        claims,
        energy_per_mac,
        workloads,
        timing,
        ledger,
        bench_plan,
        accuracy,
    ];
    for (i, step) in steps.iter().enumerate() {
        progress(i);
        sections.push(step(&mut c)?);
    }
    Ok(Report {
        rig_name: c.rig.rig.name.clone(),
        rig_description: c.rig.rig.description.clone(),
        workload_name: c.wl.workload.name.clone(),
        seed: s.seed,
        quick: s.quick,
        sections,
        csvs: c.csvs,
    })
}

#[derive(Serialize)]
struct HeadlineRow {
    system: String,
    j_per_token: f64,
    tokens_per_s: f64,
    ttft_s: f64,
    fj_per_mac: f64,
    energy_ratio_to_rig: f64,
}

fn headline(c: &mut Ctx) -> Result<Section, String> {
    let e = c.eval(&c.rig, &c.wl)?;
    let m = e.metrics;
    let mut rows = vec![HeadlineRow {
        system: c.rig.rig.name.clone(),
        j_per_token: m.j_per_token,
        tokens_per_s: m.tokens_per_s,
        ttft_s: m.ttft,
        fj_per_mac: m.fj_per_mac,
        energy_ratio_to_rig: 1.0,
    }];
    for g in &c.gpus {
        let ge = evaluate_gpu(g, &c.wl);
        let macs = m.optical_macs_per_token + m.host_macs_per_token;
        rows.push(HeadlineRow {
            system: g.gpu.name.clone(),
            j_per_token: ge.j_per_token,
            tokens_per_s: ge.tokens_per_s,
            ttft_s: ge.ttft,
            fj_per_mac: ge.j_per_token / macs * 1e15,
            energy_ratio_to_rig: ge.j_per_token / m.j_per_token,
        });
    }
    let csv = c.csv("headline.csv", &rows)?;
    let table = Table {
        head: [
            "system",
            "J/token",
            "tokens/s",
            "time to first token (s)",
            "fJ/MAC (all energy)",
            "J/token ÷ rig's",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.system.clone(),
                    sci(r.j_per_token),
                    sci(r.tokens_per_s),
                    sci(r.ttft_s),
                    sci(r.fj_per_mac),
                    sci(r.energy_ratio_to_rig),
                ]
            })
            .collect(),
        csv,
    };
    let mut text = vec![
        format!(
            "{} running {}: {} J per token, {} fJ per multiply-accumulate with every DC load counted \
             ({:.0} % of the energy is static), {} tokens/s, {:.1} TOPS/W. The optical core does {:.1} % \
             of the token's multiply-accumulates; the rest run on the host.",
            c.rig.rig.name,
            c.wl.workload.name,
            sci(m.j_per_token),
            sci(m.fj_per_mac),
            100.0 * m.static_fraction,
            sci(m.tokens_per_s),
            m.tops_per_w,
            100.0 * m.optical_fraction
        ),
        format!(
            "Readout noise: SNR {:.1} dB ({:.1} effective bits, dominated by {}); throughput limited by {}.",
            e.noise.snr_db, e.noise.enob, e.noise.dominant, e.rates.limited_by
        ),
        "GPU figures come from a roofline model calibrated to published inference measurements \
         (see `lightloop compare`); the rig's from the analytic cost model of this rig."
            .to_string(),
    ];
    text.extend(
        e.check_messages()
            .into_iter()
            .map(|m| format!("Warning: {m}")),
    );
    Ok(Section {
        id: "headline",
        title: "Headline: the rig against GPUs on the same workload",
        text,
        tables: vec![table],
        ..Default::default()
    })
}

#[derive(Serialize)]
struct ClaimRow {
    id: &'static str,
    claim: &'static str,
    source: &'static str,
    figure: String,
    quoted: String,
    reproduced: f64,
    unit: String,
    holds: bool,
    status: String,
    consistent_value: Option<f64>,
    consistent_unit: String,
    claim_advantage: Option<f64>,
}

fn claims(c: &mut Ctx) -> Result<Section, String> {
    let a = audit::audit(&AuditRigs::with_seed(c.rig.rig.name.clone(), c.rig.clone()));
    let mut rows = Vec::new();
    for cl in &a {
        for f in &cl.figures {
            rows.push(ClaimRow {
                id: cl.id,
                claim: cl.claim,
                source: cl.source,
                figure: f.label.clone(),
                quoted: f.quoted.text(),
                reproduced: f.reproduced,
                unit: if f.unit.is_empty() {
                    cl.unit.to_string()
                } else {
                    f.unit.clone()
                },
                holds: f.holds,
                status: format!("{:?}", cl.status),
                consistent_value: cl.counterpart.as_ref().map(|p| p.value),
                consistent_unit: cl
                    .counterpart
                    .as_ref()
                    .map(|p| p.unit.clone())
                    .unwrap_or_default(),
                claim_advantage: cl.counterpart.as_ref().map(|p| p.claim_advantage),
            });
        }
    }
    let csv = c.csv("claims_audit.csv", &rows)?;
    let table = Table {
        head: [
            "claim",
            "figure",
            "quoted",
            "reproduced",
            "holds",
            "consistent figure",
            "claim ÷ consistent",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.claim.to_string(),
                    r.figure.clone(),
                    r.quoted.clone(),
                    format!("{} {}", sci(r.reproduced), r.unit),
                    if r.holds { "yes" } else { "no" }.into(),
                    r.consistent_value
                        .map(|v| format!("{} {}", sci(v), r.consistent_unit))
                        .unwrap_or_default(),
                    r.claim_advantage.map(sci).unwrap_or_default(),
                ]
            })
            .collect(),
        csv,
    };
    let mut text = vec![
        "Each published claim is recomputed under its own stated assumptions (\"reproduced\"), then \
         beside the physically consistent figure of a complete rig (\"consistent figure\"); the last \
         column says how many times more favourable the claim is."
            .to_string(),
    ];
    text.extend(
        a.iter()
            .map(|cl| format!("{}: {}", cl.claim, cl.explanation)),
    );
    Ok(Section {
        id: "audit",
        title: "Claims audit",
        text,
        tables: vec![table],
        ..Default::default()
    })
}

#[derive(Serialize)]
struct MacRow {
    sweep: &'static str,
    x: f64,
    conversion_floor: String,
    fj_per_mac: f64,
    core_fj_per_optical_mac: f64,
    j_per_token: f64,
}

fn energy_per_mac(c: &mut Ctx) -> Result<Section, String> {
    let quick = c.s.quick;
    let sizes: Vec<u32> = if quick {
        vec![4, 16, 64, 256, 1024]
    } else {
        vec![4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    };
    let passes: Vec<u32> = if quick {
        vec![1, 4, 16, 64]
    } else {
        vec![1, 2, 4, 8, 12, 16, 32, 64, 128]
    };
    let lanes: Vec<u32> = vec![1, 2, 4, 8, 16, 32];
    let floors: [(&str, Option<&str>); 4] = [
        ("rig's converters", None),
        ("1 pJ per conversion", Some("1 pJ")),
        ("100 fJ per conversion", Some("100 fJ")),
        ("10 fJ per conversion", Some("10 fJ")),
    ];
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut figures = Vec::new();
    let sweeps: [(&'static str, &str, Vec<u32>, &str); 3] = [
        (
            "size",
            "channels N = readout width M",
            sizes,
            "energy per MAC versus the product size N × M",
        ),
        (
            "passes",
            "loop passes between readouts",
            passes,
            "energy per MAC versus loop passes between readouts",
        ),
        (
            "lanes",
            "WDM lanes",
            lanes,
            "energy per MAC versus WDM lanes",
        ),
    ];
    for (key, x_label, xs, title) in sweeps {
        let mut series = Vec::new();
        for (name, floor) in floors {
            let mut pts = Vec::new();
            for &x in &xs {
                let mut sets: Vec<String> = match key {
                    "size" => vec![
                        format!("topology.channels={x}"),
                        format!("topology.readout_width={x}"),
                    ],
                    "passes" => vec![format!("topology.loop_passes={x}")],
                    _ => vec![format!("topology.wdm_lanes={x}")],
                };
                if let Some(f) = floor {
                    sets.push(format!("dac.energy_per_conversion=\"{f}\""));
                    sets.push(format!("adc.energy_per_conversion=\"{f}\""));
                }
                match c.rig_with(&sets).and_then(|r| c.eval(&r, &c.wl)) {
                    Ok(e) => {
                        pts.push((x as f64, e.metrics.fj_per_mac));
                        rows.push(MacRow {
                            sweep: key,
                            x: x as f64,
                            conversion_floor: name.to_string(),
                            fj_per_mac: e.metrics.fj_per_mac,
                            core_fj_per_optical_mac: e.metrics.core_fj_per_optical_mac,
                            j_per_token: e.metrics.j_per_token,
                        });
                    }
                    Err(err) => {
                        if floor.is_none() {
                            skipped.push(format!("{x_label} = {x}: {err}"));
                        }
                    }
                }
            }
            series.push(Series {
                name: name.to_string(),
                points: pts,
                ..Default::default()
            });
        }
        if series.iter().all(|s| s.points.is_empty()) {
            continue;
        }
        let svg = chart::line_chart(
            &Axes {
                title: title.to_string(),
                x_label: x_label.to_string(),
                y_label: "fJ per MAC (all energy, per token)".into(),
                log_x: true,
                log_y: true,
            },
            &series,
        )?;
        figures.push((svg, title, x_label));
    }
    let csv = c.csv("energy_per_mac.csv", &rows)?;
    let e = c.eval(&c.rig, &c.wl)?;
    let conv =
        e.per_token.category(Category::EoConversion) + e.per_token.category(Category::OeConversion);
    let share = conv / e.per_token.total();
    let figures = figures
        .into_iter()
        .map(|(svg, title, x)| {
            c.figure(
                svg,
                &format!(
                    "{}: everything else as in the rig; the conversion floors set both the DAC's and the \
                     ADC's energy per conversion. {x} changed through the rig's own keys, so the \
                     schedule, loop noise and static loads follow.",
                    capitalise(title)
                ),
                &csv,
            )
        })
        .collect();
    Ok(Section {
        id: "energy-per-mac",
        title: "Energy per multiply-accumulate",
        text: vec![
            "fJ/MAC counts all the energy of a token (conversions, lasers, amplifiers, coolers, \
             control, host digital work, memory traffic) over all its multiply-accumulates, optical \
             and digital. Lowering the conversion energy helps only until static loads and the host \
             dominate."
                .into(),
            format!(
                "On {} with {}, E/O and O/E conversions are {:.2} % of the energy per token, so the \
                 conversion floors {} the total.",
                c.rig.rig.name,
                c.wl.workload.name,
                100.0 * share,
                if share < 0.01 { "barely move (their curves overlap)" } else { "visibly change" }
            ),
        ],
        figures,
        skipped,
        ..Default::default()
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct WorkloadRow {
    workload: String,
    system: String,
    j_per_token: f64,
    tokens_per_s: f64,
}

fn workloads(c: &mut Ctx) -> Result<Section, String> {
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut cats = Vec::new();
    let mut systems: Vec<(String, Vec<f64>)> = vec![(c.rig.rig.name.clone(), Vec::new())];
    systems.extend(c.gpus.iter().map(|g| (g.gpu.name.clone(), Vec::new())));
    for name in presets::names(DescKind::Workload) {
        let wl = load_workload(name, &[]).map_err(|e| e.to_string())?.value;
        let e = match c.eval(&c.rig, &wl) {
            Ok(e) => e,
            Err(err) => {
                skipped.push(format!("{name}: {err}"));
                continue;
            }
        };
        cats.push(name.to_string());
        systems[0].1.push(e.metrics.j_per_token);
        rows.push(WorkloadRow {
            workload: name.into(),
            system: c.rig.rig.name.clone(),
            j_per_token: e.metrics.j_per_token,
            tokens_per_s: e.metrics.tokens_per_s,
        });
        for (i, g) in c.gpus.iter().enumerate() {
            let ge = evaluate_gpu(g, &wl);
            systems[i + 1].1.push(ge.j_per_token);
            rows.push(WorkloadRow {
                workload: name.into(),
                system: g.gpu.name.clone(),
                j_per_token: ge.j_per_token,
                tokens_per_s: ge.tokens_per_s,
            });
        }
    }
    let csv = c.csv("j_per_token.csv", &rows)?;
    let svg = chart::bar_chart(
        &Axes {
            title: "Energy per token, preset workloads".into(),
            x_label: "workload".into(),
            y_label: "J per token".into(),
            log_x: false,
            log_y: true,
        },
        &cats,
        &systems,
        false,
    )?;
    let fig = c.figure(
        svg,
        "Energy per token of each preset workload on the rig and on each GPU (batch and sequence \
         lengths as in the workload). Logarithmic scale.",
        &csv,
    );
    Ok(Section {
        id: "workloads",
        title: "Energy per token across workloads, against H100, H200 and B200",
        figures: vec![fig],
        skipped,
        ..Default::default()
    })
}

#[derive(Serialize)]
struct TimingRow {
    sweep: &'static str,
    x: f64,
    ttft_s: f64,
    tokens_per_s: f64,
    limited_by: &'static str,
}

fn timing(c: &mut Ctx) -> Result<Section, String> {
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut figures = Vec::new();
    let lanes = [1u32, 2, 4, 8, 16, 32];
    let adc_rates = [0.5, 1.0, 2.7, 5.0, 10.0, 20.0, 40.0];
    for (key, label, xs) in [
        ("lanes", "WDM lanes", lanes.map(f64::from).to_vec()),
        ("adc_rate", "ADC rate (GS/s)", adc_rates.to_vec()),
    ] {
        let (mut ttft, mut tps) = (Vec::new(), Vec::new());
        for &x in &xs {
            let set = if key == "lanes" {
                format!("topology.wdm_lanes={x}")
            } else {
                format!("adc.rate=\"{x} GS/s\"")
            };
            match c.rig_with(&[set]).and_then(|r| c.eval(&r, &c.wl)) {
                Ok(e) => {
                    ttft.push((x, e.metrics.ttft * 1e6));
                    tps.push((x, e.metrics.tokens_per_s));
                    rows.push(TimingRow {
                        sweep: key,
                        x,
                        ttft_s: e.metrics.ttft,
                        tokens_per_s: e.metrics.tokens_per_s,
                        limited_by: e.rates.limited_by,
                    });
                }
                Err(err) => skipped.push(format!("{label} = {x}: {err}")),
            }
        }
        if ttft.is_empty() {
            continue;
        }
        for (title, y, pts) in [
            ("Time to first token", "µs", ttft),
            ("Tokens per second", "tokens/s", tps),
        ] {
            let svg = chart::line_chart(
                &Axes {
                    title: format!("{title} versus {label}"),
                    x_label: label.into(),
                    y_label: y.into(),
                    log_x: true,
                    log_y: true,
                },
                &[Series {
                    name: c.rig.rig.name.clone(),
                    points: pts,
                    ..Default::default()
                }],
            )?;
            figures.push((svg, format!("{title} versus {label}")));
        }
    }
    let csv = c.csv("timing.csv", &rows)?;
    let figures = figures
        .into_iter()
        .map(|(svg, t)| {
            c.figure(
                svg,
                &format!(
                    "{t}, from the schedule the architecture allows (the slowest part sets the \
                     symbol period; the CSV names it)."
                ),
                &csv,
            )
        })
        .collect();
    Ok(Section {
        id: "timing",
        title: "Latency and throughput",
        figures,
        skipped,
        ..Default::default()
    })
}

#[derive(Serialize)]
struct LedgerRow {
    workload: String,
    category: &'static str,
    j_per_token: f64,
    share: f64,
}

fn ledger(c: &mut Ctx) -> Result<Section, String> {
    let mut rows = Vec::new();
    let mut cats = Vec::new();
    let mut series: Vec<(String, Vec<f64>)> = Category::ALL
        .iter()
        .map(|k| (k.label().to_string(), Vec::new()))
        .collect();
    let mut names = vec![c.s.workload.clone()];
    names.extend(
        presets::names(DescKind::Workload)
            .into_iter()
            .map(String::from)
            .filter(|n| *n != c.s.workload),
    );
    for (i, name) in names.iter().enumerate() {
        let wl = if i == 0 {
            c.wl.clone()
        } else {
            load_workload(name, &[]).map_err(|e| e.to_string())?.value
        };
        let Ok(e) = c.eval(&c.rig, &wl) else { continue };
        let total = e.per_token.total();
        cats.push(wl.workload.name.clone());
        for (k, cat) in Category::ALL.iter().enumerate() {
            let j = e.per_token.category(*cat);
            series[k].1.push(j / total);
            rows.push(LedgerRow {
                workload: wl.workload.name.clone(),
                category: cat.label(),
                j_per_token: j,
                share: j / total,
            });
        }
    }
    let csv = c.csv("ledger.csv", &rows)?;
    let svg = chart::bar_chart(
        &Axes {
            title: "Where a token's energy goes".into(),
            x_label: "workload".into(),
            y_label: "share of energy per token".into(),
            log_x: false,
            log_y: false,
        },
        &cats,
        &series,
        true,
    )?;
    let fig = c.figure(
        svg,
        "Energy ledger per token by category, as shares (the CSV has joules). Static loads (coolers, \
         bias, control, host idle) are charged for the whole step time.",
        &csv,
    );
    Ok(Section {
        id: "ledger",
        title: "Energy ledger",
        figures: vec![fig],
        ..Default::default()
    })
}

fn bench_plan(c: &mut Ctx) -> Result<Section, String> {
    let settings = if c.s.quick {
        PlanSettings::quick(c.s.seed)
    } else {
        PlanSettings::full(c.s.seed)
    };
    let p = plan::run(&c.rig, &settings, &mut |_| {});
    let ber: Vec<BerRow> = p.ber_vs_power.iter().map(BerRow::from).collect();
    let csv = c.csv("ber_vs_power.csv", &ber)?;
    // Predictions below 10⁻¹² are left off the plot (the CSV has them).
    let floor = |v: f64| if v >= 1e-12 { v } else { f64::NAN };
    // Zero-error points are drawn at their upper bound, with the interval down to a decade below.
    let measured = Series {
        name: "counted SER (Wilson 95 %)".into(),
        points: ber
            .iter()
            .map(|b| {
                (
                    b.received_power_dbm,
                    if b.ser_upper_bound_only {
                        b.ser_high95
                    } else {
                        b.ser
                    },
                )
            })
            .collect(),
        intervals: Some(
            ber.iter()
                .map(|b| (b.ser_low95.max(b.ser_high95 / 10.0), b.ser_high95))
                .collect(),
        ),
        dashed: false,
    };
    let predicted = Series {
        name: "predicted from the eye".into(),
        points: ber
            .iter()
            .map(|b| (b.received_power_dbm, floor(b.ser_gaussian_from_eye)))
            .collect(),
        dashed: true,
        ..Default::default()
    };
    let budget = Series {
        name: "analytic noise budget".into(),
        points: ber
            .iter()
            .map(|b| (b.received_power_dbm, floor(b.ser_noise_budget)))
            .collect(),
        dashed: true,
        ..Default::default()
    };
    let svg = chart::line_chart(
        &Axes {
            title: "Ternary symbol error rate versus received power".into(),
            x_label: "received power per channel (dBm)".into(),
            y_label: "symbol error rate".into(),
            log_x: false,
            log_y: true,
        },
        &[measured, predicted, budget],
    )?;
    let mut figures = vec![c.figure(
        svg,
        &format!(
            "Symbol error rate of one channel's time-domain chain (laser → modulator → SOA → absorber → \
             photodiode/TIA → comparator, all noise on), counted over up to {} symbols per point with \
             Wilson 95 % intervals; a point with no errors is drawn at its upper bound. Dashed: the \
             prediction from the measured eye with the comparator's noise and hysteresis, and the cost \
             model's analytic budget (which leaves out hysteresis and unequal level spacing); predictions \
             below 10⁻¹² are in the CSV only.",
            settings.count.symbols
        ),
        &csv,
    )];
    let mut text = Vec::new();
    if let Some(d) = &p.depth {
        let snr: Vec<SnrRow> = d.points.iter().map(SnrRow::from).collect();
        let csv = c.csv("snr_vs_passes.csv", &snr)?;
        let svg = chart::line_chart(
            &Axes {
                title: "SNR of the loop state versus passes".into(),
                x_label: "passes around the loop".into(),
                y_label: "SNR (dB)".into(),
                log_x: true,
                log_y: false,
            },
            &[Series {
                name: "SNR with 95 % interval".into(),
                points: snr.iter().map(|r| (r.pass as f64, r.snr_db)).collect(),
                intervals: Some(snr.iter().map(|r| (r.snr_db_low, r.snr_db_high)).collect()),
                dashed: false,
            }],
        )?;
        figures.push(c.figure(
            svg,
            &format!(
                "SNR of the optical state after each pass of the closed loop (SOA, absorber, per-pass \
                 gain trim), over {} trials; target {:.1} dB{}.",
                d.settings.trials,
                d.target_snr_db,
                match d.passes_to_target {
                    Some(n) => format!(", reached below target after {n} passes"),
                    None => ", not crossed within the simulated passes".into(),
                }
            ),
            &csv,
        ));
        if let Some(i) = &d.instability {
            text.push(format!("Loop instability detected: {i:?}"));
        }
    } else {
        text.push("The rig has no loop amplifier: no loop-depth experiment.".into());
    }
    if let Some(r) = &p.return_map {
        text.push(format!(
            "Return map of the loop: small-signal slope {}; P(slope > 1) over the states noisy runs \
             visit = {} (95 % interval {}–{}, {} states); {} fixed point(s).",
            sci(r.small_signal_slope),
            sci(r.slope_above_one.rate),
            sci(r.slope_above_one.low),
            sci(r.slope_above_one.high),
            r.slope_above_one.trials,
            r.fixed_points.len()
        ));
    }
    text.extend(p.notes.iter().map(|n| format!("Simplification: {n}")));
    Ok(Section {
        id: "physics",
        title: "Error rates and loop depth in simulation",
        text,
        figures,
        ..Default::default()
    })
}

#[derive(Serialize)]
struct AccuracyRow {
    model: String,
    task: &'static str,
    sweep: &'static str,
    photons_per_sample: Option<f64>,
    adc_bits: Option<u32>,
    nmse: f64,
    nrmse: f64,
}

/// Reservoirs read out through the rig's receiver: NARMA10 error versus photons per sample and
/// ADC bits. The trained loop networks (and with them the energy–accuracy Pareto front) are not
/// built yet.
fn accuracy(c: &mut Ctx) -> Result<Section, String> {
    use lightloop_nn::reservoir::{Model, Spec, build};
    use lightloop_nn::sensing::Sensing;
    use lightloop_nn::suite::{Task, collect, evaluate};
    use rayon::prelude::*;
    let models = [Model::Esn, Model::DelayMg, Model::SoaTwin, Model::Ternary];
    let (nodes, photons, bits): (usize, Vec<f64>, Vec<u32>) = if c.s.quick {
        (100, vec![1e4, 1e6, 1e8], vec![3, 6, 10])
    } else {
        (
            400,
            (3..=9).map(|e| 10f64.powi(e)).collect(),
            vec![2, 3, 4, 5, 6, 8, 10, 12],
        )
    };
    let rig = &c.rig.clone();
    let seed = c.s.seed;
    let runs: Vec<Result<Vec<AccuracyRow>, String>> = models
        .par_iter()
        .map(|m| {
            let mut spec = Spec::new(*m, seed);
            spec.nodes = if *m == Model::SoaEngine { 100 } else { nodes };
            let mut r = build(&spec, rig, 1)?;
            let data = collect(Task::Narma10, r.as_mut(), seed)?;
            let mut rows = Vec::new();
            let at = |sweep: &'static str, p: Option<f64>, b: Option<u32>, k: u64| {
                let sensing = Sensing::from_rig(rig, p, b);
                let mut rng = lightloop_cost::rng::stream(seed, "report.accuracy", k, 0);
                evaluate(&data, &sensing, &mut rng).map(|sc| AccuracyRow {
                    model: m.to_string(),
                    task: "narma10",
                    sweep,
                    photons_per_sample: sensing.photons_per_sample,
                    adc_bits: sensing.adc_bits,
                    nmse: sc.nmse.unwrap_or(f64::NAN),
                    nrmse: sc.nrmse.unwrap_or(f64::NAN),
                })
            };
            for (k, p) in photons.iter().enumerate() {
                rows.push(at("photons", Some(*p), None, k as u64)?);
            }
            for (k, b) in bits.iter().enumerate() {
                rows.push(at("adc bits", None, Some(*b), 100 + k as u64)?);
            }
            Ok(rows)
        })
        .collect();
    let rows: Vec<AccuracyRow> = runs
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let csv = c.csv("accuracy_vs_readout.csv", &rows)?;
    let series = |sweep: &str, x: &dyn Fn(&AccuracyRow) -> f64| -> Vec<Series> {
        models
            .iter()
            .map(|m| Series {
                name: m.to_string(),
                points: rows
                    .iter()
                    .filter(|r| r.model == m.name() && r.sweep == sweep)
                    .map(|r| (x(r), r.nrmse))
                    .collect(),
                ..Default::default()
            })
            .collect()
    };
    let by_photons = chart::line_chart(
        &Axes {
            title: "Reservoir NARMA10 error versus photons per sample at the readout".into(),
            x_label: "photons per sample at full scale".into(),
            y_label: "NRMSE (held-out)".into(),
            log_x: true,
            log_y: false,
        },
        &series("photons", &|r| r.photons_per_sample.unwrap_or(f64::NAN)),
    )?;
    let by_bits = chart::line_chart(
        &Axes {
            title: "Reservoir NARMA10 error versus ADC bits at the readout".into(),
            x_label: "ADC bits (ENOB = bits − the rig's shortfall)".into(),
            y_label: "NRMSE (held-out)".into(),
            log_x: false,
            log_y: false,
        },
        &series("adc bits", &|r| r.adc_bits.map_or(f64::NAN, f64::from)),
    )?;
    let rig_photons = Sensing::from_rig(rig, None, None)
        .photons_per_sample
        .unwrap_or(f64::NAN);
    let common = format!(
        "{nodes}-node reservoirs (esn: software echo-state network, the digital reference; delay-mg: one Mackey–Glass node with a delay loop; soa-twin: the rig's fibre loop with its absorber and SOA as the node, on the twin; ternary: the multi-channel ternary loop on the twin), NARMA10 with 6 000 training and 2 000 held-out steps, ridge readout with λ chosen on a validation split. The readout reads every node through the rig's photodiode, TIA and ADC with the noise budget's shot, dark, receiver and RIN terms at full scale (the rig delivers {} photons per sample); each node's range is calibrated onto the receiver's swing.",
        sci(rig_photons)
    );
    let figures = vec![
        c.figure(
            by_photons,
            &format!("{common} Here the photons per sample vary at the rig's ADC."),
            &csv,
        ),
        c.figure(
            by_bits,
            &format!("{common} Here the ADC's bits vary at the rig's photon count."),
            &csv,
        ),
    ];
    Ok(Section {
        id: "accuracy",
        title: "Accuracy versus photons per sample and ADC bits",
        text: vec![
            "The reservoirs of `lightloop reservoir` (fixed dynamics, trained linear readout) show how              much readout noise and resolution a task tolerates; `lightloop reservoir suite` has every              task and model with spreads over seeds."
                .into(),
            "Not in this version of the report: trained deep-loop networks and the energy–accuracy              Pareto front, which need the network experiments that are not built yet."
                .into(),
        ],
        figures,
        ..Default::default()
    })
}

//! The sections of the report, each computed from the rig by the cost model or the physics engine.

use crate::rows::{BerRow, SnrRow};
use lightloop_cost::audit::{self, AuditRigs, Status};
use lightloop_cost::{Category, Evaluation, Item, evaluate, evaluate_gpu};
use lightloop_nn::reservoir::Kind;
use lightloop_nn::sensing::Sensing;
use lightloop_nn::suite::{Collected, Task};
use lightloop_physics::instruments::plan::{self, PlanSettings};
use lightloop_plot::{self as chart, Axes, Chart, Series};
use lightloop_rig::document::DescKind;
use lightloop_rig::gpu::Gpu;
use lightloop_rig::units::{Energy, SampleRate};
use lightloop_rig::workload::Workload;
use lightloop_rig::{Derive, Problem, Provenance, Rig, load_workload, pair_problems, presets};
use serde::Serialize;
use std::sync::Arc;

/// What to build the report from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The rig reported on.
    pub rig: Rig,
    /// Workload of the headline figures.
    pub workload: Workload,
    /// GPUs to compare against.
    pub gpus: Vec<Gpu>,
    pub seed: u64,
    /// Fewer points and Monte-Carlo symbols.
    pub quick: bool,
    /// Where the rig's and the workload's values came from (empty for descriptions made in
    /// memory: the description section then lists the values without their sources).
    pub provenance: Vec<Provenance>,
}

/// A CSV file of the report: name and contents.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub name: String,
    pub text: String,
}

/// A plot with its caption and the CSV that holds its data; written as `figures/NAME.svg` and
/// `figures/NAME.pdf` beside the page as well as inline.
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub svg: String,
    pub pdf: Vec<u8>,
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
    /// The rig against the first GPU in one sentence (see [`lightloop_cost::verdict`]).
    pub verdict: Option<String>,
    /// The resolved descriptions the report was computed from, as TOML files (`rig.toml`,
    /// `workload.toml`, `gpu-1.toml`, …), and the command that regenerates the report from its
    /// own folder.
    pub descriptions: Vec<CsvFile>,
    pub regenerate: String,
    pub rig_name: String,
    pub rig_description: String,
    pub workload_name: String,
    pub seed: u64,
    pub quick: bool,
    pub sections: Vec<Section>,
    pub csvs: Vec<CsvFile>,
    /// The sections the rig could not have, with the reason (shown on the page in their place).
    pub not_computed: Vec<String>,
}

/// The steps of [`build`], for progress reporting.
pub const STEPS: [&str; 11] = [
    "the rig and workload as described",
    "headline and GPU comparison",
    "claims audit",
    "energy per MAC versus size, passes and lanes",
    "energy per token across workloads",
    "fleets: a deployment sized on GPUs and rigs, the roofline, cost of ownership",
    "latency and throughput versus lanes and ADC rate",
    "energy ledger",
    "test plan in simulation (BER, SNR versus passes)",
    "reservoir accuracy versus photons and ADC bits",
    "energy–accuracy Pareto front over laser power and ADC bits",
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
        // Formatted to its digits, so a rounded value prints without binary residue.
        lightloop_rig::units::trim_float(audit::round_sig(v, 4), 4)
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
    /// The headline's verdict sentence.
    verdict: Option<String>,
    /// The names of the figures made so far (for unique file names).
    figure_names: Vec<String>,
    /// NARMA10 states of the report's reservoirs on the rig, collected on first use and shared
    /// by the accuracy and Pareto sections.
    narma: Option<Arc<Vec<Narma>>>,
}

impl Ctx<'_> {
    /// The report's rig with `change` applied, if the result is a valid rig.
    fn rig_with(&self, change: impl FnOnce(&mut Rig)) -> Result<Rig, String> {
        self.rig
            .modified(change)
            .map_err(|p| lightloop_rig::validate::describe(&p))
    }

    /// A point of the energy–accuracy grid (see [`lightloop_lab::pareto::grid_rig`]).
    fn rig_with_grid(&self, offset_db: f64, bits: u32) -> Result<Rig, String> {
        lightloop_lab::pareto::grid_rig(&self.rig, offset_db, bits)
            .map_err(|p| lightloop_rig::validate::describe(&p))
    }

    fn eval(&self, rig: &Rig, wl: &Workload) -> Result<Evaluation, String> {
        check_pair(rig, wl).map_err(|p| format!("{}: {}", p.key, p.message))?;
        evaluate(rig, wl).map_err(|e| e.to_string())
    }

    fn csv<T: Serialize>(&mut self, name: &str, rows: &[T]) -> Result<String, String> {
        self.csvs.push(CsvFile {
            name: name.to_string(),
            text: csv_text(rows)?,
        });
        Ok(name.to_string())
    }

    /// The NARMA10 states of [`RESERVOIRS`] on the rig, collected once (in parallel, one
    /// reservoir per model) and shared by the sections that read them out.
    fn narma(&mut self) -> Result<Arc<Vec<Narma>>, String> {
        use rayon::prelude::*;
        if let Some(n) = &self.narma {
            return Ok(n.clone());
        }
        let nodes = if self.s.quick { 100 } else { 400 };
        let (rig, seed) = (&self.rig, self.s.seed);
        let n: Vec<Narma> = RESERVOIRS
            .par_iter()
            .map(|m| {
                Ok(Narma {
                    model: *m,
                    nodes,
                    data: collect_narma(rig, *m, nodes, seed)?,
                })
            })
            .collect::<Result<_, String>>()?;
        let n = Arc::new(n);
        self.narma = Some(n.clone());
        Ok(n)
    }

    /// A figure of `chart`, named after its CSV (`energy_per_mac`, then `energy_per_mac-2` for
    /// a second figure of the same data).
    fn figure(&mut self, chart: Chart, caption: &str, csv: &str) -> Figure {
        let stem = csv.trim_end_matches(".csv").to_string();
        let same = self.figure_names.iter().filter(|n| **n == stem).count();
        self.figure_names.push(stem.clone());
        Figure {
            name: if same == 0 {
                stem
            } else {
                format!("{stem}-{}", same + 1)
            },
            svg: chart.svg(),
            pdf: chart.pdf(),
            caption: format!("{caption} {}", self.basis),
            csv: csv.to_string(),
        }
    }
}

/// Why a report could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReportError {
    /// The rig cannot run the headline workload: the first problem of the pair.
    #[error("{}: {}", .0.key, .0.message)]
    Incompatible(Problem),
    /// A section failed to compute.
    #[error("{section}: {message}")]
    Section {
        section: &'static str,
        message: String,
    },
}

/// Whether `rig` can run `wl`: the first problem of the pair.
pub fn check_pair(rig: &Rig, wl: &Workload) -> Result<(), Problem> {
    let (errors, _) = pair_problems(rig, wl);
    match errors.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

/// Builds the report; `progress(step)` is called before each step of [`STEPS`].
pub fn build(s: &Settings, progress: &mut dyn FnMut(usize)) -> Result<Report, ReportError> {
    check_pair(&s.rig, &s.workload).map_err(ReportError::Incompatible)?;
    let rig = s.rig.clone();
    let wl = s.workload.clone();
    let gpus = s.gpus.clone();
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
        verdict: None,
        figure_names: Vec::new(),
        narma: None,
    };
    let mut sections = Vec::new();
    type Step = fn(&mut Ctx) -> Result<Section, String>;
    let steps: [Step; 11] = [
        description,
        headline,
        claims,
        energy_per_mac,
        workloads,
        fleet,
        timing,
        ledger,
        test_plan,
        accuracy,
        pareto,
    ];
    // A section the rig cannot have (reservoirs on a rig without an SOA, say) says so on the
    // page, with the reason, instead of stopping the whole report.
    const HEADS: [(&str, &str); 11] = [
        ("description", "The rig and workload as described"),
        (
            "headline",
            "Headline: the rig against GPUs on the same workload",
        ),
        ("audit", "Claims audit"),
        ("energy-per-mac", "Energy per multiply-accumulate"),
        (
            "workloads",
            "Energy per token across workloads, against H100, H200 and B200",
        ),
        (
            "fleet",
            "Fleets: the deployment sized on GPUs and on the rig",
        ),
        ("timing", "Latency and throughput"),
        ("ledger", "Energy ledger"),
        ("physics", "Error rates and loop depth in simulation"),
        (
            "accuracy",
            "Accuracy versus photons per sample and ADC bits",
        ),
        ("pareto", "Energy–accuracy Pareto front"),
    ];
    let mut not_computed = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        progress(i);
        sections.push(match step(&mut c) {
            Ok(section) => section,
            Err(message) => Section {
                id: HEADS[i].0,
                title: HEADS[i].1,
                text: vec![{
                    let why = format!(
                        "This section could not be computed for {}: {message}.",
                        c.rig.rig.name
                    );
                    not_computed.push(format!("{}: {message}", STEPS[i]));
                    why
                }],
                tables: vec![],
                figures: vec![],
                skipped: vec![],
            },
        });
    }
    let mut descriptions = vec![
        CsvFile {
            name: "rig.toml".into(),
            text: described(&c.rig, &s.provenance, 0)?,
        },
        CsvFile {
            name: "workload.toml".into(),
            text: described(&c.wl, &s.provenance, 1)?,
        },
    ];
    let mut regenerate = format!(
        "lightloop report --rig rig.toml --workload workload.toml --seed {}{}",
        s.seed,
        if s.quick { " --quick" } else { "" }
    );
    for (i, g) in c.gpus.iter().enumerate() {
        let name = format!("gpu-{}.toml", i + 1);
        regenerate.push_str(&format!(" --gpu {name}"));
        descriptions.push(CsvFile {
            text: toml_text(
                g,
                &format!("# {}: the GPU the report compared with\n", g.gpu.name),
            )?,
            name,
        });
    }
    regenerate.push_str(" --out regenerated");
    Ok(Report {
        verdict: c.verdict.clone(),
        descriptions,
        regenerate,
        rig_name: c.rig.rig.name.clone(),
        rig_description: c.rig.rig.description.clone(),
        workload_name: c.wl.workload.name.clone(),
        seed: s.seed,
        quick: s.quick,
        sections,
        csvs: c.csvs,
        not_computed,
    })
}

fn toml_text<T: Serialize>(value: &T, head: &str) -> Result<String, ReportError> {
    toml::to_string(value)
        .map(|t| format!("{head}{t}"))
        .map_err(|e| ReportError::Section {
            section: STEPS[0],
            message: format!("writing the description as TOML: {e}"),
        })
}

/// A resolved description as TOML, headed by where it came from.
fn described<T: Serialize>(
    value: &T,
    provenance: &[Provenance],
    i: usize,
) -> Result<String, ReportError> {
    let head = match provenance.get(i) {
        Some(p) => format!(
            "# The {} this report was computed from, every value resolved ({}).\n",
            p.kind,
            p.summary()
        ),
        None => "# Described in memory; every value resolved.\n".to_string(),
    };
    toml_text(value, &head)
}

#[derive(Serialize)]
struct DifferenceRow<'a> {
    description: &'static str,
    key: &'a str,
    preset_value: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct EntryRow<'a> {
    description: &'static str,
    key: &'a str,
    value: &'a str,
    written_in: &'a str,
    source_or_note: &'a str,
}

fn description(c: &mut Ctx) -> Result<Section, String> {
    let provenance = &c.s.provenance;
    let mut text = Vec::new();
    if provenance.is_empty() {
        text.push(format!(
            "Rig {} and workload {} were described in memory: no file or preset to trace.",
            c.rig.rig.name, c.wl.workload.name
        ));
    }
    let mut diffs = Vec::new();
    let mut entries = Vec::new();
    for p in provenance {
        text.push(format!(
            "{}: {} — {}.",
            capitalise(p.kind),
            p.title,
            p.summary()
        ));
        diffs.extend(p.differences.iter().map(|d| DifferenceRow {
            description: p.kind,
            key: &d.key,
            preset_value: &d.preset,
            value: &d.value,
        }));
        entries.extend(p.entries.iter().map(|e| EntryRow {
            description: p.kind,
            key: &e.key,
            value: &e.value,
            written_in: &e.from,
            source_or_note: if e.note.is_empty() {
                "no source given: an assumption"
            } else {
                &e.note
            },
        }));
    }
    text.push(
        "The values' sources are the comments beside them in the description (a datasheet, a \
         paper, or the word \"assumption\"); a value without a comment is an assumption, and one no \
         file writes is lightloop's default. rig.toml and workload.toml beside this page hold \
         the resolved descriptions; the command below regenerates the report from this folder."
            .to_string(),
    );
    let mut tables = Vec::new();
    if !diffs.is_empty() {
        let head = [
            "description",
            "key",
            "preset's value",
            "this report's value",
        ];
        let rows = diffs
            .iter()
            .map(|d| {
                vec![
                    d.description.to_string(),
                    d.key.to_string(),
                    d.preset_value.to_string(),
                    d.value.to_string(),
                ]
            })
            .collect();
        let csv = c.csv("description_differences.csv", &diffs)?;
        tables.push(Table {
            head: head.map(String::from).to_vec(),
            rows,
            csv,
        });
    }
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                e.description.to_string(),
                e.key.to_string(),
                e.value.to_string(),
                e.written_in.to_string(),
                e.source_or_note.to_string(),
            ]
        })
        .collect();
    let csv = c.csv("description.csv", &entries)?;
    tables.push(Table {
        head: [
            "description",
            "key",
            "value",
            "written in",
            "source or note",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        csv,
    });
    Ok(Section {
        id: "description",
        title: "The rig and workload as described",
        text,
        tables,
        ..Default::default()
    })
}

#[derive(Serialize)]
struct HeadlineRow {
    system: String,
    j_per_token: f64,
    tokens_per_s: f64,
    ttft_s: f64,
    fj_per_mac: f64,
    /// The rig's energy per token ÷ this system's (> 1: the rig uses more).
    energy_ratio_rig_to_system: f64,
    /// The rig's time per token ÷ this system's (> 1: the rig is slower).
    time_ratio_rig_to_system: f64,
}

#[derive(Serialize)]
struct BreakEvenRow {
    gpu: String,
    lever: &'static str,
    now: f64,
    at_parity: Option<f64>,
    change: String,
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
        energy_ratio_rig_to_system: 1.0,
        time_ratio_rig_to_system: 1.0,
    }];
    let mut comparisons = Vec::new();
    for g in &c.gpus {
        let ge = evaluate_gpu(g, &c.wl).map_err(|e| format!("{}: {e}", g.gpu.name))?;
        let macs = m.optical_macs_per_token + m.host_macs_per_token;
        let cmp = lightloop_cost::verdict::Comparison::new(
            &c.rig.rig.name,
            &c.wl.workload.name,
            &g.gpu.name,
            &e,
            ge.j_per_token,
            ge.tokens_per_s,
        );
        rows.push(HeadlineRow {
            system: g.gpu.name.clone(),
            j_per_token: ge.j_per_token,
            tokens_per_s: ge.tokens_per_s,
            ttft_s: ge.ttft,
            fj_per_mac: ge.j_per_token / macs * 1e15,
            energy_ratio_rig_to_system: cmp.energy_ratio,
            time_ratio_rig_to_system: cmp.time_ratio,
        });
        comparisons.push(cmp);
    }
    let csv = c.csv("headline.csv", &rows)?;
    let table = Table {
        head: [
            "system",
            "J/token",
            "tokens/s",
            "time to first token (s)",
            "fJ/MAC (all energy)",
            "energy per token, rig ÷ system",
            "time per token, rig ÷ system",
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
                    sci(r.energy_ratio_rig_to_system),
                    sci(r.time_ratio_rig_to_system),
                ]
            })
            .collect(),
        csv,
    };
    use lightloop_base::words::{figure, percent};
    let mut text = Vec::new();
    if let Some(first) = comparisons.first() {
        text.push(format!("Verdict: {}", first.sentence()));
        c.verdict = Some(first.sentence());
    }
    text.extend([
        format!(
            "{} running {}: {} J per token, {} fJ per multiply-accumulate with every DC load counted \
             ({} of the energy is static), {} tokens/s, {} TOPS/W. The optical core does {} \
             of the token's multiply-accumulates; the rest run on the host.",
            c.rig.rig.name,
            c.wl.workload.name,
            sci(m.j_per_token),
            sci(m.fj_per_mac),
            percent(m.static_fraction),
            sci(m.tokens_per_s),
            figure(m.tops_per_w),
            percent(m.optical_fraction)
        ),
        format!(
            "Readout noise: SNR {:.1} dB ({:.1} effective bits, dominated by {}); throughput limited by {}.",
            e.noise.snr_db, e.noise.enob, e.noise.dominant, e.rates.limited_by
        ),
        "GPU figures come from lightloop's GPU serving model, fitted to published measurements and \
         tested on points held out from the fit (`lightloop gpu validate`); the rig's from the \
         analytic cost model of this rig. Both count prefill and decode. Ratios are the rig's figure \
         over the system's: above 1 the rig uses more energy or more time per token."
            .to_string(),
    ]);
    text.extend(
        e.check_messages()
            .into_iter()
            .map(|m| format!("Warning: {m}")),
    );
    let mut tables = vec![table];
    if let Some(first) = comparisons.first() {
        let gpu_name = first.gpu.clone();
        let parity = lightloop_cost::verdict::break_even(&c.rig, &c.wl, first.gpu_j_per_token);
        let rows: Vec<BreakEvenRow> = parity
            .iter()
            .map(|b| BreakEvenRow {
                gpu: gpu_name.clone(),
                lever: b.lever.name(),
                now: b.now,
                at_parity: b.at_parity,
                change: b.change.clone(),
            })
            .collect();
        let csv = c.csv("break_even.csv", &rows)?;
        text.push(format!(
            "Break-even with {}: any one of the changes in the second table, the rest of the rig held, \
             brings the rig's energy per token down to the GPU's ({} J), as the cost model solves it.",
            gpu_name,
            sci(first.gpu_j_per_token)
        ));
        tables.push(Table {
            head: ["change (one at a time)", "how far, for parity with the GPU"]
                .map(String::from)
                .to_vec(),
            rows: rows
                .iter()
                .map(|r| vec![r.lever.to_string(), r.change.clone()])
                .collect(),
            csv,
        });
    }
    Ok(Section {
        id: "headline",
        title: "Headline: the rig against GPUs on the same workload",
        text,
        tables,
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
    /// Whether this figure follows from the claim's stated assumptions.
    figure_reproduced: bool,
    /// The whole claim: reproduced (every figure follows), not-reproduced, or projection.
    claim_status: Status,
    consistent_value: Option<f64>,
    consistent_unit: String,
    claim_advantage: Option<f64>,
}

fn claims(c: &mut Ctx) -> Result<Section, String> {
    let deployment = lightloop_rig::load_deployment(presets::DEFAULT_DEPLOYMENT, &[])
        .map_err(|e| e.to_string())?
        .value;
    let a = lightloop_fleet::claims::full_audit(
        &AuditRigs::with_seed(c.rig.rig.name.clone(), c.rig.clone()),
        &deployment,
    )
    .map_err(|e| e.to_string())?;
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
                figure_reproduced: f.holds,
                claim_status: cl.status,
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
            "follows from its assumptions",
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
                    if r.figure_reproduced { "yes" } else { "no" }.into(),
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
    let floors: [(&str, Option<f64>); 4] = [
        ("rig's converters", None),
        ("1 pJ per conversion", Some(1e-12)),
        ("100 fJ per conversion", Some(100e-15)),
        ("10 fJ per conversion", Some(10e-15)),
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
                let variant = c.rig_with(|r| {
                    match key {
                        "size" => {
                            r.topology.channels = x;
                            r.topology.readout_width = x;
                        }
                        "passes" => r.topology.loop_passes = x,
                        _ => r.topology.wdm_lanes = x,
                    }
                    if let Some(f) = floor {
                        r.dac.energy_per_conversion = Energy::new(f);
                        r.adc.energy_per_conversion = Some(Energy::new(f));
                    }
                });
                match variant.and_then(|r| c.eval(&r, &c.wl)) {
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
            series.push(Series::line(name.to_string(), pts));
        }
        if series.iter().all(|s| s.points.is_empty()) {
            continue;
        }
        let svg = chart::lines(
            &Axes::new(
                title.to_string(),
                x_label.to_string(),
                "fJ per MAC (all energy, per token)",
            )
            .log_x()
            .log_y(),
            &series,
        )?;
        let base = &series[0].points;
        let result = match (base.first(), base.last()) {
            (Some(f), Some(l)) => {
                let min = base
                    .iter()
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .copied()
                    .unwrap_or(*f);
                let mut r = format!(
                    " With the rig's converters, energy per MAC {} from {} to {} (lowest, {}, at {}).",
                    trend(f.1, l.1),
                    f.0,
                    l.0,
                    lightloop_rig::units::format_si(min.1 * 1e-15, "J", 3),
                    min.0
                );
                if key == "lanes" && l.1 > f.1 {
                    r.push_str(&format!(
                        " It rises because every lane brings its own transmitters and receivers \
                         (N × lanes ports, M × lanes receivers) with their DC loads, while a decode \
                         step at batch {} keeps one lane busy: the token's MACs stay the same and its \
                         static energy grows with the lanes.",
                        c.wl.run.batch
                    ));
                }
                r
            }
            _ => String::new(),
        };
        figures.push((svg, title, x_label, result));
    }
    let csv = c.csv("energy_per_mac.csv", &rows)?;
    let e = c.eval(&c.rig, &c.wl)?;
    let conv =
        e.per_token.category(Category::EoConversion) + e.per_token.category(Category::OeConversion);
    let share = conv / e.per_token.total();
    let figures = figures
        .into_iter()
        .map(|(svg, title, x, result)| {
            c.figure(
                svg,
                &format!(
                    "{}.{result} Everything else as in the rig; the conversion floors set both the \
                     DAC's and the ADC's energy per conversion. {} changed through the rig's own keys, \
                     so the schedule, loop noise and static loads follow.",
                    capitalise(title),
                    capitalise(x)
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
                "On {} with {}, E/O and O/E conversions are {} of the energy per token, so the \
                 conversion floors {} the total.",
                c.rig.rig.name,
                c.wl.workload.name,
                lightloop_base::words::percent(share),
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
        let gpu_results: Result<Vec<_>, String> = c
            .gpus
            .iter()
            .map(|g| evaluate_gpu(g, &wl).map_err(|e| format!("{name} on {}: {e}", g.gpu.name)))
            .collect();
        let gpu_results = match gpu_results {
            Ok(r) => r,
            Err(err) => {
                skipped.push(err);
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
        for (i, (g, ge)) in c.gpus.iter().zip(&gpu_results).enumerate() {
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
    let svg = chart::bars(
        &Axes::new(
            "Energy per token, preset workloads",
            "workload",
            "J per token",
        )
        .log_y(),
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
struct FleetRow {
    hardware: String,
    meets_targets: bool,
    configuration: String,
    devices: u64,
    hosts: u64,
    racks: u64,
    ttft_s: f64,
    tpot_s: f64,
    wall_power_busiest_w: f64,
    wall_power_mean_w: f64,
    tokens_per_s_per_mw: f64,
    j_per_token_wall: f64,
    hardware_usd: f64,
    usd_per_year: f64,
    usd_per_m_tokens: f64,
    binding_constraint: String,
}

#[derive(Serialize)]
struct TrafficRow {
    hardware: String,
    tokens_per_s: f64,
    meets_targets: bool,
    wall_power_busiest_w: f64,
    usd_per_m_tokens: f64,
}

#[derive(Serialize)]
struct RooflineRow {
    device: String,
    operation: String,
    flop_per_byte: f64,
    over: &'static str,
    attainable_flop_per_s: f64,
}

#[derive(Serialize)]
struct TornadoRow {
    hardware: String,
    input: &'static str,
    low: String,
    high: String,
    usd_per_m_tokens_at_low: f64,
    usd_per_m_tokens_at_high: f64,
}

/// The default deployment sized on the report's GPUs and rig: the table, power and cost against
/// traffic, the roofline of its operations, and the cheapest option's tornado.
fn fleet(c: &mut Ctx) -> Result<Section, String> {
    use lightloop_fleet::verdict::{count, device_count, duration, figure};
    use lightloop_gpu::roofline::{Ceilings, Over, operations};
    let d = lightloop_rig::load_deployment(presets::DEFAULT_DEPLOYMENT, &[])
        .map_err(|e| e.to_string())?
        .value;
    let model = lightloop_fleet::served_model(&d).map_err(|e| e.to_string())?;
    let hw = lightloop_fleet::Hardware {
        gpus: c.gpus.clone(),
        rigs: vec![c.rig.clone()],
    };
    let answer = lightloop_fleet::size(&d, &model, &hw);
    let verdict = lightloop_fleet::verdict::verdict(&answer);
    let mut rows = Vec::new();
    for o in &answer.options {
        if let Some(s) = o.shown() {
            rows.push(FleetRow {
                hardware: o.hardware.clone(),
                meets_targets: s.meets_targets,
                configuration: s.configuration.clone(),
                devices: s.devices,
                hosts: s.hosts,
                racks: s.racks,
                ttft_s: s.ttft,
                tpot_s: s.tpot,
                wall_power_busiest_w: s.power.wall_busy,
                wall_power_mean_w: s.power.wall_mean,
                tokens_per_s_per_mw: s.tokens_per_s_per_mw,
                j_per_token_wall: s.cost.j_per_token_wall,
                hardware_usd: s.cost.hardware,
                usd_per_year: s.cost.total_per_year,
                usd_per_m_tokens: s.cost.usd_per_m_tokens,
                binding_constraint: o.binding.clone().unwrap_or_default(),
            });
        }
    }
    let csv = c.csv("fleet.csv", &rows)?;
    let table = Table {
        head: [
            "option",
            "targets met",
            "configuration",
            "devices",
            "racks",
            "time per output token",
            "MW at the wall (busiest)",
            "J per token at the wall",
            "USD per million tokens",
        ]
        .map(String::from)
        .to_vec(),
        rows: answer
            .options
            .iter()
            .filter_map(|o| o.shown().map(|s| (o, s)))
            .map(|(o, s)| {
                vec![
                    o.hardware.clone(),
                    if s.meets_targets {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    s.configuration.clone(),
                    device_count(s.kind, s.devices),
                    count(s.racks),
                    duration(s.tpot),
                    figure(s.power.wall_busy / 1e6),
                    figure(s.cost.j_per_token_wall),
                    figure(s.cost.usd_per_m_tokens),
                ]
            })
            .collect(),
        csv: csv.clone(),
    };

    // Power and cost against the traffic, each option re-sized at every rate.
    let mut traffic = Vec::new();
    let rates: Vec<f64> = (0..9).map(|i| 10f64.powf(3.0 + 0.5 * i as f64)).collect();
    for r in &rates {
        let mut dd = d.clone();
        dd.traffic.requests_per_s = None;
        dd.traffic.tokens_per_s = Some(*r);
        let a = lightloop_fleet::size(&dd, &model, &hw);
        for o in &a.options {
            if let Some(s) = o.shown() {
                traffic.push(TrafficRow {
                    hardware: o.hardware.clone(),
                    tokens_per_s: *r,
                    meets_targets: s.meets_targets,
                    wall_power_busiest_w: s.power.wall_busy,
                    usd_per_m_tokens: s.cost.usd_per_m_tokens,
                });
            }
        }
    }
    let traffic_csv = c.csv("fleet_vs_traffic.csv", &traffic)?;
    let series = |f: &dyn Fn(&TrafficRow) -> f64| -> Vec<Series> {
        answer
            .options
            .iter()
            .map(|o| {
                let pts = traffic
                    .iter()
                    .filter(|t| t.hardware == o.hardware)
                    .map(|t| (t.tokens_per_s, f(t)))
                    .collect();
                let mut s = Series::line(o.hardware.clone(), pts);
                s.dashed = o.chosen.is_none();
                s
            })
            .collect()
    };
    let mw_svg = chart::lines(
        &Axes::new(
            "Facility power at the busiest hour against traffic",
            "output tokens per second",
            "MW at the wall",
        )
        .log_x()
        .log_y(),
        &series(&|t| t.wall_power_busiest_w / 1e6),
    )?;
    let usd_svg = chart::lines(
        &Axes::new(
            "Cost per million tokens against traffic",
            "output tokens per second",
            "USD per million tokens",
        )
        .log_x()
        .log_y(),
        &series(&|t| t.usd_per_m_tokens),
    )?;

    // The roofline of the deployment's operations.
    let mut roof = Vec::new();
    let mut roof_series = Vec::new();
    let mut clouds = Vec::new();
    let first_gpu = c.gpus.first().cloned();
    let shown_gpu = answer.options.first().and_then(|o| o.shown().cloned());
    let mut devices: Vec<(Ceilings, f64, f64, f64)> = Vec::new();
    if let (Some(g), Some(s)) = (&first_gpu, &shown_gpu) {
        let (tp, ep) = s
            .split
            .map(|x| (x.tp as f64, x.ep as f64))
            .unwrap_or((1.0, 1.0));
        devices.push((Ceilings::of_gpu(g, model.run.weight_bits), s.batch, tp, ep));
    }
    if let Ok(e) = lightloop_cost::evaluate(&c.rig, &model) {
        devices.push((
            Ceilings {
                device: c.rig.rig.name.clone(),
                peak: 2.0 * e.rates.peak_macs_per_s,
                memory: c.rig.host.memory_bandwidth.si(),
                scale_up: c.rig.host.link_bandwidth.si(),
                scale_out: c.rig.host.link_bandwidth.si(),
            },
            1.0,
            1.0,
            1.0,
        ));
    }
    for (ceil, batch, tp, ep) in &devices {
        let ops = operations(&model, *batch, d.traffic.prompt_tokens as f64, *tp, *ep);
        let mut pts = Vec::new();
        for op in &ops {
            let over = match op.over {
                Over::Memory => "memory",
                Over::ScaleUp => "scale-up link",
                Over::ScaleOut => "scale-out link",
            };
            roof.push(RooflineRow {
                device: ceil.device.clone(),
                operation: op.name.clone(),
                flop_per_byte: op.intensity(),
                over,
                attainable_flop_per_s: op.attainable(ceil),
            });
            pts.push((op.intensity(), op.attainable(ceil)));
        }
        clouds.push(Series::line(format!("{} operations", ceil.device), pts));
        for (over, label) in [
            (Over::Memory, "memory"),
            (Over::ScaleUp, "scale-up link"),
            (Over::ScaleOut, "scale-out link"),
        ] {
            let bw = ceil.bandwidth(over);
            let ridge = ceil.ridge(over);
            let line = vec![(1e-2, 1e-2 * bw), (ridge, ceil.peak), (1e6, ceil.peak)];
            let mut l = Series::line(format!("{} roof, {label}", ceil.device), line);
            l.dashed = over != Over::Memory;
            roof_series.push(l);
        }
    }
    let roof_csv = c.csv("roofline.csv", &roof)?;
    let mut lines = roof_series;
    lines.extend(clouds);
    let roof_svg = chart::lines(
        &Axes::new(
            "Roofline of the deployment's operations",
            "arithmetic intensity, FLOP per byte moved",
            "attainable FLOP/s",
        )
        .log_x()
        .log_y(),
        &lines,
    )?;

    // The cheapest option's tornado.
    let mut tornado = Vec::new();
    if let Some(s) = answer
        .options
        .iter()
        .filter_map(|o| o.chosen.as_ref())
        .min_by(|x, y| x.cost.usd_per_m_tokens.total_cmp(&y.cost.usd_per_m_tokens))
    {
        for w in
            lightloop_fleet::sensitivity::tornado(s, &answer.economics, answer.demand.tokens_per_s)
        {
            tornado.push(TornadoRow {
                hardware: s.hardware.clone(),
                input: w.input,
                low: w.low_value,
                high: w.high_value,
                usd_per_m_tokens_at_low: w.at_low,
                usd_per_m_tokens_at_high: w.at_high,
            });
        }
    }
    let tornado_csv = c.csv("tornado.csv", &tornado)?;
    let cats: Vec<String> = tornado.iter().map(|t| t.input.to_string()).collect();
    let tornado_svg = chart::bars(
        &Axes::new(
            "Cost per million tokens as each input moves",
            "input",
            "USD per million tokens",
        ),
        &cats,
        &[
            (
                "input at its low value".to_string(),
                tornado.iter().map(|t| t.usd_per_m_tokens_at_low).collect(),
            ),
            (
                "input at its high value".to_string(),
                tornado.iter().map(|t| t.usd_per_m_tokens_at_high).collect(),
            ),
        ],
        false,
    )?;
    let cheapest = tornado
        .first()
        .map(|t| t.hardware.clone())
        .unwrap_or_default();
    let figures = vec![
        c.figure(
            mw_svg,
            "Power at the wall (PUE included) of the fleet that carries each rate of output tokens at its              busiest hour, each option sized again at every rate. Dashed: an option that cannot meet the              latency targets at any rate (its closest configuration shown).",
            &traffic_csv,
        ),
        c.figure(
            usd_svg,
            "Cost of ownership per million tokens against traffic: hardware written off, building,              maintenance and electricity over a year at the deployment's mean load.",
            &traffic_csv,
        ),
        c.figure(
            roof_svg,
            "Each operation of the deployment's model (one layer) at its arithmetic intensity, against the              ceilings of the first GPU and of the rig: the peak, and the bandwidth of memory (solid), of              the scale-up link and of the scale-out network (dashed). Attention's IO-aware form moves far              fewer bytes than the naive one; collectives sit against the links.",
            &roof_csv,
        ),
        c.figure(
            tornado_svg,
            &format!(
                "Cost per million tokens of the cheapest option ({cheapest}) with one input at a time at the                  low and high ends of its range, the configuration held."
            ),
            &tornado_csv,
        ),
    ];
    let text = vec![
        format!(
            "The {} deployment: {} output tokens per second at the busiest hour ({} prompt and {} output              tokens a request), time to first token within {} and time per output token within {};              PUE {}, {} USD/kWh, mean load {} % of the busiest hour's.",
            d.deployment.name,
            figure(answer.demand.tokens_per_s),
            d.traffic.prompt_tokens,
            d.traffic.output_tokens,
            duration(answer.demand.ttft),
            duration(answer.demand.tpot),
            answer.economics.pue,
            figure(answer.economics.electricity_price * 3.6e6),
            figure(answer.economics.utilisation * 100.0),
        ),
        verdict,
    ];
    Ok(Section {
        id: "fleet",
        title: "Fleets: the deployment sized on GPUs and on the rig",
        text,
        tables: vec![table],
        figures,
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

/// "falls 31.8×", "rises 1.93×" or "does not change" from the first to the last value.
fn trend(first: f64, last: f64) -> String {
    use lightloop_base::words::figure;
    let r = last / first;
    if (r - 1.0).abs() < 1e-3 {
        "does not change".into()
    } else if r > 1.0 {
        format!("rises {}×", figure(r))
    } else {
        format!("falls {}×", figure(1.0 / r))
    }
}

fn timing(c: &mut Ctx) -> Result<Section, String> {
    use lightloop_rig::units::format_si;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut figures = Vec::new();
    let lanes = [1u32, 2, 4, 8, 16, 32];
    // ADC rates in GS/s; the rig's rate is set in S/s as the parser reads "x GS/s".
    let adc_rates = [0.5, 1.0, 2.7, 5.0, 10.0, 20.0, 40.0];
    for (key, label, xs) in [
        ("lanes", "WDM lanes", lanes.map(f64::from).to_vec()),
        ("adc_rate", "ADC rate (GS/s)", adc_rates.to_vec()),
    ] {
        let (mut ttft, mut tps, mut steps, mut limits) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &x in &xs {
            let variant = c.rig_with(|r| {
                if key == "lanes" {
                    r.topology.wdm_lanes = x as u32;
                } else {
                    r.adc.rate = SampleRate::new(format!("{x}e9").parse().unwrap_or(f64::NAN));
                }
            });
            match variant.and_then(|r| c.eval(&r, &c.wl)) {
                Ok(e) => {
                    ttft.push((x, e.metrics.ttft));
                    tps.push((x, e.metrics.tokens_per_s));
                    steps.push(e.step.time);
                    if !limits.contains(&e.rates.limited_by) {
                        limits.push(e.rates.limited_by);
                    }
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
        let (Some(f), Some(l)) = (ttft.first().copied(), ttft.last().copied()) else {
            continue;
        };
        let (tf, tl) = (tps[0].1, tps[tps.len() - 1].1);
        let span = if key == "lanes" {
            format!("From {} to {} WDM lanes", f.0, l.0)
        } else {
            format!("From {} GS/s to {} GS/s of ADC rate", f.0, l.0)
        };
        let result = format!(
            "{span}, time to first token {} ({} → {}) and tokens per second {} ({} → {}).",
            trend(f.1, l.1),
            format_si(f.1, "s", 3),
            format_si(l.1, "s", 3),
            trend(tf, tl),
            lightloop_base::words::figure(tf),
            lightloop_base::words::figure(tl),
        );
        let why = if key == "lanes" {
            format!(
                " Lanes carry different vectors at once: prefill has every prompt token at hand and \
                 runs up to one per lane, while a decode step at batch {} has one vector per product \
                 and leaves the other lanes idle (a decode step takes {} at {} lane and {} at {}); \
                 tokens per second counts a whole serving cycle, prefill and decode, so it gains only \
                 what prefill saves.",
                c.wl.run.batch,
                format_si(steps[0], "s", 3),
                f.0,
                format_si(steps[steps.len() - 1], "s", 3),
                l.0,
            )
        } else {
            format!(
                " The symbol period is set by the {} at every point, so the ADC's rate {}.",
                limits.join(", "),
                if (tl / tf - 1.0).abs() < 1e-3 {
                    "does not enter"
                } else {
                    "enters only through the readout"
                }
            )
        };
        for (title, y, pts) in [
            ("Time to first token", "time to first token (s)", ttft),
            ("Tokens per second", "tokens per second", tps),
        ] {
            let chart = chart::lines(
                &Axes::new(format!("{title} versus {label}"), label, y)
                    .log_x()
                    .log_y(),
                &[Series::line(c.rig.rig.name.clone(), pts)],
            )?;
            figures.push((chart, format!("{title} versus {label}. {result}{why}")));
        }
    }
    let csv = c.csv("timing.csv", &rows)?;
    let figures = figures
        .into_iter()
        .map(|(chart, t)| {
            c.figure(
                chart,
                &format!("{t} From the schedule the architecture allows (the CSV names what sets the symbol period)."),
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
    let own = c.wl.workload.name.clone();
    let mut names = vec![own.clone()];
    names.extend(
        presets::names(DescKind::Workload)
            .into_iter()
            .map(String::from)
            .filter(|n| *n != own),
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
    let svg = chart::bars(
        &Axes::new(
            "Where a token's energy goes",
            "workload",
            "share of energy per token",
        ),
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

/// The loop-depth caption: what the simulated SNR does, where it would cross the target, and how
/// that agrees with the cost model's `passes_to_target` (the `noise` command's linear SNR figure;
/// its error-rate figure follows the return map, see [`regeneration_text`]).
///
/// The simulation reads each value of the state at the symbol rate through the monitor tap; the
/// cost model's figure is for the readout of a whole product, integrated over its slots, whose
/// noise bandwidth is narrower by the ratio R of the two bandwidths. ASE variance per pass scales
/// with bandwidth, so the integrated readout reaches the same target about R times later. The
/// simulated crossing is extrapolated by fitting 1/SNR = a + b·n (variance linear in the passes,
/// as in the cost model) to the simulated passes.
fn snr_caption(
    c: &Ctx,
    d: &lightloop_physics::instruments::depth::DepthCurve,
) -> Result<String, String> {
    let pts = &d.points;
    let last = pts.last().map(|p| p.pass).unwrap_or(0);
    let (min_pass, min_db) = pts
        .iter()
        .map(|p| (p.pass, p.snr_db))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, f64::NAN));
    let crossed = pts
        .iter()
        .find(|p| p.snr_db < d.target_snr_db)
        .map(|p| p.pass);
    let mut out = format!(
        "SNR of the optical state after each pass of the closed loop (SOA, absorber, per-pass gain \
         trim), each value read at the symbol rate by the monitor tap, over {} trials. ",
        d.settings.trials
    );
    match crossed {
        Some(n) => out.push_str(&format!(
            "It falls below the {:.1} dB target at pass {n}. ",
            d.target_snr_db
        )),
        None => out.push_str(&format!(
            "It stays above the {:.1} dB target at all {last} simulated passes (lowest {:.1} dB, at pass {min_pass}). ",
            d.target_snr_db, min_db
        )),
    }
    // 1/SNR = a + b·n by least squares.
    let n = pts.len() as f64;
    if n >= 3.0 {
        let (sx, sy) = pts
            .iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p.pass as f64, y + 1.0 / p.snr));
        let (mx, my) = (sx / n, sy / n);
        let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(xy, xx), p| {
            let dx = p.pass as f64 - mx;
            (xy + dx * (1.0 / p.snr - my), xx + dx * dx)
        });
        let b = sxy / sxx;
        let a = my - b * mx;
        let target = 10f64.powf(d.target_snr_db / 10.0);
        let e = c.eval(&c.rig, &c.wl)?;
        let symbol_bw = 1.0 / (2.0 * e.rates.effective_period);
        let ratio = symbol_bw / e.noise.budget.bandwidth;
        if b > 0.0 {
            let at = (1.0 / target - a) / b;
            out.push_str(&format!(
                "Fitting 1/SNR = a + b·n to these passes puts the crossing near pass {}. The `noise` \
                 command's linear SNR figure of {} passes is for the integrated readout of a whole product (noise bandwidth \
                 {} against the symbol rate's {} here, a ratio of {}): its ASE per pass is that much \
                 smaller, so it reaches the target about {} times later, near pass {} by this \
                 simulation — the two agree to within a factor of {}.",
                lightloop_base::words::count(at.max(0.0).round() as u64),
                lightloop_base::words::count(e.noise.passes_to_target.round() as u64),
                lightloop_rig::units::format_si(e.noise.budget.bandwidth, "Hz", 3),
                lightloop_rig::units::format_si(symbol_bw, "Hz", 3),
                lightloop_base::words::figure(ratio),
                lightloop_base::words::figure(ratio),
                lightloop_base::words::count((at * ratio).max(0.0).round() as u64),
                lightloop_base::words::figure(
                    (at * ratio / e.noise.passes_to_target).max(e.noise.passes_to_target / (at * ratio))
                ),
            ));
        } else {
            out.push_str(
                "The simulated SNR does not fall with the passes: no crossing to extrapolate.",
            );
        }
    }
    Ok(out)
}

/// The cost model's error model and regeneration, as the `noise` command states them: one
/// channel's ternary decision from the compressed levels and the received power a target error
/// rate needs (beside the equal-spacing figure, labelled), and whether the loop restores each
/// level, with the passes its unrestored zero level takes to pass the target.
fn regeneration_text(c: &Ctx) -> Result<Vec<String>, String> {
    use lightloop_cost::decision::{DEFAULT_TARGET_SER, Decision};
    let e = c.eval(&c.rig, &c.wl)?;
    let d = Decision::of_rig(&c.rig, e.noise.budget.point, DEFAULT_TARGET_SER);
    let dbm = |p: Option<f64>| {
        p.map_or("none".to_string(), |p| {
            format!("{:.1} dBm", 10.0 * (p / 1e-3).log10())
        })
    };
    let mut out = vec![format!(
        "Error model (the cost model's budget, dashed in the figure above): the SOA and absorber put the middle \
         level at {:.3} of the swing (equal spacing: 0.5); at the rig's laser power a symbol-error \
         rate of {} needs {} received (with equally spaced levels it would take {}).",
        d.middle_fraction,
        sci(d.target_ser),
        dbm(d.received_power_for_target_w),
        dbm(d.equal_spacing_received_power_for_target_w)
    )];
    if let Some(g) = &d.regeneration {
        let mut t = format!(
            "Regeneration, from the cost model's return map (the same as above): {}.",
            g.words()
        );
        if g.levels.iter().any(|l| !l.restored) && e.noise.passes_to_target.is_finite() {
            t.push_str(&format!(
                " The linear SNR figure of the `noise` command ({} passes) would hold only if the \
                 loop restored every level.",
                lightloop_base::words::count(e.noise.passes_to_target.round() as u64)
            ));
        }
        out.push(t);
    }
    if let Some(b) = lightloop_cost::impairments::ImpairmentBudget::of_rig(
        &c.rig,
        e.noise.budget.point,
        DEFAULT_TARGET_SER,
    ) {
        let lines: Vec<String> = b
            .limits
            .iter()
            .map(|l| {
                format!(
                    "{} ({}): penalty after {} passes {}, {}",
                    l.impairment,
                    l.detail,
                    b.passes,
                    l.penalty_db
                        .map_or("none finite (eye closed)".into(), |p| format!("{p:.3} dB")),
                    l.passes.map_or(
                        format!("no pass beyond the criterion ({})", l.criterion),
                        |p| format!("{} first at pass {p}", l.criterion)
                    )
                )
            })
            .collect();
        out.push(format!(
            "Impairments of the multi-lane loop (the `noise` command's table; target error rate {}, \
             penalty budget {:.2} dB): {}. {}. Model: {}.",
            sci(b.target_error_rate),
            b.penalty_budget_db,
            lines.join("; "),
            capitalise(&b.words()),
            b.model
        ));
        if let Some(m) = &b.modes {
            out.push(format!(
                "Mode-division multiplexing: {} modes × {} WDM lanes = {} lanes in the cost model's \
                 throughput and ledger; the mux pair's {:.2} dB loss lowers the received power (a \
                 laser of {:.1} mW per port would make it up) and its {} pairs draw {:.3} W.",
                m.modes,
                m.lanes_single_mode,
                m.lanes,
                m.mux_loss_db,
                m.laser_power_to_make_up_w * 1e3,
                m.mux_pairs,
                m.mux_power_w
            ));
        }
    }
    Ok(out)
}

fn test_plan(c: &mut Ctx) -> Result<Section, String> {
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
    // Zero-error points are upper bounds (one-sided 95 %), drawn as arrows.
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
        // A one-sided interval from zero marks an upper bound.
        intervals: Some(
            ber.iter()
                .map(|b| {
                    if b.ser_upper_bound_only {
                        (0.0, b.ser_high95)
                    } else {
                        (b.ser_low95, b.ser_high95)
                    }
                })
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
    let svg = chart::lines(
        &Axes::new(
            "Ternary symbol error rate versus received power",
            "received power per channel (dBm)",
            "symbol error rate",
        )
        .log_y(),
        &[measured, predicted, budget],
    )?;
    let mut figures = vec![c.figure(
        svg,
        &format!(
            "Symbol error rate of one channel's time-domain chain (laser → modulator → SOA → absorber → \
             photodiode/TIA → comparator, all noise on), counted over up to {} symbols per point with \
             Wilson 95 % intervals; where no error was counted, the arrow marks the one-sided 95 % \
             upper bound (the rate is below it, not at it). Dashed: the \
             prediction from the measured eye with the comparator's noise and hysteresis, and the cost \
             model's analytic budget for the same comparator (the levels the amplifier's gain \
             saturation and the absorber leave, each level's own noise, thresholds midway between \
             the levels: the same steady-state transfers the chain uses); predictions \
             below 10⁻¹² are in the CSV only.",
            settings.count.symbols
        ),
        &csv,
    )];
    let mut text = Vec::new();
    if let Some(d) = &p.depth {
        let snr: Vec<SnrRow> = d.points.iter().map(SnrRow::from).collect();
        let csv = c.csv("snr_vs_passes.csv", &snr)?;
        let svg = chart::lines(
            &Axes::new(
                "SNR of the loop state versus passes",
                "passes around the loop",
                "SNR (dB)",
            )
            .log_x(),
            &[Series {
                name: "SNR with 95 % interval".into(),
                points: snr.iter().map(|r| (r.pass as f64, r.snr_db)).collect(),
                intervals: Some(snr.iter().map(|r| (r.snr_db_low, r.snr_db_high)).collect()),
                dashed: false,
            }],
        )?;
        let caption = snr_caption(c, d)?;
        figures.push(c.figure(svg, &caption, &csv));
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
    text.extend(regeneration_text(c)?);
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

/// The reservoir models of the accuracy and Pareto sections, in their order.
const RESERVOIRS: [Kind; 4] = [Kind::Esn, Kind::DelayMg, Kind::SoaTwin, Kind::Ternary];

/// One reservoir's NARMA10 run: node values before the readout.
struct Narma {
    model: Kind,
    nodes: usize,
    data: Collected,
}

/// Builds `model` with `nodes` nodes on `rig` (the loop models take their absorber, SOA, ASE and
/// laser power from it; esn and delay-mg do not depend on the rig) and records its NARMA10 run.
fn collect_narma(rig: &Rig, model: Kind, nodes: usize, seed: u64) -> Result<Collected, String> {
    use lightloop_nn::reservoir::{Spec, build};
    let mut spec = Spec::new(model, seed);
    spec.nodes = if model == Kind::SoaEngine { 100 } else { nodes };
    let mut r = build(&spec, rig, 1).map_err(|e| e.to_string())?;
    lightloop_nn::suite::collect(Task::Narma10, r.as_mut(), seed).map_err(|e| e.to_string())
}

/// Reservoirs read out through the rig's receiver: NARMA10 error versus photons per sample and
/// ADC bits, each swept alone with the other at the rig's value. The states are collected once
/// ([`Ctx::narma`]); only the readout (noise, rounding, ridge fit) is redone per point.
fn accuracy(c: &mut Ctx) -> Result<Section, String> {
    use lightloop_nn::suite::score;
    use rayon::prelude::*;
    let (photons, bits): (Vec<f64>, Vec<u32>) = if c.s.quick {
        (vec![1e4, 1e6, 1e8], vec![3, 6, 10])
    } else {
        (
            (3..=9).map(|e| 10f64.powi(e)).collect(),
            vec![2, 3, 4, 5, 6, 8, 10, 12],
        )
    };
    let narma = c.narma()?;
    let nodes = narma.first().map_or(0, |n| n.nodes);
    let rig = &c.rig.clone();
    let seed = c.s.seed;
    // The linear baseline beside them (a tapped delay line: what any linear reservoir can at
    // best do), drawn dashed.
    let baseline = Narma {
        model: Kind::Linear,
        nodes,
        data: collect_narma(rig, Kind::Linear, nodes, seed)?,
    };
    let narma: Vec<&Narma> = narma.iter().chain([&baseline]).collect();
    let models: Vec<Kind> = narma.iter().map(|n| n.model).collect();
    // (sweep, photons, bits, stream key) of each point, the same for every model.
    type Point = (&'static str, Option<f64>, Option<u32>, u64);
    let points: Vec<Point> = photons
        .iter()
        .enumerate()
        .map(|(k, p)| ("photons", Some(*p), None, k as u64))
        .chain(
            bits.iter()
                .enumerate()
                .map(|(k, b)| ("adc bits", None, Some(*b), 100 + k as u64)),
        )
        .collect();
    let jobs: Vec<(&Narma, &Point)> = narma
        .iter()
        .flat_map(|n| points.iter().map(move |p| (*n, p)))
        .collect();
    let rows: Vec<AccuracyRow> = jobs
        .par_iter()
        .map(|&(n, &(sweep, p, b, k))| {
            let sensing = Sensing::from_rig(rig, p, b);
            let mut rng = lightloop_base::rng::stream(seed, "report.accuracy", k, 0);
            score(&n.data, &sensing, &mut rng)
                .map_err(|e| e.to_string())
                .map(|sc| AccuracyRow {
                    model: n.model.to_string(),
                    task: "narma10",
                    sweep,
                    photons_per_sample: sensing.photons_per_sample,
                    adc_bits: sensing.adc_bits,
                    nmse: sc.nmse.unwrap_or(f64::NAN),
                    nrmse: sc.nrmse.unwrap_or(f64::NAN),
                })
        })
        .collect::<Result<_, String>>()?;
    let csv = c.csv("accuracy_vs_readout.csv", &rows)?;
    let series = |sweep: &str, x: &dyn Fn(&AccuracyRow) -> f64| -> Vec<Series> {
        models
            .iter()
            .map(|m| {
                let name = if *m == Kind::Linear {
                    "linear (baseline)".to_string()
                } else {
                    m.to_string()
                };
                let mut s = Series::line(
                    name,
                    rows.iter()
                        .filter(|r| r.model == m.name() && r.sweep == sweep)
                        .map(|r| (x(r), r.nrmse))
                        .collect(),
                );
                s.dashed = *m == Kind::Linear;
                s
            })
            .collect()
    };
    let by_photons = chart::lines(
        &Axes::new(
            "Reservoir NARMA10 error versus photons per sample at the readout",
            "photons per sample at full scale",
            "NRMSE (held-out)",
        )
        .log_x(),
        &series("photons", &|r| r.photons_per_sample.unwrap_or(f64::NAN)),
    )?;
    let by_bits = chart::lines(
        &Axes::new(
            "Reservoir NARMA10 error versus ADC bits at the readout",
            "ADC bits (ENOB = bits − the rig's shortfall)",
            "NRMSE (held-out)",
        ),
        &series("adc bits", &|r| r.adc_bits.map_or(f64::NAN, f64::from)),
    )?;
    let rig_photons = Sensing::from_rig(rig, None, None)
        .photons_per_sample
        .unwrap_or(f64::NAN);
    let common = format!(
        "{nodes}-node reservoirs (esn: software echo-state network, the digital reference; delay-mg: one Mackey–Glass node with a delay loop; soa-twin: the rig's fibre loop with its absorber and SOA as the node, on the twin; ternary: the multi-channel ternary loop on the twin; linear, dashed: the baseline, a tapped delay line of the input, what any linear reservoir can at best do — a reservoir on or above it gains nothing from its nonlinearity at that readout), NARMA10 with 6 000 training and 2 000 held-out steps, ridge readout with λ chosen on a validation split. The readout reads every node through the rig's photodiode, TIA and ADC: the photodiode counts the electrons of each value's own light (exactly, Poisson, below 1000 electrons; Gaussian above) and the dark, receiver and RIN terms are Gaussian at full scale (the rig delivers {} photons per sample); each node's range is calibrated onto the receiver's swing.",
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
            "The reservoirs of `lightloop reservoir` (fixed dynamics, trained linear readout) show how \
             much readout noise and resolution a task tolerates; `lightloop reservoir suite` has every \
             task and model with spreads over seeds."
                .into(),
            "The energy–accuracy Pareto front of these reservoirs, with the laser power and the ADC \
             moving energy and readout together, is in the next section. Not in this version of the \
             report: trained deep-loop networks (`lightloop experiment` trains them on small tasks \
             outside the report)."
                .into(),
        ],
        figures,
        ..Default::default()
    })
}

#[derive(Serialize)]
struct ParetoRow {
    model: String,
    /// Laser power per channel, and its offset from the rig's own.
    laser_power_dbm: f64,
    laser_offset_db: f64,
    adc_bits: u32,
    adc_enob: f64,
    /// ADC energy per conversion as evaluated (the rig's, scaled at a fixed Walden FoM).
    adc_pj_per_conversion: f64,
    photons_per_sample: f64,
    j_per_token: f64,
    fj_per_mac: f64,
    /// The two ledger items the grid moves, per token.
    laser_j_per_token: f64,
    adc_conversion_j_per_token: f64,
    nrmse: f64,
    /// On the front of this model's points.
    on_front: bool,
    /// On the front of all models' points together.
    on_front_all_models: bool,
}

#[derive(Serialize)]
struct ParetoChoice {
    model: String,
    best_nrmse: f64,
    best_setting: String,
    cheapest_within_10pct: String,
    cheapest_j_per_token: f64,
    cheapest_nrmse: f64,
    rig_setting_j_per_token: f64,
    rig_setting_nrmse: f64,
    /// 1 − the cheapest setting's J/token ÷ the rig's setting's (negative: the cheapest setting
    /// within 10 % of the best error costs more than the rig's own).
    saving_vs_rig_setting: f64,
}

/// The cheapest setting's J/token against the rig's own setting in words, from the saving
/// (1 − cheapest ÷ rig's): "saves 0.8 %", "costs 0.0014 % more" or "the same", to two
/// significant figures.
fn against_rig_setting(saving: f64) -> String {
    if !saving.is_finite() {
        return "–".into();
    }
    if saving == 0.0 {
        return "the same".into();
    }
    let pct = 100.0 * saving.abs();
    let fig = if pct >= 1e-3 {
        lightloop_rig::units::trim_float(pct, 2)
    } else {
        format!("{pct:.1e}")
    };
    if saving > 0.0 {
        format!("saves {fig} %")
    } else {
        format!("costs {fig} % more")
    }
}

/// One point of the rig grid: the overrides that make it and what the cost model and the
/// readout model make of it.
struct Variant {
    level: usize,
    offset_db: f64,
    bits: u32,
    rig: Rig,
    eval: Evaluation,
    sensing: Sensing,
}

/// The energy–accuracy Pareto front. One rig description is varied along the two settings that
/// move both the energy and the readout: the laser power per channel (the laser's wall-plug draw
/// in the ledger; the photons per sample at the detectors in the readout) and the ADC bits (the
/// conversion energy, at a fixed Walden figure of merit, and the readout's rounding). For each
/// variant the cost model gives J/token of the report's workload with every load counted, and
/// the readout model ([`Sensing::from_rig`] of the variant, no overrides) the held-out NARMA10
/// NRMSE of each reservoir. The loop reservoirs (soa-twin, ternary) are re-simulated at each
/// laser power, since their operating point and in-loop ASE depend on it; esn and delay-mg do
/// not depend on the rig, so their states are collected once. Simplified: the quality is a
/// reservoir proxy, not the trained deep-loop networks; one seed (no spread); the ADC's static
/// power and rate stay at the rig's values.
fn pareto(c: &mut Ctx) -> Result<Section, String> {
    use lightloop_nn::suite::score;
    use rayon::prelude::*;
    // Laser power in dB from the rig's (3 decades in full mode), and ADC bits; the bits are coarse
    // here because the accuracy section sweeps them finely at the rig's photon count, and each
    // point costs one readout fit per model.
    let (offsets, mut bits): (Vec<f64>, Vec<u32>) = if c.s.quick {
        (vec![-24.0, -12.0, 0.0], vec![4, 8])
    } else {
        (vec![-24.0, -16.0, -8.0, 0.0, 6.0], vec![4, 8, 10])
    };
    if !bits.contains(&c.rig.adc.bits) {
        bits.push(c.rig.adc.bits);
        bits.sort_unstable();
    }
    let mut skipped = Vec::new();
    let rig_dbm = c.rig.laser.power.dbm();
    let max_dbm = c.rig.laser.max_power.dbm();
    let mut levels = Vec::new();
    for &off in &offsets {
        if rig_dbm + off > max_dbm + 1e-9 {
            skipped.push(format!(
                "laser power {:.1} dBm: above the laser's maximum of {:.1} dBm",
                rig_dbm + off,
                max_dbm
            ));
        } else {
            levels.push(off);
        }
    }
    // The grid, energy first (the cost model is cheap).
    let mut variants = Vec::new();
    for (level, &offset_db) in levels.iter().enumerate() {
        for &b in &bits {
            let made = c
                .rig_with_grid(offset_db, b)
                .and_then(|r| c.eval(&r, &c.wl).map(|e| (r, e)));
            match made {
                Ok((rig, eval)) => variants.push(Variant {
                    level,
                    offset_db,
                    bits: b,
                    sensing: Sensing::from_rig(&rig, None, None),
                    rig,
                    eval,
                }),
                Err(e) => skipped.push(format!("laser {:+} dB, {b}-bit ADC: {e}", offset_db)),
            }
        }
    }
    // Quality: one job per (laser level, model); the loop models are re-simulated at the level's
    // laser power, the others reuse the shared run. Every setting of one model reads its states
    // with the same noise stream (common random numbers), so differences between settings are
    // the settings' and not the draws'.
    let narma = c.narma()?;
    let seed = c.s.seed;
    let jobs: Vec<(usize, usize)> = (0..levels.len())
        .flat_map(|l| (0..narma.len()).map(move |m| (l, m)))
        .collect();
    let variants = &variants;
    let narma_ref = &narma;
    // (variant, model, NRMSE) of each job's points.
    type Scored = (usize, usize, Result<f64, String>);
    let scored: Vec<Vec<Scored>> = jobs
        .par_iter()
        .map(|&(l, m)| {
            let n = &narma_ref[m];
            let mine: Vec<usize> = (0..variants.len())
                .filter(|&v| variants[v].level == l)
                .collect();
            // Any variant of the level will do for the dynamics: they differ only in the ADC,
            // which acts after the reservoir.
            let own;
            let data = match mine.first() {
                Some(&v) if n.model.noisy_inside() && variants[v].offset_db != 0.0 => {
                    match collect_narma(&variants[v].rig, n.model, n.nodes, seed) {
                        Ok(d) => {
                            own = d;
                            &own
                        }
                        Err(e) => {
                            let e = format!("the reservoir cannot run at this laser power: {e}");
                            return mine.iter().map(|&v| (v, m, Err(e.clone()))).collect();
                        }
                    }
                }
                _ => &n.data,
            };
            mine.iter()
                .map(|&v| {
                    let mut rng = lightloop_base::rng::stream(seed, "report.pareto", m as u64, 0);
                    let r = score(data, &variants[v].sensing, &mut rng)
                        .map_err(|e| e.to_string())
                        .and_then(|sc| sc.nrmse.ok_or_else(|| "no NRMSE".to_string()));
                    (v, m, r)
                })
                .collect()
        })
        .collect();
    let mut rows = Vec::new();
    for (v, m, r) in scored.into_iter().flatten() {
        let x = &variants[v];
        let model = narma[m].model.to_string();
        let nrmse = match r {
            Ok(e) => e,
            Err(e) => {
                skipped.push(format!(
                    "{model} at laser {:+} dB, {}-bit ADC: {e}",
                    x.offset_db, x.bits
                ));
                continue;
            }
        };
        let per_token = &x.eval.per_token;
        rows.push(ParetoRow {
            model,
            laser_power_dbm: (x.rig.laser.power.dbm() * 1e6).round() / 1e6,
            laser_offset_db: x.offset_db,
            adc_bits: x.rig.adc.bits,
            adc_enob: x.rig.adc.enob,
            adc_pj_per_conversion: x.rig.adc.conversion_energy() * 1e12,
            photons_per_sample: x.sensing.photons_per_sample.unwrap_or(f64::NAN),
            j_per_token: x.eval.metrics.j_per_token,
            fj_per_mac: x.eval.metrics.fj_per_mac,
            laser_j_per_token: per_token.get(Item::LaserWallPlug),
            adc_conversion_j_per_token: per_token.get(Item::AdcConversions),
            nrmse,
            on_front: false,
            on_front_all_models: false,
        });
    }
    let all = lightloop_lab::pareto::front(
        &rows
            .iter()
            .map(|r| (r.j_per_token, r.nrmse))
            .collect::<Vec<_>>(),
    );
    for (r, f) in rows.iter_mut().zip(all) {
        r.on_front_all_models = f;
    }
    let models: Vec<String> = narma.iter().map(|n| n.model.to_string()).collect();
    for name in &models {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].model == *name)
            .collect();
        let pts: Vec<(f64, f64)> = idx
            .iter()
            .map(|&i| (rows[i].j_per_token, rows[i].nrmse))
            .collect();
        for (i, f) in idx.iter().zip(lightloop_lab::pareto::front(&pts)) {
            rows[*i].on_front = f;
        }
    }
    let csv = c.csv("pareto.csv", &rows)?;

    // The chart: every point, and each model's front as a line over them.
    let of = |name: &str, front: bool| -> Vec<(f64, f64)> {
        let mut p: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.model == name && (!front || r.on_front))
            .map(|r| (r.j_per_token, r.nrmse))
            .collect();
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        p
    };
    let clouds: Vec<Series> = models
        .iter()
        .map(|m| Series::line(m.clone(), of(m, false)))
        .collect();
    let fronts: Vec<Series> = models
        .iter()
        .map(|m| Series::line(format!("{m} front"), of(m, true)))
        .collect();
    let (jmin, jmax) = rows
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
            (lo.min(r.j_per_token), hi.max(r.j_per_token))
        });
    // A logarithmic energy axis where the grid spans a wide range; a narrow span (static loads
    // dominating) would sit in a sliver of a log axis with no tick inside it.
    let log_x = jmax / jmin >= 3.0;
    let svg = chart::scatter(
        &Axes {
            title: "Energy per token against reservoir NARMA10 error".into(),
            x_label: "J per token (all energy)".into(),
            y_label: "NRMSE (held-out)".into(),
            log_x,
            log_y: false,
        },
        &clouds,
        &fronts,
    )?;

    // The cheapest setting within 10 % of each model's best error, and the rig's own setting.
    let setting = |r: &ParetoRow| {
        format!(
            "{:.1} dBm ({:+} dB), {}-bit ADC",
            r.laser_power_dbm, r.laser_offset_db, r.adc_bits
        )
    };
    let rig_bits = c.rig.adc.bits;
    let mut choices = Vec::new();
    for name in &models {
        let mine: Vec<&ParetoRow> = rows.iter().filter(|r| r.model == *name).collect();
        let Some(best) = mine.iter().min_by(|a, b| a.nrmse.total_cmp(&b.nrmse)) else {
            continue;
        };
        let Some(cheap) = mine
            .iter()
            .filter(|r| r.nrmse <= 1.1 * best.nrmse)
            .min_by(|a, b| {
                a.j_per_token
                    .total_cmp(&b.j_per_token)
                    .then(a.nrmse.total_cmp(&b.nrmse))
            })
        else {
            continue;
        };
        let own = mine
            .iter()
            .find(|r| r.laser_offset_db == 0.0 && r.adc_bits == rig_bits);
        choices.push(ParetoChoice {
            model: name.clone(),
            best_nrmse: best.nrmse,
            best_setting: setting(best),
            cheapest_within_10pct: setting(cheap),
            cheapest_j_per_token: cheap.j_per_token,
            cheapest_nrmse: cheap.nrmse,
            rig_setting_j_per_token: own.map_or(f64::NAN, |r| r.j_per_token),
            rig_setting_nrmse: own.map_or(f64::NAN, |r| r.nrmse),
            saving_vs_rig_setting: own
                .map_or(f64::NAN, |r| 1.0 - cheap.j_per_token / r.j_per_token),
        });
    }
    let choice_csv = c.csv("pareto_choices.csv", &choices)?;
    let table = Table {
        head: [
            "model",
            "best NRMSE",
            "at",
            "cheapest within 10 % of the best",
            "its J/token",
            "its NRMSE",
            "rig's setting: J/token",
            "rig's setting: NRMSE",
            "its J/token against the rig's setting",
        ]
        .map(String::from)
        .to_vec(),
        rows: choices
            .iter()
            .map(|r| {
                vec![
                    r.model.clone(),
                    sci(r.best_nrmse),
                    r.best_setting.clone(),
                    r.cheapest_within_10pct.clone(),
                    sci(r.cheapest_j_per_token),
                    sci(r.cheapest_nrmse),
                    sci(r.rig_setting_j_per_token),
                    sci(r.rig_setting_nrmse),
                    against_rig_setting(r.saving_vs_rig_setting),
                ]
            })
            .collect(),
        csv: choice_csv,
    };

    // What moves the energy, in numbers.
    let base = c.eval(&c.rig, &c.wl)?;
    let total = base.per_token.total();
    let share = |j: f64| 100.0 * j / total;
    let mut cats: Vec<(Category, f64)> = Category::ALL
        .iter()
        .map(|k| (*k, base.per_token.category(*k)))
        .collect();
    cats.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (pmin, pmax) = variants
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            let p = v.sensing.photons_per_sample.unwrap_or(f64::NAN);
            (lo.min(p), hi.max(p))
        });
    let dbm: Vec<String> = levels
        .iter()
        .map(|o| format!("{:.1}", rig_dbm + o))
        .collect();
    let bit_list: Vec<String> = bits.iter().map(u32::to_string).collect();
    let mut text = vec![
        format!(
            "One rig description, varied along the two settings that set both the energy and the \
             readout: the laser power per channel ({} dBm; the rig's is {:.1} dBm) and the ADC \
             ({} bits, ENOB = bits − the rig's shortfall of {:.2}). Each variant's J/token for {} \
             comes from the cost model with every load counted; its error is the held-out NARMA10 \
             NRMSE of each reservoir read out through that variant's receiver ({} to {} photons \
             per sample).",
            dbm.join(", "),
            rig_dbm,
            bit_list.join(", "),
            c.rig.adc.bits as f64 - c.rig.adc.enob,
            c.wl.workload.name,
            sci(pmin),
            sci(pmax)
        ),
        format!(
            "At the rig's own setting the laser's wall-plug draw is {} % of the energy per token \
             and the ADC conversions {} %; the largest loads are {} ({:.0} %), {} ({:.0} %) and \
             {} ({:.0} %), which the grid does not touch. J/token spans {} to {} J across the \
             grid ({:+.1} %){}",
            sci(share(base.per_token.get(Item::LaserWallPlug))),
            sci(share(base.per_token.get(Item::AdcConversions))),
            cats[0].0.label(),
            share(cats[0].1),
            cats[1].0.label(),
            share(cats[1].1),
            cats[2].0.label(),
            share(cats[2].1),
            sci(jmin),
            sci(jmax),
            100.0 * (jmax / jmin - 1.0),
            if jmax / jmin < 1.1 {
                ": on this rig readout quality costs little energy, and the front is set mostly by \
                 where the error stops improving."
            } else {
                "."
            }
        ),
        "Simplifications: the ADC's energy per conversion is the rig's scaled as 2^ENOB (a fixed \
         Walden figure of merit); its static power and rate stay the rig's. The loop reservoirs \
         (soa-twin, ternary) are re-simulated at each laser power, since their operating point and \
         in-loop ASE follow it; esn and delay-mg do not depend on the rig. Quality is a reservoir \
         NARMA10 proxy, not the trained deep-loop networks, which are not in the report yet; one \
         seed, so NRMSE differences of a few per cent between settings are within the spread \
         `lightloop reservoir suite` shows over seeds."
            .to_string(),
    ];
    // What the ADC bits cost, at the rig's laser power.
    let at_rig_power: Vec<&Variant> = variants.iter().filter(|v| v.offset_db == 0.0).collect();
    let by_bits = |pick: fn(u32, u32) -> bool| {
        at_rig_power
            .iter()
            .copied()
            .reduce(|a, b| if pick(b.bits, a.bits) { b } else { a })
    };
    if let (Some(lo), Some(hi)) = (by_bits(|b, a| b < a), by_bits(|b, a| b > a))
        && hi.bits > lo.bits
    {
        let (el, eh) = (&lo.eval.per_token, &hi.eval.per_token);
        let dj = hi.eval.metrics.j_per_token - lo.eval.metrics.j_per_token;
        let conv = eh.get(Item::AdcConversions) - el.get(Item::AdcConversions);
        let traffic = eh.category(Category::MemoryTraffic) - el.category(Category::MemoryTraffic);
        text.insert(
            2,
            format!(
                "From a {}-bit to a {}-bit ADC at the rig's laser power, J/token rises by {} J ({} %): \
                 {} J in the conversions themselves, {} J in memory and link traffic, and the other \
                 {} J is the static draw over a step {} longer (more bits per value to move over the \
                 host link).",
                lo.bits,
                hi.bits,
                sci(dj),
                sci(100.0 * dj / lo.eval.metrics.j_per_token),
                sci(conv),
                sci(traffic),
                sci(dj - conv - traffic),
                lightloop_rig::units::format_si(
                    hi.eval.metrics.step_time - lo.eval.metrics.step_time,
                    "s",
                    3
                ),
            ),
        );
    }
    // Loop reservoirs that get worse at the strongest laser power: their node values are fields
    // in units of the laser power, so more power moves their operating point into saturation.
    let top = levels.len().checked_sub(1);
    let worse: Vec<String> = narma
        .iter()
        .filter(|n| n.model.noisy_inside())
        .filter_map(|n| {
            let name = n.model.to_string();
            let best = |only_top: bool| {
                rows.iter()
                    .filter(|r| r.model == name)
                    .filter(|r| !only_top || Some(r.laser_offset_db) == top.map(|t| levels[t]))
                    .map(|r| r.nrmse)
                    .fold(f64::INFINITY, f64::min)
            };
            let (at_top, overall) = (best(true), best(false));
            (at_top.is_finite() && at_top > 1.1 * overall)
                .then(|| format!("{name} ({} against {} at best)", sci(at_top), sci(overall)))
        })
        .collect();
    if !worse.is_empty() {
        text.push(format!(
            "At the strongest laser power the re-simulated loop reservoir{} worse: {}. The loop's \
             node values are optical fields in units of the laser power while the absorber and SOA \
             saturate at fixed powers, so more light moves its operating point deeper into \
             saturation, with the reservoir's settings (input scaling, bias, loop gain) kept the \
             same at every power.",
            if worse.len() > 1 { "s are" } else { " is" },
            worse.join(", ")
        ));
    }
    if c.rig.readout.kind == lightloop_rig::rig::ReadoutKind::Comparator {
        text.push(
            "The rig reads out through comparators, so the ADC bits change the readout model here \
             but not the cost model's readout energy."
                .into(),
        );
    }
    let fig = c.figure(
        svg,
        &format!(
            "Held-out NARMA10 NRMSE of each reservoir ({} nodes) against J/token of {} ({}), over \
             a grid of laser power per channel ({} dBm) × ADC bits ({}); open circles are \
             every grid point, each line joins the points on that model's Pareto front (no other \
             point of the model is both as cheap and as accurate). The photons per sample follow \
             the laser power through the rig's path loss; the ADC's energy per conversion scales as \
             2^ENOB; the loop reservoirs are re-simulated at each laser power. The error is a \
             reservoir proxy, not the trained deep-loop networks.",
            narma.first().map_or(0, |n| n.nodes),
            c.wl.workload.name,
            if log_x {
                "logarithmic axis".to_string()
            } else {
                format!(
                    "linear axis: the grid moves J/token by only {} %",
                    sci(100.0 * (jmax / jmin - 1.0))
                )
            },
            dbm.join(", "),
            bit_list.join(", ")
        ),
        &csv,
    );
    Ok(Section {
        id: "pareto",
        title: "Energy–accuracy Pareto front",
        text,
        tables: vec![table],
        figures: vec![fig],
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One convention for the cheapest setting against the rig's: a saving or a cost, in words,
    /// never a negative saving; two significant figures.
    /// The physics section's error-model text of a rig with impairments lists each one and
    /// names the limit, as the `noise` command does; a rig without them gets no such paragraph.
    #[test]
    fn the_physics_text_lists_the_impairments() {
        let text = |name: &str| {
            let rig = lightloop_rig::load_rig(name, &[]).unwrap().value;
            let wl = lightloop_rig::load_workload("deep-loop-2048", &[])
                .unwrap()
                .value;
            let s = Settings {
                rig: rig.clone(),
                workload: wl.clone(),
                gpus: vec![],
                seed: 1,
                quick: true,
                provenance: vec![],
            };
            let c = Ctx {
                s: &s,
                rig,
                wl,
                gpus: vec![],
                csvs: vec![],
                basis: String::new(),
                verdict: None,
                figure_names: vec![],
                narma: None,
            };
            regeneration_text(&c).unwrap().join("\n")
        };
        let t = text("seed-mdm-3");
        for needle in [
            "Impairments of the multi-lane loop",
            "lane gain (tilt and ripple)",
            "chromatic dispersion",
            "mode crosstalk (",
            "Mode crosstalk limits the loop",
            "Mode-division multiplexing: 3 modes × 32 WDM lanes = 96 lanes",
        ] {
            assert!(t.contains(needle), "{needle} missing: {t}");
        }
        assert!(!text("seed-16ch").contains("Impairments"));
    }

    #[test]
    fn the_rig_setting_comparison_says_saves_or_costs_more() {
        assert_eq!(against_rig_setting(-1.413e-5), "costs 0.0014 % more");
        assert_eq!(against_rig_setting(0.007953582606182397), "saves 0.8 %");
        assert_eq!(against_rig_setting(0.1234), "saves 12 %");
        assert_eq!(against_rig_setting(-2e-9), "costs 2.0e-7 % more");
        assert_eq!(against_rig_setting(0.0), "the same");
        assert_eq!(against_rig_setting(f64::NAN), "–");
    }
}

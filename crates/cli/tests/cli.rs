//! The `lightloop` binary end to end: outputs, exit codes and messages, sweeps killed and resumed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lightloop"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The standard output of a run that succeeded and printed each of `needles`.
fn printed(o: &Output, needles: &[&str]) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    let text = stdout(o);
    for needle in needles {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    text
}

/// Checks that a run was refused as bad input (exit status 2) with `needle` in its error.
fn refused(o: &Output, needle: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{needle}: {err}");
    assert!(err.contains(needle), "{needle} missing:\n{err}");
    err
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stdout(&o)))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lightloop-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn presets_list_and_show() {
    let o = run(&["presets"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for name in [
        "seed-16ch (default)",
        "tier-d-1024",
        "llama-3-70b",
        "moe-8k-a37b",
        "b200",
    ] {
        assert!(out.contains(name), "missing {name}:\n{out}");
    }
    let o = run(&["presets", "show", "seed-16ch"]);
    assert_eq!(
        stdout(&o),
        include_str!("../../../presets/rigs/seed-16ch.toml")
    );
    let o = run(&["presets", "show", "seed-16"]);
    refused(&o, "did you mean `seed-16ch`");
}

#[test]
fn energy_json_names_its_inputs_and_balances() {
    let v = json(&["energy", "--json"]);
    assert_eq!(v["inputs"]["rig"], "seed-16ch");
    assert_eq!(v["inputs"]["workload"], "deep-loop-2048");
    let m = &v["evaluation"]["metrics"];
    let j = m["j_per_token"].as_f64().unwrap();
    assert!(j > 0.0);
    let sum: f64 = v["evaluation"]["per_token"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["joules"].as_f64().unwrap())
        .sum();
    assert!((sum / j - 1.0).abs() < 1e-9, "{sum} vs {j}");
}

#[test]
fn overrides_change_the_result() {
    let base = json(&["throughput", "--json"]);
    let lanes = json(&[
        "throughput",
        "--json",
        "--set",
        "topology.wdm_lanes=2",
        "--set",
        "run.batch=2",
    ]);
    let r0 = base["tokens_per_s"].as_f64().unwrap();
    let r2 = lanes["tokens_per_s"].as_f64().unwrap();
    assert!(r2 > 1.9 * r0, "{r0} → {r2}");
}

#[test]
fn text_reports_show_their_sections() {
    let o = run(&["energy"]);
    let out = stdout(&o);
    for s in [
        "E/O conversion",
        "lasers (wall-plug, static)",
        "TOPS/W",
        "model: analytic",
    ] {
        assert!(out.contains(s), "energy lacks {s}:\n{out}");
    }
    let out = stdout(&run(&["throughput", "-w", "llama-3-8b"]));
    for s in [
        "channels 16 × readout width 16 = 256",
        "time to first token",
        "host↔core link",
    ] {
        assert!(out.contains(s), "throughput lacks {s}:\n{out}");
    }
    let out = stdout(&run(&["noise"]));
    for s in [
        "photons per sample",
        "quantisation",
        "effective bits",
        "(equal-spacing model)",
        "(compressed levels)",
        "the loop does not restore zero: slope 1.18 at 0",
        "passes until SER > target",
        "linear ASE growth alone",
    ] {
        assert!(out.contains(s), "noise lacks {s}:\n{out}");
    }
    // The JSON carries the decision, its passes following the drift of the unrestored zero.
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["noise", "--json", "--target-ser", "1e-9"]))).unwrap();
    let d = &v["decision"];
    assert_eq!(d["target_ser"], 1e-9);
    assert_eq!(d["regeneration"]["levels"][1]["restored"], false);
    let drift = &d["regeneration"]["zero_drift"];
    let k = drift["passes_to_target"].as_u64().unwrap();
    assert!(drift["error_rate"][k as usize].as_f64().unwrap() > 1e-9);
    assert!(drift["error_rate"][k as usize - 1].as_f64().unwrap() <= 1e-9);
    assert!(
        d["received_power_for_target_w"].as_f64().unwrap()
            > d["equal_spacing_received_power_for_target_w"]
                .as_f64()
                .unwrap()
    );
    for bad in ["0", "0.7", "nan"] {
        let o = run(&["noise", "--target-ser", bad]);
        assert_eq!(o.status.code(), Some(2), "--target-ser {bad}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("--target-ser"));
    }
    let out = stdout(&run(&["compare", "-w", "llama-3-8b"]));
    for s in [
        "H100 SXM",
        "H200 SXM",
        "B200",
        "Verdict: seed-16ch uses",
        "energy per token, rig ÷ GPU",
        "any one of these changes would do",
        "serving model",
        "TP1",
    ] {
        assert!(out.contains(s), "compare lacks {s}:\n{out}");
    }
    let out = stdout(&run(&["audit"]));
    for s in ["tokens-16ch-d2048", "NOT reproduced", "16384 slots"] {
        assert!(out.contains(s), "audit lacks {s}:\n{out}");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let mut child = bin()
        .args(["audit"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe while the audit is still writing.
    let mut out = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut byte).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn compare_and_audit_json() {
    let v = json(&["compare", "--json", "--gpu", "h100-sxm"]);
    assert_eq!(v["gpus"].as_array().unwrap().len(), 1);
    let g = &v["gpus"][0]["evaluation"];
    assert!(g["gpu_power"].as_f64().unwrap() <= 700.0);
    assert!(g["j_per_token"].as_f64().unwrap() > 0.0);
    assert!(v["gpu_model"].as_str().unwrap().contains("serving model"));
    let v = json(&["audit", "--json"]);
    let claims = v["claims"].as_array().unwrap();
    assert!(claims.len() >= 12);
    let row = claims
        .iter()
        .find(|c| c["id"] == "tokens-16ch-d2048")
        .unwrap();
    assert_eq!(row["status"], "reproduced");
}

/// The issue's example: a 1 T MoE on the seed rig, H100 and B200, each option with devices,
/// power at the wall, cost per million tokens and whether the targets are met or what binds.
#[test]
fn fleet_sizes_a_trillion_parameter_moe() {
    let o = run(&[
        "fleet",
        "--model",
        "moe-1t",
        "--rig",
        "seed-16ch",
        "--gpu",
        "h100-sxm,b200",
    ]);
    let out = printed(
        &o,
        &[
            "Verdict:",
            "H100 SXM",
            "B200",
            "seed-16ch",
            "power at the wall, busiest hour",
            "cost per million tokens",
            "targets met",
            "misses the targets",
        ],
    );
    assert!(out.contains("GPUs"), "{out}");
    let v = json(&[
        "fleet",
        "--model",
        "moe-1t",
        "--rig",
        "seed-16ch",
        "--gpu",
        "h100-sxm,b200",
        "--json",
    ]);
    let options = v["answer"]["options"].as_array().unwrap();
    assert_eq!(options.len(), 3);
    for o in options {
        let shown = if o["chosen"].is_null() {
            &o["closest"]
        } else {
            &o["chosen"]
        };
        assert!(shown["devices"].as_u64().unwrap() >= 1);
        assert!(shown["power"]["wall_busy"].as_f64().unwrap() > 0.0);
        assert!(shown["cost"]["usd_per_m_tokens"].as_f64().unwrap() > 0.0);
        assert_eq!(o["chosen"].is_null(), !o["binding"].is_null(), "{o}");
    }
    // The rig cannot meet 80 ms per token; its binding constraint says so.
    assert!(
        options[2]["binding"]
            .as_str()
            .unwrap()
            .contains("time per output token")
    );
    assert!(v["verdict"].as_str().unwrap().contains("cheapest"));

    let o = run(&[
        "fleet",
        "--set",
        "traffic.requests_per_s=-5",
        "--set",
        "facility.pue=0.5",
    ]);
    let err = refused(&o, "traffic.requests_per_s");
    assert!(err.contains("facility.pue"), "both problems at once: {err}");
    let o = run(&["fleet", "--gpu", "no-such-gpu"]);
    refused(&o, "no-such-gpu");
}

#[test]
fn gpu_validate_and_serve() {
    let v = json(&["gpu", "validate", "--json"]);
    let val = &v["validation"];
    assert!(val["held_out_points"].as_u64().unwrap() >= 10);
    assert!(
        val["held_out_error"].as_f64().unwrap() <= v["target_held_out_error"].as_f64().unwrap()
    );
    for r in val["rows"].as_array().unwrap() {
        assert!(!r["point"]["source"].as_str().unwrap().is_empty());
    }
    let o = run(&["gpu", "validate"]);
    printed(
        &o,
        &[
            "Held-out error",
            "within the 15 % target",
            "MLPerf Inference",
        ],
    );
    let s = json(&[
        "gpu",
        "serve",
        "-w",
        "llama-3-70b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "2",
        "--set",
        "run.batch=64",
        "--json",
    ]);
    assert!(s["gpu_power"].as_f64().unwrap() <= 700.0);
    let o = run(&["gpu", "serve", "-w", "llama-3-70b", "--tp", "3"]);
    refused(&o, "does not divide 64 heads");
}

#[test]
fn bad_rig_file_names_file_line_and_key() {
    let dir = tmp("bad");
    let path = dir.join("my-rig.toml");
    let text = include_str!("../../../presets/rigs/seed-16ch.toml")
        .replace("rin = \"-150 dB/Hz\"", "rim = \"-150 dB/Hz\"");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().position(|l| l.starts_with("rim")).unwrap() + 1;
    let o = run(&["energy", "--rig", path.to_str().unwrap()]);
    refused(&o, &format!("my-rig.toml:{line}:1: key `laser.rim`"));
    assert!(stdout(&o).is_empty(), "nothing on stdout for a failure");

    let o = run(&["energy", "--set", "laser.power=-3 mW"]);
    refused(&o, "--set laser.power");

    let o = run(&[
        "energy",
        "--set",
        "topology.channels=24",
        "--set",
        "weights.capacity=512",
    ]);
    refused(&o, "preset deep-loop-2048");
    assert!(
        stderr(&o).contains("does not divide into"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_reports_all_files() {
    let dir = tmp("validate");
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "extends = \"seed-16ch\"\n[laser]\npower = \"12 dBm\"\n",
    )
    .unwrap();
    let wl = dir.join("wl.toml");
    std::fs::write(&wl, "extends = \"llama-3-8b\"\n[run]\nbatch = 8\n").unwrap();
    let o = run(&["validate", good.to_str().unwrap(), wl.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("a valid rig") && stdout(&o).contains("a valid workload"));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "extends = \"seed-16ch\"\n[laser]\npower = \"12\"\n").unwrap();
    let o = run(&["validate", good.to_str().unwrap(), bad.to_str().unwrap()]);
    refused(&o, "bad.toml:3:9: key `laser.power`");
}

fn sweep_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "sweep",
        "--vary",
        "run.batch=lin:1..400:400",
        "--vary",
        "laser.power=log:1 mW..100 mW:10",
        "--quiet",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push(out.to_str().unwrap().to_string());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[test]
fn sweep_killed_mid_run_resumes_without_lost_or_duplicated_rows() {
    let dir = tmp("kill");
    let reference = dir.join("reference.csv");
    let o = bin()
        .args(sweep_args(&reference, &["--threads", "1"]))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    let out = dir.join("killed.csv");
    let partial = dir.join("killed.csv.partial");
    let mut child = bin()
        .args(sweep_args(&out, &[]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some rows are on disk.
    let start = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&partial)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if lines > 50 || start.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.exists(),
        "the sweep finished before it was killed; make the grid larger"
    );
    assert!(partial.exists(), "a killed sweep leaves its partial file");
    let o = bin().args(sweep_args(&out, &[])).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!partial.exists());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&reference).unwrap(),
        "resumed output differs from an uninterrupted single-thread run"
    );
}

fn sweep_jsonl_args(out: &Path) -> Vec<String> {
    [
        "sweep",
        "--vary",
        "topology.channels=8,16,24",
        "--vary",
        "topology.readout_width=16",
        "--gpu",
        "h100-sxm",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.display().to_string()])
    .collect()
}

#[test]
fn sweep_jsonl_rows_parse_and_errors_get_rows() {
    let dir = tmp("jsonl");
    let out = dir.join("s.jsonl");
    let args = sweep_jsonl_args(&out);
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    // The error row is counted as such.
    assert!(
        stderr(&o).contains("3 of 3 points written")
            && stderr(&o).contains("1 of them is an error")
            && stderr(&o).contains("2 with figures"),
        "{}",
        stderr(&o)
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["j_per_token"].as_f64().unwrap() > 0.0);
    // One ratio convention: the rig's figure over the GPU's.
    let ratio = rows[0]["energy_ratio_rig_to_gpu"].as_f64().unwrap();
    let (rig, gpu) = (
        rows[0]["j_per_token"].as_f64().unwrap(),
        rows[0]["gpu_j_per_token"].as_f64().unwrap(),
    );
    assert!(
        (ratio / (rig / gpu) - 1.0).abs() < 1e-12,
        "{ratio} vs {rig}/{gpu}"
    );
    // --json says the same as the closing line.
    let mut again = sweep_jsonl_args(&out);
    again.extend(["--force".to_string(), "--json".to_string()]);
    let o = run(&again.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (
            &summary["written"],
            &summary["errors"],
            &summary["with_figures"],
            &summary["finished"]
        ),
        (
            &serde_json::json!(3),
            &serde_json::json!(1),
            &serde_json::json!(2),
            &serde_json::json!(true)
        )
    );
    // 24 channels do not divide d_model 2048: the row says why, with empty metrics.
    assert!(rows[2]["j_per_token"].is_null());
    assert!(
        rows[2]["error"]
            .as_str()
            .unwrap()
            .contains("does not divide"),
        "{}",
        rows[2]["error"]
    );
}

#[test]
fn sweep_refuses_bad_axes_and_existing_output() {
    let dir = tmp("refuse");
    let out = dir.join("s.csv");
    let o = run(&[
        "sweep",
        "--vary",
        "laser.powr=1 mW",
        "--out",
        out.to_str().unwrap(),
    ]);
    refused(&o, "did you mean `power`");
    assert!(
        !out.exists() && !dir.join("s.csv.partial").exists(),
        "nothing written for a bad sweep"
    );
    let o = run(&[
        "sweep",
        "--vary",
        "run.batch=1,2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let o = run(&[
        "sweep",
        "--vary",
        "run.batch=1,2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    refused(&o, "--force");
    // A partial file of another sweep is not silently mixed in.
    std::fs::remove_file(&out).unwrap();
    let o = bin()
        .args([
            "sweep",
            "--vary",
            "run.batch=1,2,3",
            "--quiet",
            "--stop-after",
            "1",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = run(&[
        "sweep",
        "--vary",
        "run.batch=4,5,6",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    refused(&o, "different sweep");
}

#[test]
fn test_plan_writes_every_file_and_refuses_a_foreign_folder() {
    let dir = tmp("test-plan");
    let out = dir.join("plan");
    let o = run(&["test-plan", "--quick", "--out", out.to_str().unwrap()]);
    printed(
        &o,
        &[
            "Symbol- and bit-error rate",
            "Loop depth",
            "Return map",
            "Crosstalk matrix",
            "re-centring",
            "Faults",
            "Energy ledger",
        ],
    );
    for f in [
        "ber_vs_power.csv",
        "ber_vs_slot_time.csv",
        "snr_vs_passes.csv",
        "return_map.csv",
        "crosstalk.csv",
        "recentring.csv",
        "faults.csv",
        "loop_ledger.csv",
    ] {
        let mut r = csv::Reader::from_path(out.join(f)).unwrap();
        let width = r.headers().unwrap().len();
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert!(rows.len() >= 2, "{f} has rows");
        assert!(rows.iter().all(|x| x.len() == width), "{f}");
    }
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("test_plan.json")).unwrap())
            .unwrap();
    assert_eq!(plan["rig"], "seed-16ch");
    assert_eq!(plan["ber_vs_power"].as_array().unwrap().len(), 7);
    assert!(!out.with_extension("partial").exists());
    // Rerunning replaces its own output; a folder of other files is refused.
    let o = run(&["test-plan", "--quick", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let foreign = dir.join("mine");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "keep").unwrap();
    let o = run(&["test-plan", "--quick", "--out", foreign.to_str().unwrap()]);
    refused(&o, "not an output folder");
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn simulate_counts_errors_and_traces_symbols() {
    let dir = tmp("simulate");
    let trace = dir.join("trace.csv");
    let v = json(&[
        "simulate",
        "--power",
        "-25 dBm",
        "--symbols",
        "5000",
        "--trace",
        trace.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["symbols"]["trials"], 5000);
    assert!(v["symbols"]["errors"].as_u64().unwrap() > 0);
    assert!(v["ledger"].as_array().unwrap().len() >= 3);
    let csv = std::fs::read_to_string(&trace).unwrap();
    assert!(csv.starts_with("index,sent,readout_v,decided"));
    assert_eq!(csv.lines().count(), 5001);
    // Bad powers are refused with the flag named.
    for bad in ["-25", "0 mW", "-1 mW", "NaN mW"] {
        let o = run(&["simulate", "--power", bad, "--symbols", "10"]);
        refused(&o, "--power");
    }
}

/// `simulate --estimator importance` at the seed rig's 10⁻¹² power prints the rate with its
/// interval and names the estimator; auto names its choice; brute-force-only options are
/// refused with importance sampling, and the JSON carries the estimator of each figure.
#[test]
fn simulate_estimates_rare_error_rates() {
    let o = run(&[
        "simulate",
        "--power",
        "-18.8 dBm",
        "--symbols",
        "40000",
        "--estimator",
        "importance",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("importance sampling"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("symbol-error rate"))
        .unwrap_or_else(|| panic!("{text}"));
    // `1.02e-12 [8.1e-13, 1.2e-12]`: a rate between 10⁻¹³ and 10⁻¹¹ with its interval.
    let rate: f64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!((1e-13..1e-11).contains(&rate), "{line}");
    assert!(
        line.contains('[') && line.contains("95 % interval"),
        "{line}"
    );
    let v = json(&[
        "simulate",
        "--power",
        "-18.8 dBm",
        "--symbols",
        "20000",
        "--estimator",
        "auto",
        "--json",
    ]);
    assert_eq!(v["estimator"], "importance");
    assert_eq!(v["symbol_error_rate"]["estimator"], "importance");
    let r = v["symbol_error_rate"]["rate"].as_f64().unwrap();
    let (lo, hi) = (
        v["symbol_error_rate"]["low"].as_f64().unwrap(),
        v["symbol_error_rate"]["high"].as_f64().unwrap(),
    );
    assert!(lo < r && r < hi && r > 0.0, "{v}");
    let brute = json(&[
        "simulate",
        "--power",
        "-25 dBm",
        "--symbols",
        "3000",
        "--json",
    ]);
    assert_eq!(brute["estimator"], "brute");
    let o = run(&[
        "simulate",
        "--estimator",
        "importance",
        "--trace",
        "t.csv",
        "--symbols",
        "100",
    ]);
    refused(&o, "brute force only");
    let o = run(&["simulate", "--estimator", "importance", "--pilot", "1"]);
    refused(&o, "pilot");
}

/// `test-plan --estimator importance` adds the error rates vs power by importance sampling:
/// one row per power of the count, the estimator named, and at −20 dBm (where the quick count
/// sees an error or none in 20 000 symbols) a rate between 10⁻⁹ and 10⁻⁵ with its interval.
#[test]
fn test_plan_estimates_rare_error_rates() {
    let dir = tmp("test-plan-rare");
    let out = dir.join("plan");
    let o = run(&[
        "test-plan",
        "--quick",
        "--estimator",
        "importance",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("by importance sampling"),
        "{}",
        stdout(&o)
    );
    let csv = std::fs::read_to_string(out.join("ser_vs_power_rare.csv")).unwrap();
    let count = std::fs::read_to_string(out.join("ber_vs_power.csv")).unwrap();
    assert_eq!(csv.lines().count(), count.lines().count());
    let row = csv
        .lines()
        .find(|l| l.starts_with("-20.0,"))
        .unwrap_or_else(|| panic!("{csv}"));
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells[2], "importance");
    let (ser, low, high): (f64, f64, f64) = (
        cells[3].parse().unwrap(),
        cells[4].parse().unwrap(),
        cells[5].parse().unwrap(),
    );
    assert!(
        (1e-9..1e-5).contains(&ser) && low < ser && ser < high,
        "{row}"
    );
}

#[test]
fn test_plan_on_a_rig_without_a_loop_says_so() {
    let dir = tmp("test-plan-no-loop");
    let out = dir.join("plan");
    let o = run(&[
        "test-plan",
        "--quick",
        "-r",
        "tier-a-1024",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("no analog loop to measure"),
        "{}",
        stdout(&o)
    );
    assert!(out.join("ber_vs_power.csv").exists());
    assert!(!out.join("snr_vs_passes.csv").exists());
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("test_plan.json")).unwrap())
            .unwrap();
    assert!(plan["depth"].is_null() && plan["return_map"].is_null());
}

#[test]
fn report_is_one_offline_page_with_the_csv_behind_every_plot() {
    let dir = tmp("report");
    let out = dir.join("rep");
    let o = run(&[
        "report",
        "--quick",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // --json lists what was written: every figure's SVG, PDF and CSV exist.
    let written: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        written["verdict"]
            .as_str()
            .unwrap()
            .starts_with("seed-16ch uses")
    );
    let figures: Vec<&serde_json::Value> = written["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["figures"].as_array().unwrap())
        .collect();
    assert!(figures.len() >= 8, "{} figures", figures.len());
    for f in &figures {
        for kind in ["svg", "pdf", "csv"] {
            let path = f[kind].as_str().unwrap();
            assert!(Path::new(path).is_file(), "{path} missing");
        }
        let pdf = std::fs::read(f["pdf"].as_str().unwrap()).unwrap();
        assert!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF\n"));
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in [
        "headline",
        "audit",
        "energy-per-mac",
        "workloads",
        "timing",
        "ledger",
        "physics",
        "accuracy",
        "pareto",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing"
        );
    }
    // Self-contained: no scripts, stylesheets or images fetched from anywhere.
    for remote in ["<script", "src=\"http", "href=\"http", "<img", "<link"] {
        assert!(!html.contains(remote), "the page loads {remote}");
    }
    let svgs = html.matches("<svg").count();
    assert!(svgs >= 8, "{svgs} plots");
    // Every figure and table links a CSV that exists and parses with rows of equal width.
    let linked: std::collections::BTreeSet<&str> = html
        .split("href=\"csv/")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(linked.len() >= 7, "{linked:?}");
    for f in &linked {
        let mut r = csv::Reader::from_path(out.join("csv").join(f)).unwrap();
        let width = r.headers().unwrap().len();
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert!(!rows.is_empty(), "{f} is empty");
        assert!(rows.iter().all(|x| x.len() == width), "{f}");
    }
    // Each plot's caption names its rig and seed.
    assert_eq!(
        html.matches("Rig: seed-16ch; workload: deep-loop-2048; seed 1; quick mode.")
            .count(),
        html.matches("<figcaption>").count()
    );
    assert!(!out.with_extension("partial").exists());
    // The accuracy plots carry the linear baseline beside the reservoirs, read out through the
    // same noisy receiver: starved of photons it predicts little better than the mean.
    let mut r = csv::Reader::from_path(out.join("csv").join("accuracy_vs_readout.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let at = |name: &str| head.iter().position(|c| c == name).unwrap();
    let (model, photons, nrmse) = (at("model"), at("photons_per_sample"), at("nrmse"));
    let baseline: Vec<(f64, f64)> = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| &x[model] == "linear" && &x[at("sweep")] == "photons")
        .map(|x| (x[photons].parse().unwrap(), x[nrmse].parse().unwrap()))
        .collect();
    assert!(
        !baseline.is_empty(),
        "no linear baseline in the accuracy CSV"
    );
    let darkest = baseline.iter().min_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
    assert!(darkest.1 > 0.8, "{baseline:?}");
    // The energy–accuracy front, re-checked from the CSV's own numbers: some point is on each
    // model's front, the flags match the definition (a point is on its model's front exactly when
    // no point of that model is as cheap and as accurate and strictly better in one), and the
    // energy rises with the laser power and with the ADC bits.
    let mut r = csv::Reader::from_path(out.join("csv").join("pareto.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |name: &str| {
        head.iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("pareto.csv has no column {name}: {head:?}"))
    };
    let cols = [
        "model",
        "laser_power_dbm",
        "adc_bits",
        "j_per_token",
        "nrmse",
        "on_front",
        "on_front_all_models",
    ]
    .map(col);
    struct P {
        model: String,
        dbm: f64,
        bits: f64,
        j: f64,
        e: f64,
        front: bool,
        front_all: bool,
    }
    let points: Vec<P> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            let num = |i: usize| x[cols[i]].parse::<f64>().unwrap();
            P {
                model: x[cols[0]].to_string(),
                dbm: num(1),
                bits: num(2),
                j: num(3),
                e: num(4),
                front: &x[cols[5]] == "true",
                front_all: &x[cols[6]] == "true",
            }
        })
        .collect();
    let dominates = |b: &P, a: &P| b.j <= a.j && b.e <= a.e && (b.j < a.j || b.e < a.e);
    for model in ["esn", "delay-mg", "soa-twin", "ternary"] {
        assert!(
            points.iter().any(|p| p.model == model && p.front),
            "no {model} point on the front"
        );
    }
    for a in &points {
        let beaten = points.iter().any(|b| b.model == a.model && dominates(b, a));
        assert_eq!(
            a.front, !beaten,
            "{} at {} dBm, {} bits",
            a.model, a.dbm, a.bits
        );
        let beaten_all = points.iter().any(|b| dominates(b, a));
        assert_eq!(a.front_all, !beaten_all, "{} at {} dBm", a.model, a.dbm);
        for b in points.iter().filter(|b| b.model == a.model) {
            if (b.bits == a.bits && b.dbm > a.dbm) || (b.dbm == a.dbm && b.bits > a.bits) {
                assert!(
                    b.j > a.j,
                    "more light or bits cost no energy: {} dBm",
                    b.dbm
                );
            }
        }
    }
    assert!(points.iter().any(|p| p.front_all));
    // A bad override is refused before anything is written.
    let bad = dir.join("bad");
    let o = run(&[
        "report",
        "--quick",
        "--set",
        "laser.power=\"-3 mW\"",
        "--out",
        bad.to_str().unwrap(),
    ]);
    refused(&o, "laser.power");
    assert!(!bad.exists() && !bad.with_extension("partial").exists());
}

/// A report on a modified preset is titled after its file, opens with the verdict and lists the
/// differences; its folder holds the resolved descriptions and regenerates the same numbers.
#[test]
fn report_on_a_modified_preset_is_traceable_and_regenerates() {
    let dir = tmp("report-traced");
    let o = run(&["presets", "show", "seed-16ch"]);
    let text = stdout(&o).replace("channels = 16 ", "channels = 32 ");
    assert!(text.contains("channels = 32 "), "{text}");
    let file = dir.join("my.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("rep");
    let o = run(&[
        "report",
        "--quick",
        "--rig",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<title>lightloop report: my (seed-16ch, modified)</title>"),
        "{}",
        &html[..400]
    );
    let verdict = html.split("<p class=\"verdict\">").nth(1).unwrap();
    assert!(
        verdict.starts_with("my (seed-16ch, modified) uses "),
        "{verdict}"
    );
    // The description section comes first and names the one difference.
    let first = html.split("<section id=\"").nth(1).unwrap();
    assert!(first.starts_with("description"), "{}", &first[..40]);
    let diffs = std::fs::read_to_string(out.join("csv/description_differences.csv")).unwrap();
    assert_eq!(
        diffs.lines().collect::<Vec<_>>(),
        [
            "description,key,preset_value,value",
            "rig,topology.channels,16,32"
        ]
    );
    let described = std::fs::read_to_string(out.join("csv/description.csv")).unwrap();
    assert!(described.contains("rig,laser.power,10 mW,"), "{described}");
    // Regenerated from its own folder with the command the page gives: the same numbers.
    let cmd = html
        .split("Regenerate it in this folder with <code>lightloop ")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_string();
    let o = bin()
        .current_dir(&out)
        .args(cmd.split(' '))
        .output()
        .unwrap();
    assert!(o.status.success(), "{cmd}: {}", stderr(&o));
    for f in [
        "headline.csv",
        "energy_per_mac.csv",
        "ledger.csv",
        "snr_vs_passes.csv",
    ] {
        assert_eq!(
            std::fs::read_to_string(out.join("csv").join(f)).unwrap(),
            std::fs::read_to_string(out.join("regenerated/csv").join(f)).unwrap(),
            "{f}"
        );
    }
    // `--out .` would replace the folder being read: refused, and nothing is lost.
    let o = bin()
        .current_dir(&out)
        .args(["report", "--quick", "--out", "."])
        .output()
        .unwrap();
    refused(&o, "current folder");
    assert!(out.join("rig.toml").is_file());
}

/// One HTTP/1.1 GET: status code and body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let code = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (code, body)
}

#[test]
fn dashboard_answers_slider_changes_and_refuses_bad_requests() {
    use std::io::{BufRead, BufReader};
    let mut child = bin()
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let (code, page) = http_get(&addr, "/");
    assert_eq!(code, 200);
    assert_eq!(page.matches("type=\"range\"").count(), 11 + 6);
    // The laser's slider ends at the rig's laser.max_power (20 dBm on seed-16ch).
    assert!(page.contains("id=\"laser_dbm\" data-scale=\"linear\" data-int=\"false\" data-start=\"10\" min=\"-10\" max=\"20\""), "{page}");
    let figures = |q: &str| -> serde_json::Value {
        let (code, body) = http_get(&addr, &format!("/api/update?{q}"));
        assert_eq!(code, 200, "{q}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let base = figures("");
    // The dashboard's sentence is compare's, word for word, and so are its ratios.
    let o = run(&["compare", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let compare: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(base["verdict"], compare["verdict"]);
    assert!(
        base["verdict"]
            .as_str()
            .unwrap()
            .starts_with("seed-16ch uses ")
    );
    assert_eq!(
        base["comparison"]["energy_ratio"],
        compare["gpus"][0]["comparison"]["energy_ratio"]
    );
    // Each break-even move, applied to the sliders, brings the rig level with the GPU (within
    // 1 %, the sliders' rounding included; counts reach at least parity).
    let (code, body) = http_get(&addr, "/api/break-even");
    assert_eq!(code, 200, "{body}");
    let moves: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let mut applied = 0;
    for m in &moves {
        let set = m["moves"].as_array().unwrap();
        if set.is_empty() {
            assert!(!m["note"].as_str().unwrap().is_empty(), "{m}");
            continue;
        }
        let q: Vec<String> = set
            .iter()
            .map(|kv| {
                let v = kv[1].as_f64().unwrap();
                let shown = if kv[0] == "channels" || kv[0] == "wdm_lanes" {
                    format!("{v}")
                } else {
                    format!("{}", significant(v, 6))
                };
                format!("{}={shown}", kv[0].as_str().unwrap())
            })
            .collect();
        let at = figures(&q.join("&"));
        let r = at["comparison"]["energy_ratio"].as_f64().unwrap();
        if m["lever"] == "channels N" || m["lever"] == "WDM lanes" {
            assert!(r <= 1.0, "{m}: {r}");
        } else {
            assert!((r - 1.0).abs() < 0.01, "{m}: ratio {r} at {q:?}");
        }
        assert!(
            at["verdict"]
                .as_str()
                .unwrap()
                .starts_with("seed-16ch, modified")
        );
        applied += 1;
    }
    assert!(applied >= 3, "{moves:?}");
    // The rig as TOML reads back as the setting's rig.
    let (code, toml_text) = http_get(&addr, "/api/rig.toml?channels=32&laser_dbm=12");
    assert_eq!(code, 200, "{toml_text}");
    let file = tmp("dashboard").join("rig.toml");
    std::fs::write(&file, &toml_text).unwrap();
    let o = run(&["energy", "--json", "--rig", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let at = figures("channels=32&laser_dbm=12");
    let (a, b) = (
        e["evaluation"]["metrics"]["j_per_token"].as_f64().unwrap(),
        at["j_per_token"].as_f64().unwrap(),
    );
    assert!((a / b - 1.0).abs() < 1e-9, "{a} vs {b}");
    // Tiers C and D are reachable: persistent weights on a crossbar, and an optical memory.
    figures("tier=C&weights=persistent&architecture=crossbar");
    figures("tier=D&weights=persistent&architecture=crossbar&optical_memory=yes");
    let (code, body) = http_get(&addr, "/api/update?tier=C");
    assert_eq!(code, 400);
    assert!(
        body.contains("cannot be built") && body.contains("persistent"),
        "{body}"
    );
    let (code, body) = http_get(&addr, "/api/update?laser_dbm=25");
    assert_eq!(code, 400);
    assert!(body.contains("laser.max_power"), "{body}");
    let wide = figures("channels=64&readout_width=64");
    assert!(base["plot_size"].as_str().unwrap().starts_with("<svg"));
    assert_ne!(base["fj_per_mac"], wide["fj_per_mac"]);
    // Cheaper conversions can only lower the energy per token.
    let cheap = figures("eo_pj=0.01&oe_pj=0.01");
    assert!(cheap["j_per_token"].as_f64() < base["j_per_token"].as_f64());
    for (q, want) in [
        ("channels=0", "outside"),
        ("channels=1.5", "whole number"),
        ("channels=NaN", "outside"),
        ("nonsense=1", "unknown parameter"),
        ("channels=4&channels=8", "twice"),
        ("tier=Z", "tier"),
        ("weights=maybe", "redriven, persistent"),
        ("laser_dbm=%3Cscript%3E", "not a number"),
    ] {
        let (code, body) = http_get(&addr, &format!("/api/update?{q}"));
        assert_eq!(code, 400, "{q}: {body}");
        assert!(body.contains(want), "{q}: {body}");
    }
    let (code, _) = http_get(&addr, &format!("/api/update?{}", "a".repeat(2000)));
    assert_eq!(code, 414);
    // The fleet panel: the default deployment re-sized as the traffic and targets move.
    let fleet = |q: &str| -> serde_json::Value {
        let (code, body) = http_get(&addr, &format!("/api/fleet?{q}"));
        assert_eq!(code, 200, "{q}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let busy = fleet("");
    let quiet = fleet("tokens_per_s=1000");
    assert!(busy["verdict"].as_str().unwrap().contains("cheapest"));
    assert_ne!(
        busy["options"][0]["wall_mw"],
        quiet["options"][0]["wall_mw"]
    );
    let strict = fleet("tpot_ms=1");
    assert!(
        strict["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["meets_targets"] == false)
    );
    let (code, body) = http_get(&addr, "/api/fleet?pue=0.5");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("pue"), "{body}");
    // Still serving after the bad requests.
    assert_eq!(http_get(&addr, "/api/update?adc_bits=4").0, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The reservoir's science is tested in lightloop-lab (tests/reservoir.rs); here the binary:
/// its files, its printing, and its refusals.
#[test]
fn reservoir_suite_writes_its_tables_and_refuses_bad_input() {
    let dir = tmp("reservoir");
    let out = dir.join("suite");
    let o = run(&[
        "reservoir",
        "suite",
        "--models",
        "esn,ternary",
        "--tasks",
        "narma10",
        "--seeds",
        "1",
        "--nodes",
        "30",
        "--quick",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["runs.csv", "summary.csv", "dynamics.csv", "summary.md"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(
        runs.lines().next().unwrap(),
        "model,task,readout,seed,nodes,gain,inner_noise,nmse,nrmse,accuracy,ser,test_symbols,\
         memory_capacity,nonlinear_capacity,lambda,photons_per_sample,adc_bits"
    );
    // 2 models × 1 task × 1 seed × 4 quick readout levels.
    assert_eq!(runs.lines().count(), 1 + 2 * 4);
    let md = stdout(&o);
    assert_eq!(
        md.strip_suffix(&format!(
            "\nwrote {}/{{runs.csv, summary.csv, dynamics.csv, summary.md}}\n",
            out.display()
        ))
        .expect("the summary, then the files written"),
        std::fs::read_to_string(out.join("summary.md")).unwrap()
    );
    assert!(
        md.contains("## narma10 — NRMSE") && md.contains("| ternary |"),
        "{md}"
    );
    // delay-appeltant has a caveat, printed under its scores.
    let o = run(&[
        "reservoir",
        "--model",
        "delay-appeltant",
        "--task",
        "narma10",
        "--seeds",
        "1",
        "--nodes",
        "40",
    ]);
    printed(
        &o,
        &[
            "reservoir delay-appeltant (40 nodes, feedback strength η 0.4) on narma10",
            "note: delay-appeltant: at Appeltant 2011's settings",
        ],
    );

    // `reservoir … --json`: one object per seed.
    let o = run(&[
        "reservoir",
        "--model",
        "esn",
        "--task",
        "narma10",
        "--seeds",
        "2",
        "--nodes",
        "50",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["seed"], 2);
    let nrmse = v[0]["nrmse"].as_f64().unwrap();
    assert!(nrmse > 0.0 && nrmse < 1.0, "{nrmse}");

    // The gain sweep's files and its failed points.
    let sweep = dir.join("sweep");
    let o = run(&[
        "reservoir",
        "sweep",
        "--model",
        "ternary",
        "--task",
        "memory-capacity",
        "--gains",
        "0.5,3",
        "--seeds",
        "1",
        "--nodes",
        "30",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    printed(
        &o,
        &[
            "gain sweep of ternary",
            "gain 3: a loop gain of 3 needs",
            "/{gain_sweep.csv, lyapunov_vs_gain.svg, lyapunov_vs_gain.pdf, score_vs_gain.svg, \
             score_vs_gain.pdf}",
        ],
    );
    assert!(sweep.join("gain_sweep.csv").is_file());
    // Each plot as SVG and, beside it, as PDF.
    for name in ["lyapunov_vs_gain", "score_vs_gain"] {
        let svg = std::fs::read_to_string(sweep.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{name}");
        let pdf = std::fs::read(sweep.join(format!("{name}.pdf"))).unwrap();
        assert!(
            pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF\n"),
            "{name}"
        );
    }

    for (args, needle) in [
        (
            vec!["reservoir", "--model", "lstm"],
            "unknown reservoir model `lstm`",
        ),
        (vec!["reservoir", "--task", "narma"], "unknown task `narma`"),
        (
            vec!["reservoir", "--photons=-3"],
            "--photons must be a positive number, not -3",
        ),
        (
            vec!["reservoir", "--nodes", "0"],
            "--nodes must be 1 … 10000, not 0",
        ),
        (
            vec!["reservoir", "--seeds", "0"],
            "--seeds must be at least 1",
        ),
        (
            vec!["reservoir", "--model", "ternary", "--gain", "3"],
            "attenuator",
        ),
        (
            vec!["reservoir", "sweep", "--model", "linear"],
            "--model cannot be `linear`: it has no gain",
        ),
        (
            vec!["reservoir", "sweep", "--gains=-1"],
            "--gains must be finite and ≥ 0, not -1",
        ),
        (
            vec!["reservoir", "sweep", "--input-scale=0"],
            "--input-scale must be a positive number, not 0",
        ),
        (
            vec!["reservoir", "--model", "soa-engine", "--no-inner-noise"],
            "--no-inner-noise cannot switch off soa-engine's noise",
        ),
        (
            vec![
                "reservoir",
                "sweep",
                "--model",
                "soa-engine",
                "--no-inner-noise",
            ],
            "--no-inner-noise cannot switch off soa-engine's noise",
        ),
        (
            vec!["reservoir", "--ideal-readout", "--adc-bits", "6"],
            "cannot be used with",
        ),
        (
            vec!["reservoir", "suite", "--seeds", "0"],
            "--seeds must be at least 1",
        ),
        (
            vec!["reservoir", "suite", "--models", "lstm"],
            "unknown reservoir model `lstm`",
        ),
    ] {
        let o = run(&args);
        refused(&o, needle);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn experiment_depth_writes_its_files_and_refuses_bad_input() {
    let dir = tmp("experiment");
    let out = dir.join("depth");
    let o = run(&[
        "experiment",
        "depth",
        "--passes",
        "1,3",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--width",
        "16",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "depth.csv",
        "passes.csv",
        "accuracy_vs_passes.svg",
        "early_exit.svg",
        "effective_rank.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Every plot also as a one-page PDF beside its SVG, and the closing line says so.
    for f in ["accuracy_vs_passes", "early_exit", "effective_rank"] {
        let pdf = std::fs::read(out.join(format!("{f}.pdf"))).unwrap();
        assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 500, "{f}.pdf");
    }
    assert!(
        stdout(&o).contains("effective_rank.svg, effective_rank.pdf}"),
        "{}",
        stdout(&o)
    );
    let mut r = csv::Reader::from_path(out.join("depth.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let acc: f64 = row[2].parse().unwrap();
        // Two epochs already beat chance (0.1) by far.
        assert!(acc > 0.3 && acc <= 1.0, "{acc}");
    }
    // The deepest network's early exits: one row per pass, plus the entering state.
    let passes = std::fs::read_to_string(out.join("passes.csv")).unwrap();
    assert_eq!(passes.lines().count(), 1 + 4);
    for (args, needle) in [
        (
            vec!["experiment", "depth", "--passes", "0"],
            "--passes must be 1",
        ),
        (
            vec!["experiment", "depth", "--width", "2"],
            "--width must be 4",
        ),
        (
            vec!["experiment", "readout", "--rig", "lighton-opu"],
            "has no SOA",
        ),
    ] {
        let o = run(&args);
        refused(&o, needle);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The experiments' science is tested in lightloop-lab (tests/experiment.rs); here the
/// binary's side: a run printing its front and what it skipped, and refusals naming the option
/// (exit 2) that leave no folder behind.
#[test]
fn experiment_pareto_prints_its_front_and_what_it_skipped() {
    let dir = tmp("experiment-pareto");
    let out = dir.join("pareto");
    let o = run(&[
        "experiment",
        "pareto",
        "--widths",
        "16",
        "--passes",
        "1",
        "--laser-db",
        "0,40",
        "--adc-bits",
        "4",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = printed(
        &o,
        &[
            "energy–accuracy Pareto front on digits: rig seed-16ch, 1 epochs",
            "2 settings",
            "skipped: laser +40 dB",
            "{pareto.csv, pareto.svg, pareto.pdf}",
        ],
    );
    assert!(out.join("pareto.svg").is_file(), "{text}");
    let pdf = std::fs::read(out.join("pareto.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{text}");
    let csv = std::fs::read_to_string(out.join("pareto.csv")).unwrap();
    assert!(
        csv.starts_with(
            "width,passes,laser_offset_db,adc_bits,seed,test_accuracy,j_per_input\n16,1,0.0,4,1,"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn experiment_refusals_name_the_option_and_leave_no_folder() {
    let dir = tmp("experiment-refusals");
    let out = dir.join("new").join("out");
    let out = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["width", "--widths", "2"], "--widths must be 4"),
        // A width the rig's 16 channels cannot hold is refused before any training.
        (vec!["width", "--widths", "8"], "does not divide"),
        (
            vec!["distill", "--weight", "1.5"],
            "--weight must be in 0 … 1",
        ),
        (
            vec!["curriculum", "--start", "16"],
            "--start must be at least 1",
        ),
        (vec!["depth", "--task", "chars-99"], "1 ≤ K ≤ 16"),
        (
            vec!["depth", "--adapter-rank", "99"],
            "--adapter-rank must be at most",
        ),
        (vec!["gain", "--gains", "0,1"], "--gains must be positive"),
        (vec!["halting", "--every", "32"], "--every must be 1"),
        (
            vec!["halting", "--prior-lambda", "1"],
            "--prior-lambda must lie strictly between 0 and 1",
        ),
        (vec!["cadence"], "needs a sequence task"),
        (
            vec!["cadence", "--task", "chars-2", "--cadences", "9"],
            "--cadences must be 0",
        ),
        (
            vec!["cadence", "--task", "chars-2", "--adapter-rank", "2"],
            "has no adapter",
        ),
        (vec!["pareto", "--adc-bits", "40"], "--adc-bits must be 1"),
        (vec!["rule", "--rig", "lighton-opu"], "has no SOA"),
    ] {
        let mut a = vec!["experiment"];
        a.extend(args);
        a.extend(["--out", out]);
        refused(&run(&a), needle);
    }
    assert!(
        !dir.join("new").exists(),
        "a refused run left {:?}",
        std::fs::read_dir(dir.join("new")).map(|d| d.count())
    );
    let o = run(&["bench", "loop", "--batch", "0"]);
    refused(&o, "--batch must be ≥ 1");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_physics_prints_the_rate_its_ratio_and_where_the_time_goes() {
    let o = run(&["bench", "physics", "--seconds", "0.3"]);
    let text = printed(
        &o,
        &[
            "machine: ",
            "hardware threads",
            "channel-samples per second",
            "ratio to the",
            "where the time goes",
            "ns per channel-sample",
        ],
    );
    // Every part of the seed rig's chain has a line with a positive time.
    for part in [
        "laser",
        "modulator",
        "soa",
        "absorber",
        "photodiode",
        "comparator",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{part} ")))
            .unwrap_or_else(|| panic!("no line for {part}:\n{text}"));
        let ns: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(ns > 0.0, "{line}");
    }
    // The ratio line says in words whether the target is met, and the run closes with the count;
    // the words follow the printed ratio.
    let ratio_line = text.lines().find(|l| l.contains("ratio to the")).unwrap();
    let ratio: f64 = ratio_line
        .split(':')
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{ratio_line}"));
    let (words, closing) = if ratio >= 1.0 {
        ("meets the target", "Targets: all 1 met.")
    } else {
        (
            "MISSES the target",
            "Targets: 0 of 1 met; missed: physics chain.",
        )
    };
    assert!(ratio_line.ends_with(words), "{ratio_line}");
    assert!(text.contains(closing), "{text}");
    for bad in ["--seconds=0", "--seconds=-1", "--seconds=nan"] {
        let o = run(&["bench", "physics", bad]);
        refused(&o, "--seconds must be a positive");
    }
}

#[test]
fn bench_esn_refuses_sizes_it_cannot_run() {
    for nodes in ["0", "65537"] {
        let o = run(&["bench", "esn", "--nodes", nodes, "--steps", "3000"]);
        refused(&o, "--nodes must be 1 … 65536");
    }
}

/// `x` to `digits` significant figures, as the dashboard's page sends slider values.
fn significant(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[test]
fn presets_and_validate_speak_json() {
    let all = json(&["presets", "--json"]);
    let all = all.as_array().unwrap();
    assert!(all.len() >= 20, "{all:?}");
    let seed = all.iter().find(|p| p["name"] == "seed-16ch").unwrap();
    assert_eq!(
        (&seed["kind"], &seed["default"]),
        (&"rig".into(), &true.into())
    );
    let shown = json(&["presets", "show", "tier-d-1024", "--json"]);
    // The resolved description follows `extends` (tier D extends tier C, which sets the weights).
    assert_eq!(shown["resolved"]["weights"]["storage"], "persistent");
    assert!(shown["toml"].as_str().unwrap().contains("extends"));
    let dir = tmp("validate-json");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[laser]\npower = \"3 parsecs\"\n").unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, stdout(&run(&["presets", "show", "seed-16ch"]))).unwrap();
    let o = run(&[
        "validate",
        "--json",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["valid"], true);
    assert_eq!(v[1]["valid"], false);
    // Every problem of the file at once: the bad unit on its line, and the missing keys.
    let problems = v[1]["problems"].as_array().unwrap();
    let p = problems
        .iter()
        .find(|p| p["key"] == "laser.power")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        (p["line"].as_u64(), p["kind"].as_str()),
        (Some(2), Some("unit"))
    );
    assert!(
        problems.iter().any(|p| p["key"] == "laser.max_power"),
        "{v}"
    );
}

#[test]
fn noise_lists_the_impairments_of_a_multi_lane_loop() {
    // The preset with impairments: a table with each impairment's penalty and passes, and the
    // one that limits the loop, in words.
    let out = printed(
        &run(&["noise", "-r", "seed-wdm-32"]),
        &[
            "Impairments of the multi-lane loop",
            "penalty after 12 passes (dB)",
            "lane gain (tilt and ripple)",
            "polarisation-dependent gain",
            "chromatic dispersion",
            "lane gain (tilt and ripple) limits the loop",
            "σ 0.144 dB per pass",
        ],
    );
    assert!(!out.contains("mode-dependent loss"), "{out}");
    assert!(!out.contains("mode-division multiplexing:"), "{out}");
    let v = json(&["noise", "-r", "seed-mdm-3", "--json"]);
    let imp = &v["impairments"];
    assert_eq!(imp["limited_by"], "mode crosstalk");
    assert_eq!(imp["limit_passes"], 11);
    assert_eq!(imp["modes"]["lanes"], 96.0);
    let limits = imp["limits"].as_array().unwrap();
    assert!(limits.iter().all(|l| l["penalty_db"].as_f64().is_some()));
    // A rig without the sections prints and writes no impairments.
    assert!(!stdout(&run(&["noise"])).contains("Impairments"));
    assert!(json(&["noise", "--json"]).get("impairments").is_none());
    // The header counts the modes; the throughput's lanes are WDM lanes × modes.
    printed(
        &run(&["throughput", "-r", "seed-mdm-3"]),
        &["32 λ lane(s) × 3 modes", "256 × 96 lane(s)"],
    );
    // Bad values are refused with the key.
    refused(
        &run(&[
            "noise",
            "-r",
            "seed-mdm-3",
            "--set",
            "mode_multiplexing.crosstalk=3 dB",
        ]),
        "mode_multiplexing.crosstalk",
    );
    refused(
        &run(&["noise", "--set", "impairments.dispersion=17 ps"]),
        "impairments.dispersion",
    );
}

//! Sharded runs end to end: `sweep --shard K/N` then `merge` gives the bytes of the plain
//! sweep; `simulate --shard` counts merge into their sum whatever the order; bad shard specs and
//! incomplete sets are refused with exit status 2 and a message naming them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lightloop"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// Checks that a run was refused as bad input (exit status 2) with each of `needles` in its
/// error.
fn refused(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{needles:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{n} missing:\n{err}");
    }
}

fn tmp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("lightloop-shard-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// `sweep` over 3 × 200 points into `out`, with `extra` arguments.
fn sweep(out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = [
        "sweep",
        "--vary",
        "laser.power=1 mW,5 mW,20 mW",
        "--vary",
        "run.batch=lin:1..200:200",
        "--quiet",
        "--out",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    args.push(s(out));
    args.extend(extra.iter().map(|x| x.to_string()));
    run(&args)
}

fn merge(files: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().map(|f| s(f)));
    args.extend(["--out".to_string(), s(out)]);
    args.extend(extra.iter().map(|x| x.to_string()));
    run(&args)
}

#[test]
fn sweep_shards_merge_to_the_plain_sweep_bytes_in_any_order() {
    for ext in ["csv", "jsonl"] {
        let dir = tmp(&format!("sweep-{ext}"));
        let plain = dir.join(format!("plain.{ext}"));
        ok(sweep(&plain, &[]));
        let plain_bytes = std::fs::read(&plain).unwrap();
        let parts: Vec<PathBuf> = (1..=3)
            .map(|k| {
                let p = dir.join(format!("part-{k}.{ext}"));
                ok(sweep(&p, &["--shard", &format!("{k}/3"), "--threads", "1"]));
                assert!(dir.join(format!("part-{k}.{ext}.shard")).is_file());
                p
            })
            .collect();
        // The shards are not the whole sweep: each holds its own block of rows.
        for p in &parts {
            assert!(std::fs::read(p).unwrap().len() < plain_bytes.len());
        }
        let merged = dir.join(format!("merged.{ext}"));
        let o = ok(merge(&parts, &merged, &["--json"]));
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(summary["rows"], 600);
        assert_eq!(summary["shards"], 3);
        assert_eq!(std::fs::read(&merged).unwrap(), plain_bytes, "{ext}");
        let shuffled = dir.join(format!("shuffled.{ext}"));
        let order = [parts[2].clone(), parts[0].clone(), parts[1].clone()];
        ok(merge(&order, &shuffled, &[]));
        assert_eq!(std::fs::read(&shuffled).unwrap(), plain_bytes, "{ext}");
        // OUT is not overwritten without --force.
        refused(&merge(&parts, &merged, &[]), &["already holds", "--force"]);
        ok(merge(&parts, &merged, &["--force"]));
    }
}

#[test]
fn merge_names_missing_odd_and_unfinished_shards() {
    let dir = tmp("refuse");
    let parts: Vec<PathBuf> = (1..=3)
        .map(|k| {
            let p = dir.join(format!("part-{k}.csv"));
            ok(sweep(&p, &["--shard", &format!("{k}/3")]));
            p
        })
        .collect();
    let out = dir.join("merged.csv");
    refused(
        &merge(&[parts[0].clone(), parts[2].clone()], &out, &[]),
        &["missing shard 2/3"],
    );
    // A shard of another sweep (another --set) is named.
    let odd = dir.join("odd-2.csv");
    ok(sweep(
        &odd,
        &["--shard", "2/3", "--set", "topology.wdm_lanes=2"],
    ));
    refused(
        &merge(
            &[parts[0].clone(), odd.clone(), parts[2].clone()],
            &out,
            &[],
        ),
        &["odd-2.csv", "different run", "shard 2/3"],
    );
    // An unfinished shard says so.
    let cut = dir.join("cut-2.csv");
    ok(sweep(&cut, &["--shard", "2/3", "--stop-after", "20"]));
    refused(
        &merge(
            &[parts[0].clone(), cut.clone(), parts[2].clone()],
            &out,
            &[],
        ),
        &["cut-2.csv", "unfinished shard"],
    );
    // Rerunning its command finishes it, and the set merges.
    ok(sweep(&cut, &["--shard", "2/3"]));
    ok(merge(&[parts[0].clone(), cut, parts[2].clone()], &out, &[]));
    let whole = dir.join("whole.csv");
    ok(sweep(&whole, &[]));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&whole).unwrap());
    assert!(!dir.join("merged.csv.partial").exists());
}

#[test]
fn bad_shard_specs_are_refused_with_status_2() {
    let dir = tmp("spec");
    for (spec, why) in [
        ("0/3", "numbered from 1"),
        ("4/3", "at most N"),
        ("1/0", "at least 1"),
        ("x/3", "not a whole number"),
        ("3", "expected K/N"),
    ] {
        let out = dir.join("o.csv");
        let o = sweep(&out, &["--shard", spec]);
        refused(&o, &[&format!("--shard `{spec}`"), why]);
        assert!(!out.exists() && !dir.join("o.csv.partial").exists());
        let o = run(&[
            "simulate",
            "--symbols",
            "100",
            "--shard",
            spec,
            "--out",
            &s(&dir.join("o.json")),
        ]);
        refused(&o, &[&format!("--shard `{spec}`"), why]);
    }
    // --shard without --out for simulate, and the reverse.
    assert_eq!(run(&["simulate", "--shard", "1/2"]).status.code(), Some(2));
    assert_eq!(
        run(&["simulate", "--out", &s(&dir.join("o.json"))])
            .status
            .code(),
        Some(2)
    );
}

/// `simulate` shard K of N at a power where errors are seen.
fn simulate_shard(dir: &Path, k: u64, n: u64) -> PathBuf {
    let out = dir.join(format!("ser-{k}-of-{n}.json"));
    ok(run(&[
        "simulate",
        "--power",
        "-23 dBm",
        "--symbols",
        "6000",
        "--samples-per-symbol",
        "4",
        "--seed",
        "5",
        "--shard",
        &format!("{k}/{n}"),
        "--out",
        &s(&out),
    ]));
    out
}

fn json_file(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn simulate_shards_merge_into_their_sum_whatever_the_order() {
    let dir = tmp("simulate");
    let parts: Vec<PathBuf> = (1..=3).map(|k| simulate_shard(&dir, k, 3)).collect();
    let (mut errors, mut trials) = (0, 0);
    for (k, p) in parts.iter().enumerate() {
        let v = json_file(p);
        assert_eq!(v["shard"]["index"], k as u64 + 1);
        assert_eq!(
            v["end"].as_u64().unwrap() - v["start"].as_u64().unwrap(),
            2000
        );
        errors += v["counts"]["symbols"]["errors"].as_u64().unwrap();
        trials += v["counts"]["symbols"]["trials"].as_u64().unwrap();
    }
    assert_eq!(trials, 6000);
    assert!(
        errors > 0,
        "choose a power with errors, so that the sum is tested"
    );
    let merged = dir.join("merged.json");
    let o = ok(merge(&parts, &merged, &["--json"]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let symbols = &v["counts"]["symbols"];
    assert_eq!(symbols["errors"], errors);
    assert_eq!(symbols["trials"], 6000);
    let (rate, low, high) = (
        symbols["rate"].as_f64().unwrap(),
        symbols["low"].as_f64().unwrap(),
        symbols["high"].as_f64().unwrap(),
    );
    assert!(low < rate && rate < high, "{low} {rate} {high}");
    assert_eq!(json_file(&merged), v);
    // Another order, another merge: the same bytes.
    let again = dir.join("again.json");
    ok(merge(
        &[parts[1].clone(), parts[2].clone(), parts[0].clone()],
        &again,
        &[],
    ));
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&merged).unwrap()
    );
    // A shard rerun elsewhere gives the same counts (streams keyed by seed and K only).
    let elsewhere = tmp("simulate-elsewhere");
    let rerun = simulate_shard(&elsewhere, 2, 3);
    assert_eq!(json_file(&rerun)["counts"], json_file(&parts[1])["counts"]);
    // Missing and foreign shards are refused by name.
    refused(
        &merge(&parts[..2], &dir.join("m2.json"), &[]),
        &["missing shard 3/3"],
    );
    let other_split = simulate_shard(&dir, 3, 4);
    refused(
        &merge(
            &[parts[0].clone(), parts[1].clone(), other_split],
            &dir.join("m3.json"),
            &[],
        ),
        &["ser-3-of-4.json", "different run"],
    );
}

#[test]
fn simulate_shard_1_of_1_is_the_unsharded_run() {
    let dir = tmp("one");
    let whole = ok(run(&[
        "simulate",
        "--power",
        "-23 dBm",
        "--symbols",
        "3000",
        "--samples-per-symbol",
        "4",
        "--json",
    ]));
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    let out = dir.join("one.json");
    ok(run(&[
        "simulate",
        "--power",
        "-23 dBm",
        "--symbols",
        "3000",
        "--samples-per-symbol",
        "4",
        "--shard",
        "1/1",
        "--out",
        &s(&out),
    ]));
    let shard = json_file(&out);
    assert_eq!(
        shard["counts"]["symbols"]["errors"],
        whole["symbols"]["errors"]
    );
    assert_eq!(shard["counts"]["bits"]["errors"], whole["bits"]["errors"]);
}

/// `merge` of the given shard files into `out`, with --json.
fn merge_json(files: &[PathBuf], out: &Path) -> serde_json::Value {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(files.iter().map(|f| s(f)));
    args.extend(["--out".into(), s(out), "--json".into()]);
    serde_json::from_slice(&ok(run(&args)).stdout).unwrap()
}

#[test]
fn test_plan_shards_merge_into_the_plan_of_one_process() {
    let dir = tmp("plan");
    let whole: serde_json::Value = serde_json::from_slice(
        &ok(run(&[
            "test-plan",
            "--quick",
            "--seed",
            "4",
            "--json",
            "--out",
            &s(&dir.join("whole")),
        ]))
        .stdout,
    )
    .unwrap();
    let parts: Vec<PathBuf> = (1..=3).map(|k| dir.join(format!("p{k}.json"))).collect();
    for k in [3, 1, 2] {
        ok(run(&[
            "test-plan",
            "--quick",
            "--seed",
            "4",
            "--shard",
            &format!("{k}/3"),
            "--out",
            &s(&parts[k - 1]),
        ]));
    }
    let merged = merge_json(
        &[parts[2].clone(), parts[0].clone(), parts[1].clone()],
        &dir.join("plan.json"),
    );
    assert_eq!(merged["plan"], whole);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    assert_eq!(written, whole);
    // A shard of another seed is another run, refused by name; so is a missing shard.
    ok(run(&[
        "test-plan",
        "--quick",
        "--seed",
        "5",
        "--shard",
        "2/3",
        "--out",
        &s(&dir.join("other.json")),
    ]));
    let mut args = vec![
        "merge".to_string(),
        s(&parts[0]),
        s(&dir.join("other.json")),
        s(&parts[2]),
    ];
    args.extend(["--out".into(), s(&dir.join("bad.json"))]);
    refused(&run(&args), &["other.json"]);
    let args = [
        "merge",
        &s(&parts[0]),
        &s(&parts[2]),
        "--out",
        &s(&dir.join("bad.json")),
    ];
    refused(&run(&args), &["missing shard 2/3"]);
    // More shards than measurements.
    refused(
        &run(&[
            "test-plan",
            "--quick",
            "--shard",
            "16/16",
            "--out",
            &s(&dir.join("x.json")),
        ]),
        &[
            "--shard 16/16",
            "more shards than the plan's 15 measurements",
        ],
    );
    assert!(!dir.join("x.json").exists());
}

#[test]
fn reservoir_seed_shards_merge_into_the_rows_of_one_process() {
    let dir = tmp("reservoir");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "reservoir",
            "--model",
            "esn",
            "--task",
            "narma10",
            "--nodes",
            "30",
            "--seeds",
            "5",
            "--seed",
            "11",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let whole: serde_json::Value =
        serde_json::from_slice(&ok(run(&args(&["--json"]))).stdout).unwrap();
    assert_eq!(whole.as_array().unwrap().len(), 5);
    let parts: Vec<PathBuf> = (1..=2).map(|k| dir.join(format!("r{k}.json"))).collect();
    for k in [2, 1] {
        let o = ok(run(&args(&[
            "--shard",
            &format!("{k}/2"),
            "--out",
            &s(&parts[k - 1]),
        ])));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(text.contains(&format!("shard {k}/2: seeds")), "{text}");
    }
    let merged = merge_json(&parts, &dir.join("seeds.json"));
    assert_eq!(merged["rows"], whole);
    assert_eq!(merged["total"], 5);
    // The spread of each score over the seeds.
    let nrmse: Vec<f64> = whole
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["nrmse"].as_f64().unwrap())
        .collect();
    let mean = nrmse.iter().sum::<f64>() / 5.0;
    assert!((merged["spread"]["nrmse"]["mean"].as_f64().unwrap() - mean).abs() < 1e-12 * mean);
    assert_eq!(merged["spread"]["nrmse"]["n"], 5);
    assert_eq!(merged["spread"]["seed"]["min"], 11.0);
    refused(
        &run(&args(&["--shard", "6/6", "--out", &s(&dir.join("x.json"))])),
        &["--shard", "more shards than the 5 seeds"],
    );
}

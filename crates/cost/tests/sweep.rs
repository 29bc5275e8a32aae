//! Sweeps: identical rows for any thread count, resumption after a stop or a torn last line.

use lightloop_cost::CostError;
use lightloop_cost::sweep::{Format, Output, Sweep, parse_axis, run};
use lightloop_rig::{DescKind, Document};
use std::path::PathBuf;

fn sweep(axes: &[&str]) -> Sweep {
    let rig = Document::load(DescKind::Rig, "seed-16ch").unwrap();
    let wl = Document::load(DescKind::Workload, "deep-loop-2048").unwrap();
    Sweep {
        rig_table: rig.table,
        workload_table: wl.table,
        gpu: None,
        axes: axes.iter().map(|a| parse_axis(a).unwrap()).collect(),
        label: "test".into(),
    }
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lightloop-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_with_threads(s: &Sweep, out: &Output, threads: usize, stop: Option<u64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| run(s, out, &|_, _| {}, stop)).unwrap();
}

const AXES: [&str; 2] = ["run.batch=lin:1..1200:1200", "laser.power=1 mW,10 mW"];

#[test]
fn thread_count_does_not_change_the_bytes() {
    let d = dir("threads");
    let s = sweep(&AXES);
    assert_eq!(s.len(), 2400);
    for (fmt, ext) in [(Format::Csv, "csv"), (Format::JsonLines, "jsonl")] {
        let one = Output {
            path: d.join(format!("one.{ext}")),
            format: fmt,
            force: false,
        };
        let two = Output {
            path: d.join(format!("two.{ext}")),
            format: fmt,
            force: false,
        };
        run_with_threads(&s, &one, 1, None);
        run_with_threads(&s, &two, 2, None);
        assert_eq!(
            std::fs::read(&one.path).unwrap(),
            std::fs::read(&two.path).unwrap()
        );
    }
    let csv = std::fs::read_to_string(d.join("one.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2401);
    assert!(csv.starts_with("point,run_batch,laser_power_mw,j_per_token"));
}

#[test]
fn stop_and_torn_line_resume_to_the_same_file() {
    let d = dir("resume");
    let s = sweep(&AXES);
    let reference = Output {
        path: d.join("ref.csv"),
        format: Format::Csv,
        force: false,
    };
    run_with_threads(&s, &reference, 2, None);

    let out = Output {
        path: d.join("out.csv"),
        format: Format::Csv,
        force: false,
    };
    run_with_threads(&s, &out, 2, Some(1100));
    assert!(!out.path.exists(), "an unfinished sweep is not at OUT");
    let partial = out.partial_path();
    // Tear the last row in half, as a kill mid-write would.
    let text = std::fs::read(&partial).unwrap();
    std::fs::write(&partial, &text[..text.len() - 40]).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let summary = pool.install(|| run(&s, &out, &|_, _| {}, None)).unwrap();
    assert_eq!(
        summary.resumed, 1099,
        "the torn row is dropped and recomputed"
    );
    assert_eq!(summary.resumed + summary.written, 2400);
    assert!(summary.finished);
    assert_eq!(
        std::fs::read(&out.path).unwrap(),
        std::fs::read(&reference.path).unwrap()
    );
    assert!(!partial.exists() && !out.spec_path().exists());
}

#[test]
fn a_different_sweep_does_not_reuse_a_partial_file() {
    let d = dir("mismatch");
    let out = Output {
        path: d.join("o.csv"),
        format: Format::Csv,
        force: false,
    };
    run_with_threads(&sweep(&AXES), &out, 1, Some(10));
    let other = sweep(&["run.batch=lin:1..1200:1200", "laser.power=1 mW,20 mW"]);
    let err = run(&other, &out, &|_, _| {}, None).unwrap_err();
    assert!(matches!(err, CostError::Mismatch(_)), "{err}");
    let forced = Output {
        force: true,
        ..out.clone()
    };
    let summary = run(&other, &forced, &|_, _| {}, None).unwrap();
    assert_eq!(summary.resumed, 0);
    assert!(summary.finished);
    let err = run(&other, &out, &|_, _| {}, None).unwrap_err();
    assert!(matches!(err, CostError::Exists(_)), "{err}");
}

#[test]
fn preflight_catches_unknown_keys_and_units() {
    assert!(
        sweep(&["laser.powr=1 mW"])
            .preflight()
            .unwrap_err()
            .to_string()
            .contains("did you mean `power`")
    );
    assert!(
        sweep(&["laser.power=1 ns"])
            .preflight()
            .unwrap_err()
            .to_string()
            .contains("not a power")
    );
    assert!(sweep(&["run.batches=1,2"]).preflight().is_err());
    // Out-of-range values are not refused up front: their rows carry the error.
    assert!(sweep(&["laser.power=-1 mW,1 mW"]).preflight().is_ok());
}

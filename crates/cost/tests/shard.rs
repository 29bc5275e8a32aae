//! Sharded sweeps: shards 1 … N merged give the bytes of the sweep run whole, whatever the
//! order; a shard resumes as a sweep does; a merge refuses what is not one complete run.

use lightloop_cost::CostError;
use lightloop_cost::sweep::{
    Format, Output, Shard, Sweep, merge, parse_axis, run, run_shard, shard_path,
};
use lightloop_rig::{DescKind, Document};
use std::path::{Path, PathBuf};

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
    let d = std::env::temp_dir().join(format!("lightloop-shard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn output(path: PathBuf) -> Output {
    let format = Format::from_path(&path).unwrap();
    Output {
        path,
        format,
        force: false,
    }
}

fn quiet(_: u64, _: u64) {}

/// Runs shards 1 … n of `s` into `d/part-K.EXT` and returns their paths (in shard order).
fn run_shards(s: &Sweep, d: &Path, n: u64, ext: &str) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let out = output(d.join(format!("part-{k}.{ext}")));
            let summary = run_shard(s, &out, Shard::new(k, n).unwrap(), &quiet, None).unwrap();
            assert!(summary.finished);
            let r = Shard::new(k, n).unwrap().range(s.len());
            assert_eq!((summary.first, summary.total), (r.start, r.end - r.start));
            out.path
        })
        .collect()
}

const AXES: [&str; 2] = ["run.batch=lin:1..300:300", "laser.power=1 mW,10 mW,100 mW"];

#[test]
fn merged_shards_are_the_whole_sweep_byte_for_byte() {
    let s = sweep(&AXES);
    assert_eq!(s.len(), 900);
    for (fmt, ext) in [(Format::Csv, "csv"), (Format::JsonLines, "jsonl")] {
        let d = dir(&format!("bytes-{ext}"));
        let whole = output(d.join(format!("whole.{ext}")));
        run(&s, &whole, &quiet, None).unwrap();
        let whole_bytes = std::fs::read(&whole.path).unwrap();
        for n in [1u64, 3, 7] {
            let sub = d.join(format!("n{n}"));
            std::fs::create_dir_all(&sub).unwrap();
            let mut parts = run_shards(&s, &sub, n, ext);
            // Each shard holds exactly its block of the whole file's rows.
            let whole_text = String::from_utf8(whole_bytes.clone()).unwrap();
            let mut whole_rows: Vec<&str> = whole_text.lines().collect();
            if fmt == Format::Csv {
                whole_rows.remove(0);
            }
            for (k, p) in parts.iter().enumerate() {
                let r = Shard::new(k as u64 + 1, n).unwrap().range(s.len());
                let text = std::fs::read_to_string(p).unwrap();
                let mut rows: Vec<&str> = text.lines().collect();
                if fmt == Format::Csv {
                    rows.remove(0);
                }
                assert_eq!(rows, whole_rows[r.start as usize..r.end as usize]);
                assert!(shard_path(p).is_file());
            }
            // Any order of the files gives the same bytes.
            parts.reverse();
            parts.rotate_left(1);
            let merged = output(sub.join(format!("merged.{ext}")));
            let summary = merge(&parts, &merged).unwrap();
            assert_eq!(summary.rows, 900);
            assert_eq!(summary.shards, n);
            assert_eq!(summary.run, s.run_id(fmt));
            assert_eq!(
                std::fs::read(&merged.path).unwrap(),
                whole_bytes,
                "{ext}, {n} shards"
            );
            assert!(!merged.partial_path().exists());
        }
    }
}

#[test]
fn more_shards_than_points_leave_empty_shards_that_still_merge() {
    let s = sweep(&["laser.power=1 mW,2 mW"]);
    for ext in ["csv", "jsonl"] {
        let d = dir(&format!("empty-{ext}"));
        let whole = output(d.join(format!("whole.{ext}")));
        run(&s, &whole, &quiet, None).unwrap();
        let parts = run_shards(&s, &d, 5, ext);
        let merged = output(d.join(format!("merged.{ext}")));
        assert_eq!(merge(&parts, &merged).unwrap().rows, 2);
        assert_eq!(
            std::fs::read(&merged.path).unwrap(),
            std::fs::read(&whole.path).unwrap()
        );
    }
}

#[test]
fn a_stopped_and_torn_shard_resumes_to_the_same_file() {
    // Shard 2 of 2 spans more than one chunk of rows, starting mid-grid.
    let s = sweep(&["run.batch=lin:1..2500:2500", "laser.power=1 mW,10 mW"]);
    let shard = Shard::new(2, 2).unwrap();
    let d = dir("resume");
    let reference = output(d.join("ref.csv"));
    run_shard(&s, &reference, shard, &quiet, None).unwrap();

    let out = output(d.join("out.csv"));
    let first = run_shard(&s, &out, shard, &quiet, Some(2100)).unwrap();
    assert!(!first.finished && !out.path.exists() && !out.shard_path().exists());
    assert_eq!((first.first, first.written), (2500, 2100));
    // A partial file of shard 2 is not resumed as shard 1, nor as the whole sweep.
    let other = run_shard(&s, &out, Shard::new(1, 2).unwrap(), &quiet, None).unwrap_err();
    assert!(matches!(other, CostError::Mismatch(_)), "{other}");
    assert!(matches!(
        run(&s, &out, &quiet, None).unwrap_err(),
        CostError::Mismatch(_)
    ));
    // Tear the last row, as a kill mid-write would.
    let partial = out.partial_path();
    let text = std::fs::read(&partial).unwrap();
    std::fs::write(&partial, &text[..text.len() - 30]).unwrap();
    let summary = run_shard(&s, &out, shard, &quiet, None).unwrap();
    assert_eq!(
        summary.resumed, 2099,
        "the torn row is dropped and recomputed"
    );
    assert_eq!(summary.resumed + summary.written, 2500);
    assert!(summary.finished);
    assert_eq!(
        std::fs::read(&out.path).unwrap(),
        std::fs::read(&reference.path).unwrap()
    );
    assert_eq!(
        std::fs::read(out.shard_path()).unwrap(),
        std::fs::read(reference.shard_path()).unwrap()
    );
}

#[test]
fn merge_refuses_what_is_not_one_complete_run() {
    let s = sweep(&AXES);
    let d = dir("refuse");
    let parts = run_shards(&s, &d, 3, "csv");
    let out = output(d.join("merged.csv"));
    let message = |e: CostError| {
        assert!(e.is_input(), "{e}");
        e.to_string()
    };

    // A missing shard, by name.
    let e = merge(&[parts[0].clone(), parts[2].clone()], &out).unwrap_err();
    assert!(matches!(e, CostError::MissingShards { .. }));
    assert!(message(e).contains("missing shard 2/3"));
    // A shard given twice.
    let e = merge(
        &[parts[0].clone(), parts[1].clone(), parts[1].clone()],
        &out,
    )
    .unwrap_err();
    assert!(matches!(e, CostError::DuplicateShard { .. }), "{e}");
    // A shard of another sweep, named.
    let other = sweep(&["run.batch=lin:1..300:300", "laser.power=1 mW,10 mW,50 mW"]);
    let odd = d.join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    let odd_parts = run_shards(&other, &odd, 3, "csv");
    let e = merge(
        &[parts[0].clone(), odd_parts[1].clone(), parts[2].clone()],
        &out,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CostError::OtherRun { path, .. } if *path == odd_parts[1]),
        "{e}"
    );
    assert!(message(e).contains("odd/part-2.csv"));
    // The same sweep split another way.
    let four = d.join("four");
    std::fs::create_dir_all(&four).unwrap();
    let four_parts = run_shards(&s, &four, 4, "csv");
    let e = merge(
        &[parts[0].clone(), parts[1].clone(), four_parts[2].clone()],
        &out,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CostError::OtherRun { path, .. } if *path == four_parts[2]),
        "{e}"
    );
    // An unfinished shard.
    let unfinished = d.join("unfinished");
    std::fs::create_dir_all(&unfinished).unwrap();
    let u = output(unfinished.join("part-2.csv"));
    run_shard(&s, &u, Shard::new(2, 3).unwrap(), &quiet, Some(10)).unwrap();
    let e = merge(&[parts[0].clone(), u.path.clone(), parts[2].clone()], &out).unwrap_err();
    assert!(matches!(e, CostError::Unfinished { .. }), "{e}");
    assert!(message(e).contains("unfinished"));
    // A plain file that is not a shard.
    let plain = output(d.join("plain.csv"));
    run(&s, &plain, &quiet, None).unwrap();
    let e = merge(std::slice::from_ref(&plain.path), &out).unwrap_err();
    assert!(matches!(e, CostError::NotAShard { .. }), "{e}");
    // A shard whose rows were changed after it was written.
    let changed = d.join("changed");
    std::fs::create_dir_all(&changed).unwrap();
    let c = changed.join("part-2.csv");
    std::fs::copy(&parts[1], &c).unwrap();
    std::fs::copy(shard_path(&parts[1]), shard_path(&c)).unwrap();
    let mut bytes = std::fs::read(&c).unwrap();
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&c, bytes).unwrap();
    let e = merge(&[parts[0].clone(), c.clone(), parts[2].clone()], &out).unwrap_err();
    assert!(matches!(e, CostError::Corrupt { .. }), "{e}");
    // A row removed.
    let text = std::fs::read_to_string(&parts[1]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut: String = lines[..lines.len() - 1]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&c, cut).unwrap();
    let e = merge(&[parts[0].clone(), c, parts[2].clone()], &out).unwrap_err();
    assert!(matches!(e, CostError::Corrupt { .. }), "{e}");
    // A format other than the output's.
    let e = merge(&parts, &output(d.join("merged.jsonl"))).unwrap_err();
    assert!(message(e).contains("CSV"));
    // Nothing was written by the refused merges.
    assert!(!out.path.exists() && !out.partial_path().exists());

    // The good set merges once; then OUT is not overwritten without force.
    merge(&parts, &out).unwrap();
    let e = merge(&parts, &out).unwrap_err();
    assert!(matches!(e, CostError::Exists(_)), "{e}");
    let forced = Output {
        force: true,
        ..out.clone()
    };
    merge(&parts, &forced).unwrap();
    // A shard is not merged into itself.
    let onto = Output {
        path: parts[0].clone(),
        format: Format::Csv,
        force: true,
    };
    assert!(merge(&parts, &onto).is_err());
    assert!(shard_path(&parts[0]).exists());
}

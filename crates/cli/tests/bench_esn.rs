//! `lightloop bench esn`: what it prints (never how fast it runs).

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lightloop"))
}

/// The contention mode runs its four cases (1 and 2 threads, idle and beside a busy child),
/// prints each case's spread, finds the readouts the same in every run, and prints the three
/// criteria each with its target and flag.
#[test]
fn contention_mode_prints_the_cases_and_the_criteria() {
    let o = bin()
        .args(["bench", "esn", "--contention", "--repeats", "2"])
        .args(["--steps", "3000", "--nodes", "50"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("machine: "), "{out}");
    assert!(out.contains("2 repeats of each case"), "{out}");
    for case in [
        "1 thread, idle",
        "1 thread, busy",
        "2 threads, idle",
        "2 threads, busy",
    ] {
        let rows = out.lines().filter(|l| l.starts_with(case)).count();
        assert_eq!(rows, 1, "{case}: {out}");
    }
    assert!(out.contains("max ÷ median"), "{out}");
    assert!(out.contains("the same, bit for bit, in every run"), "{out}");
    for criterion in [
        "1 thread, busy ÷ idle (medians): ",
        "busy: 2 threads ÷ 1 thread (medians): ",
        "busy: slowest repeat ÷ its case's median: ",
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(criterion))
            .unwrap_or_else(|| panic!("{criterion}: {out}"));
        assert!(line.contains("(target ≤ "), "{line}");
        assert!(
            line.ends_with("meets the target") || line.ends_with("MISSES the target"),
            "{line}"
        );
    }
    assert!(out.contains("Targets: "), "{out}");
}

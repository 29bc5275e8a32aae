"""Speed of the Python package, each figure a ratio against a baseline measured in the same run:

1. `lightloop.evaluate` calls per second from Python, as a ratio to the 10⁵/s target (the
   Rust-side rate of the same evaluation is `lightloop bench cost`'s).
2. A physics-heavy run through `lightloop.distributed` on 2 local Ray workers against 1 worker:
   a Monte-Carlo error count of the time-domain engine in 8 shards (target ≥ 1.7×); and the same
   for a sweep of the cost model (no target; its shards are short, so it shows the overhead).
3. `lightloop.sweep` to a file against `lightloop sweep` (the command line) on the same grid
   (target: within 10 %, i.e. a time ratio ≤ 1.10).

Run: python crates/py/bench/bench.py [--binary target/release/lightloop] [--quick]
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lightloop
from lightloop import distributed


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, Python {platform.python_version()}, {platform.system()}"


def verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def best(f, repeats=3):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(Path(__file__).resolve().parents[3] / "target" / "release" / "lightloop"))
    ap.add_argument("--quick", action="store_true", help="smaller grids (a check that the bench runs)")
    a = ap.parse_args()
    print(f"machine: {machine()}")
    met = []

    # 1. evaluate calls per second.
    rig = lightloop.Rig.preset("seed-16ch")
    wl = lightloop.Workload.preset("llama-3-8b")
    n = 20_000 if a.quick else 200_000
    lightloop.evaluate(rig, wl)
    t = best(lambda: [lightloop.evaluate(rig, wl) for _ in range(n)], 3)
    rate = n / t
    ok = rate >= 1e5
    met.append(ok)
    print(f"evaluate from Python: {rate:,.0f} calls/s; ratio to the 10⁵/s target {rate / 1e5:.2f} — {verdict(ok)}")

    # 2. Two Ray workers against one: a Monte-Carlo count of the engine, and a cost-model sweep.
    # 4 × 60 × 1000 = 240 000 points (a few seconds per worker), 24 000 with --quick.
    batches = 100 if a.quick else 1000
    grid = {"topology.channels": [8, 16, 32, 64], "laser.power": "log:1 mW..20 mW:60", "run.batch": f"lin:1..4096:{batches}"}
    points = 4 * 60 * batches
    symbols = 2_000_000 if a.quick else 20_000_000
    try:
        import ray
    except ImportError:
        print("Ray workers: ray is not installed; skipped")
        ray = None
    if ray is not None:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        jobs = {
            "count": lambda out: distributed.SimulateJob(rig, "-23 dBm", symbols, out.with_suffix(".json")),
            "sweep": lambda out: distributed.SweepJob(rig, wl, grid, out),
        }
        times = {}
        with tempfile.TemporaryDirectory() as tmp:
            for kind, make in jobs.items():
                for workers in (1, 2, 1, 2):
                    out = Path(tmp) / f"{kind}-w{workers}-{time.monotonic_ns()}.csv"
                    t = time.perf_counter()
                    distributed.run(make(out), backend="ray", workers=workers, shards=8)
                    times.setdefault((kind, workers), []).append(time.perf_counter() - t)
        ray.shutdown()
        speedup = {k: min(times[(k, 1)]) / min(times[(k, 2)]) for k in jobs}
        ok = speedup["count"] >= 1.7
        met.append(ok)
        print(
            f"Monte-Carlo count of {symbols:,} symbols × 8 samples on Ray (8 shards): 1 worker {min(times[('count', 1)]):.2f} s, "
            f"2 workers {min(times[('count', 2)]):.2f} s; speed-up {speedup['count']:.2f}× (target ≥ 1.7×) — {verdict(ok)}"
        )
        print(
            f"cost-model sweep of {points} points on Ray (8 shards): 1 worker {min(times[('sweep', 1)]):.2f} s, "
            f"2 workers {min(times[('sweep', 2)]):.2f} s; speed-up {speedup['sweep']:.2f}× (no target)"
        )

    # 3. Python sweep against the command line, same grid and threads.
    binary = Path(a.binary)
    if not binary.exists():
        print(f"Python sweep against the command line: no binary at {binary} (cargo build --release -p lightloop); skipped")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            axes_cli = ["--vary", "topology.channels=8,16,32,64", "--vary", "laser.power=log:1 mW..20 mW:60", "--vary", f"run.batch=lin:1..4096:{batches}"]

            def cli():
                out = Path(tmp) / f"c{time.monotonic_ns()}.csv"
                subprocess.run([str(binary), "sweep", "-r", "seed-16ch", "-w", "llama-3-8b", *axes_cli, "--out", str(out), "--quiet", "--threads", "2"], check=True)

            def py():
                out = Path(tmp) / f"p{time.monotonic_ns()}.csv"
                lightloop.sweep(rig, wl, grid, out=out, threads=2)

            tc, tp = best(cli), best(py)
            ratio = tp / tc
            ok = ratio <= 1.10
            met.append(ok)
            print(f"sweep from Python {tp:.2f} s, command line {tc:.2f} s: time ratio {ratio:.2f} (target ≤ 1.10) — {verdict(ok)}")
    print(f"{sum(met)} of {len(met)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Sharded sweeps on local processes and on Ray give the one-process bytes, and a killed run
resumes without lost or repeated rows."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import lightloop
from lightloop import distributed

AXES = {"topology.channels": [8, 16, 32], "laser.power": "lin:1 mW..20 mW:40"}
# 12 000 points: shards long enough for a run to be killed half-way.
BIG = {"topology.channels": [8, 16, 32], "run.batch": "lin:1..4000:4000"}


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    path = tmp_path_factory.mktemp("single") / "grid.csv"
    lightloop.sweep("seed-16ch", "llama-3-8b", AXES, out=path)
    return path.read_bytes()


def test_local_workers_give_the_one_process_bytes(tmp_path, single):
    rig = lightloop.Rig.preset("seed-16ch")
    job = distributed.SweepJob(rig, "llama-3-8b", AXES, tmp_path / "grid.csv")
    seen = []
    merged = distributed.run(job, backend="local", workers=2, shards=5, on_shard=seen.append)
    assert (tmp_path / "grid.csv").read_bytes() == single
    assert sorted(s["shard"] for s in seen) == [f"{k}/5" for k in range(1, 6)]
    assert merged["shards"][0]["shard"] == "1/5"


def test_a_modified_rig_travels_to_the_workers(tmp_path):
    rig = lightloop.Rig.preset("seed-16ch").with_({"laser.power": "3 mW"})
    job = distributed.SweepJob(rig, "llama-3-8b", {"run.batch": [1, 2, 4, 8]}, tmp_path / "m.csv")
    distributed.run(job, backend="local", workers=2, shards=2)
    ref = tmp_path / "ref.csv"
    lightloop.sweep(rig, "llama-3-8b", {"run.batch": [1, 2, 4, 8]}, out=ref)
    assert (tmp_path / "m.csv").read_bytes() == ref.read_bytes()


def test_ray_with_two_workers_gives_the_one_process_bytes(tmp_path, single):
    ray = pytest.importorskip("ray")
    job = distributed.SweepJob("seed-16ch", "llama-3-8b", AXES, tmp_path / "grid.csv")
    try:
        distributed.run(job, backend="ray", workers=2, shards=6)
    finally:
        ray.shutdown()
    assert (tmp_path / "grid.csv").read_bytes() == single


def ray_processes():
    """The running Ray servers (raylet, gcs_server) of this machine, by their command lines."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = open(f"/proc/{d}/cmdline", "rb").read().replace(b"\0", b" ")
            except OSError:
                continue
            if b"raylet" in cmd or b"gcs_server" in cmd:
                found.append(int(d))
    return found


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "grid.csv"
    lightloop.sweep("seed-16ch", "llama-3-8b", BIG, out=path)
    return path.read_bytes()


@pytest.mark.parametrize("backend", ["local", "ray"])
def test_a_killed_run_resumes_without_lost_or_repeated_rows(tmp_path, big, backend):
    if backend == "ray":
        pytest.importorskip("ray")
    out = tmp_path / "grid.csv"
    code = textwrap.dedent(
        f"""
        import lightloop
        from lightloop import distributed
        job = distributed.SweepJob("seed-16ch", "llama-3-8b", {BIG!r}, {str(out)!r})
        distributed.run(job, backend={backend!r}, workers=2, shards=12, on_shard=lambda s: print("done", s["shard"], flush=True))
        """
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    finished = 0
    while finished < 3:
        line = p.stdout.readline()
        assert line, "the run ended before it could be killed"
        finished += line.startswith("done")
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    if backend == "ray":
        # The killed driver's Ray processes exit on their own; wait for them, so that no
        # worker of the killed run still writes a shard while the run resumes.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ray_processes():
            time.sleep(0.5)
        assert not ray_processes()
    assert not out.exists()
    parts = sorted((tmp_path / "grid.csv.shards").glob("part-*-of-12.csv"))
    assert 3 <= len(parts) < 12, parts
    # Resume: the finished shards are kept, the rest run (or resume from their partial files).
    seen = []
    job = distributed.SweepJob("seed-16ch", "llama-3-8b", BIG, out)
    try:
        distributed.run(job, backend=backend, workers=2, on_shard=seen.append)
    finally:
        if backend == "ray":
            import ray

            ray.shutdown()
    assert sum(s["kept"] for s in seen) >= 3
    assert len(seen) == 12
    assert out.read_bytes() == big


def test_a_different_shard_count_on_resume_is_refused(tmp_path):
    job = distributed.SweepJob("seed-16ch", "llama-3-8b", {"run.batch": [1, 2]}, tmp_path / "g.csv")
    (tmp_path / "g.csv.shards").mkdir()
    (tmp_path / "g.csv.shards" / "shards.json").write_text('{"shards": 3}')
    with pytest.raises(lightloop.InputError):
        distributed.run(job, shards=4)


def test_descriptions_pickle_exactly():
    import pickle

    rig = lightloop.Rig.preset("seed-16ch").with_({"laser.power": "12 dBm"})
    again = pickle.loads(pickle.dumps(rig))
    assert again.name == rig.name
    assert again.to_toml() == rig.to_toml()
    assert lightloop.evaluate(again, "llama-3-8b").j_per_token == lightloop.evaluate(rig, "llama-3-8b").j_per_token


# A Monte-Carlo count with a few hundred errors: shards long enough to be worth spreading.
COUNT = dict(rig="seed-16ch", power="-23 dBm", symbols=30_000, seed=5)


def counts(merged):
    return {name: (e["errors"], e["trials"]) for name, e in merged["counts"].items()}


@pytest.fixture(scope="module")
def cli_counts(cli, tmp_path_factory):
    """The count run as 3 shards by the command line and merged by it."""
    d = tmp_path_factory.mktemp("cli-counts")
    for k in (1, 2, 3):
        cli("simulate", "-r", "seed-16ch", "--power=-23 dBm", "--symbols", 30_000, "--seed", 5, "--shard", f"{k}/3", "--out", d / f"s{k}.json")
    return cli("merge", *(d / f"s{k}.json" for k in (3, 1, 2)), "--out", d / "m.json", "--json", json_out=True)


@pytest.mark.parametrize("backend", ["local", "ray"])
def test_a_sharded_count_is_the_same_on_every_backend(tmp_path, cli_counts, backend):
    if backend == "ray":
        ray = pytest.importorskip("ray")
    job = distributed.SimulateJob(COUNT["rig"], COUNT["power"], COUNT["symbols"], tmp_path / "ser.json", seed=COUNT["seed"])
    seen = []
    try:
        merged = distributed.run(job, backend=backend, workers=2, shards=3, on_shard=seen.append)
    finally:
        if backend == "ray":
            ray.shutdown()
    # Errors were seen, and every backend merges to the command line's counts and sums.
    assert 50 < merged["counts"]["symbols"]["errors"] < 30_000
    assert counts(merged) == counts(cli_counts)
    assert merged["sums"] == cli_counts["sums"]
    assert merged["counts"]["symbols"]["low"] < merged["counts"]["symbols"]["rate"] < merged["counts"]["symbols"]["high"]
    assert sorted(s["shard"] for s in seen) == ["1/3", "2/3", "3/3"]
    # The written file holds the same merge.
    import json

    assert counts(json.loads((tmp_path / "ser.json").read_text())) == counts(merged)


def test_shards_from_python_and_the_command_line_merge_together(tmp_path, cli):
    a = lightloop.simulate("seed-16ch", "-23 dBm", symbols=30_000, seed=5, shard="1/2", out=tmp_path / "a.json")
    assert a["shard"] == {"index": 1, "count": 2} and a["first_symbol"] == 0
    assert a["symbols"]["trials"] == 15_000
    cli("simulate", "-r", "seed-16ch", "--power=-23 dBm", "--symbols", 30_000, "--seed", 5, "--shard", "2/2", "--out", tmp_path / "b.json")
    merged = lightloop.merge_counts([tmp_path / "b.json", tmp_path / "a.json"], tmp_path / "m.json")
    assert merged["counts"]["symbols"]["trials"] == 30_000
    # A shard of another run (another seed) is refused by name.
    lightloop.simulate("seed-16ch", "-23 dBm", symbols=30_000, seed=6, shard="2/2", out=tmp_path / "c.json")
    with pytest.raises(lightloop.InputError, match="c.json"):
        lightloop.merge_counts([tmp_path / "a.json", tmp_path / "c.json"], tmp_path / "m2.json")
    # shard= needs out=, and the limits speak Python's names.
    with pytest.raises(lightloop.InputError):
        lightloop.simulate(symbols=10, shard="1/2")
    with pytest.raises(lightloop.InputError) as e:
        lightloop.simulate(symbols=2, shard="1/3", out=tmp_path / "d.json")
    assert e.value.problems[0].key == "shard"
    assert not (tmp_path / "d.json").exists()

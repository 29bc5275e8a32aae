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

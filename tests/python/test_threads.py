"""Threads per call, LIGHTLOOP_THREADS, and runs after fork."""

import multiprocessing as mp
import os
import subprocess
import sys

import lightloop


def test_the_thread_count_follows_the_setting_and_the_environment():
    assert lightloop.threads(3) == 3
    lightloop.set_threads(2)
    try:
        assert lightloop.threads() == 2
    finally:
        lightloop.set_threads(0)
    out = subprocess.run(
        [sys.executable, "-c", "import lightloop; print(lightloop.threads())"],
        env={**os.environ, "LIGHTLOOP_THREADS": "5"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "5"


def _child(q):
    e = lightloop.evaluate("seed-16ch", "llama-3-8b").j_per_token
    s = lightloop.simulate(power="-25 dBm", symbols=3000, seed=1)["symbols"]["errors"]
    q.put((e, s))


def test_calls_work_in_a_process_forked_after_a_call():
    before = lightloop.simulate(power="-25 dBm", symbols=3000, seed=1)["symbols"]["errors"]
    e = lightloop.evaluate("seed-16ch", "llama-3-8b").j_per_token
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    got = q.get(timeout=120)
    p.join(timeout=60)
    assert p.exitcode == 0
    assert got == (e, before)

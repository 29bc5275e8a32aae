"""Sweeps and Monte-Carlo error counts split into shards and run on several processes or a Ray
cluster, merged back into one result.

A sweep of T grid points is split into N shards; shard K (1 ≤ K ≤ N) is the contiguous block of
points [⌊(K−1)·T/N⌋, ⌊K·T/N⌋). What a shard writes depends only on the sweep and K, never on
the worker, the backend or the order in which shards finish, so the merged file is the same
bytes whatever ran it. Shards are written to ``OUT.shards/`` (``part-K-of-N.csv`` beside its
``.shard`` description); a run that is killed keeps its finished shards, and each unfinished
one resumes from its own ``.partial`` file (checksums verified), so running the same job again
loses and repeats no row. The number of shards is recorded in ``OUT.shards/shards.json`` and
kept on resume.

    >>> from lightloop import distributed
    >>> job = distributed.SweepJob("seed-16ch", "llama-3-8b", {"laser.power": "lin:1 mW..20 mW:200"}, "grid.csv")
    >>> distributed.run(job, backend="ray", workers=2)        # or backend="local"

A Monte-Carlo count (:class:`SimulateJob`, the time-domain engine's error rates) is split the
same way: shard K counts its block of the symbols on a chain whose random streams are keyed by
the seed and K only, writes its counts to ``part-K-of-N.json`` (whole or not at all), and the
merge adds the counts into one error rate with its Wilson interval: the same figures whatever
the backend, worker count or completion order.

    >>> job = distributed.SimulateJob("seed-16ch", "-24 dBm", 10_000_000, "ser.json")
    >>> distributed.run(job, backend="ray", workers=2)["counts"]["symbols"]

The same shards can run as a Slurm job array with the command line (``lightloop sweep …
--shard K/N``, ``lightloop simulate … --shard K/N --out F`` and ``lightloop merge``; see
examples/slurm/sweep.sbatch).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import multiprocessing as mp

from . import _native

__all__ = ["SweepJob", "SimulateJob", "run"]


class _Job:
    """What every job has: its output file ``out``, its shards' folder ``OUT.shards/`` and the
    path of shard K of N there."""

    out: Union[str, os.PathLike]

    def shard_dir(self) -> Path:
        out = Path(self.out)
        return out.with_name(out.name + ".shards")

    def shard_path(self, k: int, n: int) -> Path:
        return self.shard_dir() / f"part-{k}-of-{n}{Path(self.out).suffix}"

    def finished(self, k: int, n: int) -> bool:
        """Whether shard k of n was finished by an earlier run (and is kept as it is)."""
        raise NotImplementedError

    def run_shard(self, k: int, n: int, threads: int) -> Dict[str, Any]:
        """Runs (or resumes) shard k of n; returns its summary."""
        raise NotImplementedError

    def merge(self, parts: List[Path], force: bool) -> Dict[str, Any]:
        """Merges the shard files `parts` (in shard order) into ``out``."""
        raise NotImplementedError


@dataclass
class SweepJob(_Job):
    """A sweep to run in shards: the base rig and workload (objects, preset names or paths), the
    axes (as for ``lightloop.sweep``), the output file (.csv or .jsonl) and an optional GPU for
    baseline columns."""

    rig: Any
    workload: Any
    vary: Mapping[str, Union[Sequence[Any], str]]
    out: Union[str, os.PathLike]
    gpu: Any = None
    max_points: int = 1_000_000_000

    def finished(self, k: int, n: int) -> bool:
        path = self.shard_path(k, n)
        return path.exists() and Path(str(path) + ".shard").exists()

    def run_shard(self, k: int, n: int, threads: int) -> Dict[str, Any]:
        return _native.sweep_to_file(
            self.rig, self.workload, dict(self.vary), self.shard_path(k, n), self.gpu, threads, False,
            self.max_points, None, f"{k}/{n}",
        )

    def merge(self, parts: List[Path], force: bool) -> Dict[str, Any]:
        return _native.merge_sweep(parts, Path(self.out), force)


@dataclass
class SimulateJob(_Job):
    """A Monte-Carlo count of the time-domain engine to run in shards: `symbols` random ternary
    symbols through one channel's reference chain of `rig` at the full-scale received `power`
    (a string with its unit, "-24 dBm", or a float in W), as ``lightloop.simulate``; the merged
    counts (error rates with Wilson 95 % intervals, energy and simulated time) go to `out`
    (.json). Each shard is single-threaded, so workers are the parallelism."""

    rig: Any
    power: Union[str, float]
    symbols: int
    out: Union[str, os.PathLike]
    samples_per_symbol: int = 8
    seed: int = 1
    time_limit: float = 3600.0

    def finished(self, k: int, n: int) -> bool:
        # A shard's counts are written whole or not at all.
        return self.shard_path(k, n).exists()

    def run_shard(self, k: int, n: int, threads: int) -> Dict[str, Any]:
        path = self.shard_path(k, n)
        r = _native.simulate(
            self.rig, self.power, symbols=self.symbols, samples_per_symbol=self.samples_per_symbol,
            seed=self.seed, time_limit=self.time_limit, shard=f"{k}/{n}", out=path, force=True,
        )
        return {"out": str(path), "symbols": r["symbols"], "bits": r["bits"]}

    def merge(self, parts: List[Path], force: bool) -> Dict[str, Any]:
        return _native.merge_counts(parts, Path(self.out), force)


Job = Union[SweepJob, SimulateJob]


def _run_shard(job: Job, k: int, n: int, threads: int) -> Dict[str, Any]:
    """Runs (or resumes) shard k of n; a finished shard is kept as it is."""
    path = job.shard_path(k, n)
    if job.finished(k, n):
        return {"shard": f"{k}/{n}", "out": str(path), "kept": True}
    summary = job.run_shard(k, n, threads)
    summary["shard"] = f"{k}/{n}"
    summary["kept"] = False
    return summary


def _shard_count(job: Job, shards: Optional[int], workers: int) -> int:
    """The number of shards: as recorded by an earlier run of this job, else `shards`, else four
    per worker."""
    d = job.shard_dir()
    d.mkdir(parents=True, exist_ok=True)
    record = d / "shards.json"
    if record.exists():
        n = int(json.loads(record.read_text())["shards"])
        if shards is not None and shards != n:
            raise _native.InputError(
                f"{d} holds a run split into {n} shards; pass shards={n} (or remove the folder to start over)"
            )
        return n
    n = shards if shards is not None else 4 * max(1, workers)
    if n < 1:
        raise _native.InputError(f"shards={n}: at least 1")
    record.write_text(json.dumps({"shards": n}))
    return n


def run(
    job: Job,
    backend: str = "local",
    workers: int = 2,
    shards: Optional[int] = None,
    threads_per_worker: int = 1,
    retries: int = 2,
    on_shard: Optional[Callable[[Dict[str, Any]], Any]] = None,
    force: bool = False,
) -> Dict[str, Any]:
    """Runs `job` (a :class:`SweepJob` or :class:`SimulateJob`) in shards on `workers` processes (``backend="local"``) or Ray workers
    (``backend="ray"``: at most `workers` shards in flight on the running cluster, or on a local
    Ray started with ``num_cpus=workers`` when none is running),
    then merges the shards into ``job.out``.

    Each worker runs ``threads_per_worker`` threads, so workers × threads stays within the
    machine. A failed shard is retried up to ``retries`` times. ``on_shard(summary)`` is called
    as each shard finishes (its rows are then in ``summary["out"]``), in completion order.
    Returns the merge's summary with the shard summaries. ``force`` overwrites a finished
    ``job.out``.
    """
    if workers < 1:
        raise _native.InputError(f"workers={workers}: at least 1")
    out = Path(job.out)
    if out.exists() and not force:
        raise _native.InputError(f"{out} already holds a finished run; pass force=True to overwrite it")
    n = _shard_count(job, shards, workers)
    if backend == "local":
        results = _run_local(job, n, workers, threads_per_worker, retries, on_shard)
    elif backend == "ray":
        results = _run_ray(job, n, workers, threads_per_worker, retries, on_shard)
    else:
        raise _native.InputError(f"backend={backend!r}: expected 'local' or 'ray'")
    parts = [job.shard_path(k, n) for k in range(1, n + 1)]
    merged = job.merge(parts, force)
    merged["shards"] = sorted(results, key=lambda r: int(r["shard"].split("/")[0]))
    return merged


def _run_local(job, n, workers, threads, retries, on_shard) -> List[Dict[str, Any]]:
    # Worker processes are started fresh (spawn): they hold no thread pool of this process.
    ctx = mp.get_context("spawn")
    results = []
    attempts = {k: 0 for k in range(1, n + 1)}
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending = {pool.submit(_run_shard, job, k, n, threads): k for k in range(1, n + 1)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                k = pending.pop(f)
                try:
                    summary = f.result()
                except _native.InputError:
                    raise
                except Exception:
                    attempts[k] += 1
                    if attempts[k] > retries:
                        raise
                    pending[pool.submit(_run_shard, job, k, n, threads)] = k
                    continue
                results.append(summary)
                if on_shard is not None:
                    on_shard(summary)
    return results


def _run_ray(job, n, workers, threads, retries, on_shard) -> List[Dict[str, Any]]:
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
    remote = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=[RuntimeError])(_run_shard)
    # At most `workers` shards in flight, whatever the cluster's size.
    queue = list(range(1, n + 1))
    pending = {}
    results = []
    while queue or pending:
        while queue and len(pending) < workers:
            k = queue.pop(0)
            pending[remote.remote(job, k, n, threads)] = k
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            pending.pop(ref)
            summary = ray.get(ref)
            results.append(summary)
            if on_shard is not None:
                on_shard(summary)
    return results

"""lightloop: energy, throughput, error rates and cost of optical neural-network co-processors.

One description of the hardware (a ``Rig``) and of the work (a ``Workload``) gives the energy per
MAC, per token and per facility, throughput and latency from the physics, error rates with
their intervals, and the comparison with GPUs, with the same numbers as the ``lightloop``
command line (both are front ends over the same Rust libraries).

Quantities are strings with their units, as in the TOML descriptions (``"12 dBm"``, ``"6 ns"``),
or floats in SI units (W, s, Hz; dB for ratios). Results are in SI units: J, s, W, tokens/s.

    >>> import lightloop
    >>> rig = lightloop.Rig.preset("seed-16ch")
    >>> e = lightloop.evaluate(rig, "llama-3-8b")
    >>> e.j_per_token                              # J per output token
    >>> lightloop.compare(rig, "llama-3-8b")["verdict"]
    >>> df = lightloop.sweep(rig, "llama-3-8b", {"laser.power": ["1 mW", "5 mW"]})

Long calls release the GIL, stop on Ctrl-C and take ``threads=`` (see ``set_threads``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from . import _native
from . import distributed
from ._native import (
    Deployment,
    Evaluation,
    Gpu,
    InputError,
    OnnxModel,
    OnRig,
    Problem,
    Reservoir,
    Rig,
    Workload,
    audit,
    compare,
    evaluate,
    experiment,
    experiment_config,
    fleet,
    merge_counts,
    merge_sweep,
    model_eval,
    model_fetch,
    model_list,
    report,
    set_threads,
    simulate,
    sweep_to_file,
    test_plan,
    threads,
)

__version__ = _native.__version__

__all__ = [
    "distributed",
    "Deployment",
    "Evaluation",
    "Gpu",
    "InputError",
    "OnnxModel",
    "OnRig",
    "Problem",
    "Reservoir",
    "Rig",
    "Workload",
    "audit",
    "compare",
    "evaluate",
    "experiment",
    "experiment_config",
    "fleet",
    "merge_counts",
    "merge_sweep",
    "model_eval",
    "model_fetch",
    "model_list",
    "report",
    "set_threads",
    "simulate",
    "sweep",
    "sweep_to_file",
    "test_plan",
    "threads",
]


def _progress(progress: Union[None, bool, Callable[[int, int], Any]]) -> Optional[Callable[[int, int], Any]]:
    """A progress callback: the one given, a tqdm bar for ``True`` (when tqdm is installed)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is optional
            return None
        bar = tqdm(total=0)

        def update(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()
            if done >= total:
                bar.close()

        return update
    return progress


def sweep(
    rig: Union[Rig, str],
    workload: Union[Workload, str],
    vary: Mapping[str, Union[Sequence[Any], str]],
    *,
    out: Union[str, "os.PathLike[str]", None] = None,
    gpu: Union[Gpu, str, None] = None,
    threads: Optional[int] = None,
    force: bool = False,
    max_points: int = 1_000_000_000,
    progress: Union[None, bool, Callable[[int, int], Any]] = None,
):
    """Evaluates every combination of the axes in ``vary`` (last axis fastest).

    Each axis is a dotted key with a list of values (``{"laser.power": ["1 mW", "2 mW"]}``,
    quantities as strings with units) or a range (``"lin:2 ns..10 ns:9"``, ``"log:1..1024:11"``).
    Keys under ``workload.``, ``model.``, ``run.`` and ``loop.`` move the workload, all others
    the rig. Points whose descriptions are invalid get a row with an ``error`` column.

    With ``out=None`` the rows come back as a pandas DataFrame (columns in snake_case with
    their unit as suffix, e.g. ``step_time_s``, ``laser_power_mw``). With ``out="grid.csv"`` (or ``.jsonl``) they
    are streamed to that file with the command line's guarantees (a killed run resumes from
    ``OUT.partial``, verified by checksums; only a finished sweep appears under ``OUT``) and
    the run's summary is returned.
    """
    if out is not None:
        return sweep_to_file(rig, workload, dict(vary), Path(out), gpu, threads, force, max_points, _progress(progress))
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="lightloop-sweep-") as tmp:
        path = Path(tmp) / "sweep.csv"
        sweep_to_file(rig, workload, dict(vary), path, gpu, threads, True, max_points, _progress(progress))
        return pd.read_csv(path)

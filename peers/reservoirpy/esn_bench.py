#!/usr/bin/env python3
"""Time one echo-state-network training run in ReservoirPy 0.4.2 on NARMA10.

Timed region (per repeat): `esn.fit(X, Y, warmup=200)` on an already
initialised model, i.e. the reservoir states over all `steps` inputs plus the
ridge readout fit. Not timed: data generation, building W / Win / bias
(including the ARPACK spectral-radius estimate), and the NRMSE check.

stdout: one JSON line. Everything else goes to stderr.
"""
import argparse
import json
import os
import statistics
import sys
import time

# BLAS thread count must be fixed before numpy is imported.
THREADS = os.environ.get("LIGHTLOOP_THREADS", "2")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = THREADS

import numpy as np  # noqa: E402

import reservoirpy  # noqa: E402
from reservoirpy.mat_gen import bernoulli  # noqa: E402
from reservoirpy.nodes import Reservoir, Ridge  # noqa: E402

WARMUP = 200
NRMSE_WINDOW = 2000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def narma10(steps, rng):
    """u ~ U[0, 0.5] i.i.d.; y(t+1) = 0.3 y(t) + 0.05 y(t) sum_{i=0..9} y(t-i)
    + 1.5 u(t-9) u(t) + 0.1, with y = u = 0 before t = 0.
    Returns X (steps, 1) = u(t) and Y (steps, 1) = y(t+1). A series with any
    |y| > 10 is discarded and a new one drawn from the same generator."""
    while True:
        u = rng.uniform(0.0, 0.5, size=steps)
        y = np.zeros(steps + 1)
        for t in range(steps):
            window = y[max(0, t - 9) : t + 1].sum()
            u9 = u[t - 9] if t >= 9 else 0.0
            y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * window + 1.5 * u9 * u[t] + 0.1
        if np.all(np.abs(y) <= 10.0):
            return u.reshape(-1, 1), y[1:].reshape(-1, 1)
        log("narma10: series diverged (|y| > 10), redrawing")


def build(nodes, seed, bias_scaling):
    # 0.4.2 has no `bias_scaling` argument; bias is an initializer or a value
    # (default 0.0). bernoulli(input_scaling=s) gives a dense vector of +-s.
    bias = bernoulli(input_scaling=bias_scaling) if bias_scaling > 0 else 0.0
    reservoir = Reservoir(
        units=nodes,
        sr=0.95,
        lr=1.0,
        input_scaling=0.1,
        input_connectivity=1.0,
        rc_connectivity=0.1,
        bias=bias,
        activation="tanh",
        seed=seed,
    )
    readout = Ridge(ridge=1e-8)
    return reservoir, readout, reservoir >> readout


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--nodes", type=int, default=500)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--bias-scaling", type=float, default=0.3,
                   help="reservoir bias = +-this (Bernoulli); 0 = no bias")
    a = p.parse_args()
    if a.steps <= WARMUP + NRMSE_WINDOW:
        p.error(f"--steps must exceed {WARMUP + NRMSE_WINDOW}")

    log(f"reservoirpy {reservoirpy.__version__}, numpy {np.__version__}, "
        f"BLAS threads {THREADS}")
    log(f"generating NARMA10, {a.steps} steps (not timed)")
    X, Y = narma10(a.steps, np.random.default_rng(a.seed))

    times, setup = [], []
    for r in range(a.repeats):
        t0 = time.perf_counter()
        reservoir, readout, esn = build(a.nodes, a.seed, a.bias_scaling)
        esn.initialize(X, Y)  # draws W, Win, bias; rescales W (ARPACK)
        setup.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        esn.fit(X, Y, warmup=WARMUP)
        times.append(time.perf_counter() - t0)
        log(f"repeat {r + 1}/{a.repeats}: fit {times[-1]:.3f} s "
            f"(setup {setup[-1]:.3f} s, not timed)")

    # Correctness check on the last fitted model: recompute the training
    # states from a zero state and score the readout on the last 2000 steps.
    reservoir.reset()
    states = reservoir.run(X)
    pred = readout.run(states[-NRMSE_WINDOW:])
    true = Y[-NRMSE_WINDOW:]
    nrmse = float(np.sqrt(np.mean((pred - true) ** 2)) / np.std(true))
    log(f"train NRMSE (last {NRMSE_WINDOW} steps, RMSE/std): {nrmse:.4f}")

    print(json.dumps({
        "library": "reservoirpy",
        "version": reservoirpy.__version__,
        "nodes": a.nodes,
        "steps": a.steps,
        "threads": int(THREADS),
        "seconds_min": min(times),
        "seconds_median": statistics.median(times),
        "train_nrmse": nrmse,
        "setup_seconds_median": statistics.median(setup),
    }))


if __name__ == "__main__":
    main()

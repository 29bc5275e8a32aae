#!/usr/bin/env python3
"""Training steps per second of the reference optical-loop model in PyTorch (CPU, float32).

The model matches lightloop's candle LoopNet (crates/nn/src/loopnet): see README.md beside
this file. Prints progress to stderr and one JSON line to stdout, last.
"""
import argparse
import csv
import json
import os
import statistics
import sys
import time
import warnings

THREADS = int(os.environ.get("LIGHTLOOP_THREADS", "2"))
# Before torch is imported, so that OpenMP and MKL start with this many threads.
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ["MKL_NUM_THREADS"] = str(THREADS)
# OpenMP workers that spin while waiting collapse (10-30x slower) when another process shares
# the cores; sleeping workers cost little here. Override by setting OMP_WAIT_POLICY=ACTIVE.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")  # numpy is not needed

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

INPUTS, CLASSES = 64, 10


def log(msg):
    print(f"[loop_bench.py] {msg}", file=sys.stderr, flush=True)


def load_table(path):
    """(a0, step, phi, slope) from a CSV `a,phi,slope` on a uniform grid."""
    with open(path, newline="") as f:
        rows = csv.reader(f)
        if [h.strip() for h in next(rows)] != ["a", "phi", "slope"]:
            sys.exit(f"{path}: expected the header a,phi,slope")
        a, phi, slope = zip(*((float(r[0]), float(r[1]), float(r[2])) for r in rows if r))
    step = (a[-1] - a[0]) / (len(a) - 1)
    if any(abs(a[k] - (a[0] + k * step)) > 1e-6 * max(1.0, abs(a[k])) for k in range(len(a))):
        sys.exit(f"{path}: the grid of a is not uniform")
    return a[0], step, torch.tensor(phi), torch.tensor(slope)


def synthetic_table(limit=32.0, step=1.0 / 256.0):
    """tanh on the same grid as lightloop's table (|a| <= 32, step 1/256)."""
    n = round(2 * limit / step) + 1
    a = -limit + step * torch.arange(n, dtype=torch.float64)
    t = torch.tanh(a)
    return -limit, step, t.float(), (1 - t * t).float()


def _lerp(col, diff, k, frac):
    """col[k] + frac * (col[k+1] - col[k]); index_select is several times faster than col[k]."""
    flat = k.reshape(-1)
    lo = col.index_select(0, flat).view_as(k)
    return lo + frac * diff.index_select(0, flat).view_as(k)


def _diff(col):
    """col[k+1] - col[k] (0 at the end)."""
    return torch.cat([col[1:] - col[:-1], col.new_zeros(1)])


class TablePhi(torch.autograd.Function):
    """phi(z) by linear interpolation in a table, gradient from the tabulated slope.

    z is clamped to the grid, so beyond it the end values hold (as on the Rust side).
    `table` is (a0, step, phi, dphi, slope, dslope), d* the differences of neighbours."""

    @staticmethod
    def forward(ctx, z, table):
        a0, step, phi, dphi, slope, dslope = table
        u = ((z - a0) / step).clamp(0.0, phi.numel() - 1)
        k = u.floor().clamp(max=phi.numel() - 2)
        frac = u - k
        k = k.long()
        ctx.save_for_backward(k, frac)
        ctx.slope = slope, dslope
        return _lerp(phi, dphi, k, frac)

    @staticmethod
    def backward(ctx, grad):
        k, frac = ctx.saved_tensors
        return grad * _lerp(*ctx.slope, k, frac), None


def ternary(w):
    """Ternary Weight Networks with a straight-through estimator."""
    with torch.no_grad():  # Wt is detached below anyway
        delta = 0.7 * w.abs().mean()
        pos = (w > delta).float()
        neg = (w < -delta).float()
        mask = pos + neg
        scale = (w.abs() * mask).sum() / mask.sum().clamp(min=1.0)
        wt = (pos - neg) * scale
    return w + (wt - w).detach()


class LoopNet(torch.nn.Module):
    def __init__(self, width, passes, table):
        super().__init__()
        self.w_in = torch.nn.Parameter(torch.randn(width, INPUTS) / INPUTS**0.5)
        self.a = torch.nn.Parameter(torch.randn(width, width) / width**0.5)
        self.gain = torch.nn.Parameter(torch.tensor(1.0))
        # min(0.1, 1/T), as lightloop's LoopNetConfig::new.
        self.alpha = torch.nn.Parameter(torch.full((passes,), min(0.1, 1.0 / passes)))
        self.w_out = torch.nn.Parameter(torch.randn(CLASSES, width) / width**0.5)
        self.b_out = torch.nn.Parameter(torch.zeros(CLASSES))
        a0, step, phi, slope = table
        self.table = (a0, step, phi, _diff(phi), slope, _diff(slope))
        self.passes = passes

    def forward(self, x):
        h = x @ ternary(self.w_in).T
        at = ternary(self.a).T
        for t in range(self.passes):
            z = (h @ at) * self.gain
            h = h + self.alpha[t] * TablePhi.apply(z, self.table)
        return h @ self.w_out.T + self.b_out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--passes", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=30, help="timed steps per repeat")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--repeats", type=int, default=3, help="timed blocks; the median counts")
    p.add_argument("--phi-table", help="CSV a,phi,slope (default: a synthetic tanh table)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if min(args.width, args.passes, args.batch, args.steps, args.repeats) < 1:
        p.error("width, passes, batch, steps and repeats must be at least 1")

    torch.set_num_threads(THREADS)
    torch.manual_seed(args.seed)
    table = load_table(args.phi_table) if args.phi_table else synthetic_table()
    log(f"torch {torch.__version__}, threads {torch.get_num_threads()} "
        f"(OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}), phi table "
        f"{args.phi_table or '(synthetic tanh)'}: {table[2].numel()} points, step {table[1]:g}")

    model = LoopNet(args.width, args.passes, table)
    x = torch.rand(args.batch, INPUTS)
    labels = torch.randint(CLASSES, (args.batch,))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)

    def train_step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        train_step()
    rates = []
    for r in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            loss = train_step()
        elapsed = time.perf_counter() - start
        rates.append(args.steps / elapsed)
        log(f"repeat {r + 1}/{args.repeats}: {args.steps} steps in {elapsed:.3f} s "
            f"= {rates[-1]:.2f} steps/s, loss {loss.item():.4f}")

    print(json.dumps({
        "library": "pytorch",
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
        "width": args.width,
        "passes": args.passes,
        "batch": args.batch,
        "steps": args.steps,
        "repeats": args.repeats,
        "steps_per_second": statistics.median(rates),
        "final_loss": loss.item(),
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Time training steps of the optical-loop model in PyTorch (CPU), then run the lightloop (candle)
# loop bench with that rate as its baseline. See README.md in this folder.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE/../.."  # repository root

WIDTH="${WIDTH:-256}"
PASSES="${PASSES:-64}"
BATCH="${BATCH:-64}"
STEPS="${STEPS:-30}"
TORCH_VERSION="${TORCH_VERSION:-2.15.0}"
VENV="${LIGHTLOOP_BENCH_VENV_TORCH:-target/bench-venv-torch}"
export LIGHTLOOP_THREADS="${LIGHTLOOP_THREADS:-2}"
PHI_TABLE=target/phi_table.csv

log() { echo "[peers/pytorch] $*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv at $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("torch") != sys.argv[1])' \
    "$TORCH_VERSION" 2>/dev/null; then
    # PyPI's Linux x86_64 torch is the CUDA build: it needs the nvidia-* wheels even on CPU
    # (about 3 GB to download, 5.3 GB installed). The CPU-only wheels are not on PyPI.
    log "installing torch==$TORCH_VERSION from PyPI (CUDA build with its nvidia-* wheels: ~3 GB download)"
    "$VENV/bin/pip" install -q "torch==$TORCH_VERSION"
fi

log "lightloop: exporting the phi table to $PHI_TABLE"
cargo run --release -q -p lightloop -- bench loop --export-phi "$PHI_TABLE"

log "PyTorch: width=$WIDTH passes=$PASSES batch=$BATCH steps=$STEPS threads=$LIGHTLOOP_THREADS"
JSON="$("$VENV/bin/python" "$HERE/loop_bench.py" --width "$WIDTH" --passes "$PASSES" \
    --batch "$BATCH" --steps "$STEPS" --warmup 3 --phi-table "$PHI_TABLE" --seed 1 | tail -n 1)"
log "PyTorch result: $JSON"

field() { printf '%s' "$JSON" | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
RATE="$(field steps_per_second)"
VERSION="$(field version)"
VERSION="${VERSION%%+*}"  # 2.15.0+cu132 -> 2.15.0 (the CUDA build, run on the CPU)
log "baseline: $RATE steps/s (PyTorch $VERSION, median of 3 timed blocks)"

log "lightloop: cargo run --release -p lightloop -- bench loop"
cargo run --release -q -p lightloop -- bench loop --width "$WIDTH" --passes "$PASSES" --batch "$BATCH" \
    --baseline-steps-per-second "$RATE" --baseline-name "PyTorch $VERSION (CPU)"

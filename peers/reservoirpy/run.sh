#!/usr/bin/env bash
# Time an ESN on NARMA10 in ReservoirPy 0.4.2, then run the lightloop ESN
# bench with that time as its baseline. See README.md in this folder.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE/../.."  # repository root

NODES="${NODES:-500}"
STEPS="${STEPS:-100000}"
REPEATS="${REPEATS:-3}"
VENV="${LIGHTLOOP_BENCH_VENV:-target/bench-venv}"
export LIGHTLOOP_THREADS="${LIGHTLOOP_THREADS:-2}"

log() { echo "[peers/reservoirpy] $*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv at $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("reservoirpy") != "0.4.2")' 2>/dev/null; then
    log "installing reservoirpy==0.4.2 (pulls numpy, scipy, joblib)"
    "$VENV/bin/pip" install -q reservoirpy==0.4.2
fi

ROUNDS="${ROUNDS:-3}"
cargo build --release -q -p lightloop
RATIOS=()
# The two sides alternate, round after round, so that a slow stretch of the machine (they
# happen, and last minutes) falls on both; the median round's ratio is the result.
for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS: ReservoirPy nodes=$NODES steps=$STEPS repeats=$REPEATS threads=$LIGHTLOOP_THREADS"
    JSON="$("$VENV/bin/python" "$HERE/esn_bench.py" --nodes "$NODES" --steps "$STEPS" \
        --seed 1 --repeats "$REPEATS" | tail -n 1)"
    log "ReservoirPy result: $JSON"
    SECONDS_MIN="$(printf '%s' "$JSON" | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["seconds_min"])')"
    log "baseline: ${SECONDS_MIN} s (min over $REPEATS runs)"
    log "round $round/$ROUNDS: lightloop bench esn"
    OUT="$(cargo run --release -q -p lightloop -- bench esn --nodes "$NODES" --steps "$STEPS" \
        --baseline-seconds "$SECONDS_MIN" --baseline-name "ReservoirPy 0.4.2")"
    printf '%s\n' "$OUT"
    RATIOS+=("$(printf '%s' "$OUT" | sed -n 's/.*ratio \([0-9.]*\).*/\1/p')")
done
"$VENV/bin/python" - "${RATIOS[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
listed = ", ".join(f"{x:.2f}" for x in r)
print(f"ESN against ReservoirPy 0.4.2 over {len(r)} alternating rounds: ratios {listed}; "
      f"median {statistics.median(r):.2f} (target >= 5)")
PY

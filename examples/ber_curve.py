"""A bit-error-rate curve of one channel of the seed rig from the time-domain engine, with
Wilson 95 % intervals, against the received power (ber_curve.png).

Run: python examples/ber_curve.py [OUT_DIR]
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import lightloop

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out.mkdir(parents=True, exist_ok=True)

# %% Error counts at each received power (every noise source on, same seed).
powers_dbm = np.arange(-27.0, -20.0, 1.0)
rows = []
for p in powers_dbm:
    s = lightloop.simulate("seed-16ch", power=f"{p} dBm", symbols=40_000, seed=1)
    b = s["bits"]
    rows.append((p, b["errors"], b["trials"], b["rate"], b["low"], b["high"]))
    print(f"{p:6.1f} dBm  {b['errors']:6d} / {b['trials']} bit errors  BER {b['rate']:.2e} [{b['low']:.1e}, {b['high']:.1e}]")

# %% Points with no counted error are drawn as their 95 % upper bound.
fig, ax = plt.subplots(figsize=(6, 4))
for p, errors, trials, rate, low, high in rows:
    if errors > 0:
        ax.errorbar([p], [rate], yerr=[[rate - low], [high - rate]], fmt="o", color="C0")
    else:
        ax.plot([p], [high], marker="v", color="C1")
ax.set_yscale("log")
ax.set_xlabel("received full-scale power (dBm)")
ax.set_ylabel("bit-error rate")
ax.set_title("seed-16ch reference chain, 40 000 symbols per point")
fig.tight_layout()
fig.savefig(out / "ber_curve.png", dpi=120)

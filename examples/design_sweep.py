"""A design sweep: energy per token of the seed rig on Llama-3-8B against laser power and channel
count, as a DataFrame and a plot (design_sweep.png).

Run: python examples/design_sweep.py [OUT_DIR]
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import lightloop

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out.mkdir(parents=True, exist_ok=True)

# %% The base rig and the grid: every combination is one row (last axis fastest).
rig = lightloop.Rig.preset("seed-16ch")
grid = {
    "topology.channels": [8, 16, 32, 64],
    "laser.power": "log:1 mW..20 mW:7",
}
df = lightloop.sweep(rig, "llama-3-8b", grid)
print(df[["topology_channels", "laser_power_mw", "j_per_token", "tokens_per_s"]].head(8).to_string(index=False))

# %% One line per channel count.
fig, ax = plt.subplots(figsize=(7.5, 4))
for channels, part in df.groupby("topology_channels"):
    ax.plot(part["laser_power_mw"], part["j_per_token"], marker="o", label=f"{channels} channels")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("laser power per channel (mW)")
ax.set_ylabel("energy per token (J)")
ax.set_title("seed-16ch on llama-3-8b")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.tight_layout()
fig.savefig(out / "design_sweep.png", dpi=120)

# %% The GPU for scale.
h100 = lightloop.compare(rig, "llama-3-8b", gpus=["h100-sxm"])
print(h100["verdict"])

"""A reservoir fit: the digital echo-state network against the delay-line reservoir and the rig's
loop on its twin, each trained with a ridge readout for one-step prediction of a quasi-periodic
signal, scored by NRMSE on held-out steps.

Run: python examples/reservoir_fit.py
"""

import numpy as np

import lightloop

# %% The signal, scaled to [0, 1] (the range reservoirs are driven over).
t = np.arange(4001)
u = np.sin(2 * np.pi * t / 37.0) * np.cos(2 * np.pi * t / 91.0) + 0.3 * np.sin(2 * np.pi * t / 13.0)
u = (u - u.min()) / (u.max() - u.min())
x, y = u[:-1, None], u[1:, None]
train, test = slice(0, 3000), slice(3000, 4000)


def nrmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)) / np.std(a))


# %% Three reservoirs, same seed.
for kind, nodes in [("esn", 200), ("delay-mg", 200), ("soa-twin", 200)]:
    r = lightloop.Reservoir(kind, nodes=nodes, seed=1)
    r.fit(x[train], y[train], ridge=1e-6, warmup=200)
    pred = r.predict(x[test])
    print(f"{kind:10s} {nodes} nodes: NRMSE {nrmse(y[test], pred):.4f}")
print(f"{'no change':10s}            NRMSE {nrmse(y[test], x[test]):.4f}")

"""A design search with Optuna: the cheapest rig (energy per token on Llama-3-8B) that keeps the
readout's error-rate target (its SNR at or above the noise budget's target) and an accuracy
target (a small classifier, built here as an ONNX model, run with its layers on the rig's twin,
must pick the digital network's class for at least 98 % of the inputs), with lightloop as the
objective.

Run: python examples/design_search.py [TRIALS]
"""

import sys

import numpy as np
import onnx
import optuna
from onnx import TensorProto, helper, numpy_helper

import lightloop

trials = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 24
base = lightloop.Rig.preset("seed-16ch")
workload = lightloop.Workload.preset("llama-3-8b")
MIN_AGREEMENT = 0.98

# %% The classifier: 64 inputs → 64 hidden (ReLU) → 10 classes, random weights, as PyTorch
# exports two nn.Linear layers (Gemm with transB=1).
rng = np.random.default_rng(0)
weights = {
    "fc1.weight": rng.normal(0, 1 / 8, (64, 64)).astype(np.float32),
    "fc1.bias": np.zeros(64, np.float32),
    "fc2.weight": rng.normal(0, 1 / 8, (10, 64)).astype(np.float32),
    "fc2.bias": np.zeros(10, np.float32),
}
graph = helper.make_graph(
    [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"], ["y"], name="fc2", transB=1),
    ],
    "classifier",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])],
    [numpy_helper.from_array(v, k) for k, v in weights.items()],
)
model = lightloop.OnnxModel(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
x = rng.uniform(-1, 1, (400, 64)).astype(np.float32)
digital = model.run({"x": x})["y"].argmax(axis=1)


def measure(trial):
    bits = trial.suggest_int("adc_bits", 2, 12, step=2)
    rig = base.with_(
        {
            "laser.power": trial.suggest_float("laser_power_w", 0.05e-3, 20e-3, log=True),  # SI: W
            "topology.channels": trial.suggest_categorical("channels", [8, 16, 32]),
            "adc.bits": bits,
            "adc.enob": bits - 0.7,
            "dac.bits": bits,
        }
    )
    e = lightloop.evaluate(rig, workload)
    noise = e.to_dict()["noise"]
    on = model.on_rig(rig, seed=1)
    on.calibrate({"x": x[:100]})
    agreement = float((on.run({"x": x[100:]})["y"].argmax(axis=1) == digital[100:]).mean())
    constraints = (noise["target_snr_db"] - noise["snr_db"], MIN_AGREEMENT - agreement)  # feasible when ≤ 0
    trial.set_user_attr("constraints", constraints)
    trial.set_user_attr("snr_db", noise["snr_db"])
    trial.set_user_attr("agreement", agreement)
    if hasattr(trial, "set_constraint"):  # Optuna ≥ 5
        trial.set_constraint("snr_below_target_db", constraints[0])
        trial.set_constraint("agreement_below_target", constraints[1])
    return e.j_per_token


optuna.logging.set_verbosity(optuna.logging.WARNING)
if hasattr(optuna.trial.Trial, "set_constraint"):
    sampler = optuna.samplers.TPESampler(seed=1)
else:
    sampler = optuna.samplers.TPESampler(seed=1, constraints_func=lambda t: t.user_attrs["constraints"])
study = optuna.create_study(direction="minimize", sampler=sampler)
study.optimize(measure, n_trials=trials)

feasible = [t for t in study.trials if all(c <= 0 for c in t.user_attrs["constraints"])]
print(f"{len(feasible)} of {len(study.trials)} trials meet both constraints")
for t in sorted(study.trials, key=lambda t: t.value)[:5]:
    ok = "meets both" if t in feasible else "misses"
    print(
        f"  {t.value:7.3g} J/token  laser {t.params['laser_power_w'] * 1e3:6.2f} mW  {t.params['channels']:2d} ch  "
        f"{t.params['adc_bits']:2d}-bit  SNR {t.user_attrs['snr_db']:5.1f} dB  agreement {t.user_attrs['agreement']:.3f}  {ok}"
    )
if feasible:
    best = min(feasible, key=lambda t: t.value)
    print(f"cheapest meeting both: {best.value:.3g} J/token ({best.params})")

"""Bring your own model: ONNX networks built here with the onnx package (as PyTorch exports them)
run with their linear layers on the twin, converge to the digital result as photons and
converter bits grow, and are priced per inference."""

import numpy as np
import pytest

import lightloop

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(7)
W1 = RNG.normal(0, 0.4, (32, 16)).astype(np.float32)  # PyTorch Linear(16, 32): weight (out, in)
B1 = RNG.normal(0, 0.1, 32).astype(np.float32)
W2 = RNG.normal(0, 0.4, (10, 32)).astype(np.float32)
B2 = RNG.normal(0, 0.1, 10).astype(np.float32)


def mlp_bytes(opset=17):
    """Gemm(transB=1) + Relu + Gemm, the graph torch.onnx.export writes for two nn.Linear."""
    inits = [numpy_helper.from_array(a, n) for a, n in [(W1, "fc1.weight"), (B1, "fc1.bias"), (W2, "fc2.weight"), (B2, "fc2.bias")]]
    nodes = [
        helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], name="/fc1/Gemm", transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="/relu/Relu"),
        helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"], ["y"], name="/fc2/Gemm", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def reference(x):
    return np.maximum(x @ W1.T + B1, 0) @ W2.T + B2


def test_the_digital_run_matches_numpy(tmp_path):
    path = tmp_path / "mlp.onnx"
    path.write_bytes(mlp_bytes())
    m = lightloop.OnnxModel(path)
    assert [l["name"] for l in m.layers] == ["/fc1/Gemm", "/fc2/Gemm"]
    x = RNG.uniform(-1, 1, (8, 16)).astype(np.float32)
    y = m.run({"x": x})["y"]
    assert y.shape == (8, 10)
    assert np.allclose(y, reference(x), atol=1e-5)


def optical_error(photons, bits):
    m = lightloop.OnnxModel(mlp_bytes())
    rig = lightloop.Rig.preset("seed-16ch").with_({"dac.bits": bits, "adc.bits": bits, "adc.enob": bits - 0.7})
    on = m.on_rig(rig, photons=photons, seed=3)
    on.calibrate({"x": RNG.uniform(-1, 1, (32, 16)).astype(np.float32)})
    x = np.random.default_rng(11).uniform(-1, 1, (64, 16)).astype(np.float32)
    y = on.run({"x": x})["y"]
    ref = reference(x)
    return float(np.sqrt(np.mean((y - ref) ** 2)) / np.sqrt(np.mean(ref**2)))


def test_the_twin_converges_to_the_digital_result_as_photons_and_bits_grow():
    errors = [optical_error(p, b) for p, b in [(1e3, 6), (1e5, 8), (1e8, 12)]]
    assert errors[0] > errors[1] > errors[2], errors
    assert errors[2] < 0.01, errors
    assert errors[0] > 5 * errors[2], errors


def test_same_seed_same_outputs_and_a_layer_choice():
    m = lightloop.OnnxModel(mlp_bytes(opset=13))
    x = RNG.uniform(-1, 1, (4, 16)).astype(np.float64)  # float64 is converted
    a = m.on_rig(seed=5).run({"x": x})["y"]
    b = m.on_rig(seed=5).run({"x": x}, threads=1)["y"]
    assert np.array_equal(a, b)
    one = m.on_rig(optical=["/fc2/Gemm"])
    assert one.optical_layers == ["/fc2/Gemm"]
    assert m.on_rig(optical="none").optical_layers == []
    with pytest.raises(lightloop.InputError):
        m.on_rig(optical=["nosuch"])


def test_the_cost_per_inference_counts_each_layer():
    on = lightloop.OnnxModel(mlp_bytes()).on_rig()
    c = on.cost({"x": [1, 16]})
    macs = {l["name"]: l["macs"] for l in c["layers"]}
    assert macs == {"/fc1/Gemm": 16 * 32, "/fc2/Gemm": 32 * 10}
    assert c["optical_macs"] == 16 * 32 + 32 * 10
    assert c["j_per_inference"] > 0
    assert sum(x["joules"] for x in c["categories"]) == pytest.approx(c["j_per_inference"], rel=1e-9)


def test_bad_models_are_input_errors():
    with pytest.raises(lightloop.InputError):
        lightloop.OnnxModel(b"\x08\x07garbage")
    bad = helper.make_model(
        helper.make_graph(
            [helper.make_node("LSTM", ["x"], ["y"], name="rnn")],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    with pytest.raises(lightloop.InputError) as e:
        lightloop.OnnxModel(bad.SerializeToString()).run({"x": np.zeros((1, 4), np.float32)})
    assert "LSTM" in str(e.value)
    # ConstantOfShape whose value tensor is empty: an error naming the node, not a crash.
    empty = helper.make_model(
        helper.make_graph(
            [
                helper.make_node("ConstantOfShape", ["shape"], ["c"], name="fill", value=helper.make_tensor("value", TensorProto.FLOAT, [0], [])),
                helper.make_node("Add", ["x", "c"], ["y"], name="add"),
            ],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
            [numpy_helper.from_array(np.array([1, 4], np.int64), "shape")],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    with pytest.raises(lightloop.InputError) as e:
        lightloop.OnnxModel(empty.SerializeToString()).run({"x": np.zeros((1, 4), np.float32)})
    assert "fill" in str(e.value)

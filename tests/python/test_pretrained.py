"""Pretrained transformers on the twin from Python (`model_eval`), on a tiny BERT the test
writes itself in MiniLM's formats (config.json, model.safetensors, tokenizer.json), so no
download is needed."""

import json
import struct

import numpy as np
import pytest

import lightloop

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "man", "is", "playing", "guitar", "the", "cat", ".", "train", "rain", "light", "museum"]


def write_safetensors(path, tensors):
    """Writes float32 arrays in the safetensors format: an 8-byte little-endian header length,
    the JSON header (dtype, shape and byte range of each tensor), then the data."""
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_tiny_bert(d):
    """A 2-layer BERT (d 16, 4 heads, 128 positions) with a WordPiece tokenizer of 16 words."""
    dm, ff, layers = 16, 32, 2
    (d / "config.json").write_text(json.dumps({
        "hidden_size": dm, "num_hidden_layers": layers, "num_attention_heads": 4, "intermediate_size": ff,
        "vocab_size": len(WORDS), "max_position_embeddings": 128, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "hidden_act": "gelu",
    }))
    rng = np.random.default_rng(3)
    u = lambda *shape, scale: rng.uniform(-scale, scale, shape).astype(np.float32)
    t = {
        "embeddings.word_embeddings.weight": u(len(WORDS), dm, scale=1.0),
        "embeddings.position_embeddings.weight": u(128, dm, scale=0.1),
        "embeddings.token_type_embeddings.weight": u(2, dm, scale=0.1),
        "embeddings.LayerNorm.weight": np.ones(dm, np.float32),
        "embeddings.LayerNorm.bias": np.zeros(dm, np.float32),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}"
        for n, rows, cols in [("attention.self.query", dm, dm), ("attention.self.key", dm, dm), ("attention.self.value", dm, dm),
                              ("attention.output.dense", dm, dm), ("intermediate.dense", ff, dm), ("output.dense", dm, ff)]:
            t[f"{p}.{n}.weight"] = u(rows, cols, scale=0.4)
            t[f"{p}.{n}.bias"] = u(rows, scale=0.05)
        for n in ("attention.output", "output"):
            t[f"{p}.{n}.LayerNorm.weight"] = np.ones(dm, np.float32)
            t[f"{p}.{n}.LayerNorm.bias"] = np.zeros(dm, np.float32)
    write_safetensors(d / "model.safetensors", t)
    (d / "tokenizer.json").write_text(json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                  "vocab": {w: i for i, w in enumerate(WORDS)}},
    }))
    return d


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    return write_tiny_bert(tmp_path_factory.mktemp("bert"))


def test_the_encoder_on_the_twin_against_its_digital_self(bert):
    seen = []
    o = lightloop.model_eval("minilm", model_dir=bert, weights=["ternary"], adc_range=["calibrated"], adc_bits=[4, 8], progress=lambda d, t: seen.append((d, t)))
    assert o["model"] == "minilm" and o["workload"] == "minilm-l6"
    assert o["scoring"] == {"sentences": {"pairs": 10}}
    rows = o["rows"]
    # Digital, then ternary at the rig's light and ADC, then the two ADC settings.
    assert [r["sweep"] for r in rows] == ["digital", "rig", "adc bits", "adc bits"]
    assert rows[0]["mean_cosine_to_digital"] == pytest.approx(1.0, abs=1e-6)
    for r in rows[1:]:
        assert r["optical_layers"] == 12
        assert r["min_cosine_to_digital"] <= r["mean_cosine_to_digital"] <= 1.0 + 1e-6
        assert r["works"] in ("yes", "degraded", "no")
    # More ADC bits bring the embeddings closer to the digital ones; at the rig's own 8 bits
    # (the same noise streams) the figure is the rig's.
    assert rows[3]["mean_cosine_to_digital"] > rows[2]["mean_cosine_to_digital"]
    assert lightloop.Rig.preset("seed-16ch").get("adc.bits") == 8
    assert rows[3]["mean_cosine_to_digital"] == rows[1]["mean_cosine_to_digital"]
    assert len(o["summary"]["verdicts"]) == 3
    assert seen and seen[-1][0] == seen[-1][1]
    # The mapping priced is the workload's: its J/token is the cost model's for that workload.
    assert o["costs"][0]["j_per_token"] == pytest.approx(lightloop.evaluate("seed-16ch", "minilm-l6").j_per_token, rel=1e-12)
    assert [c["system"] for c in o["costs"][1:]] == ["H100 SXM", "H200 SXM", "B200"]
    assert o["costs"][0]["works"] == rows[1]["works"]
    # The same seed gives the same numbers; another seed other noise.
    again = lightloop.model_eval("minilm", model_dir=bert, weights=["ternary"], adc_range=["calibrated"], adc_bits=[4, 8], threads=1)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]
    assert strip(again["rows"]) == strip(rows)
    other = lightloop.model_eval("minilm", model_dir=bert, weights=["ternary"], adc_range=["calibrated"], seed=2)
    assert other["rows"][1]["mean_cosine_to_digital"] != rows[1]["mean_cosine_to_digital"]


def test_only_the_chosen_layers_go_optical(bert):
    o = lightloop.model_eval("minilm", model_dir=bert, ops=["ffn-up"], weights=["analog"], adc_range=["worst-case"])
    assert o["ops"] == ["ffn-up"]
    assert all(r["optical_layers"] == 2 for r in o["rows"][1:])
    assert "ffn-up optical" in o["costs"][0]["system"]


def test_bad_settings_name_their_argument(bert, tmp_path):
    for kwargs, key in [
        ({"ops": ["fft"]}, "ops"),
        ({"weights": ["binary"]}, "weights"),
        ({"adc_range": ["wide"]}, "adc_range"),
        ({"adc_bits": [40]}, "adc_bits"),
        ({"tolerance": 2.0}, "tolerance"),
    ]:
        with pytest.raises(lightloop.InputError) as e:
            lightloop.model_eval("minilm", model_dir=bert, **kwargs)
        assert e.value.problems[0].key == key, (kwargs, e.value.problems[0])
    with pytest.raises(lightloop.InputError):
        lightloop.model_eval("gpt-9", model_dir=bert)
    # A folder without the model's files says which file is missing.
    with pytest.raises(Exception, match="config.json|model.safetensors|tokenizer.json"):
        lightloop.model_eval("minilm", model_dir=tmp_path)


def test_the_catalogue_lists_both_models():
    names = [m["name"] for m in lightloop.model_list()]
    assert names == ["smollm2", "minilm"]
    assert all(isinstance(m["cached"], bool) for m in lightloop.model_list())

"""The loop-network experiments from Python give the command line's rows."""

import csv

import pytest

import lightloop


def test_depth_gives_the_command_lines_rows(cli, tmp_path):
    out = lightloop.experiment("depth", epochs=1, seeds=1, passes=[1, 4], threads=1)
    cli("experiment", "depth", "--epochs", 1, "--seeds", 1, "--passes", "1,4", "--out", tmp_path / "d")
    with open(tmp_path / "d" / "depth.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(out["rows"]) == len(rows) == 2
    for mine, theirs in zip(out["rows"], rows):
        assert mine["passes"] == int(theirs["passes"])
        assert mine["test_accuracy"] == pytest.approx(float(theirs["test_accuracy"]), abs=1e-12)
        assert mine["test_accuracy_noiseless"] == pytest.approx(float(theirs["test_accuracy_noiseless"]), abs=1e-12)


def test_same_seed_same_rows_on_any_thread_count():
    a = lightloop.experiment("width", epochs=1, seeds=1, widths=[16, 32], passes=2, threads=1)
    b = lightloop.experiment("width", epochs=1, seeds=1, widths=[16, 32], passes=2, threads=2)
    strip = lambda rows: [{k: v for k, v in r.items() if "seconds" not in k} for r in rows]
    assert strip(a["rows"]) == strip(b["rows"])


def test_the_defaults_list_the_fields_and_unknown_ones_are_refused():
    fields = lightloop.experiment_config("depth")
    assert fields["passes"] == [1, 4, 16, 64, 256, 1024] and fields["task"] == "digits"
    with pytest.raises(lightloop.InputError) as e:
        lightloop.experiment("depth", epocs=1)
    assert "epocs" in str(e.value) and "epochs" in str(e.value)
    with pytest.raises(lightloop.InputError):
        lightloop.experiment("depth", task="parity-3", epochs=1)
    with pytest.raises(lightloop.InputError):
        lightloop.experiment("dept")

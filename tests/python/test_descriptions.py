"""Rigs and workloads: presets, TOML in and out, changed copies, and every problem at once."""

import pytest

import lightloop


def test_presets_load_and_list():
    names = lightloop.Rig.presets()
    assert "seed-16ch" in names
    rig = lightloop.Rig.preset("seed-16ch")
    assert rig.name == "seed-16ch"
    assert rig.get("topology.channels") == 16
    assert "llama-3-8b" in lightloop.Workload.presets()
    assert "h100-sxm" in lightloop.Gpu.presets()


def test_unknown_preset_is_an_input_error_with_a_suggestion():
    with pytest.raises(lightloop.InputError) as e:
        lightloop.Rig.preset("seed-16c")
    assert "seed-16ch" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_toml_round_trip_gives_the_same_figures(tmp_path):
    rig = lightloop.Rig.preset("seed-16ch").with_({"laser.power": "12 dBm", "topology.channels": 32})
    text = rig.to_toml()
    again = lightloop.Rig.from_toml(text)
    path = tmp_path / "mine.toml"
    path.write_text(text)
    from_file = lightloop.Rig.from_toml(path)
    a = lightloop.evaluate(rig, "llama-3-8b").j_per_token
    assert lightloop.evaluate(again, "llama-3-8b").j_per_token == a
    assert lightloop.evaluate(from_file, "llama-3-8b").j_per_token == a


def test_a_changed_preset_is_titled_modified_and_lists_its_differences():
    rig = lightloop.Rig.preset("seed-16ch").with_(**{"laser.power": "12 dBm"})
    assert rig.name == "seed-16ch, modified"
    keys = [d["key"] for d in rig.differences]
    assert "laser.power" in keys


def test_a_float_is_read_in_si_units():
    base = lightloop.Rig.preset("seed-16ch")
    as_string = base.with_({"laser.power": "10 mW", "topology.symbol_period": "8 ns"})
    as_float = base.with_({"laser.power": 0.010, "topology.symbol_period": 8e-9})
    a = lightloop.evaluate(as_string, "llama-3-8b").j_per_token
    b = lightloop.evaluate(as_float, "llama-3-8b").j_per_token
    assert b == pytest.approx(a, rel=1e-12)
    assert a != lightloop.evaluate(base, "llama-3-8b").j_per_token


def test_every_problem_of_a_change_is_raised_at_once_naming_its_key():
    with pytest.raises(lightloop.InputError) as e:
        lightloop.Rig.preset("seed-16ch").with_({"lazer.power": "1 mW", "laser.power": "12 parsecs", "topology.channels": -3})
    problems = e.value.problems
    keys = {p.key for p in problems}
    assert len(problems) >= 3, problems
    assert any(k and k.startswith("lazer") for k in keys), keys
    assert "laser.power" in keys and "topology.channels" in keys
    assert all(p.message for p in problems)


def test_a_bad_file_names_file_line_and_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "seed-16ch"\n\n[laser]\npower = "12 parsecs"\n')
    with pytest.raises(lightloop.InputError) as e:
        lightloop.Rig.from_toml(path)
    (p,) = e.value.problems
    assert p.file.endswith("bad.toml")
    assert p.line == 4
    assert p.key == "laser.power"
    assert "bad.toml:4" in str(e.value)


def test_a_value_of_an_unusable_type_is_refused():
    with pytest.raises(lightloop.InputError) as e:
        lightloop.Rig.preset("seed-16ch").with_({"laser.power": object()})
    assert e.value.problems[0].key == "laser.power"

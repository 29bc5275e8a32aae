"""The time-domain engine from Python: simulate's counts and trace, the test plan, Ctrl-C."""

import textwrap

import numpy as np
import pytest

import lightloop


def test_simulate_gives_the_command_lines_counts(cli):
    s = lightloop.simulate("seed-16ch", power="-24 dBm", symbols=20_000, seed=3)
    j = cli("simulate", "-r", "seed-16ch", "--power=-24 dBm", "--symbols", 20000, "--seed", 3, "--json", json_out=True)
    assert s["symbols"] == j["symbols"]
    assert s["bits"] == j["bits"]
    assert s["eye"] == j["eye"]


def test_the_trace_is_numpy_and_agrees_with_the_counts():
    s = lightloop.simulate(power="-25 dBm", symbols=30_000, seed=5, trace=True)
    sent, readout, decided = s["sent"], s["readout_v"], s["decided"]
    assert sent.dtype == np.int8 and decided.dtype == np.int8 and readout.dtype == np.float64
    assert sent.shape == readout.shape == decided.shape == (30_000,)
    assert set(np.unique(sent)) <= {-1, 0, 1}
    assert int((sent != decided).sum()) == s["symbols"]["errors"]
    lo, hi = s["symbols"]["low"], s["symbols"]["high"]
    assert lo <= s["symbols"]["rate"] <= hi


def test_same_seed_same_numbers():
    a = lightloop.simulate(power="-25 dBm", symbols=5_000, seed=9, trace=True)
    b = lightloop.simulate(power="-25 dBm", symbols=5_000, seed=9, trace=True)
    assert np.array_equal(a["readout_v"], b["readout_v"])


def test_bad_arguments_are_input_errors_naming_them():
    with pytest.raises(lightloop.InputError) as e:
        lightloop.simulate(power="-30 parsecs")
    assert e.value.problems[0].key == "power"
    with pytest.raises(lightloop.InputError) as e:
        lightloop.simulate(symbols=10**12, samples_per_symbol=1000)
    assert e.value.problems[0].key == "time_limit"


def test_ctrl_c_stops_a_long_simulate_within_a_second(interrupt):
    code = textwrap.dedent(
        """
        import sys, lightloop
        print("ready", flush=True)
        try:
            lightloop.simulate(symbols=10**9, samples_per_symbol=8, time_limit=1e6)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    status, out, waited = interrupt(code, 1.5)
    assert status == 0 and "interrupted" in out, out
    assert waited < 1.0, f"took {waited:.2f} s to stop"


def test_the_quick_test_plan_is_the_command_lines(cli, tmp_path):
    seen = []
    plan = lightloop.test_plan(quick=True, seed=3, threads=2, progress=lambda d, t: seen.append((d, t)))
    # 7 powers, 3 slot times and the five instruments, each reported as it finishes.
    assert len(plan["ber_vs_power"]) == 7 and len(plan["ber_vs_slot_time"]) == 3
    assert seen[-1] == (15, 15)
    assert plan == cli("test-plan", "--quick", "--seed", 3, "--json", "--out", tmp_path / "plan", json_out=True)
    assert lightloop.test_plan(quick=True, seed=3, threads=1) == plan


def test_rare_error_rates_by_importance_sampling_match_the_command_line(cli):
    # Near 1e-12 on the seed rig: brute force would need ~10^14 symbols.
    r = lightloop.simulate("seed-16ch", "-18.8 dBm", symbols=20_000, estimator="importance")
    ser = r["symbol_error_rate"]
    assert r["estimator"] == "importance" and ser["estimator"] == "importance"
    assert 1e-13 < ser["low"] < ser["rate"] < ser["high"] < 1e-11
    assert ser["equivalent_symbols"] > 1e13
    c = cli("simulate", "--power=-18.8 dBm", "--symbols", 20_000, "--estimator", "importance", "--json", json_out=True)
    assert c["symbol_error_rate"] == ser
    # Auto counts by brute force where errors are plentiful.
    a = lightloop.simulate("seed-16ch", "-24 dBm", symbols=20_000, estimator="auto")
    assert a["estimator"] == "brute" and a["symbol_error_rate"]["rate"] > 1e-3
    for kwargs in ({"estimator": "magic"}, {"estimator": "importance", "trace": True}):
        with pytest.raises(lightloop.InputError) as e:
            lightloop.simulate("seed-16ch", "-18.8 dBm", symbols=1000, **kwargs)
        assert e.value.problems[0].key == "estimator"

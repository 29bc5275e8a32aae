"""The cost model from Python gives the command line's numbers."""

import math

import pytest

import lightloop


def test_evaluate_matches_the_command_line(cli):
    e = lightloop.evaluate(lightloop.Rig.preset("seed-16ch"), "llama-3-8b")
    j = cli("energy", "-r", "seed-16ch", "-w", "llama-3-8b", "--json", json_out=True)
    m = j["evaluation"]["metrics"]
    assert e.j_per_token == m["j_per_token"]
    assert e.tokens_per_s == m["tokens_per_s"]
    assert e.ttft == m["ttft"]
    assert e.to_dict()["metrics"] == m
    assert sum(e.ledger.values()) == pytest.approx(e.j_per_token, rel=1e-9)
    assert sum(e.categories.values()) == pytest.approx(e.j_per_token, rel=1e-9)


def test_the_issue_example_prints_a_finite_energy():
    j = lightloop.evaluate(lightloop.Rig.preset("seed-16ch"), "llama-3-8b").j_per_token
    assert math.isfinite(j) and j > 0


def test_an_incompatible_pair_names_the_key_and_line(cli):
    rig = lightloop.Rig.preset("seed-16ch").with_({"topology.channels": 7})
    with pytest.raises(lightloop.InputError) as e:
        lightloop.evaluate(rig, "deep-loop-2048")
    (p,) = e.value.problems
    assert (p.file, p.line, p.key) == ("preset deep-loop-2048", 14, "model.d_model")
    assert "topology.channels = 7" in p.message


def test_compare_gives_the_command_lines_verdict(cli):
    c = lightloop.compare("seed-16ch", "llama-3-8b")
    j = cli("compare", "-r", "seed-16ch", "-w", "llama-3-8b", "--json", json_out=True)
    assert c["verdict"] == j["verdict"]
    assert [g["gpu"] for g in c["gpus"]] == [g["gpu"] for g in j["gpus"]]
    assert c["gpus"][0]["comparison"]["energy_ratio"] == j["gpus"][0]["comparison"]["energy_ratio"]
    assert c["break_even"] == j["break_even"]


def test_compare_with_one_gpu():
    c = lightloop.compare("seed-16ch", "llama-3-8b", gpus=[lightloop.Gpu.preset("b200")])
    assert [g["gpu"] for g in c["gpus"]] == ["B200"] or len(c["gpus"]) == 1


def test_audit_has_the_command_lines_claims(cli):
    claims = lightloop.audit()
    j = cli("audit", "--json", json_out=True)
    assert [c["claim"] for c in claims] == [c["claim"] for c in j["claims"]]


def test_sweep_to_a_file_gives_the_command_lines_bytes(cli, tmp_path):
    py_out = tmp_path / "py.csv"
    cli_out = tmp_path / "cli.csv"
    summary = lightloop.sweep(
        "seed-16ch",
        "llama-3-8b",
        {"topology.channels": [8, 16, 32], "laser.power": "lin:1 mW..5 mW:3"},
        out=py_out,
        threads=2,
    )
    assert summary["finished"] and summary["written"] == 9
    cli("sweep", "-r", "seed-16ch", "-w", "llama-3-8b", "--vary", "topology.channels=8,16,32", "--vary", "laser.power=lin:1 mW..5 mW:3", "--out", cli_out, "--quiet")
    assert py_out.read_bytes() == cli_out.read_bytes()


def test_sweep_returns_a_dataframe_independent_of_threads():
    pd = pytest.importorskip("pandas")
    axes = {"topology.channels": [8, 16], "run.batch": [1, 4, 16]}
    one = lightloop.sweep("seed-16ch", "llama-3-8b", axes, threads=1)
    two = lightloop.sweep("seed-16ch", "llama-3-8b", axes, threads=2)
    assert isinstance(one, pd.DataFrame)
    assert len(one) == 6
    pd.testing.assert_frame_equal(one, two)
    assert list(one["topology_channels"]) == [8, 8, 8, 16, 16, 16]


def test_a_bad_axis_is_an_input_error():
    with pytest.raises(lightloop.InputError):
        lightloop.sweep("seed-16ch", "llama-3-8b", {"nosuch.key": [1, 2]})


def test_progress_is_reported(tmp_path):
    seen = []
    lightloop.sweep("seed-16ch", "llama-3-8b", {"run.batch": "log:1..4096:40"}, out=tmp_path / "p.csv", progress=lambda d, t: seen.append((d, t)))
    rows = len((tmp_path / "p.csv").read_text().splitlines()) - 1
    assert seen and seen[-1] == (rows, rows), seen


def test_fleet_answers_with_a_verdict():
    f = lightloop.fleet()
    assert isinstance(f["verdict"], str) and f["verdict"]
    assert f["options"]


def test_report_writes_the_page(tmp_path):
    out = tmp_path / "rep"
    w = lightloop.report(out=out, quick=True)
    assert (out / "report.html").is_file()
    assert w["verdict"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(lightloop.InputError):
        lightloop.report(out=tmp_path / "mine", quick=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_ctrl_c_stops_a_long_sweep_within_a_second_leaving_it_resumable(tmp_path, interrupt):
    import textwrap

    out = tmp_path / "big.csv"
    code = textwrap.dedent(
        f"""
        import sys, lightloop
        print("ready", flush=True)
        try:
            lightloop.sweep("seed-16ch", "llama-3-8b", {{"run.batch": "lin:1..1000000:1000000"}}, out={str(out)!r}, threads=2)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    status, stdout, waited = interrupt(code, 2.0)
    assert status == 0 and "interrupted" in stdout, stdout
    assert waited < 1.0, f"took {waited:.2f} s to stop"
    assert not out.exists()
    partial = tmp_path / "big.csv.partial"
    assert partial.exists() and partial.stat().st_size > 0

"""The pse_sim Python API (sim/python): same scenarios, errors and numbers as the pse-sim CLI."""
import subprocess

import h5py
import numpy as np
import pytest


def _cli(pse_sim, repo_root, *args, check=True):
    return subprocess.run([str(pse_sim), *args], cwd=repo_root, capture_output=True, text=True, check=check,
                          timeout=300)


def _read_h5(path):
    with h5py.File(path, "r") as f:
        summary = {k: f["runs/summary"][k][:] for k in f["runs/summary"]}
        series = {k: f["series"][k][:] for k in f["series"] if k != "pipeline"}
        pipeline = f["series/pipeline"][:]
        seeds = f["runs/seed"][:]
        events = {k: f["events"][k][:] for k in f["events"]}
        resolved = [s.decode() if isinstance(s, bytes) else s for s in f["inputs/resolved"][:]]
        attrs = {k: f.attrs[k] for k in ("scenario_name", "weeks", "n_runs", "replications")}
    return summary, series, pipeline, seeds, events, resolved, attrs


SETS = {"ngo[*].dedicated_fte": 2, "ngo[*].handover": True, "run.weeks": 300}


def test_run_is_bit_identical_to_the_cli(pse_sim, pse_sim_module, repo_root, tmp_path):
    ps = pse_sim_module
    out = tmp_path / "cli.h5"
    sets = [a for k, v in SETS.items() for a in ("--set", f"{k}={ps.toml_value(v)}")]
    _cli(pse_sim, repo_root, "-q", "run", "scenarios/default.toml", "-r", "4", "--seed", "7", "-o", str(out), *sets)
    summary, series, pipeline, seeds, events, resolved, _ = _read_h5(out)

    res = ps.run(ps.load(repo_root / "scenarios/default.toml", set=SETS), 4, seed=7)
    assert res.weeks == 300 and res.replications == 4 and res.master_seed == 7
    np.testing.assert_array_equal(res.seeds, seeds)
    assert list(res.status) == [1, 1, 1, 1]
    for i, name in enumerate(ps.SUMMARY_NAMES):
        assert np.array_equal(res.summary_array[:, i], summary[name], equal_nan=True), name
        assert np.array_equal(res.summary[name].to_numpy(), summary[name], equal_nan=True), name
    for name in ps.SERIES_NAMES:
        assert res.series(name).shape == (4, 300)
        assert np.array_equal(res.series(name), series[name], equal_nan=True), name
    assert np.array_equal(res.pipeline_array.astype(np.float32), pipeline)
    ev = res.events()
    assert len(ev) == len(events["run"])
    np.testing.assert_array_equal(ev["week"].to_numpy(), events["week"])
    assert res.resolved_toml() == resolved[0]
    # a real run: the five-year project signs agreements
    assert res.summary["agreements"].mean() > 1


def test_results_do_not_depend_on_thread_count(pse_sim_module, repo_root):
    ps = pse_sim_module
    sc = ps.load(repo_root / "scenarios/two_specialists.toml")
    a = ps.run(sc, 3, threads=1)
    b = ps.run(sc, 3, threads=2)
    assert np.array_equal(a.summary_array, b.summary_array, equal_nan=True)
    assert np.array_equal(a.series_array, b.series_array, equal_nan=True)


def test_save_writes_the_file_the_cli_writes(pse_sim, pse_sim_module, repo_root, tmp_path):
    ps = pse_sim_module
    cli = tmp_path / "cli.h5"
    _cli(pse_sim, repo_root, "-q", "run", "scenarios/handover.toml", "-r", "3", "-o", str(cli))
    res = ps.run(repo_root / "scenarios/handover.toml", 3)
    mine = tmp_path / "api.h5"
    res.save(mine)
    with pytest.raises(ps.IoError, match="already exists"):
        res.save(mine)
    a, b = _read_h5(cli), _read_h5(mine)
    for x, y in zip(a[:2], b[:2]):
        assert x.keys() == y.keys()
        for k in x:
            assert np.array_equal(x[k], y[k], equal_nan=True), k
    assert np.array_equal(a[2], b[2]) and np.array_equal(a[3], b[3])
    for k in a[4]:
        assert np.array_equal(a[4][k], b[4][k]), k
    assert a[5] == b[5] and {k: str(v) for k, v in a[6].items()} == {k: str(v) for k, v in b[6].items()}
    # and the CLI reads it back
    info = _cli(pse_sim, repo_root, "info", str(mine)).stdout
    assert "handover" in info and "runs: 3 (3 done, 0 failed)" in info


def test_input_errors_are_the_cli_list(pse_sim, pse_sim_module, repo_root, tmp_path):
    ps = pse_sim_module
    bad = tmp_path / "bad.toml"
    bad.write_text('[run]\nname = "bad"\nweeks = 0\n[trust]\ngain_rate = "fast"\nno_such_key = 1\n')
    sets = ["ngo[*].dedicated_fte=-1"]
    cli = _cli(pse_sim, repo_root, "run", str(bad), "-o", str(tmp_path / "x.h5"), "--set", sets[0], check=False)
    assert cli.returncode == 2
    cli_lines = [ln[len("error: "):] for ln in cli.stderr.splitlines() if ln.startswith("error: ")]
    with pytest.raises(ps.InputError) as ei:
        ps.load(bad, set=sets)
    probs = ei.value.problems
    assert [p.text for p in probs] == cli_lines
    assert len(probs) >= 4
    by_key = {p.key: p for p in probs}
    assert by_key["run.weeks"].line == 3 and by_key["run.weeks"].file == str(bad)
    assert by_key["trust.gain_rate"].line == 5
    assert by_key["ngo_defaults.dedicated_fte"].file == "--set ngo[*].dedicated_fte=-1"
    assert "out of range" in by_key["ngo_defaults.dedicated_fte"].message
    assert ps.validate(bad, sets) == probs
    assert ps.validate(repo_root / "scenarios/default.toml") == []


def test_text_scenarios_with_extends_and_syntax_errors(pse_sim_module, repo_root):
    ps = pse_sim_module
    text = 'extends = "default.toml"\n[run]\nname = "pasted"\n[ngo_defaults]\ndedicated_fte = 0.0\n'
    sc = ps.loads(text, "pasted.toml", base_dir=repo_root / "scenarios")
    assert sc.name == "pasted" and sc.get("ngo[*].dedicated_fte") == 0.0
    assert sc.files[0] == "pasted.toml" and sc.files[1].endswith("default.toml")
    with pytest.raises(ps.InputError) as ei:
        ps.loads('[run]\nname = "x"\nweeks = \n', "pasted.toml")
    (p,) = ei.value.problems
    assert p.file == "pasted.toml" and p.line == 3 and "syntax" in p.message
    with pytest.raises(ps.InputError) as ei:
        ps.loads('extends = "nope.toml"\n[run]\nname = "x"\n', "pasted.toml", base_dir=repo_root / "scenarios")
    assert ei.value.problems[0].key == "extends"
    # the resolved TOML loads back to the same scenario: same numbers
    again = ps.loads(sc.toml(), "resolved.toml")
    a, b = ps.run(sc, 2, threads=1), ps.run(again, 2, threads=1)
    assert np.array_equal(a.summary_array, b.summary_array, equal_nan=True)


def test_experiment_files_and_bad_arguments_are_refused(pse_sim_module, repo_root):
    ps = pse_sim_module
    with pytest.raises(ps.InputError, match="pse-sim sweep"):
        ps.load(repo_root / "scenarios/staffing.toml")
    sc = ps.load(repo_root / "scenarios/default.toml", set={"run.weeks": 20})
    with pytest.raises(ps.InputError, match="at least 1"):
        ps.run(sc, 0)
    with pytest.raises(ps.InputError, match="finite"):
        ps.load(repo_root / "scenarios/default.toml", set={"trust.gain_rate": float("nan")})
    with pytest.raises(KeyError):
        sc.get("trust.no_such_key")
    res = ps.run(sc, 1)
    with pytest.raises(KeyError):
        res.series("no_such_series")


def test_progress_and_stopping(pse_sim_module, repo_root):
    ps = pse_sim_module
    sc = ps.load(repo_root / "scenarios/default.toml", set={"run.weeks": 60})
    seen = []
    res = ps.run(sc, 5, threads=1, progress=lambda d, f, t: seen.append((d, f, t)))
    assert seen[-1] == (5, 0, 5) and [s[0] for s in seen] == [1, 2, 3, 4, 5]
    with pytest.raises(ps.RunStopped) as ei:
        ps.run(sc, 50, threads=1, progress=lambda d, f, t: d < 2)
    part = ei.value.results
    done = part.status == 1
    assert 2 <= done.sum() < 50
    assert np.array_equal(part.summary_array[done], ps.run(sc, 50, threads=1).summary_array[done], equal_nan=True)
    assert np.isnan(part.summary_array[~done]).all()

    def boom(d, f, t):
        raise ZeroDivisionError("from the callback")
    with pytest.raises(ZeroDivisionError):
        ps.run(sc, 3, threads=1, progress=boom)
    assert len(res.summary) == 5


def test_field_table(pse_sim_module, repo_root):
    ps = pse_sim_module
    f = ps.fields().set_index("key")
    row = f.loc["ngo[*].dedicated_fte"]
    assert row["table"] == "ngo" and row["type"] == "real" and row["unit"] == "FTE"
    assert row["min"] == 0 and row["max"] == 1000 and row["default"] == 1.0 and row["doc"] and row["source"]
    assert f.loc["ngo[*].approach", "choices"] == ["co_creation", "scrutiny"]
    assert f.loc["run.weeks", "type"] == "integer"
    assert (f["doc"].str.len() > 0).all()
    # every default is the value of a scenario that sets nothing else, and every key is --set-able
    sc = ps.loads('[run]\nname = "defaults"\n', "d.toml")
    vals = sc.values()
    for key, r in f.iterrows():
        if key != "run.name":
            assert vals[key] == r["default"], key
    assert set(vals) == set(f.index)
    assert set(ps.summary_metrics()["name"]) >= {"agreements", "workers_reached", "partnerships_end_plus_52"}
    assert ps.series_metrics().set_index("name").loc["agreements_signed", "unit"] == "agreements (cumulative)"


def test_ema_style_model_function(pse_sim_module, repo_root):
    """The analysis/README.md example: a model function of levers and uncertainties."""
    ps = pse_sim_module
    base = ps.load(repo_root / "scenarios/default.toml", set={"run.weeks": 312})

    def pse_model(dedicated_fte=1.0, end_week=260, gain_rate=0.0483, replications=4):
        res = ps.run(base, replications, set={"ngo[*].dedicated_fte": dedicated_fte, "ngo[*].end_week": end_week,
                                              "trust.gain_rate": gain_rate})
        s = res.summary
        return {"agreements": s["agreements"].mean(), "workers_reached": s["workers_reached"].mean()}

    one, two = pse_model(1.0), pse_model(2.0)
    assert two["agreements"] > one["agreements"]   # more staff give more (validation target C1)
    assert pse_model(0.0, 156)["agreements"] < one["agreements"]

"""Loading results files into pandas: tables, lazy datasets, several files, errors."""
import h5py
import numpy as np
import pytest

from pse_analysis import MissingDataError, ResultsFileError, load, parse_project_weeks
from synth import resolved_text, write_results


def _events():
    # run 0: pair (0, 5) targeted week 2, agreement week 30; pair (0, 7) inbound week 4, dropped
    # run 1: pair (0, 5) targeted week 1, agreement week 53 (WS1); pair (0, 9) targeted 10, WS2 agreement 20
    rows = [(0, 2, 0, 5, 15, 0, 1), (0, 4, 0, 7, 14, 0, 1), (0, 6, 0, 7, 3, 1, 18), (0, 30, 0, 5, 2, 6, 7),
            (1, 1, 0, 5, 15, 0, 1), (1, 10, 0, 9, 15, 0, 11), (1, 20, 0, 9, 2, 12, 13), (1, 53, 0, 5, 2, 6, 7)]
    cols = ["run", "week", "ngo", "org", "type", "stage_from", "stage_to"]
    return {c: np.array([r[i] for r in rows]) for i, c in enumerate(cols)}


@pytest.fixture
def small(tmp_path):
    weeks = 60
    pipe = np.zeros((2, weeks, 20), np.float32)
    pipe[:, :, 1] = 3
    return write_results(tmp_path / "small.h5", replications=2, weeks=weeks,
                         summary={"agreements": [1, 2], "vulnerability_reduction": [10.0, np.nan]},
                         series={"partnerships_active": np.arange(2 * weeks).reshape(2, weeks)},
                         pipeline=pipe, events=_events(), resolved=[resolved_text(end_week=40)])


def test_load_tables(small):
    res = load(small)
    assert res.n_runs == 2 and res.n_design_points == 1 and res.weeks == 60
    assert list(res.runs["agreements"]) == [1, 2]
    assert np.isnan(res.runs["vulnerability_reduction"].iloc[1])
    assert res.runs["seed"].dtype == np.uint64
    assert res.design_method == "single" and res.design_keys == []
    assert res.design.at[0, "end_week"] == 40
    assert res.design.at[0, "label"] == "synthetic"
    assert res.metric_kind("agreements") == "indicator"
    assert set(res.metrics["group"]) == {"summary", "series"}


def test_series_and_pipeline(small):
    res = load(small)
    wide = res.series_wide("partnerships_active")
    assert wide.shape == (2, 60) and wide.iloc[1, 0] == 60
    long = res.series_long(["partnerships_active"], every=10)
    assert len(long) == 2 * 6 and set(long.columns) >= {"run_id", "design_point", "week", "metric", "value"}
    assert res.pipeline().shape == (2, 60, 20)
    pl = res.pipeline_long(every=30)
    assert pl[(pl["stage"] == "identified")]["count"].eq(3).all()
    with pytest.raises(MissingDataError, match="no weekly series 'nope'"):
        res.series("nope")


def test_events_decoded(small):
    ev = load(small).events()
    assert len(ev) == 8
    assert list(ev["type"][:2]) == ["targeted", "inbound_lead"]
    assert ev.loc[3, "stage_to"] == "agreement" and ev.loc[3, "stage_from"] == "negotiation"


def test_no_events_is_a_clear_error(tmp_path):
    p = write_results(tmp_path / "noev.h5", summary={"agreements": [1, 2, 3]})
    with pytest.raises(MissingDataError, match="record_events"):
        load(p).events()


def test_several_files_are_design_points(tmp_path):
    a = write_results(tmp_path / "a.h5", replications=3, summary={"agreements": [1, 2, 3]}, scenario_name="part_time")
    b = write_results(tmp_path / "b.h5", replications=3, summary={"agreements": [4, 5, 6]}, scenario_name="two")
    res = load([a, b])
    assert res.n_design_points == 2 and res.n_runs == 6
    assert list(res.design["label"]) == ["part_time", "two"]
    assert list(res.runs["design_point"]) == [0, 0, 0, 1, 1, 1]
    assert list(res.runs["run_id"]) == list(range(6))
    assert res.design_method == "files"


def test_bad_files(tmp_path):
    with pytest.raises(ResultsFileError, match="no such file"):
        load(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ResultsFileError, match="not an HDF5 file"):
        load(tmp_path / "text.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["format"] = "something else"
    with pytest.raises(ResultsFileError, match="not a pse-sim results file"):
        load(tmp_path / "other.h5")
    p = write_results(tmp_path / "new.h5", summary={"agreements": [1, 2, 3]}, format_version=99)
    with pytest.raises(ResultsFileError, match="newer"):
        load(p)


def test_parse_project_weeks():
    assert parse_project_weeks(resolved_text(end_week=156))["end_week"] == 156
    w = parse_project_weeks(resolved_text(end_week=260, extra_ngos=(364, 156)))
    assert w["end_week"] == 364 and w["end_weeks"] == (156, 364)
    # text tomllib rejects: fall back to the [ngo_defaults] line
    assert parse_project_weeks("[ngo_defaults]\nend_week = 208\nbad = = =\n")["end_week"] == 208


def test_sweep_labels_and_design_weeks(tmp_path):
    # grid over a choice factor (coded 0/1 with labels) and the project end week; one resolved text
    design = {"ngo[*].approach": ([0, 0, 1, 1], "lever"), "ngo[*].end_week": ([156, 260, 156, 260], "lever")}
    p = write_results(tmp_path / "grid.h5", n_design_points=4, replications=2, summary={"agreements": np.arange(8)},
                      design=design, design_method="grid", value_labels={"ngo[*].approach": ["co_creation", "scrutiny"]},
                      point_labels=["", "", "", ""], resolved=[resolved_text(end_week=260)])
    res = load(p)
    assert res.design_method == "grid"
    assert list(res.design["label"]) == ["approach=co_creation, end_week=156", "approach=co_creation, end_week=260",
                                         "approach=scrutiny, end_week=156", "approach=scrutiny, end_week=260"]
    assert list(res.design["end_week"]) == [156, 260, 156, 260]
    assert res.design_value_labels["ngo[*].approach"] == ["co_creation", "scrutiny"]
    listed = write_results(tmp_path / "list.h5", n_design_points=2, replications=1, summary={"agreements": [1, 2]},
                           design={"ngo[*].dedicated_fte": ([0, 1], "lever")}, design_method="list",
                           point_labels=["part-time only", "one specialist"])
    assert list(load(listed).design["label"]) == ["part-time only", "one specialist"]


def test_experiment_bounds_from_file_texts(tmp_path):
    from pse_analysis.io import experiment_factors
    text = ('extends = "default.toml"\n[experiment]\ndesign = "morris"\n'
            '[[experiment.uncertainty]]\nkey = "trust.gain_rate"\nmin = 0.02\nmax = 0.08\n'
            '[[experiment.lever]]\nkey = "ngo[*].trained"\nvalues = [false, true]\n')
    f = experiment_factors(["# base", text])
    assert f["trust.gain_rate"]["min"] == 0.02 and f["trust.gain_rate"]["role"] == "uncertainty"
    assert f["ngo[*].trained"]["values"] == [False, True]


def test_network_round_trip_matches_cpp_export(tmp_path, pse_sim, repo_root):
    """--network stores the generated graph; h5py/pandas and the C++ CSV export agree exactly."""
    import subprocess

    import pandas as pd
    scen = tmp_path / "tiny.toml"
    scen.write_text('[run]\nname = "tiny_net"\nweeks = 26\n[ecosystem]\nmnc_count = 8\nsupplier_count = 60\n')
    out = tmp_path / "net.h5"
    r = subprocess.run([str(pse_sim), "-q", "run", str(scen), "-r", "3", "-o", str(out), "--network", "0,2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(pse_sim), "export", str(out), "--csv", str(tmp_path / "csv")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = load(out)
    vertices, edges = res.network()
    assert sorted(set(vertices["run_id"])) == [0, 2]
    csv_edges = pd.read_csv(tmp_path / "csv" / "network_edges.csv")
    assert len(csv_edges) == len(edges)
    assert (csv_edges["source"].to_numpy() == edges["source"].to_numpy()).all()
    assert (csv_edges["kind"].to_numpy() == edges["kind"].astype(str).to_numpy()).all()
    v0, e0 = res.network(0)
    counts = v0["kind"].value_counts()
    assert counts["mnc"] == 8 and counts["supplier"] == 60 and counts["ngo"] == 1
    assert (e0["source"] < e0["target"]).all()
    # supply-chain edges join MNCs and suppliers only
    kinds = dict(zip(v0["vertex"], v0["kind"].astype(str)))
    sc = e0[e0["kind"] == "supply_chain"]
    assert set(sc["source"].map(kinds)) | set(sc["target"].map(kinds)) == {"mnc", "supplier"}
    with pytest.raises(MissingDataError, match="run 1 is not stored"):
        res.network(1)


def test_no_network_is_a_clear_error(small):
    with pytest.raises(MissingDataError, match="--network"):
        load(small).network()

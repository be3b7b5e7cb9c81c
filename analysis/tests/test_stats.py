"""Statistics against hand-computed values and analytic sensitivity indices."""
import numpy as np
import pytest
from scipy import stats as st

from pse_analysis import DesignError, MissingDataError, load, stats
from synth import ishigami, morris_design, saltelli_design, write_results


# ---- means and intervals ----------------------------------------------------------------------
def test_mean_ci_hand_computed():
    # x = 1..10: mean 5.5, s = 3.0276504, se = 0.9574271, t(0.975, 9) = 2.2621572
    ci = stats.mean_ci(np.arange(1, 11))
    assert ci.mean == pytest.approx(5.5)
    assert ci.sd == pytest.approx(3.0276504, rel=1e-7)
    assert ci.lo == pytest.approx(5.5 - 2.2621572 * 0.9574271, abs=1e-6)   # 3.334149
    assert ci.hi == pytest.approx(7.665851, abs=1e-6)
    assert ci.n == 10


def test_mean_ci_drops_nan_and_small_samples():
    ci = stats.mean_ci([2.0, np.nan, 4.0])
    assert ci.n == 2 and ci.mean == 3.0
    # n = 2: s = 1.4142136, t(0.975, 1) = 12.7062047 -> half width 12.7062047
    assert ci.hi - ci.mean == pytest.approx(12.7062047, rel=1e-7)
    one = stats.mean_ci([7.0])
    assert one.mean == 7 and np.isnan(one.lo)
    assert stats.mean_ci([]).n == 0


def test_summarize_per_design_point(tmp_path):
    p = write_results(tmp_path / "s.h5", n_design_points=2, replications=4,
                      summary={"agreements": [1, 2, 3, 4, 10, 10, 10, np.nan]},
                      status=[1, 1, 1, 1, 1, 1, 1, 1])
    t = stats.summarize(load(p), ["agreements"]).set_index("design_point")
    # dp 0: 1..4 mean 2.5, s = 1.2909944, se = 0.6454972, t(0.975, 3) = 3.1824463
    assert t.at[0, "mean"] == pytest.approx(2.5)
    assert t.at[0, "lo"] == pytest.approx(2.5 - 3.1824463 * 0.6454972, abs=1e-6)
    assert t.at[1, "n"] == 3 and t.at[1, "n_nan"] == 1 and t.at[1, "mean"] == 10 and t.at[1, "lo"] == 10


def test_failed_runs_are_left_out(tmp_path):
    p = write_results(tmp_path / "f.h5", replications=3, summary={"agreements": [1, 2, 100]}, status=[1, 1, 2])
    t = stats.summarize(load(p), ["agreements"])
    assert t["n"].iloc[0] == 2 and t["mean"].iloc[0] == 1.5


# ---- differences ------------------------------------------------------------------------------
def test_paired_difference_hand_computed():
    # d = [1, 2, 1, 3, 2]: mean 1.8, s = 0.8366600, se = 0.3741657, t(0.975, 4) = 2.7764451
    d = stats.paired_difference([5, 7, 6, 9, 8], [4, 5, 5, 6, 6])
    assert d.diff == pytest.approx(1.8)
    assert d.lo == pytest.approx(1.8 - 2.7764451 * 0.3741657, abs=1e-6)   # 0.761149
    assert d.hi == pytest.approx(2.838851, abs=1e-6)
    assert d.method == "paired t" and d.n == 5
    assert d.p_value == pytest.approx(st.ttest_rel([5, 7, 6, 9, 8], [4, 5, 5, 6, 6]).pvalue)


def test_welch_difference_hand_computed():
    a, b = [1, 2, 3, 4], [2, 4, 6, 8, 10]
    d = stats.welch_difference(a, b)
    # var(a)/4 = 0.4166667, var(b)/5 = 2; df = 2.4166667^2 / (0.4166667^2/3 + 2^2/4) = 5.5208
    assert d.diff == pytest.approx(-3.5)
    assert d.df == pytest.approx(5.840278 / 1.0578704, rel=1e-5)
    half = st.t.ppf(0.975, d.df) * np.sqrt(2.4166667)
    assert d.lo == pytest.approx(-3.5 - half, rel=1e-6) and d.hi == pytest.approx(-3.5 + half, rel=1e-6)
    assert d.p_value == pytest.approx(st.ttest_ind(a, b, equal_var=False).pvalue)


def test_compare_uses_pairing_only_with_common_random_numbers(tmp_path):
    y = [1, 2, 3, 4, 2, 4, 5, 7]   # dp0 = 1..4, dp1 = dp0 + [1, 2, 2, 3]
    crn = write_results(tmp_path / "crn.h5", n_design_points=2, replications=4, summary={"agreements": y})
    res = load(crn)
    assert stats.uses_crn(res)
    c = stats.compare(res, ["agreements"]).iloc[0]
    ref = stats.paired_difference([2, 4, 5, 7], [1, 2, 3, 4])
    assert c["method"] == "paired t" and c["diff"] == pytest.approx(2.0)
    assert c["lo"] == pytest.approx(ref.lo) and c["hi"] == pytest.approx(ref.hi)
    other = write_results(tmp_path / "nocrn.h5", n_design_points=2, replications=4, summary={"agreements": y},
                          seeds=np.arange(8, dtype=np.uint64))
    res2 = load(other)
    assert not stats.uses_crn(res2)
    c2 = stats.compare(res2, ["agreements"]).iloc[0]
    assert c2["method"] == "Welch t"
    assert c2["lo"] == pytest.approx(stats.welch_difference([2, 4, 5, 7], [1, 2, 3, 4]).lo)


def test_crn_across_files(tmp_path):
    a = write_results(tmp_path / "a.h5", replications=3, summary={"agreements": [1, 2, 3]})
    b = write_results(tmp_path / "b.h5", replications=3, summary={"agreements": [2, 4, 4]})
    res = load([a, b])
    assert stats.uses_crn(res)
    c = stats.compare(res, ["agreements"]).iloc[0]
    assert c["method"] == "paired t" and c["diff"] == pytest.approx(4 / 3)


# ---- correlation --------------------------------------------------------------------------------
def test_spearman_hand_computed():
    # ranks differ by d = [-1, 1, -1, 1, 0]: rho = 1 - 6*4 / (5*24) = 0.8
    c = stats.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert c.rho == pytest.approx(0.8) and c.n == 5
    # monotone but non-linear -> 1; NaN pairs dropped
    c = stats.spearman([1, 2, 3, np.nan, 5], [1, 8, 27, 0, 125])
    assert c.rho == pytest.approx(1.0) and c.n == 4
    assert np.isnan(stats.spearman([1, 1, 1], [1, 2, 3]).rho)


# ---- time to agreement ---------------------------------------------------------------------------
def test_time_to_agreement_from_events(tmp_path):
    from test_io import _events
    p = write_results(tmp_path / "e.h5", replications=2, weeks=60, summary={"agreements": [1, 2]}, events=_events())
    t = stats.time_to_agreement(load(p)).sort_values(["run_id", "agreement_week"])
    assert list(t["weeks"]) == [28, 10, 52]
    assert list(t["stream"]) == ["WS1", "WS2", "WS1"]
    s = stats.time_to_agreement_summary(load(p)).set_index("stream")
    assert s.at["WS1", "median"] == 40 and s.at["WS1", "share_within_52"] == 1.0


# ---- Sobol ------------------------------------------------------------------------------------------
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def _sobol_file(path, n_base, replications=1, shuffle=False):
    bounds = [(-np.pi, np.pi)] * 3
    x = saltelli_design(n_base, bounds)
    if shuffle:
        x = x[np.random.default_rng(0).permutation(len(x))]
    y = ishigami(x)
    keys = ["ecosystem.x1", "trust.x2", "pipeline.x3"]
    design = {k: (x[:, i], "uncertainty", bounds[i]) for i, k in enumerate(keys)}
    return write_results(path, n_design_points=len(x), replications=replications, weeks=2,
                         summary={"y": np.repeat(y, replications), "agreements": np.repeat(y > 3, replications)},
                         design=design, design_method="sobol",
                         root_attrs={"sobol_base_samples": np.int64(n_base)},
                         resolved=["[ngo_defaults]\nend_week = 1\n"] * len(x))


def test_sobol_ishigami_from_results_file(tmp_path):
    res = load(_sobol_file(tmp_path / "sobol.h5", 4096))
    assert res.design_method == "sobol" and res.n_design_points == 4096 * 5
    t = stats.sobol_from_results(res, "y", n_boot=200)
    assert list(t.index) == ["ecosystem.x1", "trust.x2", "pipeline.x3"]
    np.testing.assert_allclose(t["S1"], ISHIGAMI_S1, atol=0.05)
    np.testing.assert_allclose(t["ST"], ISHIGAMI_ST, atol=0.05)
    assert (t["S1_lo"] <= t["S1"]).all() and (t["S1"] <= t["S1_hi"]).all()
    assert (t["ST_lo"] <= t["ST"]).all() and (t["ST"] <= t["ST_hi"]).all()
    assert ((t["ST_hi"] - t["ST_lo"]) < 0.15).all()
    # the bootstrap intervals cover the analytic values
    assert (t["S1_lo"].to_numpy() <= np.array(ISHIGAMI_S1) + 0.01).all()
    assert (np.array(ISHIGAMI_S1) - 0.01 <= t["S1_hi"].to_numpy()).all()
    assert (t["ST_lo"].to_numpy() <= np.array(ISHIGAMI_ST) + 0.01).all()
    assert (np.array(ISHIGAMI_ST) - 0.01 <= t["ST_hi"].to_numpy()).all()
    assert t["n_base"].iloc[0] == 4096
    method, t2 = stats.sensitivity(res, "y", n_boot=0)
    assert method == "sobol" and np.allclose(t2["S1"], t["S1"])


def test_sobol_estimator_on_arrays():
    x = saltelli_design(2048, [(-np.pi, np.pi)] * 3, seed=5)
    t = stats.sobol_indices(ishigami(x), 3, n_boot=0)
    np.testing.assert_allclose(t["S1"], ISHIGAMI_S1, atol=0.06)
    np.testing.assert_allclose(t["ST"], ISHIGAMI_ST, atol=0.06)


def test_sobol_rejects_wrong_ordering(tmp_path):
    res = load(_sobol_file(tmp_path / "bad.h5", 64, shuffle=True))
    with pytest.raises(DesignError, match="Saltelli"):
        stats.sobol_from_results(res, "y", n_boot=0)


# ---- Morris -----------------------------------------------------------------------------------------
def test_morris_linear_function(tmp_path):
    # y = 4 x1 + 0.2 x2 + 1 x3 + 0 x4 with x2 in [0, 10]: unit-scaled effects 4, 2, 1, 0
    bounds = [(0, 1), (0, 10), (0, 1), (0, 1)]
    r, k = 12, 4
    x = morris_design(r, k, levels=4, bounds=bounds)
    y = x @ np.array([4.0, 0.2, 1.0, 0.0])
    keys = ["a", "b", "c", "d"]
    p = write_results(tmp_path / "morris.h5", n_design_points=len(x), replications=2, weeks=2,
                      summary={"y": np.repeat(y, 2)}, design={kk: (x[:, i], "lever", bounds[i]) for i, kk in enumerate(keys)},
                      design_method="morris", root_attrs={"morris_trajectories": np.int64(r), "morris_levels": np.int64(4)},
                      resolved=["[ngo_defaults]\nend_week = 1\n"] * len(x))
    t = stats.morris_from_results(load(p), "y", n_boot=100)
    np.testing.assert_allclose(t["mu_star"], [4, 2, 1, 0], atol=1e-9)
    np.testing.assert_allclose(t["mu"], [4, 2, 1, 0], atol=1e-9)
    np.testing.assert_allclose(t["sigma"], 0, atol=1e-9)
    assert list(t.sort_values("mu_star", ascending=False).index) == ["a", "b", "c", "d"]
    assert (t["n"] == r).all()


def test_morris_on_arrays_orders_nonlinear_effects():
    x = morris_design(20, 3, levels=6, seed=3)
    y = 5 * x[:, 0] ** 2 + x[:, 1] + 0.1 * x[:, 2]
    t = stats.morris_indices(x, y, r=20, n_boot=0)
    assert t["mu_star"].iloc[0] > t["mu_star"].iloc[1] > t["mu_star"].iloc[2]
    assert t["sigma"].iloc[0] > 0.1 and t["sigma"].iloc[1] == pytest.approx(0, abs=1e-9)


# ---- sensitivity requested for a file without a sensitivity design ----------------------------------
def test_sensitivity_needs_a_sensitivity_design(tmp_path):
    p = write_results(tmp_path / "single.h5", summary={"y": [1, 2, 3]})
    res = load(p)
    with pytest.raises(MissingDataError, match=r"no Sobol or Morris design .*design_method = 'single'.*_keys empty"):
        stats.sensitivity(res, "y")
    with pytest.raises(MissingDataError, match="no Sobol design"):
        stats.sobol_from_results(res, "y")
    grid = write_results(tmp_path / "grid.h5", n_design_points=2, replications=1, summary={"y": [1, 2]},
                         design={"ngo_defaults.dedicated_fte": ([0, 1], "lever")}, design_method="grid")
    with pytest.raises(MissingDataError, match="design_method = 'grid'.*dedicated_fte"):
        stats.sensitivity(load(grid), "y")
    sob = load(_sobol_file(tmp_path / "s.h5", 8))
    with pytest.raises(MissingDataError, match="no Morris design"):
        stats.morris_from_results(sob, "y")


def test_cli_sensitivity_error_exit_code(tmp_path, capsys):
    from pse_analysis.__main__ import main
    p = write_results(tmp_path / "single.h5", summary={"agreements": [1, 2, 3]})
    assert main(["sensitivity", str(p), "--metric", "agreements"]) == 2
    assert "no Sobol or Morris design" in capsys.readouterr().err
    s = _sobol_file(tmp_path / "s.h5", 32)
    assert main(["sensitivity", str(s), "--metric", "y", "--boot", "20", "--csv"]) == 0
    assert "S1" in capsys.readouterr().out


# ---- main effects of a full-factorial grid ------------------------------------------------------------
def test_main_effects_of_a_grid(tmp_path):
    # 3 x 2 grid, 4 replications with common seeds: y = 2·a + 5·b + noise_r (noise shared by replication)
    a_lv, b_lv = [0.0, 1.0, 2.0], [0.0, 1.0]
    pts = [(a, b) for a in a_lv for b in b_lv]
    noise = np.array([0.3, -0.2, 0.1, 0.4])
    y = np.array([2 * a + 5 * b + noise[r] + 0.1 * r * b for a, b in pts for r in range(4)])
    p = write_results(tmp_path / "grid.h5", n_design_points=6, replications=4, summary={"agreements": y},
                      design={"x.a": ([q[0] for q in pts], "lever"), "x.b": ([q[1] for q in pts], "uncertainty")},
                      design_method="grid")
    me = stats.main_effects(load(p), ["agreements"]).set_index(["parameter", "level_to"])
    assert me.at[("x.a", "1"), "effect"] == pytest.approx(2.0)
    assert me.at[("x.a", "2"), "effect"] == pytest.approx(4.0)
    assert me.at[("x.a", "2"), "lo"] == pytest.approx(4.0)          # identical in every replication
    # b: per-replication effects 5 + 0.1 r -> mean 5.15, t interval over r = 0..3
    ref = stats.mean_ci(5 + 0.1 * np.arange(4))
    assert me.at[("x.b", "1"), "effect"] == pytest.approx(5.15)
    assert me.at[("x.b", "1"), "lo"] == pytest.approx(ref.lo) and me.at[("x.b", "1"), "hi"] == pytest.approx(ref.hi)
    assert (me["method"] == "paired t").all()
    # not a full factorial -> clear error
    q = write_results(tmp_path / "lhs.h5", n_design_points=3, replications=1, summary={"agreements": [1, 2, 3]},
                      design={"x.a": ([0.1, 0.5, 0.9], "lever"), "x.b": ([0.3, 0.2, 0.7], "lever")}, design_method="lhs")
    with pytest.raises(MissingDataError, match="full-factorial"):
        stats.main_effects(load(q))

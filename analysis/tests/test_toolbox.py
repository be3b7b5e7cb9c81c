"""Rank correlations, robustness with regret, and PRIM scenario discovery on synthetic data with
known answers."""
import numpy as np
import pandas as pd
import pytest

from pse_analysis import load, toolbox
from pse_analysis.errors import MissingDataError
from synth import resolved_text, write_results


def _lhs(n, k, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([(rng.permutation(n) + rng.random(n)) / n for _ in range(k)])


def test_rank_correlations_rank_the_factors_of_a_known_function(tmp_path):
    x = _lhs(200, 3)
    y = 3 * x[:, 0] - x[:, 1] + 0.05 * np.random.default_rng(1).normal(size=200)   # x3 has no effect
    keys = ["trust.gain_rate", "ngo[*].budget_cv", "company.turnover_per_year"]
    p = write_results(tmp_path / "lhs.h5", n_design_points=200, replications=1, weeks=2,
                      summary={"agreements": y}, design={k: (x[:, i], "uncertainty") for i, k in enumerate(keys)},
                      design_method="lhs", resolved=[resolved_text(end_week=1)] * 200)
    t = toolbox.rank_correlations(load(p), ["agreements"]).set_index("factor")
    assert t.at["trust.gain_rate", "rho"] > 0.9
    assert -0.5 < t.at["ngo[*].budget_cv", "rho"] < -0.1
    assert abs(t.at["company.turnover_per_year", "rho"]) < 0.15
    assert (t["n"] == 200).all()


def test_robustness_and_regret_hand_computed():
    # policies A, B, C in scenarios s1..s3 (more is better)
    t = pd.DataFrame([[10, 4, 6], [8, 7, 5], [3, 3, 9]], index=["A", "B", "C"], columns=["s1", "s2", "s3"], dtype=float)
    r = toolbox.robustness_table(t)
    # best per scenario: 10, 7, 9 -> regrets A: 0,3,3  B: 2,0,4  C: 7,4,0
    assert list(r["max_regret"]) == [3, 4, 7]
    np.testing.assert_allclose(r["mean_regret"], [2, 2, 11 / 3])
    assert list(r["worst"]) == [4, 5, 3] and list(r["best_in"]) == [1, 1, 1]
    r2 = toolbox.robustness_table(t, maximize=False)   # less is better: best 3, 3, 5
    assert list(r2["max_regret"]) == [7, 5, 4]


def test_robustness_from_a_crossed_grid(tmp_path):
    fte = np.repeat([0.0, 1.0], 2)
    cv = np.tile([0.1, 0.5], 2)
    y = np.repeat(1 + 4 * fte - 6 * cv * (fte == 0), 3)   # staffed arm insensitive to budget volatility
    p = write_results(tmp_path / "g.h5", n_design_points=4, replications=3, weeks=2, summary={"agreements": y},
                      design={"ngo[*].dedicated_fte": (fte, "lever"), "ngo[*].budget_cv": (cv, "uncertainty")},
                      design_method="grid", resolved=[resolved_text(end_week=1)] * 4)
    table, r = toolbox.robustness(load(p), "agreements")
    assert table.shape == (2, 2)
    assert r.loc["dedicated_fte=1", "max_regret"] == 0
    assert r.loc["dedicated_fte=0", "max_regret"] == pytest.approx(5 - (1 - 6 * 0.5))   # 7, at budget_cv 0.5
    assert r.loc["dedicated_fte=0", "mean_regret"] == pytest.approx((4.6 + 7) / 2)
    only_levers = write_results(tmp_path / "l.h5", n_design_points=2, replications=1, weeks=2,
                                summary={"agreements": [1.0, 2.0]}, design={"ngo[*].dedicated_fte": ([0.0, 1.0], "lever")},
                                design_method="grid", resolved=[resolved_text(end_week=1)] * 2)
    with pytest.raises(MissingDataError, match="both levers and uncertainties"):
        toolbox.robustness(load(only_levers), "agreements")


def test_prim_finds_the_failure_box():
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.random((2000, 3)), columns=["gain_rate", "budget_cv", "turnover"])
    failed = (x["budget_cv"] > 0.7) & (x["gain_rate"] < 0.3)      # 9% of points
    box = toolbox.prim(x, failed, alpha=0.05, min_coverage=0.8)
    assert set(box.limits) == {"gain_rate", "budget_cv"}
    assert box.limits["budget_cv"][0] == pytest.approx(0.7, abs=0.05) and np.isnan(box.limits["budget_cv"][1])
    assert box.limits["gain_rate"][1] == pytest.approx(0.3, abs=0.05) and np.isnan(box.limits["gain_rate"][0])
    assert box.density > 0.8 and box.coverage >= 0.8 and box.base_density == pytest.approx(failed.mean())
    assert "budget_cv above 0.7" in toolbox.box_text(box)
    with pytest.raises(MissingDataError):
        toolbox.prim(x, np.zeros(len(x), bool))


def test_scenario_discovery_of_an_lhs_sweep(tmp_path):
    x = _lhs(400, 2, seed=2)
    y = np.where((x[:, 0] > 0.6) & (x[:, 1] > 0.5), 0.0, 10.0) + np.random.default_rng(3).random(400)
    p = write_results(tmp_path / "lhs.h5", n_design_points=400, replications=1, weeks=2, summary={"agreements": y},
                      design={"ngo[*].budget_cv": (x[:, 0], "uncertainty"), "trust.gain_rate": (x[:, 1], "uncertainty")},
                      design_method="lhs", resolved=[resolved_text(end_week=1)] * 400)
    box, thr = toolbox.scenario_discovery(load(p), "agreements", threshold=5.0)
    assert thr == 5.0 and box.coverage >= 0.5 and box.density > 0.9
    assert box.limits["ngo[*].budget_cv"][0] == pytest.approx(0.6, abs=0.06)
    assert box.limits["trust.gain_rate"][0] == pytest.approx(0.5, abs=0.06)

"""Morris screening of a lever contrast (pse_analysis.screening)."""
from __future__ import annotations

import numpy as np
import pytest

from pse_analysis import screening


def _trajectories(r: int, k: int, p: int = 4, seed: int = 3):
    """r Morris trajectories of k+1 points on a p-level grid in [0, 1]^k (one factor per step)."""
    rng = np.random.default_rng(seed)
    delta = p / (2 * (p - 1))
    pts = []
    for _ in range(r):
        x = rng.integers(0, p // 2, size=k) / (p - 1)   # starts where + delta stays inside
        pts.append(x.copy())
        for i in rng.permutation(k):
            x[i] += delta
            pts.append(x.copy())
    return np.array(pts)


def test_screening_recovers_the_influential_factor_of_a_synthetic_model():
    # The lever adds 5 x0 + 0.5 x1 (x2 and x3 play no part in the contrast, but x2 moves both
    # settings' outcomes equally: common random numbers cancel it). Elementary effects of the
    # contrast are exactly 5, 0.5, 0, 0.
    r, k = 8, 4
    x = _trajectories(r, k)
    base = 10 + 3 * x[:, 2] + np.sin(x[:, 3])
    y_low = base
    y_high = base + 5 * x[:, 0] + 0.5 * x[:, 1]
    t = screening.contrast_indices(x, y_low, y_high, r, ranges=np.ones(k), names=["x0", "x1", "x2", "x3"], n_boot=200)
    assert list(t.index[:2]) == ["x0", "x1"]
    assert t.loc["x0", "rank"] == 1
    assert t.loc["x0", "mu_star"] == pytest.approx(5.0)
    assert t.loc["x1", "mu_star"] == pytest.approx(0.5)
    assert t.loc["x2", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["x3", "mu_star"] == pytest.approx(0.0, abs=1e-12)


def test_assumption_factors_come_from_the_field_table(pse_sim):
    f = screening.assumption_factors(pse_sim, exclude=("ngo[*].dedicated_fte",))
    assert len(f) > 50
    assert (f["min"] < f["max"]).all()
    pos = f["default"] > 0   # half to one and a half times the default, clipped to the valid range
    assert (f.loc[pos, "min"] >= 0.5 * f.loc[pos, "default"] - 1e-12).all()
    assert (f.loc[pos, "max"] <= 1.5 * f.loc[pos, "default"] + 1e-12).all()
    assert f["source"].str.lower().str.startswith("assumption").all()
    assert "ngo[*].dedicated_fte" not in set(f["key"])
    assert not f["key"].str.startswith("ngo_defaults.").any()   # experiment keys: ngo[*].x
    row = f.set_index("key").loc["trust.prior_logit"]              # a negative default: [1.5 x, 0.5 x]
    assert row["min"] == pytest.approx(1.5 * row["default"]) and row["max"] == pytest.approx(0.5 * row["default"])


def test_the_shipped_staffing_screening_names_its_assumptions():
    t = screening.find_table("ngo[*].dedicated_fte", 1.0, 2.0)
    assert t is not None, "scenarios/screening/staffing_1_to_2.csv is missing"
    top = screening.top_assumptions(t, "agreements")
    assert len(top) == 3 and all(v >= 0 for _, v in top)
    above = screening.top_assumptions(t, "agreements", above_noise=True)   # what the report names
    floor = t.loc[t["metric"] == "agreements", "noise_floor"].iloc[0]
    assert np.isfinite(floor) and floor > 0
    assert all(t.set_index(["metric", "parameter"]).loc[("agreements", k), "mu_star_lo"] > floor for k, _ in above)
    assert len(above) >= 1, "no assumption of the staffing contrast clears the noise floor in the shipped file"
    assert (t.groupby("metric")["rank"].min() == 1).all()
    assert t["source"].str.lower().str.startswith(("assumption", "calibrated")).all()
    assert (t["source"] == "calibrated (posterior range)").any()
    assert screening.find_table("ngo[*].dedicated_fte", 0.0, 5.0) is None


def test_the_noise_floor_of_a_null_parameter(tmp_path):
    # r = 100 trajectories of k + 1 = 4 points, 4 replications. Independent noise of sd 2 in each
    # paired difference: EE_rep has sd 2 sqrt(2) / (2/3), its mean over 4 replications half of
    # that, so a null parameter's mu_star is sqrt(2/pi) * 2.12 = 1.69. Noise shared by all points
    # of a replication (what common random numbers do) cancels in the elementary effects: then
    # only the small independent part (sd 0.1) is left, a floor 20 times lower.
    from synth import write_results
    from pse_analysis import load
    rng = np.random.default_rng(5)
    r, k, reps = 100, 3, 4
    n_dp = r * (k + 1)
    rep = np.tile(np.arange(reps), n_dp)
    lo = rng.normal(10, 1, n_dp * reps)
    shared = rng.normal(0, 2, reps)[rep]
    cases = {"independent": (lo + 3 + rng.normal(0, 2, n_dp * reps), 1.6926),
             "shared": (lo + 3 + shared + rng.normal(0, 0.1, n_dp * reps), 1.6926 / 20)}
    write_results(tmp_path / "lo.h5", n_design_points=n_dp, replications=reps, summary={"agreements": lo})
    a = load(str(tmp_path / "lo.h5"))
    for name, (hi, want) in cases.items():
        write_results(tmp_path / f"{name}.h5", n_design_points=n_dp, replications=reps, summary={"agreements": hi})
        got = screening.noise_floor(a, load(str(tmp_path / f"{name}.h5")), "agreements", r, k)
        assert got == pytest.approx(want, rel=0.06), name

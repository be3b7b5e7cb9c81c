"""The pre-declared calibration/validation split (docs/VALIDATION.md, "The split"),
the out-of-sample targets' derived statistics, the posterior draws, and a tiny calibration run.

The split is declared once (``validation.SPLIT``); the calibration must score exactly its
calibration targets and never a validation target. A slow end-to-end test runs calibrate.py with a
tiny configuration (so it stays runnable) and checks the same thing on its output.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pse_analysis import calibrate as cal
from pse_analysis import validation as val
from pse_analysis.keys import toml_location

REPO = val.REPO
slow = pytest.mark.skipif(os.environ.get("PSE_SKIP_SLOW_TESTS") == "1",
                          reason="slow end-to-end test (PSE_SKIP_SLOW_TESTS=1)")

#: The split as declared before the next calibration. Changing it must be a deliberate edit here,
#: in validation.SPLIT and in docs/VALIDATION.md.
DECLARED_CALIBRATION = {"A1", "A2", "B", "D1", "D2", "E", "F1", "F2", "F3"}


def test_every_target_has_exactly_one_role_and_a_reason():
    ids = [t.id for t in val.TARGETS]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(val.SPLIT)
    for tid, (role, reason) in val.SPLIT.items():
        assert role in val.ROLES and len(reason) > 3, tid
    for t in val.TARGETS:       # rows that are no test are never calibration or validation targets
        if t.band.kind in ("info", "input"):
            assert t.role == "info", t.id
        else:
            assert t.role in ("calibration", "validation"), t.id


def test_declared_split():
    cal_ids = {t.id for t in val.targets_with_role("calibration")}
    assert cal_ids == DECLARED_CALIBRATION
    valid = {t.id for t in val.targets_with_role("validation")}
    assert {"C1", "C2", "C3", "C4"} <= valid
    assert {t.id for t in val.TARGETS if t.id.startswith("G")} <= valid     # every new target is out of sample


def test_calibration_reads_its_targets_from_the_split_and_never_a_validation_target():
    ids = {t.id for t in cal.calibration_targets()}
    assert ids == {t for t, (role, _) in val.SPLIT.items() if role == "calibration"}
    assert not ids & {t for t, (role, _) in val.SPLIT.items() if role != "calibration"}


def test_calibration_score_evaluates_only_calibration_targets(monkeypatch):
    """score() on fake results: the targets it hands to evaluate are exactly the calibration ones,
    and its output has no column of a validation target."""
    keys = [f.key for f in cal.FACTORS]
    design = pd.DataFrame([{k: f.lo for k, f in zip(keys, cal.FACTORS)}, {k: f.hi for k, f in zip(keys, cal.FACTORS)}])
    runs = pd.DataFrame({"design_point": [0, 0, 1, 1], "replication": [0, 1, 0, 1]})
    fake = SimpleNamespace(design=design, ok_runs=runs)
    monkeypatch.setattr(cal, "load", lambda path: fake)
    seen = []
    real = cal.evaluate

    def spy(targets, arms):
        seen.append({t.id for t in targets})
        return real(targets, arms)
    monkeypatch.setattr(cal, "evaluate", spy)
    names = sorted({a for t in cal.calibration_targets() for a in t.arms})
    pts = cal.score({n: "same.h5" for n in names})
    assert seen and all(s == DECLARED_CALIBRATION for s in seen)
    validation_ids = {t for t, (role, _) in val.SPLIT.items() if role != "calibration"}
    assert not {c for c in pts.columns if c in validation_ids or c[2:] in validation_ids}
    # the calibration sweeps only the experiments its targets need (no validation-only experiment)
    assert {val.ARMS[n].experiment for n in names} == {"staffing", "context", "survey"}


# ---------------------------------------------------------------------------------------------
# Statistics of the new targets
# ---------------------------------------------------------------------------------------------
def test_ratio_contrast_known_answers():
    e = val.ratio_contrast([1, 1, 1, 1], [10, 10, 10, 10], [1, 0, 1, 0], [10, 10, 10, 10])
    assert e.value == pytest.approx(0.1 - 0.05) and e.lo <= e.value <= e.hi
    e = val.ratio_contrast([3, 3], [4, 4], [1, 1, 1], [4, 4, 4], paired=False)
    assert e.value == pytest.approx(0.5) and e.lo == pytest.approx(0.5) and e.hi == pytest.approx(0.5)
    assert np.isnan(val.ratio_contrast([1], [0], [1], [1]).value)
    with pytest.raises(ValueError):
        val.ratio_contrast([1, 2], [1, 2], [1], [1], paired=True)


def test_derive_metrics_known_answer():
    runs = pd.DataFrame({"actions_low_ws1": [5.0, 1.0], "actions_medium_ws1": [1.0, 0.0],
                         "actions_high_ws1": [2.0, 0.0]}, index=pd.Index([0, 1], name="run_id"))
    nan = np.nan
    p = pd.DataFrame({
        "run":                [0, 0, 0, 0, 0, 1, 1],
        "stream":             [1, 1, 1, 1, 2, 1, 2],
        "company_kind":       [0, 0, 1, 1, 1, 0, 0],
        "inbound":            [0, 1, 1, 0, 0, 0, 0],
        "first_meeting_week": [10, 195, 246, 247, 30, 5, 40],
        "agreement_week":     [60, 208, nan, 220, 50, nan, 60],
        "survivors_placed":   [0, 0, 0, 0, 3, 0, 0]})
    high = np.zeros((2, 300))
    high[0, 70:] = 1
    d = val.derive_metrics(p, runs, high)
    r0, r1 = d.loc[0], d.loc[1]
    assert r0["ws1_first_meetings"] == 4 and r1["ws1_first_meetings"] == 1
    assert r0["ws1_first_meetings_downgrade_window"] == 2          # weeks 195 and 246 (window 195..246)
    assert r0["ws1_agreements"] == 3 and r0["ws1_agreements_by_208"] == 2
    assert r0["ws1_agreements_years_2_4"] == 1 and r0["ws1_agreements_last_year"] == 2   # 60 | 208, 220
    assert (r0["ws1_met_mnc"], r0["ws1_met_local"], r0["ws1_agreements_mnc"], r0["ws1_agreements_local"]) == (2, 2, 2, 1)
    assert r0["ws1_agreements_inbound"] == 1
    assert (r0["ws2_placing"], r0["ws2_placed"], r1["ws2_placing"]) == (1, 3, 0)
    assert r0["first_high_week"] == 70 and r1["first_high_week"] == 300     # never: after the run
    assert r0["ws1_actions"] == 8 and r1["ws1_actions"] == 1


def test_constants_match_the_scenarios():
    d = tomllib.loads((REPO / "scenarios" / "default.toml").read_text())
    assert d["ngo_defaults"]["start_week"] == 0 and d["ngo_defaults"]["end_week"] == val.PROJECT_END_WEEK
    m = tomllib.loads((val.VALIDATION_DIR / "mechanisms.toml").read_text())
    sets = [pt["set"] for pt in m["experiment"]["point"]]
    assert {"shocks.tier_downgrade_week": val.TIER_DOWNGRADE_WEEK,
            "engagement.tier_downgrade_weeks": val.TIER_DOWNGRADE_WINDOW} in sets
    assert m["experiment"]["common_random_numbers"] is True


# ---------------------------------------------------------------------------------------------
# Posterior draws
# ---------------------------------------------------------------------------------------------
def test_posterior_draws_are_the_calibrated_posterior():
    post = val.read_posterior()
    assert val.posterior_keys(post) == [f.key for f in cal.FACTORS]
    assert len(post) >= 10 and (post["distance"] <= 1.0).all()
    doc = tomllib.loads((REPO / "scenarios" / "calibrated.toml").read_text())
    for f in cal.FACTORS:
        v = post[f.key]
        assert (v >= f.lo).all() and (v <= f.hi).all(), f.key
        table, key = toml_location(f.key)
        node = doc
        for part in table.split("."):
            node = node[part]
        assert node[key] == pytest.approx(cal._sig(float(np.median(v)))), f.key    # defaults = medians (3 digits)


def test_select_draws_spreads_evenly():
    assert val.select_draws(51, 100) == list(range(51))
    s = val.select_draws(51, 17)
    assert len(s) == 17 and s[0] == 0 and s[-1] == 50 and s == sorted(set(s))
    assert val.select_draws(5, 1) == [0]
    post = val.read_posterior()
    sets = val.draw_sets(post, 0)
    assert len(sets) == len(cal.FACTORS) and all("=" in x for x in sets)


# ---------------------------------------------------------------------------------------------
# End to end (slow): calibrate.py stays runnable with a tiny configuration
# ---------------------------------------------------------------------------------------------
@slow
def test_tiny_calibration_runs_and_scores_only_calibration_targets(pse_sim, tmp_path):
    env = dict(os.environ, PSE_SIM=str(pse_sim), PYTHONPATH=str(REPO / "analysis"))
    out = tmp_path / "cal"
    p = subprocess.run([sys.executable, "-m", "pse_analysis", "calibrate", "--samples", "3", "--replications", "2",
                        "--survey-replications", "1", "--rounds", "1", "--min-accepted", "1", "--seed", "5",
                        "-t", "1", "-o", str(out)], capture_output=True, text=True, env=env, cwd=str(REPO), timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    pts = pd.read_csv(out / "calibration_points.csv")
    scored = {c[2:] for c in pts.columns if c.startswith("d_")}
    assert scored == DECLARED_CALIBRATION
    post = pd.read_csv(out / "posterior.csv", comment="#")
    assert val.posterior_keys(post) == [f.key for f in cal.FACTORS] and len(post) >= 1
    assert tomllib.loads((out / "calibrated.toml").read_text())["extends"] == "default.toml"

"""Validation of pse-sim against the field evidence (docs/VALIDATION.md).

    /usr/bin/python3 -m pse_analysis validate-model [--quick] [-o DIR] [--set key=value ...]

Data flow: the validation experiments ``scenarios/validation/*.toml`` (each extends
``scenarios/default.toml``, whose built-in defaults are the calibrated parameters) are run with
``pse-sim sweep`` into a work folder; the runs of each
*arm* (one design point of one experiment: the calibrated project at 0, 1 or 2 dedicated FTE, the
MNC-poor part-time project, the 27-NGO survey population, ...) are handed to the target
functions below; each target turns them into one statistic with a 95% interval and compares the
point estimate with its tolerance band. The table is printed and written as CSV, Markdown and an
HTML fragment (``validation.csv``, ``validation.md``, ``validation.html``); the exit code is 1 if
any target fails.

Decision rule: a target passes when the model's point estimate lies inside the tolerance band.
The band expresses how precisely the *source* pins the quantity down (tiny samples: 11 and 13
interviews, 27 NGOs, 5 country projects); the 95% interval expresses the Monte-Carlo uncertainty
of the model's estimate and is reported next to it ("marginal" when it crosses a bound). The
staffing targets (C) are sign tests: they pass when the whole 95% interval of the paired
difference lies above 0.

The same target functions score the design points of the calibration (``calibrate.py``), so the
statistic the calibration fits is exactly the statistic the validation reports.

The pse-sim binary is taken from the environment variable ``PSE_SIM``, else
``build/release/sim/pse-sim`` under the repository root.
"""
from __future__ import annotations

import argparse
import html
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from .errors import AnalysisError
from .io import load
from .stats import mean_ci, paired_difference

#: Repository root (analysis/pse_analysis/validation.py -> ../../).
REPO = Path(__file__).resolve().parents[2]
#: Folder of the validation experiments.
VALIDATION_DIR = REPO / "scenarios" / "validation"
#: Scenario the validation experiments extend (their ``extends = "../default.toml"``): the built-in
#: defaults, which are the calibrated parameters (scenarios/calibrated.toml records how).
DEFAULT_BASE = REPO / "scenarios" / "default.toml"
#: Replications per design point at full size are those written in the experiment files (1000);
#: ``--quick`` uses this many instead.
QUICK_REPLICATIONS = 200
#: Week by which an "operational partnership" must have started (end of project year 4).
OPERATIONAL_BY_WEEK = 208
#: Sample sizes of the sources, used for binomial tolerances.
SURVEY_N = 27
#: Surveyed NGOs that had run joint activities with business (67% of 27: 18), the population of
#: "reported experiences" in 002 (used for the Wilson tolerance of G10).
SURVEY_JOINT_N = 18
#: Project weeks of the Thailand-like project of scenarios/default.toml (start_week 0, end_week 260).
PROJECT_END_WEEK = 260
#: Week of the tier downgrade in scenarios/validation/mechanisms.toml and the length of the window
#: after it in which affiliated NGOs meet hesitation (engagement.tier_downgrade_weeks; checked by tests).
TIER_DOWNGRADE_WEEK = 195
TIER_DOWNGRADE_WINDOW = 52
#: Posterior draws (the accepted ABC points of the calibration behind the built-in defaults).
POSTERIOR_FILE = VALIDATION_DIR / "posterior.csv"
#: Posterior draws used by --quick (every k-th row of POSTERIOR_FILE, evenly spread); the full run
#: uses every draw. Replications per draw = ceil(replications per point / draws).
QUICK_DRAWS = 17


class ValidationError(AnalysisError):
    """The validation could not be run (binary missing, a sweep failed, a file is malformed)."""


# ---------------------------------------------------------------------------------------------
# Statistics (pure functions on arrays; tested with known answers in tests/test_validation.py)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A statistic with its two-sided confidence interval and the number of units it rests on."""
    value: float
    lo: float
    hi: float
    n: int
    note: str = ""


def _finite(x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).ravel()
    return a[np.isfinite(a)]


def median_ci(values, conf: float = 0.95) -> Estimate:
    """Sample median of the finite values with the distribution-free (order-statistic) interval.

    The interval is [x_(j), x_(k)] (1-based order statistics) with j the largest and k the
    smallest index such that the Binomial(n, 1/2) probability of j <= B < k is at least ``conf``
    (j = binom.ppf(α/2) and k = n + 1 − j, the classical symmetric choice). For n < 6 the interval
    is the sample range and its coverage is below ``conf`` (noted)."""
    a = np.sort(_finite(values))
    n = a.size
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, "no finite value")
    med = float(np.median(a))
    alpha = 1.0 - conf
    j = int(_st.binom.ppf(alpha / 2, n, 0.5))          # P(B <= j-1) <= α/2 < P(B <= j)
    # largest j with P(B < j) <= α/2
    while j > 0 and _st.binom.cdf(j - 1, n, 0.5) > alpha / 2:
        j -= 1
    j = max(j, 1)
    k = n + 1 - j
    note = "" if _st.binom.cdf(k - 1, n, 0.5) - _st.binom.cdf(j - 1, n, 0.5) >= conf else "coverage < 95% (few values)"
    return Estimate(med, float(a[j - 1]), float(a[k - 1]), n, note)


def wilson_interval(p: float, n: float, conf: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion p observed in n trials."""
    if n <= 0 or not np.isfinite(p):
        return (np.nan, np.nan)
    z = float(_st.norm.ppf(0.5 + conf / 2))
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def share_estimate(flags, conf: float = 0.95) -> Estimate:
    """Share of True among the finite 0/1 values, with its Wilson interval."""
    a = _finite(flags)
    n = a.size
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, "no replication")
    p = float(np.mean(a != 0))
    lo, hi = wilson_interval(p, n, conf)
    return Estimate(p, lo, hi, n)


def mean_estimate(values, conf: float = 0.95) -> Estimate:
    """Mean of the finite values with a t interval (as stats.mean_ci)."""
    ci = mean_ci(values, conf)
    return Estimate(ci.mean, ci.lo, ci.hi, ci.n)


def ratio_estimate(num, den, conf: float = 0.95, n_boot: int = 2000, seed: int = 0) -> Estimate:
    """Pooled ratio sum(num) / sum(den) over replications, with a percentile bootstrap interval
    that resamples replications (pairs with a non-finite value are dropped). ``n`` is the pooled
    denominator (rounded)."""
    x = np.asarray(num, dtype=np.float64).ravel()
    y = np.asarray(den, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"ratio: numerator and denominator differ in length ({x.size} vs {y.size})")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    total = float(y.sum())
    if x.size == 0 or total <= 0:
        return Estimate(np.nan, np.nan, np.nan, int(round(total)), "denominator is 0")
    r = float(x.sum() / total)
    lo = hi = np.nan
    if n_boot > 0 and x.size > 1:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, x.size, size=(n_boot, x.size))
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = x[idx].sum(axis=1) / y[idx].sum(axis=1)
        boot = boot[np.isfinite(boot)]
        if boot.size:
            lo, hi = (float(v) for v in np.percentile(boot, [50 * (1 - conf), 50 * (1 + conf)]))
    return Estimate(r, lo, hi, int(round(total)))


def paired_estimate(a, b, conf: float = 0.95) -> Estimate:
    """Mean of the paired differences a_r − b_r (common random numbers) with its t interval."""
    d = paired_difference(a, b, conf)
    return Estimate(d.diff, d.lo, d.hi, d.n)


def no_operation_by(weeks_to_first_implementation, week: int = OPERATIONAL_BY_WEEK) -> np.ndarray:
    """1.0 where a run had no WS1 implementation started by ``week`` (summary metric
    weeks_to_first_implementation NaN -- never -- or later than ``week``), else 0.0."""
    w = np.asarray(weeks_to_first_implementation, dtype=np.float64)
    return np.where(np.isfinite(w) & (w <= week), 0.0, 1.0)


def ratio_contrast(num_a, den_a, num_b, den_b, paired: bool = True, conf: float = 0.95, n_boot: int = 2000,
                   seed: int = 0) -> Estimate:
    """Difference of two pooled ratios, sum(num_a)/sum(den_a) − sum(num_b)/sum(den_b), with a
    percentile bootstrap interval. ``paired``: a and b come from the same replications (same
    length; one resampling of replications for both), else the two are resampled independently."""
    xa, ya, xb, yb = (np.asarray(v, dtype=np.float64).ravel() for v in (num_a, den_a, num_b, den_b))
    if paired and not (xa.size == ya.size == xb.size == yb.size):
        raise ValueError("ratio_contrast: paired inputs must have the same length")
    if paired:
        keep = np.isfinite(xa) & np.isfinite(ya) & np.isfinite(xb) & np.isfinite(yb)
        xa, ya, xb, yb = xa[keep], ya[keep], xb[keep], yb[keep]
    else:
        ka, kb = np.isfinite(xa) & np.isfinite(ya), np.isfinite(xb) & np.isfinite(yb)
        xa, ya, xb, yb = xa[ka], ya[ka], xb[kb], yb[kb]
    if ya.sum() <= 0 or yb.sum() <= 0:
        return Estimate(np.nan, np.nan, np.nan, 0, "a denominator is 0")
    d = float(xa.sum() / ya.sum() - xb.sum() / yb.sum())
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, xa.size, size=(n_boot, xa.size))
    ib = ia if paired else rng.integers(0, xb.size, size=(n_boot, xb.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = xa[ia].sum(1) / ya[ia].sum(1) - xb[ib].sum(1) / yb[ib].sum(1)
    boot = boot[np.isfinite(boot)]
    lo, hi = (float(v) for v in np.percentile(boot, [50 * (1 - conf), 50 * (1 + conf)])) if boot.size else (np.nan, np.nan)
    return Estimate(d, lo, hi, int(xa.size + (0 if paired else xb.size)))


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Band:
    """Tolerance band [lo, hi] (open at a bound when ``lo_open``/``hi_open``), with the source's
    point value ``centre`` (None for a one-sided or pure-range target). ``kind``: 'range' (point
    estimate inside the band), 'positive' (whole interval above 0), 'input', 'info'."""
    lo: float = -np.inf
    hi: float = np.inf
    centre: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    kind: str = "range"

    def contains(self, x: float) -> bool:
        if x is None or not np.isfinite(x):
            return False
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return bool(above and below)

    def text(self, fmt: Callable[[float], str]) -> str:
        if self.kind == "positive":
            return "95% CI > 0"
        if self.kind in ("input", "info"):
            return "—"
        lo_s = "(" if self.lo_open else "["
        hi_s = ")" if self.hi_open else "]"
        lo = "−∞" if not np.isfinite(self.lo) else fmt(self.lo)
        hi = "∞" if not np.isfinite(self.hi) else fmt(self.hi)
        return f"{lo_s}{lo}, {hi}{hi_s}"

    def distance(self, x: float) -> float:
        """Distance of x from the target in tolerance units: 0 at the centre (or anywhere inside
        a band without a centre), 1 at the band's edge, growing linearly outside. inf for NaN."""
        if x is None or not np.isfinite(x):
            return np.inf
        lo, hi, c = self.lo, self.hi, self.centre
        if c is None:
            width = (hi - lo) if np.isfinite(hi - lo) else 1.0
            if x < lo or (self.lo_open and x == lo):
                return 1.0 + (lo - x) / width
            if x > hi or (self.hi_open and x == hi):
                return 1.0 + (x - hi) / width
            return 0.0
        if x <= c:
            return (c - x) / (c - lo) if c > lo else (0.0 if x == c else np.inf)
        return (x - c) / (hi - c) if hi > c else np.inf


@dataclass(frozen=True)
class Target:
    """One validation target: what the source says, the statistic, its tolerance, how to compute
    it from the arms' runs (a mapping arm name -> DataFrame of that arm's finished runs, ordered
    by replication)."""
    id: str
    target: str
    source: str
    statistic: str
    band: Band
    compute: Callable[[Mapping[str, pd.DataFrame]], Estimate]
    arms: tuple[str, ...]
    share: bool = False          # format as a share
    why: str = ""                # one-line justification of the tolerance (long form in docs)

    @property
    def role(self) -> str:
        """'calibration', 'validation' or 'info' (not a test), from the pre-declared SPLIT."""
        return SPLIT[self.id][0]

    @property
    def role_reason(self) -> str:
        return SPLIT[self.id][1]

    @property
    def calibrate(self) -> bool:
        """True when the calibration may use this target (role 'calibration' in SPLIT)."""
        return self.role == "calibration"


def _col(arms, arm, metric) -> np.ndarray:
    df = arms[arm]
    if metric not in df.columns:
        raise ValidationError(f"arm '{arm}': the results have no summary metric '{metric}'")
    return df[metric].to_numpy(dtype=np.float64)


def _paired(arms, arm_a, arm_b, metric) -> Estimate:
    a, b = arms[arm_a], arms[arm_b]
    m = pd.merge(a[["replication", metric]], b[["replication", metric]], on="replication", suffixes=("_a", "_b"))
    return paired_estimate(m[f"{metric}_a"], m[f"{metric}_b"])


def _paired_acceptance(arms, arm_a, arm_b) -> Estimate:
    """Share of WS1 engagements initiated that reached a first meeting (pooled: first meetings /
    engagements_initiated), arm a − arm b, over the replications both arms share (CRN pairs)."""
    cols = ["replication", "ws1_first_meetings", "engagements_initiated"]
    m = pd.merge(arms[arm_a][cols], arms[arm_b][cols], on="replication", suffixes=("_a", "_b"))
    return ratio_contrast(m["ws1_first_meetings_a"], m["engagements_initiated_a"],
                          m["ws1_first_meetings_b"], m["engagements_initiated_b"], paired=True)


def _ratio_diminishing(arms) -> Estimate:
    """Δ(1→2 FTE) / Δ(0→1 FTE) of mean workers reached (info row)."""
    w0, w1, w2 = (np.nanmean(_col(arms, a, "workers_reached")) for a in ("fte0", "fte1", "fte2"))
    d1, d2 = w1 - w0, w2 - w1
    return Estimate(d2 / d1 if d1 else np.nan, np.nan, np.nan, len(arms["fte1"]))


def _conditional_continuing(arms) -> Estimate:
    c = _col(arms, "survey", "ngos_continuing_share")
    j = _col(arms, "survey", "ngos_joint_activity_share")
    return ratio_estimate(c, j)


def _survey_band(p: float, n: int = SURVEY_N) -> Band:
    lo, hi = wilson_interval(p, n)
    return Band(round(lo, 3), round(hi, 3), centre=p)


def _input_value(arms) -> Estimate:
    """ngo_population.dedicated_staff_prob as read from the survey arm's resolved scenario."""
    text = arms["survey"].attrs.get("resolved", "") if "survey" in arms else ""
    try:
        v = float(tomllib.loads(text)["ngo_population"]["dedicated_staff_prob"])
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
        v = np.nan
    return Estimate(v, np.nan, np.nan, 0, "an input of the scenario, not a model result")


def _staffing_sign(tid: str, what: str, metric: str, fte_lo: int, fte_hi: int, source: str,
                   why: str = "sign test") -> Target:
    """Target: more dedicated staff (fte_lo -> fte_hi FTE) gives more `metric`, as a sign test on
    the paired (CRN) mean difference of the arms 'fte<hi>' - 'fte<lo>' (held out of calibration)."""
    final = " (final week)" if metric == "workers_reached" else ""
    hi, lo = f"fte{fte_hi}", f"fte{fte_lo}"
    return Target(tid, f"More dedicated staff → more {what} ({fte_lo} → {fte_hi} FTE)", source,
                  f"paired (CRN) mean difference of {metric}{final}, {fte_hi} − {fte_lo} dedicated FTE",
                  Band(kind="positive"), lambda a: _paired(a, hi, lo, metric), (lo, hi), why=why)


TARGETS: list[Target] = [
    Target("A1", "First contact → signed agreement ≈ 1 year",
           "000 L2; 003 L3 (EVIDENCE #1, #3)",
           "median over replications of median_weeks_to_agreement (weeks, WS1), 1-FTE project",
           Band(35, 80, centre=52), lambda a: median_ci(_col(a, "fte1", "median_weeks_to_agreement")), ("fte1",),
           why="'about a year' from 11 + 13 interviews: 8 to 18 months"),
    Target("A2", "Engagement phase 1–2 years",
           "000 L2 (EVIDENCE #2)",
           "median over replications of median_engagement_weeks (contact → implementation start), 1-FTE project",
           Band(40, 130, centre=78), lambda a: median_ci(_col(a, "fte1", "median_engagement_weeks")), ("fte1",),
           why="52–104 weeks, widened by a quarter of the range on each side"),
    Target("B", "Most initiated engagements never reach agreement",
           "000 L2; 003 L2 (EVIDENCE #11)",
           "mean over replications of share_reaching_agreement (WS1), 1-FTE project",
           Band(0, 0.5, lo_open=True, hi_open=True), lambda a: mean_estimate(_col(a, "fte1", "share_reaching_agreement")),
           ("fte1",), share=True, why="'most' = fewer than half; > 0 because agreements were signed"),
    _staffing_sign("C1", "agreements", "agreements", 0, 1, "000 L2; 003 L2 (EVIDENCE #23, #24)",
                   why="the sources give a direction, not a size: sign test"),
    _staffing_sign("C2", "agreements", "agreements", 1, 2, "000 L2 (EVIDENCE #23)"),
    _staffing_sign("C3", "workers reached", "workers_reached", 0, 1, "000 L2 (EVIDENCE #23)"),
    _staffing_sign("C4", "workers reached", "workers_reached", 1, 2, "000 L2 (EVIDENCE #23)"),
    Target("C5", "Diminishing returns to staff (workers reached)",
           "ODD 7.1; EVIDENCE §5.3",
           "Δ(1 → 2 FTE) / Δ(0 → 1 FTE) of mean workers_reached (< 1 = diminishing)",
           Band(kind="info"), _ratio_diminishing, ("fte0", "fte1", "fte2"),
           why="not a validation target of the brief; shown for information"),
    Target("D1", "MNC-poor + part-time staff: no operational partnership years in",
           "003 Learnings intro, L1 (EVIDENCE #15, #41)",
           f"share of replications with no WS1 implementation started by week {OPERATIONAL_BY_WEEK} "
           "(weeks_to_first_implementation NaN or later), MNC-poor part-time arm",
           Band(0.5, 1.0, centre=0.8), lambda a: share_estimate(no_operation_by(_col(a, "poor", "weeks_to_first_implementation"))),
           ("poor",), share=True, why="4 of the 4 non-Thai country projects had none (95% CI of the share 0.40–1)"),
    Target("D2", "MNC-rich + dedicated specialist: an operational partnership",
           "000 Overview, L2; 003 Learnings intro (EVIDENCE #1, #15)",
           f"share of replications with a WS1 implementation started by week {OPERATIONAL_BY_WEEK}, MNC-rich 1-FTE arm",
           Band(0.8, 1.0, centre=1.0),
           lambda a: share_estimate(1.0 - no_operation_by(_col(a, "rich", "weeks_to_first_implementation"))),
           ("rich",), share=True, why="Thailand had its flagship in about a year: 'most' read as ≥ 0.8"),
    Target("E", "Survivor employment: ~20 partnerships → 1–2 placements",
           "003 L5 (EVIDENCE #14)",
           "survivors_placed / ws2_partnerships, pooled over replications, 1-FTE project",
           Band(0.02, 0.2, centre=0.075),
           lambda a: ratio_estimate(_col(a, "fte1", "survivors_placed"), _col(a, "fte1", "ws2_partnerships")),
           ("fte1",), why="0.05–0.10 from one count of 1–2 placements: widened by a factor ~2.5"),
    Target("F1", "Survey: ~80% of NGOs target business",
           "002 (EVIDENCE #19)",
           f"mean ngos_engaging_share, {SURVEY_N} NGOs",
           _survey_band(0.80), lambda a: mean_estimate(_col(a, "survey", "ngos_engaging_share")), ("survey",),
           share=True, why="Wilson 95% interval of 80% of 27"),
    Target("F2", "Survey: ~67% have done joint activities",
           "002 (EVIDENCE #19)",
           f"mean ngos_joint_activity_share, {SURVEY_N} NGOs",
           _survey_band(18 / 27), lambda a: mean_estimate(_col(a, "survey", "ngos_joint_activity_share")), ("survey",),
           share=True, why="Wilson 95% interval of 18 of 27"),
    Target("F3", "Survey: ~25% sure cooperation continues beyond its scope",
           "002 (EVIDENCE #20)",
           f"mean ngos_continuing_share, {SURVEY_N} NGOs",
           _survey_band(0.25), lambda a: mean_estimate(_col(a, "survey", "ngos_continuing_share")), ("survey",),
           share=True, why="Wilson 95% interval of 25% of 27"),
    Target("F3b", "Survey: continuing among NGOs with joint activities",
           "002 (EVIDENCE #20), other reading",
           "ngos_continuing_share / ngos_joint_activity_share, pooled",
           Band(kind="info"), _conditional_continuing, ("survey",), share=True,
           why="'one quarter of them' may mean of those who cooperated; shown for information"),
    Target("F4", "Survey: ~11% have dedicated PSE staff",
           "002 (EVIDENCE #26)",
           "ngo_population.dedicated_staff_prob (an input of the survey scenario)",
           Band(kind="input"), _input_value, ("survey",), share=True,
           why="an input validates nothing"),
    # --- Out-of-sample targets: facts of the reports no calibration has used -----------
    Target("G1", "Thailand: about three collaborations established by year four",
           "000 Overview, Introduction (EVIDENCE #180, #183)",
           f"mean over replications of WS1 agreements signed by week {OPERATIONAL_BY_WEEK} (partnership table), "
           "1-FTE project",
           Band(2, 6, centre=3), lambda a: mean_estimate(_col(a, "fte1", "ws1_agreements_by_208")), ("fte1",),
           why="'several collaborations', three named, by the 2021 interviews (year 4): 2 to 6"),
    Target("G2", "Few national firms engage, compared with MNCs",
           "000 Recommendations; 003 L1 (EVIDENCE #40)",
           "P(agreement | first meeting) for MNCs − for local firms, pooled over replications (partnership "
           "table), 1-FTE project",
           Band(kind="positive"),
           lambda a: ratio_contrast(_col(a, "fte1", "ws1_agreements_mnc"), _col(a, "fte1", "ws1_met_mnc"),
                                    _col(a, "fte1", "ws1_agreements_local"), _col(a, "fte1", "ws1_met_local")),
           ("fte1",), share=True, why="a direction without a size: 95% interval > 0"),
    Target("G3", "Companies will not commit in the project's last year",
           "000 L3; 003 L3 (EVIDENCE #181, #100)",
           f"WS1 agreements signed in the last project year (weeks {PROJECT_END_WEEK - 52}–{PROJECT_END_WEEK - 1}) / "
           "mean yearly WS1 agreements of years 2–4, pooled, 1-FTE project",
           Band(0, 0.5), lambda a: ratio_estimate(_col(a, "fte1", "ws1_agreements_last_year"),
                                                  _col(a, "fte1", "ws1_agreements_years_2_4") / 3.0),
           ("fte1",), share=True, why="'I can't commit to anything': the last year at most half the mid-project rate"),
    Target("G4", "The high-level action indicator misses the first one to two years",
           "000 L5 (EVIDENCE #5)",
           "median over replications of the week of the project's first high-level WS1 action (series "
           "actions_high_ws1; never = after the run), 1-FTE project",
           Band(40, 130, centre=78), lambda a: median_ci(_col(a, "fte1", "first_high_week")), ("fte1",),
           why="'the first one to two years': 52–104 weeks, widened as A2"),
    Target("G5", "MNC-poor (Lao-PDR-like) projects pursue mostly low-level engagement",
           "003 L1 (EVIDENCE #182, #41)",
           "share of low-level among all WS1 actions, pooled: MNC-poor part-time arm − MNC-rich 1-FTE arm",
           Band(kind="positive"),
           lambda a: ratio_contrast(_col(a, "poor", "actions_low_ws1"), _col(a, "poor", "ws1_actions"),
                                    _col(a, "rich", "actions_low_ws1"), _col(a, "rich", "ws1_actions"), paired=False),
           ("poor", "rich"), share=True, why="'less active engagement' than where MNCs abound: 95% interval > 0"),
    Target("G6", "The flagship partnership ended with the project",
           "000 Overview; 000 L3 (EVIDENCE #9)",
           "partnerships_end_plus_52 / partnerships_at_end, pooled (share of the partnerships active at the "
           "project end still active a year later), 1-FTE project",
           Band(0, 0.5), lambda a: ratio_estimate(_col(a, "fte1", "partnerships_end_plus_52"),
                                                  _col(a, "fte1", "partnerships_at_end")),
           ("fte1",), share=True, why="one case that ended: ending must be the likelier outcome (< 0.5)"),
    Target("G7", "Funding uncertainty makes companies reluctant to engage at all",
           "003 L3 (EVIDENCE #100, #16)",
           "share of WS1 engagements initiated that reach a first meeting (acceptance), pooled, budget CV 0 − "
           "CV 0.2 (the default); CRN pairs",
           Band(kind="positive"), lambda a: _paired_acceptance(a, "mech_cv0", "mech_base"),
           ("mech_base", "mech_cv0"), share=True, why="a direction without a size: 95% interval > 0"),
    Target("G8a", "'Trafficking' framing: companies back away",
           "000 L2; 003 L4 (EVIDENCE #30, #101)",
           "share of WS1 engagements initiated that reach a first meeting (acceptance), pooled, 'safe migration' − "
           "'trafficking' framing; CRN pairs",
           Band(kind="positive"), lambda a: _paired_acceptance(a, "mech_base", "mech_trafficking"),
           ("mech_base", "mech_trafficking"), share=True, why="a direction without a size: 95% interval > 0"),
    Target("G8b", "Tier downgrade: companies distance themselves from US-funded NGOs",
           "000 L2 (EVIDENCE #32)",
           f"paired (CRN) mean difference of WS1 first meetings in weeks {TIER_DOWNGRADE_WEEK}–"
           f"{TIER_DOWNGRADE_WEEK + TIER_DOWNGRADE_WINDOW - 1}, no downgrade − downgrade in week {TIER_DOWNGRADE_WEEK}",
           Band(kind="positive"), lambda a: _paired(a, "mech_base", "mech_downgrade", "ws1_first_meetings_downgrade_window"),
           ("mech_base", "mech_downgrade"), why="a direction without a size: 95% interval > 0"),
    Target("G9", "Survey: most successful cooperation began with an interested business",
           "002 Beyond philanthropy (EVIDENCE #22, #144)",
           f"share of WS1 agreements whose company approached the NGO (inbound lead), pooled, {SURVEY_N} NGOs",
           Band(0.5, 1.0, lo_open=True), lambda a: ratio_estimate(_col(a, "survey", "ws1_agreements_inbound"),
                                                                  _col(a, "survey", "ws1_agreements")),
           ("survey",), share=True, why="'mostly' = more than half"),
    Target("G10", "Survey: partners split evenly between local, small/medium and large firms",
           "002 Experiences (EVIDENCE #145)",
           f"share of WS1 agreements with MNCs (the model's large firms), pooled, {SURVEY_N} NGOs",
           _survey_band(1 / 3, SURVEY_JOINT_N),
           lambda a: ratio_estimate(_col(a, "survey", "ws1_agreements_mnc"), _col(a, "survey", "ws1_agreements")),
           ("survey",), share=True, why=f"a third large: Wilson 95% interval for 1/3 of the {SURVEY_JOINT_N} NGOs with joint activities"),
    Target("G11", "Survivor employment cohorts like the factory pilot of ten",
           "002 Experiences (EVIDENCE #45, #184)",
           "survivors placed per WS2 partnership that placed anyone, pooled (partnership table), 1-FTE project",
           Band(3, 30, centre=10), lambda a: ratio_estimate(_col(a, "fte1", "ws2_placed"), _col(a, "fte1", "ws2_placing")),
           ("fte1",), why="one pilot of 10 ('a small number of beneficiaries'): a factor 3 either way"),
]


# ---------------------------------------------------------------------------------------------
# The pre-declared split (docs/VALIDATION.md, "The split"): which targets may calibrate, which only validate, and why.
# calibrate.py reads its targets from here and scores nothing else (tests/test_validation.py).
# 'info' rows are shown for information and are no test. docs/VALIDATION.md, "The split".
# ---------------------------------------------------------------------------------------------
SPLIT: dict[str, tuple[str, str]] = {
    "A1": ("calibration", "the one timing figure two sources agree on; trust and stage rates have no other anchor"),
    "A2": ("calibration", "the engagement phase length pins the co-creation stages, which nothing else constrains"),
    "B": ("calibration", "attrition before agreement; weak (one-sided) but the only constraint on the drop rates"),
    "C1": ("validation", "held out since the first calibration: the staffing claim is the question users ask"),
    "C2": ("validation", "held out (as C1)"),
    "C3": ("validation", "held out (as C1)"),
    "C4": ("validation", "held out (as C1)"),
    "C5": ("info", "a property of the staffing mechanism, not a claim of the sources"),
    "D1": ("calibration", "the only evidence on MNC-poor, part-time projects; switching overhead is otherwise free"),
    "D2": ("calibration", "used by the calibration behind the current defaults; kept so D1 cannot be met by "
                          "making every project fail"),
    "E": ("calibration", "the only WS2 yield figure; match_prob has no other anchor"),
    "F1": ("calibration", "the survey population's staffing (part_time_staff_mean) is unreported; F1-F3 are "
                          "its only anchor"),
    "F2": ("calibration", "the survey population's second share; as F1"),
    "F3": ("calibration", "as F1; also the only anchor of continue_prob and handover_prob"),
    "F3b": ("info", "another reading of F3's source"),
    "F4": ("info", "an input of the survey scenario"),
    "G1": ("validation", "new (issue 15): a count the calibration never saw; tests the pipeline's throughput"),
    "G2": ("validation", "new: firm-type heterogeneity, not fitted"),
    "G3": ("validation", "new: the horizon effect on commitment, not fitted"),
    "G4": ("validation", "new: the lag of the high-level indicator, not fitted"),
    "G5": ("validation", "new: the mix of actions in MNC-poor countries, not fitted"),
    "G6": ("validation", "new: survival past a single project's end; F3 fitted the survey population's instead"),
    "G7": ("validation", "new: budget-uncertainty hesitation (assumed weight), never fitted"),
    "G8a": ("validation", "new: framing penalty (assumed value), never fitted"),
    "G8b": ("validation", "new: tier-downgrade hesitation (assumed value), never fitted"),
    "G9": ("validation", "new: inbound leads' share of successes, not fitted"),
    "G10": ("validation", "new: firm-size mix of survey partnerships, not fitted"),
    "G11": ("validation", "new: WS2 cohort size (cohort_mean is an assumption), not fitted"),
}
ROLES = ("calibration", "validation", "info")


def targets_with_role(role: str) -> list[Target]:
    """The targets of one role of the pre-declared SPLIT, in table order."""
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}' (one of {ROLES})")
    return [t for t in TARGETS if SPLIT[t.id][0] == role]


# ---------------------------------------------------------------------------------------------
# Arms: which design point of which validation experiment each target reads
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Arm:
    """One design point of one validation experiment: file stem and the point's settings."""
    name: str
    experiment: str
    settings: tuple = ()        # ((key, value), ...) as in the experiment's design

    @property
    def settings_dict(self) -> dict:
        return dict(self.settings)


ARMS: dict[str, Arm] = {
    "fte0": Arm("fte0", "staffing", (("ngo[*].dedicated_fte", 0.0),)),
    "fte1": Arm("fte1", "staffing", (("ngo[*].dedicated_fte", 1.0),)),
    "fte2": Arm("fte2", "staffing", (("ngo[*].dedicated_fte", 2.0),)),
    "rich": Arm("rich", "context", (("ngo[*].dedicated_fte", 1.0),)),
    "poor": Arm("poor", "context", (
        ("ecosystem.mnc_count", 5), ("ecosystem.supplier_count", 300), ("ecosystem.government_count", 3),
        ("ecosystem.association_count", 1), ("ecosystem.sensitive_sector_share", 0.1),
        ("ngo[*].dedicated_fte", 0.0), ("ngo[*].part_time_staff", 4.0), ("ngo[*].part_time_share", 0.1),
        ("ngo[*].trained", False))),
    "survey": Arm("survey", "survey", ()),
    "mech_base": Arm("mech_base", "mechanisms", (("ngo[*].framing", "safe_migration"),)),
    "mech_cv0": Arm("mech_cv0", "mechanisms", (("ngo[*].budget_cv", 0.0),)),
    "mech_trafficking": Arm("mech_trafficking", "mechanisms", (("ngo[*].framing", "trafficking"),)),
    "mech_downgrade": Arm("mech_downgrade", "mechanisms", (("shocks.tier_downgrade_week", TIER_DOWNGRADE_WEEK),
                                                           ("engagement.tier_downgrade_weeks", TIER_DOWNGRADE_WINDOW))),
}


# ---------------------------------------------------------------------------------------------
# Per-run statistics derived from the per-run tables and weekly series of a results file
# ---------------------------------------------------------------------------------------------
#: Columns derive_metrics adds to every run (docs/VALIDATION.md names their sources).
DERIVED_METRICS = (
    "ws1_first_meetings", "ws1_first_meetings_downgrade_window", "ws1_agreements", "ws1_agreements_by_208",
    "ws1_agreements_years_2_4", "ws1_agreements_last_year", "ws1_met_mnc", "ws1_met_local", "ws1_agreements_mnc",
    "ws1_agreements_local", "ws1_agreements_inbound", "ws2_placing", "ws2_placed", "first_high_week", "ws1_actions")


def read_table(path, name: str) -> pd.DataFrame:
    """A per-run table (/partnerships, /ngos, /stages) of a results file as a DataFrame (codes as numbers)."""
    import h5py
    with h5py.File(path, "r") as f:
        if name not in f:
            return pd.DataFrame()
        g = f[name]
        return pd.DataFrame({k: g[k][:] for k in g})


def derive_metrics(partnerships: pd.DataFrame, runs: pd.DataFrame, actions_high_ws1: np.ndarray | None) -> pd.DataFrame:
    """Per-run counts from the partnership table (one row per relationship that reached a first
    meeting; columns stream 1 = WS1, 2 = WS2; company_kind 0 = MNC, 1 = local supplier; inbound;
    first_meeting_week, agreement_week, survivors_placed) and the first week with a high-level WS1
    action (series actions_high_ws1, [run x week]; never: the run's length, i.e. after the run).
    Returns a DataFrame indexed like ``runs`` (run_id) with the columns DERIVED_METRICS."""
    out = pd.DataFrame(index=runs.index)
    p = partnerships
    if len(p):
        ws1 = p[p["stream"] == 1]
        agreed = ws1[np.isfinite(ws1["agreement_week"])]
        ws2 = p[(p["stream"] == 2) & (p["survivors_placed"] > 0)]
        aw, fm = agreed["agreement_week"], ws1["first_meeting_week"]
        win = (fm >= TIER_DOWNGRADE_WEEK) & (fm < TIER_DOWNGRADE_WEEK + TIER_DOWNGRADE_WINDOW)
        groups = {
            "ws1_first_meetings": ws1, "ws1_first_meetings_downgrade_window": ws1[win],
            "ws1_agreements": agreed, "ws1_agreements_by_208": agreed[aw <= OPERATIONAL_BY_WEEK],
            "ws1_agreements_years_2_4": agreed[(aw >= 52) & (aw < 208)],
            "ws1_agreements_last_year": agreed[(aw >= PROJECT_END_WEEK - 52) & (aw < PROJECT_END_WEEK)],
            "ws1_met_mnc": ws1[ws1["company_kind"] == 0], "ws1_met_local": ws1[ws1["company_kind"] == 1],
            "ws1_agreements_mnc": agreed[agreed["company_kind"] == 0],
            "ws1_agreements_local": agreed[agreed["company_kind"] == 1],
            "ws1_agreements_inbound": agreed[agreed["inbound"] == 1], "ws2_placing": ws2}
        for name, g in groups.items():
            out[name] = g.groupby("run").size().reindex(out.index, fill_value=0).astype(float)
        out["ws2_placed"] = ws2.groupby("run")["survivors_placed"].sum().reindex(out.index, fill_value=0).astype(float)
    else:
        for name in DERIVED_METRICS:
            out[name] = 0.0
    if actions_high_ws1 is not None and actions_high_ws1.size:
        a = np.asarray(actions_high_ws1) > 0
        first = np.where(a.any(axis=1), a.argmax(axis=1), a.shape[1]).astype(float)
        out["first_high_week"] = first[: len(out)]
    else:
        out["first_high_week"] = np.nan
    cols = [c for c in ("actions_low_ws1", "actions_medium_ws1", "actions_high_ws1") if c in runs.columns]
    out["ws1_actions"] = runs[cols].sum(axis=1) if len(cols) == 3 else np.nan
    return out[list(DERIVED_METRICS)]


def experiment_points(doc: dict) -> list[dict]:
    """Design points of an experiment table (parsed TOML document) in ``pse-sim sweep`` order:
    grid = Cartesian product of the factors' values (first factor slowest), list = the points in
    order, single = one point without settings. Returns a list of {key: value} dicts."""
    ex = doc.get("experiment") or {}
    design = ex.get("design", "single")
    if design == "single":
        return [{}]
    if design == "list":
        return [dict(p.get("set", {})) for p in ex.get("point", [])]
    if design == "grid":
        factors = list(ex.get("lever", [])) + list(ex.get("uncertainty", []))
        keys = [f["key"] for f in factors]
        return [dict(zip(keys, combo)) for combo in itertools.product(*[f["values"] for f in factors])]
    raise ValidationError(f"validation experiments use single, list or grid designs, not '{design}'")


def _same_settings(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, bool) or isinstance(y, bool) or isinstance(x, str) or isinstance(y, str):
            if x != y:
                return False
        elif not np.isclose(float(x), float(y)):
            return False
    return True


def arm_design_point(arm: Arm, doc: dict) -> int:
    """Index of the arm's design point in its experiment (parsed TOML)."""
    pts = experiment_points(doc)
    for i, p in enumerate(pts):
        if _same_settings(p, arm.settings_dict):
            return i
    raise ValidationError(f"arm '{arm.name}': no design point of scenarios/validation/{arm.experiment}.toml "
                          f"has the settings {arm.settings_dict} (points: {pts})")


# ---------------------------------------------------------------------------------------------
# Running pse-sim
# ---------------------------------------------------------------------------------------------
def find_binary(explicit: str | os.PathLike | None = None) -> Path:
    """The pse-sim binary: ``explicit``, else env PSE_SIM, else build/release/sim/pse-sim under the
    repository root. Raises ValidationError if it is not an executable file."""
    cands = []
    if explicit:
        cands.append(Path(explicit))
    elif os.environ.get("PSE_SIM"):
        cands.append(Path(os.environ["PSE_SIM"]))
    else:
        cands.append(REPO / "build" / "release" / "sim" / "pse-sim")
    b = cands[0]
    if not (b.is_file() and os.access(b, os.X_OK)):
        raise ValidationError(f"pse-sim binary not found at {b} (set PSE_SIM to its path, or build it: "
                              "cmake --preset release && cmake --build build/release)")
    return b


def split_experiment(text: str) -> tuple[str, str]:
    """Split an experiment file's text into (scenario part, experiment part) at the first
    ``[experiment`` / ``[[experiment`` header line. The validation files keep the experiment
    tables last (checked by the tests)."""
    m = re.search(r"^\s*\[\[?\s*experiment\b", text, re.M)
    if not m:
        return text, ""
    return text[:m.start()], text[m.start():]


def rebase(text: str, base: Path) -> str:
    """Replace the file's ``extends = "..."`` with the absolute path of ``base``."""
    line = f'extends = "{base.resolve().as_posix()}"'
    new, n = re.subn(r'^\s*extends\s*=\s*"[^"]*"\s*$', line, text, count=1, flags=re.M)
    if n == 0:
        raise ValidationError("a validation experiment has no 'extends = \"...\"' line to rebase")
    return new


def run_sweep(binary: Path, experiment: Path, output: Path, sets: Sequence[str] = (), threads: int = 0,
              log=None) -> None:
    """``pse-sim sweep EXPERIMENT -o OUTPUT --overwrite --set ...``; raises ValidationError on failure."""
    cmd = [str(binary), "-q", "sweep", str(experiment), "-o", str(output), "--overwrite", "-t", str(int(threads))]
    for s in sets:
        cmd += ["--set", s]
    if log:
        log(" ".join(_quote(c) for c in cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise ValidationError(f"pse-sim sweep failed (exit {p.returncode}) for {experiment}:\n"
                              f"{(p.stderr or p.stdout).strip()}")


def _quote(s: str) -> str:
    return s if re.fullmatch(r"[\w@%+=:,./*\[\]-]+", s) else "'" + s.replace("'", "'\\''") + "'"


def arm_runs(res, dp: int, derived: pd.DataFrame | None = None) -> pd.DataFrame:
    """Finished runs of one design point, ordered by replication, with the ``derived`` per-run
    columns (derive_metrics, indexed by run_id) joined on."""
    ok = res.ok_runs
    df = ok[ok["design_point"] == dp]
    if derived is not None:
        df = df.join(derived, how="left")
    df = df.sort_values("replication").reset_index(drop=True)
    if "resolved" in res.design.columns and dp in res.design.index:
        df.attrs["resolved"] = str(res.design.at[dp, "resolved"])
    return df


def load_arms(path, stem: str, doc: dict) -> dict[str, pd.DataFrame]:
    """The runs of every arm of validation experiment ``stem`` (parsed TOML ``doc``) in results
    file ``path``, with the derived per-run metrics."""
    res = load(path)
    high = res.series("actions_high_ws1") if "actions_high_ws1" in res.series_names else None
    derived = derive_metrics(read_table(path, "partnerships"), res.runs, high)
    return {name: arm_runs(res, arm_design_point(arm, doc), derived)
            for name, arm in ARMS.items() if arm.experiment == stem}


def read_posterior(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Posterior draws (one row per draw; columns = scenario keys, plus 'draw' and 'distance',
    which are not parameters). Lines starting with '#' are comments."""
    path = Path(path) if path else POSTERIOR_FILE
    if not path.is_file():
        raise ValidationError(f"posterior draws file {path} is missing")
    df = pd.read_csv(path, comment="#")
    if df.empty:
        raise ValidationError(f"posterior draws file {path} has no rows")
    return df


def posterior_keys(post: pd.DataFrame) -> list[str]:
    return [c for c in post.columns if c not in ("draw", "distance")]


def select_draws(n_available: int, n: int) -> list[int]:
    """``n`` row indices spread evenly over ``n_available`` draws (all of them when n >= n_available)."""
    if n >= n_available:
        return list(range(n_available))
    return sorted({int(round(i * (n_available - 1) / max(1, n - 1))) for i in range(n)}) if n > 1 else [0]


def draw_sets(post: pd.DataFrame, row: int) -> list[str]:
    """``key=value`` overrides of posterior draw ``row``."""
    return [f"{k}={float(post.iloc[row][k])!r}" for k in posterior_keys(post)]


# ---------------------------------------------------------------------------------------------
# Evaluation and tables
# ---------------------------------------------------------------------------------------------
def _fmt_value(x: float, share: bool) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    if share:
        return f"{x:.3f}"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def evaluate(targets: Sequence[Target], arms: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Compute every target from the arms' runs. One row per target: id, target, source,
    statistic, value, lo, hi, n, tolerance, result ('pass', 'FAIL', 'input', 'info'), note,
    distance (tolerance units, see Band.distance)."""
    rows = []
    for t in targets:
        try:
            e = t.compute(arms)
        except (KeyError, ValueError, ZeroDivisionError, ValidationError) as exc:   # a missing arm or metric
            e = Estimate(np.nan, np.nan, np.nan, 0, f"not computed: {exc}")
        fmt = (lambda v, s=t.share: _fmt_value(v, s))
        tol_fmt = (lambda v, s=t.share: f"{v:.3g}" if s else f"{v:g}")
        note = e.note
        if t.band.kind == "positive":
            ok = bool(np.isfinite(e.lo) and e.lo > 0)
            result = "pass" if ok else "FAIL"
            dist = 0.0 if ok else np.inf
        elif t.band.kind in ("input", "info"):
            result, dist = t.band.kind, np.nan
        else:
            ok = t.band.contains(e.value)
            result = "pass" if ok else "FAIL"
            dist = t.band.distance(e.value)
            if ok and np.isfinite(e.lo) and np.isfinite(e.hi) and not (t.band.contains(e.lo) and t.band.contains(e.hi)):
                note = (note + "; " if note else "") + "marginal: 95% interval crosses a bound"
        if np.isfinite(e.value):
            interval = f" [{fmt(e.lo)}, {fmt(e.hi)}]" if np.isfinite(e.lo) and np.isfinite(e.hi) else ""
            shown = fmt(e.value) + interval
        else:
            shown = "n/a"
        rows.append(dict(id=t.id, role=SPLIT[t.id][0], target=t.target, source=t.source, statistic=t.statistic, value=e.value,
                         lo=e.lo, hi=e.hi, n=e.n, model=shown, tolerance=t.band.text(tol_fmt), result=result,
                         note=note, distance=dist))
    return pd.DataFrame(rows)


def passed(table: pd.DataFrame) -> bool:
    """True when no row failed."""
    return not (table["result"] == "FAIL").any()


def role_counts(table: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """role -> (targets passed, targets tested) over the rows with a pass/FAIL result."""
    out = {}
    for role in ("calibration", "validation"):
        rows = table[(table["role"] == role) & table["result"].isin(["pass", "FAIL"])]
        out[role] = (int((rows["result"] == "pass").sum()), len(rows))
    return out


def role_summary(table: pd.DataFrame) -> str:
    c = role_counts(table)
    return (f"calibration targets (fitted): {c['calibration'][0]} of {c['calibration'][1]} pass; "
            f"validation targets (out of sample, never fitted): {c['validation'][0]} of {c['validation'][1]} pass")


_SECTION_TITLES = {"calibration": "CALIBRATION TARGETS (used to fit the parameters: in-sample)",
                   "validation": "VALIDATION TARGETS (never used to fit: out of sample)",
                   "info": "FOR INFORMATION (no test)"}


def to_text(table: pd.DataFrame) -> str:
    """Fixed-width table for the terminal, in three sections (calibration, validation, info)."""
    cols = [("id", "id"), ("target", "target"), ("source", "source"), ("statistic", "statistic"),
            ("model", "model value [95% interval]"), ("tolerance", "tolerance"), ("result", "result")]
    if "draws_pass" in table.columns and (table["draws_pass"].astype(str) != "").any():
        cols.append(("draws_pass", "draws"))
    widths = {"target": 40, "source": 24, "statistic": 48}

    def cut(s, w):
        s = "" if (isinstance(s, float) and not np.isfinite(s)) else str(s)
        return s if len(s) <= w else s[:w - 1] + "…"
    data = [[cut(r.get(c, ""), widths.get(c, 200)) for c, _ in cols] for _, r in table.iterrows()]
    heads = [h for _, h in cols]
    w = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(heads))
    out = [line, "-" * len(line)]
    roles = table["role"].tolist() if "role" in table.columns else ["validation"] * len(table)
    counts = role_counts(table) if "role" in table.columns else {}
    for role in ROLES:
        idx = [i for i, r in enumerate(roles) if r == role]
        if not idx:
            continue
        head = _SECTION_TITLES[role]
        if role in counts:
            head += f": {counts[role][0]} of {counts[role][1]} pass"
        out += [head]
        out += ["  ".join(data[i][j].ljust(w[j]) for j in range(len(heads))).rstrip() for i in idx]
    notes = [f"  {r['id']}: {r['note']}" for _, r in table.iterrows() if r["note"]]
    if notes:
        out += ["", "notes:"] + notes
    return "\n".join(out)


def to_markdown(table: pd.DataFrame) -> str:
    """Markdown table with every column (pasted into docs/VALIDATION.md)."""
    cols = [("id", "id"), ("role", "role"), ("target", "target"), ("source", "source"), ("statistic", "statistic"),
            ("model", "model value [95% interval]"), ("n", "n"), ("tolerance", "tolerance"), ("result", "result"),
            ("draws_pass", "draws passing"), ("note", "note")]
    cols = [c for c in cols if c[0] in table.columns]
    out = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = []
        for c, _ in cols:
            v = r[c]
            s = str(v) if not (isinstance(v, float) and not np.isfinite(v)) else ""
            if c == "result" and s == "FAIL":
                s = "**FAIL**"
            cells.append(s.replace("|", "\\|"))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


_HTML_CSS = ("section.pse-validation table{border-collapse:collapse;font-size:0.9em}"
             "section.pse-validation th,section.pse-validation td{border:1px solid #ccc;padding:3px 6px;"
             "text-align:left;vertical-align:top}"
             "section.pse-validation td.pass{background:#e3f4e1}section.pse-validation td.FAIL{background:#f9d6d5;"
             "font-weight:bold}section.pse-validation td.info,section.pse-validation td.input{color:#666}")


def to_html(table: pd.DataFrame, meta: str = "") -> str:
    """HTML fragment (a <section>, with its own scoped style) the HTML report can include."""
    cols = [("id", "id"), ("role", "role"), ("target", "target"), ("source", "source"), ("statistic", "statistic"),
            ("model", "model value [95% interval]"), ("n", "n"), ("tolerance", "tolerance"), ("result", "result"),
            ("draws_pass", "draws passing"), ("note", "note")]
    cols = [c for c in cols if c[0] in table.columns]
    n_fail = int((table["result"] == "FAIL").sum())
    n_pass = int((table["result"] == "pass").sum())
    out = [f"<section class='pse-validation'><style>{_HTML_CSS}</style>",
           "<h2>Validation against the field evidence</h2>",
           f"<p>{n_pass} targets pass, {n_fail} fail. A target passes when the model's estimate lies in the "
           "tolerance band (staffing targets: when the 95% interval of the paired difference lies above 0). "
           "Definitions and the reasons for each tolerance: docs/VALIDATION.md.</p>"]
    if "role" in table.columns:
        out.append(f"<p>{html.escape(role_summary(table))}.</p>")
    if meta:
        out.append(f"<p class='note'>{html.escape(meta)}</p>")
    out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for _, h in cols) + "</tr></thead><tbody>")
    for _, r in table.iterrows():
        tds = []
        for c, _ in cols:
            v = r[c]
            s = "" if (isinstance(v, float) and not np.isfinite(v)) else str(v)
            cls = f" class='{html.escape(str(r['result']))}'" if c == "result" else ""
            tds.append(f"<td{cls}>{html.escape(s)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# validate-model
# ---------------------------------------------------------------------------------------------
@dataclass
class ValidationRun:
    table: pd.DataFrame
    out_dir: Path
    files: dict
    seconds: float
    command: str
    meta: str = ""


def run_validation(out_dir: str | os.PathLike | None = None, quick: bool = False, sets: Sequence[str] = (),
                   base: str | os.PathLike | None = None, replications: int | None = None, threads: int = 0,
                   binary: str | os.PathLike | None = None, keep_results: bool = False,
                   validation_dir: str | os.PathLike | None = None, log=None, command: str = "",
                   draws: int | None = None, posterior: str | os.PathLike | None = None) -> ValidationRun:
    """Run the validation experiments and evaluate every target (a posterior predictive check).

    Args:
        out_dir: folder for validation.csv/.md/.html (created); default ``results/validation``.
        quick: reduced size (``QUICK_REPLICATIONS`` replications per design point, ``QUICK_DRAWS``
            posterior draws) for CI.
        sets: ``key=value`` overrides passed to every sweep, after the draw's values (they win).
        base: scenario the validation experiments extend instead of scenarios/default.toml; with a
            base and no explicit ``draws``, no posterior draws are used (the base's values are validated).
        replications: replications per design point (overrides ``quick`` and the files).
        draws: posterior draws to integrate over (0 = the base parameter set alone; default all draws
            of ``posterior``, ``QUICK_DRAWS`` with ``quick``). Each draw runs every experiment with
            ceil(replications / draws) replications and its own master seed (experiment seed x 1000 +
            draw row); the arms pool the runs of all draws, so every statistic is one of the posterior
            predictive distribution (draws x replications).
        posterior: CSV of posterior draws (default ``POSTERIOR_FILE``).
        keep_results: keep the HDF5 files in ``out_dir/h5`` (default: a temporary folder, removed).
    """
    t0 = time.time()
    log = log or (lambda s: None)
    binary = find_binary(binary)
    vdir = Path(validation_dir) if validation_dir else VALIDATION_DIR
    out_dir = Path(out_dir) if out_dir else Path("results") / "validation"
    out_dir.mkdir(parents=True, exist_ok=True)
    if draws is None:
        draws = 0 if base is not None else (QUICK_DRAWS if quick else -1)
    post = read_posterior(posterior) if draws != 0 else None
    rows = select_draws(len(post), len(post) if draws < 0 else int(draws)) if post is not None else [None]
    needed = sorted({ARMS[a].experiment for t in TARGETS for a in t.arms})
    tmp = None
    if keep_results:
        work = out_dir / "h5"
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="pse-validation-")
        work = Path(tmp)
    try:
        pooled: dict[str, list[pd.DataFrame]] = {}
        per_draw: list[dict[str, pd.DataFrame]] = []
        files = {}
        per_point = set()
        for stem in needed:
            src = vdir / f"{stem}.toml"
            if not src.is_file():
                raise ValidationError(f"validation experiment {src} is missing")
            text = src.read_text()
            doc = tomllib.loads(text)
            exp = src
            if base is not None:
                exp = work / f"{stem}.toml"
                exp.write_text(rebase(text, Path(base)))
            ex = doc.get("experiment", {})
            total = int(replications or (QUICK_REPLICATIONS if quick else ex.get("replications", 1)))
            reps = max(1, -(-total // len(rows)))
            seed0 = int(ex.get("seed", 1))
            n_runs = 0
            for i, row in enumerate(rows):
                out = work / (f"{stem}.h5" if row is None else f"{stem}_draw{row:03d}.h5")
                run_sets = (draw_sets(post, row) if row is not None else []) + list(sets)
                if row is not None or replications or quick:
                    run_sets.append(f"experiment.replications={reps}")
                if row is not None:
                    run_sets.append(f"experiment.seed={seed0 * 1000 + row}")
                run_sweep(binary, exp, out, run_sets, threads, log if i == 0 else None)
                files.setdefault(stem, []).append(str(out))
                arms = load_arms(out, stem, doc)
                if len(per_draw) <= i:
                    per_draw.append({})
                for name, df in arms.items():
                    n_runs = max(n_runs, len(df))
                    per_draw[i][name] = df
                    d = df.copy()
                    d["draw"] = -1 if row is None else row
                    d["replication"] = d["replication"] + i * reps      # unique across draws; pairs stay within a draw
                    pooled.setdefault(name, []).append(d)
            per_point.add(reps * len(rows))
        arms_all = {}
        for name, parts in pooled.items():
            df = pd.concat(parts, ignore_index=True)
            df.attrs.update(parts[0].attrs)
            arms_all[name] = df
        table = evaluate(TARGETS, arms_all)
        if post is not None and len(rows) > 1:
            table["draws_pass"] = draws_passing(TARGETS, per_draw)
        else:
            table["draws_pass"] = ""
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    secs = time.time() - t0
    size = "quick" if (quick and not replications) else ("full" if not replications else "custom")
    if post is not None:
        integ = (f"posterior predictive over {len(rows)} of {len(post)} posterior draws "
                 f"({Path(posterior) if posterior else 'scenarios/validation/posterior.csv'}) x "
                 f"{'/'.join(str(n // len(rows)) for n in sorted(per_point))} replications")
    else:
        integ = "one parameter set (no posterior draws)"
    meta = (f"{size} size: {'/'.join(str(n) for n in sorted(per_point))} runs per design point; {integ}; "
            f"base {Path(base) if base else 'scenarios/default.toml'}"
            + (f"; overrides {' '.join(sets)}" if sets else "") + f"; {secs:.0f} s")
    table.to_csv(out_dir / "validation.csv", index=False)
    (out_dir / "validation.md").write_text(to_markdown(table) + "\n\n" + role_summary(table) + "\n\n" + meta + "\n")
    (out_dir / "validation.html").write_text(to_html(table, meta) + "\n")
    return ValidationRun(table, out_dir, files, secs, command, meta)


def draws_passing(targets: Sequence[Target], per_draw: Sequence[Mapping[str, pd.DataFrame]]) -> list[str]:
    """For each target, 'k/n': in how many of the n posterior draws (each with its own, few,
    replications) the target passes on that draw's runs alone ('' for info/input rows)."""
    results = [evaluate(targets, arms)["result"].to_numpy() for arms in per_draw]
    out = []
    for i, t in enumerate(targets):
        if t.band.kind in ("info", "input"):
            out.append("")
            continue
        r = [res[i] for res in results]
        out.append(f"{sum(x == 'pass' for x in r)}/{len(r)}")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``validate-model`` (shared with the lead's C++ wrapper, which passes ARGS through)."""
    p.add_argument("-o", "--output", default=None,
                   help="folder for validation.csv, validation.md, validation.html (default results/validation)")
    p.add_argument("--quick", action="store_true",
                   help=f"reduced size for CI: {QUICK_REPLICATIONS} replications per design point (under a minute)")
    p.add_argument("--replications", type=int, default=None, help="replications per design point (overrides --quick)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="parameter override passed to every sweep (repeatable)")
    p.add_argument("--base", default=None,
                   help="scenario the validation experiments extend (default scenarios/default.toml, the "
                        "calibrated built-in defaults); e.g. scenarios/uncalibrated.toml validates the "
                        "pre-calibration values")
    p.add_argument("--draws", type=int, default=None,
                   help=f"posterior draws to integrate over (0 = only the base parameter set; default: all draws "
                        f"of --posterior, {QUICK_DRAWS} with --quick, 0 with --base)")
    p.add_argument("--posterior", default=None,
                   help="CSV of posterior draws (default scenarios/validation/posterior.csv, the calibration's "
                        "accepted points)")
    p.add_argument("-t", "--threads", type=int, default=0, help="worker threads per sweep (0 = all cores)")
    p.add_argument("--keep-results", action="store_true", help="keep the HDF5 files in OUTPUT/h5")
    p.add_argument("--pse-sim", default=None, help="pse-sim binary (default: env PSE_SIM, else build/release/sim/pse-sim)")


def main_from_args(args) -> int:
    """Run ``validate-model``; 0 when every target passes, 1 when one fails (the failing rows are
    printed), 2 when the validation could not be run."""
    for s in args.sets:
        if "=" not in s:
            print(f"error: --set expects key=value, got '{s}'", file=sys.stderr)
            return 2
    command = "validate-model " + " ".join(_quote(a) for a in sys.argv[2:]) if len(sys.argv) > 1 else "validate-model"
    try:
        vr = run_validation(args.output, quick=args.quick, sets=args.sets, base=args.base,
                            replications=args.replications, threads=args.threads, binary=args.pse_sim,
                            keep_results=args.keep_results, command=command, draws=args.draws,
                            posterior=args.posterior,
                            log=lambda s: print(f"+ {s}", file=sys.stderr, flush=True))
    except ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(to_text(vr.table))
    fails = vr.table[vr.table["result"] == "FAIL"]
    print()
    print(vr.meta)
    print(role_summary(vr.table))
    print(f"written: {vr.out_dir / 'validation.csv'}, validation.md, validation.html ({vr.seconds:.0f} s)")
    if len(fails):
        print(f"VALIDATION FAILED: {len(fails)} target(s) missed: " +
              ", ".join(f"{r['id']} [{r['role']}] ({r['target']})" for _, r in fails.iterrows()))
        return 1
    print("validation passed: every target within tolerance")
    return 0

"""Validation of pse-sim against the field evidence (issue 7; docs/VALIDATION.md).

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
    calibrate: bool = True       # part of the calibration distance (False: held out / not a test)
    why: str = ""                # one-line justification of the tolerance (long form in docs)


def _col(arms, arm, metric) -> np.ndarray:
    df = arms[arm]
    if metric not in df.columns:
        raise ValidationError(f"arm '{arm}': the results have no summary metric '{metric}'")
    return df[metric].to_numpy(dtype=np.float64)


def _paired(arms, arm_a, arm_b, metric) -> Estimate:
    a, b = arms[arm_a], arms[arm_b]
    m = pd.merge(a[["replication", metric]], b[["replication", metric]], on="replication", suffixes=("_a", "_b"))
    return paired_estimate(m[f"{metric}_a"], m[f"{metric}_b"])


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
                  Band(kind="positive"), lambda a: _paired(a, hi, lo, metric), (lo, hi), calibrate=False, why=why)


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
           Band(kind="info"), _ratio_diminishing, ("fte0", "fte1", "fte2"), calibrate=False,
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
           Band(kind="info"), _conditional_continuing, ("survey",), share=True, calibrate=False,
           why="'one quarter of them' may mean of those who cooperated; shown for information"),
    Target("F4", "Survey: ~11% have dedicated PSE staff",
           "002 (EVIDENCE #26)",
           "ngo_population.dedicated_staff_prob (an input of the survey scenario)",
           Band(kind="input"), _input_value, ("survey",), share=True, calibrate=False,
           why="an input validates nothing"),
]


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
}


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


def arm_runs(res, dp: int) -> pd.DataFrame:
    """Finished runs of one design point, ordered by replication."""
    ok = res.ok_runs
    df = ok[ok["design_point"] == dp].sort_values("replication").reset_index(drop=True)
    if "resolved" in res.design.columns and dp in res.design.index:
        df.attrs["resolved"] = str(res.design.at[dp, "resolved"])
    return df


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
        rows.append(dict(id=t.id, target=t.target, source=t.source, statistic=t.statistic, value=e.value,
                         lo=e.lo, hi=e.hi, n=e.n, model=shown, tolerance=t.band.text(tol_fmt), result=result,
                         note=note, distance=dist))
    return pd.DataFrame(rows)


def passed(table: pd.DataFrame) -> bool:
    """True when no row failed."""
    return not (table["result"] == "FAIL").any()


def to_text(table: pd.DataFrame) -> str:
    """Fixed-width table for the terminal."""
    cols = [("id", "id"), ("target", "target"), ("source", "source"), ("statistic", "statistic"),
            ("model", "model value [95% interval]"), ("tolerance", "tolerance"), ("result", "result")]
    widths = {"target": 40, "source": 24, "statistic": 48}

    def cut(s, w):
        s = str(s)
        return s if len(s) <= w else s[:w - 1] + "…"
    data = [[cut(r[c], widths.get(c, 200)) for c, _ in cols] for _, r in table.iterrows()]
    heads = [h for _, h in cols]
    w = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(heads))
    out = [line, "-" * len(line)]
    out += ["  ".join(d[i].ljust(w[i]) for i in range(len(heads))) for d in data]
    notes = [f"  {r['id']}: {r['note']}" for _, r in table.iterrows() if r["note"]]
    if notes:
        out += ["", "notes:"] + notes
    return "\n".join(out)


def to_markdown(table: pd.DataFrame) -> str:
    """Markdown table with every column (pasted into docs/VALIDATION.md)."""
    cols = [("id", "id"), ("target", "target"), ("source", "source"), ("statistic", "statistic"),
            ("model", "model value [95% interval]"), ("n", "n"), ("tolerance", "tolerance"), ("result", "result"),
            ("note", "note")]
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
    cols = [("id", "id"), ("target", "target"), ("source", "source"), ("statistic", "statistic"),
            ("model", "model value [95% interval]"), ("n", "n"), ("tolerance", "tolerance"), ("result", "result"),
            ("note", "note")]
    n_fail = int((table["result"] == "FAIL").sum())
    n_pass = int((table["result"] == "pass").sum())
    out = [f"<section class='pse-validation'><style>{_HTML_CSS}</style>",
           "<h2>Validation against the field evidence</h2>",
           f"<p>{n_pass} targets pass, {n_fail} fail. A target passes when the model's estimate lies in the "
           "tolerance band (staffing targets: when the 95% interval of the paired difference lies above 0). "
           "Definitions and the reasons for each tolerance: docs/VALIDATION.md.</p>"]
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


def run_validation(out_dir: str | os.PathLike | None = None, quick: bool = False, sets: Sequence[str] = (),
                   base: str | os.PathLike | None = None, replications: int | None = None, threads: int = 0,
                   binary: str | os.PathLike | None = None, keep_results: bool = False,
                   validation_dir: str | os.PathLike | None = None, log=None, command: str = "") -> ValidationRun:
    """Run the validation experiments and evaluate every target.

    Args:
        out_dir: folder for validation.csv/.md/.html (created); default ``results/validation``.
        quick: reduced size (``QUICK_REPLICATIONS`` replications per design point) for CI.
        sets: ``key=value`` overrides passed to every sweep (e.g. a deliberately wrong parameter).
        base: scenario the validation experiments extend instead of scenarios/default.toml.
        replications: replications per design point (overrides ``quick`` and the files).
        keep_results: keep the HDF5 files in ``out_dir/h5`` (default: a temporary folder, removed).
    """
    t0 = time.time()
    log = log or (lambda s: None)
    binary = find_binary(binary)
    vdir = Path(validation_dir) if validation_dir else VALIDATION_DIR
    out_dir = Path(out_dir) if out_dir else Path("results") / "validation"
    out_dir.mkdir(parents=True, exist_ok=True)
    reps = replications if replications else (QUICK_REPLICATIONS if quick else None)
    needed = sorted({ARMS[a].experiment for t in TARGETS for a in t.arms})
    tmp = None
    if keep_results:
        work = out_dir / "h5"
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="pse-validation-")
        work = Path(tmp)
    try:
        arms: dict[str, pd.DataFrame] = {}
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
            out = work / f"{stem}.h5"
            run_sets = list(sets)
            if reps:
                run_sets.append(f"experiment.replications={int(reps)}")
            run_sweep(binary, exp, out, run_sets, threads, log)
            res = load(out)
            files[stem] = str(out)
            per_point.add(res.n_runs // max(1, res.n_design_points))
            for name, arm in ARMS.items():
                if arm.experiment == stem:
                    arms[name] = arm_runs(res, arm_design_point(arm, doc))
        table = evaluate(TARGETS, arms)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    secs = time.time() - t0
    size = "quick" if (quick and not replications) else ("full" if not reps else "custom")
    meta = (f"{size} size: {'/'.join(str(n) for n in sorted(per_point))} replications per design point; "
            f"base {Path(base) if base else 'scenarios/default.toml'}"
            + (f"; overrides {' '.join(sets)}" if sets else "") + f"; {secs:.0f} s")
    table.to_csv(out_dir / "validation.csv", index=False)
    (out_dir / "validation.md").write_text(to_markdown(table) + "\n\n" + meta + "\n")
    (out_dir / "validation.html").write_text(to_html(table, meta) + "\n")
    return ValidationRun(table, out_dir, files, secs, command)


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
                            keep_results=args.keep_results, command=command,
                            log=lambda s: print(f"+ {s}", file=sys.stderr, flush=True))
    except ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(to_text(vr.table))
    fails = vr.table[vr.table["result"] == "FAIL"]
    print()
    print(f"written: {vr.out_dir / 'validation.csv'}, validation.md, validation.html ({vr.seconds:.0f} s)")
    if len(fails):
        print(f"VALIDATION FAILED: {len(fails)} target(s) missed: " +
              ", ".join(f"{r['id']} ({r['target']})" for _, r in fails.iterrows()))
        return 1
    print("validation passed: every target within tolerance")
    return 0

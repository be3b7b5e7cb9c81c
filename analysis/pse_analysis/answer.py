"""The answer first: what each lever of an experiment changes, in plain language.

    steps = lever_steps(res)                 # one row per (lever, neighbouring pair of levels, metric)
    paras = answer_paragraphs(res, steps)    # "Two dedicated specialists instead of one: ..."

A *lever* is a design parameter with role ``lever`` (a choice the project or donor makes); for a
comparison of several files the files themselves are the arms, described by the parameters in
which they differ. Neighbouring levels of a lever (0 → 1 → 2 specialists; 3 → 5 → 7 → 10 years)
are compared with each other, averaged over every other design parameter, and paired by
replication when the design uses common random numbers (replication *r* has the same seed at
every design point).

Intervals (:func:`bootstrap_mean_ci`, :func:`bootstrap_difference`) are 95% percentile-bootstrap
intervals over replications: an interval for a count or share never leaves the values the runs
can take (no negative counts), and none is given from fewer than :data:`MIN_REPLICATIONS`
replications. A statement that rests on fewer than :data:`FEW_RUNS` runs in which the quantity is
non-zero says so.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .io import Results, value_text

#: No interval from fewer replications than this (the text says so instead).
MIN_REPLICATIONS = 5
#: A statement resting on fewer non-zero runs than this gets a warning.
FEW_RUNS = 5
#: Outcomes the answer paragraphs state, in this order, with their unit words.
ANSWER_METRICS = [
    ("agreements", "agreements signed", ""),
    ("partnerships_at_end", "partnerships active at the project end", ""),
    ("partnerships_end_plus_52", "partnerships still active one year after the end", ""),
    ("workers_reached", "workers reached", " workers"),
    ("vulnerability_reduction", "vulnerability reduction", " worker-equivalents"),
    ("median_weeks_to_agreement", "median weeks from first contact to agreement (per run, averaged over runs)",
     " weeks"),
]
WEEKS_PER_YEAR = 52.0
_NUMBER_WORDS = {0: "no", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
                 8: "eight", 9: "nine", 10: "ten"}

#: What a lever is about, by the last component of its key.
LEVER_TOPICS = {
    "dedicated_fte": "Staffing (dedicated PSE specialists)",
    "part_time_fte": "Part-time PSE staff",
    "trained": "PSE training",
    "end_week": "Project length",
    "handover": "Handover by design",
    "budget_cv": "Yearly budget uncertainty",
    "approach": "Approach",
    "framing": "Framing",
    "budget_transparency": "Budget transparency",
}


# ---------------------------------------------------------------------------------------------
# Words for design values
# ---------------------------------------------------------------------------------------------
def _short(key: str) -> str:
    return key.split(".")[-1]


def _num(x: float) -> str:
    return f"{x:g}"


def years_text(weeks: float) -> str:
    """A duration in weeks as years: 156 -> '3 years', 234 -> '4.5 years', 26 -> '26 weeks'."""
    if not np.isfinite(weeks):
        return "n/a"
    y = weeks / WEEKS_PER_YEAR
    if weeks < WEEKS_PER_YEAR:
        return f"{weeks:.0f} weeks"
    if abs(y - round(y)) < 1e-9:
        return f"{int(round(y))} year" + ("s" if round(y) != 1 else "")
    return f"{y:.1f} years"


def value_words(key: str, value, labels=None) -> str:
    """A design value in words: ('ngo[*].dedicated_fte', 2) -> 'two dedicated specialists',
    ('ngo[*].end_week', 156) -> 'a 3-year project', booleans and choices by their meaning; any
    other parameter as 'short_key = value'. ``labels`` maps the numeric code of a choice factor."""
    s = _short(key)
    text = value_text(float(value), labels) if not isinstance(value, str) else value
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = np.nan
    if s == "dedicated_fte" and np.isfinite(x):
        if x == 0:
            return "no dedicated specialist (PSE part-time only)"
        if float(x).is_integer() and int(x) in _NUMBER_WORDS:
            n = int(x)
            return f"{_NUMBER_WORDS[n]} dedicated specialist" + ("s" if n != 1 else "")
        return f"{_num(x)} full-time equivalents of dedicated specialists"
    if s == "end_week" and np.isfinite(x):
        y = x / WEEKS_PER_YEAR
        return (f"a {int(round(y))}-year project" if abs(y - round(y)) < 1e-9 else f"a {y:.1f}-year project")
    if s == "trained" and text in ("true", "false", "1", "0"):
        return "PSE-trained staff" if text in ("true", "1") else "staff without PSE training"
    if s == "handover" and text in ("true", "false", "1", "0"):
        return "handover designed in" if text in ("true", "1") else "no handover design"
    if s == "budget_transparency" and text in ("true", "false", "1", "0"):
        return "budget shared with companies" if text in ("true", "1") else "budget not shared"
    if s == "budget_cv" and np.isfinite(x):
        return f"yearly budget uncertainty {_num(x)} (coefficient of variation)"
    if s == "approach":
        return {"co_creation": "co-creation on shared interests", "scrutiny": "supply-chain scrutiny"}.get(
            text, f"approach '{text}'")
    if s == "framing":
        return {"safe_migration": "'safe migration' framing", "trafficking": "'trafficking' framing"}.get(
            text, f"framing '{text}'")
    if text in ("true", "false"):
        return f"{s.replace('_', ' ')} {'on' if text == 'true' else 'off'}"
    return f"{s} = {text}"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def point_description(res: Results, dp: int, keys=None) -> str:
    """A design point described in words by its design values (all design keys by default)."""
    keys = res.design_keys if keys is None else keys
    return ", ".join(value_words(k, res.design.at[dp, k], res.design_value_labels.get(k)) for k in keys)


# ---------------------------------------------------------------------------------------------
# Parameter differences between files
# ---------------------------------------------------------------------------------------------
def _flatten(doc: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, x in enumerate(v):
                out.update(_flatten(x, f"{prefix}{k}[{i}]."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def resolved_values(text: str) -> dict:
    """Every parameter of a resolved scenario text (``/inputs/resolved``) as {dotted key: value};
    {} when the text is not TOML."""
    try:
        return _flatten(tomllib.loads(text or ""))
    except tomllib.TOMLDecodeError:
        return {}


def parameter_diff(res: Results) -> pd.DataFrame:
    """Parameters whose resolved values differ between the files of a multi-file comparison
    (``run.name`` and ``run.seed`` left out): one row per key, one column per file label.
    Empty for a single file."""
    if len(res.paths) < 2:
        return pd.DataFrame()
    per_file = []
    for si in range(len(res.paths)):
        dps = res.design.index[res.design["source"] == si]
        per_file.append(resolved_values(res.design.at[dps[0], "resolved"]) if len(dps) else {})
    keys = sorted(set().union(*per_file))
    rows = []
    for k in keys:
        if k in ("run.name",):
            continue
        vals = [pf.get(k, "(default)") for pf in per_file]
        if len({repr(v) for v in vals}) > 1:
            rows.append([k] + [str(v).lower() if isinstance(v, bool) else str(v) for v in vals])
    cols = ["parameter"] + [res.label(int(res.design.index[res.design["source"] == si][0]))
                            for si in range(len(res.paths))]
    return pd.DataFrame(rows, columns=cols)


def diff_words(key: str, value: str) -> str:
    """One differing parameter of a file in words, as :func:`value_words` for known levers."""
    v: object = value
    if value in ("true", "false"):
        return value_words(key, 1.0 if value == "true" else 0.0, ["false", "true"])
    try:
        v = float(value)
    except ValueError:
        pass
    return value_words(key, v)


# ---------------------------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------------------------
@dataclass
class Estimate:
    """A mean with its 95% percentile-bootstrap interval (lo/hi NaN when n < MIN_REPLICATIONS)."""
    mean: float
    lo: float
    hi: float
    n: int
    nonzero: int


def _boot_rng(seed: int = 12345) -> np.random.Generator:
    return np.random.default_rng(seed)


def bootstrap_mean_ci(values, n_boot: int = 2000, conf: float = 0.95, seed: int = 12345) -> Estimate:
    """Mean of the finite values with a percentile-bootstrap interval over them.

    Takes values (one per replication); returns an :class:`Estimate`. The interval lies within
    [min, max] of the values, so a count's interval is never negative. No interval (NaN) from
    fewer than MIN_REPLICATIONS values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return Estimate(np.nan, np.nan, np.nan, 0, 0)
    m = float(v.mean())
    nz = int(np.count_nonzero(v))
    if n < MIN_REPLICATIONS or n_boot <= 0:
        return Estimate(m, np.nan, np.nan, n, nz)
    idx = _boot_rng(seed).integers(0, n, size=(n_boot, n))
    means = v[idx].mean(axis=1)
    a = (1 - conf) / 2
    lo, hi = np.quantile(means, [a, 1 - a])
    return Estimate(m, float(lo), float(hi), n, nz)


def bootstrap_difference(a, b, paired: bool, n_boot: int = 2000, conf: float = 0.95,
                         seed: int = 12345) -> Estimate:
    """Mean of b minus mean of a with a percentile-bootstrap interval.

    paired: a[i] and b[i] come from the same replication (common random numbers): the
    per-replication differences are resampled (pairs with a NaN are dropped). Otherwise the two
    groups are resampled independently. ``n`` is the number of pairs (paired) or the smaller
    group; ``nonzero`` the number of runs, in either arm, where the value is not 0. No interval
    from fewer than MIN_REPLICATIONS pairs / runs per group."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    rng = _boot_rng(seed)
    al = (1 - conf) / 2
    if paired:
        ok = np.isfinite(a) & np.isfinite(b)
        d = b[ok] - a[ok]
        n = int(d.size)
        nz = int(np.count_nonzero(a[ok]) + np.count_nonzero(b[ok]))
        if n == 0:
            return Estimate(np.nan, np.nan, np.nan, 0, 0)
        m = float(d.mean())
        if n < MIN_REPLICATIONS or n_boot <= 0:
            return Estimate(m, np.nan, np.nan, n, nz)
        means = d[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    else:
        a = a[np.isfinite(a)]
        b = b[np.isfinite(b)]
        n = int(min(a.size, b.size))
        nz = int(np.count_nonzero(a) + np.count_nonzero(b))
        if n == 0:
            return Estimate(np.nan, np.nan, np.nan, 0, 0)
        m = float(b.mean() - a.mean())
        if n < MIN_REPLICATIONS or n_boot <= 0:
            return Estimate(m, np.nan, np.nan, n, nz)
        means = (b[rng.integers(0, b.size, size=(n_boot, b.size))].mean(axis=1)
                 - a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1))
    lo, hi = np.quantile(means, [al, 1 - al])
    return Estimate(m, float(lo), float(hi), n, nz)


# ---------------------------------------------------------------------------------------------
# Lever steps
# ---------------------------------------------------------------------------------------------
def is_sampling(res: Results) -> bool:
    """Sampling designs (LHS, Monte Carlo, Sobol, Morris) have no arms to compare."""
    return res.design_method in ("lhs", "mc", "montecarlo", "sobol", "morris")


def levers(res: Results) -> list[str]:
    """The design keys the answer is about: those with role 'lever'; in a design without levers
    (only uncertainties) every key of a grid or list design; [] for sampling designs."""
    if is_sampling(res):
        return []
    lev = [k for k in res.design_keys if res.design_roles.get(k) == "lever"]
    return lev or list(res.design_keys)


def _per_replication(res: Results, metric: str, dps) -> pd.Series:
    """Mean of the metric over the given design points, per replication (finished runs only)."""
    r = res.ok_runs
    r = r[r["design_point"].isin(list(dps))]
    return r.groupby("replication")[metric].mean()


def _crn(res: Results) -> bool:
    from . import stats
    return stats.uses_crn(res)


def lever_steps(res: Results, metrics=None, n_boot: int = 2000, conf: float = 0.95) -> pd.DataFrame:
    """Effect of moving each lever between neighbouring levels, averaged over the other design
    parameters; for several files, of moving from each file to the next.

    Returns one row per (lever, step, metric) with columns lever, level_from, level_to (numeric
    codes; file index for files), words_from, words_to, metric, mean_from, lo_from, hi_from, mean_to,
    lo_to, hi_to, diff, lo, hi, n, nonzero, paired. Intervals as in :func:`bootstrap_difference`.
    """
    metrics = [m for m, _, _ in ANSWER_METRICS if m in res.summary_names] if metrics is None else metrics
    paired = _crn(res)
    rows = []
    arms: list[tuple[str, list[tuple[float, str, list[int]]]]] = []
    if res.design_method == "files" and len(res.paths) > 1:
        diff = parameter_diff(res)
        items = []
        for si in range(len(res.paths)):
            dps = list(res.design.index[res.design["source"] == si])
            col = diff.columns[si + 1] if len(diff) else None
            words = "; ".join(diff_words(k, v) for k, v in zip(diff["parameter"], diff[col])) if col else ""
            items.append((float(si), words or res.label(dps[0]), dps))
        arms.append(("files", items))
    else:
        for key in levers(res):
            vals = res.design[key].to_numpy(dtype=float)
            levels = sorted({v for v in vals if np.isfinite(v)})
            items = []
            for v in levels:
                dps = list(res.design.index[vals == v])
                items.append((v, value_words(key, v, res.design_value_labels.get(key)), dps))
            if len(items) > 1:
                arms.append((key, items))
    for key, items in arms:
        for (v0, w0, d0), (v1, w1, d1) in zip(items[:-1], items[1:]):
            for m in metrics:
                a = _per_replication(res, m, d0)
                b = _per_replication(res, m, d1)
                if paired:
                    both = a.index.intersection(b.index)
                    est = bootstrap_difference(a.loc[both], b.loc[both], True, n_boot, conf)
                else:
                    est = bootstrap_difference(a, b, False, n_boot, conf)
                e0 = bootstrap_mean_ci(a, n_boot, conf)
                e1 = bootstrap_mean_ci(b, n_boot, conf)
                rows.append(dict(lever=key, level_from=v0, level_to=v1, words_from=w0, words_to=w1, metric=m,
                                 mean_from=e0.mean, lo_from=e0.lo, hi_from=e0.hi, mean_to=e1.mean, lo_to=e1.lo,
                                 hi_to=e1.hi, diff=est.mean, lo=est.lo, hi=est.hi, n=est.n, nonzero=est.nonzero,
                                 paired=paired, other_points=len(d0)))
    return pd.DataFrame(rows, columns=["lever", "level_from", "level_to", "words_from", "words_to", "metric",
                                       "mean_from", "lo_from", "hi_from", "mean_to", "lo_to", "hi_to", "diff",
                                       "lo", "hi", "n", "nonzero", "paired", "other_points"])


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------
def _dec(x: float) -> int:
    a = abs(x)
    return 0 if a >= 100 else 1 if a >= 1 else 2


def num(x: float, d: int | None = None) -> str:
    """A number for text: thousands separators, a true minus sign, 'n/a' for NaN."""
    if x is None or not np.isfinite(x):
        return "n/a"
    d = _dec(x) if d is None else d
    return f"{x:,.{d}f}".replace("-", "\u2212")


def interval_text(mean: float, lo: float, hi: float, n: int, unit: str = "", signed: bool = False) -> str:
    """'+3.1 agreements (95% interval 2.2 to 4.0)'; without an interval when n < MIN_REPLICATIONS."""
    top = max([abs(v) for v in (mean, lo, hi) if v is not None and np.isfinite(v)] or [0])
    d = _dec(top)
    m = num(mean, d)
    if signed and np.isfinite(mean) and mean > 0:
        m = "+" + m
    if n < MIN_REPLICATIONS:
        return f"{m}{unit} (no interval: only {n} replication{'s' if n != 1 else ''}; at least {MIN_REPLICATIONS} needed)"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{m}{unit} (interval n/a)"
    return f"{m}{unit} (95% interval {num(lo, d)} to {num(hi, d)})"


def _lever_topic(key: str) -> str:
    if key == "files":
        return "The compared files"
    return LEVER_TOPICS.get(_short(key), _short(key).replace("_", " ").capitalize()) + f" ({key})"


def answer_paragraphs(res: Results, steps: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """Plain-language answer per lever: a list of (heading, [sentences]) — one sentence per step
    between neighbouring levels, each with the change of every answer metric, its interval and
    the levels before and after; a closing sentence on pairing and what the numbers average over,
    and warnings for statements that rest on few runs."""
    out = []
    words = {m: (w, u) for m, w, u in ANSWER_METRICS}
    for key, g in steps.groupby("lever", sort=False):
        sentences = []
        few = []
        for (w0, w1), s in g.groupby(["words_from", "words_to"], sort=False):
            bits = []
            for _, r in s.iterrows():
                w, u = words.get(r["metric"], (r["metric"], ""))
                txt = (f"{w} {interval_text(r['diff'], r['lo'], r['hi'], int(r['n']), u, signed=True)}, "
                       f"from {num(r['mean_from'])} to {num(r['mean_to'])}")
                if r["n"] >= MIN_REPLICATIONS and np.isfinite(r["lo"]) and r["lo"] <= 0 <= r["hi"]:
                    txt += " — not distinguishable from no change"
                if r["nonzero"] < FEW_RUNS and r["metric"] != "median_weeks_to_agreement":
                    few.append(f"{w} ({w1} vs {w0}): only {int(r['nonzero'])} run(s) with any")
                bits.append(txt)
            sentences.append(f"{_cap(w1)} instead of {w0}: " + "; ".join(bits) + ".")
        r0 = g.iloc[0]
        n = int(g["n"].max())
        how = (f"paired by replication ({n} replications with the same seeds in both arms)" if r0["paired"]
               else f"unpaired ({n} replications per arm or more; the arms do not share seeds)")
        avg = ""
        if key != "files" and int(g["other_points"].max()) > 1:
            others = [k for k in res.design_keys if k != key]
            avg = (" Each arm averages over " + ", ".join(_short(k).replace("_", " ") for k in others)
                   + " (every combination in the design).")
        sentences.append(f"Differences are means over replications, {how}; 95% percentile-bootstrap "
                         f"intervals.{avg}")
        if few:
            sentences.append("Caution — these rest on a handful of runs: " + "; ".join(few) + ".")
        out.append((_lever_topic(key), sentences))
    return out


def level_paragraph(res: Results, dp: int, n_boot: int = 2000) -> str:
    """Headline numbers of one design point with bootstrap intervals (no interval from fewer
    than MIN_REPLICATIONS replications). The time to agreement is the stored per-run
    `median_weeks_to_agreement`, averaged over runs — the number `pse-sim run` prints."""
    r = res.ok_runs
    r = r[r["design_point"] == dp]
    bits = []
    for m, w, u in ANSWER_METRICS:
        if m not in res.summary_names:
            continue
        e = bootstrap_mean_ci(r[m], n_boot)
        if e.n == 0:
            continue
        bits.append(f"{w}: {interval_text(e.mean, e.lo, e.hi, e.n, u)}")
    end = res.design.at[dp, "end_week"]
    length = f"{value_words('end_week', end)}, " if end is not None and np.isfinite(end) else ""
    return (f"{_cap(res.label(dp))} ({length}{len(r)} replications of {years_text(res.weeks)}; means over "
            "replications): " + "; ".join(bits) + ".")


__all__ = ["ANSWER_METRICS", "MIN_REPLICATIONS", "FEW_RUNS", "Estimate", "bootstrap_mean_ci",
           "bootstrap_difference", "lever_steps", "answer_paragraphs", "level_paragraph", "value_words",
           "years_text", "parameter_diff", "resolved_values", "point_description", "levers", "interval_text"]


# ---------------------------------------------------------------------------------------------
# Answers across plausible worlds (posterior-integrated experiments)
# ---------------------------------------------------------------------------------------------
def posterior_draws(res: Results) -> int:
    """K of a posterior-integrated experiment ([experiment] posterior): design point p * K + k is
    lever point p in posterior draw ("world") k. 0 when the experiment was not integrated."""
    try:
        return int(res.attrs.get("posterior_draws", 0) or 0)
    except (TypeError, ValueError):
        return 0


def sign_share(values, conf: float = 0.90) -> dict:
    """Summary of a contrast across plausible worlds: ``median``, the central ``conf`` interval
    (``lo``, ``hi``: quantiles (1 - conf) / 2 and (1 + conf) / 2), ``share_positive`` and
    ``share_negative`` (fractions of worlds with a contrast > 0 and < 0), ``same_sign``: the share
    of worlds whose contrast has the sign of the median (1.0 when the median is 0 and every world
    is 0; the larger of the two shares when the median is exactly 0 otherwise), and ``n`` worlds.
    NaN values (a world without finished runs) are left out. Returns NaNs for no values."""
    v = np.asarray([x for x in np.asarray(values, dtype=float) if np.isfinite(x)])
    if v.size == 0:
        nan = float("nan")
        return dict(median=nan, lo=nan, hi=nan, share_positive=nan, share_negative=nan, same_sign=nan, n=0)
    med = float(np.median(v))
    pos, neg = float(np.mean(v > 0)), float(np.mean(v < 0))
    same = pos if med > 0 else neg if med < 0 else (1.0 if pos == neg == 0 else max(pos, neg))
    return dict(median=med, lo=float(np.quantile(v, (1 - conf) / 2)), hi=float(np.quantile(v, (1 + conf) / 2)),
                share_positive=pos, share_negative=neg, same_sign=same, n=int(v.size))


def world_contrasts(res: Results, metrics=None, conf: float = 0.90) -> pd.DataFrame:
    """Each lever step of a posterior-integrated experiment as a distribution over plausible
    worlds. In world k the contrast is the mean over replications of (metric at the higher level
    minus the lower level), paired by replication (common random numbers); averaged over the
    other lever settings of world k. Returns one row per (lever, step, metric): lever,
    level_from, level_to, words_from, words_to, metric, the :func:`sign_share` columns
    (median, lo, hi over worlds at ``conf``), pooled (the mean contrast over all worlds),
    drivers (up to three posterior parameters whose world values are most rank-correlated with
    the contrast, as "key (rho)"; only |rho| > 2 / sqrt(worlds), beyond what chance gives), and
    worlds. Empty when the experiment was not integrated."""
    K = posterior_draws(res)
    cols = ["lever", "level_from", "level_to", "words_from", "words_to", "metric", "median", "lo", "hi",
            "share_positive", "share_negative", "same_sign", "n", "pooled", "drivers", "worlds"]
    if K <= 0 or res.n_design_points % K != 0:
        return pd.DataFrame(columns=cols)
    metrics = [m for m, _, _ in ANSWER_METRICS if m in res.summary_names] if metrics is None else metrics
    post_keys = [k for k in res.design_keys if res.design_roles.get(k) == "uncertainty"]
    lever_keys = [k for k in res.design_keys if res.design_roles.get(k) == "lever"]
    runs = res.ok_runs
    world = (runs["design_point"] % K).to_numpy()
    rows = []
    for key in lever_keys:
        vals = res.design[key].to_numpy(dtype=float)
        levels = sorted({v for v in vals if np.isfinite(v)})
        labels = res.design_value_labels.get(key)
        for v0, v1 in zip(levels[:-1], levels[1:]):
            d0 = set(res.design.index[vals == v0])
            d1 = set(res.design.index[vals == v1])
            for m in metrics:
                per_world = np.full(K, np.nan)
                for k in range(K):
                    sel = world == k
                    r = runs[sel]
                    a = r[r["design_point"].isin(d0)].groupby("replication")[m].mean()
                    b = r[r["design_point"].isin(d1)].groupby("replication")[m].mean()
                    both = a.index.intersection(b.index)
                    if len(both):
                        per_world[k] = float((b.loc[both] - a.loc[both]).mean())
                s = sign_share(per_world, conf)
                drivers = []
                if post_keys and np.isfinite(per_world).sum() >= 5:
                    first = res.design.iloc[:K]  # world k's parameter values (the same at every lever point)
                    ok = np.isfinite(per_world)
                    for pk in post_keys:
                        x = first[pk].to_numpy(dtype=float)[ok]
                        if np.ptp(x) > 0:
                            rho = pd.Series(x).corr(pd.Series(per_world[ok]), method="spearman")
                            if np.isfinite(rho):
                                drivers.append((abs(rho), pk, rho))
                drivers = [x for x in drivers if x[0] > 2 / np.sqrt(np.isfinite(per_world).sum())]  # beyond chance
                drivers.sort(reverse=True)
                rows.append(dict(lever=key, level_from=v0, level_to=v1, words_from=value_words(key, v0, labels),
                                 words_to=value_words(key, v1, labels), metric=m, **s,
                                 pooled=float(np.nanmean(per_world)) if np.isfinite(per_world).any() else np.nan,
                                 drivers="; ".join(f"{k} ({r:+.2f})" for _, k, r in drivers[:3]),
                                 worlds=per_world.tolist()))
    return pd.DataFrame(rows, columns=cols)


def world_sentence(row, label: str, unit: str = "") -> str:
    """Plain words for one row of :func:`world_contrasts`, e.g. "Going from one dedicated PSE
    specialist to two raises agreements signed in 97% of 51 plausible worlds (median +4.5; in 90%
    of worlds between +2.1 and +6.0)."."""
    if not np.isfinite(row["median"]):
        return f"Going from {row['words_from']} to {row['words_to']}: no finished runs to compare {label}."
    verb = "raises" if row["median"] > 0 else "lowers" if row["median"] < 0 else "leaves unchanged"

    def sg(x: float) -> str:
        return ("+" if x > 0 else "") + num(x)
    return (f"Going from {row['words_from']} to {row['words_to']} {verb} {label} in {100 * row['same_sign']:.0f}% "
            f"of {row['n']} plausible worlds (median {sg(row['median'])}{unit}; in 90% of worlds between "
            f"{sg(row['lo'])} and {sg(row['hi'])}).")

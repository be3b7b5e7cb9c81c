"""Statistics over replications and designs: intervals, differences, correlation, sensitivity.

Conventions (README "Statistics"):
- Only finished runs (``/runs/status`` = 1) count; NaN summary values ("undefined", e.g. no
  agreement so no time to agreement) are left out, and the number used is reported as ``n``.
- Means get two-sided t intervals over replications: mean ± t(1-α/2, n-1)·s/√n.
- Differences between design points are paired by replication (mean and t interval of the
  per-replication differences) when the design uses common random numbers, i.e. replication r
  has the same seed at every design point (checked from ``/runs/seed``); otherwise Welch's
  unequal-variance t interval with Welch–Satterthwaite degrees of freedom.
- Spearman rank correlation with scipy's two-sided p-value.
- Sobol indices from a Saltelli design (first-order: Saltelli et al. 2010, eq. (b) of Table 2;
  total: Jansen 1999), percentile bootstrap intervals over base samples.
- Morris elementary effects in unit-hypercube scale: μ, μ* (mean |EE|), σ (sd of EE), with a
  bootstrap interval of μ* over trajectories.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from .errors import DesignError, MissingDataError
from .io import Results, value_text


# ---------------------------------------------------------------------------------------------
# Means and intervals
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeanCI:
    """Mean of a sample with its two-sided t confidence interval."""
    mean: float
    lo: float
    hi: float
    n: int
    sd: float
    se: float


def _finite(x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).ravel()
    return a[np.isfinite(a)]


def mean_ci(values, conf: float = 0.95) -> MeanCI:
    """Mean and t interval of the finite values (NaN dropped). n < 2 gives a NaN interval."""
    a = _finite(values)
    n = a.size
    if n == 0:
        return MeanCI(np.nan, np.nan, np.nan, 0, np.nan, np.nan)
    m = float(a.mean())
    if n < 2:
        return MeanCI(m, np.nan, np.nan, 1, np.nan, np.nan)
    sd = float(a.std(ddof=1))
    se = sd / np.sqrt(n)
    h = float(_st.t.ppf(0.5 + conf / 2, n - 1)) * se
    return MeanCI(m, m - h, m + h, n, sd, se)


def _t_half(conf: float, n, sd):
    """Vectorized t half-width: t(1-α/2, n-1)·sd/√n (NaN where n < 2)."""
    n = np.asarray(n, dtype=float)
    sd = np.asarray(sd, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n >= 2, _st.t.ppf(0.5 + conf / 2, np.maximum(n - 1, 1)), np.nan)
        return t * sd / np.sqrt(n)


def summarize(res: Results, metrics: list[str] | None = None, conf: float = 0.95) -> pd.DataFrame:
    """Per design point and summary metric: n, mean, sd, t interval, median and quartiles.

    Returns a long DataFrame with columns design_point, label, metric, kind, unit, n, n_nan,
    mean, sd, lo, hi, median, q25, q75 (same numbers as :func:`mean_ci` per group).
    """
    metrics = list(res.summary_names if metrics is None else metrics)
    ok = res.ok_runs
    cols = ["design_point", "label", "metric", "kind", "unit", "n", "n_nan", "mean", "sd", "lo", "hi", "median",
            "q25", "q75"]
    frames = []
    dp = ok["design_point"].to_numpy()
    for m in (metrics if len(ok) else []):
        v = ok[m].to_numpy(dtype=np.float64)
        v = np.where(np.isfinite(v), v, np.nan)
        g = pd.DataFrame({"dp": dp, "v": v}).groupby("dp", sort=True)["v"]
        n = g.count()
        total = g.size()
        mean = g.mean()
        sd = g.std(ddof=1)
        q = g.quantile([0.25, 0.5, 0.75]).unstack()
        half = _t_half(conf, n.to_numpy(), sd.to_numpy())
        idx = n.index.to_numpy()
        info = res.metric_info(m)
        frames.append(pd.DataFrame({
            "design_point": idx.astype(np.int64), "label": res.design["label"].reindex(idx).to_numpy(),
            "metric": m, "kind": info["kind"], "unit": info["unit"], "n": n.to_numpy().astype(np.int64),
            "n_nan": (total - n).to_numpy().astype(np.int64), "mean": mean.to_numpy(),
            "sd": np.where(n.to_numpy() >= 2, sd.to_numpy(), np.nan),
            "lo": mean.to_numpy() - half, "hi": mean.to_numpy() + half,
            "median": q[0.5].to_numpy(), "q25": q[0.25].to_numpy(), "q75": q[0.75].to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["design_point"], kind="stable").reset_index(drop=True)[cols]


# ---------------------------------------------------------------------------------------------
# Differences between design points
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    """Difference a − b with its confidence interval."""
    diff: float
    lo: float
    hi: float
    n: int          # pairs (paired) or n_a + n_b (Welch)
    df: float
    p_value: float
    method: str     # 'paired t' or 'Welch t'


def paired_difference(a, b, conf: float = 0.95) -> Difference:
    """Mean of the pairwise differences a_i − b_i with a t interval; pairs with a NaN are dropped."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length ({a.size} vs {b.size})")
    d = a - b
    d = d[np.isfinite(d)]
    ci = mean_ci(d, conf)
    if ci.n < 2:
        return Difference(ci.mean, np.nan, np.nan, ci.n, np.nan, np.nan, "paired t")
    if ci.se == 0:
        p = 1.0 if ci.mean == 0 else 0.0
    else:
        p = float(2 * _st.t.sf(abs(ci.mean / ci.se), ci.n - 1))
    return Difference(ci.mean, ci.lo, ci.hi, ci.n, float(ci.n - 1), p, "paired t")


def welch_difference(a, b, conf: float = 0.95) -> Difference:
    """mean(a) − mean(b) with Welch's t interval (unequal variances), NaN dropped."""
    a, b = _finite(a), _finite(b)
    na, nb = a.size, b.size
    if na == 0 or nb == 0:
        return Difference(np.nan, np.nan, np.nan, na + nb, np.nan, np.nan, "Welch t")
    d = float(a.mean() - b.mean())
    if na < 2 or nb < 2:
        return Difference(d, np.nan, np.nan, na + nb, np.nan, np.nan, "Welch t")
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = np.sqrt(va + vb)
    if se == 0:
        return Difference(d, d, d, na + nb, float(na + nb - 2), 1.0 if d == 0 else 0.0, "Welch t")
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    h = float(_st.t.ppf(0.5 + conf / 2, df)) * se
    p = float(2 * _st.t.sf(abs(d / se), df))
    return Difference(d, d - h, d + h, na + nb, float(df), p, "Welch t")


def uses_crn(res: Results) -> bool:
    """True when design points share common random numbers: every design point has the same set
    of replications and replication r has the same seed at every design point."""
    if res.n_design_points < 2:
        return False
    r = res.runs[["design_point", "replication", "seed"]]
    table = r.pivot_table(index="replication", columns="design_point", values="seed", aggfunc="first")
    if table.isna().any().any() or table.shape[1] != res.n_design_points:
        return False
    vals = table.to_numpy()
    return bool(np.all(vals == vals[:, :1]))


def compare(res: Results, metrics: list[str] | None = None, baseline: int = 0, paired: bool | None = None,
            conf: float = 0.95) -> pd.DataFrame:
    """Each design point minus the baseline design point, per summary metric.

    Paired: mean and t interval of the per-replication differences (replications where both values
    are finite), as :func:`paired_difference`. Welch: as :func:`welch_difference`.

    Args:
        paired: True = paired by replication, False = Welch; None = paired iff :func:`uses_crn`.
    Returns DataFrame: design_point, label, baseline, metric, kind, unit, mean, mean_baseline,
    diff, lo, hi, rel_diff (diff / |mean_baseline|), n, method, p_value.
    """
    cols = ["design_point", "label", "baseline", "metric", "kind", "unit", "mean", "mean_baseline", "diff", "lo",
            "hi", "rel_diff", "n", "method", "p_value"]
    metrics = list(res.summary_names if metrics is None else metrics)
    if baseline not in res.design.index:
        raise MissingDataError(f"baseline design point {baseline} does not exist "
                               f"(design points 0..{res.n_design_points - 1})")
    if paired is None:
        paired = uses_crn(res)
    ok = res.ok_runs
    q = 0.5 + conf / 2
    frames = []
    for m in metrics:
        v = ok[m].to_numpy(dtype=np.float64)
        tab = (pd.DataFrame({"rep": ok["replication"].to_numpy(), "dp": ok["design_point"].to_numpy(),
                             "v": np.where(np.isfinite(v), v, np.nan)})
               .groupby(["rep", "dp"])["v"].first().unstack("dp"))
        if baseline not in tab.columns:
            continue
        others = [c for c in tab.columns if c != baseline]
        if not others:
            continue
        x = tab[others].to_numpy()
        b = tab[baseline].to_numpy()[:, None]
        with np.errstate(invalid="ignore", divide="ignore"), _warnings_off():
            mean_a = np.nanmean(x, axis=0)
            mean_b = float(np.nanmean(b)) if np.isfinite(b).any() else np.nan
            if paired:
                d = x - b
                n = np.sum(np.isfinite(d), axis=0).astype(float)
                diff = np.nanmean(d, axis=0)
                sd = np.nanstd(d, axis=0, ddof=1)
                se = sd / np.sqrt(n)
                df = n - 1
                ok2 = n >= 2
                method = "paired t"
            else:
                na = np.sum(np.isfinite(x), axis=0).astype(float)
                nb = float(np.sum(np.isfinite(b)))
                va = np.nanvar(x, axis=0, ddof=1) / na
                vb = float(np.nanvar(b, ddof=1)) / nb if nb >= 2 else np.nan
                diff = mean_a - mean_b
                se = np.sqrt(va + vb)
                df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
                df = np.where(se == 0, na + nb - 2, df)
                n = na + nb
                ok2 = (na >= 2) & (nb >= 2)
                method = "Welch t"
            half = np.where(ok2, _st.t.ppf(q, np.where(ok2, df, 1)) * se, np.nan)
            tstat = np.where(se > 0, np.abs(diff) / se, np.where(diff == 0, 0.0, np.inf))
            p = np.where(ok2, 2 * _st.t.sf(tstat, np.where(ok2, df, 1)), np.nan)
        info = res.metric_info(m)
        frames.append(pd.DataFrame({
            "design_point": np.asarray(others, dtype=np.int64), "label": res.design["label"].reindex(others).to_numpy(),
            "baseline": res.label(baseline), "metric": m, "kind": info["kind"], "unit": info["unit"],
            "mean": mean_a, "mean_baseline": mean_b, "diff": diff, "lo": diff - half, "hi": diff + half,
            "rel_diff": diff / abs(mean_b) if (np.isfinite(mean_b) and mean_b != 0) else np.nan,
            "n": n.astype(np.int64), "method": method, "p_value": p}))
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("design_point", kind="stable").reset_index(drop=True)[cols]


class _warnings_off:
    """Silence numpy's 'mean of empty slice' / 'degrees of freedom' warnings for all-NaN groups."""

    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def full_factorial_levels(res: Results) -> dict | None:
    """key -> sorted distinct levels when the design points form a full-factorial grid over the
    varied parameters (every combination exactly once), else None."""
    keys = res.design_keys
    if not keys or len(res.paths) > 1:
        return None
    x = res.design[keys].to_numpy(dtype=float)
    levels = {k: np.unique(x[:, i][np.isfinite(x[:, i])]) for i, k in enumerate(keys)}
    if any(len(v) < 2 for v in levels.values()):
        return None
    n_comb = int(np.prod([len(v) for v in levels.values()]))
    if n_comb != len(x) or len({tuple(r) for r in x}) != len(x):
        return None
    return levels


def main_effects(res: Results, metrics: list[str] | None = None, conf: float = 0.95,
                 paired: bool | None = None) -> pd.DataFrame:
    """Main effects in a full-factorial grid: for each varied parameter, the change of each metric
    when the parameter moves from its first level to another, averaged over every combination of
    the other parameters.

    Paired (common random numbers): per replication r, effect_r = mean over design points with the
    new level − mean over design points with the first level (NaN values left out), then a t
    interval over replications. Without CRN: Welch interval between the two groups of runs.

    Returns DataFrame: parameter, role, level_from, level_to (text), metric, kind, effect, lo, hi,
    n, method. Raises MissingDataError when the design is not a full-factorial grid.
    """
    levels = full_factorial_levels(res)
    if levels is None:
        raise MissingDataError(f"{res._where()}: main effects need one file with a full-factorial grid design "
                               f"(design_method = '{res.design_method}', {res.n_design_points} design points)")
    metrics = list(res.summary_names if metrics is None else metrics)
    if paired is None:
        paired = uses_crn(res)
    ok = res.ok_runs
    dp_run = ok["design_point"].to_numpy()
    rep_run = ok["replication"].to_numpy()
    rows = []
    for ki, key in enumerate(res.design_keys):
        col = res.design[key].to_numpy(dtype=float)
        lv = levels[key]
        labels = res.design_value_labels.get(key)
        base_dps = np.flatnonzero(np.isclose(col, lv[0]))
        for v in lv[1:]:
            dps_v = np.flatnonzero(np.isclose(col, v))
            in_b = np.isin(dp_run, res.design.index.to_numpy()[base_dps])
            in_v = np.isin(dp_run, res.design.index.to_numpy()[dps_v])
            for m in metrics:
                y = ok[m].to_numpy(dtype=float)
                y = np.where(np.isfinite(y), y, np.nan)
                if paired:
                    with _warnings_off():
                        reps = np.unique(rep_run)
                        mb = pd.Series(y[in_b]).groupby(rep_run[in_b]).mean().reindex(reps).to_numpy()
                        mv = pd.Series(y[in_v]).groupby(rep_run[in_v]).mean().reindex(reps).to_numpy()
                    d = paired_difference(mv, mb, conf)
                else:
                    d = welch_difference(y[in_v], y[in_b], conf)
                rows.append(dict(parameter=key, role=res.design_roles.get(key, ""),
                                 level_from=value_text(lv[0], labels), level_to=value_text(v, labels), metric=m,
                                 kind=res.metric_kind(m), effect=d.diff, lo=d.lo, hi=d.hi, n=d.n, method=d.method))
    return pd.DataFrame(rows, columns=["parameter", "role", "level_from", "level_to", "metric", "kind", "effect",
                                       "lo", "hi", "n", "method"])


# ---------------------------------------------------------------------------------------------
# Rank correlation
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Correlation:
    rho: float
    p_value: float
    n: int


def spearman(x, y) -> Correlation:
    """Spearman rank correlation of the pairs where both values are finite (NaN if n < 3 or a
    variable is constant)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return Correlation(np.nan, np.nan, n)
    r = _st.spearmanr(x, y)
    return Correlation(float(r.correlation if hasattr(r, "correlation") else r[0]),
                       float(r.pvalue if hasattr(r, "pvalue") else r[1]), n)


def indicator_outcome_correlations(res: Results, indicators=("agreements", "actions_high"),
                                   outcomes=("vulnerability_reduction", "workers_reached")) -> pd.DataFrame:
    """Spearman ρ per run between indicators and outcomes, over all runs and per design point.

    Returns DataFrame: indicator, outcome, scope ('all runs' or a design point label),
    design_point (-1 for all), rho, p_value, n.
    """
    ok = res.ok_runs
    rows = []
    for ind in indicators:
        for out in outcomes:
            if ind not in ok or out not in ok:
                continue
            c = spearman(ok[ind], ok[out])
            rows.append(dict(indicator=ind, outcome=out, scope="all runs", design_point=-1,
                             rho=c.rho, p_value=c.p_value, n=c.n))
            if res.n_design_points > 1:
                for dp, g in ok.groupby("design_point", sort=True):
                    c = spearman(g[ind], g[out])
                    rows.append(dict(indicator=ind, outcome=out, scope=res.label(dp), design_point=int(dp),
                                     rho=c.rho, p_value=c.p_value, n=c.n))
    return pd.DataFrame(rows, columns=["indicator", "outcome", "scope", "design_point", "rho", "p_value", "n"])


# ---------------------------------------------------------------------------------------------
# Time from first contact to agreement (from /events)
# ---------------------------------------------------------------------------------------------
def time_to_agreement(res: Results) -> pd.DataFrame:
    """One row per agreement event: weeks from the pair's first contact to the agreement.

    For each run and (ngo, org) pair, first contact = the earliest 'targeted' or 'inbound_lead'
    event; each 'agreement' event of the pair gives weeks = agreement week − first-contact week.
    Agreements of pairs without a contact event are left out.

    Returns DataFrame: run_id, design_point, replication, ngo, org, stream ('WS1' prevention
    mechanisms or 'WS2' survivor employment, from the stage entered), contact_week,
    agreement_week, weeks, contact ('targeted' | 'inbound_lead').
    Raises MissingDataError when the file has no events.
    """
    ev = res.events()
    cols = ["run_id", "design_point", "replication", "ngo", "org", "stream", "contact_week",
            "agreement_week", "weeks", "contact"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    names = res.event_type_names
    codes = {n: names.index(n) for n in ("targeted", "inbound_lead", "agreement") if n in names}
    if "agreement" not in codes:
        return pd.DataFrame(columns=cols)
    tc = ev["type_code"].to_numpy()
    contact_codes = [codes[n] for n in ("targeted", "inbound_lead") if n in codes]
    contact = ev.loc[np.isin(tc, contact_codes), ["run_id", "ngo", "org", "week", "type_code"]]
    first = (contact.sort_values(["run_id", "ngo", "org", "week"], kind="stable")
             .drop_duplicates(["run_id", "ngo", "org"], keep="first")
             .rename(columns={"week": "contact_week", "type_code": "contact"})
             .set_index(["run_id", "ngo", "org"]))
    first["contact"] = np.asarray(names, dtype=object)[first["contact"].to_numpy()]
    ag = ev.loc[tc == codes["agreement"], ["run_id", "design_point", "replication", "ngo", "org", "week",
                                           "stage_to_code"]]
    ag = ag.rename(columns={"week": "agreement_week"})
    m = ag.join(first, on=["run_id", "ngo", "org"], how="inner")
    m = m[m["contact_week"] <= m["agreement_week"]].copy()
    ws2_first = res.stage_names.index("ws2_identified") if "ws2_identified" in res.stage_names else 11
    m["stream"] = np.where(m["stage_to_code"] >= ws2_first, "WS2", "WS1")
    m["weeks"] = (m["agreement_week"] - m["contact_week"]).astype(np.int64)
    m["contact"] = m["contact"].astype(str)
    return m[cols].reset_index(drop=True)


def time_to_agreement_summary(res: Results, tta: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per design point and stream: n agreements, median, quartiles, mean of weeks to agreement and
    the share signed within 52 weeks of first contact."""
    tta = time_to_agreement(res) if tta is None else tta
    rows = []
    for (dp, stream), g in tta.groupby(["design_point", "stream"], sort=True):
        w = g["weeks"].to_numpy(dtype=float)
        q = np.percentile(w, [25, 50, 75])
        rows.append(dict(design_point=int(dp), label=res.label(dp), stream=stream, n=int(w.size),
                         median=q[1], q25=q[0], q75=q[2], mean=float(w.mean()),
                         share_within_52=float(np.mean(w <= 52))))
    return pd.DataFrame(rows, columns=["design_point", "label", "stream", "n", "median", "q25", "q75", "mean",
                                       "share_within_52"])


def quantile_bands(arr: np.ndarray, q=(25, 50, 75)) -> np.ndarray:
    """Percentiles over runs (axis 0) of a [run, week, ...] array, NaN ignored: [len(q), week, ...]."""
    with np.errstate(all="ignore"):
        return np.nanpercentile(np.asarray(arr, dtype=np.float64), q, axis=0)


# ---------------------------------------------------------------------------------------------
# Sensitivity analysis
# ---------------------------------------------------------------------------------------------
def require_sensitivity(res: Results, method: str | None = None) -> str:
    """Return the file's sensitivity method ('sobol' or 'morris'), or raise MissingDataError
    saying why the file cannot give sensitivity indices."""
    m = res.design_method
    where = res._where()
    if len(res.paths) > 1:
        raise MissingDataError(f"{where}: sensitivity indices need one Sobol or Morris sweep file, "
                               f"not {len(res.paths)} files compared side by side")
    if m not in ("sobol", "morris") or (method is not None and m != method):
        keys = "empty" if not res.design_keys else ", ".join(res.design_keys)
        want = {"sobol": "Sobol", "morris": "Morris", None: "Sobol or Morris"}[method]
        raise MissingDataError(
            f"{where}: this file has no {want} design (design_method = '{m}'"
            f"{' (root attribute design_method absent)' if 'design_method' not in res.attrs else ''}; "
            f"/design/_keys {keys}). Sensitivity indices need a sweep written with design_method "
            f"'sobol' (and sobol_base_samples) or 'morris' (and morris_trajectories).")
    if not res.design_keys:
        raise MissingDataError(f"{where}: design_method is '{m}' but /design/_keys is empty")
    return m


def design_point_means(res: Results, metric: str) -> np.ndarray:
    """Mean of a summary metric over the finished replications of each design point ([n_dp], NaN
    where no finite value)."""
    if metric not in res.summary_names:
        raise MissingDataError(f"{res._where()}: no summary metric '{metric}' "
                               f"(available: {', '.join(res.summary_names)})")
    ok = res.ok_runs
    v = ok[metric].to_numpy(dtype=float)
    dp = ok["design_point"].to_numpy()
    keep = np.isfinite(v)
    s = np.bincount(dp[keep], weights=v[keep], minlength=res.n_design_points)
    c = np.bincount(dp[keep], minlength=res.n_design_points)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / np.maximum(c, 1), np.nan)


def _bootstrap_batches(n_items: int, n_boot: int, rng: np.random.Generator, batch_bytes: float = 5e7,
                       per_item: int = 1):
    """Yield index arrays [b, n_items] of bootstrap resamples in memory-bounded batches."""
    b = max(1, int(batch_bytes // max(1, n_items * per_item * 8)))
    done = 0
    while done < n_boot:
        m = min(b, n_boot - done)
        yield rng.integers(0, n_items, size=(m, n_items))
        done += m


def _sobol_point(fa, fb, fab):
    """S1, ST for arrays fa, fb [..., N], fab [..., N, k] (leading axes: bootstrap batch)."""
    var = np.var(np.concatenate([fa, fb], axis=-1), axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):   # V = 0 (constant output) gives NaN
        s1 = np.mean(fb[..., None] * (fab - fa[..., None]), axis=-2) / var[..., None]
        st = 0.5 * np.mean((fa[..., None] - fab) ** 2, axis=-2) / var[..., None]
    return s1, st


def sobol_indices(y, k: int, names: list[str] | None = None, n_boot: int = 1000, conf: float = 0.95,
                  seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices from responses in Saltelli order.

    ``y`` has N·(k+2) values: for base sample j the points A_j, B_j, AB_j^(1), ..., AB_j^(k)
    (AB^(i) = A with column i taken from B). Base samples with a non-finite value are dropped.
    S1_i = mean(f(B)·(f(AB^(i)) − f(A))) / V (Saltelli et al. 2010), ST_i = mean((f(A) −
    f(AB^(i)))²) / (2V) (Jansen 1999), V = variance of f(A) ∪ f(B). Percentile bootstrap
    intervals resample base samples (n_boot times, fixed ``seed``).

    Returns DataFrame indexed by parameter: S1, S1_lo, S1_hi, ST, ST_lo, ST_hi, n_base.
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    if k < 1 or y.size % (k + 2) != 0:
        raise DesignError(f"{y.size} responses are not a whole number of Saltelli blocks of k+2 = {k + 2}")
    blocks = y.reshape(-1, k + 2)
    blocks = blocks[np.all(np.isfinite(blocks), axis=1)]
    n = blocks.shape[0]
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(k)]
    if n < 2:
        raise MissingDataError(f"only {n} complete Saltelli base samples: cannot estimate Sobol indices")
    fa, fb, fab = blocks[:, 0], blocks[:, 1], blocks[:, 2:]
    s1, st = _sobol_point(fa, fb, fab)
    lo_q, hi_q = 50 * (1 - conf), 50 * (1 + conf)
    rng = np.random.default_rng(seed)
    s1_b, st_b = [], []
    if n_boot > 0:
        for idx in _bootstrap_batches(n, n_boot, rng, per_item=k + 2):
            a, b = _sobol_point(fa[idx], fb[idx], fab[idx])
            s1_b.append(a)
            st_b.append(b)
        s1_b, st_b = np.concatenate(s1_b), np.concatenate(st_b)
        s1_lo, s1_hi = np.nanpercentile(s1_b, [lo_q, hi_q], axis=0)
        st_lo, st_hi = np.nanpercentile(st_b, [lo_q, hi_q], axis=0)
    else:
        s1_lo = s1_hi = st_lo = st_hi = np.full(k, np.nan)
    return pd.DataFrame({"S1": s1, "S1_lo": s1_lo, "S1_hi": s1_hi, "ST": st, "ST_lo": st_lo,
                         "ST_hi": st_hi, "n_base": n}, index=pd.Index(names, name="parameter"))


def saltelli_parameter_order(x: np.ndarray, k: int) -> list[int]:
    """Which design column each AB^(i) block varies, inferred from design values X [N·(k+2), k].

    Checks the Saltelli ordering: AB_j^(i) equals A_j except in one column, which equals B_j's.
    Returns the column index for i = 1..k (normally 0..k-1). Raises DesignError if the design
    does not have this structure.
    """
    x = np.asarray(x, dtype=np.float64)
    nk = x.shape[1]
    blocks = x.reshape(-1, k + 2, nk)
    a, b, ab = blocks[:, 0, :], blocks[:, 1, :], blocks[:, 2:, :]
    order = []
    for i in range(k):
        differs = ~np.isclose(ab[:, i, :], a, rtol=1e-9, atol=1e-12)
        counts = differs.sum(axis=0)
        if counts.max() == 0:
            order.append(i)  # A and B never differ here (e.g. a boolean); keep position
            continue
        c = int(np.argmax(counts))
        others = np.delete(differs, c, axis=1)
        if others.any():
            raise DesignError(f"Saltelli block AB^({i + 1}) differs from A in more than one parameter: "
                              "design points are not in the order A, B, AB^(1..k) per base sample")
        if not np.allclose(ab[:, i, c], b[:, c], rtol=1e-9, atol=1e-12):
            raise DesignError(f"Saltelli block AB^({i + 1}): the varied column does not come from B")
        order.append(c)
    if sorted(order) != list(range(nk)) and nk == k:
        raise DesignError(f"Saltelli blocks vary columns {order}, not each of the {k} parameters once")
    return order


def sobol_from_results(res: Results, metric: str, n_boot: int = 1000, conf: float = 0.95,
                       seed: int = 0) -> pd.DataFrame:
    """Sobol indices of a summary metric (mean over replications per design point) for a file with
    design_method 'sobol'. Raises MissingDataError for other files, DesignError for a malformed
    design."""
    require_sensitivity(res, "sobol")
    k = len(res.design_keys)
    n_dp = res.n_design_points
    n_base = res.design_attrs.get("sobol_base_samples")
    if n_base is None:
        if n_dp % (k + 2):
            raise DesignError(f"{n_dp} design points are not N·(k+2) for k = {k} parameters")
        n_base = n_dp // (k + 2)
    n_base = int(n_base)
    if n_base * (k + 2) != n_dp:
        raise DesignError(f"sobol_base_samples = {n_base} and k = {k} varied parameters need "
                          f"{n_base * (k + 2)} design points, the file has {n_dp}")
    x = res.design[res.design_keys].to_numpy(dtype=float)
    order = saltelli_parameter_order(x, k)
    names = [res.design_keys[c] for c in order]
    y = design_point_means(res, metric)
    try:
        out = sobol_indices(y, k, names=names, n_boot=n_boot, conf=conf, seed=seed)
    except MissingDataError as e:
        raise MissingDataError(f"Sobol indices of '{metric}': {e}") from e
    out.insert(0, "role", [res.design_roles.get(nm, "") for nm in out.index])
    return out


def morris_indices(x, y, r: int, ranges=None, names: list[str] | None = None, n_boot: int = 1000,
                   conf: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect statistics from r trajectories of k+1 consecutive points.

    Each step of a trajectory changes exactly one parameter i by Δx_i; its elementary effect is
    EE = (y_{t+1} − y_t) / (Δx_i / range_i), i.e. in unit-hypercube scale (``ranges`` per
    parameter; default max − min of the design column). Steps with a non-finite response are
    skipped. μ* (mean |EE|) gets a percentile bootstrap interval over trajectories.

    Returns DataFrame indexed by parameter: mu, mu_star, sigma, mu_star_lo, mu_star_hi, n.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    k = x.shape[1]
    if x.shape[0] != r * (k + 1) or y.size != x.shape[0]:
        raise DesignError(f"Morris design needs r·(k+1) = {r}·{k + 1} = {r * (k + 1)} points, "
                          f"got {x.shape[0]} design points and {y.size} responses")
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(k)]
    if ranges is None:
        ranges = x.max(axis=0) - x.min(axis=0)
    ranges = np.where(np.asarray(ranges, dtype=float) > 0, ranges, 1.0)
    ee = np.full((r, k), np.nan)     # one effect per parameter per trajectory (classical Morris)
    xt = x.reshape(r, k + 1, k)
    yt = y.reshape(r, k + 1)
    for t in range(r):
        for s in range(k):
            dx = xt[t, s + 1] - xt[t, s]
            changed = np.flatnonzero(~np.isclose(dx, 0.0, atol=1e-12 * np.maximum(1.0, ranges)))
            if changed.size != 1:
                raise DesignError(f"Morris trajectory {t}, step {s + 1}: {changed.size} parameters change "
                                  "(exactly one must); design points are not in trajectory order")
            i = int(changed[0])
            if np.isfinite(ee[t, i]):
                raise DesignError(f"Morris trajectory {t} changes parameter '{names[i]}' twice")
            ee[t, i] = (yt[t, s + 1] - yt[t, s]) / (dx[i] / ranges[i])
    if not np.isfinite(ee).any():
        raise MissingDataError("no finite elementary effect: the metric is undefined (NaN) along every trajectory")
    with np.errstate(invalid="ignore"), _warnings_off():
        mu = np.nanmean(ee, axis=0)
        mu_star = np.nanmean(np.abs(ee), axis=0)
        n = np.sum(np.isfinite(ee), axis=0)
        sigma = np.array([np.nanstd(ee[:, i], ddof=1) if n[i] > 1 else np.nan for i in range(k)])
    lo = hi = np.full(k, np.nan)
    if n_boot > 0 and r > 1:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, r, size=(n_boot, r))
        with np.errstate(invalid="ignore"), _warnings_off():
            boot = np.nanmean(np.abs(ee)[idx], axis=1)      # [n_boot, k]
            lo, hi = np.nanpercentile(boot, [50 * (1 - conf), 50 * (1 + conf)], axis=0)
    return pd.DataFrame({"mu": mu, "mu_star": mu_star, "sigma": sigma, "mu_star_lo": lo, "mu_star_hi": hi,
                         "n": n}, index=pd.Index(names, name="parameter"))


def morris_from_results(res: Results, metric: str, n_boot: int = 1000, conf: float = 0.95,
                        seed: int = 0) -> pd.DataFrame:
    """Morris μ*, σ of a summary metric for a file with design_method 'morris'."""
    require_sensitivity(res, "morris")
    k = len(res.design_keys)
    r = res.design_attrs.get("morris_trajectories")
    if r is None:
        if res.n_design_points % (k + 1):
            raise DesignError(f"{res.n_design_points} design points are not r·(k+1) for k = {k}")
        r = res.n_design_points // (k + 1)
    r = int(r)
    x = res.design[res.design_keys].to_numpy(dtype=float)
    bounds = [res.design_bounds.get(kk) for kk in res.design_keys]
    ranges = None
    if all(b is not None for b in bounds):
        ranges = np.array([hi - lo for lo, hi in bounds], dtype=float)
    y = design_point_means(res, metric)
    try:
        out = morris_indices(x, y, r, ranges=ranges, names=res.design_keys, n_boot=n_boot, conf=conf, seed=seed)
    except MissingDataError as e:
        raise MissingDataError(f"Morris indices of '{metric}': {e}") from e
    out.insert(0, "role", [res.design_roles.get(nm, "") for nm in out.index])
    return out


def sensitivity(res: Results, metric: str, n_boot: int = 1000, conf: float = 0.95,
                seed: int = 0) -> tuple[str, pd.DataFrame]:
    """Sobol or Morris indices of a summary metric, whichever design the file has.

    Returns (method, table). Raises MissingDataError for a file without a sensitivity design.
    """
    method = require_sensitivity(res)
    if method == "sobol":
        return method, sobol_from_results(res, metric, n_boot=n_boot, conf=conf, seed=seed)
    return method, morris_from_results(res, metric, n_boot=n_boot, conf=conf, seed=seed)

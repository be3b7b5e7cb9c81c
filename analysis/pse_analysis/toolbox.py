"""A researcher's toolbox for sweeps: rank correlations of outcomes against factors, robustness of
lever settings across uncertainties (with regret), and scenario discovery by PRIM.

    rank_correlations(res)                    # Spearman rho of each outcome against each design factor
    robustness(res, "agreements")             # per lever setting: outcome across the uncertainty settings
    prim(x, failed)                           # the box of factor values where failures concentrate

Levers and uncertainties as in the EMA Workbench: a *policy* is one combination of lever values,
a *scenario* one combination of uncertainty values. Regret of a policy in a scenario = the best
policy's outcome in that scenario minus this policy's (for an outcome where more is better).

PRIM (Friedman & Fisher 1999) is implemented here (scikit-learn is not among the Debian packages
the project uses, and it has no PRIM): starting from the box holding every point, repeatedly peel
off the ``alpha`` share of the remaining points at the low or the high end of one factor — the
peel that leaves the highest share of failures in the box — until fewer than ``min_support`` of
all points remain. Of the boxes on this peeling trajectory the one returned has the highest
density (share of failures inside) among those that still hold at least ``min_coverage`` of all
failures; then each restriction whose removal lowers that density by at most ``prune_tolerance``
is dropped (peeling trims factors that do not matter, by chance).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from .errors import MissingDataError
from .io import Results


# ---------------------------------------------------------------------------------------------
# Rank correlations
# ---------------------------------------------------------------------------------------------
def rank_correlations(res: Results, metrics: list[str] | None = None) -> pd.DataFrame:
    """Spearman rank correlation of each summary metric with each design factor over the finished
    runs (each run carries its design point's factor values).

    Returns columns factor, role, metric, rho, p_value, n (runs where the metric is finite).
    Raises MissingDataError for a file without design factors."""
    if not res.design_keys:
        raise MissingDataError(f"{res._where()}: no design factors (/design/_keys is empty) to correlate with")
    metrics = metrics or res.summary_by_kind("indicator", "outcome")
    ok = res.ok_runs
    dp = ok["design_point"].to_numpy()
    rows = []
    for k in res.design_keys:
        xv = res.design.loc[dp, k].to_numpy(dtype=float)
        for m in metrics:
            y = ok[m].to_numpy(dtype=float)
            good = np.isfinite(xv) & np.isfinite(y)
            n = int(good.sum())
            rho = p = np.nan
            if n >= 3 and np.ptp(xv[good]) > 0 and np.ptp(y[good]) > 0:
                r = sps.spearmanr(xv[good], y[good])
                rho, p = float(r.statistic), float(r.pvalue)
            rows.append(dict(factor=k, role=res.design_roles.get(k, ""), metric=m, rho=rho, p_value=p, n=n))
    return pd.DataFrame(rows, columns=["factor", "role", "metric", "rho", "p_value", "n"])


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------
def robustness_table(outcome: pd.DataFrame, maximize: bool = True) -> pd.DataFrame:
    """Robustness of policies from a [policy x scenario] table of outcomes (means over
    replications). Returns one row per policy: mean, worst, best (over scenarios), max_regret,
    mean_regret, best_in (number of scenarios where the policy is best); regret = best policy's
    outcome in the scenario minus this policy's (the other way round when maximize is False)."""
    v = outcome.to_numpy(dtype=float)
    best = np.nanmax(v, axis=0) if maximize else np.nanmin(v, axis=0)
    regret = (best[None, :] - v) if maximize else (v - best[None, :])
    worst = np.nanmin(v, axis=1) if maximize else np.nanmax(v, axis=1)
    top = np.nanmax(v, axis=1) if maximize else np.nanmin(v, axis=1)
    return pd.DataFrame({"mean": np.nanmean(v, axis=1), "worst": worst, "best": top,
                         "max_regret": np.nanmax(regret, axis=1), "mean_regret": np.nanmean(regret, axis=1),
                         "best_in": (regret == 0).sum(axis=1)}, index=outcome.index)


def policy_scenario_outcomes(res: Results, metric: str) -> pd.DataFrame:
    """Mean of the metric over replications for each (policy, scenario): rows are the lever
    combinations, columns the uncertainty combinations, both as 'key=value, ...' text.

    Raises MissingDataError unless the design has both levers and uncertainties and every
    policy was run in every scenario (a crossed design such as a grid)."""
    lev = [k for k in res.design_keys if res.design_roles.get(k) == "lever"]
    unc = [k for k in res.design_keys if res.design_roles.get(k) == "uncertainty"]
    if not lev or not unc:
        raise MissingDataError(f"{res._where()}: robustness needs both levers and uncertainties in the design "
                               f"(levers: {lev or 'none'}; uncertainties: {unc or 'none'})")
    from .io import value_text

    def text(dp, keys):
        return ", ".join(f"{k.split('.')[-1]}={value_text(res.design.at[dp, k], res.design_value_labels.get(k))}"
                         for k in keys)
    means = res.ok_runs.groupby("design_point")[metric].mean()
    cells = pd.DataFrame({"policy": [text(dp, lev) for dp in means.index],
                          "scenario": [text(dp, unc) for dp in means.index], "value": means.to_numpy()})
    table = cells.pivot_table(index="policy", columns="scenario", values="value", aggfunc="mean", sort=False)
    if table.isna().any().any():
        raise MissingDataError(f"{res._where()}: robustness needs every lever setting run in every uncertainty "
                               f"setting (a crossed design); {int(table.isna().sum().sum())} combinations are missing")
    return table


def robustness(res: Results, metric: str, maximize: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(policy x scenario outcome table, robustness_table of it) for one metric."""
    t = policy_scenario_outcomes(res, metric)
    return t, robustness_table(t, maximize)


# ---------------------------------------------------------------------------------------------
# PRIM
# ---------------------------------------------------------------------------------------------
@dataclass
class PrimBox:
    """A box of factor values: limits {factor: (low, high)} of the restricted factors only, with
    coverage (share of all failures inside), density (share of points inside that failed), the
    number of points inside and the peeling trajectory (coverage, density, n per step)."""
    limits: dict
    coverage: float
    density: float
    n: int
    base_density: float
    trajectory: pd.DataFrame = field(default_factory=pd.DataFrame)


def prim(x: pd.DataFrame, failed, alpha: float = 0.05, min_support: float = 0.05,
         min_coverage: float = 0.5, prune_tolerance: float = 0.02) -> PrimBox:
    """PRIM box of the failures (see the module docstring for the algorithm and the choice of box).

    x: one row per point (run or design point), one numeric column per factor; failed: booleans
    of the same length. Raises MissingDataError when there are no failures or no points."""
    xv = x.to_numpy(dtype=float)
    y = np.asarray(failed, dtype=bool)
    n_all = len(y)
    if n_all == 0 or not y.any():
        raise MissingDataError("scenario discovery needs at least one failing point")
    inside = np.ones(n_all, bool)
    lo = np.nanmin(xv, axis=0)
    hi = np.nanmax(xv, axis=0)
    full = (lo.copy(), hi.copy())
    steps = [(lo.copy(), hi.copy(), inside.copy())]
    while inside.sum() * (1 - alpha) >= max(min_support * n_all, 2):
        best = None
        for j in range(xv.shape[1]):
            col = xv[inside, j]
            for side in ("low", "high"):
                q = np.quantile(col, alpha if side == "low" else 1 - alpha)
                keep = inside & ((xv[:, j] > q) if side == "low" else (xv[:, j] < q))
                if keep.sum() == inside.sum() or keep.sum() < max(min_support * n_all, 1):
                    continue
                score = y[keep].mean()
                if best is None or score > best[0] + 1e-12:
                    best = (score, j, side, q, keep)
        if best is None:
            break
        _, j, side, q, keep = best
        if side == "low":
            lo[j] = q
        else:
            hi[j] = q
        inside = keep
        steps.append((lo.copy(), hi.copy(), inside.copy()))
    total_fail = y.sum()
    traj = pd.DataFrame([dict(coverage=y[s[2]].sum() / total_fail, density=y[s[2]].mean(), n=int(s[2].sum()))
                         for s in steps])
    ok = traj.index[traj["coverage"] >= min_coverage]
    pick = int(traj.loc[ok, "density"].idxmax()) if len(ok) else 0
    blo, bhi, bin_ = steps[pick]
    blo, bhi = blo.copy(), bhi.copy()
    # Pruning: drop a restriction whose removal lowers the density by at most prune_tolerance
    # (peeling also trims factors that do not matter, by chance).
    def members(lo_, hi_):
        return np.all((xv >= lo_) & (xv <= hi_), axis=1)
    dens = y[members(blo, bhi)].mean()
    for j in range(xv.shape[1]):
        if blo[j] > full[0][j] or bhi[j] < full[1][j]:
            tlo, thi = blo.copy(), bhi.copy()
            tlo[j], thi[j] = full[0][j], full[1][j]
            m_ = members(tlo, thi)
            if y[m_].mean() >= dens - prune_tolerance:
                blo, bhi = tlo, thi
                dens = y[m_].mean()
    box_members = members(blo, bhi)
    limits = {}
    for j, name in enumerate(x.columns):
        if blo[j] > full[0][j] or bhi[j] < full[1][j]:
            limits[name] = (float(blo[j]) if blo[j] > full[0][j] else np.nan,
                            float(bhi[j]) if bhi[j] < full[1][j] else np.nan)
    return PrimBox(limits=limits, coverage=float(y[box_members].sum() / total_fail),
                   density=float(y[box_members].mean()), n=int(box_members.sum()), base_density=float(y.mean()),
                   trajectory=traj)


def box_text(box: PrimBox, words=None) -> str:
    """'budget_cv above 0.41 and gain_rate below 0.035' for a box (``words`` maps factor names)."""
    bits = []
    for k, (lo, hi) in box.limits.items():
        name = (words or {}).get(k, k.split(".")[-1])
        if np.isfinite(lo) and np.isfinite(hi):
            bits.append(f"{name} between {lo:.3g} and {hi:.3g}")
        elif np.isfinite(lo):
            bits.append(f"{name} above {lo:.3g}")
        else:
            bits.append(f"{name} below {hi:.3g}")
    return " and ".join(bits) if bits else "no restriction (failures are spread over the whole range)"


def scenario_discovery(res: Results, metric: str, quantile: float = 0.25, alpha: float = 0.05,
                       threshold: float | None = None) -> tuple[PrimBox, float]:
    """PRIM over the design points of a sweep: 'failure' = the design point's mean of ``metric``
    at or below ``threshold``, by default the ``quantile`` of all design points' means (the
    bottom quarter). Returns (box, threshold).
    Raises MissingDataError for a file without design factors or without the metric."""
    if not res.design_keys:
        raise MissingDataError(f"{res._where()}: scenario discovery needs design factors")
    if metric not in res.summary_names:
        raise MissingDataError(f"{res._where()}: no summary metric '{metric}'")
    means = res.ok_runs.groupby("design_point")[metric].mean().dropna()
    if len(means) < 20:
        raise MissingDataError(f"{res._where()}: scenario discovery needs at least 20 design points "
                               f"({len(means)} with a value of '{metric}')")
    thr = float(np.quantile(means, quantile)) if threshold is None else float(threshold)
    x = res.design.loc[means.index, res.design_keys]
    return prim(x, means.to_numpy() <= thr, alpha=alpha), thr


__all__ = ["rank_correlations", "robustness", "robustness_table", "policy_scenario_outcomes", "prim", "PrimBox",
           "box_text", "scenario_discovery"]

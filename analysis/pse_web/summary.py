"""Turn pse_sim Results into what the page shows: means with 95% intervals, weekly bands, the
paired comparison of a variant with its baseline, and a plain-language paragraph."""
from __future__ import annotations

import math

import numpy as np

from pse_analysis import stats

# Summary metrics shown on the page, in this order, with plain names.
SHOWN = [
    ("agreements", "Agreements signed"),
    ("actions_high", "High-level actions (company money committed)"),
    ("share_reaching_agreement", "Share of WS1 engagements reaching agreement"),
    ("median_weeks_to_agreement", "Median weeks from first contact to agreement"),
    ("partnerships_at_end", "Partnerships active at the project end"),
    ("partnerships_end_plus_52", "Partnerships still active 1 year after the end"),
    ("workers_reached", "Workers reached (final week)"),
    ("vulnerability_reduction", "Vulnerability reduction (worker-equivalents)"),
    ("suppliers_improved", "Suppliers improved"),
    ("survivors_placed", "Survivors placed in jobs"),
    ("resources_usd", "Company resources committed (USD)"),
    ("hours_per_agreement", "Staff hours per agreement"),
]
# Weekly series drawn as charts (median and interquartile band over replications).
CHARTS = [
    ("agreements_signed", "Agreements signed (cumulative)"),
    ("partnerships_active", "Partnerships active"),
    ("workers_reached", "Workers reached"),
    ("mean_trust", "Mean trust in active engagements"),
]


def _f(x) -> float | None:
    """JSON-safe float: None for NaN/inf."""
    x = float(x)
    return x if math.isfinite(x) else None


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values (the page's "mean over replications"); NaN if none."""
    a = values[np.isfinite(values)]
    return float(np.mean(a)) if a.size else float("nan")


def describe(res, units: dict[str, str]) -> dict:
    """Per shown metric: mean (of finite values), 95% t-interval, n and the per-replication
    values; weekly median and quartiles of the chart series; project end week."""
    import pse_sim
    summary = {}
    for name, label in SHOWN:
        col = res.summary_array[:, pse_sim.SUMMARY_NAMES.index(name)]
        ci = stats.mean_ci(col)
        summary[name] = {"label": label, "unit": units.get(name, ""), "mean": _f(_mean(col)), "lo": _f(ci.lo),
                         "hi": _f(ci.hi), "n": int(ci.n), "values": [_f(v) for v in col]}
    series = {}
    for name, label in CHARTS:
        arr = res.series(name)
        with np.errstate(all="ignore"):
            q = np.nanpercentile(arr, [25, 50, 75], axis=0) if arr.shape[0] else np.full((3, arr.shape[1]), np.nan)
        series[name] = {"label": label, "unit": units.get("series:" + name, ""),
                        "q25": [_f(v) for v in q[0]], "median": [_f(v) for v in q[1]], "q75": [_f(v) for v in q[2]]}
    sc = res.scenario
    return {"name": res.scenario_name, "weeks": res.weeks, "replications": res.replications,
            "master_seed": res.master_seed, "end_week": int(sc.get("ngo[*].end_week")),
            "seeds": [int(s) for s in res.seeds], "summary": summary, "series": series,
            "wall_seconds": res.wall_seconds}


def compare(base, variant) -> dict:
    """Variant minus baseline per shown metric: paired by replication (both ran with the same
    master seed, so replication r has the same random streams in both: common random numbers)."""
    import pse_sim
    out = {}
    paired = list(base.seeds) == list(variant.seeds)
    for name, label in SHOWN:
        i = pse_sim.SUMMARY_NAMES.index(name)
        a, b = variant.summary_array[:, i], base.summary_array[:, i]
        d = stats.paired_difference(a, b) if paired else stats.welch_difference(a, b)
        out[name] = {"label": label, "diff": _f(d.diff), "lo": _f(d.lo), "hi": _f(d.hi), "n": int(d.n),
                     "method": d.method}
    return out


def fmt_num(x: float | None, signed: bool = False) -> str:
    """A number as the page writes it: 3 significant digits, thousands separators."""
    if x is None or not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 1000:
        s = f"{x:,.0f}"
    elif ax >= 100:
        s = f"{x:.0f}"
    elif ax >= 10:
        s = f"{x:.1f}"
    elif ax >= 1:
        s = f"{x:.2f}"
    elif ax == 0:
        s = "0"
    else:
        s = f"{x:.2g}"
    return ("+" + s if signed and x > 0 else s)


def _years(weeks: int) -> str:
    y = weeks / 52
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
             10: "ten"}
    if abs(y - round(y)) < 1e-9:
        n = int(round(y))
        return f"{words.get(n, str(n))} year{'s' if n != 1 else ''}"
    return f"{y:.1f} years"


def change_phrase(diff: list[dict]) -> str:
    """"Setting X to a (instead of b)" for the parameters that differ."""
    if not diff:
        return "With identical settings"
    parts = [f"{d['label'][:1].lower() + d['label'][1:]} {d['variant_text']} instead of {d['baseline_text']}"
             for d in diff[:3]]
    more = f" (and {len(diff) - 3} more changes)" if len(diff) > 3 else ""
    return "With " + "; ".join(parts) + more


def paragraph_single(d: dict) -> str:
    """One paragraph for a single scenario's results."""
    s = d["summary"]

    def m(k):
        x = s[k]
        return f"{fmt_num(x['mean'])} (95% interval {fmt_num(x['lo'])} to {fmt_num(x['hi'])})"
    return (f"In '{d['name']}' ({d['replications']} replications of {_years(d['weeks'])}, project ending after "
            f"{_years(d['end_week'])}): {m('agreements')} agreements signed, {m('workers_reached')} workers reached "
            f"by the final week, {m('partnerships_at_end')} partnerships active at the project end and "
            f"{m('partnerships_end_plus_52')} still active a year after it. Numbers are means over replications; "
            f"the intervals describe the uncertainty of the mean, not the range of one project's outcome.")


def paragraph_compare(base: dict, var: dict, cmp: dict, diff: list[dict]) -> str:
    """One paragraph answering "what does this change buy us" from the paired comparison."""
    def dd(k, what):
        c = cmp[k]
        return (f"{fmt_num(c['diff'], signed=True)} {what} (95% interval {fmt_num(c['lo'], True)} to "
                f"{fmt_num(c['hi'], True)})")
    years = _years(var["weeks"])
    pe = cmp["partnerships_end_plus_52"]
    after = (f"partnerships still active a year after the project end: {fmt_num(base['summary']['partnerships_end_plus_52']['mean'])}"
             f" in the baseline, {fmt_num(var['summary']['partnerships_end_plus_52']['mean'])} with the change "
             f"({fmt_num(pe['diff'], True)}, 95% interval {fmt_num(pe['lo'], True)} to {fmt_num(pe['hi'], True)})")
    sig = []
    for k, what in (("agreements", "agreements"), ("workers_reached", "workers reached")):
        c = cmp[k]
        if c["lo"] is not None and c["hi"] is not None and (c["lo"] > 0 or c["hi"] < 0):
            sig.append(what)
    tail = ("The intervals for " + " and ".join(sig) + " exclude zero: the change makes a difference beyond "
            "chance in this model." if sig else "The intervals include zero: with this many replications the "
            "model cannot tell the difference from chance; add replications for a firmer answer.")
    method = "paired by replication (common random numbers)" if cmp["agreements"]["method"] == "paired t" else \
        "not paired (different seeds; Welch intervals)"
    return (f"{change_phrase(diff)}: {dd('agreements', 'agreements')} over the {years} simulated, "
            f"{dd('workers_reached', 'workers reached')} by the final week; {after}. "
            f"Means of {var['replications']} replications, {method}. {tail}")

"""HTML report of one results file (or several compared side by side).

    build_report(["results/default.h5"], "report/")   ->  report/index.html, report/figures/*.png,
                                                           report/tables/*.csv

Sections: plain-language summary; scenario comparison (means with 95% CI; differences from the
baseline, paired when common random numbers were used); pipeline over time; time from first
contact to agreement; funding horizon; indicators versus outcomes; sensitivity (Sobol or Morris,
only for sensitivity sweeps — other files get a message saying why). A section whose data is
missing (e.g. no events) shows the reason instead of failing the report.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import answer, plots, stats, toolbox
from .errors import AnalysisError, MissingDataError
from .io import Results, load

#: Summary metrics the text and the headline table lead with (when present in the file).
HEADLINE_METRICS = ["agreements", "share_reaching_agreement", "median_weeks_to_agreement", "partnerships_at_end",
                    "partnerships_end_plus_52", "workers_reached", "vulnerability_reduction", "suppliers_improved",
                    "survivors_placed", "resources_usd", "hours_per_agreement"]
#: Summary metrics the robustness section analyses (more is better for each).
ROBUSTNESS_METRICS = ["agreements", "partnerships_end_plus_52", "vulnerability_reduction"]
#: Summary metrics the sensitivity section analyses by default.
SENSITIVITY_METRICS = ["agreements", "vulnerability_reduction", "partnerships_end_plus_52", "workers_reached"]


# ---------------------------------------------------------------------------------------------
# Number formatting for text
# ---------------------------------------------------------------------------------------------
def _is_share(res: Results, metric: str) -> bool:
    return res.metric_unit(metric).strip() == "[0,1]"


def _decimals(magnitude: float) -> int:
    a = abs(magnitude)
    if a >= 100:
        return 0
    if a >= 1:
        return 1
    if a >= 0.1 or a == 0:
        return 2
    return 3


def _fmt(x: float, decimals: int) -> str:
    s = f"{x:,.{decimals}f}"
    return s.replace("-", "\u2212")


def fmt_num(x: float, share: bool = False, decimals: int | None = None) -> str:
    """Readable number: shares as percent, thousands separators, a minus sign for negatives."""
    if x is None or not np.isfinite(x):
        return "n/a"
    if share:
        d = decimals if decimals is not None else (0 if abs(x) >= 0.1 else 1)
        return _fmt(100 * x, d) + "%"
    return _fmt(x, _decimals(x) if decimals is None else decimals)


def fmt_ci(mean: float, lo: float, hi: float, share: bool = False, signed: bool = False, n=None) -> str:
    """'6.6 (95% CI 5.1–8.1)', with the same decimals for all three numbers; 'to' instead of a
    dash when a bound is negative. With ``n`` (replications) below answer.MIN_REPLICATIONS, no
    interval: '6.6 (no interval from 3 replications)'."""
    finite = [abs(v) for v in (mean, lo, hi) if v is not None and np.isfinite(v)]
    top = max(finite) if finite else 0.0
    d = (0 if top >= 0.1 else 1) if share else _decimals(top)
    m = fmt_num(mean, share, d)
    if signed and np.isfinite(mean) and mean > 0:
        m = "+" + m
    if n is not None and np.isfinite(n) and int(n) < answer.MIN_REPLICATIONS:
        return f"{m} (no interval from {int(n)} replication{'s' if int(n) != 1 else ''})"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{m} (CI n/a)"
    sep = "\u2013" if lo >= 0 and hi >= 0 else " to "
    return f"{m} (95% CI {fmt_num(lo, share, d)}{sep}{fmt_num(hi, share, d)})"


def _strength(rho: float) -> str:
    a = abs(rho)
    if not np.isfinite(a):
        return "undetermined"
    return "weak" if a < 0.3 else "moderate" if a < 0.6 else "strong"


# ---------------------------------------------------------------------------------------------
# Analysis bundle
# ---------------------------------------------------------------------------------------------
@dataclass
class ReportData:
    """Everything the report shows, computed once (also handy in notebooks)."""
    res: Results
    baseline: int
    crn: bool
    summary: pd.DataFrame
    comparison: pd.DataFrame | None
    correlations: pd.DataFrame
    main_effects: pd.DataFrame | None = None
    tta: pd.DataFrame | None = None
    tta_summary: pd.DataFrame | None = None
    sensitivity_method: str | None = None
    sensitivity: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)   # section -> why it is missing
    lever_steps: pd.DataFrame | None = None        # answer.lever_steps
    rank_correlations: pd.DataFrame | None = None  # toolbox.rank_correlations (sampling designs)
    robustness: dict = field(default_factory=dict)  # metric -> (policy x scenario table, robustness table)
    discovery: dict = field(default_factory=dict)   # metric -> (PrimBox, threshold)


def is_sampling_design(res: Results) -> bool:
    """Sampling designs (LHS, Sobol, Morris) spread points over a space: comparing each point with
    design point 0 means nothing; they are summarised over all runs and by sensitivity indices."""
    return res.design_method in ("lhs", "sobol", "morris")


def pooled_summary(res: Results, metrics=None) -> pd.DataFrame:
    """Distribution of each summary metric over all finished runs: n, mean, median, 5% and 95%."""
    ok = res.ok_runs
    rows = []
    for m in (metrics or res.summary_names):
        v = ok[m].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        q = np.percentile(v, [5, 50, 95]) if v.size else [np.nan] * 3
        rows.append(dict(metric=m, kind=res.metric_kind(m), unit=res.metric_unit(m), n=int(v.size),
                         mean=float(v.mean()) if v.size else np.nan, median=q[1], p05=q[0], p95=q[2]))
    return pd.DataFrame(rows, columns=["metric", "kind", "unit", "n", "mean", "median", "p05", "p95"])


def analyse(res: Results, baseline: int = 0, n_boot: int = 1000, sensitivity_metrics=None,
            conf: float = 0.95) -> ReportData:
    """Compute the report's statistics. Missing inputs become messages, not exceptions."""
    if baseline not in res.design.index:
        raise MissingDataError(f"baseline design point {baseline} does not exist "
                               f"(design points 0..{res.n_design_points - 1})")
    if not res.done.any():
        errors = [e for e in res.runs["error"] if e][:3]
        raise MissingDataError(f"{res._where()}: no finished runs (status 1) to analyse"
                               + (f"; run errors: {'; '.join(errors)}" if errors else ""))
    crn = stats.uses_crn(res)
    summ = stats.summarize(res, conf=conf)
    comp = (stats.compare(res, baseline=baseline, conf=conf)
            if res.n_design_points > 1 and not is_sampling_design(res) else None)
    corr = stats.indicator_outcome_correlations(res)
    data = ReportData(res=res, baseline=baseline, crn=crn, summary=summ, comparison=comp, correlations=corr)
    if len(res.design_keys) >= 2 and stats.full_factorial_levels(res) is not None:
        data.main_effects = stats.main_effects(res, res.summary_by_kind("indicator", "outcome"), conf=conf)
    try:
        data.tta = stats.time_to_agreement(res)
        data.tta_summary = stats.time_to_agreement_summary(res, data.tta)
    except MissingDataError as e:
        data.messages["tta"] = str(e)
    try:
        method = stats.require_sensitivity(res)
        data.sensitivity_method = method
        metrics = [m for m in (sensitivity_metrics or SENSITIVITY_METRICS) if m in res.summary_names]
        for m in metrics:
            try:
                data.sensitivity[m] = stats.sensitivity(res, m, n_boot=n_boot, conf=conf)[1]
            except MissingDataError as e:  # e.g. a metric that is NaN everywhere
                data.messages.setdefault("sensitivity_metrics", []).append(str(e))
    except MissingDataError as e:
        data.messages["sensitivity"] = str(e)
    if is_sampling_design(res) and res.design_keys:
        rc_metrics = [m for m in SENSITIVITY_METRICS if m in res.summary_names]
        data.rank_correlations = toolbox.rank_correlations(res, rc_metrics)
    for m in [m for m in ROBUSTNESS_METRICS if m in res.summary_names]:
        try:
            data.robustness[m] = toolbox.robustness(res, m)
        except MissingDataError as e:
            data.messages["robustness"] = str(e)
            break
    if is_sampling_design(res) and any(res.design_roles.get(k) == "uncertainty" for k in res.design_keys):
        for m in [m for m in ("agreements", "vulnerability_reduction") if m in res.summary_names]:
            try:
                data.discovery[m] = toolbox.scenario_discovery(res, m)
            except MissingDataError as e:
                data.messages["discovery"] = str(e)
    elif "discovery" not in data.messages:
        data.messages["discovery"] = (f"{res._where()}: scenario discovery needs a sampling design (lhs, sobol, "
                                      f"morris) with uncertainties; this is a '{res.design_method}' design")
    if not res.has_pipeline:
        data.messages["pipeline"] = f"{res._where()}: no /series/pipeline dataset"
    return data


def _row(summ: pd.DataFrame, dp: int, metric: str):
    r = summ[(summ["design_point"] == dp) & (summ["metric"] == metric)]
    return None if r.empty else r.iloc[0]


def summary_paragraphs(d: ReportData) -> list[str]:
    """The plain-language summary: headline numbers, differences, indicators vs outcomes,
    sensitivity. Returns plain-text paragraphs."""
    res, summ = d.res, d.summary
    paras = []
    reps = res.runs[res.done].groupby("design_point").size()
    n_failed = int((~res.done).sum())
    dps_text = [d.baseline] if res.n_design_points > 3 else list(res.design.index)
    if is_sampling_design(res):
        dps_text = []
        ps = pooled_summary(res).set_index("metric")
        bits = []
        for m in ["agreements", "partnerships_at_end", "partnerships_end_plus_52", "workers_reached",
                  "vulnerability_reduction"]:
            if m in ps.index and ps.at[m, "n"] > 0:
                r = ps.loc[m]
                top = max(abs(r["p05"]), abs(r["p95"]), abs(r["median"]))
                dd = _decimals(top)
                bits.append(f"{plots.metric_label(m).lower()} median {fmt_num(r['median'], decimals=dd)} "
                            f"(5–95% of runs {fmt_num(r['p05'], decimals=dd)}–{fmt_num(r['p95'], decimals=dd)})")
        varied = ", ".join(f"{k} ({res.design_roles.get(k, '')})" for k in res.design_keys)
        paras.append(f"This {res.design_method} sweep runs {res.n_design_points} design points × "
                     f"{int(reps.max()) if len(reps) else 0} replications of {res.weeks} weeks, varying {varied}. "
                     "Over all runs: " + "; ".join(bits) + ".")
    for dp in dps_text:
        paras.append(answer.level_paragraph(res, dp))
    if n_failed:
        paras.append(f"{n_failed} run(s) did not finish (status not 'done') and are left out.")
    if min(reps.tolist() or [0]) < 10 and not is_sampling_design(res):
        paras.append("Fewer than 10 replications per design point: intervals are wide; run more replications "
                     "(pse-sim run -r 30) for firmer numbers.")
    # differences
    use_main = d.main_effects is not None and res.n_design_points > 4
    if use_main:
        keym = [m for m in ["agreements", "partnerships_at_end", "partnerships_end_plus_52", "vulnerability_reduction"]
                if m in res.summary_names]
        me = d.main_effects
        for (param, lf, lt), g in me.groupby(["parameter", "level_from", "level_to"], sort=False):
            g = g.set_index("metric")
            bits = []
            for m in keym:
                if m in g.index and np.isfinite(g.at[m, "effect"]):
                    r = g.loc[m]
                    txt = f"{plots.metric_label(m).lower()} {fmt_ci(r['effect'], r['lo'], r['hi'], signed=True, n=r['n'])}"
                    if np.isfinite(r["lo"]) and r["lo"] <= 0 <= r["hi"]:
                        txt += " (not distinguishable from no change)"
                    bits.append(txt)
            if bits:
                paras.append(f"{param} from {lf} to {lt} (averaged over the other parameters): " + "; ".join(bits) + ".")
        paras.append("Main effects are " + ("paired by replication (common random numbers)." if d.crn else
                                            "Welch intervals between the groups of runs.") +
                     " Every design point's difference from the baseline is in the comparison table.")
    if d.comparison is not None and not d.comparison.empty and not use_main:
        how = ("paired by replication (common random numbers: the same seeds at every design point)"
               if d.crn else "Welch intervals (design points do not share seeds)")
        base = res.label(d.baseline)
        keym = [m for m in ["agreements", "partnerships_at_end", "partnerships_end_plus_52", "workers_reached",
                            "vulnerability_reduction"] if m in res.summary_names]
        dps = sorted(d.comparison["design_point"].unique())[:6]
        for dp in dps:
            c = d.comparison[d.comparison["design_point"] == dp].set_index("metric")
            bits = []
            for m in keym:
                if m not in c.index or not np.isfinite(c.at[m, "diff"]):
                    continue
                row = c.loc[m]
                txt = f"{plots.metric_label(m).lower()} {fmt_ci(row['diff'], row['lo'], row['hi'], signed=True, n=row['n'])}"
                if np.isfinite(row["rel_diff"]) and abs(row["mean_baseline"]) >= 1 and row["diff"] != 0 \
                        and not _is_share(res, m):
                    txt += f", {'+' if row['rel_diff'] > 0 else ''}{fmt_num(100 * row['rel_diff'], decimals=0)}% of the baseline mean"
                if np.isfinite(row["lo"]) and row["lo"] <= 0 <= row["hi"]:
                    txt += " — not distinguishable from no difference"
                bits.append(txt)
            if bits:
                paras.append(f"'{res.label(dp)}' minus '{base}': " + "; ".join(bits) + ".")
        if len(d.comparison["design_point"].unique()) > len(dps):
            paras.append("Differences for the other design points are in the comparison table.")
        paras.append(f"Differences are {how}.")
    # indicators vs outcomes
    c = d.correlations
    if not c.empty:
        row = c[(c["indicator"] == "agreements") & (c["outcome"] == "vulnerability_reduction") &
                (c["design_point"] == -1)]
        if not row.empty and np.isfinite(row.iloc[0]["rho"]):
            rho = row.iloc[0]["rho"]
            n = int(row.iloc[0]["n"])
            msg = (f"Across the {n} runs, the number of agreements signed and workers' vulnerability reduction "
                   f"have a {_strength(rho)} rank correlation (Spearman ρ = {rho:.2f})")
            if abs(rho) < 0.6:
                msg += ": counting agreements is a poor guide to what changes for workers here"
            else:
                msg += ": here more agreements do go with more impact for workers"
            if res.n_design_points > 1:
                within = c[(c["indicator"] == "agreements") & (c["outcome"] == "vulnerability_reduction") &
                           (c["design_point"] >= 0)]["rho"].to_numpy(dtype=float)
                within = within[np.isfinite(within)]
                if within.size:
                    wmed = float(np.median(within))
                    if abs(rho) - abs(wmed) > 0.2:
                        msg += (f". Much of this comes from the differences between design points: within one "
                                f"design point (same settings, different luck) the median ρ is {wmed:.2f}")
                    else:
                        msg += (f". Within one design point (same settings, different luck) the median ρ is "
                                f"{wmed:.2f}")
                    if abs(wmed) < 0.3:
                        msg += (", so for a given project design, signing more agreements says little about "
                                "what changes for workers")
            paras.append(msg + ".")
    # sensitivity
    if d.sensitivity:
        bits = []
        for m, t in d.sensitivity.items():
            if d.sensitivity_method == "sobol":
                t2 = t.sort_values("ST", ascending=False)
                top = t2.index[0]
                r0 = t2.iloc[0]
                bits.append(f"for {plots.metric_label(m).lower()}, the most influential parameter is '{top}' "
                            f"(total Sobol index {r0['ST']:.2f}, 95% CI {r0['ST_lo']:.2f} to {r0['ST_hi']:.2f}; "
                            f"first-order {r0['S1']:.2f})")
            else:
                t2 = t.sort_values("mu_star", ascending=False)
                top = t2.index[0]
                bits.append(f"for {plots.metric_label(m).lower()}, the most influential parameter is '{top}' "
                            f"(Morris μ* {fmt_num(t2.iloc[0]['mu_star'])}, σ {fmt_num(t2.iloc[0]['sigma'])})")
        note = ""
        if d.sensitivity_method == "sobol":
            nb = int(next(iter(d.sensitivity.values()))["n_base"].iloc[0])
            if nb < 256:
                note = f" These indices come from only {nb} base samples and are rough."
        paras.append("Sensitivity: " + "; ".join(bits) + "." + note)
    return paras


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.8em 0} th,td{border:1px solid #ddd;padding:3px 7px;
text-align:right} th{background:#f3f3f3} td.l,th.l{text-align:left}
.meta{color:#555;font-size:.9em} .msg{background:#fff7e0;border-left:4px solid #e0a800;padding:.6em 1em}
.summary{background:#eef5fb;border-left:4px solid #1f77b4;padding:.6em 1.2em}
figure{margin:1em 0} figcaption{color:#444;font-size:.9em;max-width:1000px} img{max-width:100%}
.note{color:#666;font-size:.85em}
details{margin:.6em 0} details>summary{cursor:pointer;color:#1f4e79;font-size:.92em}
.summary h3{margin:.6em 0 .2em;font-size:1.1em}
"""


def _table_html(df: pd.DataFrame, left_cols=(), max_rows: int = 200) -> str:
    out = ["<table><thead><tr>"]
    for c in df.columns:
        out.append(f"<th class='{'l' if c in left_cols else ''}'>{html.escape(str(c))}</th>")
    out.append("</tr></thead><tbody>")
    for _, row in df.head(max_rows).iterrows():
        out.append("<tr>")
        for c in df.columns:
            v = row[c]
            if isinstance(v, (float, np.floating)):
                s = "" if not np.isfinite(v) else (f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}")
            else:
                s = str(v)
            out.append(f"<td class='{'l' if c in left_cols else ''}'>{html.escape(s)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if len(df) > max_rows:
        out.append(f"<p class='note'>First {max_rows} of {len(df)} rows; all rows are in the CSV file.</p>")
    return "".join(out)


class _Writer:
    def __init__(self, out_dir: Path, embed: bool, dpi: int):
        self.out = out_dir
        self.embed = embed
        self.dpi = dpi
        (out_dir / "figures").mkdir(parents=True, exist_ok=True)
        (out_dir / "tables").mkdir(parents=True, exist_ok=True)
        self.figures: list[str] = []
        self.tables: list[str] = []

    def figure(self, fig, name: str, caption: str) -> str:
        path = self.out / "figures" / f"{name}.png"
        fig.savefig(path, dpi=self.dpi)
        self.figures.append(str(path))
        if self.embed:
            src = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        else:
            src = f"figures/{name}.png"
        return (f"<figure><img src='{src}' alt='{html.escape(caption[:80])}'>"
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    def table(self, df: pd.DataFrame, name: str, left_cols=(), max_rows: int = 200) -> str:
        path = self.out / "tables" / f"{name}.csv"
        df.to_csv(path, index=False)
        self.tables.append(str(path))
        return (f"<details><summary>Table: {html.escape(name.replace('_', ' '))} ({len(df)} rows) · "
                f"CSV: <a href='tables/{name}.csv'>tables/{name}.csv</a></summary>"
                + _table_html(df, left_cols, max_rows) + "</details>")



def _answer_section(res: Results, d: ReportData, w: "_Writer", n_boot: int) -> list[str]:
    """The report's first screen: per lever, the plain-language answer with intervals; the
    parameter diff of compared files; then the figures that answer it."""
    body = ["<h2>Answer</h2>"]
    if res.design_method == "files":
        diff = answer.parameter_diff(res)
        if diff.empty:
            body.append("<p class='note'>The compared files have the same parameters (they differ only in "
                        "their seeds or names).</p>")
        else:
            body.append("<p>What differs between the compared files (resolved parameters; the first file is the "
                        "baseline):</p>" + _table_html(diff, left_cols=tuple(diff.columns)))
            diff.to_csv(w.out / "tables" / "parameter_diff.csv", index=False)
    steps = answer.lever_steps(res, n_boot=max(n_boot, 200))
    d.lever_steps = steps
    paras = answer.answer_paragraphs(res, steps)
    body.append("<div class='summary'>")
    if paras:
        for heading, sentences in paras:
            body.append(f"<h3>{html.escape(heading)}</h3>" + "".join(f"<p>{html.escape(t)}</p>" for t in sentences))
    elif answer.is_sampling(res):
        for t in sampling_answer(res, d):
            body.append(f"<p>{html.escape(t)}</p>")
    else:
        body.append(f"<p>{html.escape(answer.level_paragraph(res, d.baseline, n_boot=max(n_boot, 200)))}</p>")
    if d.robustness:
        bits = []
        for m, (table, rob) in d.robustness.items():
            best = rob["max_regret"].idxmin()
            bits.append(f"for {plots.metric_label(m).lower()}, {best} (maximum regret {fmt_num(rob.at[best, 'max_regret'])}"
                        f" over {table.shape[1]} uncertainty settings)")
        body.append("<p>" + html.escape("Robust choice (smallest maximum regret across the uncertainties): "
                                        + "; ".join(bits) + ". See 'Robustness of lever settings'.") + "</p>")
    body.append("</div>")
    if not steps.empty:
        steps.to_csv(w.out / "tables" / "lever_steps.csv", index=False)
        body.append("<p class='note'>All steps with their intervals: <a href='tables/lever_steps.csv'>"
                    "tables/lever_steps.csv</a>.</p>")
        metrics = [m for m, _, _ in answer.ANSWER_METRICS if m in set(steps["metric"])]
        for key in steps["lever"].unique():
            titles = {"median_weeks_to_agreement": "Median weeks contact → agreement (each run's median, mean "
                                                   "over runs)"}
            body.append(w.figure(plots.lever_figure(steps, key, metrics, titles),
                                 f"answer_{_safe(key)}",
                                 f"{answer._lever_topic(key)}: mean over replications at each setting with its "
                                 "95% percentile-bootstrap interval (none from fewer than 5 replications)."))
        for key in answer.levers(res):
            if key.split(".")[-1] == "end_week" and "partnerships_active" in res.series_names:
                vals = sorted({v for v in res.design[key].to_numpy(dtype=float) if np.isfinite(v)})
                words = {v: answer.value_words(key, v) for v in vals}
                body.append(w.figure(plots.funding_horizon_by_level_figure(res, key, words),
                                     f"funding_horizon_by_{_safe(key)}",
                                     "Funding horizon, one panel per project length (other design parameters "
                                     "pooled within a panel): partnerships active and partnerships continuing "
                                     "after the project end, median and interquartile band over runs. Dashed: "
                                     "project end; dotted: one year later."))
    return body


def _worlds_section(res: Results, w: "_Writer") -> list[str]:
    """Posterior-integrated experiments ([experiment] posterior): every lever step as a
    distribution over the plausible worlds (answer.world_contrasts): plain sentences with the
    share of worlds in which the contrast has the same sign, the calibrated parameters that
    drive it, and the table (tables/world_contrasts.csv). Empty for other experiments."""
    K = answer.posterior_draws(res)
    if K <= 0:
        return []
    t = answer.world_contrasts(res)
    if t.empty:
        return []
    labels = {m: (lab, unit) for m, lab, unit in answer.ANSWER_METRICS}
    body = ["<h2>Across plausible worlds</h2>",
            f"<p>Each design point was run in {K} plausible worlds: the parameter sets the calibration accepted "
            f"({html.escape(str(res.attrs.get('posterior_file', '')))}), with "
            f"{res.n_runs // max(1, res.n_design_points)} replications each under common random numbers. In every "
            "world the contrast is the mean over its replications of the paired difference; below is how it is "
            "spread over the worlds (median, the interval holding 90% of the worlds, and the share of worlds in "
            "which it has the median's sign). A world's contrast still carries the noise of its few replications, "
            "so the spread is an upper bound on what the parameters alone leave open.</p><div class='summary'>"]
    for (lever, v0), grp in t.groupby(["lever", "level_from"], sort=False):
        sentences = []
        for _, r in grp.iterrows():
            lab, unit = labels.get(r["metric"], (r["metric"], ""))
            sentences.append(answer.world_sentence(r, lab, unit))
        first = grp.iloc[0]
        from . import screening
        assumed = screening.assumption_sentence(lever, float(first["level_from"]), float(first["level_to"]),
                                                {m: lab for m, (lab, _) in labels.items()})
        if assumed:
            sentences.append(assumed)
        for _, r in grp[grp["metric"].isin(["agreements", "workers_reached"])].iterrows():
            if r["drivers"]:
                sentences.append(f"Which calibrated parameters decide the contrast in "
                                 f"{labels.get(r['metric'], (r['metric'], ''))[0]} (Spearman rank correlation of "
                                 f"each world's contrast with the parameter's value there): "
                                 f"{str(r['drivers']).replace('; ', ', ')}.")
        body.append(f"<h3>{html.escape(answer._cap(first['words_from']))} → {html.escape(first['words_to'])}</h3>"
                    + "".join(f"<p>{html.escape(x)}</p>" for x in sentences))
    body.append("</div>")
    out = t.drop(columns=["worlds"])
    out.to_csv(w.out / "tables" / "world_contrasts.csv", index=False)
    body.append("<p class='note'>All steps: <a href='tables/world_contrasts.csv'>tables/world_contrasts.csv</a>. "
                "The parameters the calibration did not fit (those marked ASSUMPTION in docs/ODD.md) are held "
                "at their defaults in every world; where a screening of them is shipped for a step "
                "(scenarios/screening/), the answer names the ones it depends on most.</p>")
    return body


def _toolbox_sections(res: Results, d: ReportData, w: "_Writer") -> list[str]:
    """Rank correlations (sampling designs), robustness of lever settings across uncertainties
    (designs with both, crossed), scenario discovery by PRIM (sampling designs with uncertainties)."""
    body = []
    rc = d.rank_correlations
    if rc is not None and not rc.empty:
        body.append("<h2>Factors and outcomes (rank correlations)</h2><p>Spearman rank correlation of each "
                    "outcome with each varied parameter over all runs: +1 = the outcome rises steadily with the "
                    "parameter, −1 = it falls, 0 = no monotone relation (a parameter can still matter through "
                    "interactions; the Sobol/Morris indices, where present, capture those).</p>")
        body.append(w.figure(plots.rank_correlation_figure(rc), "rank_correlations",
                             "Spearman ρ of each outcome (rows) against each design parameter (columns), over runs."))
        body.append(w.table(rc, "rank_correlations", left_cols=("factor", "role", "metric")))
    body.append("<h2>Robustness of lever settings</h2>")
    if d.robustness:
        n_scen = next(iter(d.robustness.values()))[0].shape[1]
        body.append(f"<p>Each lever setting (policy) across the {n_scen} settings of the uncertainties (scenarios), "
                    "means over replications. Regret in a scenario = the best policy's outcome there minus this "
                    "policy's; a robust policy has a small maximum regret.</p>")
        for m, (table, rob) in d.robustness.items():
            best = rob["max_regret"].idxmin()
            r = rob.loc[best]
            body.append(f"<p><b>{html.escape(plots.metric_label(m))}</b>: the smallest maximum regret has "
                        f"<b>{html.escape(best)}</b> ({fmt_num(r['max_regret'])}; worst case {fmt_num(r['worst'])}, "
                        f"best in {int(r['best_in'])} of {n_scen} scenarios).</p>")
            body.append(w.table(rob.reset_index().rename(columns={"index": "policy"}), f"robustness_{m}",
                                left_cols=("policy",)))
            body.append(w.table(table.reset_index(), f"policy_by_scenario_{m}", left_cols=("policy",)))
    else:
        body.append(_msg("No robustness analysis: " + d.messages.get("robustness", "no levers and uncertainties")))
    body.append("<h2>Scenario discovery: when does it fail?</h2>")
    if d.discovery:
        body.append("<p>PRIM (patient rule induction) over the design points: a 'failure' is a design point whose "
                    "mean is in the bottom quarter of all design points; the box is the range of parameter values "
                    "where failures concentrate. Coverage = share of all failures inside the box; density = share "
                    "of the design points inside the box that fail.</p>")
        for m, (box, thr) in d.discovery.items():
            body.append(f"<p><b>{html.escape(plots.metric_label(m))}</b> at or below {fmt_num(thr)}: concentrated "
                        f"where {html.escape(toolbox.box_text(box))} — coverage {100 * box.coverage:.0f}%, density "
                        f"{100 * box.density:.0f}% (against {100 * box.base_density:.0f}% over the whole design; "
                        f"{box.n} design points in the box).</p>")
            body.append(w.table(box.trajectory.reset_index().rename(columns={"index": "peeling step"}),
                                f"prim_trajectory_{m}", left_cols=()))
    else:
        body.append(_msg("No scenario discovery: " + d.messages.get("discovery", "")))
    return body


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key).strip("_")


def sampling_answer(res: Results, d: ReportData) -> list[str]:
    """The answer of a sampling design (LHS, Monte Carlo, Sobol, Morris): what the outcomes depend
    on most, from the sensitivity indices or rank correlations, and which factors are levers."""
    out = []
    lev = [k for k in res.design_keys if res.design_roles.get(k) == "lever"]
    unc = [k for k in res.design_keys if res.design_roles.get(k) != "lever"]
    if d.sensitivity:
        for m, t in d.sensitivity.items():
            if d.sensitivity_method == "sobol":
                t2 = t.sort_values("ST", ascending=False)
                bits = [f"{k} (total index {r['ST']:.2f}, 95% interval {r['ST_lo']:.2f} to {r['ST_hi']:.2f})"
                        for k, r in t2.head(3).iterrows()]
            else:
                t2 = t.sort_values("mu_star", ascending=False)
                bits = [f"{k} (Morris μ* {fmt_num(r['mu_star'])})" for k, r in t2.head(3).iterrows()]
            out.append(f"{plots.metric_label(m)} depends most on " + ", then ".join(bits) + ".")
    rc = getattr(d, "rank_correlations", None)
    if rc is not None and not rc.empty and not d.sensitivity:
        for m, g in rc.groupby("metric", sort=False):
            g = g.reindex(g["rho"].abs().sort_values(ascending=False).index)
            bits = [f"{r['factor']} (Spearman ρ {r['rho']:+.2f})" for _, r in g.head(3).iterrows()
                    if np.isfinite(r["rho"])]
            if bits:
                out.append(f"{plots.metric_label(m)} rises or falls most with " + ", then ".join(bits) + ".")
    if lev and unc:
        out.append("Levers (choices a project or donor makes) in this design: " + ", ".join(lev) +
                   "; uncertainties (conditions nobody chooses): " + ", ".join(unc) + ". A lever's index says how "
                   "much of the spread its setting explains over the range sampled here, alongside the "
                   "uncertainties; it does not say which setting is best (a grid of lever settings crossed with "
                   "uncertainties answers that, in the report's robustness section).")
    if not out:
        out.append(f"This {res.design_method} design has {res.n_design_points} design points; see the sections "
                   "below.")
    return out


def _msg(text: str) -> str:
    return f"<p class='msg'>{html.escape(text)}</p>"


def build_report(paths, out_dir, baseline: int = 0, embed: bool = False, n_boot: int = 1000,
                 max_design_points: int = 16, sensitivity_metrics=None, dpi: int = 100) -> Path:
    """Write ``out_dir/index.html`` (+ ``figures/*.png``, ``tables/*.csv``) for the results file(s).

    Args:
        paths: one results file, or several to compare as design points (first = baseline 0).
        baseline: design point the differences are taken from.
        embed: put the PNGs into the HTML as data URIs (one self-contained file); they are also
            written to ``figures/``.
        n_boot: bootstrap resamples for sensitivity intervals.
        max_design_points: design points drawn separately in figures; larger sweeps are pooled.
    Returns the path of index.html. Raises ResultsFileError for unreadable files.
    """
    res = load(paths)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = analyse(res, baseline=baseline, n_boot=n_boot, sensitivity_metrics=sensitivity_metrics)
    w = _Writer(out, embed, dpi)
    body = []
    a = res.attrs
    title = f"pse-sim report — {res.scenario_name}"
    body.append(f"<h1>{html.escape(title)}</h1>")
    files = ", ".join(html.escape(os.path.basename(p)) for p in res.paths)
    reps = res.runs.groupby("design_point").size()
    rep_text = (str(int(reps.iloc[0])) if reps.nunique() == 1 else f"{int(reps.min())}–{int(reps.max())}")
    body.append(
        "<p class='meta'>"
        f"Files: {files} · {res.n_runs} runs · {res.n_design_points} design point(s) × {rep_text} replications · "
        f"{res.weeks} weeks · design: {html.escape(res.design_method)} · common random numbers: "
        f"{'yes' if d.crn else ('n/a' if res.n_design_points < 2 else 'no')}<br>"
        f"pse-sim {html.escape(str(a.get('pse_sim_version', '?')))} (commit {html.escape(str(a.get('git_commit', '?')))}), "
        f"created {html.escape(str(a.get('created_utc', '?')))}; command: <code>{html.escape(str(a.get('command_line', '')))}</code><br>"
        f"Report made {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by pse_analysis.</p>")

    # ---- the answer first
    body.extend(_answer_section(res, d, w, n_boot))
    body.extend(_worlds_section(res, w))

    # ---- summary
    body.append("<h2>Summary</h2><div class='summary'>")
    for p in summary_paragraphs(d):
        body.append(f"<p>{html.escape(p)}</p>")
    body.append("</div>")
    body.append("<p class='note'>Intervals are 95% t-intervals over replications: they describe the "
                "uncertainty of the model's mean for these settings, not a forecast range for one project. "
                "The spread of single runs is shown by the interquartile bands in the figures. "
                "For rare events (e.g. partnerships still active a year after the end) a t-interval can reach "
                "below zero: read it as 'could be zero'.</p>")

    # ---- scenario comparison
    body.append("<h2>Scenario comparison</h2>")
    metrics_io = res.summary_by_kind("indicator", "outcome")
    metrics_fig = [m for m in HEADLINE_METRICS if m in res.summary_names] + \
        [m for m in res.summary_by_kind("indicator") if m not in HEADLINE_METRICS]
    s = d.summary.copy()
    order = {m: i for i, m in enumerate(metrics_io + [m for m in res.summary_names if m not in metrics_io])}
    s = s.sort_values(["design_point", "metric"], key=lambda c: c.map(order) if c.name == "metric" else c)
    tab = s[["label", "metric", "kind", "unit", "n", "mean", "lo", "hi", "median", "q25", "q75"]].rename(
        columns={"label": "design point", "lo": "95% CI low", "hi": "95% CI high"})
    body.append("<p>Each summary metric per design point: mean over finished replications with its 95% "
                "t-interval, and the median and quartiles of single runs. <b>indicator</b> = what donors count; "
                "<b>outcome</b> = what changes for partnerships and workers; <b>state</b> = model bookkeeping. "
                "n counts the replications where the metric is defined (e.g. time to agreement needs an agreement).</p>")
    if is_sampling_design(res):
        tab.to_csv(out / "tables" / "summary_by_design_point.csv", index=False)
        body.append(f"<p>This is a {html.escape(res.design_method)} sweep of {res.n_design_points} design points: the "
                    "table shows each metric over all finished runs (per-design-point means and intervals are in "
                    "<a href='tables/summary_by_design_point.csv'>tables/summary_by_design_point.csv</a>). "
                    "Differences from design point 0 are not meaningful for a sampling design; see Sensitivity.</p>")
        body.append(w.table(pooled_summary(res), "summary_all_runs", left_cols=("metric", "kind", "unit")))
    else:
        body.append(w.table(tab, "summary_by_design_point", left_cols=("design point", "metric", "kind", "unit"),
                            max_rows=400 if res.n_design_points <= max_design_points else 60))
    if 1 < res.n_design_points <= max_design_points:
        body.append(w.figure(plots.comparison_figure(res, d.summary, metrics_fig), "comparison",
                             "Mean of each headline metric per design point with 95% confidence interval over "
                             "replications."))
    if d.comparison is not None:
        how = ("paired by replication (common random numbers: replication r has the same seed at every design "
               "point, so the interval is the t-interval of the per-replication differences)" if d.crn else
               "Welch unequal-variance t-intervals (design points do not share seeds)")
        body.append(f"<h3>Differences from '{html.escape(res.label(d.baseline))}'</h3>"
                    f"<p>Design point minus baseline, {how}. An interval that excludes 0 marks a difference "
                    "the replications resolve.</p>")
        ctab = d.comparison[d.comparison["kind"].isin(["indicator", "outcome"])][
            ["label", "metric", "kind", "mean", "mean_baseline", "diff", "lo", "hi", "rel_diff", "n", "method",
             "p_value"]].rename(columns={"label": "design point", "mean_baseline": "baseline mean",
                                         "lo": "95% CI low", "hi": "95% CI high", "rel_diff": "relative"})
        body.append(w.table(ctab, "differences_from_baseline", left_cols=("design point", "metric", "kind", "method"),
                            max_rows=400 if res.n_design_points <= max_design_points else 60))
        if res.n_design_points <= max_design_points:
            body.append(w.figure(plots.difference_figure(res, d.comparison, metrics_fig), "differences",
                                 f"Difference of each design point from '{res.label(d.baseline)}' with 95% CI."))
    if d.main_effects is not None:
        body.append("<h3>Main effects of the varied parameters</h3><p>The design is a full-factorial grid: for each "
                    "parameter, the change of each metric when it moves from its first level to another, averaged over "
                    "every combination of the other parameters" + (" (paired by replication: common random numbers)."
                                                                   if d.crn else " (Welch intervals).") + "</p>")
        body.append(w.figure(plots.main_effects_figure(d.main_effects, metrics_fig), "main_effects",
                             "Main effects with 95% confidence intervals."))
        body.append(w.table(d.main_effects.rename(columns={"lo": "95% CI low", "hi": "95% CI high"}), "main_effects",
                            left_cols=("parameter", "role", "level_from", "level_to", "metric", "kind", "method")))
    if res.n_design_points == 1 and not res.design_keys:
        body.append("<p class='note'>One design point: to compare scenarios, give several files "
                    "(e.g. <code>report part_time_only.h5 default.h5 two_specialists.h5</code>) or a sweep file.</p>")

    # ---- pipeline
    body.append("<h2>Engagement pipeline over time</h2>")
    if "pipeline" in d.messages:
        body.append(_msg(d.messages["pipeline"]))
    else:
        cap = ("Top: stacked median over replications of each active stage (stacked medians need not add up to "
               "the median total, drawn as a black line with its interquartile band). Bottom: stage groups, "
               "median and interquartile band over replications; dropped and dissolved are cumulative. "
               "Dashed line: project end.")
        if res.n_design_points <= max_design_points:
            body.append(w.figure(plots.pipeline_figure(res, d.baseline), "pipeline",
                                 f"Engagements per stage each week, '{res.label(d.baseline)}'. " + cap))
            if res.n_design_points > 1:
                body.append(w.figure(plots.pipeline_comparison_figure(res, list(res.design.index)),
                                     "pipeline_by_design_point",
                                     "Engagements per stage each week for every design point: stacked median "
                                     "over replications. Dashed line: project end."))
        else:
            body.append(w.figure(plots.pipeline_figure(res, None), "pipeline",
                                 f"Engagements per stage each week, all {res.n_design_points} design points "
                                 "pooled. " + cap))

    # ---- time to agreement
    body.append("<h2>Time from first contact to agreement</h2>")
    if "tta" in d.messages:
        body.append(_msg("Not available: " + d.messages["tta"]))
    else:
        body.append("<p>For each run and NGO–organisation pair: week of the agreement event minus the week of "
                    "the pair's first contact (the first 'targeted' or 'inbound_lead' event). WS1 = prevention "
                    "mechanisms (agreement signed); WS2 = survivor employment (company discussions reached). "
                    "Field evidence: about one year from first contact to agreement. The median in this table "
                    "is over <b>all agreements of all runs pooled</b>; the answer and the summary state the stored "
                    "per-run metric <code>median_weeks_to_agreement</code> (each run's median, averaged over "
                    "runs — the number <code>pse-sim run</code> prints), which can differ from it.</p>")
        body.append(w.figure(plots.time_to_agreement_figure(res, d.tta, max_design_points), "time_to_agreement",
                             "Distribution of weeks from first contact to agreement over all replications."))
        body.append(w.table(d.tta_summary.rename(columns={"label": "design point", "share_within_52":
                                                          "share ≤ 52 weeks"}),
                            "time_to_agreement", left_cols=("design point", "stream")))
        d.tta.to_csv(out / "tables" / "time_to_agreement_events.csv", index=False)

    # ---- funding horizon
    body.append("<h2>Funding horizon</h2>")
    fh = [n for n in ("partnerships_active", "partnerships_after_end", "workers_reached") if n in res.series_names]
    if not fh:
        body.append(_msg("The file has no partnerships_active / workers_reached series."))
    else:
        if 6 < res.n_design_points <= max_design_points:
            body.append(w.figure(plots.funding_horizon_panels_figure(res, list(res.design.index)),
                                 "funding_horizon_by_design_point",
                                 "Partnerships active and partnerships continuing after the project end, per design "
                                 "point: median and interquartile band over replications. Dashed: project end; "
                                 "dotted: one year later."))
        body.append(w.figure(plots.funding_horizon_figure(res, 6 if res.n_design_points > 6 else max_design_points),
                             "funding_horizon",
                             "Partnerships active, partnerships continuing after the project end, and workers "
                             "reached each week: median (line) and interquartile band over replications"
                             + (" of all design points pooled" if res.n_design_points > 6 else "") +
                             ". Dashed: project end (end_week of the resolved scenario or the design); dotted: one "
                             "year later."))
        rows = []
        for dp in list(res.design.index)[:max_design_points * 4]:
            end = res.design.at[dp, "end_week"]
            mask = res.done & (res.runs["design_point"].to_numpy() == dp)
            if end is None or not mask.any():
                continue
            row = {"design point": res.label(dp), "end week": int(end)}
            for n in ("partnerships_active", "workers_reached"):
                if n not in res.series_names:
                    continue
                arr = res.series(n)[mask]
                for off, lab in ((-1, "at end"), (51, "1 year after end")):
                    wk = int(end) + off
                    if 0 <= wk < res.weeks:
                        e = answer.bootstrap_mean_ci(arr[:, wk])
                        row[f"{n} {lab}"] = answer.interval_text(e.mean, e.lo, e.hi, e.n)
                    else:
                        row[f"{n} {lab}"] = "beyond horizon"
            rows.append(row)
        if rows:
            body.append("<p>Mean over replications (95% percentile-bootstrap interval) in the last project week "
                        "and 52 weeks later:</p>")
            body.append(w.table(pd.DataFrame(rows), "funding_horizon", left_cols=tuple(rows[0].keys())))

    # ---- indicators vs outcomes
    body.append("<h2>Indicators versus outcomes</h2>")
    if "vulnerability_reduction" in res.summary_names and "agreements" in res.summary_names:
        body.append("<p>Each point is one run. If counting agreements or high-level actions measured impact, "
                    "the points would line up (Spearman ρ near 1).</p>")
        body.append(w.figure(plots.indicators_outcomes_figure(res, max_design_points=max_design_points),
                             "indicators_vs_outcomes",
                             "Agreements signed and high-level actions (indicators) against vulnerability reduction "
                             "(outcome) per run, with Spearman rank correlation over all runs."))
        body.append(w.table(d.correlations, "indicator_outcome_correlations",
                            left_cols=("indicator", "outcome", "scope")))
    else:
        body.append(_msg("The file lacks the agreements or vulnerability_reduction summary metric."))

    # ---- researcher's toolbox: rank correlations, robustness, scenario discovery
    body.extend(_toolbox_sections(res, d, w))

    # ---- sensitivity
    body.append("<h2>Sensitivity</h2>")
    if "sensitivity" in d.messages:
        body.append(_msg("No sensitivity analysis: " + d.messages["sensitivity"]))
    elif d.sensitivity:
        if d.sensitivity_method == "sobol":
            body.append("<p>Sobol indices of the mean over replications at each design point. First-order S1: "
                        "share of output variance due to the parameter alone; total ST: including its "
                        "interactions. Estimators: Saltelli et al. (2010) for S1, Jansen (1999) for ST; "
                        f"{n_boot} bootstrap resamples of base samples for 95% intervals.</p>")
            n_base = int(next(iter(d.sensitivity.values()))["n_base"].iloc[0])
            reps = int(res.runs.groupby("design_point").size().max())
            body.append(f"<p class='note'>{n_base} complete base samples × {len(res.design_keys) + 2} points, "
                        f"{reps} replication(s) per point. Model noise that the replication mean does not average "
                        "out counts as variance no parameter explains, and estimates from few base samples can fall "
                        "below 0 or above 1: "
                        + ("<b>with fewer than 256 base samples these indices are rough — raise "
                           "<code>experiment.samples</code> for firm rankings.</b>" if n_base < 256 else
                           "the intervals show how firm each index is.") + "</p>")
            body.append(w.figure(plots.sobol_figure(d.sensitivity), "sensitivity_sobol",
                                 "First-order (S1) and total (ST) Sobol indices with 95% bootstrap intervals."))
            for m, t in d.sensitivity.items():
                body.append(f"<h3>{html.escape(plots.metric_label(m))}</h3>")
                body.append(w.table(t.reset_index(), f"sobol_{m}", left_cols=("parameter", "role")))
        else:
            body.append("<p>Morris elementary effects (unit-scaled) of the mean over replications: μ* ranks "
                        "influence, σ large relative to μ* signals interactions or non-linearity.</p>")
            body.append(w.figure(plots.morris_figure(d.sensitivity), "sensitivity_morris",
                                 "Morris μ* (with 95% bootstrap interval) against σ per parameter."))
            for m, t in d.sensitivity.items():
                body.append(f"<h3>{html.escape(plots.metric_label(m))}</h3>")
                body.append(w.table(t.reset_index(), f"morris_{m}", left_cols=("parameter", "role")))
        for msg in d.messages.get("sensitivity_metrics", []):
            body.append(_msg(msg))
    else:
        body.append(_msg("No sensitivity metric could be analysed: " +
                         "; ".join(d.messages.get("sensitivity_metrics", []))))

    # ---- design table for sweeps
    if res.design_keys:
        body.append("<h2>Design</h2>")
        cols = ["label"] + res.design_keys
        dt = res.design[cols].reset_index().rename(columns={"dp": "design point"})
        body.append("<p>Varied parameters (" + ", ".join(f"{html.escape(k)} [{html.escape(res.design_roles.get(k, ''))}]"
                                                         for k in res.design_keys) + ").</p>")
        body.append(w.table(dt, "design", left_cols=("label",), max_rows=100))

    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>")
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


__all__ = ["build_report", "analyse", "summary_paragraphs", "ReportData", "AnalysisError", "fmt_ci", "fmt_num"]

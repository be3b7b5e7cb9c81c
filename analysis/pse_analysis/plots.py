"""Figures for results files. Every function returns a :class:`matplotlib.figure.Figure` built
without pyplot, so it works under the Agg backend (reports, servers) and displays in notebooks.

Figures that show design points separately draw at most ``max_design_points`` of them; larger
sweeps are pooled over all runs (the caption says so).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec

from . import stats
from .io import Results

WEEKS_PER_YEAR = 52.0
_DP_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
              "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#aec7e8", "#ff9896", "#98df8a", "#ffbb78",
              "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5"]

#: Readable names of the metrics used in figures and text.
METRIC_LABELS = {
    "agreements": "Agreements signed",
    "agreements_signed": "Agreements signed (cumulative)",
    "actions_high": "High-level actions",
    "actions_low": "Low-level actions",
    "actions_medium": "Medium-level actions",
    "engagements_initiated": "Engagements initiated (WS1)",
    "share_reaching_agreement": "Share of WS1 engagements reaching agreement",
    "median_weeks_to_agreement": "Median weeks contact → agreement",
    "median_engagement_weeks": "Median weeks contact → implementation",
    "weeks_to_first_implementation": "Week of first implementation",
    "partnerships_at_end": "Partnerships active at project end",
    "partnerships_end_plus_52": "Partnerships active 1 year after end",
    "partnerships_active": "Partnerships active",
    "partnerships_after_end": "Partnerships continuing after project end",
    "workers_reached": "Workers reached",
    "vulnerability_reduction": "Vulnerability reduction (worker-equivalents)",
    "suppliers_improved": "Suppliers improved",
    "survivors_placed": "Survivors placed",
    "survivors_employed": "Survivors still employed",
    "ws2_partnerships": "Survivor-employment partnerships",
    "resources_usd": "Company resources committed (USD)",
    "resources_committed_usd": "Company resources committed (USD)",
    "staff_hours_total": "PSE staff hours",
    "hours_per_agreement": "Staff hours per agreement",
    "hours_per_thousand_workers": "Staff hours per 1000 workers reached",
    "ngos_engaging_share": "Share of NGOs engaging companies",
    "ngos_joint_activity_share": "Share of NGOs with joint activity",
    "ngos_continuing_share": "Share of NGOs continuing past first scope",
    "engagements_active": "Engagements active",
}

# Stage groups for the small multiples of the pipeline figure (names from /series/pipeline).
_STAGE_GROUPS = [
    ("WS1 early (identified … due diligence)", ["identified", "first_meeting", "interests_aligned", "due_diligence"]),
    ("WS1 concept note + negotiation", ["concept_note", "negotiation"]),
    ("WS1 partnerships (agreement … sustained)", ["agreement", "co_creation", "implementation", "sustained"]),
    ("WS2 survivor employment (all stages)", ["ws2_identified", "government_consulted", "company_discussions",
                                              "candidates_matched", "training", "placed", "supported"]),
    ("Dropped before agreement (cumulative)", ["dropped"]),
    ("Dissolved after agreement (cumulative)", ["dissolved"]),
]
_TERMINAL = {"none", "dropped", "dissolved"}


def _text_inches(labels, fontsize: float = 8.0) -> float:
    """Approximate width in inches of the longest label (average glyph ≈ 0.55 em)."""
    longest = max((len(str(x)) for x in labels), default=0)
    return longest * 0.55 * fontsize / 72.0


def _layout(fig: Figure, left: float = 0.8, right: float = 0.3, top: float = 0.5, bottom: float = 0.6,
            wspace: float | None = None, hspace: float | None = None) -> None:
    """Fixed margins in inches (much faster than constrained layout on large figures)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=min(0.6, left / w), right=max(0.4, 1 - right / w), top=max(0.5, 1 - top / h),
                        bottom=min(0.4, bottom / h), wspace=wspace, hspace=hspace)


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_", " "))


def dp_color(i: int) -> str:
    return _DP_COLORS[i % len(_DP_COLORS)]


def _years(weeks) -> np.ndarray:
    return np.asarray(weeks, dtype=float) / WEEKS_PER_YEAR


def _end_weeks(res: Results, dps) -> list[int]:
    ends = set()
    for dp in dps:
        for e in res.design.at[dp, "end_weeks"] or ():
            ends.add(int(e))
    return sorted(ends)


def _mark_ends(ax, ends, color="k", label=True):
    for i, e in enumerate(ends):
        ax.axvline(e / WEEKS_PER_YEAR, color=color, ls="--", lw=1, alpha=0.8,
                   label="project end" if (label and i == 0) else None)


def _selected_dps(res: Results, max_design_points: int) -> list[int] | None:
    """Design points to draw separately, or None to pool all runs."""
    if res.n_design_points <= max_design_points:
        return list(res.design.index)
    return None


def _stage_colors(names: list[str]) -> dict:
    import matplotlib
    ws1 = [n for n in names if n in {"identified", "first_meeting", "interests_aligned", "due_diligence",
                                     "concept_note", "negotiation", "agreement", "co_creation",
                                     "implementation", "sustained"}]
    ws2 = [n for n in names if n not in ws1 and n not in _TERMINAL]
    cm1 = matplotlib.colormaps["viridis"]
    cm2 = matplotlib.colormaps["Oranges"]
    out = {}
    for i, n in enumerate(ws1):
        out[n] = cm1(0.05 + 0.9 * i / max(1, len(ws1) - 1))
    for i, n in enumerate(ws2):
        out[n] = cm2(0.35 + 0.6 * i / max(1, len(ws2) - 1))
    return out


def pipeline_figure(res: Results, design_point: int | None = None) -> Figure:
    """Engagements per stage per week: stacked area of the median over replications of each active
    stage, with the median and interquartile band of the total; below, per stage group, median
    and IQR band. ``design_point`` None = all finished runs pooled."""
    pipe = res.pipeline()
    mask = res.done.copy()
    if design_point is not None:
        mask &= res.runs["design_point"].to_numpy() == design_point
    sub = pipe[mask].astype(np.float64)
    names = res.stage_names[:sub.shape[2]]
    weeks = np.arange(sub.shape[1])
    x = _years(weeks)
    active = [i for i, n in enumerate(names) if n not in _TERMINAL]
    med = np.median(sub, axis=0) if len(sub) else np.zeros((len(weeks), len(names)))
    q75 = np.percentile(sub, 75, axis=0) if len(sub) else med
    shown = [i for i in active if q75[:, i].max() > 0]
    colors = _stage_colors([names[i] for i in shown])
    fig = Figure(figsize=(12, 8.6))
    _layout(fig, left=0.75, right=2.3, top=0.4, bottom=0.55, wspace=0.25, hspace=0.45)
    gs = GridSpec(3, 3, figure=fig, height_ratios=[2.2, 1, 1])
    ax = fig.add_subplot(gs[0, :])
    if shown:
        ax.stackplot(x, *[med[:, i] for i in shown], labels=[names[i] for i in shown],
                     colors=[colors[names[i]] for i in shown], alpha=0.9)
    total = sub[:, :, active].sum(axis=2) if len(sub) else np.zeros((1, len(weeks)))
    tq = np.percentile(total, [25, 50, 75], axis=0)
    ax.fill_between(x, tq[0], tq[2], color="k", alpha=0.12, lw=0, label="total: IQR over replications")
    ax.plot(x, tq[1], color="k", lw=1.2, label="total: median")
    ends = _end_weeks(res, [design_point] if design_point is not None else list(res.design.index))
    _mark_ends(ax, ends)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylabel("engagements (median per stage, stacked)")
    ax.set_xlabel("years since start")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    scope = res.label(design_point) if design_point is not None else f"all {int(mask.sum())} runs pooled"
    ax.set_title(f"Engagement pipeline over time — {scope} ({int(mask.sum())} replications)")
    for gi, (title, stage_list) in enumerate(_STAGE_GROUPS):
        a = fig.add_subplot(gs[1 + gi // 3, gi % 3])
        idx = [names.index(s) for s in stage_list if s in names]
        g = sub[:, :, idx].sum(axis=2) if len(sub) and idx else np.zeros((1, len(weeks)))
        q = np.percentile(g, [25, 50, 75], axis=0)
        col = colors.get(stage_list[0], "#555555")
        a.fill_between(x, q[0], q[2], color=col, alpha=0.3, lw=0)
        a.plot(x, q[1], color=col, lw=1.3)
        _mark_ends(a, ends, label=False)
        a.set_title(title, fontsize=9)
        a.set_xlim(x[0], x[-1])
        a.tick_params(labelsize=8)
        if gi % 3 == 0:
            a.set_ylabel("engagements", fontsize=8)
        if gi >= 3:
            a.set_xlabel("years since start", fontsize=8)
    return fig


def pipeline_comparison_figure(res: Results, design_points: list[int]) -> Figure:
    """Stacked median engagements per active stage, one panel per design point (shared axes)."""
    pipe = res.pipeline()
    names = res.stage_names[:pipe.shape[2]]
    active = [i for i, n in enumerate(names) if n not in _TERMINAL]
    dp_all = res.runs["design_point"].to_numpy()
    meds = {}
    for dp in design_points:
        mask = res.done & (dp_all == dp)
        meds[dp] = (np.median(pipe[mask].astype(np.float64), axis=0) if mask.any()
                    else np.zeros(pipe.shape[1:]))
    shown = [i for i in active if any(m[:, i].max() > 0 for m in meds.values())]
    colors = _stage_colors([names[i] for i in shown])
    nrows, ncols = _grid(len(design_points), 2 if len(design_points) <= 4 else 3)
    fig = Figure(figsize=(4.6 * ncols + 2.4, 2.9 * nrows + 0.6))
    _layout(fig, left=0.7, right=2.2, top=0.55, bottom=0.55, wspace=0.15, hspace=0.45)
    x = _years(np.arange(pipe.shape[1]))
    axes = []
    for k, dp in enumerate(design_points):
        ax = fig.add_subplot(nrows, ncols, k + 1, sharey=axes[0] if axes else None)
        axes.append(ax)
        if k % ncols:
            ax.tick_params(labelleft=False)
        if shown:
            ax.stackplot(x, *[meds[dp][:, i] for i in shown], labels=[names[i] for i in shown],
                         colors=[colors[names[i]] for i in shown], alpha=0.9)
        _mark_ends(ax, _end_weeks(res, [dp]), label=False)
        ax.set_xlim(x[0], x[-1])
        ax.set_title(res.label(dp), fontsize=9)
        ax.tick_params(labelsize=8)
        if k % ncols == 0:
            ax.set_ylabel("engagements", fontsize=8)
        if k >= len(design_points) - ncols:
            ax.set_xlabel("years since start", fontsize=8)
    if axes and shown:
        h, lab = axes[0].get_legend_handles_labels()
        axes[min(ncols, len(axes)) - 1].legend(h, lab, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                                               frameon=False)
    fig.suptitle("Engagements per stage (median over replications, stacked) per design point", fontsize=10)
    return fig


def time_to_agreement_figure(res: Results, tta: pd.DataFrame, max_design_points: int = 16) -> Figure:
    """Distribution of weeks from first contact to agreement: histogram (one design point or
    pooled) or box plots per design point and work stream."""
    dps = _selected_dps(res, max_design_points)
    fig = Figure(figsize=(11, 5.2))
    many = dps is not None and len(dps) > 1
    _layout(fig, left=0.8, right=2.6 if many else 0.3, top=0.4,
            bottom=(0.9 + 0.5 * _text_inches([res.label(dp) for dp in dps], 8)) if many else 0.6)
    ax = fig.add_subplot()
    streams = [s for s in ("WS1", "WS2") if (tta["stream"] == s).any()]
    stream_names = {"WS1": "WS1 prevention mechanisms", "WS2": "WS2 survivor employment"}
    stream_colors = {"WS1": "#1f77b4", "WS2": "#ff7f0e"}
    if tta.empty:
        ax.text(0.5, 0.5, "no agreements were signed in these runs", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    if dps is None or len(dps) == 1:
        top = max(60, int(tta["weeks"].max()) + 8)
        bins = np.arange(0, top + 8, 8)
        data = [tta.loc[tta["stream"] == s, "weeks"].to_numpy() for s in streams]
        ax.hist(data, bins=bins, stacked=True, color=[stream_colors[s] for s in streams],
                label=[f"{stream_names[s]} (n = {len(d)}, median {np.median(d):.0f} wk)" for s, d in
                       zip(streams, data)], alpha=0.85)
        ax.axvline(52, color="k", ls=":", lw=1, label="1 year (field evidence: ≈ 1 year)")
        ax.set_xlabel("weeks from first contact to signed agreement")
        ax.set_ylabel("agreements (all replications)")
        scope = res.label(dps[0]) if dps else "all runs pooled"
        ax.set_title(f"Time from first contact to agreement — {scope}")
        ax.legend(fontsize=8, frameon=False)
        return fig
    pos, data, cols, ticks, ticklabels = [], [], [], [], []
    width = 0.8 / max(1, len(streams))
    for j, dp in enumerate(dps):
        for si, s in enumerate(streams):
            d = tta.loc[(tta["design_point"] == dp) & (tta["stream"] == s), "weeks"].to_numpy()
            p = j + (si - (len(streams) - 1) / 2) * width
            if d.size:
                pos.append(p)
                data.append(d)
                cols.append(stream_colors[s])
                ax.text(p, -0.02, f"n={d.size}", transform=ax.get_xaxis_transform(), ha="center",
                        va="top", fontsize=7, color=stream_colors[s])
        ticks.append(j)
        ticklabels.append(res.label(dp))
    if data:
        bp = ax.boxplot(data, positions=pos, widths=width * 0.85, patch_artist=True, showfliers=True)
        for patch, c in zip(bp["boxes"], cols):
            patch.set_facecolor(c)
            patch.set_alpha(0.6)
        for med_line in bp["medians"]:
            med_line.set_color("k")
    ax.axhline(52, color="k", ls=":", lw=1)
    ax.set_xticks(ticks)
    ax.set_xticklabels(ticklabels, rotation=20, ha="right", fontsize=8)
    ax.tick_params(axis="x", pad=14)
    ax.set_ylabel("weeks from first contact to agreement")
    handles = [ax.bar([np.nan], [np.nan], color=stream_colors[s], alpha=0.6, label=stream_names[s])
               for s in streams]
    ax.legend(handles=handles + [ax.plot([], [], "k:", lw=1, label="1 year")[0]], fontsize=8,
              frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    ax.set_title("Time from first contact to agreement per design point")
    return fig


def _grid(n: int, ncols: int = 4):
    ncols = min(ncols, max(1, n))
    nrows = int(np.ceil(n / ncols))
    return nrows, ncols


def _interval_panel(ax, dps, est, lo, hi, marker: str) -> None:
    """Point estimates with interval bars, one row per design point (few artists: fast)."""
    y = np.arange(len(dps))[::-1].astype(float)
    cols = [dp_color(dp) for dp in dps]
    fin = np.isfinite(lo) & np.isfinite(hi)
    if fin.any():
        ax.hlines(y[fin], lo[fin], hi[fin], colors=[c for c, f in zip(cols, fin) if f], lw=1.4)
        cap = 0.18
        ax.vlines(np.concatenate([lo[fin], hi[fin]]), np.tile(y[fin] - cap, 2), np.tile(y[fin] + cap, 2),
                  colors=[c for c, f in zip(cols, fin) if f] * 2, lw=1.2)
    ok = np.isfinite(est)
    if ok.any():
        ax.scatter(est[ok], y[ok], c=[c for c, f in zip(cols, ok) if f], marker=marker, s=20, zorder=3)
    ax.set_yticks(y)
    ax.set_ylim(-0.7, len(dps) - 0.3)


def comparison_figure(res: Results, summary: pd.DataFrame, metrics: list[str]) -> Figure:
    """Mean and 95% CI of each metric per design point (one panel per metric)."""
    nrows, ncols = _grid(len(metrics))
    dps = sorted(summary["design_point"].unique())
    left = _text_inches([res.label(d) for d in dps], 8) + 0.3
    fig = Figure(figsize=(3.0 * ncols + left + 0.3, (0.3 * len(dps) + 1.0) * nrows + 0.6))
    _layout(fig, left=left, right=0.2, top=0.75, bottom=0.35, wspace=0.12, hspace=0.75 / (0.3 * len(dps) + 0.3))
    for k, m in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        t = summary[summary["metric"] == m].set_index("design_point").reindex(dps)
        _interval_panel(ax, dps, t["mean"].to_numpy(float), t["lo"].to_numpy(float), t["hi"].to_numpy(float), "o")
        ax.set_yticklabels([res.label(d) for d in dps] if k % ncols == 0 else [], fontsize=8)
        kind = res.metric_kind(m)
        ax.set_title(f"{metric_label(m)}" + (f" [{kind}]" if kind == "indicator" else ""), fontsize=8.5)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Each metric per design point: mean over replications with 95% CI", fontsize=11,
                 y=1 - 0.12 / fig.get_size_inches()[1])
    return fig


def difference_figure(res: Results, comp: pd.DataFrame, metrics: list[str]) -> Figure:
    """Difference of each design point from the baseline, with 95% CI (one panel per metric)."""
    nrows, ncols = _grid(len(metrics))
    dps = sorted(comp["design_point"].unique())
    left = _text_inches([res.label(d) for d in dps], 8) + 0.3
    fig = Figure(figsize=(3.0 * ncols + left + 0.3, (0.3 * len(dps) + 1.0) * nrows + 0.6))
    _layout(fig, left=left, right=0.2, top=0.75, bottom=0.35, wspace=0.12, hspace=0.75 / (0.3 * len(dps) + 0.3))
    for k, m in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        c = comp[comp["metric"] == m].set_index("design_point").reindex(dps)
        ax.axvline(0, color="k", lw=0.8)
        _interval_panel(ax, dps, c["diff"].to_numpy(float), c["lo"].to_numpy(float), c["hi"].to_numpy(float), "s")
        ax.set_yticklabels([res.label(d) for d in dps] if k % ncols == 0 else [], fontsize=8)
        ax.set_title(metric_label(m), fontsize=8.5)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.grid(axis="x", alpha=0.3)
    base = comp["baseline"].iloc[0] if len(comp) else ""
    method = comp["method"].iloc[0] if len(comp) else ""
    fig.suptitle(f"Difference from '{base}' with 95% CI ({method})", fontsize=11,
                 y=1 - 0.12 / fig.get_size_inches()[1])
    return fig


def main_effects_figure(me: pd.DataFrame, metrics: list[str]) -> Figure:
    """Main effect of each parameter level change with 95% CI, one panel per metric."""
    me = me[me["metric"].isin(metrics)]
    rows = list(dict.fromkeys(zip(me["parameter"], me["level_from"], me["level_to"])))
    labels = [f"{_short(p)}: {a} → {b}" for p, a, b in rows]
    params = list(dict.fromkeys(me["parameter"]))
    colors = {p: dp_color(i) for i, p in enumerate(params)}
    metrics = [m for m in metrics if (me["metric"] == m).any()]
    nrows, ncols = _grid(len(metrics), 3)
    left = _text_inches(labels, 8) + 0.3
    fig = Figure(figsize=(3.2 * ncols + left + 0.3, (0.3 * len(rows) + 1.0) * nrows + 0.8))
    _layout(fig, left=left, right=0.2, top=0.75, bottom=0.35, wspace=0.12, hspace=0.75 / (0.3 * len(rows) + 0.3))
    y = np.arange(len(rows))[::-1].astype(float)
    for k, m in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        t = me[me["metric"] == m].set_index(["parameter", "level_from", "level_to"]).reindex(rows)
        est, lo, hi = (t[c].to_numpy(float) for c in ("effect", "lo", "hi"))
        cols = [colors[r[0]] for r in rows]
        ax.axvline(0, color="k", lw=0.8)
        fin = np.isfinite(lo) & np.isfinite(hi)
        ax.hlines(y[fin], lo[fin], hi[fin], colors=[c for c, f in zip(cols, fin) if f], lw=1.6)
        okm = np.isfinite(est)
        ax.scatter(est[okm], y[okm], c=[c for c, f in zip(cols, okm) if f], marker="D", s=18, zorder=3)
        ax.set_yticks(y)
        ax.set_yticklabels(labels if k % ncols == 0 else [], fontsize=8)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_title(metric_label(m), fontsize=8.5)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.grid(axis="x", alpha=0.3)
    method = me["method"].iloc[0] if len(me) else ""
    fig.suptitle(f"Main effects: change when one parameter moves from its first level, averaged over the others "
                 f"(95% CI, {method})", fontsize=10.5, y=1 - 0.12 / fig.get_size_inches()[1])
    return fig


def _short(key: str) -> str:
    return key.split(".")[-1]


def funding_horizon_panels_figure(res: Results, design_points: list[int]) -> Figure:
    """Small multiples for many design points: partnerships active and continuing after the end
    (median, IQR band) per design point, with its project end and end + 1 year marked."""
    names = [n for n in ("partnerships_active", "partnerships_after_end") if n in res.series_names]
    nrows, ncols = _grid(len(design_points), 4)
    fig = Figure(figsize=(3.6 * ncols + 1.0, 2.5 * nrows + 1.0))
    _layout(fig, left=0.7, right=0.2, top=0.85, bottom=0.55, wspace=0.12, hspace=0.5)
    x = _years(np.arange(res.weeks))
    dp_all = res.runs["design_point"].to_numpy()
    style = {"partnerships_active": ("#1f77b4", "-"), "partnerships_after_end": ("#d62728", "-")}
    arrays = {n: res.series(n) for n in names}
    axes = []
    for k, dp in enumerate(design_points):
        ax = fig.add_subplot(nrows, ncols, k + 1, sharey=axes[0] if axes else None)
        axes.append(ax)
        mask = res.done & (dp_all == dp)
        for n in names:
            if not mask.any():
                continue
            q = np.percentile(arrays[n][mask], [25, 50, 75], axis=0)
            col, ls = style[n]
            ax.fill_between(x, q[0], q[2], color=col, alpha=0.2, lw=0)
            ax.plot(x, q[1], color=col, ls=ls, lw=1.3, label=metric_label(n))
        for e in _end_weeks(res, [dp])[:6]:
            ax.axvline(e / WEEKS_PER_YEAR, color="k", ls="--", lw=0.9)
            if e + 52 < res.weeks:
                ax.axvline((e + 52) / WEEKS_PER_YEAR, color="k", ls=":", lw=0.9)
        ax.set_title(res.label(dp), fontsize=7.5)
        ax.tick_params(labelsize=7)
        ax.set_xlim(x[0], x[-1])
        if k % ncols:
            ax.tick_params(labelleft=False)
        if k >= len(design_points) - ncols:
            ax.set_xlabel("years since start", fontsize=8)
    if axes:
        h, lab = axes[0].get_legend_handles_labels()
        h += [axes[0].plot([], [], "k--", lw=0.9)[0], axes[0].plot([], [], "k:", lw=0.9)[0]]
        lab += ["project end", "1 year after project end"]
        fig.legend(h, lab, loc="upper center", ncol=4, fontsize=8, frameon=False,
                   bbox_to_anchor=(0.5, 1 - 0.3 / fig.get_size_inches()[1]))
    fig.suptitle("Funding horizon per design point (median and IQR band over replications)", fontsize=10.5,
                 y=1 - 0.08 / fig.get_size_inches()[1])
    return fig


def funding_horizon_figure(res: Results, max_design_points: int = 16,
                           names=("partnerships_active", "partnerships_after_end", "workers_reached")) -> Figure:
    """Partnerships active (and continuing after the end) and workers reached per week, median and
    IQR band over replications, with each design point's project end and end + 1 year marked."""
    names = [n for n in names if n in res.series_names]
    dps = _selected_dps(res, max_design_points)
    labels = [res.label(dp) for dp in dps] if dps is not None else ["all runs"]
    right = _text_inches(labels + ["1 year after project end"], 8) + 0.7
    fig = Figure(figsize=(9 + right, 3.2 * max(1, len(names)) + 0.5))
    _layout(fig, left=0.9, right=right, top=0.4, bottom=0.55, hspace=0.25)
    ok = res.done
    dp_all = res.runs["design_point"].to_numpy()
    groups = [(dp, ok & (dp_all == dp)) for dp in dps] if dps is not None else [(None, ok)]
    for k, name in enumerate(names):
        ax = fig.add_subplot(len(names), 1, k + 1)
        arr = res.series(name)
        x = _years(np.arange(res.weeks))
        for dp, mask in groups:
            if not mask.any():
                continue
            q = np.percentile(arr[mask], [25, 50, 75], axis=0)
            col = dp_color(dp) if dp is not None else "#1f77b4"
            lab = res.label(dp) if dp is not None else "all runs"
            ax.fill_between(x, q[0], q[2], color=col, alpha=0.18, lw=0)
            ax.plot(x, q[1], color=col, lw=1.5, label=lab)
            ends = _end_weeks(res, [dp] if dp is not None else list(res.design.index))
            for e in ends[:6]:
                ax.axvline(e / WEEKS_PER_YEAR, color=col, ls="--", lw=1)
                if e + 52 < res.weeks:
                    ax.axvline((e + 52) / WEEKS_PER_YEAR, color=col, ls=":", lw=1)
        ax.set_ylabel(metric_label(name), fontsize=9)
        ax.set_xlim(x[0], x[-1])
        ax.grid(alpha=0.3)
        if k == 0:
            handles, labels = ax.get_legend_handles_labels()
            handles += [ax.plot([], [], "k--", lw=1)[0], ax.plot([], [], "k:", lw=1)[0]]
            labels += ["project end", "1 year after project end"]
            ax.legend(handles, labels, fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
            ax.set_title("Funding horizon: what is active before and after the project ends "
                         "(median, IQR band over replications)")
        if k == len(names) - 1:
            ax.set_xlabel("years since start")
    return fig


def indicators_outcomes_figure(res: Results, indicators=("agreements", "actions_high"),
                               outcome: str = "vulnerability_reduction", max_design_points: int = 16,
                               seed: int = 0) -> Figure:
    """Per run: each indicator against the outcome, coloured by design point, Spearman ρ in titles.
    Integer indicators get a small horizontal jitter (±0.15) so equal values stay visible."""
    indicators = [i for i in indicators if i in res.summary_names]
    ok = res.ok_runs
    dps = _selected_dps(res, max_design_points)
    right = (_text_inches([res.label(dp) for dp in dps], 8) + 0.7) if dps is not None and len(dps) > 1 else 0.3
    fig = Figure(figsize=(5.0 * max(1, len(indicators)) + right + 0.6, 4.9))
    _layout(fig, left=0.8, right=right, top=0.95, bottom=0.6, wspace=0.3)
    rng = np.random.default_rng(seed)
    for k, ind in enumerate(indicators):
        ax = fig.add_subplot(1, len(indicators), k + 1)
        xv = ok[ind].to_numpy(dtype=float)
        yv = ok[outcome].to_numpy(dtype=float)
        jitter = rng.uniform(-0.15, 0.15, size=xv.size) if np.allclose(xv[np.isfinite(xv)] % 1, 0) else 0
        if dps is None:
            ax.scatter(xv + jitter, yv, s=12, alpha=0.5, color="#1f77b4", label="runs")
        else:
            dpv = ok["design_point"].to_numpy()
            for dp in dps:
                m = dpv == dp
                ax.scatter((xv + jitter)[m], yv[m], s=18, alpha=0.75, color=dp_color(dp), label=res.label(dp))
        c = stats.spearman(xv, yv)
        ax.set_xlabel(metric_label(ind) + " per run [indicator]")
        ax.set_ylabel(metric_label(outcome) + " [outcome]")
        title = f"Spearman ρ = {c.rho:.2f} (n = {c.n} runs)"
        if dps is not None and 1 < len(dps) <= 4:
            dpv = ok["design_point"].to_numpy()
            within = [stats.spearman(xv[dpv == dp], yv[dpv == dp]).rho for dp in dps]
            title += "\nwithin design points: " + ", ".join("n/a" if not np.isfinite(w) else f"{w:.2f}"
                                                           for w in within)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        if k == len(indicators) - 1 and dps is not None and len(dps) > 1:
            ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    fig.suptitle("Do the counted indicators track what changes for workers?", fontsize=11)
    return fig


def sobol_figure(tables: dict, conf: float = 0.95) -> Figure:
    """First-order and total Sobol indices with bootstrap intervals, one panel per metric."""
    n = len(tables)
    names = [str(i) for t in tables.values() for i in t.index]
    left = _text_inches(names, 8) + 0.3
    rows = int(np.ceil(n / 2))
    fig = Figure(figsize=(5.0 * min(n, 2) + left * min(n, 2), 0.6 + 3.4 * rows))
    _layout(fig, left=left, right=0.3, top=0.4, bottom=0.6, wspace=left / 5.0 + 0.1, hspace=0.5)
    for k, (metric, t) in enumerate(tables.items()):
        ax = fig.add_subplot(int(np.ceil(n / 2)), min(n, 2), k + 1)
        t = t.sort_values("ST", ascending=True)
        y = np.arange(len(t))
        h = 0.38
        for off, col, key, lab in ((h / 2, "#1f77b4", "S1", "first-order S1"),
                                   (-h / 2, "#d62728", "ST", "total ST")):
            v = t[key].to_numpy()
            err = np.vstack([v - t[f"{key}_lo"].to_numpy(), t[f"{key}_hi"].to_numpy() - v])
            err = np.where(np.isfinite(err), np.maximum(err, 0), 0)
            ax.barh(y + off, v, height=h, color=col, alpha=0.8, xerr=err, capsize=2, label=lab)
        ax.set_yticks(y)
        ax.set_yticklabels(list(t.index), fontsize=8)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(metric_label(metric), fontsize=10)
        ax.set_xlabel(f"Sobol index ({int(conf * 100)}% bootstrap CI)", fontsize=8)
        if k == 0:
            ax.legend(fontsize=8, frameon=False)
    return fig


def morris_figure(tables: dict) -> Figure:
    """Morris μ* against σ per parameter (with the μ* bootstrap interval), one panel per metric."""
    n = len(tables)
    fig = Figure(figsize=(6.0 * min(n, 2), 0.6 + 4.0 * int(np.ceil(n / 2))))
    _layout(fig, left=0.8, right=0.3, top=0.4, bottom=0.6, wspace=0.3, hspace=0.4)
    for k, (metric, t) in enumerate(tables.items()):
        ax = fig.add_subplot(int(np.ceil(n / 2)), min(n, 2), k + 1)
        ms, sg = t["mu_star"].to_numpy(), t["sigma"].to_numpy()
        err = np.vstack([ms - t["mu_star_lo"].to_numpy(), t["mu_star_hi"].to_numpy() - ms])
        err = np.where(np.isfinite(err), np.maximum(err, 0), 0)
        ax.errorbar(ms, sg, xerr=err, fmt="o", color="#1f77b4", capsize=2)
        for name, a, b in zip(t.index, ms, sg):
            ax.annotate(str(name), (a, b), fontsize=7, xytext=(3, 3), textcoords="offset points")
        top = np.nanmax(np.concatenate([ms, sg])) if len(ms) else 1
        if np.isfinite(top) and top > 0:
            ax.plot([0, top], [0, top], color="k", ls=":", lw=0.8)
        ax.set_xlabel("μ* (mean |elementary effect|)")
        ax.set_ylabel("σ (interaction / non-linearity)")
        ax.set_title(metric_label(metric), fontsize=10)
        ax.grid(alpha=0.3)
    return fig


# ---------------------------------------------------------------------------------------------
# Figures of the answer (readable at page width: 11-13 pt type on a 10-inch-wide figure)
# ---------------------------------------------------------------------------------------------
_ANSWER_FONT = 11.0


def lever_figure(steps: pd.DataFrame, lever: str, metrics: list[str], titles: dict | None = None) -> Figure:
    """One panel per metric: the mean at each level of one lever with its 95% bootstrap interval
    (none drawn from fewer than 5 replications), levels in order along x, labelled in words.

    steps: the rows of :func:`pse_analysis.answer.lever_steps` for this lever."""
    g = steps[steps["lever"] == lever]
    metrics = [m for m in metrics if m in set(g["metric"])]
    ncols = min(3, max(1, len(metrics)))
    nrows = int(np.ceil(len(metrics) / ncols)) or 1
    fig = Figure(figsize=(10.5, 3.6 * nrows + 0.9))
    _layout(fig, left=0.75, right=0.25, top=0.75, bottom=1.3, wspace=0.38, hspace=1.1)
    for k, m in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        s = g[g["metric"] == m]
        words = [s.iloc[0]["words_from"]] + list(s["words_to"])
        mean = [s.iloc[0]["mean_from"]] + list(s["mean_to"])
        lo = [s.iloc[0]["lo_from"]] + list(s["lo_to"])
        hi = [s.iloc[0]["hi_from"]] + list(s["hi_to"])
        x = np.arange(len(words))
        ax.plot(x, mean, "o-", color="#1f77b4", lw=1.5, ms=7)
        for xi, m0, l0, h0 in zip(x, mean, lo, hi):
            if np.isfinite(l0) and np.isfinite(h0):
                ax.plot([xi, xi], [l0, h0], color="#1f77b4", lw=2.5, alpha=0.6)
        ax.set_xticks(x)
        ax.set_xticklabels([_wrap(w, 13) for w in words], fontsize=_ANSWER_FONT - 2.5)
        ax.set_title(_wrap((titles or {}).get(m, metric_label(m)), 34), fontsize=_ANSWER_FONT)
        ax.tick_params(axis="y", labelsize=_ANSWER_FONT - 1)
        ax.set_xlim(-0.4, len(words) - 0.6)
        ax.grid(alpha=0.3, axis="y")
        lo_y = np.nanmin([v for v in lo + mean if np.isfinite(v)] or [0])
        if lo_y >= 0:
            ax.set_ylim(bottom=0)
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def funding_horizon_by_level_figure(res: Results, key: str, words: dict | None = None) -> Figure:
    """Funding horizon with one panel per level of a lever (e.g. each project end date), so that
    3-, 5-, 7- and 10-year projects are never pooled into one median: partnerships active and
    partnerships continuing after the project end, median and IQR band over all runs at that
    level (the other design parameters pooled), with that level's project end and end + 1 year."""
    names = [n for n in ("partnerships_active", "partnerships_after_end") if n in res.series_names]
    vals = res.design[key].to_numpy(dtype=float)
    levels = sorted({v for v in vals if np.isfinite(v)})
    ncols = min(2, max(1, len(levels)))
    nrows = int(np.ceil(len(levels) / ncols))
    fig = Figure(figsize=(10.5, 3.0 * nrows + 1.0))
    _layout(fig, left=0.8, right=0.25, top=0.9, bottom=0.65, wspace=0.12, hspace=0.55)
    x = _years(np.arange(res.weeks))
    dp_all = res.runs["design_point"].to_numpy()
    arrays = {n: res.series(n) for n in names}
    colors = {"partnerships_active": "#1f77b4", "partnerships_after_end": "#d62728"}
    axes = []
    for k, v in enumerate(levels):
        ax = fig.add_subplot(nrows, ncols, k + 1, sharey=axes[0] if axes else None)
        axes.append(ax)
        dps = list(res.design.index[vals == v])
        mask = res.done & np.isin(dp_all, dps)
        for n in names:
            if mask.any():
                q = np.percentile(arrays[n][mask], [25, 50, 75], axis=0)
                ax.fill_between(x, q[0], q[2], color=colors[n], alpha=0.2, lw=0)
                ax.plot(x, q[1], color=colors[n], lw=1.6, label=metric_label(n))
        for e in _end_weeks(res, dps)[:6]:
            ax.axvline(e / WEEKS_PER_YEAR, color="k", ls="--", lw=1)
            if e + 52 < res.weeks:
                ax.axvline((e + 52) / WEEKS_PER_YEAR, color="k", ls=":", lw=1)
        ax.set_title((words or {}).get(v, f"{_short(key)} = {v:g}") + f" ({int(mask.sum())} runs)",
                     fontsize=_ANSWER_FONT)
        ax.tick_params(labelsize=_ANSWER_FONT - 1)
        ax.set_xlim(x[0], x[-1])
        ax.grid(alpha=0.3)
        if k % ncols:
            ax.tick_params(labelleft=False)
        if k >= len(levels) - ncols:
            ax.set_xlabel("years since start", fontsize=_ANSWER_FONT)
    if axes:
        h, lab = axes[0].get_legend_handles_labels()
        h += [axes[0].plot([], [], "k--", lw=1)[0], axes[0].plot([], [], "k:", lw=1)[0]]
        lab += ["project end", "1 year after project end"]
        fig.legend(h, lab, loc="upper center", ncol=4, fontsize=_ANSWER_FONT - 1, frameon=False,
                   bbox_to_anchor=(0.5, 1 - 0.05 / fig.get_size_inches()[1]))
    return fig


def rank_correlation_figure(table: pd.DataFrame) -> Figure:
    """Heat map of Spearman rank correlations, outcomes (rows) against design factors (columns),
    each cell labelled with its value; table: columns factor, metric, rho."""
    piv = table.pivot(index="metric", columns="factor", values="rho")
    fig = Figure(figsize=(min(10.5, 2.0 + 1.6 * piv.shape[1]), 1.2 + 0.6 * piv.shape[0]))
    left = _text_inches([metric_label(m) for m in piv.index], _ANSWER_FONT - 1) + 0.4
    _layout(fig, left=left, right=1.1, top=0.35, bottom=1.4)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(piv.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(piv.shape[1]))
    ax.set_xticklabels([_wrap(_short(c), 14) for c in piv.columns], fontsize=_ANSWER_FONT - 1)
    ax.set_yticks(range(piv.shape[0]))
    ax.set_yticklabels([metric_label(m) for m in piv.index], fontsize=_ANSWER_FONT - 1)
    for i in range(piv.shape[0]):
        for j in range(piv.shape[1]):
            v = piv.iat[i, j]
            ax.text(j, i, "n/a" if not np.isfinite(v) else f"{v:+.2f}", ha="center", va="center",
                    fontsize=_ANSWER_FONT - 1, color="white" if np.isfinite(v) and abs(v) > 0.6 else "black")
    cb = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    cb.ax.tick_params(labelsize=_ANSWER_FONT - 2)
    cb.set_label("Spearman ρ", fontsize=_ANSWER_FONT - 1)
    return fig

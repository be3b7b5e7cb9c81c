"""Write small synthetic results files in the layout of docs/OUTPUT.md (format_version 1)."""
from __future__ import annotations

import h5py
import numpy as np

STAGES = ["none", "identified", "first_meeting", "interests_aligned", "due_diligence", "concept_note",
          "negotiation", "agreement", "co_creation", "implementation", "sustained", "ws2_identified",
          "government_consulted", "company_discussions", "candidates_matched", "training", "placed",
          "supported", "dropped", "dissolved"]
EVENT_TYPES = ["none", "transition", "agreement", "dropped", "dissolved", "project_end", "turnover",
               "tier_downgrade", "media_shock", "abuse_found", "abuse_reported", "nda_leak", "brokerage",
               "supplier_improved", "inbound_lead", "targeted", "placement", "budget_cut", "follow_on",
               "screened_out"]
KINDS = {"agreements": "indicator", "actions_high": "indicator", "vulnerability_reduction": "outcome",
         "workers_reached": "outcome", "partnerships_at_end": "outcome", "partnerships_end_plus_52": "outcome",
         "agreements_signed": "indicator", "partnerships_active": "outcome"}


def resolved_text(end_week=260, extra_ngos=()):
    """A minimal resolved scenario with [ngo_defaults] end_week (and optional [[ngo]] tables)."""
    txt = f'[run]\nname = "synthetic"\nweeks = 10\n\n[ngo_defaults]\nname = "x"\nstart_week = 0\nend_week = {end_week}\n'
    for e in extra_ngos:
        txt += f'\n[[ngo]]\nname = "n{e}"\nstart_week = 0\nend_week = {e}\n'
    return txt


def write_results(path, *, n_design_points=1, replications=3, weeks=8, summary=None, seeds=None, status=None,
                  series=None, pipeline=None, events=None, design=None, design_method=None, root_attrs=None,
                  resolved=None, scenario_name="synthetic", format_version=1, point_labels=None, value_labels=None):
    """Write a results file. ``summary``/``series`` map names to arrays [n_runs] / [n_runs, weeks];
    ``design`` maps keys to (values [n_dp], role[, (low, high)]); ``events`` maps column -> array."""
    n_runs = n_design_points * replications
    summary = summary or {}
    dp = np.repeat(np.arange(n_design_points), replications)
    rep = np.tile(np.arange(replications), n_design_points)
    if seeds is None:
        seeds = np.tile(np.arange(replications, dtype=np.uint64) + 1000, n_design_points)
    sdt = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        attrs = dict(format="pse-sim results", format_version=np.int64(format_version), pse_sim_version="test",
                     git_commit="none", created_utc="2026-01-01T00:00:00Z", command_line="synthetic",
                     host="test", scenario_name=scenario_name, weeks=np.int64(weeks), n_runs=np.int64(n_runs),
                     n_design_points=np.int64(n_design_points), replications=np.int64(replications))
        if design_method is not None:
            attrs["design_method"] = design_method
        attrs.update(root_attrs or {})
        for k, v in attrs.items():
            f.attrs[k] = v
        inp = f.create_group("inputs")
        inp.create_dataset("file_names", data=np.array(["synthetic.toml"], dtype=object), dtype=sdt)
        inp.create_dataset("file_texts", data=np.array(["# synthetic"], dtype=object), dtype=sdt)
        res_txt = resolved if resolved is not None else [resolved_text()] * n_design_points
        inp.create_dataset("resolved", data=np.array(res_txt, dtype=object), dtype=sdt)
        dg = f.create_group("design")
        keys = list((design or {}).keys())
        dg.create_dataset("_keys", data=np.array(keys, dtype=object), dtype=sdt)
        for k, spec in (design or {}).items():
            vals, role = spec[0], spec[1]
            d = dg.create_dataset(k.replace("/", "_"), data=np.asarray(vals, dtype=np.float64))
            d.attrs["key"] = k
            d.attrs["role"] = role
            if len(spec) > 2:  # (low, high) bounds
                d.attrs["low"], d.attrs["high"] = float(spec[2][0]), float(spec[2][1])
            if value_labels and k in value_labels:
                d.attrs["labels"] = np.array(value_labels[k], dtype=object)
        if point_labels is not None:
            dg.create_dataset("_labels", data=np.array(point_labels, dtype=object), dtype=sdt)
        g = f.create_group("runs")
        g["run_id"] = np.arange(n_runs, dtype=np.int64)
        g["design_point"] = dp.astype(np.int64)
        g["replication"] = rep.astype(np.int64)
        g["seed"] = np.asarray(seeds, dtype=np.uint64)
        g["status"] = np.asarray(status if status is not None else np.ones(n_runs), dtype=np.int8)
        g.create_dataset("error", data=np.array([""] * n_runs, dtype=object), dtype=sdt)
        g["wall_seconds"] = np.full(n_runs, 0.01)
        sg = g.create_group("summary")
        for name, v in summary.items():
            d = sg.create_dataset(name, data=np.asarray(v, dtype=np.float64))
            d.attrs["unit"] = "units"
            d.attrs["kind"] = KINDS.get(name, "outcome")
            d.attrs["description"] = f"synthetic {name}"
        se = f.create_group("series")
        for name, v in (series or {}).items():
            d = se.create_dataset(name, data=np.asarray(v, dtype=np.float64).reshape(n_runs, weeks))
            d.attrs["unit"] = "units"
            d.attrs["kind"] = KINDS.get(name, "outcome")
            d.attrs["description"] = f"synthetic {name}"
        if pipeline is not None:
            d = se.create_dataset("pipeline", data=np.asarray(pipeline, dtype=np.float32))
            d.attrs["stage_names"] = np.array(STAGES, dtype=object)
            d.attrs["unit"] = "engagements"
        if events is not None:
            ev = f.create_group("events")
            types = {"run": np.int64, "week": np.int32, "ngo": np.int32, "org": np.int64, "type": np.uint8,
                     "stage_from": np.uint8, "stage_to": np.uint8}
            n = len(events["run"])
            for k, t in types.items():
                ev.create_dataset(k, data=np.asarray(events.get(k, np.zeros(n)), dtype=t))
            ev.attrs["type_names"] = np.array(EVENT_TYPES, dtype=object)
            ev.attrs["stage_names"] = np.array(STAGES, dtype=object)
    return path


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def saltelli_design(n_base, bounds, seed=1):
    """Design matrix [N*(k+2), k] in the order A_j, B_j, AB_j^(1..k) (AB^(i) = A with column i from B)."""
    from scipy.stats import qmc
    k = len(bounds)
    u = qmc.Sobol(d=2 * k, scramble=True, seed=seed).random(n_base)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    a = lo + u[:, :k] * (hi - lo)
    b = lo + u[:, k:] * (hi - lo)
    rows = []
    for j in range(n_base):
        rows.append(a[j])
        rows.append(b[j])
        for i in range(k):
            ab = a[j].copy()
            ab[i] = b[j, i]
            rows.append(ab)
    return np.array(rows)


def morris_design(r, k, levels=4, bounds=None, seed=2):
    """r Morris trajectories of k+1 points on a p-level grid, one parameter changed per step."""
    rng = np.random.default_rng(seed)
    delta = levels / (2 * (levels - 1))
    grid = np.arange(levels) / (levels - 1)
    base_choices = grid[grid <= 1 - delta + 1e-12]
    pts = []
    for _ in range(r):
        x = rng.choice(base_choices, size=k)
        up = rng.random(k) < 0.5
        x = np.where(up, x, x + delta)           # start low to step up, or high to step down
        traj = [x.copy()]
        for i in rng.permutation(k):
            x = x.copy()
            x[i] = x[i] + delta if up[i] else x[i] - delta
            traj.append(x)
        pts.extend(traj)
    u = np.array(pts)
    if bounds is not None:
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        u = lo + u * (hi - lo)
    return u

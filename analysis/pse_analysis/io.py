"""Load pse-sim results files (docs/OUTPUT.md, format_version 1) into pandas in one call.

    >>> from pse_analysis import load
    >>> res = load("results/default.h5")              # or load(["a.h5", "b.h5"]) to compare files
    >>> res.runs            # one row per run: ids, seed, status, every /runs/summary metric
    >>> res.design          # one row per design point: label, scenario, end_week, varied parameters
    >>> res.metrics         # name, group (summary|series), unit, kind, description
    >>> res.series_wide("partnerships_active")        # [run x week] DataFrame
    >>> res.series_long(["agreements_signed"])        # tidy: run_id, design_point, replication, week, metric, value
    >>> res.pipeline()      # ndarray [run, week, stage]; res.stage_names
    >>> res.events()        # DataFrame of engagement events with type and stage names
    >>> v, e = res.network(0)  # generated network of run 0 (if stored with --network)

Data flow: the small tables (runs, summary, design, inputs, attributes) are read when the file is
opened; the large datasets (series, pipeline, events) are read on first use and cached, so opening
a file of 10^5 runs is quick.

Several files (e.g. ``part_time_only.h5`` and ``two_specialists.h5``) can be loaded together: each
file's design points are appended in the order given and labelled by scenario name, runs are
renumbered (``run_id`` global; ``source_run_id`` the id inside its file). Files made from one
master seed use the same replication seeds, so comparisons between them are paired (common random
numbers); ``pse_analysis.stats.uses_crn`` checks this from ``/runs/seed``.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import h5py
import numpy as np
import pandas as pd

from .errors import MissingDataError, ResultsFileError
from .keys import field_name, split_key

#: Highest results format version this package understands.
FORMAT_VERSION = 1
#: Design methods that carry a sensitivity design (see README "Sensitivity designs").
SENSITIVITY_METHODS = ("sobol", "morris")

_RUN_COLUMNS = ("run_id", "design_point", "replication", "seed", "status", "error", "wall_seconds")


def _text(x) -> str:
    """Decode an h5py string value (bytes, numpy bytes or str) to str."""
    if isinstance(x, (bytes, np.bytes_)):
        return x.decode("utf-8", "replace")
    if isinstance(x, np.ndarray) and x.shape == ():
        return _text(x[()])
    return str(x)


def _texts(values) -> list[str]:
    return [_text(v) for v in np.asarray(values).ravel()]


def _attr_value(v):
    """Root attribute to a Python scalar (str, int or float)."""
    if isinstance(v, (bytes, np.bytes_, str)):
        return _text(v)
    if isinstance(v, np.ndarray):
        if v.shape == () or v.size == 1:
            return _attr_value(v.ravel()[0])
        return [_attr_value(x) for x in v]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def parse_project_weeks(resolved: str) -> dict:
    """Project start and end weeks from one resolved scenario text (``/inputs/resolved``).

    Returns ``{"start_week", "end_week", "end_weeks"}``: ``end_week`` is the end of the first
    project (the first ``[[ngo]]`` table if the scenario lists NGOs, else ``[ngo_defaults]``),
    ``end_weeks`` the sorted distinct end weeks of all listed projects. Values are None when the
    text has no such key.
    """
    out = {"start_week": None, "end_week": None, "end_weeks": ()}
    try:
        doc = tomllib.loads(resolved)
    except tomllib.TOMLDecodeError:
        doc = None
    if doc is not None:
        defaults = doc.get("ngo_defaults", {}) or {}
        ngos = doc.get("ngo", []) or []
        tables = ngos if ngos else [defaults]
        ends = [int(t["end_week"]) for t in tables if "end_week" in t]
        starts = [int(t["start_week"]) for t in tables if "start_week" in t]
        if ends:
            out["end_week"] = ends[0]
            out["end_weeks"] = tuple(sorted(set(ends)))
        if starts:
            out["start_week"] = starts[0]
        return out
    # Fallback for a text tomllib rejects: the [ngo_defaults] line `end_week = N`.
    m = re.search(r"^\[ngo_defaults\][^\[]*?^end_week\s*=\s*(-?\d+)", resolved, re.M | re.S)
    if m:
        out["end_week"] = int(m.group(1))
        out["end_weeks"] = (int(m.group(1)),)
    m = re.search(r"^\[ngo_defaults\][^\[]*?^start_week\s*=\s*(-?\d+)", resolved, re.M | re.S)
    if m:
        out["start_week"] = int(m.group(1))
    return out


def _fmt_value(v: float) -> str:
    return f"{v:.4g}" if np.isfinite(v) else "nan"


@dataclass
class _Source:
    path: str
    run_offset: int
    n_runs: int
    dp_offset: int
    n_design_points: int
    weeks: int


@dataclass
class Results:
    """A results file (or several, compared as design points) as pandas tables.

    Attributes:
        paths: the files read, in order.
        attrs: root attributes of the first file (format, scenario_name, weeks, ...).
        runs: one row per run, index ``run_id`` (also a column): design_point, replication, seed
            (uint64), status (0 not run, 1 done, 2 failed), error, wall_seconds, source (file
            index), source_run_id, and one float column per ``/runs/summary`` metric.
        design: one row per design point, index ``design_point``: label, scenario, source,
            start_week, end_week (first project's end week), end_weeks (all distinct end weeks),
            resolved (scenario text), and one column per varied parameter (``design_keys``).
        design_keys: varied parameters in ``/design/_keys`` order (empty for ``run`` files).
        design_roles: key -> 'lever' | 'uncertainty'.
        design_bounds: key -> (low, high) from attributes low/high (or min/max) of the /design
            dataset, else min/max of the factor in the experiment file's [experiment] table
            (/inputs/file_texts); used to scale Morris elementary effects.
        design_value_labels: key -> text of each coded value (choice factors: attribute
            ``labels`` of the /design dataset; booleans: false/true).
        design_attrs: sobol_base_samples, morris_trajectories, morris_levels when present.
        design_method: 'single', 'grid', 'list', 'lhs', 'sobol', 'morris' (root attribute
            ``design_method``; 'single' when absent and nothing varied; 'files' for several files).
        metrics: one row per metric (summary and series; a name can appear in both): name,
            group ('summary' | 'series'), unit, kind ('indicator' | 'outcome' | 'state'),
            description.
        summary_names, series_names: metric names available.
        weeks: weeks per run.
        stage_names: engagement stage names (index = stage code).
        event_type_names: event type names (index = type code).
    """

    paths: list[str]
    attrs: dict
    runs: pd.DataFrame
    design: pd.DataFrame
    design_keys: list[str]
    design_roles: dict
    design_method: str
    design_attrs: dict
    design_bounds: dict
    design_value_labels: dict
    metrics: pd.DataFrame
    summary_names: list[str]
    series_names: list[str]
    weeks: int
    stage_names: list[str]
    event_type_names: list[str]
    has_pipeline: bool
    has_events: bool
    _sources: list[_Source] = field(default_factory=list, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    # ---- convenience properties -----------------------------------------------------------------
    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def n_design_points(self) -> int:
        return len(self.design)

    @property
    def scenario_name(self) -> str:
        names = list(dict.fromkeys(self.design["scenario"]))
        return " vs ".join(names)

    @property
    def done(self) -> np.ndarray:
        """Boolean mask over runs: status == 1 (done)."""
        return self.runs["status"].to_numpy() == 1

    @property
    def ok_runs(self) -> pd.DataFrame:
        """Runs that finished (status 1)."""
        return self.runs[self.done]

    def label(self, design_point: int) -> str:
        return str(self.design.at[int(design_point), "label"])

    def metric_info(self, name: str, group: str = "summary") -> dict:
        """unit, kind and description of a metric (``group`` 'summary' or 'series' preferred)."""
        key = ("metric_info", name, group)
        if key not in self._cache:
            rows = self.metrics[self.metrics["name"] == name]
            if rows.empty:
                self._cache[key] = {"name": name, "group": "", "unit": "", "kind": "", "description": ""}
            else:
                pref = rows[rows["group"] == group]
                self._cache[key] = (pref if not pref.empty else rows).iloc[0].to_dict()
        return dict(self._cache[key])

    def metric_kind(self, name: str, group: str = "summary") -> str:
        return str(self.metric_info(name, group)["kind"])

    def metric_unit(self, name: str, group: str = "summary") -> str:
        return str(self.metric_info(name, group)["unit"])

    def summary_by_kind(self, *kinds: str) -> list[str]:
        """Summary metric names of the given kinds, in file order."""
        return [m for m in self.summary_names if self.metric_kind(m) in kinds]

    # ---- large datasets, read on demand ------------------------------------------------------------
    def series(self, name: str) -> np.ndarray:
        """Weekly series ``/series/<name>`` as float64 ndarray [run, week] (all files stacked)."""
        if name not in self.series_names:
            raise MissingDataError(
                f"{self._where()}: no weekly series '{name}' (available: {', '.join(self.series_names)})")
        key = ("series", name)
        if key not in self._cache:
            parts = []
            for s in self._sources:
                with h5py.File(s.path, "r") as f:
                    parts.append(np.asarray(f["series"][name][:], dtype=np.float64).reshape(s.n_runs, s.weeks))
            self._cache[key] = np.vstack(parts) if len(parts) > 1 else parts[0]
        return self._cache[key]

    def series_wide(self, name: str) -> pd.DataFrame:
        """One series as a DataFrame: index run_id, columns week (0..weeks-1)."""
        arr = self.series(name)
        return pd.DataFrame(arr, index=self.runs.index, columns=pd.RangeIndex(self.weeks, name="week"))

    def series_long(self, names: Iterable[str] | None = None, every: int = 1,
                    runs: Sequence[int] | None = None) -> pd.DataFrame:
        """Tidy series: columns run_id, design_point, replication, week, metric, value.

        Args:
            names: series to include (default all).
            every: keep every n-th week (1 = all) to keep large files manageable.
            runs: run ids to include (default all).
        """
        names = list(self.series_names if names is None else names)
        weeks = np.arange(0, self.weeks, max(1, int(every)))
        run_idx = np.arange(self.n_runs) if runs is None else np.asarray(runs, dtype=np.int64)
        frames = []
        for name in names:
            arr = self.series(name)[np.ix_(run_idx, weeks)]
            frames.append(pd.DataFrame({
                "run_id": np.repeat(run_idx, len(weeks)),
                "design_point": np.repeat(self.runs["design_point"].to_numpy()[run_idx], len(weeks)),
                "replication": np.repeat(self.runs["replication"].to_numpy()[run_idx], len(weeks)),
                "week": np.tile(weeks, len(run_idx)),
                "metric": name,
                "value": arr.ravel(),
            }))
        if not frames:
            return pd.DataFrame(columns=["run_id", "design_point", "replication", "week", "metric", "value"])
        out = pd.concat(frames, ignore_index=True)
        out["metric"] = out["metric"].astype("category")
        return out

    def pipeline(self) -> np.ndarray:
        """``/series/pipeline`` as float32 ndarray [run, week, stage] (stage names: ``stage_names``)."""
        if not self.has_pipeline:
            raise MissingDataError(f"{self._where()}: no /series/pipeline dataset (engagements per stage)")
        key = ("pipeline",)
        if key not in self._cache:
            parts = []
            for s in self._sources:
                with h5py.File(s.path, "r") as f:
                    parts.append(np.asarray(f["series"]["pipeline"][:], dtype=np.float32))
            self._cache[key] = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
        return self._cache[key]

    def pipeline_long(self, every: int = 1) -> pd.DataFrame:
        """Tidy pipeline: run_id, design_point, replication, week, stage, count."""
        pipe = self.pipeline()
        weeks = np.arange(0, self.weeks, max(1, int(every)))
        sub = pipe[:, weeks, :]
        n_r, n_w, n_s = sub.shape
        run_idx = np.arange(n_r)
        return pd.DataFrame({
            "run_id": np.repeat(run_idx, n_w * n_s),
            "design_point": np.repeat(self.runs["design_point"].to_numpy(), n_w * n_s),
            "replication": np.repeat(self.runs["replication"].to_numpy(), n_w * n_s),
            "week": np.tile(np.repeat(weeks, n_s), n_r),
            "stage": pd.Categorical.from_codes(np.tile(np.arange(n_s), n_r * n_w), self.stage_names[:n_s]),
            "count": sub.ravel(),
        })

    def events(self) -> pd.DataFrame:
        """``/events`` as a DataFrame ordered by run then week.

        Columns: run_id (global), design_point, replication, week, ngo, org, type (name),
        type_code, stage_from, stage_to (names), stage_from_code, stage_to_code.
        Raises MissingDataError when the file has no events (``run.record_events = false``).
        """
        if not self.has_events:
            raise MissingDataError(
                f"{self._where()}: no /events table (the runs were made with run.record_events = false)")
        key = ("events",)
        if key not in self._cache:
            cols = {k: [] for k in ("run", "week", "ngo", "org", "type", "stage_from", "stage_to")}
            for s in self._sources:
                with h5py.File(s.path, "r") as f:
                    if "events" not in f:
                        continue
                    ev = f["events"]
                    for k in cols:
                        a = ev[k][:] if k in ev else np.zeros(ev["run"].shape, np.int64)
                        if k == "run":
                            a = a.astype(np.int64) + s.run_offset
                        cols[k].append(a)
            data = {k: (np.concatenate(v) if v else np.zeros(0, np.int64)) for k, v in cols.items()}
            run = data["run"].astype(np.int64)
            dp = self.runs["design_point"].to_numpy()
            rep = self.runs["replication"].to_numpy()
            type_code = data["type"].astype(np.int64)
            sf = data["stage_from"].astype(np.int64)
            st = data["stage_to"].astype(np.int64)
            tnames = self.event_type_names
            snames = self.stage_names
            df = pd.DataFrame({
                "run_id": run,
                "design_point": dp[run] if len(run) else np.zeros(0, np.int64),
                "replication": rep[run] if len(run) else np.zeros(0, np.int64),
                "week": data["week"].astype(np.int64),
                "ngo": data["ngo"].astype(np.int64),
                "org": data["org"].astype(np.int64),
                "type": pd.Categorical.from_codes(np.clip(type_code, 0, len(tnames) - 1), tnames),
                "type_code": type_code,
                "stage_from": pd.Categorical.from_codes(np.clip(sf, 0, len(snames) - 1), snames),
                "stage_to": pd.Categorical.from_codes(np.clip(st, 0, len(snames) - 1), snames),
                "stage_from_code": sf,
                "stage_to_code": st,
            })
            self._cache[key] = df
        return self._cache[key]

    def network(self, run_id: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The generated organisation network stored with ``pse-sim run/sweep --network RUNS``.

        Args:
            run_id: one run (global run id) or None for every stored run.
        Returns:
            (vertices, edges): vertices has columns run_id, vertex (id as in ``events().org``),
            kind (ngo, donor, mnc, supplier, government, association); edges has run_id, source,
            target (vertex ids, source < target; the graph is undirected) and kind (supply_chain,
            membership, government_tie, ngo_tie, ngo_government, funding). Ready for
            ``networkx.from_pandas_edgelist(edges)`` if networkx is installed.
        Raises:
            MissingDataError: the file holds no /network (run without --network) or not that run.
        """
        key = ("network",)
        if key not in self._cache:
            vparts, eparts = [], []
            for s in self._sources:
                with h5py.File(s.path, "r") as f:
                    if "network" not in f:
                        continue
                    v, e = f["network/vertices"], f["network/edges"]
                    vnames = _texts(v.attrs["kind_names"])
                    enames = _texts(e.attrs["kind_names"])
                    vparts.append(pd.DataFrame({
                        "run_id": v["run"][:].astype(np.int64) + s.run_offset,
                        "vertex": v["vertex"][:].astype(np.int64),
                        "kind": pd.Categorical.from_codes(v["kind"][:].astype(np.int64), vnames),
                    }))
                    eparts.append(pd.DataFrame({
                        "run_id": e["run"][:].astype(np.int64) + s.run_offset,
                        "source": e["source"][:].astype(np.int64),
                        "target": e["target"][:].astype(np.int64),
                        "kind": pd.Categorical.from_codes(e["kind"][:].astype(np.int64), enames),
                    }))
            if not vparts:
                raise MissingDataError(
                    f"{self._where()}: no /network (store it with `pse-sim run/sweep ... --network 0,5-7` or `all`)")
            self._cache[key] = (pd.concat(vparts, ignore_index=True), pd.concat(eparts, ignore_index=True))
        vertices, edges = self._cache[key]
        if run_id is None:
            return vertices, edges
        if not (vertices["run_id"] == run_id).any():
            stored = sorted(set(vertices["run_id"]))
            raise MissingDataError(f"{self._where()}: the network of run {run_id} is not stored (stored: {stored})")
        return (vertices[vertices["run_id"] == run_id].reset_index(drop=True),
                edges[edges["run_id"] == run_id].reset_index(drop=True))

    def _where(self) -> str:
        return self.paths[0] if len(self.paths) == 1 else "+".join(os.path.basename(p) for p in self.paths)


def _read_one(path: str) -> dict:
    """Read the small tables of one results file."""
    if not os.path.exists(path):
        raise ResultsFileError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ResultsFileError(f"{path}: not an HDF5 file ({e})") from e
    with f:
        attrs = {k: _attr_value(v) for k, v in f.attrs.items()}
        if attrs.get("format") != "pse-sim results":
            raise ResultsFileError(f"{path}: not a pse-sim results file (root attribute 'format' is "
                                   f"{attrs.get('format')!r}, expected 'pse-sim results')")
        version = int(attrs.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise ResultsFileError(f"{path}: results format_version {version} is newer than this "
                                   f"analysis package understands ({FORMAT_VERSION}); update pse_analysis")
        if "runs" not in f:
            raise ResultsFileError(f"{path}: no /runs group")
        g = f["runs"]
        n_runs = int(g["run_id"].shape[0]) if "run_id" in g else int(attrs.get("n_runs", 0))
        runs = {}
        for c in _RUN_COLUMNS:
            if c in g:
                a = g[c][:]
                runs[c] = _texts(a) if c == "error" else a
            elif c == "error":
                runs[c] = [""] * n_runs
            elif c == "status":
                runs[c] = np.ones(n_runs, np.int8)
            elif c == "run_id":
                runs[c] = np.arange(n_runs, dtype=np.int64)
            elif c == "wall_seconds":
                runs[c] = np.full(n_runs, np.nan)
            elif c == "seed":
                runs[c] = np.zeros(n_runs, np.uint64)
            else:
                raise ResultsFileError(f"{path}: no /runs/{c} dataset")
        metrics = []
        summary = {}
        if "summary" in g:
            for name, d in g["summary"].items():
                summary[name] = np.asarray(d[:], dtype=np.float64)
                metrics.append(dict(name=name, group="summary", unit=_text(d.attrs.get("unit", "")),
                                    kind=_text(d.attrs.get("kind", "")),
                                    description=_text(d.attrs.get("description", ""))))
        series_names = []
        has_pipeline = False
        stage_names: list[str] = []
        weeks = int(attrs.get("weeks", 0))
        if "series" in f:
            for name, d in f["series"].items():
                if name == "pipeline":
                    has_pipeline = True
                    stage_names = _texts(d.attrs.get("stage_names", []))
                    if weeks == 0:
                        weeks = int(d.shape[1])
                    continue
                series_names.append(name)
                if weeks == 0 and d.ndim == 2:
                    weeks = int(d.shape[1])
                metrics.append(dict(name=name, group="series", unit=_text(d.attrs.get("unit", "")),
                                    kind=_text(d.attrs.get("kind", "")),
                                    description=_text(d.attrs.get("description", ""))))
        has_events = "events" in f and "run" in f["events"] and f["events"]["run"].shape[0] > 0
        event_type_names: list[str] = []
        if "events" in f:
            event_type_names = _texts(f["events"].attrs.get("type_names", []))
            if not stage_names:
                stage_names = _texts(f["events"].attrs.get("stage_names", []))
        # design
        n_dp = int(attrs.get("n_design_points", 0)) or (int(np.max(runs["design_point"])) + 1 if n_runs else 1)
        keys: list[str] = []
        roles: dict = {}
        bounds: dict = {}
        columns: dict = {}
        value_labels: dict = {}
        point_labels: list[str] = []
        design_group_attrs = {}
        if "design" in f:
            dg = f["design"]
            design_group_attrs = {k: _attr_value(v) for k, v in dg.attrs.items()}
            listed = _texts(dg["_keys"][:]) if "_keys" in dg else []
            if "_labels" in dg:
                point_labels = _texts(dg["_labels"][:])
            found = {}
            for dname, d in dg.items():
                if dname.startswith("_") or not isinstance(d, h5py.Dataset) or d.dtype.kind not in "fiub":
                    continue
                key = _text(d.attrs.get("key", dname))
                found[key] = (np.asarray(d[:], dtype=np.float64), _text(d.attrs.get("role", "")))
                if "labels" in d.attrs:
                    value_labels[key] = _texts(d.attrs["labels"])
                for lo_name, hi_name in (("low", "high"), ("min", "max"), ("lower", "upper")):
                    if lo_name in d.attrs and hi_name in d.attrs:
                        bounds[key] = (float(_attr_value(d.attrs[lo_name])), float(_attr_value(d.attrs[hi_name])))
                        break
            keys = [k for k in listed if k in found] + [k for k in found if k not in listed]
            for k in keys:
                columns[k], roles[k] = found[k]
                if len(columns[k]) != n_dp:
                    raise ResultsFileError(f"{path}: /design column '{k}' has {len(columns[k])} values "
                                           f"for {n_dp} design points")
        resolved = _texts(f["inputs"]["resolved"][:]) if "inputs" in f and "resolved" in f["inputs"] else []
        file_names = _texts(f["inputs"]["file_names"][:]) if "inputs" in f and "file_names" in f["inputs"] else []
        file_texts = _texts(f["inputs"]["file_texts"][:]) if "inputs" in f and "file_texts" in f["inputs"] else []
    factors = experiment_factors(file_texts)
    for k in keys:
        fac = factors.get(k, {})
        if k not in bounds and "min" in fac and "max" in fac:
            bounds[k] = (float(fac["min"]), float(fac["max"]))
        if k not in value_labels and fac.get("values") and all(isinstance(v, bool) for v in fac["values"]):
            value_labels[k] = ["false", "true"]
    method = attrs.get("design_method") or design_group_attrs.get("method")
    method = str(method) if method else ("single" if not keys else "unspecified")
    return dict(path=path, attrs=attrs, n_runs=n_runs, runs=runs, summary=summary, metrics=metrics,
                series_names=series_names, has_pipeline=has_pipeline, stage_names=stage_names,
                weeks=weeks, has_events=has_events, event_type_names=event_type_names, n_dp=n_dp,
                keys=keys, roles=roles, bounds=bounds, columns=columns, value_labels=value_labels,
                point_labels=point_labels, file_texts=file_texts, design_group_attrs=design_group_attrs,
                resolved=resolved, file_names=file_names, method=method)


def experiment_factors(file_texts: Sequence[str]) -> dict:
    """Varied parameters declared in the experiment file's [experiment] table (first file that has
    one): key -> {"role", "values", "min", "max"} as written. Empty for plain scenario files."""
    for text in file_texts:
        if "[experiment" not in text:
            continue
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        ex = doc.get("experiment")
        if not isinstance(ex, dict):
            continue
        out = {}
        for role in ("lever", "uncertainty"):
            for fac in ex.get(role, []) or []:
                if isinstance(fac, dict) and "key" in fac:
                    out[str(fac["key"])] = dict(fac, role=role)
        return out
    return {}


def value_text(value: float, labels: Sequence[str] | None = None) -> str:
    """A design value as text: a choice/boolean label when the column has labels, else a number."""
    if labels and np.isfinite(value) and float(value).is_integer() and 0 <= int(value) < len(labels):
        return str(labels[int(value)])
    return _fmt_value(value)


def _dp_labels(one: dict) -> list[str]:
    n_dp = one["n_dp"]
    keys = one["keys"]
    name = str(one["attrs"].get("scenario_name", "scenario"))
    given = one.get("point_labels") or []
    if len(given) == n_dp and all(given) and len(set(given)) == n_dp:
        return list(given)
    if n_dp == 1 or not keys:
        return [name] if n_dp == 1 else [f"{name} #{i}" for i in range(n_dp)]
    if len(keys) <= 3 and n_dp <= 200:
        shorts = [field_name(k) for k in keys]
        if len(set(shorts)) < len(shorts):
            shorts = keys
        vl = one.get("value_labels", {})
        return [", ".join(f"{s}={value_text(one['columns'][k][i], vl.get(k))}" for s, k in zip(shorts, keys))
                for i in range(n_dp)]
    return [f"design point {i}" for i in range(n_dp)]


def _apply_design_weeks(pw: list[dict], one: dict) -> None:
    """Project start/end weeks varied by the design (keys ngo[*].end_week, ngo_defaults.end_week,
    ngo[0].end_week, ...) override the weeks read from the resolved text."""
    for week_field in ("end_week", "start_week"):
        for k in one["keys"]:
            key = split_key(k)
            first_project = key.sets_every_ngo or (key.target == "ngo_entry" and key.index == 0)
            if key.field != week_field or not first_project:
                continue
            vals = one["columns"][k]
            for i, p in enumerate(pw):
                if np.isfinite(vals[i]):
                    p[week_field] = int(round(vals[i]))
                    if week_field == "end_week":   # ngo[*] sets every project; others add one end
                        others = set() if key.target == "ngo_all" else set(p["end_weeks"])
                        p["end_weeks"] = tuple(sorted(others | {int(round(vals[i]))}))
            break


def _distinct_labels(design: pd.DataFrame, n_files: int) -> list[str]:
    """Labels for design points of several files that share a label (e.g. two runs of 'default'
    made with different --set overrides): the label plus the resolved parameters in which that
    file differs from the others ('default (dedicated_fte = 2)'); the file number when the
    parameters are the same."""
    from .answer import resolved_values
    first = {si: design.index[design["source"] == si][0] for si in range(n_files)}
    vals = {si: resolved_values(design.at[first[si], "resolved"]) for si in range(n_files)}
    keys = sorted(set().union(*vals.values()) - {"run.name"})
    differing = [k for k in keys if len({repr(vals[si].get(k)) for si in vals}) > 1]
    out = []
    for lab, src in zip(design["label"], design["source"]):
        if (design["label"] == lab).sum() < 2:
            out.append(lab)
            continue
        bits = [f"{field_name(k)} = {vals[src].get(k, 'default')}" for k in differing if k in vals[src]]
        bits = [b.replace("True", "true").replace("False", "false") for b in bits]
        out.append(f"{lab} ({', '.join(bits[:3])}{', ...' if len(bits) > 3 else ''})" if bits else f"{lab} [{src}]")
    if len(set(out)) < len(out):   # still equal: fall back to the file number
        out = [f"{lab} [{src}]" for lab, src in zip(out, design["source"])]
    return out


def load(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> Results:
    """Open one results file, or several to compare as design points, as a :class:`Results`.

    Raises ResultsFileError for a missing, non-HDF5, non-pse-sim or too-new file, or for files
    that cannot be combined (different numbers of weeks).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ResultsFileError("no results file given")
    ones = [_read_one(p) for p in paths]
    weeks = {o["weeks"] for o in ones}
    if len(weeks) > 1:
        raise ResultsFileError("files with different numbers of weeks cannot be compared: " +
                               ", ".join(f"{o['path']} ({o['weeks']})" for o in ones))
    run_frames, design_frames, sources = [], [], []
    run_off = dp_off = 0
    all_keys: list[str] = []
    roles: dict = {}
    bounds: dict = {}
    value_labels: dict = {}
    for si, o in enumerate(ones):
        r = pd.DataFrame({c: o["runs"][c] for c in _RUN_COLUMNS})
        r["seed"] = np.asarray(o["runs"]["seed"]).astype(np.uint64)
        r["source"] = si
        r["source_run_id"] = r["run_id"].astype(np.int64)
        r["run_id"] = np.arange(o["n_runs"], dtype=np.int64) + run_off
        r["design_point"] = r["design_point"].astype(np.int64) + dp_off
        for name, v in o["summary"].items():
            r[name] = v
        run_frames.append(r)
        labels = _dp_labels(o)
        if len(ones) > 1 and o["n_dp"] > 1:
            labels = [f"{o['attrs'].get('scenario_name', 'scenario')}: {lab}" for lab in labels]
        scen = str(o["attrs"].get("scenario_name", os.path.basename(o["path"])))
        d = pd.DataFrame({"design_point": np.arange(o["n_dp"], dtype=np.int64) + dp_off,
                          "label": labels, "scenario": scen, "source": si})
        resolved = list(o["resolved"])
        if len(resolved) == 1 and o["n_dp"] > 1:   # one text for the whole sweep: the base scenario
            resolved = resolved * o["n_dp"]
        resolved = resolved + [""] * (o["n_dp"] - len(resolved))
        pw = [parse_project_weeks(t) for t in resolved[:o["n_dp"]]]
        _apply_design_weeks(pw, o)
        d["start_week"] = [p["start_week"] for p in pw]
        d["end_week"] = [p["end_week"] for p in pw]
        d["end_weeks"] = [p["end_weeks"] for p in pw]
        d["resolved"] = resolved[:o["n_dp"]]
        for k in o["keys"]:
            d[k] = o["columns"][k]
            roles.setdefault(k, o["roles"][k])
            if k in o["bounds"]:
                bounds.setdefault(k, o["bounds"][k])
            if k in o["value_labels"]:
                value_labels.setdefault(k, o["value_labels"][k])
            if k not in all_keys:
                all_keys.append(k)
        design_frames.append(d)
        sources.append(_Source(o["path"], run_off, o["n_runs"], dp_off, o["n_dp"], o["weeks"]))
        run_off += o["n_runs"]
        dp_off += o["n_dp"]
    runs = pd.concat(run_frames, ignore_index=True)
    runs.index = pd.Index(runs["run_id"].to_numpy(), name="run")
    design = pd.concat(design_frames, ignore_index=True)
    design.index = pd.Index(design["design_point"].to_numpy(), name="dp")
    # make labels unique (two files of the same scenario)
    if design["label"].duplicated().any():
        design["label"] = _distinct_labels(design, len(ones))
    metric_rows: dict = {}
    for o in ones:
        for m in o["metrics"]:
            metric_rows.setdefault((m["group"], m["name"]), m)
    metrics = pd.DataFrame(list(metric_rows.values()),
                           columns=["name", "group", "unit", "kind", "description"])
    summary_names = list(dict.fromkeys(n for o in ones for n in o["summary"]))
    series_names = [n for n in dict.fromkeys(n for o in ones for n in o["series_names"])
                    if all(n in o["series_names"] for o in ones)]
    method = ones[0]["method"] if len(ones) == 1 else "files"
    design_attrs = {}
    for k in ("sobol_base_samples", "morris_trajectories", "morris_levels"):
        if k in ones[0]["attrs"]:
            design_attrs[k] = ones[0]["attrs"][k]
        elif k in ones[0]["design_group_attrs"]:
            design_attrs[k] = ones[0]["design_group_attrs"][k]
    stage_names = ones[0]["stage_names"] or [f"stage_{i}" for i in range(20)]
    event_type_names = ones[0]["event_type_names"] or [f"type_{i}" for i in range(20)]
    return Results(paths=paths, attrs=ones[0]["attrs"], runs=runs, design=design,
                   design_keys=all_keys, design_roles=roles, design_method=method,
                   design_attrs=design_attrs, design_bounds=bounds,
                   design_value_labels=value_labels, metrics=metrics, summary_names=summary_names,
                   series_names=series_names, weeks=ones[0]["weeks"], stage_names=stage_names,
                   event_type_names=event_type_names,
                   has_pipeline=all(o["has_pipeline"] for o in ones),
                   has_events=any(o["has_events"] for o in ones), _sources=sources)

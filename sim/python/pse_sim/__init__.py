"""pse_sim — the pse-sim engine in-process, for notebooks, scripts and the EMA Workbench.

Built by the normal CMake build (with Debian's pybind11-dev) into ``build/<preset>/python``;
use it with Debian's ``/usr/bin/python3`` and ``PYTHONPATH=build/release/python``.

    import pse_sim
    sc = pse_sim.load("scenarios/default.toml", set={"ngo[*].dedicated_fte": 2})
    res = pse_sim.run(sc, replications=10)           # same numbers as `pse-sim run ... -r 10`
    res.summary                                      # DataFrame: one row per replication
    res.series("agreements_signed")                  # ndarray [replication x week]

A run is a pure function of (scenario, seed): the results are bit-identical to `pse-sim run`
for the same scenario, overrides and seed, on any thread count. See analysis/README.md
"Python API" for the whole interface.
"""
from __future__ import annotations

import math
import os
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from . import _core
from ._errors import InputError, Problem, RunStopped

IoError = _core.IoError
__version__ = _core.version

__all__ = ["Scenario", "Results", "InputError", "Problem", "RunStopped", "IoError", "load", "loads",
           "validate", "run", "fields", "summary_metrics", "series_metrics", "stage_names", "toml_value",
           "overrides_list", "__version__"]


def toml_value(value) -> str:
    """Render a Python value as the TOML value text `--set key=value` expects.

    bool -> true/false, int -> digits, float -> shortest round-trip repr (nan/inf refused),
    str -> a quoted TOML string. Raises InputError for other types or non-finite floats."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise InputError("", [("--set", 0, 0, "", f"value {value!r} is not a finite number",
                                   f"--set: value {value!r} is not a finite number")])
        return repr(float(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    raise InputError("", [("--set", 0, 0, "", f"unsupported value type {type(value).__name__}",
                           f"--set: unsupported value type {type(value).__name__}")])


def overrides_list(set: Mapping[str, object] | Iterable[str] | None) -> list[str]:
    """Overrides as "key=value" strings (the `--set` grammar). Accepts a mapping
    {key: python value} (values rendered with toml_value) or an iterable of "key=value" strings
    (passed through unchanged); None gives []."""
    if set is None:
        return []
    if isinstance(set, Mapping):
        return [f"{k}={toml_value(v)}" for k, v in set.items()]
    if isinstance(set, str):
        return [set]
    return [str(s) for s in set]


class Scenario:
    """A loaded and validated scenario (what `pse-sim run FILE --set ...` would run).

    Attributes: name, description, weeks (simulated weeks), seed (run.seed, the master seed of
    the replications), path, files and texts (every file read, the scenario then its bases),
    overrides ("key=value" strings applied), n_ngos, organisations (vertices of the network),
    memory_bytes (estimated peak memory of one run). Made by load() or loads()."""

    def __init__(self, core: _core.Scenario, text: str | None = None, base_dir: str = ""):
        self._core = core
        self._text = text          # TOML text it was loaded from (None: loaded from a file)
        self._base_dir = base_dir

    def __getattr__(self, name):
        if name in ("name", "description", "weeks", "seed", "path", "files", "texts", "overrides",
                    "n_ngos", "organisations", "memory_bytes"):
            return getattr(self._core, name)
        raise AttributeError(name)

    def toml(self) -> str:
        """The fully resolved scenario as TOML (every field, defaults included; `pse-sim show`).
        Loading this text gives the same scenario."""
        return self._core.toml()

    def get(self, key: str):
        """Value of one parameter by its `--set` key ("trust.gain_rate", "ngo[*].dedicated_fte"
        = [ngo_defaults], "ngo[2].trained" = the third [[ngo]] entry). Raises KeyError for an
        unknown key, IndexError for an [[ngo]] entry the scenario does not have."""
        return self._core.get(key)

    def values(self) -> dict:
        """Every parameter's value: {key: value} for the scenario keys and "ngo[*].<key>"."""
        return self._core.values()

    def with_overrides(self, set) -> "Scenario":
        """A new scenario: this one's source with more overrides applied (after the existing
        ones). Raises InputError like load()."""
        extra = overrides_list(set)
        if self._text is not None:
            return loads(self._text, self.path, list(self.overrides) + extra, base_dir=self._base_dir)
        return load(self.path, list(self.overrides) + extra)

    def __repr__(self) -> str:
        return f"<pse_sim.Scenario {self.name!r}: {self.weeks} weeks, seed {self.seed}, {len(self.overrides)} override(s)>"


def load(path: str | os.PathLike, set=None, *, memory_limit: float = 0.0) -> Scenario:
    """Load, override and validate a scenario file (following `extends`).

    path: TOML scenario file; set: overrides (mapping or "key=value" strings, the `--set`
    grammar, applied last); memory_limit: refuse scenarios whose estimated memory exceeds this
    many bytes (0 = the CLI's 16 GiB). Raises InputError listing every problem (file, line, key,
    message; the same list as the CLI), including experiment files (run those with
    `pse-sim sweep`)."""
    return Scenario(_core.load(os.fspath(path), overrides_list(set), float(memory_limit)))


def loads(text: str, name: str = "<string>", set=None, *, base_dir: str | os.PathLike = "",
          memory_limit: float = 0.0) -> Scenario:
    """Load a scenario from TOML text. name: the file name used in messages; base_dir: folder
    an `extends = "..."` line is resolved against ("" = current directory). Otherwise as load()."""
    return Scenario(_core.loads(text, name, overrides_list(set), os.fspath(base_dir), float(memory_limit)),
                    text, os.fspath(base_dir))


def validate(source: str | os.PathLike, set=None, *, text: bool = False, name: str = "<string>",
             base_dir: str | os.PathLike = "") -> list[Problem]:
    """Problems of a scenario (file path, or TOML text with text=True) with overrides: [] when it
    is valid. Never raises InputError (it returns its problems instead)."""
    try:
        if text:
            loads(str(source), name, set, base_dir=base_dir)
        else:
            load(source, set)
    except InputError as e:
        return e.problems
    return []


_SUMMARY = _core.summary_specs()
_SERIES = _core.series_specs()
SUMMARY_NAMES = [m["name"] for m in _SUMMARY]
SERIES_NAMES = [m["name"] for m in _SERIES]


class Results:
    """Results of N replications of one scenario, in replication order (row r = replication r,
    run id r in the results file `pse-sim run` writes).

    summary: DataFrame [replication x summary metric] (float; NaN where a metric is undefined,
    e.g. no agreement -> no time to agreement); summary_array: the same as an ndarray;
    series(name): ndarray [replication x week]; series_array: ndarray [replication x week x
    series] in SERIES_NAMES order; series_frame(name): DataFrame [replication x week];
    pipeline_array: ndarray [replication x week x stage] (engagements per stage, stage_names());
    events(): DataFrame of events; seeds, status (1 = done, 2 = failed), errors: per replication;
    replications, weeks, master_seed, scenario_name, wall_seconds; save(path) writes the HDF5
    results file; resolved_toml(): the scenario that ran, as TOML."""

    def __init__(self, core: _core.Results, scenario: Scenario):
        self._core = core
        self.scenario = scenario
        self.summary_array: np.ndarray = core.summary_array()
        self._series: np.ndarray | None = None

    replications = property(lambda self: self._core.replications)
    weeks = property(lambda self: self._core.weeks)
    master_seed = property(lambda self: self._core.master_seed)
    scenario_name = property(lambda self: self._core.scenario_name)
    wall_seconds = property(lambda self: self._core.wall_seconds)
    seeds = property(lambda self: self._core.seeds)
    status = property(lambda self: self._core.status)
    errors = property(lambda self: self._core.errors)

    @property
    def summary(self):
        import pandas as pd
        df = pd.DataFrame(self.summary_array, columns=SUMMARY_NAMES)
        df.index.name = "replication"
        return df

    @property
    def series_array(self) -> np.ndarray:
        if self._series is None:
            self._series = self._core.series_array()
        return self._series

    def series(self, name: str) -> np.ndarray:
        """Weekly series `name` (see series_metrics()) as ndarray [replication x week].
        Raises KeyError for an unknown name."""
        if name not in SERIES_NAMES:
            raise KeyError(f"unknown series {name!r}; known: {', '.join(SERIES_NAMES)}")
        return self.series_array[:, :, SERIES_NAMES.index(name)]

    def series_frame(self, name: str):
        """Weekly series `name` as a DataFrame [replication x week]."""
        import pandas as pd
        df = pd.DataFrame(self.series(name))
        df.index.name, df.columns.name = "replication", "week"
        return df

    @property
    def pipeline_array(self) -> np.ndarray:
        return self._core.pipeline_array()

    def events(self):
        """Events of every replication as a DataFrame: run, week, ngo, org, type (name),
        stage_from, stage_to (stage names)."""
        import pandas as pd
        from_core = self._core.events()
        df = pd.DataFrame(from_core)
        types = ["none", "transition", "agreement", "dropped", "dissolved", "project_end", "turnover",
                 "tier_downgrade", "media_shock", "abuse_found", "abuse_reported", "nda_leak", "brokerage",
                 "supplier_improved", "inbound_lead", "targeted", "placement", "budget_cut", "follow_on",
                 "screened_out"]
        stages = stage_names()
        df["type"] = [types[t] if t < len(types) else str(t) for t in df["type"]]
        df["stage_from"] = [stages[s] for s in df["stage_from"]]
        df["stage_to"] = [stages[s] for s in df["stage_to"]]
        return df

    def resolved_toml(self) -> str:
        return self._core.resolved_toml()

    def save(self, path: str | os.PathLike, overwrite: bool = False,
             command_line: str = "pse_sim (Python)") -> None:
        """Write the HDF5 results file `pse-sim run` writes for this scenario and seed (same
        datasets and values; only creation time, host, command line and run times differ).
        Raises IoError if the file exists and not overwrite, or on any file-system failure."""
        self._core.save(os.fspath(path), overwrite, command_line)

    def __repr__(self) -> str:
        return (f"<pse_sim.Results {self.scenario_name!r}: {self.replications} replications x "
                f"{self.weeks} weeks, master seed {self.master_seed}>")


def run(scenario: Scenario | str | os.PathLike, replications: int = 10, *, threads: int = 0,
        seed: int | None = None, set=None,
        progress: Callable[[int, int, int], bool | None] | None = None,
        time_limit: float = 0.0) -> Results:
    """Run `replications` replications (>= 1) of a scenario on `threads` threads (0 = all cores).

    scenario: a Scenario, or a file path (loaded with `set`); seed: replaces run.seed (like
    `pse-sim run --seed`); progress(done, failed, total): called after every finished run (from
    a worker thread, with the GIL held); return False to stop; time_limit: seconds after which
    the remaining runs are not started (0 = none). Identical results for any thread count and
    to `pse-sim run` for the same scenario and seed. Raises InputError (bad scenario,
    replications < 1), RunStopped (stopped early; .results holds what finished), and whatever
    `progress` raises."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario, set)
    elif set:
        scenario = scenario.with_overrides(set)
    core = _core.run(scenario._core, int(replications), int(threads), -1 if seed is None else int(seed),
                     progress, float(time_limit))
    res = Results(core, scenario)
    if core.stopped:
        done = int((res.status == 1).sum())
        raise RunStopped(f"stopped after {done} of {res.replications} replications", res)
    return res


def fields():
    """The parameter field table as a DataFrame, one row per parameter: key (as in `--set`;
    NGO fields as "ngo[*].<key>"), table ("scenario" or "ngo"), type (real, integer, boolean,
    choice, text), min, max (numeric types; inclusive), choices, unit, default (built-in
    default), doc (plain-language description), source (evidence: field report and section,
    paper, "assumption" or "calibrated")."""
    import pandas as pd
    return pd.DataFrame(_core.fields())


def field_list() -> list[dict]:
    """The field table as a list of dicts (same columns as fields())."""
    return _core.fields()


def summary_metrics():
    """Per-run summary metrics: DataFrame with name, unit, kind (indicator|outcome|state), description."""
    import pandas as pd
    return pd.DataFrame(_SUMMARY)


def series_metrics():
    """Weekly series: DataFrame with name, unit, kind, description."""
    import pandas as pd
    return pd.DataFrame(_SERIES)


def stage_names() -> list[str]:
    """Engagement stage names, indexed by stage code (as in results files)."""
    return _core.stage_names()


def extends_of(text: str):
    """The top-level `extends = "..."` value of scenario TOML text, read with the loader's own
    parser and without reading any file: None when there is none (or the text does not parse:
    loads() then reports the syntax error), False when `extends` is not a string."""
    return _core.extends_of(text)


def export_csv(results_file: str | os.PathLike, folder: str | os.PathLike) -> int:
    """Write a results file's tables and series as CSV files into `folder` (created if missing),
    like `pse-sim export --csv`. Returns the number of files written. Raises IoError."""
    return _core.export_csv(os.fspath(results_file), os.fspath(folder))

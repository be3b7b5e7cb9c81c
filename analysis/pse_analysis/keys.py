"""Scenario parameter keys: the one Python reading of pse-sim's key grammar and field table.

The grammar and the table live in the C++ library (sim/pse/keys.h, sim/pse/params.cpp); this module
mirrors the grammar for the analysis and reads the table from ``pse-sim params --csv`` instead of
keeping a list of its own.

Key forms (docs/SCENARIOS.md, "Overrides"):
  ``trust.gain_rate``           a scenario field (table ``trust``, field ``gain_rate``)
  ``ngo[*].dedicated_fte``      an NGO field on every project (the form results files,
                                ``pse-sim effects`` and experiments use)
  ``ngo_defaults.dedicated_fte`` the same field in the scenario file's [ngo_defaults] table
  ``ngo[2].end_week``           the field of the third [[ngo]] entry only
"""
from __future__ import annotations

import io as _io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import AnalysisError

EVERY_NGO = "ngo[*]."
DEFAULTS = "ngo_defaults."
_ENTRY = re.compile(r"ngo\[(\d+)\]\.(.+)\Z")


@dataclass(frozen=True)
class Key:
    """A parsed key. target: 'scenario', 'ngo_all' (ngo[*]), 'ngo_defaults' or 'ngo_entry';
    index: the [[ngo]] entry (ngo_entry only); field: the key inside its table ('end_week',
    'trust.gain_rate')."""
    target: str
    field: str
    index: int | None = None

    @property
    def sets_every_ngo(self) -> bool:
        """True when the key sets a field on every project (ngo[*] or ngo_defaults)."""
        return self.target in ("ngo_all", "ngo_defaults")

    @property
    def is_ngo(self) -> bool:
        return self.target != "scenario"


def split_key(key: str) -> Key:
    """Parse ``key`` by pse-sim's grammar (sim/pse/keys.h split_key). Does not check that the field
    exists (``parameter_table`` lists those). Raises AnalysisError for a malformed ``ngo[...]``."""
    if key.startswith(EVERY_NGO):
        return Key("ngo_all", key[len(EVERY_NGO):])
    if key.startswith(DEFAULTS):
        return Key("ngo_defaults", key[len(DEFAULTS):])
    if key.startswith("ngo["):
        m = _ENTRY.match(key)
        if not m:
            raise AnalysisError(f"key '{key}': expected ngo[*].FIELD or ngo[N].FIELD")
        return Key("ngo_entry", m.group(2), int(m.group(1)))
    return Key("scenario", key)


def every_ngo_key(key: str) -> str:
    """'ngo[*].x' for 'ngo_defaults.x' (the form experiments and results files use), else ``key``."""
    return EVERY_NGO + key[len(DEFAULTS):] if key.startswith(DEFAULTS) else key


def field_name(key: str) -> str:
    """Last component of a key: 'ngo[*].dedicated_fte' -> 'dedicated_fte'."""
    return key.split(".")[-1] if key else key


def toml_location(key: str) -> tuple[str, str]:
    """(TOML table, field) that holds ``key`` in a scenario file: 'ngo[*].x' -> ('ngo_defaults', 'x'),
    'trust.gain_rate' -> ('trust', 'gain_rate'), 'pipeline.stage.x.y' -> ('pipeline.stage.x', 'y').
    Raises AnalysisError for an entry key (ngo[N].x lives in the N-th [[ngo]] array entry) and for a
    key without a table."""
    k = split_key(key)
    if k.target == "ngo_entry":
        raise AnalysisError(f"key '{key}' addresses one [[ngo]] entry, not a table")
    path = ("ngo_defaults." + k.field) if k.is_ngo else k.field
    if "." not in path:
        raise AnalysisError(f"key '{key}' has no table")
    table, field = path.rsplit(".", 1)
    return table, field


def parameter_table(binary: str | Path) -> pd.DataFrame:
    """pse-sim's field table (``pse-sim params --csv``): one row per settable key, columns key
    (NGO fields as ``ngo[*].x``), table, field, type (real, integer, boolean, choice, text), default
    (TOML text), min and max (float, NaN when not numeric), choices ('|'-separated), unit, lever
    (bool), description, source. Raises AnalysisError if the binary cannot list its parameters."""
    try:
        p = subprocess.run([str(binary), "params", "--csv"], capture_output=True, text=True)
    except OSError as e:
        raise AnalysisError(f"cannot run `{binary} params --csv`: {e}") from e
    if p.returncode != 0:
        raise AnalysisError(f"`{binary} params --csv` failed: {p.stderr.strip()}")
    df = pd.read_csv(_io.StringIO(p.stdout), dtype=str, keep_default_na=False)
    expected = ["key", "table", "field", "type", "default", "min", "max", "choices", "unit", "lever",
                "description", "source"]
    if list(df.columns) != expected:
        raise AnalysisError(f"`{binary} params --csv` printed columns {list(df.columns)}, expected {expected}")
    for c in ("min", "max"):
        df[c] = [float(v) if v else float("nan") for v in df[c]]
    df["lever"] = df["lever"] == "true"
    return df

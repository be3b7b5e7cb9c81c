"""How robust a comparison is across plausible parameter values, and which assumptions it depends on.

The plausible values are those the calibration (docs/VALIDATION.md) found: for each
calibrated parameter, scenarios/calibrated.toml records the posterior median and the 5-95% range
of the accepted points in a comment of the form

    gain_rate = 0.0483    # posterior median; accepted 5-95%: 0.0224-0.0754; prior 0.02-0.08; default 0.04

under its [table] header. The check reruns baseline and variant (same seeds) with one parameter
at a time set to the low end, then the high end of its range, and reports the paired difference
of each headline metric at every setting: the answer is robust for a metric if its difference
keeps its sign (interval excluding zero on the same side) at all settings.
"""
from __future__ import annotations

import re
from pathlib import Path

LINE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=\s*([-+0-9.eE]+)\s*#\s*posterior median;\s*accepted 5-95%:\s*"
                  r"([-+0-9.eE]+)-([-+0-9.eE]+)")
TABLE = re.compile(r"^\s*\[([A-Za-z0-9_.]+)\]\s*(#.*)?$")
METRICS = (("agreements", "agreements"), ("workers_reached", "workers reached"))


def plausible_ranges(calibrated_toml: Path) -> list[dict]:
    """[{key, median, low, high}] from the calibration file's comments, keys in `--set` form
    (ngo_defaults.x as ngo[*].x). [] if the file is missing or has no such lines."""
    try:
        text = Path(calibrated_toml).read_text()
    except OSError:
        return []
    table, out = "", []
    for line in text.splitlines():
        m = TABLE.match(line)
        if m:
            table = m.group(1)
            continue
        m = LINE.match(line)
        if m and table:
            key = f"{table}.{m.group(1)}"
            if key.startswith("ngo_defaults."):
                key = "ngo[*]." + key[len("ngo_defaults."):]
            lo, hi = float(m.group(3)), float(m.group(4))
            if lo < hi:
                out.append({"key": key, "median": float(m.group(2)), "low": lo, "high": hi})
    return out


def relevant(ranges: list[dict], scenario) -> list[dict]:
    """The ranges that can matter for `scenario` (population parameters only with a population)."""
    pop = scenario.get("ngo_population.count") > 0
    return [r for r in ranges if pop or not r["key"].startswith("ngo_population.")]


def verdict(rows: list[dict], main: dict) -> str:
    """Plain-language summary of the check: for each headline metric, whether the direction of the
    main answer holds at every plausible setting, and which settings change it."""
    parts = []
    for name, what in METRICS:
        m = main[name]
        if m["lo"] is None or m["hi"] is None:
            continue
        sign = 1 if m["lo"] > 0 else -1 if m["hi"] < 0 else 0
        if sign == 0:
            parts.append(f"for {what} the main answer is not clear-cut (its interval includes zero), so there is "
                         f"no direction to test")
            continue
        weak = [r for r in rows if not ((r[name]["lo"] or 0) > 0 if sign > 0 else (r[name]["hi"] or 0) < 0)]
        if not weak:
            parts.append(f"the {'gain' if sign > 0 else 'loss'} in {what} holds at all {len(rows)} plausible "
                         f"settings")
        else:
            names = sorted({f"{r['key']} at its {r['end']} end ({r['value']:g})" for r in weak})
            parts.append(f"the {'gain' if sign > 0 else 'loss'} in {what} depends on assumptions: it is no longer "
                         f"clear with " + "; ".join(names))
    if not parts:
        return ""
    return ("Across the plausible values of the calibrated parameters (one at a time at the 5% and 95% ends "
            "of the calibration's accepted range): " + "; ".join(parts) + ".")

"""Which assumptions decide an answer: Morris screening of a lever contrast.

A headline answer ("a second specialist adds N agreements") is a *contrast* between two settings
of a lever. This module screens every real-valued parameter whose source in the field table is an
assumption (``pse-sim params``: source starting with "assumption"), and the calibrated parameters
over the range of their posterior draws, for its influence on that contrast: Morris elementary effects (Morris 1991; ``stats.morris_indices``) of the contrast, over
r trajectories of a 4-level grid, each parameter ranging over [0.5 x, 1.5 x] of its default x
(clipped to its valid range; ASSUMPTION: "half to one and a half times the assumed number" is
the screening range, as no source gives a range for these numbers; parameters whose default is 0
are left out, a relative range being undefined for them). Each Morris point is run at both lever
settings with the same replications (common random numbers: the two sweeps share the master seed
and therefore the design), and the contrast at a point is the mean over replications of the
paired difference.

    /usr/bin/python3 -m pse_analysis screen scenarios/default.toml --lever 'ngo[*].dedicated_fte' \\
        --low 1 --high 2 -o scenarios/screening/staffing_1_to_2.csv

writes one row per (metric, parameter): mu_star (mean |EE|, in units of the metric per full
screening range), its bootstrap interval over trajectories, mu, sigma, rank, noise_floor (what
replication noise alone gives, estimated from the replications' own elementary effects:
:func:`noise_floor`), above_noise (the interval's lower end is above it), scenario, and the
parameter's default, range and source. ``top_assumptions`` reads such a file for reports.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import stats
from .errors import AnalysisError
from .io import load
from .keys import every_ngo_key, parameter_table

REPO = Path(__file__).resolve().parents[2]
SCREENING_DIR = REPO / "scenarios" / "screening"
DEFAULT_METRICS = ("agreements", "partnerships_at_end", "workers_reached", "vulnerability_reduction")
# Keys that are not numbers of the model's mechanisms: the run's horizon and the like.
_SKIP_PREFIXES = ("run.",)


def _binary(explicit=None) -> Path:
    from .validation import find_binary
    return find_binary(explicit)


def assumption_factors(binary=None, exclude=()) -> pd.DataFrame:
    """Real-valued parameters whose source is an assumption, from ``pse-sim params``, with their
    screening range. Returns columns key (as in an experiment: NGO keys as ``ngo[*].x``), default,
    min, max, source. Raises AnalysisError if pse-sim cannot list its parameters."""
    rows = []
    for f in parameter_table(_binary(binary)).itertuples():
        if f.type != "real" or not f.source.lower().startswith("assumption") or f.key.startswith(_SKIP_PREFIXES):
            continue
        try:
            x = float(f.default)
        except ValueError:
            continue
        if x == 0 or not np.isfinite(x) or not (np.isfinite(f.min) and np.isfinite(f.max)):
            continue
        lo, hi = sorted((0.5 * x, 1.5 * x))
        lo, hi = max(lo, f.min), min(hi, f.max)
        if not hi > lo or f.key in exclude:
            continue
        rows.append(dict(key=f.key, default=x, min=lo, max=hi, source=f.source))
    return pd.DataFrame(rows, columns=["key", "default", "min", "max", "source"])


def screening_factors(binary=None, exclude=(), posterior=None) -> pd.DataFrame:
    """assumption_factors() plus the calibrated parameters over the range of their posterior
    draws (``posterior``: the draws CSV, default scenarios/validation/posterior.csv; source
    "calibrated (posterior range)"); a calibrated parameter replaces its assumption row."""
    fac = assumption_factors(binary, exclude)
    from .validation import posterior_keys, read_posterior
    post = read_posterior(posterior)
    cal = []
    for k in posterior_keys(post):
        if k in exclude:
            continue
        v = post[k].to_numpy(dtype=float)
        if np.ptp(v) > 0:
            cal.append(dict(key=k, default=float(np.median(v)), min=float(v.min()), max=float(v.max()),
                            source="calibrated (posterior range)"))
    cal = pd.DataFrame(cal, columns=fac.columns)
    return pd.concat([fac[~fac["key"].isin(set(cal["key"]))], cal], ignore_index=True)


def write_experiment(path: Path, scenario: Path, factors: pd.DataFrame, trajectories: int, replications: int,
                     seed: int) -> Path:
    """A Morris experiment over ``factors`` that extends ``scenario`` (absolute path)."""
    lines = [f"extends = {str(Path(scenario).resolve())!r}".replace("'", '"'),
             "[experiment]", 'design = "morris"', f"samples = {int(trajectories)}", "levels = 4",
             f"replications = {int(replications)}", f"seed = {int(seed)}", "common_random_numbers = true"]
    for _, f in factors.iterrows():
        lines += ["[[experiment.uncertainty]]", f'key = "{f["key"]}"', f"min = {f['min']!r}", f"max = {f['max']!r}"]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def noise_floor(lo_res, hi_res, metric: str, r: int, k: int, levels: int = 4) -> float:
    """The mu_star a parameter without any effect would get from replication noise alone.

    Along each trajectory step (points t -> t+1 of the r Morris trajectories of k+1 points, in
    the order of the design) every replication gives its own elementary effect of the contrast,
    EE_rep = (d[t+1, rep] - d[t, rep]) / Delta with d the paired difference high - low and
    Delta = p / (2 (p - 1)) the step in unit scale. The step's EE (the mean over replications)
    then has standard error s = sd(EE_rep) / sqrt(replications); pooled over steps, a null
    parameter's |EE| has mean sqrt(2 / pi) * s. Taking the spread of EE_rep itself includes the
    correlation between neighbouring points that common random numbers bring (their noise largely
    cancels in EE_rep). NaN without at least two replications."""
    a = lo_res.ok_runs.set_index(["design_point", "replication"])[metric]
    b = hi_res.ok_runs.set_index(["design_point", "replication"])[metric]
    d = (b - a.reindex(b.index)).unstack("replication").reindex(range(r * (k + 1)))
    x = d.to_numpy(dtype=float)
    if x.shape[1] < 2:
        return float("nan")
    delta = levels / (2 * (levels - 1))
    x = x.reshape(r, k + 1, x.shape[1])
    ee = (x[:, 1:, :] - x[:, :-1, :]) / delta                 # [trajectory, step, replication]
    n = np.sum(np.isfinite(ee), axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.nanvar(ee, axis=2, ddof=1) / n              # squared standard error of each step's EE
    var = var[(n > 1) & np.isfinite(var)]
    if var.size == 0:
        return float("nan")
    return float(np.sqrt(2 / np.pi) * np.sqrt(var.mean()))


def _setting_text(v) -> str:
    """A lever value for --set: true/false as they are, numbers in full precision."""
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower()
    if isinstance(v, bool):
        return "true" if v else "false"
    x = float(v)
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)  # integer parameters need "156"


def _setting_number(v) -> float:
    """A lever value as the results file codes it (booleans 0/1)."""
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return 1.0 if v.strip().lower() == "true" else 0.0
    return float(v)


def contrast_indices(x, y_low, y_high, r: int, ranges=None, names=None, n_boot: int = 1000,
                     seed: int = 0) -> pd.DataFrame:
    """Morris statistics of the contrast y_high - y_low (both per design point, in trajectory
    order; see stats.morris_indices), sorted by mu_star, with a rank column (1 = most influential)."""
    y = np.asarray(y_high, dtype=float) - np.asarray(y_low, dtype=float)
    t = stats.morris_indices(x, y, r, ranges=ranges, names=names, n_boot=n_boot, seed=seed)
    t = t.sort_values("mu_star", ascending=False)
    t["rank"] = np.arange(1, len(t) + 1)
    return t


def screen_contrast(scenario, lever: str, low: float, high: float, metrics=DEFAULT_METRICS, trajectories: int = 6,
                    replications: int = 4, seed: int = 11, binary=None, workdir=None, threads: int = 0,
                    factors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Run the screening (two Morris sweeps, lever at ``low`` and at ``high``) and return the
    table described in the module docstring. Raises AnalysisError if a sweep fails."""
    b = _binary(binary)
    fac = screening_factors(b, exclude=(lever,)) if factors is None else factors
    if fac.empty:
        raise AnalysisError("no assumption parameters to screen")
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="pse-screen-"))
    work.mkdir(parents=True, exist_ok=True)
    # Parameters whose range breaks a constraint between parameters at some design point (e.g.
    # skill_trained >= skill_untrained) are left out, each named in `dropped`.
    dropped = []
    for _ in range(10):
        exp = write_experiment(work / "screen.toml", Path(scenario), fac, trajectories, replications, seed)
        # `validate` checks scenarios only; loading the experiment (design points included) is done
        # by a sweep that is refused before any run when a point is invalid (exit 2). Checked on
        # a copy with one replication and the first point's problems are all reported at once.
        probe = work / "probe.h5"
        p = subprocess.run([str(b), "-q", "sweep", str(exp), "-o", str(probe), "--overwrite", "--yes",
                            "--set", "experiment.replications=1", "--set", "run.weeks=1"],
                           capture_output=True, text=True)
        if p.returncode != 2:
            break
        bad = set()
        for k in re.findall(r"key '([^']+)'", p.stderr):
            k = every_ngo_key(k)
            if k in set(fac["key"]):
                bad.add(k)
        for i in re.findall(r"experiment\.uncertainty\[(\d+)\]", p.stderr):
            if int(i) < len(fac):
                bad.add(fac.iloc[int(i)]["key"])
        for line in p.stderr.splitlines():  # the other side of a constraint ("x must be at least y")
            msg = line.split(": ", 3)[-1]
            for k in fac["key"]:
                if re.search(r"\b" + re.escape(k.split(".")[-1]) + r"\b", msg):
                    bad.add(k)
        if not bad:
            raise AnalysisError(f"the screening experiment is not valid: {p.stderr.strip()}")
        dropped += sorted(bad)
        fac = fac[~fac["key"].isin(bad)].reset_index(drop=True)
    else:
        raise AnalysisError("the screening experiment is still not valid after leaving out " + ", ".join(dropped))
    files = {}
    for tag, value in (("low", low), ("high", high)):
        out = work / f"{tag}.h5"
        cmd = [str(b), "-q", "sweep", str(exp), "-o", str(out), "--overwrite", "--yes", "--set",
               f"{lever}={_setting_text(value)}"]
        if threads:
            cmd += ["-t", str(threads)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise AnalysisError(f"screening sweep failed ({' '.join(cmd)}): {p.stderr.strip()}")
        files[tag] = load(str(out))
    lo_res, hi_res = files["low"], files["high"]
    keys = lo_res.design_keys
    x = lo_res.design[keys].to_numpy(dtype=float)
    by_key = fac.set_index("key")
    ranges = (by_key.loc[keys, "max"] - by_key.loc[keys, "min"]).to_numpy(dtype=float)
    r = int(lo_res.design_attrs.get("morris_trajectories") or trajectories)
    out = []
    for m in metrics:
        if m not in lo_res.summary_names:
            continue
        y0 = stats.design_point_means(lo_res, m)
        y1 = stats.design_point_means(hi_res, m)
        t = contrast_indices(x, y0, y1, r, ranges=ranges, names=keys, seed=seed).reset_index()
        t.insert(0, "metric", m)
        t["noise_floor"] = noise_floor(lo_res, hi_res, m, r, len(keys))
        t["above_noise"] = t["mu_star_lo"] > t["noise_floor"]
        out.append(t)
    table = pd.concat(out, ignore_index=True)
    meta = fac.set_index("key")
    table["default"] = table["parameter"].map(meta["default"])
    table["min"] = table["parameter"].map(meta["min"])
    table["max"] = table["parameter"].map(meta["max"])
    table["source"] = table["parameter"].map(meta["source"])
    table["lever"], table["low"], table["high"] = lever, _setting_number(low), _setting_number(high)
    table["trajectories"], table["replications"] = r, int(replications)
    table["scenario"] = Path(scenario).name
    table.attrs["dropped"] = dropped
    return table


def write_table(table: pd.DataFrame, path, command: str, dropped=()) -> Path:
    """The screening table as CSV with a '#' header naming the command that regenerates it and
    the parameters left out (their screening range breaks a constraint between parameters)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Morris screening of the assumption parameters for one lever contrast "
                "(analysis/pse_analysis/screening.py).\n")
        f.write(f"# Regenerate: {command}\n")
        if dropped:
            f.write("# Left out (range breaks a constraint between parameters): " + ", ".join(dropped) + "\n")
        table.to_csv(f, index=False)
    return path


def read_table(path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#")


def find_table(lever: str, low: float, high: float, folder=None) -> pd.DataFrame | None:
    """The shipped screening of (lever, low -> high), if there is one (scenarios/screening/*.csv)."""
    folder = Path(folder) if folder else SCREENING_DIR
    if not folder.is_dir():
        return None
    for p in sorted(folder.glob("*.csv")):
        try:
            t = read_table(p)
        except Exception:  # noqa: BLE001 - a foreign file there is not ours to judge
            continue
        if {"lever", "low", "high"} <= set(t.columns) and len(t):
            row = t.iloc[0]
            if row["lever"] == lever and np.isclose(row["low"], low) and np.isclose(row["high"], high):
                return t
    return None


def top_assumptions(table: pd.DataFrame, metric: str, n: int = 3, above_noise: bool = False) -> list[tuple[str, float]]:
    """The n parameters with the largest mu_star for ``metric``: [(key, mu_star), ...]; with
    ``above_noise`` only those whose mu_star interval lies above the replication noise floor."""
    t = table[table["metric"] == metric].sort_values("mu_star", ascending=False)
    if above_noise and "above_noise" in t.columns:
        t = t[t["above_noise"].astype(bool)]
    return [(str(k), float(v)) for k, v in zip(t["parameter"].head(n), t["mu_star"].head(n))]


def add_arguments(p) -> None:
    p.add_argument("scenario", help="scenario file the contrast is taken in (e.g. scenarios/default.toml)")
    p.add_argument("--lever", required=True, help="scenario key of the lever, e.g. 'ngo[*].dedicated_fte'")
    p.add_argument("--low", required=True, help="the lever's first setting (a number, or true/false)")
    p.add_argument("--high", required=True, help="the lever's second setting (a number, or true/false)")
    p.add_argument("--metric", action="append", default=None, help="summary metric (repeatable)")
    p.add_argument("--trajectories", type=int, default=6, help="Morris trajectories r (default 6)")
    p.add_argument("--replications", type=int, default=4, help="replications per point and setting (default 4)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("-t", "--threads", type=int, default=0)
    p.add_argument("--pse-sim", default=None, help="pse-sim binary (default: env PSE_SIM, else build/release/sim/pse-sim)")
    p.add_argument("-o", "--output", required=True, help="CSV file to write")


def main_from_args(args) -> int:
    import shlex
    import sys
    table = screen_contrast(args.scenario, args.lever, args.low, args.high,
                            metrics=tuple(args.metric) if args.metric else DEFAULT_METRICS,
                            trajectories=args.trajectories, replications=args.replications, seed=args.seed,
                            binary=args.pse_sim, threads=args.threads)
    cmd = "PYTHONPATH=analysis /usr/bin/python3 -m pse_analysis screen " + " ".join(shlex.quote(a) for a in sys.argv[2:]) \
        if len(sys.argv) > 2 else "see analysis/pse_analysis/screening.py"
    path = write_table(table, args.output, cmd, table.attrs.get("dropped", []))
    for m in table["metric"].unique():
        top = ", ".join(f"{k} ({v:.3g})" for k, v in top_assumptions(table, m, above_noise=True)) or "nothing"
        floor = table.loc[table["metric"] == m, "noise_floor"].iloc[0]
        print(f"{m}: above the noise floor ({floor:.3g}) the contrast depends most on {top}")
    print(f"screening written: {path}")
    return 0


def assumption_sentence(lever: str, low: float, high: float, labels: dict | None = None, folder=None) -> str | None:
    """Plain words naming the assumptions a lever step depends on most, from the shipped
    screening of (lever, low -> high); None when there is none. ``labels``: metric -> words."""
    t = find_table(lever, low, high, folder)
    if t is None:
        return None
    labels = labels or {}
    bits = []
    for m in [m for m in ("agreements", "workers_reached") if m in set(t["metric"])]:
        names = [k for k, _ in top_assumptions(t, m, above_noise=True)]
        if not names:
            bits.append(f"no assumed number moves the contrast in {labels.get(m, m)} beyond the replication noise "
                        "of the screening")
        elif len(names) == 1:
            bits.append(f"the contrast in {labels.get(m, m)} depends most on {names[0]}")
        else:
            bits.append(f"the contrast in {labels.get(m, m)} depends most on {', '.join(names[:-1])} and {names[-1]}")
    if not bits:
        return None
    per = t.drop_duplicates("parameter")
    n_cal = int(per["source"].astype(str).str.startswith("calibrated").sum())
    n_ass = len(per) - n_cal
    where = f" in {t['scenario'].iloc[0]}" if "scenario" in t.columns else ""
    return (f"Screening {n_ass} assumed numbers of the model (no source fixes them; each over half to one and a half "
            f"times its value) and the {n_cal} calibrated ones (over their posterior range) by Morris elementary "
            f"effects{where} (scenarios/screening): " + "; ".join(bits) + ".")

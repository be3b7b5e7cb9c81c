"""Calibration of pse-sim to the field evidence by approximate Bayesian computation (rejection).

    /usr/bin/python3 -m pse_analysis calibrate [--samples 200] [--replications 80] [--survey-replications 20]
                                               [--rounds 2] [--seed 9001]
                                               [-o results/calibration] [--write scenarios/calibrated.toml]

Procedure (docs/VALIDATION.md, "Calibration"):

1. Prior: independent uniform distributions over the ranges of ``FACTORS`` (9 uncertain
   parameters; why each one is in ``Factor.why``).
2. Design: a Latin hypercube of ``samples`` points over those ranges, drawn by ``pse-sim sweep``
   (experiment design ``lhs``). Every calibration *arm* (a design point of the experiments in
   scenarios/validation/ that a calibration target reads: the 1-FTE project, the MNC-poor
   part-time project, the 27-NGO survey population) becomes one LHS sweep over the same factors
   with the same master seed, so design point d has the same parameter values in every arm. The
   arms' scenario settings come from the validation files themselves (their [experiment] table
   is replaced by the LHS design, their ``extends`` pointed at scenarios/default.toml).
   Single-project arms get ``replications`` runs per point, the survey arm
   ``survey_replications`` (each of its runs already averages 27 NGOs). Random numbers are NOT
   common across design points (``common_random_numbers = false``): with common random numbers
   every point sees the same few replication seeds and the calibration fits the luck of those
   seeds (a first run did exactly that; its posterior median missed two targets at full size).
3. Score: at each design point every calibration target is computed -- exactly the targets whose
   role is 'calibration' in the pre-declared split ``validation.SPLIT`` (A1, A2, B, D1, D2, E,
   F1–F3); the validation targets (C1–C4 and the out-of-sample targets G) are never scored, so no
   validation target can tune a parameter (tests/test_validation.py checks it) -- each is
   computed with the same functions the validation uses and turned into a distance in tolerance
   units (``Band.distance``: 0 at the source's value, 1 at the edge of the tolerance band). The
   point's distance is the largest of them (sup norm): distance <= 1 means "every target within
   tolerance".
4. Accept (ABC rejection): every design point with distance <= ``epsilon`` (default 1), or the
   ``min_accepted`` closest points if fewer qualify.
5. Rounds: round r+1 samples a new hypercube over the box spanned by round r's accepted points,
   widened by ``widen`` x the prior width on each side and clipped to the prior. Prior and
   proposal are both uniform inside that box, so the last round's accepted points are an ABC
   posterior sample (truncated to the box) without importance weights.
6. The calibrated parameter set is the posterior median of each parameter, written with its
   5–95% range of the accepted points into ``--write`` (an ``extends = "default.toml"`` scenario
   whose header records how it was obtained and the command that reproduces it).

Outputs in ``-o``: ``calibration_points.csv`` (every design point: parameters, statistics,
distances, accepted), ``posterior.csv`` (the last round's accepted points: the posterior draws
that ``validate-model`` integrates over once copied to scenarios/validation/posterior.csv, or
written there with ``--write-posterior``), ``calibration_summary.md`` (posterior table and the command), the HDF5
files in ``h5/`` (``--rescore`` re-scores them without running pse-sim again).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .io import load
from .keys import toml_location
from .validation import (ARMS, REPO, VALIDATION_DIR, ValidationError, evaluate, find_binary, rebase,
                         run_sweep, split_experiment, targets_with_role, _quote)

DEFAULT_SAMPLES = 200
DEFAULT_REPLICATIONS = 80
DEFAULT_SURVEY_REPLICATIONS = 20
DEFAULT_SEED = 9001
DEFAULT_EPSILON = 1.0
DEFAULT_MIN_ACCEPTED = 10
DEFAULT_ROUNDS = 2
DEFAULT_WIDEN = 0.1
#: Scenario the calibration starts from (the uncalibrated defaults).
CALIBRATION_BASE = REPO / "scenarios" / "default.toml"


@dataclass(frozen=True)
class Factor:
    """One calibrated parameter: scenario key, prior range (uniform), default, and why it is in."""
    key: str
    lo: float
    hi: float
    default: float
    why: str


FACTORS: list[Factor] = [
    Factor("trust.gain_rate", 0.02, 0.08, 0.04,
           "how fast contact builds trust: drives every stage hazard, hence time to agreement (A) and the share "
           "reaching agreement (B); value an assumption (Tykhonov et al. 2008 form)"),
    Factor("pipeline.negotiation.drop_per_week", 0.004, 0.03, 0.01,
           "representative pre-agreement drop rate: negotiation is the stage engagements wait longest in (the "
           "annual decision gate adds 0-12 months), so its drop rate dominates attrition (B, D)"),
    Factor("company.time_to_value_weeks", 52, 156, 104,
           "companies' expected time to value: sets how fast willingness falls as the project end nears "
           "(000 L2-3: 1-2 years); strong on the share reaching agreement and on MNC-poor projects (B, D, F)"),
    Factor("ngo[*].switching_overhead", 0.1, 0.7, 0.3,
           "share of part-time PSE hours lost to task switching (assumption): what separates part-time from "
           "dedicated staff (C, D1, F)"),
    Factor("pipeline.continue_prob", 0.05, 0.5, 0.1,
           "P(a partnership continues past the project end) without handover (000 Overview: the flagship "
           "ended; 002: 25% sure cooperation continues) (F3)"),
    Factor("ws2.match_prob", 0.05, 0.5, 0.25,
           "P(survivor-employment talks lead to matched candidates): the main yield of the WS2 funnel (E)"),
    Factor("ngo_population.part_time_staff_mean", 1.0, 6.0, 2.0,
           "survey population: mean part-time PSE staff per NGO (Poisson; an NGO with none never starts): "
           "unknown from the survey, drives F1 and F2"),
    Factor("engagement.accept_intercept", -1.0, 3.0, 0.5,
           "logit intercept of a company accepting a first meeting (docs/ODD.md 7.12; value an assumption): "
           "how readily companies take the first step sets how many engagements start (B, D, F1-F2)"),
    Factor("ngo_population.handover_prob", 0.0, 1.0, 0.0,
           "survey population: share of NGOs whose business cooperation is not tied to a fixed-term project "
           "end (handover designed in). European NGOs in 2014 were not all running 5-year donor projects; "
           "drives F2 and F3"),
]


def calibration_targets():
    """The targets the calibration may fit: role 'calibration' in the pre-declared split
    (validation.SPLIT). Nothing else is ever scored."""
    return targets_with_role("calibration")


def posterior_frame(post: "Posterior") -> pd.DataFrame:
    """The accepted points as posterior draws (the format of scenarios/validation/posterior.csv)."""
    keys = [f.key for f in FACTORS]
    out = post.accepted[keys + ["distance"]].reset_index(drop=True)
    out.insert(0, "draw", range(len(out)))
    return out


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"'
    if isinstance(v, int):
        return str(v)
    return repr(float(v))


def arm_groups(arm_names: Sequence[str]) -> list[tuple[str, tuple, list[str]]]:
    """Distinct (experiment, settings) among the arms, with the arm names sharing each.
    Arms are the same run when their experiment files have the same scenario part (apart from
    [run]) and the same settings (e.g. 'fte1' of staffing and 'rich' of context)."""
    groups: list[tuple[str, tuple, list[str]]] = []
    bodies = {}
    for name in arm_names:
        arm = ARMS[name]
        if arm.experiment not in bodies:
            text = (VALIDATION_DIR / f"{arm.experiment}.toml").read_text()
            scen, _ = split_experiment(text)
            doc = tomllib.loads(scen)
            doc.pop("run", None)
            bodies[arm.experiment] = repr(sorted(doc.items()))
        for g in groups:
            if bodies[g[0]] == bodies[arm.experiment] and dict(g[1]) == arm.settings_dict:
                g[2].append(name)
                break
        else:
            groups.append((arm.experiment, arm.settings, [name]))
    return groups


def lhs_experiment_text(stem: str, base: Path, samples: int, replications: int, seed: int,
                        ranges: Sequence[tuple[str, float, float]]) -> str:
    """The validation experiment ``stem`` with its [experiment] replaced by a Latin hypercube over
    ``ranges`` ((key, min, max), ...) and its ``extends`` pointed at ``base``."""
    text = (VALIDATION_DIR / f"{stem}.toml").read_text()
    scen, _ = split_experiment(text)
    scen = rebase(scen, base)
    lines = [scen.rstrip(), "", "[experiment]", f'name = "calibration_{stem}"', 'design = "lhs"',
             f"samples = {int(samples)}", f"replications = {int(replications)}", f"seed = {int(seed)}",
             "common_random_numbers = false"]
    for key, lo, hi in ranges:
        lines += ["", "[[experiment.uncertainty]]", f'key = "{key}"', f"min = {float(lo)!r}", f"max = {float(hi)!r}"]
    return "\n".join(lines) + "\n"


def _group_file(stem: str, settings: tuple) -> str:
    if not settings:
        return stem
    tag = "_".join(f"{k.split('.')[-1]}{v}" for k, v in settings[:2])
    return f"{stem}__{tag}".replace("*", "").replace("[", "").replace("]", "")


def prior_ranges() -> list[tuple[str, float, float]]:
    return [(f.key, f.lo, f.hi) for f in FACTORS]


def run_calibration_sweeps(h5dir: Path, ranges: Sequence[tuple[str, float, float]], samples: int,
                           replications: int, seed: int, threads: int = 0, sets: Sequence[str] = (),
                           base: Path | None = None, binary=None, rescore: bool = False, log=None,
                           survey_replications: int | None = None) -> dict[str, str]:
    """Run one LHS sweep per distinct calibration arm into ``h5dir``; returns arm name -> file.
    Single-project arms get ``replications`` runs per point; the survey arm (each run is 27 NGOs,
    so its shares already average 27 NGO histories) gets ``survey_replications``."""
    base = Path(base) if base else CALIBRATION_BASE
    h5dir.mkdir(parents=True, exist_ok=True)
    names = sorted({a for t in calibration_targets() for a in t.arms})
    files = {}
    binary = None if rescore else find_binary(binary)
    for stem, settings, members in arm_groups(names):
        tag = _group_file(stem, settings)
        exp = h5dir / f"{tag}.toml"
        out = h5dir / f"{tag}.h5"
        reps = survey_replications if (stem == "survey" and survey_replications) else replications
        if not rescore:
            exp.write_text(lhs_experiment_text(stem, base, samples, reps, seed, ranges))
            arm_sets = list(sets) + [f"{k}={_toml_value(v)}" for k, v in settings]
            run_sweep(binary, exp, out, arm_sets, threads, log)
        elif not out.is_file():
            raise ValidationError(f"--rescore: {out} does not exist (run without --rescore first)")
        for m in members:
            files[m] = str(out)
    return files


def score(files: dict[str, str]) -> pd.DataFrame:
    """Every LHS design point: parameter values, each calibration target's statistic and distance,
    and the point's distance (largest target distance)."""
    targets = calibration_targets()
    loaded = {}
    for arm, path in files.items():
        if path not in loaded:
            loaded[path] = load(path)
    keys = [f.key for f in FACTORS]
    ref = None
    for path, res in loaded.items():
        missing = [k for k in keys if k not in res.design.columns]
        if missing:
            raise ValidationError(f"{path}: design lacks the factors {missing}")
        x = res.design[keys].to_numpy(dtype=float)
        if ref is None:
            ref = x
        elif x.shape != ref.shape or not np.allclose(x, ref):
            raise ValidationError(f"{path}: its Latin hypercube differs from the other arms' "
                                  "(same factors, samples and seed are required)")
    grouped = {}
    for path, res in loaded.items():
        ok = res.ok_runs
        grouped[path] = {int(dp): g.sort_values("replication").reset_index(drop=True)
                         for dp, g in ok.groupby("design_point")}
    rows = []
    for d in range(ref.shape[0]):
        arms = {a: grouped[p].get(d, pd.DataFrame()) for a, p in files.items()}
        t = evaluate(targets, arms)
        row = {k: ref[d, i] for i, k in enumerate(keys)}
        row["design_point"] = d
        for _, r in t.iterrows():
            row[f"{r['id']}"] = r["value"]
            row[f"d_{r['id']}"] = r["distance"]
        dist = t["distance"].to_numpy(dtype=float)
        row["distance"] = float(np.max(dist)) if dist.size else np.nan
        row["n_within"] = int(np.sum(dist <= 1.0))
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class Posterior:
    points: pd.DataFrame     # the scored design points, with column 'accepted'
    accepted: pd.DataFrame
    epsilon: float           # acceptance threshold used
    table: pd.DataFrame      # per factor: prior lo, hi, default, median, q05, q95, lo/hi sampled
    n_within_all: int        # design points within every tolerance


def posterior(points: pd.DataFrame, epsilon: float = DEFAULT_EPSILON,
              min_accepted: int = DEFAULT_MIN_ACCEPTED, ranges=None) -> Posterior:
    """ABC rejection: accept every design point whose distance is at most ``epsilon`` (1 = every
    target within its tolerance); if fewer than ``min_accepted`` points qualify, accept the
    ``min_accepted`` closest instead (the threshold is then their largest distance, > epsilon)."""
    d = points["distance"].to_numpy(dtype=float)
    finite = np.isfinite(d)
    if not finite.any():
        raise ValidationError("no design point has a finite distance (every target undefined)")
    eps = float(epsilon)
    if int(np.sum(d <= eps)) < min_accepted:
        eps = float(np.sort(d[finite])[min(min_accepted, int(finite.sum())) - 1])
    points = points.copy()
    points["accepted"] = points["distance"] <= eps
    acc = points[points["accepted"]].copy()
    ranges = {k: (lo, hi) for k, lo, hi in (ranges or prior_ranges())}
    rows = []
    for f in FACTORS:
        v = acc[f.key].to_numpy(dtype=float)
        rows.append(dict(key=f.key, prior_lo=f.lo, prior_hi=f.hi, default=f.default,
                         sampled_lo=ranges[f.key][0], sampled_hi=ranges[f.key][1], median=float(np.median(v)),
                         q05=float(np.percentile(v, 5)), q95=float(np.percentile(v, 95))))
    return Posterior(points, acc, eps, pd.DataFrame(rows), int(np.sum(d <= 1.0)))


def refine_ranges(accepted: pd.DataFrame, widen: float = DEFAULT_WIDEN) -> list[tuple[str, float, float]]:
    """Box for the next round: [min, max] of the accepted points in each parameter, widened by
    ``widen`` x the prior width on each side and clipped to the prior range."""
    out = []
    for f in FACTORS:
        v = accepted[f.key].to_numpy(dtype=float)
        pad = widen * (f.hi - f.lo)
        out.append((f.key, max(f.lo, float(v.min()) - pad), min(f.hi, float(v.max()) + pad)))
    return out


def _sig(x: float, digits: int = 3) -> float:
    if x == 0 or not np.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def calibrated_toml(post: Posterior, command: str, args, seconds: float, rounds_info: list[str]) -> str:
    """Text of scenarios/calibrated.toml."""
    n = len(post.points)
    today = _dt.date.today().isoformat()
    fac = {f.key: f for f in FACTORS}
    lines = [
        "# Calibrated parameter set of pse-sim (issue 7; docs/VALIDATION.md, \"Calibration\").",
        "#",
        "# How it was obtained: approximate Bayesian computation by rejection (ABC), in "
        f"{args.rounds} round(s). Each round",
        f"# is a Latin hypercube of {args.samples} points (pse-sim sweep, design lhs) over the {len(FACTORS)} uncertain parameters",
        "# below; every point is run for every calibration arm of the validation experiments",
        "# (scenarios/validation/: the 1-FTE project, the MNC-poor part-time project, the 27-NGO survey",
        f"# population) with {args.replications} replications per point ({args.survey_replications} for the survey population,",
        "# whose shares already average 27 NGOs; independent random numbers at every point),",
        "# and scored against the calibration targets " + ", ".join(t.id for t in calibration_targets())
        + " (the calibration role of the split in",
        "# pse_analysis/validation.py; validation targets are never scored): distance in tolerance",
        "# units (0 at the source's value, 1 at the edge of the tolerance band), largest over the targets.",
        "# Round 1 samples the uniform prior ranges; each later round samples the box spanned by the",
        f"# previous round's accepted points (widened by {args.widen:g} x the prior width each side, clipped to",
        "# the prior) -- prior and proposal are both uniform there, so the last round's accepted points",
        "# are an ABC posterior sample (truncated to that box).",
    ]
    lines += ["#   " + r for r in rounds_info]
    lines += [
        f"# Posterior: the {len(post.accepted)} of {n} last-round points with distance <= {post.epsilon:.2f}"
        + (" (every target within tolerance)." if post.epsilon <= 1 else
           f" (the closest; only {post.n_within_all} were within every tolerance)."),
        "# Each value below is the posterior median, with the 5-95% range of the accepted points, the",
        "# prior range and the uncalibrated default. The validation targets (C1-C4, G) were not used.",
        "#",
        "# Reproduce (from the repository root, with a release build or PSE_SIM=<pse-sim binary>"
        + ("):" if getattr(args, "rescore", False) else f"; took {max(1, round(seconds / 60))} min on 2 shared cores):"),
        f"#     {command}",
        f"# Generated {today}. Every parameter not listed here is the default of scenarios/default.toml.",
        "# The values adopted become the built-in defaults (sim/pse/params.h, docs/SCENARIOS.md);",
        "# scenarios/uncalibrated.toml keeps the pre-calibration values for comparison.",
        "# Validate it:  PYTHONPATH=analysis /usr/bin/python3 -m pse_analysis validate-model",
        'extends = "default.toml"',
        "",
        "[run]",
        'name = "calibrated"',
        'description = "Default project with the ABC-calibrated parameters (docs/VALIDATION.md)"',
    ]
    by_table: dict[str, list[str]] = {}
    for _, r in post.table.iterrows():
        f = fac[r["key"]]
        table, k = toml_location(f.key)
        val = _sig(r["median"])
        comment = (f"# posterior median; accepted 5-95%: {_sig(r['q05'])}-{_sig(r['q95'])}; "
                   f"prior {f.lo:g}-{f.hi:g}; default {f.default:g}")
        by_table.setdefault(table, []).append(f"{k} = {val!r}    {comment}")
    for table in sorted(by_table, key=lambda t: (t.split(".")[0], t)):
        lines += ["", f"[{table}]"] + by_table[table]
    return "\n".join(lines) + "\n"


def summary_markdown(post: Posterior, command: str, seconds: float, rounds_info: list[str]) -> str:
    out = ["# Calibration result", "", f"Command: `{command}`", ""] + [f"- {r}" for r in rounds_info] + [
           "", f"Last round: {len(post.points)} design points; accepted {len(post.accepted)} (distance <= "
           f"{post.epsilon:.3f}); {post.n_within_all} design points within every tolerance; {seconds:.0f} s.", "",
           "| parameter | prior range | default | sampled in last round | posterior median | 5% | 95% |",
           "|---|---|---|---|---|---|---|"]
    for _, r in post.table.iterrows():
        out.append(f"| `{r['key']}` | {r['prior_lo']:g}–{r['prior_hi']:g} | {r['default']:g} | "
                   f"{_sig(r['sampled_lo'])}–{_sig(r['sampled_hi'])} | {_sig(r['median'])} | "
                   f"{_sig(r['q05'])} | {_sig(r['q95'])} |")
    ids = [t.id for t in calibration_targets()]
    out += ["", "Statistics of the accepted points (median; 5–95%):", "",
            "| target | median | 5% | 95% |", "|---|---|---|---|"]
    for i in ids:
        v = post.accepted[i].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            out.append(f"| {i} | {np.median(v):.3g} | {np.percentile(v, 5):.3g} | {np.percentile(v, 95):.3g} |")
    return "\n".join(out) + "\n"


def canonical_command(args) -> str:
    parts = ["PYTHONPATH=analysis /usr/bin/python3 -m pse_analysis calibrate",
             f"--samples {args.samples}", f"--replications {args.replications}",
             f"--survey-replications {args.survey_replications}", f"--rounds {args.rounds}",
             f"--seed {args.seed}", f"--epsilon {args.epsilon:g}", f"--min-accepted {args.min_accepted}",
             f"--widen {args.widen:g}"]
    if args.output:
        parts.append(f"-o {_quote(str(args.output))}")
    for s in args.sets:
        parts.append(f"--set {_quote(s)}")
    if args.write:
        parts.append(f"--write {_quote(str(args.write))}")
    if getattr(args, "write_posterior", None):
        parts.append(f"--write-posterior {_quote(str(args.write_posterior))}")
    return " ".join(parts)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="Latin hypercube points per round")
    p.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS,
                   help="replications per point of the single-project arms (1-FTE project, MNC-poor project)")
    p.add_argument("--survey-replications", type=int, default=DEFAULT_SURVEY_REPLICATIONS,
                   help="replications per point of the 27-NGO survey arm")
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                   help="ABC rounds (each later round samples the box of the previous round's accepted points)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="master seed of the sweeps (round r uses SEED + r)")
    p.add_argument("--epsilon", type=float, default=DEFAULT_EPSILON,
                   help="ABC tolerance: accept points with distance <= EPSILON (1 = every target within tolerance)")
    p.add_argument("--min-accepted", type=int, default=DEFAULT_MIN_ACCEPTED,
                   help="accept at least this many points (the closest) when fewer are within EPSILON")
    p.add_argument("--widen", type=float, default=DEFAULT_WIDEN,
                   help="padding of the next round's box, as a fraction of the prior width")
    p.add_argument("-o", "--output", default="results/calibration",
                   help="folder for calibration_points.csv, calibration_summary.md, calibrated.toml and h5/")
    p.add_argument("--write", default=None,
                   help="also write the calibrated scenario here (e.g. scenarios/calibrated.toml)")
    p.add_argument("--write-posterior", default=None,
                   help="also write the accepted points (posterior draws) here, e.g. scenarios/validation/posterior.csv")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="parameter override passed to every sweep (repeatable)")
    p.add_argument("-t", "--threads", type=int, default=0, help="worker threads per sweep (0 = all cores)")
    p.add_argument("--rescore", action="store_true", help="re-score the sweeps in OUTPUT/h5 without running pse-sim")
    p.add_argument("--pse-sim", default=None, help="pse-sim binary (default: env PSE_SIM, else build/release/sim/pse-sim)")


def main_from_args(args) -> int:
    if not args.epsilon > 0 or args.min_accepted < 1 or args.rounds < 1 or args.samples < 2:
        print("error: need --epsilon > 0, --min-accepted >= 1, --rounds >= 1, --samples >= 2", file=sys.stderr)
        return 2
    t0 = time.time()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    command = canonical_command(args)
    log = (lambda s: print(f"+ {s}", file=sys.stderr, flush=True))
    ranges = prior_ranges()
    all_points = []
    rounds_info: list[str] = []
    try:
        for r in range(args.rounds):
            files = run_calibration_sweeps(out / "h5" / f"round{r + 1}", ranges, args.samples, args.replications,
                                           args.seed + r, args.threads, args.sets, binary=args.pse_sim,
                                           rescore=args.rescore, log=log,
                                           survey_replications=args.survey_replications)
            points = score(files)
            points.insert(0, "round", r + 1)
            post = posterior(points, args.epsilon, args.min_accepted, ranges)
            all_points.append(post.points)
            rounds_info.append(f"round {r + 1}: {len(points)} points, {post.n_within_all} within every tolerance, "
                               f"{len(post.accepted)} accepted (distance <= {post.epsilon:.2f})")
            print(rounds_info[-1], file=sys.stderr, flush=True)
            if r + 1 < args.rounds:
                ranges = refine_ranges(post.accepted, args.widen)
    except ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    secs = time.time() - t0
    pd.concat(all_points, ignore_index=True).to_csv(out / "calibration_points.csv", index=False)
    summary = summary_markdown(post, command, secs, rounds_info)
    (out / "calibration_summary.md").write_text(summary)
    text = calibrated_toml(post, command, args, secs, rounds_info)
    (out / "calibrated.toml").write_text(text)
    if args.write:
        Path(args.write).write_text(text)
    draws = posterior_frame(post)
    header = (f"# ABC posterior draws: the {len(draws)} accepted points of the last round ({command}).\n"
              "# One row per draw: the calibrated parameters and the draw's ABC distance. validate-model\n"
              "# integrates its validation experiments over these draws (docs/VALIDATION.md).\n")
    for target in [out / "posterior.csv"] + ([Path(args.write_posterior)] if args.write_posterior else []):
        with open(target, "w") as fh:
            fh.write(header)
            draws.to_csv(fh, index=False, float_format="%.6g")
    print(summary)
    print(f"written: {out / 'calibrated.toml'}" + (f" and {args.write}" if args.write else ""))
    if post.epsilon > args.epsilon:
        print(f"warning: only {post.n_within_all} design points are within every tolerance; accepted the "
              f"{len(post.accepted)} closest (distance <= {post.epsilon:.2f})", file=sys.stderr)
    return 0

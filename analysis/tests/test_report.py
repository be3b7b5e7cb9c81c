"""The HTML report: produced for synthetic files (sweeps, missing data) and for real pse-sim output."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pse_analysis.report import build_report, fmt_ci
from synth import ishigami, resolved_text, saltelli_design, write_results


def _check_html(index: Path) -> str:
    assert index.is_file()
    html = index.read_text(encoding="utf-8")
    srcs = re.findall(r"<img src='([^']+)'", html)
    assert srcs, "report has no figures"
    for s in srcs:
        if not s.startswith("data:"):
            assert (index.parent / s).is_file(), f"figure {s} referenced but missing"
    for href in re.findall(r"href='([^']+)'", html):
        assert (index.parent / href).is_file(), f"table {href} referenced but missing"
    return html


def _toy_pipeline(n_runs, weeks, rng):
    pipe = np.zeros((n_runs, weeks, 20), np.float32)
    for s in (1, 2, 3, 7, 9, 11):
        pipe[:, :, s] = rng.poisson(2, size=(n_runs, weeks))
    pipe[:, :, 18] = np.cumsum(rng.poisson(0.5, size=(n_runs, weeks)), axis=1)
    return pipe


def test_report_for_a_sobol_sweep(tmp_path):
    rng = np.random.default_rng(0)
    x = saltelli_design(32, [(-np.pi, np.pi)] * 3)
    n = len(x)
    weeks = 30
    y = ishigami(x)
    keys = ["ngo_defaults.dedicated_fte", "trust.gain_rate", "company.time_to_value_weeks"]
    events = {"run": np.repeat(np.arange(n), 2), "week": np.tile([1, 12], n), "ngo": np.zeros(2 * n),
              "org": np.full(2 * n, 3), "type": np.tile([15, 2], n), "stage_from": np.tile([0, 6], n),
              "stage_to": np.tile([1, 7], n)}
    p = write_results(tmp_path / "sweep.h5", n_design_points=n, replications=1, weeks=weeks,
                      summary={"agreements": np.round(y + 5), "vulnerability_reduction": y ** 2,
                               "actions_high": np.round(y + 6), "partnerships_at_end": np.abs(y)},
                      series={"partnerships_active": rng.poisson(2, size=(n, weeks)),
                              "workers_reached": rng.poisson(100, size=(n, weeks))},
                      pipeline=_toy_pipeline(n, weeks, rng), events=events,
                      design={k: (x[:, i], "uncertainty") for i, k in enumerate(keys)}, design_method="sobol",
                      root_attrs={"sobol_base_samples": np.int64(32)},
                      resolved=[resolved_text(end_week=20)] * n)
    html = _check_html(build_report(p, tmp_path / "rep", n_boot=50, dpi=50))
    assert "sensitivity_sobol.png" in html and "dedicated_fte" in html
    assert "most influential parameter" in html
    assert (tmp_path / "rep" / "tables" / "sobol_vulnerability_reduction.csv").is_file()


def test_report_without_events_or_sensitivity_explains_why(tmp_path):
    rng = np.random.default_rng(1)
    weeks = 20
    p = write_results(tmp_path / "plain.h5", replications=4, weeks=weeks,
                      summary={"agreements": [0, 1, 2, 3], "vulnerability_reduction": [0, 5, 3, 9],
                               "partnerships_end_plus_52": [0, 0, 1, 0]},
                      series={"partnerships_active": rng.poisson(1, size=(4, weeks))},
                      pipeline=_toy_pipeline(4, weeks, rng), resolved=[resolved_text(end_week=10)])
    html = _check_html(build_report(p, tmp_path / "rep", embed=True, dpi=50))
    assert "Not available" in html and "record_events" in html
    assert "No sensitivity analysis" in html and "no Sobol or Morris design" in html
    assert "data:image/png;base64," in html
    # 4 replications: the mean, but no interval (at least 5 are needed), said in words
    assert "agreements signed: 1.5 (no interval: only 4 replications; at least 5 needed)" in html
    assert "95% CI" not in html.split("<h2>Scenario comparison</h2>")[0]


def test_report_with_no_agreements(tmp_path):
    rng = np.random.default_rng(2)
    weeks = 20
    events = {"run": np.array([0, 1]), "week": np.array([1, 2]), "ngo": np.zeros(2), "org": np.array([4, 5]),
              "type": np.array([15, 15]), "stage_from": np.zeros(2), "stage_to": np.ones(2)}
    p = write_results(tmp_path / "none.h5", replications=2, weeks=weeks,
                      summary={"agreements": [0, 0], "vulnerability_reduction": [0, 0]},
                      series={"partnerships_active": np.zeros((2, weeks))}, pipeline=_toy_pipeline(2, weeks, rng),
                      events=events, resolved=[resolved_text(end_week=10)])
    _check_html(build_report(p, tmp_path / "rep", dpi=50))


def test_number_formatting():
    assert fmt_ci(6.6, 6.0, 7.2) == "6.6 (95% CI 6.0\u20137.2)"
    assert fmt_ci(0.2, -0.1, 0.5) == "0.20 (95% CI \u22120.10 to 0.50)"
    assert fmt_ci(4872.3, 2290.1, 7453.9) == "4,872 (95% CI 2,290\u20137,454)"
    assert fmt_ci(0.064, 0.04, 0.08, share=True) == "6.4% (95% CI 4.0%\u20138.0%)"


# ---- real pse-sim output ------------------------------------------------------------------------------
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _is_experiment(path: Path) -> bool:
    return any(line.strip() == "[experiment]" for line in path.read_text(encoding="utf-8").splitlines())


EXPERIMENTS = sorted(p.name for p in SCENARIOS.glob("*.toml") if _is_experiment(p))
PLAIN = sorted(p.name for p in SCENARIOS.glob("*.toml") if not _is_experiment(p))


def _run(pse_sim, repo_root, scenario, out, reps):
    r = subprocess.run([str(pse_sim), "run", str(repo_root / "scenarios" / scenario), "-o", str(out), "-r",
                        str(reps), "--overwrite"], cwd=repo_root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"pse-sim run {scenario} failed: {r.stderr}"
    return out


def _sweep(pse_sim, repo_root, experiment, out):
    """Bundled experiment, made small: 2 replications, 4 samples for sampling designs."""
    cmd = [str(pse_sim), "sweep", str(repo_root / "scenarios" / experiment), "-o", str(out), "--overwrite",
           "--set", "experiment.replications=2"]
    text = (repo_root / "scenarios" / experiment).read_text(encoding="utf-8")
    if re.search(r'design\s*=\s*"(sobol|morris|lhs)"', text):
        cmd += ["--set", "experiment.samples=4"]
    helptext = subprocess.run([str(pse_sim), "--help"], capture_output=True, text=True, timeout=60).stdout
    if not re.search(r"^\s+sweep\s", helptext, re.M):
        pytest.skip("this pse-sim build has no sweep command (rebuild pse-sim)")
    r = subprocess.run(cmd, cwd=repo_root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"pse-sim sweep {experiment} failed: {r.stderr}"
    return out


def test_report_for_default_scenario_via_cli(pse_sim, repo_root, tmp_path):
    h5 = _run(pse_sim, repo_root, "default.toml", tmp_path / "default.h5", 3)
    out = tmp_path / "report"
    r = subprocess.run([sys.executable, "-m", "pse_analysis", "report", str(h5), "-o", str(out), "--dpi", "40"],
                       cwd=repo_root / "analysis", capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    html = _check_html(out / "index.html")
    for section in ("Engagement pipeline over time", "Time from first contact to agreement", "Funding horizon",
                    "Indicators versus outcomes", "Scenario comparison", "Sensitivity"):
        assert section in html
    assert "agreements signed: " in html and "one year after the end" in html
    # the time to agreement in the answer is the stored per-run metric, averaged over runs: the
    # number `pse-sim run` prints in its summary table, under a name that says so
    from pse_analysis import load
    from pse_analysis.answer import num
    mw = load(h5).ok_runs["median_weeks_to_agreement"].mean()
    answer_part = html.split("<h2>Summary</h2>")[0]
    assert (f"median weeks from first contact to agreement (per run, averaged over runs): {num(mw)} weeks"
            in answer_part)
    assert "no Sobol or Morris design" in html
    for fig in ("pipeline", "time_to_agreement", "funding_horizon", "indicators_vs_outcomes"):
        assert (out / "figures" / f"{fig}.png").is_file()


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_report_for_each_bundled_experiment(pse_sim, repo_root, tmp_path, experiment):
    h5 = _sweep(pse_sim, repo_root, experiment, tmp_path / "sweep.h5")
    # max_design_points=4: designs of up to 4 points get per-point figures, larger ones pooled ones
    html = _check_html(build_report(h5, tmp_path / "report", dpi=40, n_boot=50, max_design_points=4))
    assert "Summary" in html and "Sensitivity" in html
    text = (repo_root / "scenarios" / experiment).read_text(encoding="utf-8")
    if re.search(r'design\s*=\s*"(sobol|morris)"', text):
        assert "sensitivity_sobol.png" in html or "sensitivity_morris.png" in html
    else:
        assert "No sensitivity analysis" in html
    first = html.split("<h2>Summary</h2>")[0]
    assert "<h2>Answer</h2>" in first and "<details>" not in first
    if experiment == "funding_horizon.toml":    # levers (end week, handover) x an uncertainty (budget_cv)
        assert "Robust choice (smallest maximum regret" in first and "A 5-year project instead of a 3-year" in first
        assert (tmp_path / "report" / "figures" / "funding_horizon_by_ngo____end_week.png").is_file()
    if experiment == "staffing.toml":
        assert "Two dedicated specialists instead of one dedicated specialist" in first
    if experiment == "sensitivity.toml":        # a lever among the uncertainties is said to be one
        assert "Levers (choices a project or donor makes) in this design: ngo[*].dedicated_fte" in first


def test_report_comparing_bundled_scenarios(pse_sim, repo_root, tmp_path):
    assert "default.toml" in PLAIN
    names = ["default.toml"] + [s for s in PLAIN if s != "default.toml"]
    files = [_run(pse_sim, repo_root, s, tmp_path / (s[:-5] + ".h5"), 2) for s in names]
    html = _check_html(build_report(files, tmp_path / "report", dpi=40, max_design_points=len(files)))
    assert "paired by replication" in html          # bundled scenarios share replication seeds
    for s in names:
        assert s[:-5] in html


def test_report_errors_are_one_line_with_the_cli_exit_codes(tmp_path, capsys):
    """Not a results file, or an output path that is a file: one `error:` line and exit 1 (as
    `pse-sim info`), no traceback; a missing analysis stays exit 2."""
    from pse_analysis.__main__ import main
    good = write_results(tmp_path / "r.h5", summary={"agreements": [1, 2, 3]})
    not_h5 = tmp_path / "notes.txt"
    not_h5.write_text("hello\n")
    assert main(["report", str(not_h5), "-o", str(tmp_path / "rep")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not an HDF5 file" in err and "Traceback" not in err
    assert main(["report", str(good), "-o", str(not_h5)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: '{not_h5}': File exists"
    assert not_h5.read_text() == "hello\n"


def test_report_of_an_lhs_sweep_has_rank_correlations_and_scenario_discovery(tmp_path):
    rng = np.random.default_rng(5)
    n = 120
    x = np.column_stack([(rng.permutation(n) + rng.random(n)) / n for _ in range(3)])
    y = np.where((x[:, 0] > 0.75), 0.0, 10.0) + x[:, 1] + rng.random(n)   # fails in the top quarter of x1
    keys = ["ngo[*].budget_cv", "trust.gain_rate", "ngo[*].dedicated_fte"]
    roles = ["uncertainty", "uncertainty", "lever"]
    p = write_results(tmp_path / "lhs.h5", n_design_points=n, replications=1, weeks=4,
                      summary={"agreements": y, "vulnerability_reduction": 2 * y},
                      design={k: (x[:, i], roles[i]) for i, k in enumerate(keys)}, design_method="lhs",
                      resolved=[resolved_text(end_week=3)] * n)
    html = _check_html(build_report(p, tmp_path / "rep", dpi=40, n_boot=50))
    assert "rank_correlations.png" in html
    first = html.split("<h2>Summary</h2>")[0]
    assert "Agreements signed rises or falls most with ngo[*].budget_cv (Spearman ρ −" in first.replace("-", "−")
    assert "Scenario discovery" in html
    assert re.search(r"concentrated where budget_cv above 0\.7\d* — coverage (9\d|100)%, density 100%", html), "box not found"


def test_report_help_and_argument_errors_are_the_clis_own(tmp_path):
    """`report --help` lists the report's options with examples; a missing -o, a bad number or no
    command is one `error:` line naming the help command, exit 2, no usage dump or traceback."""
    env = dict(__import__("os").environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    def run(*args, pse_sim=False):
        e = dict(env)
        if pse_sim:
            e["PSE_SIM"] = "pse-sim"
        else:
            e.pop("PSE_SIM", None)
        return subprocess.run([sys.executable, "-m", "pse_analysis", *args], capture_output=True, text=True,
                              env=e, timeout=120)
    h = run("report", "--help")
    assert h.returncode == 0 and "-o DIR, --output DIR" in h.stdout and "examples:" in h.stdout
    assert "--baseline N" in h.stdout and "opens with the answer" in h.stdout
    good = write_results(tmp_path / "r.h5", summary={"agreements": [1, 2, 3]})
    for args, want in ((["report", str(good)], "the following arguments are required: -o/--output"),
                       (["report", str(good), "-o", str(tmp_path / "x"), "--boot", "abc"],
                        "argument --boot: invalid int value: 'abc'"),
                       ([], "the following arguments are required: COMMAND")):
        r = run(*args, pse_sim=True)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and want in lines[0], r.stderr
        assert "pse-sim" in lines[0] and "usage:" not in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()

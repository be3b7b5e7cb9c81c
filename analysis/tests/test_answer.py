"""The answer-first part of the report: lever steps between neighbouring levels with known answers,
bootstrap intervals that respect the support of counts, no interval from fewer than 5
replications, design values in words, labels and parameter diffs of compared files."""
import numpy as np
import pytest

from pse_analysis import answer, load
from pse_analysis.report import build_report
from synth import resolved_text, write_results


def _staffing_grid(tmp_path, reps=20, noise=1.0):
    """Grid dedicated_fte (0, 1, 2) x trained (false, true), common random numbers. agreements =
    1 + 3*fte (0->1) + 1*(fte>=2) + 2*trained + replication noise shared by all design points."""
    fte = np.repeat([0.0, 1.0, 2.0], 2)
    trained = np.tile([0.0, 1.0], 3)
    n_dp = len(fte)
    rng = np.random.default_rng(3)
    shared = rng.normal(0, noise, reps)          # replication r: same luck at every design point
    dp = np.repeat(np.arange(n_dp), reps)
    rep = np.tile(np.arange(reps), n_dp)
    base = 1 + 3 * np.minimum(fte, 1) + 1 * (fte >= 2) + 2 * trained
    agreements = base[dp] + 5 + shared[rep]
    workers = np.where(rep[...] < 3, 100.0, 0.0) * (fte[dp] > 0)   # non-zero in only 3 runs per arm
    return write_results(tmp_path / "grid.h5", n_design_points=n_dp, replications=reps, weeks=4,
                         summary={"agreements": agreements, "workers_reached": workers},
                         design={"ngo[*].dedicated_fte": (fte, "lever"),
                                 "ngo[*].trained": (trained, "lever")},
                         value_labels={"ngo[*].trained": ["false", "true"]}, design_method="grid",
                         resolved=[resolved_text(end_week=3)] * n_dp)


def test_neighbouring_steps_are_paired_and_recover_the_known_effects(tmp_path):
    res = load(_staffing_grid(tmp_path))
    steps = answer.lever_steps(res, n_boot=500)
    a = steps[(steps["lever"] == "ngo[*].dedicated_fte") & (steps["metric"] == "agreements")]
    assert list(a["words_from"]) == ["no dedicated specialist (PSE part-time only)", "one dedicated specialist"]
    assert list(a["words_to"]) == ["one dedicated specialist", "two dedicated specialists"]
    # 0 -> 1 specialist: +3; 1 -> 2: +1 (not +4: neighbouring arms, not each against the baseline)
    np.testing.assert_allclose(a["diff"], [3.0, 1.0], atol=1e-9)
    # the shared replication noise cancels in the pairing: the interval is the point itself
    np.testing.assert_allclose(a["lo"], [3.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(a["hi"], [3.0, 1.0], atol=1e-9)
    assert a["paired"].all() and (a["n"] == 20).all()
    t = steps[(steps["lever"] == "ngo[*].trained") & (steps["metric"] == "agreements")]
    np.testing.assert_allclose(t["diff"], [2.0], atol=1e-9)
    assert list(t["words_to"]) == ["PSE-trained staff"]
    paras = dict(answer.answer_paragraphs(res, steps))
    text = " ".join(paras["Staffing (dedicated PSE specialists) (ngo[*].dedicated_fte)"])
    assert "Two dedicated specialists instead of one dedicated specialist: agreements signed +1.0" in text
    assert "paired by replication (20 replications" in text
    assert "averages over trained" in text
    # workers reached is non-zero in 3 runs per staffed arm: the text warns
    assert "rest on a handful of runs" in text and "only 3 run(s) with any" in text


def test_unpaired_steps_without_common_random_numbers(tmp_path):
    p = _staffing_grid(tmp_path, reps=10)
    import h5py
    with h5py.File(p, "a") as f:   # every run its own seed: no pairing
        f["runs/seed"][...] = np.arange(len(f["runs/seed"]), dtype=np.uint64) + 7
    steps = answer.lever_steps(load(p), n_boot=500)
    a = steps[(steps["lever"] == "ngo[*].dedicated_fte") & (steps["metric"] == "agreements")]
    assert not a["paired"].any()
    np.testing.assert_allclose(a["diff"], [3.0, 1.0], atol=1e-9)
    assert (a["hi"] - a["lo"] > 0.1).all()           # the noise now stays in the interval


def test_bootstrap_interval_of_a_count_is_never_negative():
    x = np.array([0, 0, 0, 0, 0, 0, 0, 12, 0, 0], float)   # t-interval: 1.2 ± 2.7 reaches below 0
    e = answer.bootstrap_mean_ci(x, n_boot=2000)
    assert e.mean == pytest.approx(1.2) and e.lo >= 0 and e.hi <= 12 and e.nonzero == 1
    share = answer.bootstrap_mean_ci([1, 1, 1, 1, 1, 0.9], n_boot=500)
    assert share.hi <= 1.0
    few = answer.bootstrap_mean_ci([1, 2, 3, 4])
    assert np.isnan(few.lo) and np.isnan(few.hi) and few.n == 4
    assert "no interval: only 4 replications" in answer.interval_text(few.mean, few.lo, few.hi, few.n)


def test_values_in_words():
    assert answer.value_words("ngo[*].end_week", 156) == "a 3-year project"
    assert answer.value_words("ngo_defaults.end_week", 520) == "a 10-year project"
    assert answer.value_words("ngo[*].dedicated_fte", 0.5) == "0.5 full-time equivalents of dedicated specialists"
    assert answer.value_words("ngo[*].handover", 1.0, ["false", "true"]) == "handover designed in"
    assert answer.value_words("ngo[*].approach", 1.0, ["co_creation", "scrutiny"]) == "supply-chain scrutiny"
    assert answer.value_words("trust.gain_rate", 0.05) == "gain_rate = 0.05"
    assert answer.years_text(624) == "12 years" and answer.years_text(234) == "4.5 years"


def test_two_files_of_one_scenario_get_labels_and_a_parameter_diff(tmp_path):
    """Two runs of 'default' made with --set: labels tell them apart, the report shows the diff,
    and the answer compares them paired by replication."""
    base = '[run]\nname = "default"\nweeks = 4\n\n[ngo_defaults]\nend_week = 3\ndedicated_fte = {}\n'
    files = []
    for i, fte in enumerate((1.0, 2.0)):
        files.append(write_results(tmp_path / f"d{i}.h5", replications=6, weeks=4, scenario_name="default",
                                   summary={"agreements": np.arange(6) + 2.0 * i},
                                   resolved=[base.format(fte)]))
    res = load(files)
    assert res.label(0) == "default (dedicated_fte = 1.0)" and res.label(1) == "default (dedicated_fte = 2.0)"
    diff = answer.parameter_diff(res)
    assert list(diff["parameter"]) == ["ngo_defaults.dedicated_fte"]
    steps = answer.lever_steps(res, n_boot=200)
    assert steps.iloc[0]["words_to"] == "two dedicated specialists" and steps.iloc[0]["diff"] == pytest.approx(2.0)
    html = (build_report(files, tmp_path / "rep", dpi=40, n_boot=50)).read_text(encoding="utf-8")
    assert "What differs between the compared files" in html and "ngo_defaults.dedicated_fte" in html
    assert "Two dedicated specialists instead of one dedicated specialist" in html
    first_screen = html.split("<h2>Summary</h2>")[0]
    assert "<h2>Answer</h2>" in first_screen and "<details>" not in first_screen


def test_report_opens_with_the_answer_and_collapses_tables(tmp_path):
    index = build_report(_staffing_grid(tmp_path), tmp_path / "rep", dpi=40, n_boot=50)
    html = index.read_text(encoding="utf-8")
    assert html.index("<h2>Answer</h2>") < html.index("<img") < html.index("<details>")
    assert "One dedicated specialist instead of no dedicated specialist" in html
    assert (tmp_path / "rep" / "figures" / "answer_ngo____dedicated_fte.png").is_file()
    assert (tmp_path / "rep" / "tables" / "lever_steps.csv").is_file()
    # every table is collapsed, with its CSV link
    assert html.count("<table>") - 0 == html.count("<details><summary>Table:")


# ---- answers across plausible worlds (posterior-integrated experiments) ----------------------

def test_sign_share_known_answers():
    s = answer.sign_share([1.0, 2.0, 3.0, -1.0])
    assert s["median"] == 1.5 and s["n"] == 4
    assert s["share_positive"] == 0.75 and s["share_negative"] == 0.25 and s["same_sign"] == 0.75
    s = answer.sign_share(np.arange(101.0), conf=0.90)  # quantiles of 0..100: 5 and 95
    assert s["lo"] == pytest.approx(5.0) and s["hi"] == pytest.approx(95.0) and s["median"] == 50.0
    assert s["same_sign"] == pytest.approx(100 / 101)   # the 0 has no sign
    assert answer.sign_share([0.0, 0.0])["same_sign"] == 1.0
    neg = answer.sign_share([-3.0, -1.0, 2.0, float("nan")])
    assert neg["n"] == 3 and neg["median"] == -1.0 and neg["same_sign"] == pytest.approx(2 / 3)
    assert np.isnan(answer.sign_share([])["median"])


def test_world_contrasts_recover_a_known_contrast(tmp_path):
    # K = 10 worlds with trust.gain_rate g_k = 0.01 .. 0.10; the lever (0 -> 1) adds 100 g_k - 3
    # agreements in world k, exactly, in every replication: contrasts -2 .. 7 (one 0), so the median
    # is 2.5, 7 of 10 worlds share its sign, and the driver is trust.gain_rate (rho = +1).
    K, reps = 10, 4
    g = np.linspace(0.01, 0.10, K)
    other = np.array([0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0])
    lever = np.repeat([0.0, 1.0], K)                  # design point p * K + k
    gain = np.tile(g, 2)
    oth = np.tile(other, 2)
    n_dp = 2 * K
    dp = np.repeat(np.arange(n_dp), reps)
    rep = np.tile(np.arange(reps), n_dp)
    agreements = 5.0 + rep + lever[dp] * (100 * gain[dp] - 3)
    path = tmp_path / "worlds.h5"
    write_results(path, n_design_points=n_dp, replications=reps, design_method="grid",
                        summary={"agreements": agreements},
                        design={"ngo[*].dedicated_fte": (lever, "lever"), "trust.gain_rate": (gain, "uncertainty"),
                                "company.other": (oth, "uncertainty")},
                        root_attrs={"posterior_draws": np.int64(K), "posterior_file": "draws.csv"})
    res = load(str(path))
    assert answer.posterior_draws(res) == K
    t = answer.world_contrasts(res, metrics=["agreements"])
    assert len(t) == 1
    row = t.iloc[0]
    np.testing.assert_allclose(row["worlds"], 100 * g - 3, atol=1e-9)
    assert row["median"] == pytest.approx(2.5)
    assert row["same_sign"] == pytest.approx(0.7) and row["share_negative"] == pytest.approx(0.2)
    assert row["drivers"].startswith("trust.gain_rate (+1.00)")
    text = answer.world_sentence(row, "agreements signed")
    assert "raises agreements signed in 70% of 10 plausible worlds" in text
    html = build_report(str(path), tmp_path / "rep", dpi=40, n_boot=50).read_text(encoding="utf-8")
    assert "Across plausible worlds" in html
    assert "in 70% of 10 plausible worlds" in html and "trust.gain_rate (+1.00)" in html
    assert (tmp_path / "rep" / "tables" / "world_contrasts.csv").is_file()
    # Not an integrated experiment: nothing to report.
    plain = tmp_path / "plain.h5"
    write_results(plain, n_design_points=2, replications=3, design_method="grid",
                        summary={"agreements": np.arange(6.0)}, design={"ngo[*].dedicated_fte": ([0.0, 1.0], "lever")})
    assert answer.world_contrasts(load(str(plain))).empty

"""The what-if page in real headless Chromium (Debian's chromium + chromium-driver, python3-selenium):
load it, change a lever, run, and check the numbers shown against `pse-sim run`; an invalid value
shows the loader's message next to its control; the comparison, URL state and downloads work."""
import os
import shutil
import subprocess
import urllib.parse

import h5py
import numpy as np
import pytest

from webutil import ServerProcess, request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _browser_missing() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        return "chromium is not installed (Debian package chromium; scripts/install-deps installs it)"
    if not os.access(DRIVER, os.X_OK):
        return "chromedriver is not installed (Debian package chromium-driver; scripts/install-deps)"
    return ""


@pytest.fixture(scope="module")
def server(pse_sim, web_modules, repo_root, tmp_path_factory):
    s = ServerProcess(pse_sim, repo_root, tmp_path_factory.mktemp("web") / "out")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("chromium is installed but python3-selenium is not (scripts/install-deps installs it)")
    o = Options()
    o.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800"):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    d.set_page_load_timeout(60)
    yield d
    d.quit()


def wait(driver, cond, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(cond)


def by_id(driver, i):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, i)


def open_page(driver, url):
    driver.get(url)
    wait(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "1")


def set_value(driver, control_id, value):
    el = by_id(driver, control_id)
    el.clear()
    el.send_keys(str(value))


def run_and_wait(driver):
    by_id(driver, "run").click()
    wait(driver, lambda d: by_id(d, "progress-box").get_attribute("data-state") in ("done", "failed", "stopped"))
    assert by_id(driver, "progress-box").get_attribute("data-state") == "done", by_id(driver, "progress-text").text


def shown(driver, metric, col="baseline"):
    cell = driver.find_element("css selector", f'#summary-table tr[data-metric="{metric}"] td.{col}')
    return float(cell.get_attribute("data-value")), cell.text


def cli_means(pse_sim, repo_root, out, *args):
    subprocess.run([str(pse_sim), "-q", "run", "scenarios/default.toml", *args, "-o", str(out)], cwd=repo_root,
                   check=True, timeout=300)
    with h5py.File(out, "r") as f:
        s = {k: f["runs/summary"][k][:] for k in f["runs/summary"]}
    return {k: float(np.mean(v[np.isfinite(v)])) for k, v in s.items() if np.isfinite(v).any()}


def test_change_a_lever_run_and_match_the_cli(browser, server, pse_sim, repo_root, tmp_path):
    from pse_web.summary import fmt_num
    open_page(browser, server.url)
    assert "Dedicated PSE specialists" in by_id(browser, "controls").text
    set_value(browser, "c-ngo____dedicated_fte", 2)
    set_value(browser, "replications", 6)
    run_and_wait(browser)
    cli = cli_means(pse_sim, repo_root, tmp_path / "cli.h5", "-r", "6", "--set", "ngo[*].dedicated_fte=2")
    for metric in ("agreements", "workers_reached", "partnerships_at_end", "resources_usd"):
        value, text = shown(browser, metric)
        assert value == cli[metric], metric
        assert text.startswith(fmt_num(cli[metric]) + " ["), (metric, text)
    answer = by_id(browser, "answer").text
    assert "6 replications" in answer and fmt_num(cli["agreements"]) in answer
    # the URL keeps the page state
    q = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)
    assert q["s.ngo[*].dedicated_fte"] == ["2"] and q["reps"] == ["6"] and q["run"] == ["1"]
    # charts drawn with years on the x axis
    assert len(browser.find_elements("css selector", "#charts canvas")) == 4
    assert browser.execute_script(
        "return Chart.getChart('chart-agreements_signed').options.scales.x.title.text") == "years since the project start"


def test_an_invalid_value_shows_the_loaders_message(browser, server, pse_sim_module, repo_root):
    open_page(browser, server.url)
    set_value(browser, "c-ngo____dedicated_fte", -1)
    err = lambda d: by_id(d, "err-c-ngo____dedicated_fte").text
    wait(browser, lambda d: err(d) != "")
    (expected,) = pse_sim_module.validate(repo_root / "scenarios/default.toml", ["ngo[*].dedicated_fte=-1"])
    assert err(browser) == expected.message            # "value -1 is out of range [0, 1000] FTE"
    assert "has-error" in by_id(browser, "wrap-c-ngo____dedicated_fte").get_attribute("class")
    by_id(browser, "run").click()
    wait(browser, lambda d: not by_id(d, "run").get_attribute("disabled"))
    assert err(browser) == expected.message            # refused, still next to its control
    # a pasted scenario with a syntax error: the loader's message with its line
    by_id(browser, "paste-box").click()
    by_id(browser, "toml").send_keys('[run]\nname = "mine"\nweeks = \n')
    by_id(browser, "use-toml").click()
    wait(browser, lambda d: by_id(d, "toml-problems").text != "")
    assert by_id(browser, "toml-problems").text.startswith("line 3: TOML syntax error")


def test_compare_a_shorter_grant_and_download(browser, server, pse_sim, repo_root, tmp_path):
    # a link reproduces a comparison: 3-year instead of 5-year grant
    open_page(browser, server.url + "?scenario=default&compare=1&reps=5&s.ngo[*].end_week=156&run=1")
    wait(browser, lambda d: by_id(d, "progress-box").get_attribute("data-state") == "done")
    assert by_id(browser, "c-ngo____end_week").get_attribute("value") == "3"
    assert by_id(browser, "robust-box").is_displayed()          # the robustness check is offered
    assert not by_id(browser, "robust-results").is_displayed()  # ... and was not asked for
    row = browser.find_element("css selector", '#diff tr[data-key="ngo[*].end_week"]')
    assert row.text.endswith("5 years 3 years")
    base = cli_means(pse_sim, repo_root, tmp_path / "b.h5", "-r", "5")
    var = cli_means(pse_sim, repo_root, tmp_path / "v.h5", "-r", "5", "--set", "ngo[*].end_week=156")
    assert shown(browser, "agreements", "baseline")[0] == base["agreements"]
    assert shown(browser, "agreements", "variant")[0] == var["agreements"]
    assert shown(browser, "agreements", "diff")[0] == pytest.approx(var["agreements"] - base["agreements"], abs=1e-9)
    answer = by_id(browser, "answer").text
    assert answer.startswith("With project end (years after the start) 3 years instead of 5 years:")
    assert "paired by replication" in answer
    # downloads: fetched by the browser itself; the variant TOML reproduces the run with the CLI
    links = {a.get_attribute("download"): a.get_attribute("href")
             for a in browser.find_elements("css selector", "#downloads a")}
    assert set(links) == {"baseline.toml", "baseline.h5", "baseline_csv.zip", "variant.toml", "variant.h5",
                          "variant_csv.zip"}
    fetched = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all(arguments[0].map(u => fetch(u).then(r => r.status))).then(done);", list(links.values()))
    assert fetched == [200] * 6
    st, toml = request(server.base, urllib.parse.urlparse(links["variant.toml"]).path)
    assert st == 200
    (tmp_path / "variant.toml").write_bytes(toml)
    subprocess.run([str(pse_sim), "-q", "run", str(tmp_path / "variant.toml"), "-r", "5", "-o", str(tmp_path / "r.h5")],
                   check=True, timeout=300)
    with h5py.File(tmp_path / "r.h5", "r") as f:
        assert float(np.mean(f["runs/summary/agreements"][:])) == var["agreements"]

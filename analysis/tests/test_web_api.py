"""The web app's JSON API (pse_web, Flask test client in-process): numbers equal to the CLI's,
errors next to their controls, limits, the job queue, the access token, no path from a request."""
import io
import json
import subprocess
import threading
import time
import zipfile

import h5py
import numpy as np
import pytest


@pytest.fixture()
def make_client(web_modules, repo_root, tmp_path):
    from pse_web.app import Config, create_app
    apps = []

    def make(**kw):
        cfg = Config(scenario_dir=repo_root / "scenarios", output_dir=tmp_path / "out", port=8050, **kw)
        app = create_app(cfg)
        apps.append(app)
        c = app.test_client()
        c.environ_base["HTTP_HOST"] = "127.0.0.1:8050"
        return c, cfg
    yield make
    for a in apps:
        a.config["pse_server"].queue.close()


def wait_job(client, job_id, deadline_s=120):
    """Poll the job until it leaves queued/running (observable state), within a deadline."""
    t_end = time.monotonic() + deadline_s
    while True:
        r = client.get(f"/api/jobs/{job_id}")
        assert r.status_code == 200
        d = r.get_json()
        if d["state"] not in ("queued", "running"):
            return d
        assert time.monotonic() < t_end, "job did not finish in time"
        time.sleep(0.05)


def run_job(client, body):
    r = client.post("/api/jobs", json=body)
    assert r.status_code == 202, r.get_json()
    return wait_job(client, r.get_json()["id"])


def cli_summary(pse_sim, repo_root, out, *args):
    subprocess.run([str(pse_sim), "-q", "run", *args, "-o", str(out)], cwd=repo_root, check=True, timeout=300)
    with h5py.File(out, "r") as f:
        return {k: f["runs/summary"][k][:] for k in f["runs/summary"]}


def finite_mean(a):
    a = np.asarray(a, dtype=float)
    a = a[np.isfinite(a)]
    return float(np.mean(a)) if a.size else None


def test_meta_has_the_levers_from_the_field_table(make_client):
    c, _ = make_client()
    m = c.get("/api/meta").get_json()
    controls = {f["key"]: f for g in m["groups"] for f in g["controls"]}
    fte = controls["ngo[*].dedicated_fte"]
    assert fte["label"] == "Dedicated PSE specialists" and fte["unit"] == "FTE" and fte["min"] == 0
    assert fte["doc"] and fte["source"].startswith("000_")
    assert controls["ngo[*].end_week"]["display"] == "years" and controls["run.weeks"]["display"] == "years"
    assert controls["ngo[*].approach"]["choices"] == ["co_creation", "scrutiny"]
    assert "run.seed" not in controls and "trust.gain_rate" in controls      # everything else under "More"
    ids = {s["id"] for s in m["scenarios"]}
    assert {"default", "two_specialists", "mnc_poor"} <= ids and "staffing" not in ids   # no experiment files
    assert m["limits"]["replications"] == 100
    sister = c.get("/api/scenarios/sister_projects").get_json()
    assert len(sister["projects"]) == 3 and sister["projects"][1].startswith("Project 2")
    assert c.get("/api/scenarios/default").get_json()["projects"] == []


def test_single_run_equals_the_cli_and_downloads_reproduce_it(make_client, pse_sim, repo_root, tmp_path):
    c, cfg = make_client()
    d = run_job(c, {"scenario": "default", "set": {"ngo[*].dedicated_fte": 2}, "replications": 5, "seed": 3})
    assert d["state"] == "done" and d["done"] == d["total"] == 5
    res = d["result"]
    cli = cli_summary(pse_sim, repo_root, tmp_path / "cli.h5", "scenarios/default.toml", "-r", "5", "--seed", "3",
                      "--set", "ngo[*].dedicated_fte=2")
    for name, s in res["baseline"]["summary"].items():
        assert s["mean"] == finite_mean(cli[name]), name
        assert s["values"] == [None if not np.isfinite(v) else float(v) for v in cli[name]], name
    assert "agreements signed" in res["paragraph"] and "5 replications" in res["paragraph"]
    # downloads: the TOML reproduces the run with the CLI; the HDF5 holds the same numbers; CSV tables
    files = d["files"]
    assert set(files) == {"baseline.toml", "baseline.h5", "baseline_csv.zip"}
    toml = c.get(files["baseline.toml"])
    assert toml.status_code == 200 and "attachment" in toml.headers["Content-Disposition"]
    (tmp_path / "page.toml").write_bytes(toml.data)
    again = cli_summary(pse_sim, repo_root, tmp_path / "again.h5", str(tmp_path / "page.toml"), "-r", "5")
    h5 = c.get(files["baseline.h5"]).data
    (tmp_path / "page.h5").write_bytes(h5)
    with h5py.File(tmp_path / "page.h5", "r") as f:
        for name in cli:
            assert np.array_equal(f["runs/summary"][name][:], cli[name], equal_nan=True), name
            assert np.array_equal(again[name], cli[name], equal_nan=True), name
    z = zipfile.ZipFile(io.BytesIO(c.get(files["baseline_csv.zip"]).data))
    assert "baseline_csv/runs.csv" in z.namelist()
    assert len(z.read("baseline_csv/runs.csv").decode().splitlines()) == 6
    # everything written is inside the output folder, under the job's id
    written = [p for p in cfg.output_dir.rglob("*") if p.is_file()]
    assert written and all(p.parent.name == d["id"] for p in written)


def test_comparison_is_paired_and_shows_the_diff(make_client, pse_sim, repo_root, tmp_path):
    c, _ = make_client()
    d = run_job(c, {"scenario": "default", "set": {"ngo[*].end_week": 156}, "compare": True, "replications": 6})
    res = d["result"]
    assert [x["key"] for x in res["diff"]] == ["ngo[*].end_week"]
    assert res["diff"][0]["baseline_text"] == "5 years" and res["diff"][0]["variant_text"] == "3 years"
    base = cli_summary(pse_sim, repo_root, tmp_path / "b.h5", "scenarios/default.toml", "-r", "6")
    var = cli_summary(pse_sim, repo_root, tmp_path / "v.h5", "scenarios/default.toml", "-r", "6",
                      "--set", "ngo[*].end_week=156")
    for name, cmp in res["comparison"].items():
        diff = var[name] - base[name]
        assert cmp["method"] == "paired t"
        assert cmp["diff"] == pytest.approx(finite_mean(diff), rel=1e-12, abs=1e-12) or cmp["diff"] is None, name
    assert res["baseline"]["seeds"] == res["variant"]["seeds"]      # common random numbers
    assert res["variant"]["end_week"] == 156 and res["baseline"]["end_week"] == 260
    p = res["paragraph"]
    assert p.startswith("With project end (years after the start) 3 years instead of 5 years:")
    assert "agreements" in p and "95% interval" in p and "paired by replication" in p
    assert {"variant.toml", "variant.h5", "variant_csv.zip"} <= set(d["files"])
    assert "end_week = 156" in c.get(d["files"]["variant.toml"]).data.decode()


def test_bad_values_come_back_with_the_loaders_message_and_control(make_client, pse_sim_module, repo_root):
    c, _ = make_client()
    r = c.post("/api/validate", json={"scenario": "default", "set": {"ngo[*].dedicated_fte": -1, "trust.nope": 1}})
    probs = r.get_json()["problems"]
    expected = pse_sim_module.validate(repo_root / "scenarios/default.toml",
                                       ["ngo[*].dedicated_fte=-1", "trust.nope=1"])
    assert [p["message"] for p in probs] == [p.message for p in expected]
    by = {p["control"]: p for p in probs}
    assert "out of range [0, 1000]" in by["ngo[*].dedicated_fte"]["message"]
    assert by["trust.nope"]["message"].startswith("unknown key")
    assert c.post("/api/jobs", json={"scenario": "default", "set": {"ngo[*].dedicated_fte": -1}}).status_code == 400
    assert c.post("/api/validate", json={"scenario": "default"}).get_json() == {"problems": []}
    # pasted text: syntax error with its line; a base file outside the bundled ones is refused
    r = c.post("/api/scenario", json={"toml": '[run]\nname = "x"\nweeks = \n'})
    (p,) = r.get_json()["problems"]
    assert r.status_code == 400 and p["line"] == 3 and "syntax" in p["message"] and p["file"] == "pasted.toml"
    for bad in ('extends = "../../../etc/passwd"\n', 'extends = "/etc/hostname"\n', "extends = 3\n",
                'extends = "staffing.toml"\n[run]\nname="x"\n'):
        r = c.post("/api/scenario", json={"toml": bad})
        assert r.status_code == 400 and r.get_json()["problems"][0]["key"] == "extends", bad
        assert "bundled scenario file" in r.get_json()["problems"][0]["message"]
    ok = c.post("/api/scenario", json={"toml": 'extends = "default.toml"\n[run]\nname = "mine"\n'}).get_json()
    assert ok["name"] == "mine" and ok["values"]["ngo[*].dedicated_fte"] == 1.0
    r = c.post("/api/validate", json={"scenario": "../etc/passwd"})
    assert "unknown scenario" in r.get_json()["problems"][0]["message"]


def test_limits(make_client):
    c, cfg = make_client(max_weeks=520, max_organisations=3000, max_body_bytes=4096)
    def post(body):
        return c.post("/api/jobs", json=body)
    r = post({"scenario": "default", "replications": 1000})
    assert r.status_code == 400 and r.get_json()["problems"][0]["control"] == "replications"
    for reps in (0, -1, 2.5, "10", True, None):
        assert post({"scenario": "default", "replications": reps}).status_code == 400, reps
    r = post({"scenario": "default", "set": {"run.weeks": 600}})
    assert r.status_code == 400 and "at most 520 weeks" in r.get_json()["problems"][0]["message"]
    r = post({"scenario": "default", "set": {"ecosystem.supplier_count": 5000}})
    assert r.status_code == 400 and "at most 3000" in r.get_json()["problems"][0]["message"]
    r = c.post("/api/jobs", data=json.dumps({"toml": "#" * 10000}), content_type="application/json")
    assert r.status_code == 413 and "larger than 4 KiB" in r.get_json()["error"]
    big, _ = make_client()
    r = big.post("/api/jobs", json={"scenario": "default", "set": {f"trust.k{i}": 1 for i in range(300)}})
    assert r.status_code == 400 and "at most 200" in r.get_json()["problems"][0]["message"]
    assert post({"scenario": "default", "seed": -5}).status_code == 400


def test_queue_full_and_time_limit(make_client):
    c, _ = make_client(max_waiting=0)
    r = c.post("/api/jobs", json={"scenario": "default", "replications": 1})
    assert r.status_code == 429 and "waiting" in r.get_json()["error"]
    c2, _ = make_client(job_time_limit=1e-9)
    d = run_job(c2, {"scenario": "default", "replications": 3})
    assert d["state"] == "stopped" and "time limit" in d["message"] and "result" not in d


def test_job_queue_positions(web_modules, tmp_path):
    from pse_web.jobs import JobQueue, QueueFull
    q = JobQueue(tmp_path, slots=1, max_waiting=2)
    gate = threading.Event()
    started = threading.Event()

    def blocked(job):
        started.set()
        assert gate.wait(60)
        return {"ok": True}
    a = q.submit(blocked, 1)
    assert started.wait(60)                     # a runs, the worker is busy
    b, c = q.submit(lambda j: {"b": 1}, 1), q.submit(lambda j: {"c": 1}, 1)
    assert (a.state, q.position(b), q.position(c)) == ("running", 1, 2)
    with pytest.raises(QueueFull):
        q.submit(lambda j: {}, 1)
    gate.set()
    t_end = time.monotonic() + 60
    while c.state != "done":
        assert time.monotonic() < t_end
        time.sleep(0.01)
    assert (a.result, b.result, c.result) == ({"ok": True}, {"b": 1}, {"c": 1})

    def broken(job):
        raise RuntimeError("boom")
    e = q.submit(broken, 1)
    while e.state in ("queued", "running"):
        assert time.monotonic() < t_end
        time.sleep(0.01)
    assert e.state == "failed" and "boom" in e.message
    q.close()


def test_access_token_and_host_header(make_client):
    c, _ = make_client(token="s3cret-token")
    assert c.get("/api/meta").status_code == 403
    assert c.get("/").status_code == 403
    assert c.get("/api/meta?token=wrong").status_code == 403
    r = c.get("/?token=s3cret-token")
    assert r.status_code == 200 and "pse_token=s3cret-token" in r.headers["Set-Cookie"]
    assert c.get("/api/meta").status_code == 200           # the cookie now carries it
    c3, _ = make_client(token="s3cret-token")
    assert c3.get("/api/meta", headers={"X-PSE-Token": "s3cret-token"}).status_code == 200
    c4, _ = make_client()
    assert c4.get("/api/meta", headers={"Host": "evil.example:8050"}).status_code == 403
    assert c4.get("/api/meta").status_code == 200


def test_no_request_path_reaches_the_file_system(make_client):
    c, _ = make_client()
    for path in ("/api/jobs/../../etc/passwd", "/api/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/api/jobs/0123456789abcdef01234567/files/baseline.h5", "/api/scenarios/..%2fREADME",
                 "/static/../../README.md", "/static/%2e%2e/app.py", "/vendor/../etc/passwd"):
        r = c.get(path)
        assert r.status_code == 404, path
    d = run_job(c, {"scenario": "default", "replications": 1, "set": {"run.weeks": 60}})
    for name in ("../app.py", "baseline.h5/../../x", "..%2f..%2fapp.py", "results.csv", "variant.h5"):
        assert c.get(f"/api/jobs/{d['id']}/files/{name}").status_code == 404, name
    assert c.get("/vendor/chart.min.js").status_code == 200


def test_which_addresses_need_a_token(web_modules):
    from pse_web.__main__ import needs_token
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert not needs_token(host), host
        assert needs_token(host, require_token=True), host
    for host in ("0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org", "pse.local"):
        assert needs_token(host), host


def test_serve_with_a_token_refuses_requests_without_it(pse_sim, web_modules, repo_root, tmp_path):
    from webutil import ServerProcess, request
    s = ServerProcess(pse_sim, repo_root, tmp_path / "out", "--require-token")
    try:
        assert s.token and len(s.token) >= 24
        assert request(s.base, "/api/meta")[0] == 403
        assert request(s.base, "/")[0] == 403
        assert request(s.base, "/api/meta?token=" + s.token[:-1] + "x")[0] == 403
        st, meta = request(s.base, "/api/meta?token=" + s.token)
        assert st == 200 and meta["scenarios"]
        assert request(s.base, "/api/jobs", {"scenario": "default"})[0] == 403
        assert request(s.base, "/api/jobs", {"scenario": "default", "replications": 1, "set": {"run.weeks": 30}},
                       headers={"X-PSE-Token": s.token})[0] == 202
    finally:
        s.stop()


def test_plausible_ranges_from_the_calibration_file(web_modules, repo_root, tmp_path):
    from pse_web.robustness import plausible_ranges
    r = {x["key"]: x for x in plausible_ranges(repo_root / "scenarios/calibrated.toml")}
    assert r["trust.gain_rate"] == {"key": "trust.gain_rate", "median": 0.0449, "low": 0.0245, "high": 0.0735}  # scenarios/calibrated.toml
    assert "ngo[*].switching_overhead" in r and "pipeline.negotiation.drop_per_week" in r
    assert all(x["low"] < x["median"] < x["high"] for x in r.values())
    assert plausible_ranges(tmp_path / "missing.toml") == []


def test_robustness_check_reruns_the_comparison_at_each_plausible_end(make_client, pse_sim_module, repo_root):
    ps = pse_sim_module
    c, _ = make_client()
    meta = c.get("/api/meta").get_json()
    keys = [x["key"] for x in meta["robustness"] if not x["key"].startswith("ngo_population.")]
    body = {"scenario": "default", "compare": True, "robustness": True, "replications": 4,
            "set": {"ngo[*].dedicated_fte": 2, "run.weeks": 312}, "base": {"run.weeks": 312}}
    d = run_job(c, body)
    assert d["state"] == "done" and d["total"] == 4 * 2 * (1 + 2 * len(keys))
    rob = d["result"]["robustness"]
    assert [(r["key"], r["end"]) for r in rob["rows"]] == [(k, e) for k in keys for e in ("low", "high")]
    assert rob["verdict"].startswith("Across the plausible values of the calibrated parameters")
    # one row checked against the module directly: gain rate at its low end, same seeds
    row = next(r for r in rob["rows"] if r["key"] == "trust.gain_rate" and r["end"] == "low")
    sc = repo_root / "scenarios/default.toml"
    b = ps.run(sc, 4, set={"run.weeks": 312, "trust.gain_rate": 0.0224})
    v = ps.run(sc, 4, set={"ngo[*].dedicated_fte": 2, "run.weeks": 312, "trust.gain_rate": 0.0224})
    diff = v.summary["agreements"].to_numpy() - b.summary["agreements"].to_numpy()
    assert row["agreements"]["diff"] == pytest.approx(float(np.mean(diff)), abs=1e-12)
    # without compare, no robustness rows
    d1 = run_job(c, dict(body, compare=False))
    assert "robustness" not in d1["result"] and d1["total"] == 4

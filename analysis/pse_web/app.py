"""The web app behind `pse-sim serve`: a Flask application over the pse_sim module.

Routes (JSON API under /api; every request needs the access token when one is set):
  GET  /                         the page (static/index.html)
  GET  /vendor/chart.min.js      Chart.js from Debian's libjs-chart.js
  GET  /api/meta                 field table as control groups, bundled scenarios, metrics, limits
  GET  /api/scenarios/<id>       a bundled scenario: its text and every parameter's value
  POST /api/scenario             pasted TOML {"toml": text}: its values, or its problems
  POST /api/validate             {"scenario"|"toml", "set", "base"}: problems (empty list = valid)
  POST /api/jobs                 {"scenario"|"toml", "set", "base", "compare", "replications", "seed"}
                                 -> 202 {"id", "position"}; 400 problems; 429 queue full
  GET  /api/jobs/<id>            state (queued with position | running with done/total | done
                                 with results | failed | stopped) and download links
  GET  /api/jobs/<id>/files/<name>  baseline.toml, baseline.h5, baseline_csv.zip (and variant.*)

Nothing in a request names a file: scenarios are chosen by the id of a file the server listed at
start (its scenario folder), pasted text may only `extends` one of those files, and everything
written goes to <output>/<job id>/ (a random id made by the server).
"""
from __future__ import annotations

import hmac
import json
import math
import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, abort, jsonify, request, send_file, send_from_directory
from werkzeug.exceptions import HTTPException

import pse_sim

from . import levers, robustness, summary
from .jobs import JobQueue, JobStopped, QueueFull

STATIC = Path(__file__).resolve().parent / "static"
CHART_JS = Path("/usr/share/javascript/chart.js/chart.min.js")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
KEY_RE = re.compile(r"^[A-Za-z0-9_]+(\[(\*|[0-9]{1,4})\])?(\.[A-Za-z0-9_]+){1,3}$")
JOB_ID_RE = re.compile(r"^[0-9a-f]{24}$")
FILES = {f"{w}.{ext}" for w in ("baseline", "variant") for ext in ("toml", "h5")} | \
    {"baseline_csv.zip", "variant_csv.zip"}


@dataclass
class Config:
    """Settings of one server. Limits apply per request; see README "Web app"."""
    scenario_dir: Path
    output_dir: Path
    host: str = "127.0.0.1"
    port: int = 8050
    token: str | None = None            # required on every request when set
    threads: int = 0                    # threads per job (0 = all cores)
    slots: int = 1                      # jobs running at once
    max_waiting: int = 8                # jobs waiting beyond those running
    max_replications: int = 100
    max_weeks: int = 1040               # 20 years
    max_organisations: int = 20000
    max_body_bytes: int = 256 * 1024
    job_time_limit: float = 60.0        # seconds per job (baseline and variant together)
    memory_limit: float = 2e9           # bytes per run (estimated)
    max_overrides: int = 200
    chart_js: Path = CHART_JS
    keep_jobs: int = 64
    extra: dict = field(default_factory=dict)


class BadRequest(Exception):
    """A request the server refuses, with the problems to show (list of dicts) and a status."""

    def __init__(self, problems: list[dict], status: int = 400):
        super().__init__("; ".join(p.get("message", "") for p in problems))
        self.problems = problems
        self.status = status


def _problem(message: str, key: str = "", control: str = "", line: int = 0, file: str = "") -> dict:
    text = (f"{file}:{line}: " if file and line else f"{file}: " if file else "") + \
        (f"key '{key}': " if key else "") + message
    return {"file": file, "line": line, "column": 0, "key": key, "message": message, "text": text,
            "control": control or (key if key.startswith("ngo[*].") or "." in key else "")}


class Catalogue:
    """The bundled scenarios: every scenario file directly in the scenario folder (experiment
    files and files that do not load are left out), read once at start."""

    def __init__(self, folder: Path):
        self.folder = Path(folder).resolve()
        self.entries: dict[str, dict] = {}
        for p in sorted(self.folder.glob("*.toml")):
            try:
                sc = pse_sim.load(p)
            except (pse_sim.InputError, OSError):
                continue
            self.entries[p.stem] = {"id": p.stem, "file": p.name, "path": p, "name": sc.name,
                                    "description": sc.description, "text": p.read_text()}
        self.file_names = {e["file"] for e in self.entries.values()}


def _control_of(p) -> str:
    """The page control a loader problem belongs to: its --set key, or the field key."""
    if p.file.startswith("--set "):
        return p.file[len("--set "):].split("=", 1)[0]
    if p.key.startswith("ngo_defaults."):
        return "ngo[*]." + p.key[len("ngo_defaults."):]
    return p.key


def _problems(err: pse_sim.InputError, cat: Catalogue) -> list[dict]:
    out = []
    prefix = str(cat.folder) + os.sep
    for p in err.problems:
        d = {"file": p.file.replace(prefix, ""), "line": p.line, "column": p.column, "key": p.key,
             "message": p.message, "text": p.text.replace(prefix, ""), "control": _control_of(p)}
        out.append(d)
    return out


def _check_overrides(obj, what: str, cfg: Config) -> dict:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise BadRequest([_problem(f"'{what}' must be an object of parameter keys and values")])
    if len(obj) > cfg.max_overrides:
        raise BadRequest([_problem(f"'{what}' has {len(obj)} entries; at most {cfg.max_overrides}")])
    probs = []
    for k, v in obj.items():
        if not isinstance(k, str) or not KEY_RE.match(k):
            probs.append(_problem("not a parameter key", key=str(k)[:80], control=str(k)[:80]))
        elif isinstance(v, bool) or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            if isinstance(v, float) and not math.isfinite(v):
                probs.append(_problem("must be a finite number", key=k, control=k))
        elif isinstance(v, str):
            if len(v) > 200:
                probs.append(_problem("text longer than 200 characters", key=k, control=k))
        else:
            probs.append(_problem("must be a number, true/false or text", key=k, control=k))
    if probs:
        raise BadRequest(probs)
    return obj


class Server:
    """State of one running app: config, catalogue, field table, job queue."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.cat = Catalogue(cfg.scenario_dir)
        self.fields = pse_sim.field_list()
        self.field_by_key = {f["key"]: f for f in self.fields}
        self.groups = levers.lever_groups(self.fields)
        self.labels = {c["key"]: c["label"] for g in self.groups if g["main"] for c in g["controls"]}
        cfg.output_dir = Path(cfg.output_dir).resolve()
        cfg.output_dir.mkdir(parents=True, exist_ok=True)
        self.queue = JobQueue(cfg.output_dir, slots=cfg.slots, max_waiting=cfg.max_waiting, keep=cfg.keep_jobs)
        self.ranges = robustness.plausible_ranges(self.cat.folder / "calibrated.toml")
        self.units = {m["name"]: m["unit"] for m in pse_sim._SUMMARY}
        self.units.update({"series:" + m["name"]: m["unit"] for m in pse_sim._SERIES})

    # -- loading what a request describes ------------------------------------------------------
    def load(self, body: dict, set_: dict):
        """The scenario a request describes ({"scenario": id} or {"toml": text}) with overrides,
        checked against the limits. Raises BadRequest with the loader's problems."""
        cfg = self.cfg
        try:
            if body.get("toml") is not None:
                text = body["toml"]
                if not isinstance(text, str):
                    raise BadRequest([_problem("'toml' must be text")])
                ext = pse_sim.extends_of(text)
                base_dir = ""
                if ext is not None:
                    if ext is False or ext not in self.cat.file_names:
                        line = next((i + 1 for i, ln in enumerate(text.splitlines()) if ln.strip().startswith("extends")), 0)
                        raise BadRequest([_problem(
                            "on this page, extends can only name a bundled scenario file: " +
                            ", ".join(sorted(self.cat.file_names)), key="extends", line=line, file="pasted.toml")])
                    base_dir = str(self.cat.folder)
                sc = pse_sim.loads(text, "pasted.toml", set_, base_dir=base_dir, memory_limit=cfg.memory_limit)
            else:
                sid = body.get("scenario", "default")
                if not isinstance(sid, str) or sid not in self.cat.entries:
                    raise BadRequest([_problem("unknown scenario; pick one of: " + ", ".join(self.cat.entries),
                                               key="scenario")])
                sc = pse_sim.load(self.cat.entries[sid]["path"], set_, memory_limit=cfg.memory_limit)
        except pse_sim.InputError as e:
            raise BadRequest(_problems(e, self.cat)) from None
        probs = []
        if sc.weeks > cfg.max_weeks:
            probs.append(_problem(f"the page runs at most {cfg.max_weeks} weeks ({cfg.max_weeks / 52:g} years); use "
                                  f"the command line (pse-sim run) for longer runs", key="run.weeks"))
        if sc.organisations > cfg.max_organisations:
            probs.append(_problem(f"this scenario has {sc.organisations} organisations; the page runs at most "
                                  f"{cfg.max_organisations} (use the command line for larger ones)",
                                  key="ecosystem.supplier_count"))
        if probs:
            raise BadRequest(probs)
        return sc

    @staticmethod
    def projects(sc) -> list[str]:
        """Names of the scenario's own [[ngo]] entries ([] when it has none)."""
        names = []
        while len(names) < 1000:
            try:
                names.append(sc.get(f"ngo[{len(names)}].name"))
            except IndexError:
                break
        return names

    def values_json(self, sc) -> dict:
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in sc.values().items()}

    def diff(self, base, var) -> list[dict]:
        """Parameters whose values differ between two scenarios, with labels and units."""
        a, b = base.values(), var.values()
        out = []
        for k in a:
            if k in ("run.name", "run.description") or a[k] == b.get(k):
                continue
            f = self.field_by_key.get(k, {})
            unit = f.get("unit", "")
            years = k in levers.YEAR_KEYS

            def text(v):
                if years:
                    return f"{round(v / 52, 2):g} years" if k != "ngo[*].start_week" else f"week {v}"
                if isinstance(v, bool):
                    return "yes" if v else "no"
                if isinstance(v, (int, float)):
                    return f"{v:,g} {unit}".strip()
                return str(v).replace("_", " ")
            out.append({"key": k, "label": self.labels.get(k, k), "unit": "years" if years else unit,
                        "baseline": a[k], "variant": b.get(k), "baseline_text": text(a[k]),
                        "variant_text": text(b.get(k))})
        return out

    # -- a job -----------------------------------------------------------------------------------
    def make_work(self, base_sc, var_sc, reps: int, seed: int, robust: list[dict] | None = None):
        cfg = self.cfg

        def work(job):
            t0 = time.monotonic()
            runs = [("baseline", base_sc)] + ([("variant", var_sc)] if var_sc is not None else [])
            out = {}
            for i, (which, sc) in enumerate(runs):
                left = cfg.job_time_limit - (time.monotonic() - t0)
                if left <= 0:
                    raise JobStopped(f"stopped at the time limit of {cfg.job_time_limit:g} s")
                offset = i * reps
                try:
                    res = pse_sim.run(sc, reps, threads=cfg.threads, seed=seed, time_limit=left,
                                      progress=lambda d, f, t, o=offset: job.progress(o + d + f))
                except pse_sim.RunStopped as e:
                    raise JobStopped(f"stopped at the time limit of {cfg.job_time_limit:g} s ({e}); use fewer "
                                     f"replications or the command line") from None
                self.write_files(job.folder, which, res, reps)
                out[which] = (res, summary.describe(res, self.units))
            result = {"baseline": out["baseline"][1], "seed": seed, "replications": reps}
            if var_sc is not None:
                cmp = summary.compare(out["baseline"][0], out["variant"][0])
                diff = self.diff(base_sc, var_sc)
                result.update(variant=out["variant"][1], comparison=cmp, diff=diff,
                              paragraph=summary.paragraph_compare(out["baseline"][1], out["variant"][1], cmp, diff))
                if robust:
                    result["robustness"] = self.robustness(job, base_sc, var_sc, reps, seed, robust, cmp, t0)
            else:
                result["paragraph"] = summary.paragraph_single(out["baseline"][1])
            return result
        return work

    def robustness(self, job, base_sc, var_sc, reps, seed, ranges, cmp, t0) -> dict:
        """Rerun baseline and variant with each plausible range end (robustness.py)."""
        cfg = self.cfg
        rows = []
        done = 2 * reps
        for r in ranges:
            for end in ("low", "high"):
                left = cfg.job_time_limit - (time.monotonic() - t0)
                if left <= 0:
                    raise JobStopped(f"stopped at the time limit of {cfg.job_time_limit:g} s while checking "
                                     f"robustness; use fewer replications")
                value = r[end]
                if self.field_by_key.get(r["key"], {}).get("type") == "integer":
                    value = int(round(value))
                try:
                    pair = [pse_sim.run(sc, reps, threads=cfg.threads, seed=seed, set={r["key"]: value},
                                        time_limit=left,
                                        progress=lambda d, f, t, o=done + i * reps: job.progress(o + d + f))
                            for i, sc in enumerate((base_sc, var_sc))]
                except pse_sim.RunStopped:
                    raise JobStopped(f"stopped at the time limit of {cfg.job_time_limit:g} s while checking "
                                     f"robustness; use fewer replications") from None
                done += 2 * reps
                c = summary.compare(pair[0], pair[1])
                rows.append({"key": r["key"], "end": end, "value": value,
                             "label": self.labels.get(r["key"]) or self.field_by_key.get(r["key"], {}).get("doc", r["key"]),
                             **{name: c[name] for name, _ in robustness.METRICS}})
        return {"rows": rows, "metrics": [n for n, _ in robustness.METRICS],
                "verdict": robustness.verdict(rows, cmp)}

    def write_files(self, folder: Path, which: str, res, reps: int) -> None:
        toml = (f"# Scenario run on the pse-sim web page ({which}); reproduce it with:\n"
                f"#   pse-sim run {which}.toml -r {reps} -o {which}.h5\n" + res.resolved_toml())
        (folder / f"{which}.toml").write_text(toml)
        h5 = folder / f"{which}.h5"
        res.save(h5, overwrite=True, command_line=f"pse-sim serve ({which}, {reps} replications)")
        tmp = folder / f"{which}_csv"
        pse_sim.export_csv(h5, tmp)
        with zipfile.ZipFile(folder / f"{which}_csv.zip", "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(tmp.iterdir()):
                z.write(p, f"{which}_csv/{p.name}")
        shutil.rmtree(tmp, ignore_errors=True)

    def job_json(self, job) -> dict:
        d = {"id": job.id, "state": job.state, "done": job.done, "total": job.total, "message": job.message,
             "position": self.queue.position(job) if job.state == "queued" else 0}
        if job.state == "done":
            d["result"] = job.result
            d["files"] = {n: f"/api/jobs/{job.id}/files/{n}" for n in sorted(FILES)
                          if (job.folder / n).is_file()}
        return d


def _allowed_hosts(cfg: Config) -> set[str]:
    """Host headers a server without token accepts: its loopback names with its port."""
    names = {"127.0.0.1", "localhost", "[::1]", f"[{cfg.host}]" if ":" in cfg.host else cfg.host}
    return {f"{h}:{cfg.port}" for h in names} | names


def _json_body(cfg: Config) -> dict:
    raw = request.get_data(cache=False, as_text=False)
    if len(raw) > cfg.max_body_bytes:
        raise BadRequest([_problem(f"request larger than {cfg.max_body_bytes // 1024} KiB")], 413)
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise BadRequest([_problem(f"request body is not valid JSON ({type(e).__name__})")]) from None
    if not isinstance(body, dict):
        raise BadRequest([_problem("request body must be a JSON object")])
    return body


def create_app(cfg: Config) -> Flask:
    """The Flask app for `cfg` (starts the job workers). Serve it with waitress (see serve())."""
    srv = Server(cfg)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = cfg.max_body_bytes
    app.config["pse_server"] = srv

    @app.before_request
    def guard():
        if cfg.token:
            given = request.args.get("token") or request.headers.get("X-PSE-Token") or request.cookies.get("pse_token") or ""
            if not hmac.compare_digest(given.encode(), cfg.token.encode()):
                if request.path.startswith("/api/"):
                    return jsonify(error="access token missing or wrong: open the URL with ?token=... that "
                                         "`pse-sim serve` printed"), 403
                return Response("403: this server needs its access token. Open the URL with ?token=... that "
                                "`pse-sim serve` printed.\n", 403, mimetype="text/plain")
        elif request.host not in _allowed_hosts(cfg):
            # a page on another site reaching the loopback server through DNS rebinding
            return jsonify(error=f"unexpected Host header {request.host!r}"), 403

    @app.after_request
    def headers(resp):
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                                   "script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
        if cfg.token and request.args.get("token") == cfg.token:
            resp.set_cookie("pse_token", cfg.token, httponly=True, samesite="Strict")
        return resp

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest):
        return jsonify(error=str(e), problems=e.problems), e.status

    @app.errorhandler(QueueFull)
    def queue_full(e):
        return jsonify(error=str(e), problems=[_problem(str(e))]), 429

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        msg = e.description if e.code != 413 else f"request larger than {cfg.max_body_bytes // 1024} KiB"
        return jsonify(error=msg, problems=[_problem(msg)]), e.code

    @app.errorhandler(Exception)
    def internal(e: Exception):  # never crash: report and go on
        app.logger.exception("internal error")
        return jsonify(error=f"internal error ({type(e).__name__}); the server keeps running"), 500

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html", max_age=0)

    @app.get("/favicon.ico")
    def favicon():
        return Response(status=204)

    @app.get("/vendor/chart.min.js")
    def chart_js():
        if not cfg.chart_js.is_file():
            abort(404, "Chart.js is not installed (Debian package libjs-chart.js; scripts/install-deps)")
        return send_file(cfg.chart_js, mimetype="text/javascript", max_age=3600)

    @app.get("/api/meta")
    def meta():
        return jsonify(
            version=pse_sim.__version__, groups=srv.groups,
            scenarios=[{k: e[k] for k in ("id", "file", "name", "description")} for e in srv.cat.entries.values()],
            summary=[{"name": n, "label": lab, "unit": srv.units.get(n, "")} for n, lab in summary.SHOWN],
            limits={"replications": cfg.max_replications, "weeks": cfg.max_weeks,
                    "organisations": cfg.max_organisations, "body_bytes": cfg.max_body_bytes,
                    "job_seconds": cfg.job_time_limit, "waiting": cfg.max_waiting},
            robustness=srv.ranges,
            queue=srv.queue.counts())

    @app.get("/api/scenarios/<sid>")
    def scenario(sid):
        e = srv.cat.entries.get(sid)
        if e is None:
            abort(404, "no such bundled scenario")
        sc = pse_sim.load(e["path"])
        return jsonify(id=sid, name=sc.name, description=sc.description, text=e["text"], weeks=sc.weeks,
                       seed=sc.seed, organisations=sc.organisations, values=srv.values_json(sc),
                       projects=srv.projects(sc))

    @app.post("/api/scenario")
    def pasted():
        body = _json_body(cfg)
        if not isinstance(body.get("toml"), str):
            raise BadRequest([_problem("'toml' (the scenario text) is required")])
        sc = srv.load({"toml": body["toml"]}, {})
        return jsonify(name=sc.name, description=sc.description, weeks=sc.weeks, seed=sc.seed,
                       organisations=sc.organisations, values=srv.values_json(sc), projects=srv.projects(sc))

    def parse_run(body):
        set_ = _check_overrides(body.get("set"), "set", cfg)
        base = _check_overrides(body.get("base"), "base", cfg)
        source = {"scenario": body.get("scenario")} if body.get("toml") is None else {"toml": body.get("toml")}
        compare = body.get("compare", False)
        robust = body.get("robustness", False)
        if not isinstance(compare, bool) or not isinstance(robust, bool):
            raise BadRequest([_problem("'compare' and 'robustness' must be true or false")])
        reps = body.get("replications", 10)
        if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= cfg.max_replications:
            raise BadRequest([_problem(f"replications must be a whole number from 1 to {cfg.max_replications}",
                                       key="replications", control="replications")])
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 63):
            raise BadRequest([_problem("seed must be a whole number from 0 to 2^63-1", key="seed", control="seed")])
        # the variant is the scenario with `set`; the baseline the scenario with `base`
        probs = []
        var_sc = base_sc = None
        try:
            var_sc = srv.load(source, set_)
        except BadRequest as e:
            probs += [dict(p, which="variant" if compare else "baseline") for p in e.problems]
        if compare:
            try:
                base_sc = srv.load(source, base)
            except BadRequest as e:
                probs += [dict(p, which="baseline") for p in e.problems]
        if probs:
            raise BadRequest(probs)
        if not compare:
            base_sc, var_sc = var_sc, None
        ranges = robustness.relevant(srv.ranges, base_sc) if (compare and robust) else []
        return base_sc, var_sc, reps, (base_sc.seed if seed is None else seed), ranges

    @app.post("/api/validate")
    def validate():
        body = _json_body(cfg)
        try:
            parse_run(body)
        except BadRequest as e:
            if e.status != 400:
                raise
            return jsonify(problems=e.problems)
        return jsonify(problems=[])

    @app.post("/api/jobs")
    def submit():
        body = _json_body(cfg)
        base_sc, var_sc, reps, seed, ranges = parse_run(body)
        total = reps * (2 if var_sc is not None else 1) * (1 + 2 * len(ranges))
        job = srv.queue.submit(srv.make_work(base_sc, var_sc, reps, seed, ranges), total)
        return jsonify(srv.job_json(job)), 202

    def job_or_404(job_id):
        if not JOB_ID_RE.match(job_id):
            abort(404, "no such job")
        job = srv.queue.get(job_id)
        if job is None:
            abort(404, "no such job (finished jobs are kept for a while, then forgotten)")
        return job

    @app.get("/api/jobs/<job_id>")
    def job_status(job_id):
        return jsonify(srv.job_json(job_or_404(job_id)))

    @app.get("/api/jobs/<job_id>/files/<name>")
    def job_file(job_id, name):
        job = job_or_404(job_id)
        if name not in FILES or job.state != "done":
            abort(404, "no such file")
        path = job.folder / name          # name is one of FILES, job.folder made by the server
        if not path.is_file():
            abort(404, "no such file")
        mime = {"toml": "application/toml", "h5": "application/x-hdf5", "zip": "application/zip"}[name.rsplit(".", 1)[1]]
        return send_file(path, mimetype=mime, as_attachment=True, download_name=name, max_age=0)

    return app


def url_of(cfg: Config) -> str:
    host = cfg.host if cfg.host not in ("0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{cfg.port}/" + (f"?token={cfg.token}" if cfg.token else "")


def serve(cfg: Config, ready=None) -> None:
    """Serve the app with waitress until interrupted. `ready(url)` is called once listening."""
    import waitress
    app = create_app(cfg)
    server = waitress.create_server(app, host=cfg.host, port=cfg.port, threads=8,
                                    max_request_body_size=cfg.max_body_bytes + 1024, connection_limit=100,
                                    channel_timeout=60, ident="pse-sim")
    cfg.port = server.effective_port
    if ready:
        ready(url_of(cfg))
    try:
        server.run()
    finally:
        app.config["pse_server"].queue.close()

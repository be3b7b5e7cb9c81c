// The what-if page: builds the lever controls from the field table (/api/meta), keeps the page
// state in the URL, validates as you type (the loader's messages next to the control), runs jobs
// with progress and shows the answer, numbers, charts, parameter diff and downloads.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  meta: null, fields: {}, controls: {}, scenario: "default", toml: null, scenarioValues: {},
  base: {}, mode: "single", job: null, charts: [], validateTimer: null, lastResult: null,
  problemsSeq: 0,  // only the newest request may show or clear problems (answers can arrive out of order)
};
const YEARS = 52;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function fmt(x, signed) {
  if (x === null || x === undefined || !isFinite(x)) return "n/a";
  const ax = Math.abs(x);
  let s;
  if (ax >= 1000) s = Math.round(x).toLocaleString("en-US");
  else if (ax >= 100) s = x.toFixed(0);
  else if (ax >= 10) s = x.toFixed(1);
  else if (ax >= 1) s = x.toFixed(2);
  else if (ax === 0) s = "0";
  else s = Number(x.toPrecision(2)).toString();
  return signed && x > 0 ? "+" + s : s;
}

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify(body)};
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = {error: `server answered ${r.status} without JSON`}; }
  return {status: r.status, data};
}

// ---------- controls ---------------------------------------------------------------------------
function controlId(key) { return "c-" + key.replace(/[^A-Za-z0-9_]/g, "_"); }

function makeControl(f) {
  const id = controlId(f.key);
  const wrap = el("div", {class: "control", "data-key": f.key, id: "wrap-" + id});
  const label = el("label", {for: id, text: f.label});
  let input;
  const unit = f.display === "years" ? "years" : f.unit;
  if (f.type === "boolean") {
    input = el("input", {type: "checkbox", id});
  } else if (f.type === "choice") {
    input = el("select", {id});
    for (const c of f.choices) input.append(el("option", {value: c, text: c.replace(/_/g, " ")}));
  } else if (f.type === "text") {
    input = el("input", {type: "text", id, maxlength: "200"});
  } else {
    input = el("input", {type: "number", id, step: f.display === "years" ? "any" : (f.type === "integer" ? "1" : "any")});
    if (f.min !== null) input.min = f.display === "years" ? f.min / YEARS : f.min;
    if (f.max !== null) input.max = f.display === "years" ? f.max / YEARS : f.max;
  }
  input.dataset.key = f.key;
  input.addEventListener("input", onControlChange);
  input.addEventListener("change", onControlChange);
  const range = (f.min !== null && f.max !== null)
    ? (f.display === "years" ? `${fmt(f.min / YEARS)}–${fmt(f.max / YEARS)} years` : `${f.min}–${f.max} ${f.unit}`)
    : (f.type === "choice" ? f.choices.join(" / ").replace(/_/g, " ") : "");
  const head = el("div", {class: "control-head"}, label, input, el("span", {class: "unit", text: unit || ""}),
                  el("span", {class: "changed", text: "changed"}));
  wrap.append(head,
    el("p", {class: "doc", text: f.doc + (range ? ` (range ${range})` : "")}),
    el("p", {class: "source", text: "Source: " + (f.source || "—") + ` · key ${f.key}`}),
    el("p", {class: "error", id: "err-" + id, role: "alert"}));
  state.controls[f.key] = {f, input, wrap};
  return wrap;
}

function buildControls() {
  const root = $("controls");
  root.textContent = "";
  for (const g of state.meta.groups) {
    const box = g.main ? el("fieldset", {class: "group"}, el("legend", {text: g.title}))
                       : el("details", {class: "group more"}, el("summary", {text: g.title}));
    for (const f of g.controls) box.append(makeControl(f));
    root.append(box);
  }
}

function toDisplay(f, v) { return f.display === "years" ? Math.round((v / YEARS) * 1000) / 1000 : v; }

function setControl(key, v) {
  const c = state.controls[key];
  if (!c || v === null || v === undefined) return;
  if (c.f.type === "boolean") c.input.checked = !!v;
  else c.input.value = String(toDisplay(c.f, v));
}

function readControl(key) {
  const {f, input} = state.controls[key];
  if (f.type === "boolean") return input.checked;
  if (f.type === "choice" || f.type === "text") return input.value;
  if (input.value.trim() === "") return NaN;
  const n = Number(input.value);
  if (f.display === "years") return Math.round(n * YEARS);
  return n;
}

// Overrides: every control whose value differs from the loaded scenario's.
function currentSet() {
  const out = {};
  for (const key of Object.keys(state.controls)) {
    const v = readControl(key);
    const orig = state.scenarioValues[key];
    const changed = typeof v === "number" ? !(v === orig) : v !== orig;
    state.controls[key].wrap.classList.toggle("is-changed", changed);
    if (changed) out[key] = (typeof v === "number" && !isFinite(v)) ? String(state.controls[key].input.value) : v;
  }
  return out;
}

function onControlChange() {
  writeUrl(false);
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(validateNow, 250);
}

// ---------- problems next to their controls -----------------------------------------------------
function clearProblems() {
  for (const c of Object.values(state.controls)) {
    c.wrap.classList.remove("has-error");
    $("err-" + controlId(c.f.key)).textContent = "";
  }
  for (const id of ["errors", "toml-problems"]) $(id).textContent = "";
  $("err-replications").textContent = $("err-seed").textContent = "";
}

function showProblems(problems) {
  clearProblems();
  for (const p of problems || []) {
    const which = p.which && state.mode === "compare" ? ` (${p.which})` : "";
    const c = p.control && state.controls[p.control];
    if (c) {
      c.wrap.classList.add("has-error");
      const e = $("err-" + controlId(p.control));
      e.textContent = (e.textContent ? e.textContent + " · " : "") + p.message + which;
      const d = c.wrap.closest("details");
      if (d) d.open = true;
    } else if (p.control === "replications" || p.control === "seed") {
      $("err-" + p.control).textContent = p.message;
    } else if (p.file === "pasted.toml" || (state.toml !== null && p.line)) {
      $("toml-problems").append(el("li", {class: "error", text: (p.line ? `line ${p.line}: ` : "") +
        (p.key ? `${p.key}: ` : "") + p.message}));
      $("paste-box").open = true;
    } else {
      $("errors").append(el("li", {class: "error", text: p.text || p.message}));
    }
  }
}

function requestBody() {
  const body = {set: currentSet(), compare: state.mode === "compare", replications: Number($("replications").value)};
  if (!Number.isInteger(body.replications)) body.replications = $("replications").value;
  if (state.mode === "compare") { body.base = state.base; body.robustness = $("robust").checked; }
  if ($("seed").value.trim() !== "") body.seed = Number($("seed").value);
  if (state.toml !== null) body.toml = state.toml; else body.scenario = state.scenario;
  return body;
}

// Starts a request whose answer may show problems; cancels a pending check and outdates older requests.
function newProblemsRequest() {
  clearTimeout(state.validateTimer);
  return ++state.problemsSeq;
}

function isCurrent(seq) { return seq === state.problemsSeq; }

async function validateNow() {
  const seq = newProblemsRequest();
  const r = await api("/api/validate", requestBody());
  if (!isCurrent(seq)) return false;
  showProblems(r.data.problems || (r.data.error ? [{message: r.data.error}] : []));
  return (r.data.problems || []).length === 0 && r.status === 200;
}

// ---------- URL state ------------------------------------------------------------------------
function writeUrl(ran) {
  const q = new URLSearchParams();
  if (state.toml !== null) q.set("toml", state.toml); else q.set("scenario", state.scenario);
  if (state.mode === "compare") q.set("compare", "1");
  if (state.mode === "compare" && $("robust").checked) q.set("robust", "1");
  q.set("reps", $("replications").value);
  if ($("seed").value.trim() !== "") q.set("seed", $("seed").value);
  for (const [k, v] of Object.entries(currentSet())) q.set("s." + k, String(v));
  if (state.mode === "compare") for (const [k, v] of Object.entries(state.base)) q.set("b." + k, String(v));
  const token = new URLSearchParams(location.search).get("token");
  if (token) q.set("token", token);
  if (ran) q.set("run", "1");
  history.replaceState(null, "", "?" + q.toString());
}

function parseValue(key, text) {
  const f = state.fields[key];
  if (!f) return text;
  if (f.type === "boolean") return text === "true";
  if (f.type === "real" || f.type === "integer") { const n = Number(text); return isFinite(n) && text.trim() !== "" ? n : text; }
  return text;
}

// ---------- scenario ------------------------------------------------------------------------
async function loadScenario(id) {
  const r = await api("/api/scenarios/" + encodeURIComponent(id));
  if (r.status !== 200) { showProblems([{message: r.data.error || "cannot load the scenario"}]); return false; }
  state.scenario = id; state.toml = null;
  $("scenario").value = id;
  $("scenario-description").textContent = (r.data.description || "") + projectsNote(r.data.projects);
  applyValues(r.data.values);
  return true;
}

function projectsNote(projects) {
  if (!projects || !projects.length) return "";
  return ` This scenario has ${projects.length} projects of its own (${projects.join("; ")}); the project levers ` +
    "show its [ngo_defaults] values, and a change applies to every project.";
}

function applyValues(values) {
  state.scenarioValues = {};
  for (const key of Object.keys(state.controls)) {
    const v = values[key];
    const c = state.controls[key];
    // compare in the control's own encoding (years are whole weeks)
    state.scenarioValues[key] = v;
    setControl(key, v);
    if (c.f.display === "years") state.scenarioValues[key] = Math.round(Number(v));
  }
  currentSet();
}

async function useToml() {
  const text = $("toml").value;
  const seq = newProblemsRequest();
  const r = await api("/api/scenario", {toml: text});
  if (!isCurrent(seq)) return false;
  if (r.status !== 200) {
    showProblems((r.data.problems || [{message: r.data.error}]).map((p) => Object.assign({file: "pasted.toml"}, p,
      {control: p.control && !p.line ? p.control : ""})));
    return false;
  }
  clearProblems();
  state.toml = text;
  $("scenario-description").textContent = `Pasted scenario '${r.data.name}'. ` + (r.data.description || "") +
    projectsNote(r.data.projects);
  applyValues(r.data.values);
  writeUrl(false);
  return true;
}

// ---------- running -------------------------------------------------------------------------
async function run() {
  $("run").disabled = true;
  try {
    const seq = newProblemsRequest();
    const r = await api("/api/jobs", requestBody());
    if (r.status !== 202) {
      if (!isCurrent(seq)) return;
      showProblems(r.data.problems || [{message: r.data.error || `server answered ${r.status}`}]);
      return;
    }
    clearProblems();
    writeUrl(true);
    $("progress-box").classList.remove("hidden");
    $("results").setAttribute("aria-busy", "true");
    let job = r.data;
    while (job.state === "queued" || job.state === "running") {
      showProgress(job);
      await new Promise((res) => setTimeout(res, job.state === "queued" ? 400 : 150));
      const s = await api("/api/jobs/" + job.id);
      if (s.status !== 200) { showProblems([{message: s.data.error || "lost the job"}]); return; }
      job = s.data;
    }
    showProgress(job);
    if (job.state !== "done") { showProblems([{message: job.message || `the run ${job.state}`}]); return; }
    showResult(job);
  } finally {
    $("run").disabled = false;
    $("results").removeAttribute("aria-busy");
  }
}

function showProgress(job) {
  const p = $("progress");
  p.max = job.total; p.value = job.done;
  $("progress-text").textContent = job.state === "queued" ? `waiting: place ${job.position} in the queue`
    : job.state === "running" ? `running: ${job.done} of ${job.total} replications`
    : job.state === "done" ? `done: ${job.total} replications` : `${job.state}: ${job.message}`;
  $("progress-box").dataset.state = job.state;
}

function ci(x) { return `${fmt(x.mean)} [${fmt(x.lo)} to ${fmt(x.hi)}]`; }

function showResult(job) {
  const res = job.result;
  state.lastResult = job;
  const cmp = !!res.variant;
  $("results").classList.remove("hidden");
  $("results").classList.toggle("compare", cmp);
  $("answer").textContent = res.paragraph;
  const tb = $("summary-table").querySelector("tbody");
  tb.textContent = "";
  for (const m of state.meta.summary) {
    const b = res.baseline.summary[m.name];
    const tr = el("tr", {"data-metric": m.name},
      el("th", {text: m.label + (m.unit && !m.label.toLowerCase().includes(m.unit.toLowerCase()) ? ` (${m.unit})` : "")}),
      el("td", {class: "num baseline", "data-value": String(b.mean), text: ci(b)}));
    if (cmp) {
      const v = res.variant.summary[m.name], d = res.comparison[m.name];
      tr.append(el("td", {class: "num variant v", "data-value": String(v.mean), text: ci(v)}),
                el("td", {class: "num diff v", "data-value": String(d.diff),
                          text: `${fmt(d.diff, true)} [${fmt(d.lo, true)} to ${fmt(d.hi, true)}]`}));
    }
    tb.append(tr);
  }
  $("run-info").textContent = `${res.replications} replications of ${fmt(res.baseline.weeks / YEARS)} years, seed ` +
    `${res.seed}; run in ${fmt(res.baseline.wall_seconds + (cmp ? res.variant.wall_seconds : 0))} s.`;
  const diffBody = $("diff").querySelector("tbody");
  diffBody.textContent = "";
  $("diff-box").classList.toggle("hidden", !cmp);
  if (cmp) {
    if (!res.diff.length) diffBody.append(el("tr", {}, el("td", {colspan: "3", text: "no parameter differs"})));
    for (const d of res.diff) diffBody.append(el("tr", {"data-key": d.key}, el("th", {text: d.label}),
      el("td", {text: d.baseline_text}), el("td", {text: d.variant_text})));
  }
  const rb = $("robust-results");
  rb.classList.toggle("hidden", !res.robustness);
  if (res.robustness) {
    $("robust-verdict").textContent = res.robustness.verdict;
    const body = $("robust-table").querySelector("tbody");
    body.textContent = "";
    for (const r of res.robustness.rows) {
      const cell = (d) => el("td", {class: "num", "data-value": String(d.diff),
                                    text: `${fmt(d.diff, true)} [${fmt(d.lo, true)} to ${fmt(d.hi, true)}]`});
      body.append(el("tr", {"data-key": r.key, "data-end": r.end}, el("th", {text: `${r.label} (${r.end} end)`}),
        el("td", {text: String(r.value)}), cell(r.agreements), cell(r.workers_reached)));
    }
  }
  drawCharts(res);
  const ul = $("downloads");
  ul.textContent = "";
  const names = {"baseline.toml": "Baseline scenario (TOML)", "baseline.h5": "Baseline results (HDF5)",
    "baseline_csv.zip": "Baseline tables (CSV, zip)", "variant.toml": "Variant scenario (TOML)",
    "variant.h5": "Variant results (HDF5)", "variant_csv.zip": "Variant tables (CSV, zip)"};
  for (const [n, url] of Object.entries(job.files || {}))
    ul.append(el("li", {}, el("a", {href: url, download: n, id: "dl-" + n.replace(/\W/g, "_"), text: names[n] || n})));
  $("results").dataset.job = job.id;
}

function drawCharts(res) {
  for (const c of state.charts) c.destroy();
  state.charts = [];
  const root = $("charts");
  root.textContent = "";
  if (typeof Chart === "undefined") {
    root.append(el("p", {class: "error", text: "Charts need Chart.js (Debian package libjs-chart.js)."}));
    return;
  }
  const runs = [["baseline", res.baseline, "#1f5fa8"]];
  if (res.variant) runs.push(["variant", res.variant, "#c0392b"]);
  for (const [name, s] of Object.entries(res.baseline.series)) {
    const canvas = el("canvas", {id: "chart-" + name, role: "img", "aria-label": s.label});
    root.append(el("figure", {class: "chart"}, canvas));
    const datasets = [];
    let ymax = 0;
    for (const [which, r, color] of runs) {
      const ser = r.series[name];
      const pts = (arr) => arr.map((y, w) => ({x: w / YEARS, y}));
      for (const v of ser.q75) if (v !== null && v > ymax) ymax = v;
      datasets.push({label: `${which}: 25%`, data: pts(ser.q25), borderWidth: 0, pointRadius: 0, fill: false},
        {label: `${which}: 75%`, data: pts(ser.q75), borderWidth: 0, pointRadius: 0, fill: "-1",
         backgroundColor: color + "33"},
        {label: `${which}: median`, data: pts(ser.median), borderColor: color, borderWidth: 2, pointRadius: 0});
    }
    for (const [which, r, color] of runs)
      datasets.push({label: `${which}: project end`, data: [{x: r.end_week / YEARS, y: 0}, {x: r.end_week / YEARS, y: ymax}],
                     borderColor: color, borderDash: [6, 4], borderWidth: 1, pointRadius: 0});
    state.charts.push(new Chart(canvas, {
      type: "line", data: {datasets},
      options: {animation: false, parsing: true, responsive: true, maintainAspectRatio: false,
        plugins: {title: {display: true, text: s.label},
                  legend: {labels: {filter: (it) => it.text.endsWith("median") || it.text.endsWith("project end")}}},
        scales: {x: {type: "linear", title: {display: true, text: "years since the project start"}},
                 y: {beginAtZero: true, title: {display: true, text: s.unit || ""}}}},
    }));
  }
}

// ---------- wiring ---------------------------------------------------------------------------
function setMode(mode) {
  state.mode = mode;
  $("mode-" + mode).checked = true;
  $("compare-note").classList.toggle("hidden", mode !== "compare");
  const nr = (state.meta.robustness || []).length;
  $("robust-box").classList.toggle("hidden", mode !== "compare" || nr === 0);
  $("robust-n").textContent = String(2 * nr);
  const n = Object.keys(state.base).length;
  $("base-note").textContent = n ? ` with ${n} baseline setting(s): ` +
    Object.entries(state.base).map(([k, v]) => `${k} = ${v}`).join(", ") : "";
}

async function init() {
  const m = await api("/api/meta");
  if (m.status !== 200) { document.body.prepend(el("p", {class: "error", text: m.data.error || "cannot reach the server"})); return; }
  state.meta = m.data;
  $("version").textContent = m.data.version;
  for (const g of m.data.groups) for (const f of g.controls) state.fields[f.key] = f;
  $("replications").max = m.data.limits.replications;
  for (const s of m.data.scenarios) $("scenario").append(el("option", {value: s.id, text: `${s.name} — ${s.description}`}));
  buildControls();
  const q = new URLSearchParams(location.search);
  if (q.get("reps")) $("replications").value = q.get("reps");
  if (q.get("seed")) $("seed").value = q.get("seed");
  if (q.get("toml") !== null) { $("toml").value = q.get("toml"); await useToml(); }
  else await loadScenario(q.get("scenario") && m.data.scenarios.some((s) => s.id === q.get("scenario")) ? q.get("scenario") : "default");
  state.base = {};
  for (const [k, v] of q.entries()) {
    if (k.startsWith("s.") && state.controls[k.slice(2)]) setControl(k.slice(2), parseValue(k.slice(2), v));
    if (k.startsWith("b.")) state.base[k.slice(2)] = parseValue(k.slice(2), v);
  }
  $("robust").checked = q.get("robust") === "1";
  setMode(q.get("compare") === "1" ? "compare" : "single");
  currentSet();
  $("scenario").addEventListener("change", async () => { await loadScenario($("scenario").value); state.base = {}; setMode(state.mode); writeUrl(false); validateNow(); });
  $("use-toml").addEventListener("click", useToml);
  $("clear-toml").addEventListener("click", async () => { await loadScenario($("scenario").value); writeUrl(false); });
  for (const r of document.querySelectorAll("input[name=mode]")) r.addEventListener("change", () => { setMode(r.value); writeUrl(false); });
  $("set-baseline").addEventListener("click", () => { state.base = currentSet(); setMode("compare"); writeUrl(false); });
  $("reset-baseline").addEventListener("click", () => { state.base = {}; setMode("compare"); writeUrl(false); });
  $("reset").addEventListener("click", () => { applyValues(state.scenarioValues); writeUrl(false); validateNow(); });
  for (const id of ["replications", "seed"]) $(id).addEventListener("input", onControlChange);
  $("robust").addEventListener("change", () => writeUrl(false));
  $("run").addEventListener("click", run);
  document.body.dataset.ready = "1";
  if (q.get("run") === "1") run();
}

document.addEventListener("DOMContentLoaded", init);

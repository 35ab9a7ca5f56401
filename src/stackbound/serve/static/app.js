/* stackbound workbench: a client of the /v1 API of the server that serves it.
 *
 * The state (scenario or pasted YAML, overrides, levers, seed, samples) lives in `state` and
 * in the URL fragment, so a link reopens the same run. Every number shown comes from the API;
 * charts are the report's own figures (plotly JSON from the server) drawn with Plotly.react.
 */
"use strict";

const $ = (id) => document.getElementById(id);
const LINK_LIMIT = 64 * 1024; // pasted YAML travels in the link up to this many characters (compressed)
const DEBOUNCE_MS = 700;
const WAIT_S = 1; // a status request is held this long while its job runs (?wait=): progress each second, the end at once

const state = { scenario: "china", yaml: null, overrides: {}, levers: {}, seed: 0, samples: 10000 };
const app = {
  about: null, view: null, run: null, summary: null, charts: null, series: null, histograms: null,
  graph: null, baseline: null, timer: null, polling: 0, linkNote: "", registerShown: 40, described: {}, requests: {}, submits: 0, shown: null, showing: null,
};

class ApiError extends Error {
  constructor(status, body, headers) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = typeof body === "object" && body ? body : {};
    this.retryAfter = Number((headers && headers.get("retry-after")) || 2);
  }
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok && response.status !== 303) throw new ApiError(response.status, data, response.headers);
  return { status: response.status, data, headers: response.headers };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function notice(text, kind = "") {
  const box = $("notice");
  box.hidden = !text;
  box.className = `notice ${kind}`;
  box.textContent = text || "";
}

/* A value's unit beside it, unless the value as written has it already or it is "1" (a plain number). */
function unitText(value, unit) {
  return unit && unit !== "1" && !String(value).includes(unit) ? ` ${unit}` : "";
}

const SCALES = [[1e9, "B"], [1e6, "M"], [1e3, "k"]];

/* A number in three significant digits, with k, M or B from 10,000 up (999,600 is 1M, not 1000k). */
function fmt(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const a = Math.abs(value);
  if (a >= 1e4) {
    const [size, suffix] = SCALES.find(([size]) => a >= size * 0.9995);
    return `${Number((value / size).toPrecision(3))}${suffix}`;
  }
  if (a >= 100) return Math.round(value).toLocaleString("en");
  return String(Number(value.toPrecision(3)));
}

/* Text with URLs in it, the URLs as links that open elsewhere (never fetched by the page). */
function linked(text) {
  const parts = String(text || "").split(/(https?:\/\/[^\s)"',;]+)/g);
  return parts.map((p, k) => (k % 2 ? el("a", { href: p, target: "_blank", rel: "noopener noreferrer" }, p) : p));
}

/* ---------------------------------------------------------------- the link (URL fragment) */

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

async function squeeze(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return b64url(new Uint8Array(await new Response(stream).arrayBuffer()));
}

async function unsqueeze(text) {
  const stream = new Blob([unb64url(text)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Response(stream).text();
}

async function writeLink() {
  const p = new URLSearchParams();
  if (state.yaml !== null) {
    const packed = await squeeze(state.yaml);
    p.set(packed.length <= LINK_LIMIT ? "y" : "too_long", packed.length <= LINK_LIMIT ? packed : "1");
    app.linkNote = packed.length <= LINK_LIMIT ? "" :
      "The pasted YAML is too long for a link (over 64 kB compressed): download the overlay file and share that.";
  } else {
    p.set("s", state.scenario);
    app.linkNote = "";
  }
  if (Object.keys(state.overrides).length) p.set("o", JSON.stringify(state.overrides));
  if (Object.keys(state.levers).length) p.set("l", JSON.stringify(state.levers));
  p.set("seed", String(state.seed));
  p.set("n", String(state.samples));
  if (app.about) p.set("v", app.about.version);
  history.replaceState(null, "", `#${p.toString()}`);
}

async function readLink() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (![...p.keys()].length) return;
  try {
    if (p.has("too_long")) {
      notice("This link was made from pasted YAML too long to travel in a link: ask for the overlay file instead. " +
        "The default scenario is shown.", "error");
      Object.assign(state, { scenario: "china", yaml: null });
    } else if (p.has("y")) { state.yaml = await unsqueeze(p.get("y")); state.scenario = null; }
    else if (p.has("s")) { state.scenario = p.get("s"); state.yaml = null; }
    state.overrides = p.has("o") ? JSON.parse(p.get("o")) : {};
    state.levers = p.has("l") ? JSON.parse(p.get("l")) : {};
    if (p.has("seed")) state.seed = Number(p.get("seed"));
    if (p.has("n")) state.samples = Number(p.get("n"));
  } catch (error) {
    notice(`This link could not be read (${error.message}); the default scenario is shown instead.`, "error");
    Object.assign(state, { scenario: "china", yaml: null, overrides: {}, levers: {} });
    return;
  }
  const made = p.get("v");
  if (made && app.about && made !== app.about.version) {
    const warning = $("version-warning");
    warning.hidden = false;
    warning.textContent = `This link was made with stackbound ${made}; this server runs ${app.about.version}. ` +
      "The numbers may differ from the ones the link was shared with.";
  }
}

/* ---------------------------------------------------------------- the scenario and its inputs */

function source() {
  const body = state.yaml !== null ? { yaml: state.yaml } : { scenario: state.scenario };
  // copies: a request kept for later (a pinned baseline's) must not change with the state
  if (Object.keys(state.overrides).length) body.overrides = structuredClone(state.overrides);
  if (Object.keys(state.levers).length) body.levers = { ...state.levers };
  return body;
}

async function loadView() {
  if (state.yaml !== null) {
    const { data } = await api("POST", "/v1/check", { yaml: state.yaml });
    showProblems(data.problems);
    if (!data.ok) return false;
    app.view = data.scenario;
  } else {
    app.view = (await api("GET", `/v1/scenarios/${encodeURIComponent(state.scenario)}`)).data;
  }
  $("story").textContent = app.view.description || "";
  renderLevers();
  renderInputs();
  renderRegister();
  return true;
}

function leverNumber(text) {
  const n = Number(text);
  return /^-?\d+(\.\d+)?$/.test(String(text).trim()) && Number.isFinite(n) ? n : null;
}

function renderLevers() {
  const box = $("levers");
  box.replaceChildren();
  if (!app.view.levers.length) box.append(el("p", { class: "hint" }, "This scenario has no levers."));
  for (const lever of app.view.levers) {
    const base = leverNumber(lever.value);
    const set = lever.name in state.levers ? state.levers[lever.name] : base;
    const max = Math.max(2, (base || 0) * 2, set || 0);
    const id = `lever-${lever.name}`;
    const number = el("input", {
      type: "number", id, step: "0.05", min: "0", value: set === null ? "" : set,
      "aria-label": `${lever.name} value`, placeholder: "set a number",
    });
    const range = el("input", {
      type: "range", min: "0", max: String(max), step: "0.05", value: set === null ? 1 : set,
      "aria-label": `${lever.name} slider`, tabindex: "-1",
    });
    const row = el("div", { class: "lever", "data-lever": lever.name },
      el("label", { class: "name", for: id }, lever.name),
      el("div", { class: "desc" }, lever.description),
      el("div", { class: "desc" }, "as written: ", el("code", {}, lever.value)),
      el("div", { class: "controls" }, range, number,
        el("button", { type: "button", onclick: () => { number.value = base === null ? "" : base; range.value = String(base ?? 1); changed(null); } }, "Reset")));
    const changed = (value) => {
      if (value === null || value === base) delete state.levers[lever.name];
      else state.levers[lever.name] = value;
      row.classList.toggle("changed", lever.name in state.levers);
      changedState();
    };
    range.addEventListener("input", () => { number.value = range.value; changed(Number(range.value)); });
    number.addEventListener("change", () => {
      const v = number.value === "" ? null : Number(number.value);
      if (v !== null) range.value = String(v);
      changed(v);
    });
    row.classList.toggle("changed", lever.name in state.levers);
    box.append(row);
  }
}

function parseOverride(text) {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  if (Number.isFinite(n) && /^-?[\d.eE+]+$/.test(t)) return n;
  try { return JSON.parse(t); } catch { return t; }
}

function histogramSvg(h) {
  const w = 110, ht = 26, max = Math.max(...h.counts, 1), bw = w / h.counts.length;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", ht); svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `draws of ${h.name}: P5 ${fmt(h.p5)}, P50 ${fmt(h.p50)}, P95 ${fmt(h.p95)}`);
  h.counts.forEach((c, k) => {
    const r = document.createElementNS(svg.namespaceURI, "rect");
    const bh = (c / max) * (ht - 2);
    r.setAttribute("x", (k * bw).toFixed(2)); r.setAttribute("y", (ht - bh).toFixed(2));
    r.setAttribute("width", Math.max(0.5, bw - 0.6).toFixed(2)); r.setAttribute("height", bh.toFixed(2));
    r.setAttribute("fill", "#5b7db1");
    svg.append(r);
  });
  const title = document.createElementNS(svg.namespaceURI, "title");
  title.textContent = `P5 ${fmt(h.p5)} · P50 ${fmt(h.p50)} · P95 ${fmt(h.p95)} · mean ${fmt(h.mean)}`;
  svg.append(title);
  return svg;
}

function renderInputs() {
  const box = $("inputs");
  const filter = $("input-filter").value.trim().toLowerCase();
  const rows = app.view.inputs.filter((r) => r.uncertain);
  $("input-count").textContent = `(${rows.length} fields, ${app.view.uncertain_inputs} draws each sample)`;
  box.replaceChildren();
  for (const row of rows) {
    const text = `${row.label} ${row.field} ${row.source} ${row.assumption}`.toLowerCase();
    if (filter && !text.includes(filter)) continue;
    const changed = row.field in state.overrides;
    const input = el("input", {
      type: "text", value: changed ? JSON.stringify(state.overrides[row.field]) : "",
      placeholder: "override…", "aria-label": `override ${row.field}`,
    });
    input.addEventListener("change", () => {
      const v = parseOverride(input.value);
      if (v === undefined) delete state.overrides[row.field];
      else state.overrides[row.field] = v;
      input.closest(".input").classList.toggle("changed", row.field in state.overrides);
      changedState();
      renderRegister();
    });
    box.append(el("div", { class: `input${changed ? " changed" : ""}`, "data-field": row.field },
      el("div", { class: "label" }, row.label),
      el("div", { class: "field" }, row.field),
      el("div", { class: "value" }, row.value, unitText(row.value, row.unit)),
      el("div", { class: "hists" }),
      el("div", { class: "hint" }, row.unsourced ? el("span", { class: "unsourced" }, "unsourced ") : null,
        row.source ? linked(row.source) : (row.assumption ? `assumption: ${row.assumption}` : "")),
      el("div", { class: "override" }, input)));
  }
  renderHistograms();
}

/* The current run's draws of each input, into the rows shown (nothing else is redrawn, so
 * an override being typed keeps its focus when a run finishes). */
function renderHistograms() {
  const byField = {};
  for (const h of app.histograms || []) (byField[h.field] ||= []).push(h);
  for (const box of document.querySelectorAll("#inputs .input")) {
    const hists = byField[box.dataset.field] || [];
    box.querySelector(".hists").replaceChildren(...hists.slice(0, 6).map((h) =>
      el("div", { class: "hist" }, histogramSvg(h), h.name.includes("@") ? h.name.split("@")[1] : "")),
      hists.length > 6 ? el("div", { class: "hint" }, `and ${hists.length - 6} more knots`) : "");
  }
}

function renderRegister() {
  const filter = $("register-filter").value.trim().toLowerCase();
  const only = $("register-unsourced").checked;
  const rows = app.view.inputs.filter((r) => {
    if (only && !r.unsourced) return false;
    const text = `${r.label} ${r.field} ${r.source} ${r.assumption} ${r.note} ${r.value}`.toLowerCase();
    return !filter || text.includes(filter);
  });
  const unsourced = app.view.inputs.filter((r) => r.unsourced).length;
  const shown = rows.slice(0, app.registerShown);
  $("register-count").textContent = `(${rows.length} of ${app.view.inputs.length}; ${unsourced} unsourced)`;
  const head = el("tr", {}, ["Input", "Value", "Source", "Date", "Grade", "Assumption or note"].map((h) => el("th", {}, h)));
  $("register").replaceChildren(el("thead", {}, head), el("tbody", {}, shown.map((r) => el("tr",
    { "data-field": r.field, class: r.field in state.overrides ? "changed" : null },
    el("td", {}, el("div", {}, r.label), el("div", { class: "muted" }, r.field)),
    el("td", {}, r.value, unitText(r.value, r.unit), r.field in state.overrides ? el("div", { class: "unsourced" }, "overridden here") : null),
    el("td", {}, r.unsourced ? el("span", { class: "unsourced" }, "no source ") : null, linked(r.source)),
    el("td", {}, r.date), el("td", {}, r.grade),
    el("td", {}, long(r.assumption, r.note))))));
  const more = rows.length > app.registerShown;
  $("register-more").hidden = !more;
  $("register-more").textContent = more ? `Show all ${rows.length} rows` : "";
}

/* A long assumption or note, clipped to a few lines with a button that shows the rest. */
function long(text, note) {
  const body = el("div", { class: "long" }, text || "", note ? el("div", { class: "muted" }, note) : null);
  if (`${text}${note}`.length < 180) return body;
  const button = el("button", { type: "button", class: "more" }, "more");
  button.addEventListener("click", () => { body.classList.toggle("open"); button.textContent = body.classList.contains("open") ? "less" : "more"; });
  return [body, button];
}

/* ---------------------------------------------------------------- the YAML editor */

function drawGutter(bad = new Map()) {
  const lines = $("yaml").value.split("\n").length;
  const gutter = $("gutter");
  gutter.replaceChildren();
  for (let k = 1; k <= lines; k++) {
    gutter.append(el("span", { class: bad.has(k) ? "bad" : null, title: bad.get(k) || null, "data-line": k }, k));
  }
  $("yaml").rows = Math.max(14, lines + 1);
}

function showProblems(problems) {
  const list = $("problems");
  list.replaceChildren();
  const bad = new Map();
  for (const p of problems || []) {
    if (p.file === "<upload>" && p.line > 0) bad.set(p.line, p.message);
    const where = p.line > 0 ? `line ${p.line}${p.column ? `:${p.column}` : ""}` : "file";
    list.append(el("li", { "data-line": p.line },
      el("button", { type: "button", onclick: () => jumpTo(p.line) }, where), " ",
      p.path ? el("code", {}, p.path) : null, p.path ? ": " : "", p.message));
  }
  drawGutter(bad);
  if ((problems || []).length) $("yaml-box").open = true;
}

function jumpTo(line) {
  const area = $("yaml");
  const lines = area.value.split("\n");
  const start = lines.slice(0, Math.max(0, line - 1)).join("\n").length + (line > 1 ? 1 : 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
}

async function checkYaml() {
  const { data } = await api("POST", "/v1/check", { yaml: $("yaml").value });
  showProblems(data.problems);
  return data;
}

async function useYaml() {
  const data = await checkYaml();
  if (!data.ok) { notice("The YAML has problems: see them at their lines.", "error"); return; }
  state.yaml = $("yaml").value;
  state.scenario = null;
  state.overrides = {};
  state.levers = {};
  fillScenarioPicker();
  await loadView();
  notice("");
  submit();
}

/* ---------------------------------------------------------------- runs */

function changedState() {
  writeLink();
  if ($("autorun").checked) {
    clearTimeout(app.timer);
    app.timer = setTimeout(submit, DEBOUNCE_MS);
  }
}

function showProgress(job) {
  const bar = $("progress");
  const running = job && (job.status === "queued" || job.status === "running");
  bar.hidden = !running;
  $("cancel").hidden = !running;
  if (!running) return;
  const f = job.progress.fraction || 0;
  bar.querySelector(".fill").style.width = `${Math.round(f * 100)}%`;
  bar.querySelector(".label").textContent = job.status === "queued" ? "queued…" :
    `${job.progress.done.toLocaleString("en")} / ${job.progress.total.toLocaleString("en")} samples`;
}

async function submit() {
  clearTimeout(app.timer);
  state.seed = Math.max(0, Math.floor(Number($("seed").value) || 0));
  state.samples = Math.max(1, Math.floor(Number($("samples").value) || 1));
  await writeLink();
  $("override-problems").replaceChildren();
  const ticket = ++app.submits; // answers to older submissions are let go
  const label = describeState();
  const body = { ...source(), seed: state.seed, samples: state.samples };
  let answer;
  try {
    answer = await api("POST", "/v1/runs", body);
  } catch (error) {
    if (ticket !== app.submits) return;
    if (error.status === 429) {
      const wait = Math.min(30, Math.max(1, error.retryAfter));
      notice(`The server's queue is full; trying again in ${wait} s.`);
      app.timer = setTimeout(submit, wait * 1000);
      return;
    }
    reportRunError(error);
    return;
  }
  const job = answer.data;
  app.described[job.id] = label;
  app.requests[job.id] = body;
  if (ticket !== app.submits) { letGo(job); return; }
  const previous = app.run;
  app.run = job;
  if (previous && previous.id !== job.id) letGo(previous);
  notice(app.linkNote);
  showProgress(job); // at once: the first held status comes when the run ends or after WAIT_S
  poll(job.id);
}

/* Cancel a run the page no longer waits for (never the pinned baseline, never the one shown). */
function letGo(job) {
  const kept = [app.baseline && app.baseline.id, app.shown && app.shown.id, app.run && app.run.id];
  if (["queued", "running"].includes(job.status) && !kept.includes(job.id)) {
    api("DELETE", `/v1/runs/${job.id}`).catch(() => {});
  }
}

function reportRunError(error) {
  const problems = (error.body || {}).problems || [];
  const mine = problems.filter((p) => p.file === "<overrides>");
  const list = $("override-problems");
  list.replaceChildren(...mine.map((p) => el("li", {}, el("code", {}, p.path.replace(/^overrides\./, "")), `: ${p.message}`)));
  if (problems.some((p) => p.file === "<upload>")) showProblems(problems);
  notice(error instanceof ApiError ? error.message : `The server cannot be reached (${error.message}).`, "error");
}

async function poll(id) {
  const ticket = ++app.polling;
  for (;;) {
    if (ticket !== app.polling) return;
    let job;
    try { job = (await api("GET", `/v1/runs/${id}?wait=${WAIT_S}`)).data; } catch (error) { reportRunError(error); showProgress(null); return; }
    if (ticket !== app.polling) return;
    app.run = job;
    showProgress(job);
    if (job.status === "done") { await showRun(job); return; }
    if (job.status === "failed") { notice(`The run failed: ${job.error}`, "error"); return; }
    if (job.status === "cancelled") { notice("The run was cancelled."); return; }
  }
}

/* Wait for a run to finish; its last status, or null when it failed, was cancelled or is gone. */
async function finished(id) {
  for (;;) {
    const job = (await api("GET", `/v1/runs/${id}?wait=${WAIT_S}`)).data;
    if (job.status === "done") return job;
    if (job.status === "failed" || job.status === "cancelled") return null;
  }
}

async function cancel() {
  if (!app.run) return;
  app.polling++;
  await api("DELETE", `/v1/runs/${app.run.id}`).catch(() => {});
  showProgress(null);
  notice("The run was cancelled.");
}

async function showRun(job) {
  const id = job.id;
  app.showing = id;
  const current = () => app.showing === id; // a newer run started to show: stop drawing this one
  try {
    const [summary, charts, inputs, graph] = await Promise.all([
      api("GET", `/v1/runs/${id}/results`),
      api("GET", `/v1/runs/${id}/charts`),
      api("GET", `/v1/runs/${id}/inputs`),
      api("GET", `/v1/runs/${id}/graph`),
    ]);
    if (!current()) return;
    app.shown = job;
    app.summary = summary.data;
    app.charts = Object.fromEntries(charts.data.charts.map((c) => [c.key, c]));
    app.series = charts.data.series;
    app.histograms = inputs.data.inputs;
    app.graph = graph.data;
    $("run-label").textContent = `(${app.described[id] || job.scenario}, seed ${job.seed}, ${job.samples.toLocaleString("en")} samples, ${job.elapsed_seconds ?? "?"} s)`;
    for (const table of ["annual", "monthly"]) {
      const link = $(`download-${table}`);
      link.href = `/v1/runs/${id}/results?format=csv&table=${table}`;
      link.hidden = false;
    }
    $("report-links").replaceChildren();
    clearAnalyses();
    renderAnswer();
    renderCharts();
    fillFanPickers();
    renderStock();
    renderGraph();
    renderHistograms();
    fillYears();
    await renderHeld(id);
    if (!current()) return;
    await renderFan();
    if (!current()) return;
    await renderComparison();
    if (!current()) return;
    document.body.dataset.ready = id;
  } catch (error) {
    if (current()) reportRunError(error);
  }
}

/* ---------------------------------------------------------------- results */

function renderAnswer() {
  const f = app.summary.findings;
  $("answer").textContent = f.answer;
  $("years").replaceChildren(...f.years.map((line) => el("li", {}, line)));
  $("binding-lines").replaceChildren(...f.binding.map((line) => el("li", {}, line)));
  $("runout-lines").replaceChildren(...f.runout.map((line) => el("li", {}, line)));
}

function draw(target, chart) {
  const node = typeof target === "string" ? $(target) : target;
  if (!chart) { Plotly.purge(node); node.replaceChildren(); return; }
  const layout = { ...chart.layout, autosize: true };
  delete layout.width;
  return Plotly.react(node, chart.data, layout, chart.config);
}

function renderCharts() {
  for (const key of ["units", "compute", "production", "owned", "binding", "runway", "stranded"]) {
    draw(`chart-${key}`, app.charts[key]);
  }
}

function fillFanPickers() {
  const metric = $("fan-metric");
  const keep = metric.value || "units";
  metric.replaceChildren(...Object.entries(app.series).map(([m, s]) =>
    el("option", { value: m, selected: m === keep }, `${m.replace(/_/g, " ")} (${s.unit})`)));
  if (!(keep in app.series)) metric.value = "units";
  fillGroups();
}

function fillGroups() {
  const s = app.series[$("fan-metric").value];
  const group = $("fan-group");
  const keep = group.value || "total";
  group.replaceChildren(...s.groups.map((g) => el("option", { value: g, selected: g === keep }, g)));
  if (!s.groups.includes(keep)) group.value = s.groups[0];
  const monthly = s.monthly.includes(group.value);
  const by = $("fan-by");
  by.querySelector("option[value=month]").disabled = !monthly;
  if (!monthly) by.value = "year";
}

async function renderFan() {
  const shown = app.shown;
  if (!shown) return;
  const q = new URLSearchParams({ metric: $("fan-metric").value, group: $("fan-group").value, by: $("fan-by").value });
  q.set("name", "now");
  if (app.baseline && app.baseline.id !== shown.id && await baselineKept()) {
    q.set("with", app.baseline.id);
    q.set("with_name", "baseline");
  }
  try {
    const { data } = await api("GET", `/v1/runs/${shown.id}/fan?${q}`);
    $("fan-error").textContent = "";
    await draw("fan", data);
  } catch (error) {
    draw("fan", null);
    $("fan-error").textContent = error.message;
  }
}

function renderStock() {
  const head = el("tr", {}, ["Stockpile", "Runs out by the end (probability)", "Run-out month P5", "P50", "P95"].map((h) => el("th", {}, h)));
  $("runout-table").replaceChildren(el("thead", {}, head), el("tbody", {}, app.summary.runout.map((r) => el("tr", {},
    el("td", {}, r.stockpile), el("td", { class: "num" }, r.probability_runs_out === null ? "–" : `${Math.round(r.probability_runs_out * 100)}%`),
    el("td", {}, r.p5), el("td", {}, r.p50), el("td", {}, r.p95)))));
}

async function renderHeld(id) {
  const metrics = ["parts_idle", "parts_stranded", "parts_held_by_policy"];
  const { data } = await api("GET", `/v1/runs/${id}/results?metrics=${metrics.join(",")}`);
  const last = Math.max(...data.annual.map((r) => r.year));
  const rows = {};
  for (const r of data.annual) {
    if (r.year === last && r.group.includes(":")) (rows[r.group] ||= {})[r.metric] = r.mean; // source:component accounts only
  }
  const kept = Object.entries(rows).filter(([, v]) => metrics.some((m) => (v[m] || 0) > 0.5));
  const head = el("tr", {}, el("th", {}, `Account: source and component (end of ${last}; dies or stacks)`), el("th", { class: "num" }, "idle"),
    el("th", { class: "num" }, "stranded"), el("th", { class: "num" }, "held by policy"));
  $("held-table").replaceChildren(el("thead", {}, head), el("tbody", {}, kept.length ? kept.map(([g, v]) => el("tr", {},
    el("td", {}, g), ...metrics.map((m) => el("td", { class: "num" }, fmt(v[m] || 0))))) :
    el("tr", {}, el("td", { colspan: 4 }, "Nothing is held at the end of the horizon."))));
}

function fillYears() {
  const years = [...new Set(app.summary.annual.map((r) => r.year))];
  const select = $("sens-year");
  const keep = Number(select.value) || (years.includes(2027) ? 2027 : years[years.length - 1]);
  select.replaceChildren(...years.map((y) => el("option", { value: y, selected: y === keep }, y)));
}

/* ---------------------------------------------------------------- A/B */

function describeState() {
  const changes = [...Object.entries(state.levers).map(([k, v]) => `${k}=${v}`),
    ...Object.entries(state.overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`)];
  const what = state.yaml !== null ? "pasted YAML" : state.scenario;
  return changes.length ? `${what} with ${changes.join(", ")}` : what;
}

function pin() {
  const shown = app.shown;
  if (!shown) return;
  const label = app.described[shown.id] || shown.scenario;
  app.baseline = { id: shown.id, label, seed: shown.seed, samples: shown.samples, body: app.requests[shown.id] };
  $("baseline-label").textContent = `Baseline: ${label} (seed ${shown.seed}, ${shown.samples.toLocaleString("en")} samples)`;
  $("unpin").hidden = false;
  renderComparison();
  renderFan();
}

function unpin() {
  app.baseline = null;
  $("baseline-label").textContent = "";
  $("unpin").hidden = true;
  renderComparison();
  renderFan();
}

/* Whether the pinned baseline is on the server: a baseline it let go (it keeps a bounded
 * number of results) is run again from its request, which gives the same run and numbers. */
async function baselineKept() {
  const b = app.baseline;
  if (!b.body) return true;
  try {
    const again = (await api("POST", "/v1/runs", b.body)).data; // 303 while kept, 202 when made again
    const job = again.status === "done" ? again : await finished(again.id);
    return job !== null && job.id === b.id;
  } catch {
    return false;
  }
}

async function renderComparison() {
  const box = $("ab");
  const b = app.baseline;
  const shown = app.shown;
  const clear = (sentence) => { $("ab-sentence").textContent = sentence; draw("ab-chart", null); $("ab-table").replaceChildren(); };
  box.hidden = !b;
  if (!b || !shown) return;
  if (b.id === shown.id) { clear("Change a lever or an input to see the paired differences from the baseline."); return; }
  if (b.seed !== shown.seed || b.samples !== shown.samples) {
    clear("The baseline has another seed or sample count: set them back to compare with common random numbers.");
    return;
  }
  if (!await baselineKept()) { clear("The baseline is no longer on the server and could not be run again: pin a run again."); return; }
  try {
    const [doc, chart] = await Promise.all([
      api("GET", `/v1/runs/${b.id}/compare?with=${shown.id}`),
      api("GET", `/v1/runs/${b.id}/compare/chart?with=${shown.id}&metric=units&group=total`),
    ]);
    if (app.shown !== shown) return;
    $("ab-sentence").replaceChildren(el("strong", {}, `Now: ${app.described[shown.id] || shown.scenario}. Baseline: ${b.label}. `), doc.data.findings);
    await draw("ab-chart", chart.data);
    const rows = doc.data.differences.filter((r) => r.group === "total" &&
      ["units", "compute_added_h100e", "effective_compute_added_h100e"].includes(r.metric));
    const head = el("tr", {}, ["Metric", "Year", "Baseline P50", "Difference P50", "P5", "P95"].map((h) => el("th", {}, h)));
    $("ab-table").replaceChildren(el("thead", {}, head), el("tbody", {}, rows.map((r) => el("tr", { "data-metric": r.metric, "data-year": r.year },
      el("td", {}, r.metric.replace(/_/g, " ")), el("td", {}, r.year), el("td", { class: "num" }, fmt(r.base_p50)),
      el("td", { class: "num" }, fmt(r.p50)), el("td", { class: "num" }, fmt(r.p5)), el("td", { class: "num" }, fmt(r.p95))))));
  } catch (error) {
    clear(error.message);
  }
}

/* ---------------------------------------------------------------- analyses */

function clearAnalyses() {
  draw("tornado", null);
  $("marginal-table").replaceChildren();
  $("sens-status").textContent = "";
}

async function analysis(method, extra = {}) {
  const shown = app.shown;
  if (!shown) return null;
  const status = $("sens-status");
  const body = { method, year: Number($("sens-year").value), ...extra };
  let job;
  try {
    job = (await api("POST", `/v1/runs/${shown.id}/analyses`, body)).data;
  } catch (error) { status.textContent = error.message; return null; }
  for (;;) {
    job = (await api("GET", `/v1/analyses/${job.id}?wait=${WAIT_S}`)).data;
    status.textContent = `${method}: ${job.status}${job.status === "running" ? ` ${Math.round(job.progress.fraction * 100)}%` : ""}`;
    if (job.status === "done") break;
    if (job.status === "failed" || job.status === "cancelled") return null;
  }
  return job;
}

/* Text as plotly.js shows it literally (it reads titles and labels as a little HTML). */
function literal(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/* An analysis's document, if the run it analysed is still the one shown. */
async function analysisDocument(job) {
  const doc = (await api("GET", `/v1/analyses/${job.id}/results`)).data;
  return app.shown && job.run === app.shown.id ? doc : null;
}

async function runTornado() {
  const job = await analysis("tornado");
  if (!job) return;
  const doc = await analysisDocument(job);
  if (!doc) return;
  const rows = doc.rows.slice(0, 12).reverse();
  const names = rows.map((r) => literal(r.label || r.factor));
  const bar = (key, name, colour) => ({
    type: "bar", orientation: "h", name, y: names, x: rows.map((r) => r[key] - doc.base), base: doc.base,
    marker: { color: colour }, customdata: rows.map((r) => fmt(r[key])), hovertemplate: "%{y}: %{customdata}<extra>" + name + "</extra>",
  });
  await draw("tornado", {
    data: [bar("low", "factor at P10", "#5b7db1"), bar("high", "factor at P90", "#c0392b")],
    layout: { title: { text: literal(`Tornado: ${doc.metric} of ${doc.group} in ${doc.year}`) }, barmode: "overlay",
      height: 160 + 30 * rows.length, template: "plotly_white", xaxis: { title: { text: literal(doc.metric) } },
      yaxis: { automargin: true } },
    config: { displaylogo: false, responsive: true },
  });
  $("sens-status").textContent = `tornado done (base ${fmt(doc.base)})`;
}

async function runMarginal() {
  const job = await analysis("marginal");
  if (!job) return;
  const doc = await analysisDocument(job);
  if (!doc) return;
  const rows = [...doc.values].sort((a, b) => Math.abs(b.horizon.units_per_unit) - Math.abs(a.horizon.units_per_unit));
  const head = el("tr", {}, el("th", {}, "One more unit of"), el("th", { class: "num" }, "units over the horizon"),
    el("th", { class: "num" }, "H100e"), el("th", { class: "num" }, "elasticity"));
  $("marginal-table").replaceChildren(el("caption", {}, `Marginal values (${doc.target.metric}, ${doc.target.year}; per extra unit)`),
    el("thead", {}, head), el("tbody", {}, rows.map((v) => el("tr", {}, el("td", {}, v.label || v.input, el("div", { class: "muted" }, `per ${v.per}`)),
      el("td", { class: "num" }, fmt(v.horizon.units_per_unit)), el("td", { class: "num" }, fmt(v.horizon.h100e_per_unit)),
      el("td", { class: "num" }, fmt(v.elasticity))))));
  $("sens-status").textContent = "marginal values done";
}

async function makeReport() {
  const links = $("report-links");
  links.replaceChildren("making the report…");
  const job = await analysis("report");
  if (!job) { links.replaceChildren("the report could not be made"); return; }
  const base = `/v1/analyses/${job.id}/results`;
  links.replaceChildren(
    el("a", { href: `${base}?file=report.html`, download: "" }, "report.html"),
    el("a", { href: `${base}?file=stackbound.xlsx`, download: "" }, "stackbound.xlsx (Excel)"),
    el("a", { href: `${base}?file=data/annual.csv`, download: "" }, "annual.csv"),
    el("a", { href: base, download: "" }, "everything (zip)"));
}

async function downloadOverlay() {
  const response = await fetch("/v1/overlay", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(source()),
  });
  if (!response.ok) { notice((await response.json()).message, "error"); return; }
  const url = URL.createObjectURL(await response.blob());
  const a = el("a", { href: url, download: `${state.scenario || "scenario"}-overlay.yaml` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/* ---------------------------------------------------------------- the model graph */

function renderGraph() {
  const node = $("graph");
  draw(node, app.graph.figure);
  fillNodePicker();
  if (!node.dataset.bound) {
    node.dataset.bound = "1";
    node.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (!point || point.sourceLinks === undefined) return; // a link, not a node
      showNode(app.graph.nodes[point.pointNumber ?? point.index]);
    });
  }
}

function fillNodePicker() {
  const select = $("node-pick");
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, "Show the inputs of…"),
    ...app.graph.nodes.map((n, k) => el("option", { value: String(k), selected: String(k) === keep }, `${n.kind}: ${n.label}`)));
}

function showNode(n) {
  const box = $("node");
  box.hidden = false;
  const rows = app.view.inputs.filter((r) => n.fields.includes(r.field));
  const binds = n.binds === null ? "not a constraint" : `binds ${Math.round(n.binds * 100)}% of its variants' active sample-months`;
  box.replaceChildren(el("h3", {}, `${n.label} `, el("span", { class: "muted" }, `${n.kind} ${n.name} · ${binds}`)),
    rows.length ? el("table", { class: "table" }, el("tbody", {}, rows.map((r) => el("tr", {},
      el("td", {}, r.label, el("div", { class: "muted" }, r.field)), el("td", {}, r.value, unitText(r.value, r.unit)),
      el("td", {}, r.unsourced ? el("span", { class: "unsourced" }, "no source ") : null, linked(r.source || r.assumption)))))) :
      el("p", { class: "hint" }, "No inputs of its own."));
}

/* ---------------------------------------------------------------- start */

function fillScenarioPicker(list) {
  const select = $("scenario");
  if (list) select.replaceChildren(...list.map((s) => el("option", { value: s.name, title: s.story }, s.name)));
  let pasted = select.querySelector("option[value='']");
  if (state.yaml !== null && !pasted) select.append(pasted = el("option", { value: "" }, "(pasted YAML)"));
  if (state.yaml === null && pasted) pasted.remove();
  select.value = state.yaml !== null ? "" : state.scenario;
}

function bind() {
  $("run").addEventListener("click", submit);
  $("cancel").addEventListener("click", cancel);
  $("scenario").addEventListener("change", async () => {
    const name = $("scenario").value;
    if (!name) return;
    Object.assign(state, { scenario: name, yaml: null, overrides: {}, levers: {} });
    fillScenarioPicker();
    await loadView();
    submit();
  });
  for (const id of ["samples", "seed"]) $(id).addEventListener("change", changedState);
  $("input-filter").addEventListener("input", renderInputs);
  $("register-filter").addEventListener("input", renderRegister);
  $("register-more").addEventListener("click", () => { app.registerShown = Infinity; renderRegister(); });
  $("register-unsourced").addEventListener("change", renderRegister);
  $("yaml").addEventListener("input", () => drawGutter());
  $("check").addEventListener("click", checkYaml);
  $("use-yaml").addEventListener("click", useYaml);
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    if (!file) return;
    if (file.size > (app.about ? app.about.max_body_bytes : 1e6)) { notice(`${file.name} is larger than the server accepts.`, "error"); return; }
    $("yaml").value = await file.text();
    $("yaml-box").open = true;
    await checkYaml();
  });
  $("fan-metric").addEventListener("change", () => { fillGroups(); renderFan(); });
  $("fan-group").addEventListener("change", () => { fillGroups(); renderFan(); });
  $("fan-by").addEventListener("change", renderFan);
  $("node-pick").addEventListener("change", () => {
    const k = $("node-pick").value;
    if (k !== "") showNode(app.graph.nodes[Number(k)]);
  });
  $("pin").addEventListener("click", pin);
  $("unpin").addEventListener("click", unpin);
  $("run-tornado").addEventListener("click", runTornado);
  $("run-marginal").addEventListener("click", runMarginal);
  $("make-report").addEventListener("click", makeReport);
  $("download-overlay").addEventListener("click", downloadOverlay);
  $("share").addEventListener("click", async () => {
    await writeLink();
    if (app.linkNote) { notice(app.linkNote, "error"); return; }
    try { await navigator.clipboard.writeText(location.href); notice("The link to this state is copied."); }
    catch { notice(`The link to this state: ${location.href}`); }
  });
  window.addEventListener("hashchange", async () => { await readLink(); syncInputs(); fillScenarioPicker(); await loadView(); submit(); });
}

function syncInputs() {
  $("seed").value = state.seed;
  $("samples").value = state.samples;
  if (state.yaml !== null) $("yaml").value = state.yaml;
}

async function start() {
  bind();
  app.about = (await api("GET", "/v1/about")).data;
  $("samples").max = app.about.max_samples;
  $("footer").textContent = `stackbound ${app.about.version} · every number from this server's /v1 API · no request leaves this machine`;
  const list = (await api("GET", "/v1/scenarios")).data;
  await readLink();
  syncInputs();
  fillScenarioPicker(list);
  drawGutter();
  if (await loadView()) await submit();
}

window.stackbound = { state, app };
window.addEventListener("DOMContentLoaded", () => start().catch((error) => notice(error.message, "error")));

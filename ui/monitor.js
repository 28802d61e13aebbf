/* global document, window, location, URLSearchParams, EventSource, fetch, confirm, dagre */
// The monitoring page of a beam-ts job: renders the JobSnapshots the job process streams
// (GET /events, src/observe/ui-server.ts). Vanilla JS, no build step. Every text from the
// job (labels, metric names) goes through textContent, never innerHTML: labels are chosen
// by whoever wrote the pipeline.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const token = new URLSearchParams(location.search).get("token");
const withToken = (path) => (token ? `${path}?token=${encodeURIComponent(token)}` : path);

/** Composite ids the user collapsed; the graph is laid out again when it changes. */
const collapsed = new Set();
let graphKey = "";
let previous = undefined;
let latest = undefined;

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n === undefined || n === null ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 }));

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** An event time as the page shows it: ±∞, or the UTC clock time. */
function watermark(w) {
  if (w === "+Infinity") return "+∞";
  if (w === "-Infinity") return "−∞";
  // Beam's minimum and maximum timestamps (about ±9.2e15 ms) lie beyond what Date shows.
  if (w >= 8.64e15) return "+∞";
  if (w <= -8.64e15) return "−∞";
  return new Date(w).toISOString().slice(11, 23);
}

function duration(ms) {
  if (ms === undefined) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function bytes(n) {
  if (n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

// ---- Graph -----------------------------------------------------------------------------

/** The box that stands for transform `id`: itself, or its outermost collapsed composite. */
function representative(id, byId) {
  let rep = id;
  for (let t = byId.get(id); t !== undefined; t = t.parent === undefined ? undefined : byId.get(t.parent)) {
    if (collapsed.has(t.id)) rep = t.id;
  }
  return rep;
}

function layout(snap) {
  const { transforms, pcollections } = snap.graph;
  const byId = new Map(transforms.map((t) => [t.id, t]));
  const producerOf = new Map(pcollections.map((pc) => [pc.id, pc.producer]));
  const g = new dagre.graphlib.Graph({ compound: true });
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 40, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));

  const visible = new Set();
  for (const t of transforms) {
    const rep = representative(t.id, byId);
    if (rep === t.id && (t.kind !== "composite" || collapsed.has(t.id))) visible.add(t.id);
  }
  for (const id of visible) {
    const t = byId.get(id);
    const width = Math.max(150, Math.min(320, t.name.length * 7.2 + 28));
    g.setNode(id, { width, height: 46, transform: t });
  }
  // Expanded composites holding something visible become clusters around it.
  const clusters = new Set();
  for (const id of visible) {
    let child = id;
    for (let p = byId.get(id).parent; p !== undefined; p = byId.get(p).parent) {
      if (!clusters.has(p)) {
        clusters.add(p);
        g.setNode(p, { transform: byId.get(p), cluster: true, paddingTop: 18 });
      }
      g.setParent(child, p);
      child = p;
    }
  }
  for (const t of transforms) {
    if (t.kind === "composite") continue;
    for (const pc of t.inputs) {
      const producer = producerOf.get(pc);
      if (producer === undefined) continue;
      const from = representative(producer, byId);
      const to = representative(t.id, byId);
      if (from !== to && visible.has(from) && visible.has(to)) g.setEdge(from, to);
    }
  }
  dagre.layout(g);
  return g;
}

function drawGraph(snap) {
  const g = layout(snap);
  const svg = $("graph-svg");
  svg.replaceChildren();
  const defs = svgEl("defs");
  const marker = svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svgEl("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8b96a3" }));
  defs.append(marker);
  svg.append(defs);
  const { width, height } = g.graph();
  // Natural size, scaled down (never up) to the panel's width by the viewBox and CSS max-width.
  svg.setAttribute("viewBox", `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`);
  svg.setAttribute("width", String(Math.ceil(width)));

  for (const id of g.nodes()) {
    const n = g.node(id);
    if (!n.cluster) continue;
    const group = svgEl("g", { class: "cluster", "data-composite": n.transform.label });
    group.append(svgEl("rect", { x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height }));
    const title = svgEl("text", { x: n.x - n.width / 2 + 8, y: n.y - n.height / 2 + 13 }, `▾ ${n.transform.name}`);
    title.addEventListener("click", () => toggle(n.transform.id));
    group.append(title);
    svg.append(group);
  }
  for (const e of g.edges()) {
    const points = g.edge(e).points;
    const d = points.map((p, i) => `${i === 0 ? "M" : "L"} ${p.x} ${p.y}`).join(" ");
    svg.append(svgEl("path", { class: "edge", d }));
  }
  for (const id of g.nodes()) {
    const n = g.node(id);
    if (n.cluster) continue;
    const t = n.transform;
    const isCollapsed = t.kind === "composite";
    const group = svgEl("g", { class: `node${isCollapsed ? " collapsed" : ""}`, "data-step": t.label, transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})` });
    group.append(svgEl("title", {}, `${t.label} (${t.kind})`));
    group.append(svgEl("rect", { width: n.width, height: n.height }));
    group.append(svgEl("text", { x: 10, y: 18 }, isCollapsed ? `▸ ${t.name}` : t.name));
    group.append(svgEl("text", { x: 10, y: 36, class: "counts" }, ""));
    if (isCollapsed) group.addEventListener("click", () => toggle(t.id));
    svg.append(group);
  }
}

function toggle(id) {
  if (collapsed.has(id)) collapsed.delete(id);
  else collapsed.add(id);
  graphKey = "";
  if (latest !== undefined) render(latest);
}

/** Steps inside transform `t` (itself if primitive), for a collapsed composite's totals. */
function stepsUnder(t, transforms) {
  if (t.kind !== "composite") return [t.label];
  const prefix = `${t.label}/`;
  return transforms.filter((x) => x.kind !== "composite" && x.label.startsWith(prefix)).map((x) => x.label);
}

function updateGraphCounts(snap, steps) {
  for (const group of document.querySelectorAll("#graph-svg g.node")) {
    const label = group.getAttribute("data-step");
    const t = snap.graph.transforms.find((x) => x.label === label);
    if (t === undefined) continue;
    const labels = stepsUnder(t, snap.graph.transforms);
    let inSum = 0;
    let outSum = 0;
    let failing = false;
    for (const l of labels) {
      const s = steps.get(l);
      inSum += s?.elementsIn ?? 0;
      outSum += s?.elementsOut ?? 0;
      failing ||= (s?.deadLetters ?? 0) > 0;
    }
    group.querySelector("text.counts").textContent = `in ${fmt(inSum)} · out ${fmt(outSum)}`;
    group.classList.toggle("failing", failing);
  }
}

// ---- Tables ----------------------------------------------------------------------------

function row(cells, attrs) {
  const tr = el("tr", attrs);
  for (const c of cells) {
    const td = el("td", c.cls ? { class: c.cls } : {});
    if (c.node !== undefined) td.append(c.node);
    else td.textContent = c.text;
    tr.append(td);
  }
  return tr;
}

function userMetrics(snap, label) {
  const out = [];
  const m = snap.metrics;
  for (const c of m.counters) if (c.step === label && !c.namespace.startsWith("beam-ts:")) out.push(`${c.namespace}/${c.name} = ${fmt(c.attempted)}`);
  for (const d of m.distributions) if (d.step === label && !d.namespace.startsWith("beam-ts:")) out.push(`${d.namespace}/${d.name}: n ${fmt(d.attempted.count)}, mean ${fmt(d.attempted.mean)}`);
  for (const gauge of m.gauges) if (gauge.step === label && !gauge.namespace.startsWith("beam-ts:")) out.push(`${gauge.namespace}/${gauge.name} = ${fmt(gauge.attempted.value)}`);
  return out.join("; ");
}

function renderSteps(snap, steps) {
  const stageOf = new Map();
  for (const st of snap.stages) for (const s of st.steps) stageOf.set(s, st);
  const prev = new Map((previous?.steps ?? []).map((s) => [s.label, s]));
  const seconds = previous === undefined ? 0 : (snap.takenAt - previous.takenAt) / 1000;
  const body = $("steps").tBodies[0];
  body.replaceChildren();
  for (const t of snap.graph.transforms) {
    if (t.kind === "composite") continue;
    const s = steps.get(t.label) ?? {};
    const stage = stageOf.get(t.label);
    const rate = seconds > 0 && prev.has(t.label) ? ((s.elementsOut ?? 0) - (prev.get(t.label).elementsOut ?? 0)) / seconds : undefined;
    const ms = stage?.bundleMillis;
    body.append(
      row(
        [
          { text: t.label },
          { text: fmt(s.elementsIn), cls: "num in" },
          { text: fmt(s.elementsOut), cls: "num out" },
          { text: fmt(rate), cls: "num" },
          { text: ms && ms.count > 0 ? `${fmt(ms.mean)} / ${fmt(ms.max)}` : "–", cls: "num" },
          { text: fmt(s.deadLetters ?? 0), cls: `num${(s.deadLetters ?? 0) > 0 ? " bad" : ""}` },
          { text: stage ? `${stage.failures}` : "–", cls: `num${stage?.failures > 0 ? " bad" : ""}` },
          { text: userMetrics(snap, t.label) },
        ],
        { "data-step": t.label },
      ),
    );
  }
}

function renderStages(snap) {
  const body = $("stages").tBodies[0];
  body.replaceChildren();
  for (const st of snap.stages) {
    body.append(
      row(
        [
          { text: st.label },
          { text: watermark(st.inputWatermark) },
          { text: watermark(st.outputWatermark) },
          { text: duration(st.watermarkLagMillis), cls: "num" },
          { text: st.hold ?? (st.done ? "done" : "–") },
          { text: fmt(st.bundles), cls: "num" },
          { text: `${st.retries} / ${st.failures}`, cls: `num${st.failures > 0 ? " bad" : ""}` },
        ],
        { "data-stage": st.label },
      ),
    );
  }
}

function renderSources(snap) {
  const body = $("sources").tBodies[0];
  body.replaceChildren();
  for (const src of snap.sources) {
    const done = el("span");
    if (src.fractionDone !== undefined) {
      const bar = el("span", { class: "bar" });
      bar.append(el("span", { style: `width:${Math.round(src.fractionDone * 100)}%` }));
      done.append(bar, document.createTextNode(` ${Math.round(src.fractionDone * 100)}%`));
    } else done.textContent = src.done ? "done" : "–";
    // An unbounded source reports a backlog near Number.MAX_SAFE_INTEGER: no end in sight.
    const backlog = src.backlog !== undefined && src.backlog >= 2 ** 52 ? "∞" : fmt(src.backlog);
    body.append(row([{ text: src.label }, { text: fmt(src.elements), cls: "num" }, { text: backlog, cls: "num" }, { node: done }], { "data-source": src.label }));
  }
}

function renderJob(snap) {
  const { job } = snap;
  $("job-name").textContent = job.name;
  document.title = `${job.name} · ${job.state} · beam-ts`;
  const state = $("state");
  state.textContent = job.state;
  state.className = `state ${job.state}`;
  const running = job.state === "RUNNING";
  $("drain").disabled = !running;
  // Only a running job with checkpoints can write a savepoint: the snapshot says so.
  const savepoint = $("savepoint");
  savepoint.disabled = !(running && snap.checkpoints?.savepoints === true);
  savepoint.title = savepoint.disabled
    ? running
      ? "No savepoints: this job takes no checkpoints (a streaming job on the embedded runner with --checkpointDir)"
      : `No savepoints: the job is ${job.state}`
    : "Write a savepoint: a checkpoint kept until you delete it, to start this or a changed pipeline from";
  $("cancel").disabled = !(running || job.state === "DRAINING");
  const took = (job.endTime ?? snap.takenAt) - job.startTime;
  $("job-facts").textContent = `${job.runner} runner · ${job.endTime === undefined ? "running for" : "ran"} ${duration(took)}`;
  const facts = [
    ["started", new Date(job.startTime).toLocaleTimeString()],
    ["worker threads", snap.workers ? `${snap.workers.threads} (${snap.workers.reporting} reporting)` : "–"],
    ["spilled", snap.memory ? bytes(snap.memory.spilledBytes) : "–"],
    ["memory budget", snap.memory?.budgetBytes !== undefined ? bytes(snap.memory.budgetBytes) : "none"],
    ["checkpoints", snap.checkpoints ? `${snap.checkpoints.count}${snap.checkpoints.lastMillis !== undefined ? `, last ${bytes(snap.checkpoints.lastBytes)} in ${duration(snap.checkpoints.lastMillis)}` : ""}` : "–"],
    ["reads", snap.lineage.sources.join(", ") || "–"],
    ["writes", snap.lineage.sinks.join(", ") || "–"],
  ];
  const dl = $("job-panel");
  dl.replaceChildren();
  for (const [k, v] of facts) dl.append(el("dt", {}, k), el("dd", {}, v));
}

function render(snap) {
  latest = snap;
  const key = JSON.stringify(snap.graph.transforms.map((t) => t.id));
  if (key !== graphKey) {
    graphKey = key;
    drawGraph(snap);
  }
  const steps = new Map(snap.steps.map((s) => [s.label, s]));
  updateGraphCounts(snap, steps);
  renderJob(snap);
  renderSteps(snap, steps);
  renderStages(snap);
  renderSources(snap);
  $("status").textContent = `updated ${new Date(snap.takenAt).toLocaleTimeString()}`;
  previous = snap;
}

// ---- Live updates and controls ---------------------------------------------------------

function connect() {
  const events = new EventSource(withToken("events"));
  events.onmessage = (e) => render(JSON.parse(e.data));
  events.addEventListener("end", () => {
    events.close();
    $("status").textContent = "the job ended; this page no longer updates";
  });
  events.onerror = () => {
    if (latest?.job.state !== "RUNNING" && latest !== undefined) return;
    $("status").textContent = "connection lost; retrying…";
  };
}

async function control(action, question) {
  if (!confirm(question)) return;
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(action, { method: "POST", headers });
  $("status").textContent = res.ok ? `${action} requested` : `${action} refused: ${await res.text()}`;
}

async function savepoint() {
  const name = latest?.job.name ?? "the job";
  if (!confirm(`Write a savepoint of ${name}? The job goes on running; the savepoint is kept until you delete it.`)) return;
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  // Not the status line, which each snapshot rewrites: the path must stay readable.
  const result = $("action-result");
  result.textContent = "writing a savepoint…";
  const res = await fetch("savepoint", { method: "POST", headers });
  result.textContent = res.ok ? `savepoint written to ${(await res.json()).path}` : `savepoint refused: ${await res.text()}`;
}

$("savepoint").addEventListener("click", () => void savepoint());
$("drain").addEventListener("click", () =>
  control("drain", `Drain ${latest?.job.name ?? "the job"}? Sources stop reading, every open window fires, then the job ends DRAINED.`),
);
$("cancel").addEventListener("click", () => control("cancel", `Cancel ${latest?.job.name ?? "the job"}? It stops at once; open windows do not fire.`));
window.addEventListener("load", connect);

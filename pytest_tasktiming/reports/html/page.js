"use strict";
// The task-timing page: one script for the static report and the live dashboard.
// Every string from the file reaches the DOM through textContent (or canvas fillText), never
// innerHTML, so a task name is always shown as text.
(function () {
  const config = JSON.parse(document.getElementById("tt-config").textContent);
  const LIVE = config.kind === "live";
  // Tasks overlapping by less than this (and under a quarter of either task) count as back to
  // back: the clocks of a worker and of the process that writes its rows (xdist's
  // controller) disagree by a few milliseconds.
  const SLACK_MS = 50;
  const TABLE_ROW_PX = 25;
  const LIST_LIMIT = 100;
  const FAILURES = new Set(["failed", "error", "timeout"]);
  const SUCCESSES = new Set(["passed", "completed", "recovered", "xfailed", "xpassed"]);
  // Worst first: a timeline pixel covering several tasks shows the worst of them.
  const KINDS = ["timeout", "failed", "warning", "running", "ok", "skipped", "other"];
  const COLORS = {
    timeout: "#7b2cbf", failed: "#d1343e", warning: "#e69500", running: "#1f77d0",
    ok: "#2e8b57", skipped: "#a0a4a8", other: "#6c757d",
  };

  const tasks = new Map(); // task_id -> task, folded as records.fold does
  // From the companion file: a task's own limit, threshold and failure message, and its
  // name's (decorated code writes its limit once per name); null where it says nothing.
  const notes = new Map(); // task_id -> {limit, threshold, message}
  const named = new Map(); // mode + "\t" + task -> {limit, threshold}
  const processes = new Map(); // mode + "\t" + task id prefix -> {limit, threshold}
  const state = {
    view: null, // [start, end] of the zoomed timeline, or null for everything
    sortKey: "start", sortDir: 1, filter: "", resultFilter: "",
    groups: [], all: [], rows: [], knownTimeouts: new Map(), skipped: config.skipped || 0,
    clockSkew: 0, offset: 0, generation: null, dirty: true, error: null, missing: false,
    notesOffset: 0, notesGeneration: null,
  };

  // --- data ------------------------------------------------------------------------------

  function ingest(payload) {
    const strings = payload.strings;
    const t0 = payload.t0;
    for (const row of payload.rows) {
      const id = row[0];
      const result = strings[row[5]];
      const previous = tasks.get(id);
      if (previous && result === "started" && previous.result !== "started") continue;
      const start = t0 + row[3];
      const dur = row[4];
      const end = dur === null ? (result === "started" ? null : start) : start + dur * 1000;
      const task = { id, mode: strings[row[1]], name: strings[row[2]], start, end, dur, result, lane: 0 };
      task.kind = kindOf(task);
      tasks.set(id, task);
    }
    for (const [id, limit, threshold, message] of payload.notes || []) {
      note(notes, id, { limit, threshold, message: message === null ? null : strings[message] });
    }
    for (const [task, mode, limit, threshold] of payload.named || []) {
      note(named, strings[mode] + "\t" + strings[task], { limit, threshold });
    }
    for (const [prefix, mode, limit, threshold] of payload.processes || []) {
      note(processes, strings[mode] + "\t" + prefix, { limit, threshold });
    }
    const noted = ["notes", "named", "processes"].some((key) => (payload[key] || []).length);
    if (payload.rows.length || noted) state.dirty = true;
  }

  // Lines of the companion file merge in order: what a later one says wins.
  function note(map, key, values) {
    const known = map.get(key) || {};
    for (const [name, value] of Object.entries(values)) if (value !== null) known[name] = value;
    map.set(key, known);
  }

  // A task's own note, else its name's, else its process's (task ids are "<prefix>-<n>").
  function noteOf(task, name) {
    const places = [
      notes.get(task.id), named.get(task.mode + "\t" + task.name),
      processes.get(task.mode + "\t" + task.id.slice(0, task.id.lastIndexOf("-") + 1)),
    ];
    for (const place of places) if (place && place[name] !== undefined) return place[name];
    return null;
  }

  function now() {
    if (LIVE) return Date.now() + state.clockSkew;
    return config.now === null ? Date.now() : config.now;
  }

  function endOf(task) { return task.end === null ? Math.max(now(), task.start) : task.end; }
  function seconds(task) { return task.dur !== null ? task.dur : (endOf(task) - task.start) / 1000; }
  // Its own limit when the companion file says (0: none), else the one it was seen to hit.
  function limitOf(task) {
    const own = noteOf(task, "limit");
    return own !== null ? own : state.knownTimeouts.get(task.name) || config.timeout;
  }
  function thresholdOf(task) {
    const own = noteOf(task, "threshold");
    return own !== null ? own : config.threshold;
  }
  function messageOf(task) { return noteOf(task, "message") || ""; }

  function kindOf(task) {
    if (task.result === "started") return "running";
    if (task.result === "timeout") return "timeout";
    if (FAILURES.has(task.result)) return "failed";
    if (SUCCESSES.has(task.result)) return "ok";
    if (task.result === "skipped") return "skipped";
    return "other";
  }

  function isWarning(task) {
    const limit = limitOf(task);
    return task.result !== "timeout" && limit > 0 && seconds(task) >= thresholdOf(task) * limit;
  }

  function analyse() {
    const all = Array.from(tasks.values());
    all.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
    // A timeout's duration is the limit the task ran into: the best guess of its timeout.
    const known = new Map();
    for (const task of all) {
      if (task.result === "timeout" && task.dur !== null) {
        const seen = known.get(task.name);
        if (seen === undefined || task.dur < seen) known.set(task.name, task.dur);
      }
    }
    state.knownTimeouts = known;
    state.all = all;
    state.groups = assignLanes(all);
  }

  // Greedy interval partitioning, per mode: each task goes to the free lane that freed most
  // recently (so a worker's back-to-back tasks stay in one lane), and a new lane opens only
  // when every lane is busy. The lane count is the mode's peak concurrency.
  function assignLanes(sorted) {
    const groups = new Map();
    for (const task of sorted) {
      let group = groups.get(task.mode);
      if (!group) {
        group = { mode: task.mode, lanes: [], busy: new MinHeap(), free: [] };
        groups.set(task.mode, group);
      }
      const length = endOf(task) - task.start;
      while (group.busy.size()) {
        const top = group.busy.peek();
        if (top.end > task.start + Math.min(SLACK_MS, 0.25 * Math.min(length, top.length))) break;
        group.free.push(group.busy.pop().lane);
      }
      let lane = group.free.pop();
      if (lane === undefined) { lane = group.lanes.length; group.lanes.push([]); }
      task.lane = lane;
      group.lanes[lane].push(task);
      group.busy.push({ end: task.end === null ? Infinity : task.end, lane, length });
    }
    return Array.from(groups.values())
      .sort((a, b) => (a.mode < b.mode ? -1 : a.mode > b.mode ? 1 : 0))
      .map((g) => ({ mode: g.mode, lanes: g.lanes }));
  }

  class MinHeap {
    constructor() { this.items = []; }
    size() { return this.items.length; }
    peek() { return this.items[0]; }
    push(item) {
      const a = this.items;
      a.push(item);
      let i = a.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (a[parent].end <= a[i].end) break;
        [a[parent], a[i]] = [a[i], a[parent]];
        i = parent;
      }
    }
    pop() {
      const a = this.items;
      const top = a[0];
      const last = a.pop();
      if (a.length) {
        a[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1, r = l + 1;
          let m = i;
          if (l < a.length && a[l].end < a[m].end) m = l;
          if (r < a.length && a[r].end < a[m].end) m = r;
          if (m === i) break;
          [a[m], a[i]] = [a[i], a[m]];
          i = m;
        }
      }
      return top;
    }
  }

  // --- formatting ------------------------------------------------------------------------

  // The text of human_duration in _durations.py, step by step (a test compares the two):
  // three significant digits in the unit that reads best, rounded half-up on microseconds.
  const UNITS = [[1, "µs", 1000], [1e3, "ms", 1000], [1e6, "s", 60], [6e7, "min", 60], [3.6e9, "h", Infinity]];
  function fmtSeconds(s) {
    if (s === null || s === undefined) return "";
    const micros = s > 0 && s < Infinity ? Math.floor(s * 1e6 + 0.5) : 0;
    for (const [size, unit, limit] of UNITS) {
      let decimals = 0, scaled = micros;
      if (size > 1) {
        decimals = Math.max(0, 3 - String(Math.floor(micros / size)).length);
        scaled = Math.floor((2 * micros * 10 ** decimals + size) / (2 * size));
        if (decimals && scaled >= 1000) {
          decimals -= 1;
          scaled = Math.floor((2 * micros * 10 ** decimals + size) / (2 * size));
        }
      }
      if (scaled < limit * 10 ** decimals) {
        const factor = 10 ** decimals;
        const whole = Math.floor(scaled / factor);
        const part = String(scaled % factor).padStart(decimals, "0");
        return (decimals ? whole + "." + part : String(whole)) + " " + unit;
      }
    }
    return "";
  }

  function fmtTick(s) {
    if (s < 1e-3) return Number((s * 1e6).toPrecision(3)) + " µs";
    if (s < 1) return Number((s * 1e3).toPrecision(3)) + " ms";
    return Number(s.toPrecision(3)) + " s";
  }

  function fmtTime(ms) {
    return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function resultCell(task) {
    const label = task.result === "started" ? (LIVE ? "running" : "unfinished") : task.result;
    return el("td", label, "result r-" + kindOf(task));
  }

  // --- summary ---------------------------------------------------------------------------

  function renderSummary() {
    const box = document.getElementById("summary");
    const counts = { ok: 0, failed: 0, timeout: 0, running: 0, skipped: 0, warning: 0 };
    let busy = 0, first = Infinity, last = -Infinity;
    for (const task of state.all) {
      const kind = task.kind;
      if (kind in counts) counts[kind] += 1;
      if (isWarning(task)) counts.warning += 1;
      busy += seconds(task);
      first = Math.min(first, task.start);
      last = Math.max(last, endOf(task));
    }
    const span = state.all.length ? (last - first) / 1000 : 0;
    const cards = [
      ["tasks", state.all.length, ""], ["succeeded", counts.ok, "ok"],
      ["failed", counts.failed, "failed"], ["timed out", counts.timeout, "timeout"],
      ["warnings", counts.warning, "warning"],
      [LIVE ? "running" : "unfinished", counts.running, "running"],
      ["skipped", counts.skipped, ""], ["wall time", fmtSeconds(span), ""],
      ["task time", fmtSeconds(busy), ""],
      ["parallelism", span > 0 ? (busy / span).toFixed(2) + "×" : "–", ""],
    ];
    box.replaceChildren(...cards.map(([label, value, cls]) => {
      const card = el("div", null, "card " + cls);
      card.dataset.name = label;
      card.append(el("span", value, "value"), el("span", label, "label"));
      return card;
    }));
  }

  // --- small lists -----------------------------------------------------------------------

  function fillList(tableId, items, cells) {
    const table = document.getElementById(tableId);
    const body = table.tBodies[0];
    const shown = items.slice(0, LIST_LIMIT);
    body.replaceChildren(...shown.map((item) => {
      const tr = document.createElement("tr");
      tr.append(...cells(item));
      return tr;
    }));
    let note = table.nextElementSibling;
    if (note && note.classList.contains("more")) note.remove();
    if (items.length > shown.length) {
      table.after(el("p", `and ${items.length - shown.length} more`, "more"));
      note = table.nextElementSibling;
    }
    const empty = table.parentElement.querySelector(".empty");
    if (empty) empty.hidden = items.length > 0;
    table.hidden = items.length === 0;
  }

  function messageCell(task) {
    const text = messageOf(task);
    const td = el("td", text, "message");
    td.title = text;
    return td;
  }

  function nameCell(task) {
    const td = el("td", task.name, "name");
    td.title = task.name;
    return td;
  }

  function renderLists() {
    const slowest = topBy(state.all.filter((t) => t.result !== "started" && t.dur !== null), (t) => t.dur, 20);
    fillList("slowest-table", slowest, (t) => [
      nameCell(t), resultCell(t), el("td", fmtSeconds(t.dur), "num"), el("td", fmtTime(t.start), "num"),
    ]);
    const timeouts = state.all.filter((t) => t.result === "timeout").reverse();
    fillList("timeouts-table", timeouts, (t) => [
      nameCell(t), el("td", t.mode), el("td", fmtSeconds(t.dur), "num"), el("td", fmtTime(t.start), "num"),
    ]);
    const warnings = state.all.filter(isWarning).sort((a, b) => seconds(b) / limitOf(b) - seconds(a) / limitOf(a));
    fillList("warnings-table", warnings, (t) => [
      nameCell(t), resultCell(t), el("td", fmtSeconds(seconds(t)), "num"),
      el("td", Math.round((100 * seconds(t)) / limitOf(t)) + "% of " + fmtSeconds(limitOf(t)), "num"),
    ]);
    document.getElementById("warning-hint").textContent =
      `Tasks past their warning threshold (their own, else ${Math.round(config.threshold * 100)}%) ` +
      `of their timeout: their own, else the one a task was seen to hit, else ${fmtSeconds(config.timeout)}.`;
    fillList("streaks-table", findStreaks(), (s) => [
      nameCell(s), el("td", s.count, "num"), el("td", fmtTime(s.from), "num"),
      el("td", s.endedBy, s.endedBy === "still failing" ? "result r-failed" : "result r-ok"),
    ]);
    fillList("trends-table", findTrends(), (t) => [
      nameCell(t), el("td", t.runs, "num"), sparklineCell(t.recent),
      el("td", t.flaky ? "flaky" : "", t.flaky ? "result r-failed" : ""),
    ]);
    if (LIVE) renderLive();
  }

  // Each task's latest TREND runs and whether it is flaky: the rule of reports/trends.py.
  const TREND = 10;
  const SUCCEEDED = new Set(["passed", "completed", "recovered"]);
  function findTrends() {
    const byName = new Map();
    for (const task of state.all) {
      if (task.result === "started" || task.dur === null) continue;
      let trend = byName.get(task.name);
      if (!trend) { trend = { name: task.name, runs: 0, total: 0, recent: [] }; byName.set(task.name, trend); }
      trend.runs += 1;
      trend.total += task.dur;
      trend.recent.push(task);
      if (trend.recent.length > TREND) trend.recent.shift();
    }
    const trends = Array.from(byName.values()).filter((t) => t.runs >= 2);
    for (const trend of trends) {
      let flips = 0, previous = null;
      for (const task of trend.recent) {
        if (!SUCCEEDED.has(task.result) && !FAILURES.has(task.result)) continue;
        const ok = SUCCEEDED.has(task.result);
        if (previous !== null && ok !== previous) flips += 1;
        previous = ok;
      }
      trend.flaky = flips >= 2;
    }
    return trends.sort((a, b) => b.flaky - a.flaky || b.total - a.total || a.name.localeCompare(b.name));
  }

  function sparklineCell(recent) {
    const width = 4 * TREND, height = 16;
    const longest = Math.max(...recent.map((t) => t.dur), 1e-9);
    const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img" });
    chart.setAttribute("aria-label", recent.map((t) => fmtSeconds(t.dur)).join(", "));
    recent.forEach((task, i) => {
      const h = Math.max(1, Math.round((task.dur / longest) * height));
      chart.append(svg("rect", { x: i * 4, y: height - h, width: 3, height: h, fill: COLORS[task.kind] || COLORS.other }));
    });
    const td = el("td");
    td.append(chart);
    return td;
  }

  // The `count` items with the largest key, largest first, without sorting them all.
  function topBy(items, key, count) {
    const top = [];
    for (const item of items) {
      const value = key(item);
      if (top.length === count && value <= key(top[count - 1])) continue;
      let i = Math.min(top.length, count - 1);
      while (i > 0 && key(top[i - 1]) < value) i--;
      top.splice(i, 0, item);
      if (top.length > count) top.pop();
    }
    return top;
  }

  function findStreaks() {
    const open = new Map();
    const streaks = [];
    for (const task of state.all) {
      if (task.result === "started" || task.result === "skipped") continue;
      let streak = open.get(task.name);
      if (FAILURES.has(task.result)) {
        if (!streak) { streak = { name: task.name, count: 0, from: task.start }; open.set(task.name, streak); }
        streak.count += 1;
      } else if (streak) {
        open.delete(task.name);
        if (streak.count >= 2) streaks.push({ ...streak, endedBy: task.result });
      }
    }
    for (const streak of open.values()) {
      if (streak.count >= 2) streaks.push({ ...streak, endedBy: "still failing" });
    }
    return streaks.sort((a, b) => b.count - a.count || a.from - b.from);
  }

  function renderLive() {
    const running = state.all.filter((t) => t.result === "started");
    fillList("running-table", running, (t) => {
      const elapsed = seconds(t);
      const limit = limitOf(t);
      const ratio = limit > 0 ? elapsed / limit : 0;
      const meter = el("div", null, "meter");
      if (ratio >= 1) meter.classList.add("over");
      else if (ratio >= thresholdOf(t)) meter.classList.add("warning");
      const fill = el("div", null, "fill");
      fill.style.width = Math.min(100, ratio * 100).toFixed(1) + "%";
      const text = limit > 0 ? `${fmtSeconds(elapsed)} / ${fmtSeconds(limit)}` : fmtSeconds(elapsed);
      meter.append(fill, el("span", text, "text"));
      const cell = document.createElement("td");
      cell.append(meter);
      return [nameCell(t), el("td", t.mode), el("td", fmtTime(t.start), "num"), cell];
    });
    const recent = topBy(state.all.filter((t) => t.result !== "started"), endOf, 15);
    fillList("recent-table", recent, (t) => [
      nameCell(t), resultCell(t), el("td", fmtSeconds(t.dur), "num"), el("td", fmtTime(endOf(t)), "num"),
    ]);
  }

  // --- histogram -------------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderHistogram() {
    const chart = document.getElementById("histogram");
    const durations = state.all.filter((t) => t.dur !== null);
    const nodes = [];
    const W = 720, H = 200, left = 44, bottom = 24, top = 8, bins = 36;
    if (!durations.length) {
      chart.replaceChildren(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No finished task yet."));
      return;
    }
    let lo = Infinity, hi = -Infinity;
    for (const t of durations) {
      const v = Math.log10(Math.max(t.dur, 1e-6));
      lo = Math.min(lo, v); hi = Math.max(hi, v);
    }
    lo = Math.floor(lo); hi = Math.max(Math.ceil(hi), lo + 1);
    const ok = new Array(bins).fill(0), bad = new Array(bins).fill(0);
    for (const t of durations) {
      const v = Math.log10(Math.max(t.dur, 1e-6));
      const bin = Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins));
      (FAILURES.has(t.result) ? bad : ok)[bin] += 1;
    }
    const peak = Math.max(...ok.map((n, i) => n + bad[i]));
    const width = (W - left - 8) / bins, plotH = H - top - bottom;
    const x = (v) => left + ((v - lo) / (hi - lo)) * (W - left - 8);
    for (let i = 0; i < bins; i++) {
      const total = ok[i] + bad[i];
      if (!total) continue;
      const from = Math.pow(10, lo + ((hi - lo) * i) / bins), to = Math.pow(10, lo + ((hi - lo) * (i + 1)) / bins);
      const label = `${fmtSeconds(from)} – ${fmtSeconds(to)}: ${total} tasks (${bad[i]} failed)`;
      const hOk = (ok[i] / peak) * plotH, hBad = (bad[i] / peak) * plotH;
      const group = svg("g", {});
      group.append(svg("title", {}, label));
      group.append(svg("rect", { x: left + i * width + 1, y: top + plotH - hOk, width: width - 2, height: hOk, class: "bar-ok" }));
      group.append(svg("rect", { x: left + i * width + 1, y: top + plotH - hOk - hBad, width: width - 2, height: hBad, class: "bar-bad" }));
      nodes.push(group);
    }
    for (let d = lo; d <= hi; d++) {
      nodes.push(svg("text", { x: x(d), y: H - 6, "text-anchor": "middle" }, fmtTick(Math.pow(10, d))));
    }
    nodes.push(svg("text", { x: left - 6, y: top + 10, "text-anchor": "end" }, String(peak)));
    nodes.push(svg("text", { x: left - 6, y: top + plotH, "text-anchor": "end" }, "0"));
    nodes.push(svg("line", { x1: left, x2: W - 8, y1: top + plotH, y2: top + plotH, stroke: "#dde2e7" }));
    const warnAt = Math.log10(config.threshold * config.timeout);
    if (config.timeout > 0 && warnAt >= lo && warnAt <= hi) {
      const line = svg("line", { x1: x(warnAt), x2: x(warnAt), y1: top, y2: top + plotH, class: "limit" });
      line.append(svg("title", {}, `warning threshold: ${fmtSeconds(config.threshold * config.timeout)}`));
      nodes.push(line);
    }
    chart.replaceChildren(...nodes);
  }

  // --- timeline --------------------------------------------------------------------------

  const canvas = document.getElementById("timeline-canvas");
  const tooltip = document.getElementById("tooltip");
  const layout = { lanes: [], laneH: 18, axisH: 22, range: [0, 1], width: 0 };

  function fullRange() {
    let first = Infinity, last = -Infinity;
    for (const task of state.all) {
      first = Math.min(first, task.start);
      last = Math.max(last, endOf(task));
    }
    if (first === Infinity) return [now() - 1000, now()];
    if (last <= first) last = first + 1;
    return [first, last];
  }

  function renderTimeline() {
    const labels = document.getElementById("lane-labels");
    const totalLanes = state.groups.reduce((n, g) => n + g.lanes.length, 0);
    const groupGap = 18;
    const laneH = Math.max(2, Math.min(18, Math.floor(480 / Math.max(1, totalLanes))));
    const lanes = [];
    const labelNodes = [];
    let y = layout.axisH;
    for (const group of state.groups) {
      const box = el("div", null, "lane-group");
      box.dataset.mode = group.mode;
      box.dataset.lanes = String(group.lanes.length);
      box.style.top = y + "px";
      box.style.height = groupGap + group.lanes.length * laneH + "px";
      const count = group.lanes.length === 1 ? "1 lane" : `${group.lanes.length} lanes`;
      box.append(el("span", group.mode || "(no mode)", "mode"), el("span", count, "count"));
      labelNodes.push(box);
      y += groupGap;
      group.lanes.forEach((laneTasks, i) => {
        lanes.push({ y, tasks: laneTasks, mode: group.mode, index: i });
        if (laneH >= 12 && group.lanes.length > 1) {
          const label = el("span", `lane ${i + 1}`, "lane-label");
          label.style.top = y + (laneH - 14) / 2 + "px";
          labelNodes.push(label);
        }
        y += laneH;
      });
    }
    labels.replaceChildren(...labelNodes);
    labels.style.height = y + "px";
    layout.lanes = lanes;
    layout.laneH = laneH;
    layout.origin = fullRange();
    layout.range = state.view || layout.origin;
    drawCanvas(Math.max(y + 4, 60));
  }

  function drawCanvas(height) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(200, canvas.parentElement.clientWidth);
    layout.width = width;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = height + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const [from, to] = layout.range;
    const scale = width / (to - from);
    drawAxis(ctx, from, to, width, height);
    const order = KINDS.length;
    const cols = new Uint8Array(Math.ceil(width));
    const starts = new Uint8Array(Math.ceil(width));
    for (const lane of layout.lanes) {
      cols.fill(order); starts.fill(0);
      // Tasks in a lane never overlap, so this is linear in tasks plus pixels.
      const first = firstEndingAfter(lane.tasks, from);
      for (let i = first; i < lane.tasks.length; i++) {
        const task = lane.tasks[i];
        if (task.start > to) break;
        const x0 = Math.max(0, Math.floor((task.start - from) * scale));
        const x1 = Math.min(cols.length, Math.max(x0 + 1, Math.ceil((endOf(task) - from) * scale)));
        const kind = KINDS.indexOf(timelineKind(task));
        for (let x = x0; x < x1; x++) if (kind < cols[x]) cols[x] = kind;
        if (x1 - x0 >= 4) starts[x0] = 1;
      }
      let x = 0;
      while (x < cols.length) {
        const kind = cols[x];
        let end = x + 1;
        while (end < cols.length && cols[end] === kind && !starts[end]) end++;
        if (kind < order) {
          ctx.fillStyle = COLORS[KINDS[kind]];
          ctx.fillRect(x + (starts[x] && x > 0 ? 1 : 0), lane.y + 1, end - x - (starts[x] && x > 0 ? 1 : 0), Math.max(1, layout.laneH - 2));
        }
        x = end;
      }
    }
  }

  // A success or a running task near its timeout shows the warning colour; failures keep theirs.
  function timelineKind(task) {
    const kind = task.kind;
    return (kind === "ok" || kind === "running") && isWarning(task) ? "warning" : kind;
  }

  function firstEndingAfter(laneTasks, moment) {
    let lo = 0, hi = laneTasks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (endOf(laneTasks[mid]) < moment) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function niceStep(span, width) {
    const raw = span / Math.max(2, Math.floor(width / 110)); // a label every 110 px at most
    const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000,
      120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 21600000, 43200000, 86400000];
    for (const step of steps) if (step >= raw) return step;
    return Math.ceil(raw / 86400000) * 86400000;
  }

  function drawAxis(ctx, from, to, width, height) {
    const step = niceStep(to - from, width);
    const origin = layout.origin[0];
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#5f6b76";
    ctx.strokeStyle = "#eef0f3";
    ctx.textBaseline = "top";
    const first = origin + Math.ceil((from - origin) / step) * step;
    for (let t = first; t <= to; t += step) {
      const x = Math.round((t - from) * (width / (to - from))) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, layout.axisH - 4); ctx.lineTo(x, height); ctx.stroke();
      const label = t === origin ? "0 s" : "+" + fmtSeconds((t - origin) / 1000);
      const w = ctx.measureText(label).width;
      ctx.fillText(label, Math.min(Math.max(0, x - w / 2), width - w), 2);
    }
  }

  function taskAt(px, py) {
    const lane = layout.lanes.find((l) => py >= l.y && py < l.y + layout.laneH);
    if (!lane) return null;
    const [from, to] = layout.range;
    const moment = from + (px / layout.width) * (to - from);
    const slack = (2 * (to - from)) / layout.width; // two pixels, so tiny tasks can be hit
    const i = firstEndingAfter(lane.tasks, moment - slack);
    const task = lane.tasks[i];
    if (!task || task.start > moment + slack) return null;
    return { task, lane };
  }

  function showTooltip(event) {
    const rect = canvas.getBoundingClientRect();
    const hit = taskAt(event.clientX - rect.left, event.clientY - rect.top);
    if (!hit) { tooltip.hidden = true; return; }
    const t = hit.task;
    const result = t.result === "started" ? (LIVE ? "running" : "unfinished") : t.result;
    tooltip.textContent = `${t.name}\n${result} · ${fmtSeconds(seconds(t))}\n` +
      `${t.mode} lane ${hit.lane.index + 1} · started ${fmtTime(t.start)}\n${t.id}`;
    tooltip.hidden = false;
    const host = document.getElementById("timeline").getBoundingClientRect();
    tooltip.style.left = Math.min(event.clientX - host.left + 12, host.width - 300) + "px";
    tooltip.style.top = event.clientY - host.top + 14 + "px";
  }

  function wireTimeline() {
    const selection = document.getElementById("selection");
    let dragFrom = null;
    let dragged = false; // the click that ends a drag is not a click on a task
    canvas.addEventListener("mousemove", (event) => {
      const x = event.clientX - canvas.getBoundingClientRect().left;
      if (dragFrom !== null) {
        selection.hidden = false;
        selection.style.left = Math.min(dragFrom, x) + "px";
        selection.style.width = Math.abs(x - dragFrom) + "px";
      }
      showTooltip(event);
    });
    canvas.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    canvas.addEventListener("mousedown", (event) => {
      dragFrom = event.clientX - canvas.getBoundingClientRect().left;
    });
    window.addEventListener("mouseup", (event) => {
      if (dragFrom === null) return;
      const x = event.clientX - canvas.getBoundingClientRect().left;
      selection.hidden = true;
      dragged = Math.abs(x - dragFrom) > 4;
      if (dragged) {
        const [from, to] = layout.range;
        const at = (px) => from + (Math.max(0, Math.min(layout.width, px)) / layout.width) * (to - from);
        state.view = [at(Math.min(dragFrom, x)), at(Math.max(dragFrom, x))];
        renderTimeline();
      }
      dragFrom = null;
    });
    canvas.addEventListener("dblclick", () => { state.view = null; renderTimeline(); });
    canvas.addEventListener("click", (event) => {
      if (dragged) { dragged = false; return; }
      const rect = canvas.getBoundingClientRect();
      const hit = taskAt(event.clientX - rect.left, event.clientY - rect.top);
      if (!hit) return;
      const input = document.getElementById("filter");
      input.value = hit.task.name;
      state.filter = hit.task.name.toLowerCase();
      renderTable(true);
    });
    window.addEventListener("resize", () => renderTimeline());
    const legend = document.getElementById("legend");
    legend.replaceChildren(...KINDS.map((kind) => {
      const item = el("span", null);
      const swatch = el("span", null, "swatch");
      swatch.style.background = COLORS[kind];
      const label = kind === "running" && !LIVE ? "unfinished" : kind === "warning" ? "near timeout" : kind;
      item.append(swatch, document.createTextNode(label));
      return item;
    }));
  }

  // --- the table -------------------------------------------------------------------------

  const scroller = document.getElementById("table-scroll");
  const tableBody = document.getElementById("tasks-table").tBodies[0];
  const lowerCache = new Map();
  function lower(text) {
    let found = lowerCache.get(text);
    if (found === undefined) { found = text.toLowerCase(); lowerCache.set(text, found); }
    return found;
  }

  const SORT_VALUE = {
    start: (t) => t.start, name: (t) => t.name, mode: (t) => t.mode, result: (t) => t.result,
    dur: (t) => seconds(t), lane: (t) => t.lane, id: (t) => t.id, message: messageOf,
  };

  function computeRows() {
    const needle = state.filter;
    const wanted = state.resultFilter;
    const rows = state.all.filter((t) =>
      (!wanted || t.result === wanted) &&
      (!needle || lower(t.name).includes(needle) || lower(t.mode).includes(needle) ||
        t.result.includes(needle) || t.id.includes(needle) || lower(messageOf(t)).includes(needle)));
    if (state.sortKey === "start" && state.sortDir === 1) { state.rows = rows; return; } // as analysed
    const value = SORT_VALUE[state.sortKey];
    const dir = state.sortDir;
    const keyed = rows.map((t) => [value(t), t]);
    keyed.sort((a, b) => (a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1].start - b[1].start));
    state.rows = keyed.map((pair) => pair[1]);
  }

  function renderTable(recompute) {
    if (recompute) computeRows();
    document.getElementById("table-count").textContent =
      `showing ${state.rows.length} of ${state.all.length} tasks`;
    for (const th of document.querySelectorAll("#tasks-table th")) {
      th.setAttribute("aria-sort", th.dataset.key === state.sortKey
        ? (state.sortDir > 0 ? "ascending" : "descending") : "none");
    }
    drawRows();
  }

  function drawRows() {
    const total = state.rows.length;
    const first = Math.max(0, Math.floor(scroller.scrollTop / TABLE_ROW_PX) - 10);
    const count = Math.ceil(scroller.clientHeight / TABLE_ROW_PX) + 20;
    const last = Math.min(total, first + count);
    const nodes = [spacer(first * TABLE_ROW_PX)];
    for (let i = first; i < last; i++) {
      const t = state.rows[i];
      const tr = document.createElement("tr");
      tr.append(el("td", fmtTime(t.start), "num"), nameCell(t), el("td", t.mode), resultCell(t),
        el("td", t.result === "started" ? "" : fmtSeconds(seconds(t)), "num"),
        el("td", t.lane + 1, "num"), el("td", t.id), messageCell(t));
      nodes.push(tr);
    }
    nodes.push(spacer((total - last) * TABLE_ROW_PX));
    tableBody.replaceChildren(...nodes);
  }

  function spacer(height) {
    const tr = el("tr", null, "spacer");
    const td = document.createElement("td");
    td.colSpan = 8;
    td.style.height = height + "px";
    tr.append(td);
    return tr;
  }

  function fillResultFilter() {
    const select = document.getElementById("result-filter");
    const results = Array.from(new Set(state.all.map((t) => t.result))).sort();
    const current = select.value;
    select.replaceChildren(el("option", "any"), ...results.map((r) => el("option", r)));
    select.options[0].value = "";
    select.value = results.includes(current) ? current : "";
  }

  function wireTable() {
    let timer = null;
    document.getElementById("filter").addEventListener("input", (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        state.filter = event.target.value.trim().toLowerCase();
        scroller.scrollTop = 0;
        renderTable(true);
      }, 80);
    });
    document.getElementById("result-filter").addEventListener("change", (event) => {
      state.resultFilter = event.target.value;
      scroller.scrollTop = 0;
      renderTable(true);
    });
    for (const th of document.querySelectorAll("#tasks-table th")) {
      th.querySelector("button").addEventListener("click", () => {
        if (state.sortKey === th.dataset.key) state.sortDir = -state.sortDir;
        else { state.sortKey = th.dataset.key; state.sortDir = th.dataset.key === "dur" ? -1 : 1; }
        renderTable(true);
      });
    }
    let pending = false;
    scroller.addEventListener("scroll", () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; drawRows(); });
    });
  }

  // --- rendering and the live loop ---------------------------------------------------------

  function renderStatus() {
    const status = document.getElementById("status");
    const parts = [];
    if (LIVE) {
      if (state.error) parts.push(`connection lost: ${state.error}`);
      else if (state.missing) parts.push(`waiting for ${config.source} to appear`);
      else parts.push(`live · updated ${new Date().toLocaleTimeString()}`);
    } else {
      parts.push(`report of ${config.source}`);
    }
    if (state.skipped) parts.push(`${state.skipped} unreadable line(s) skipped: run tasktiming validate`);
    status.textContent = parts.join(" · ");
    document.getElementById("footer").textContent =
      `pytest-tasktiming ${config.version} · ${LIVE ? "live dashboard" : "generated " + fmtTime(config.generated) + " UTC"}`;
  }

  function renderAll() {
    analyse();
    renderSummary();
    renderTimeline();
    renderHistogram();
    renderLists();
    fillResultFilter();
    renderTable(true);
    renderStatus();
    state.dirty = false;
  }

  // Running tasks grow without new rows: redraw what shows their elapsed time.
  function refreshElapsed() {
    renderSummary();
    renderTimeline();
    renderLists();
    renderStatus();
  }

  async function poll() {
    let more = false;
    try {
      const query = new URLSearchParams({
        offset: String(state.offset), notes: String(state.notesOffset),
      });
      if (state.generation !== null) query.set("gen", state.generation);
      if (state.notesGeneration !== null) query.set("ngen", state.notesGeneration);
      const response = await fetch("api/rows?" + query, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const payload = await response.json();
      if (payload.reset) { tasks.clear(); state.skipped = 0; state.dirty = true; }
      state.generation = payload.gen;
      state.offset = payload.offset;
      state.notesGeneration = payload.notes_gen;
      state.notesOffset = payload.notes_offset;
      state.missing = payload.missing;
      state.skipped += payload.skipped;
      state.clockSkew = payload.now - Date.now();
      state.error = payload.error;
      ingest(payload);
      more = payload.more;
    } catch (error) {
      state.error = error.message;
    }
    let wait = 0;
    if (!more) {
      const began = performance.now();
      if (state.dirty) renderAll();
      else if (state.all.some((t) => t.result === "started")) refreshElapsed();
      else renderStatus();
      document.documentElement.dataset.ready = "true";
      // A large file takes a while to draw: keep most of the time for the reader.
      wait = Math.max(config.pollMs, 3 * (performance.now() - began));
    }
    setTimeout(poll, wait);
  }

  wireTimeline();
  wireTable();
  ingest(JSON.parse(document.getElementById("tt-data").textContent));
  if (LIVE) {
    document.getElementById("live").hidden = false;
    poll();
  } else {
    renderAll();
    document.documentElement.dataset.ready = "true";
  }
})();

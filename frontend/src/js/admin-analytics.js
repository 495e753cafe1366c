// Admin analytics: uPlot charts of the figures per day, kept live by server-sent events
// (/api/admin/analytics/stream). Every number comes from the server; nothing is estimated here.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { pageData } from "./common.js";

const text = pageData("analytics-text");
const nf = new Intl.NumberFormat(document.documentElement.lang || "en");
const charts = {};
const COLORS = ["#1c1917", "#4f46e5", "#059669", "#b45309"];

const SERIES = {
  books: [["books_started", text.started], ["books_finished", text.finished]],
  words: [["words", text.words]],
  tokens: [["input_tokens", text.input], ["output_tokens", text.output]],
  cost: [["cost_usd", text.cost]],
};

function dataOf(report, kind) {
  const xs = report.days.map((d) => Date.parse(d.day + "T00:00:00Z") / 1000);
  return [xs, ...SERIES[kind].map(([key]) => report.days.map((d) => d[key]))];
}

function draw(report) {
  for (const box of document.querySelectorAll("[data-chart]")) {
    const kind = box.dataset.chart;
    const data = dataOf(report, kind);
    if (charts[kind]) {
      charts[kind].setData(data);
      continue;
    }
    const options = {
      width: Math.max(280, box.clientWidth), height: 220,
      scales: { x: { time: true } },
      axes: [{}, { size: 60 }],
      series: [{}, ...SERIES[kind].map(([, label], i) => ({
        label, stroke: COLORS[i], width: 2, points: { show: true, size: 5 },
      }))],
    };
    charts[kind] = new uPlot(options, data, box);
  }
}

function cell(row, value) {
  const td = document.createElement("td");
  td.textContent = value;
  row.appendChild(td);
}

function fill(id, rows, empty, columns) {
  const body = document.getElementById(id);
  if (!body) return;
  body.replaceChildren();
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = columns;
    td.textContent = empty;
    tr.appendChild(td);
    body.appendChild(tr);
    return;
  }
  for (const values of rows) {
    const tr = document.createElement("tr");
    values.forEach((v) => cell(tr, v));
    body.appendChild(tr);
  }
}

const fixed = (v, n) => (v === null || v === undefined ? "–" : Number(v).toFixed(n));

function update(report) {
  for (const node of document.querySelectorAll("[data-total]")) {
    const key = node.dataset.total;
    if (key === "p95") node.textContent = fixed(report.chunk_latency.p95, 1);
    else if (key === "cost_usd") node.textContent = fixed(report.totals.cost_usd, 2);
    else node.textContent = nf.format(report.totals[key]);
  }
  for (const node of document.querySelectorAll("[data-latency]")) {
    const key = node.dataset.latency;
    node.textContent = key === "count" ? nf.format(report.chunk_latency.count) : fixed(report.chunk_latency[key], 1);
  }
  const first = report.funnel.length ? report.funnel[0].users : 0;
  fill("funnel-body", report.funnel.map((s) => [text[s.step] || s.step, nf.format(s.users),
    first ? `${(s.users / first * 100).toFixed(1)} %` : "–"]), "", 3);
  fill("models-body", Object.entries(report.cost_by_model).map(([m, usd]) => [m, fixed(usd, 4),
    report.tokens_per_second[m] ?? "–"]), text.none, 3);
  const updated = document.getElementById("updated-at");
  if (updated) updated.textContent = report.until.slice(0, 19).replace("T", " ");
  draw(report);
}

function live(state) {
  const node = document.getElementById("live-state");
  if (!node) return;
  node.dataset.live = state;
  node.textContent = text[state] || state;
}

export function start() {
  draw(pageData("analytics-data"));
  const source = new EventSource(`/api/admin/analytics/stream?range=${encodeURIComponent(text.range)}`);
  source.addEventListener("analytics", (event) => {
    live("live");
    update(JSON.parse(event.data));
  });
  source.onerror = () => live("offline");
  window.addEventListener("resize", () => {
    for (const box of document.querySelectorAll("[data-chart]")) {
      const chart = charts[box.dataset.chart];
      if (chart) chart.setSize({ width: Math.max(280, box.clientWidth), height: 220 });
    }
  });
}

start();

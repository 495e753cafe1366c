// Live writing view: the text appears as it is written. The socket resumes after a drop with the
// last sequence number, and every finished part is replaced by its stored text, so what the page
// shows is exactly what was stored: no character lost or repeated.
import { api, el, format, pageData } from "./common.js";
import { BookSocket } from "./socket.js";

let t, book, nf, money, socket;
const chunks = new Map(); // index -> {chapter, status, target, words}
// index -> {attempt, end, whole}: where the text shown for a chunk in progress stands in its attempt.
// A delta continues it only with the same attempt and `at` === end; at 0 it starts the text again;
// else a piece was lost (the live stream was reset): the text is shown as a fragment until the
// chunk is done and its stored text replaces it.
// An older attempt's delta or chunk_restarted (a worker whose chunk was taken over, still writing)
// changes nothing: the newer attempt's text stays (application/books/streamed.py, the same rule).
// A chunk_started always starts a claim's text: a resumed book counts attempts from 1 again.
const streamed = new Map();
const GAP = "… ";

function superseded(index, event) {
  const pos = streamed.get(index);
  const attempt = event.attempt ?? null;
  return pos !== undefined && pos.attempt != null && attempt !== null && attempt < pos.attempt;
}

function length(text) { return Array.from(text).length; } // code points, as the server counts

function showDelta(index, event) {
  const target = node(index);
  const text = event.text || "";
  const pos = streamed.get(index);
  const attempt = event.attempt ?? null;
  if (event.at === undefined || event.at === null) { // a server that does not say where deltas go
    if (target) target.append(text);
    if (pos) pos.end += length(text);
  } else if (event.at === 0) {
    if (target) target.textContent = text;
    streamed.set(index, { attempt, end: length(text), whole: true });
  } else if (pos && pos.attempt === attempt && pos.end === event.at) {
    if (target) target.append(text);
    pos.end += length(text);
  } else {
    if (target) target.textContent = GAP + text;
    streamed.set(index, { attempt, end: event.at + length(text), whole: false });
  }
}
let status, startedAt = null, cost = 0;

function node(index) { return document.getElementById(`chunk-${index}`); }

function setStatus(value) {
  status = value;
  document.getElementById("book-status").textContent = t.status[value] || value;
  const show = (id, on) => document.getElementById(id).classList.toggle("hidden", !on);
  show("start", value === "approved");
  show("cancel", value === "writing" || value === "approved");
  show("resume", value === "failed" || value === "cancelled");
  show("read-link", value === "written");
  document.querySelectorAll(".regenerate").forEach((b) => { b.disabled = value === "writing"; });
  if (value === "writing" && startedAt === null) startedAt = Date.now();
  const message = document.getElementById("book-message");
  if (value === "written") message.replaceChildren(el("p", { class: "notice", text: t.written }));
  else if (value === "cancelled") message.replaceChildren(el("p", { class: "warning", text: t.cancelled }));
  else if (value !== "failed") message.replaceChildren();
}

function progress() {
  let done = 0, written = 0;
  const perChapter = new Map();
  for (const chunk of chunks.values()) {
    const entry = perChapter.get(chunk.chapter) || { done: 0, total: 0 };
    entry.total += 1;
    if (chunk.status === "done") { done += 1; written += chunk.words; entry.done += 1; }
    perChapter.set(chunk.chapter, entry);
  }
  const total = chunks.size;
  const bar = document.getElementById("book-progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  document.getElementById("words-label").textContent = format(t.words, { written: nf.format(written), target: nf.format(book.target_words) });
  document.getElementById("chunks-label").textContent = format(t.chunks, { done: nf.format(done), total: nf.format(total) });
  document.querySelectorAll(".chapter-progress").forEach((b) => {
    const entry = perChapter.get(Number(b.dataset.chapter)) || { done: 0, total: 1 };
    b.max = Math.max(entry.total, 1);
    b.value = entry.done;
  });
  document.getElementById("cost").textContent = format(t.cost, { cost: money.format(cost) });
  tick(done, total);
}

function clock(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

function tick(done, total) {
  if (startedAt === null) return;
  const elapsed = Date.now() - startedAt;
  document.getElementById("elapsed").textContent = format(t.elapsed, { time: clock(elapsed) });
  const estimate = document.getElementById("estimate");
  estimate.textContent = status === "writing" && done > 0 && total > done ? format(t.estimate, { time: clock((elapsed / done) * (total - done)) }) : "";
}

function waiting(on) {
  const box = document.getElementById("waiting");
  box.textContent = on ? t.waiting : "";
  box.classList.toggle("hidden", !on);
}

async function storedText(index) {
  const { data } = await api("GET", `/api/books/${book.id}/chunks?offset=${index}&limit=1`);
  const chunk = data.chunks[0];
  if (!chunk) return;
  const known = chunks.get(index);
  if (known) { known.status = chunk.status; known.words = chunk.actual_words; }
  if (chunk.status === "done") {
    node(index).textContent = chunk.text;
    markDone(index);
  }
  progress();
}

function markDone(index) {
  const box = node(index).parentElement;
  box.dataset.status = "done";
  box.querySelector(".regenerate")?.classList.remove("hidden");
}

function applyMeta(list) {
  for (const c of list) chunks.set(c.index, { chapter: c.chapter, status: c.status, target: c.target_words, words: c.actual_words });
}

function onSnapshot(snapshot) {
  applyMeta(snapshot.chunks);
  cost = cost || 0;
  setStatus(snapshot.book.status);
  for (const c of snapshot.chunks) {
    const target = node(c.index);
    if (!target) continue;
    const partial = snapshot.partial[String(c.index)];
    if (c.status === "done") {
      if (target.parentElement.dataset.status !== "done" || target.dataset.synced !== "1") {
        target.dataset.synced = "1";
        storedText(c.index);
      }
    } else {
      const pos = (snapshot.streamed || {})[String(c.index)];
      if (pos) streamed.set(c.index, { ...pos });
      else streamed.delete(c.index);
      target.textContent = partial !== undefined ? (pos && !pos.whole ? GAP : "") + partial : "";
      target.parentElement.dataset.status = c.status;
    }
  }
  if (snapshot.book.status === "failed" && snapshot.book.failure) failed(snapshot.book.failure);
  progress();
}

function failed(reason) {
  document.getElementById("book-message").replaceChildren(el("p", { class: "alert", role: "alert", text: format(t.failed, { reason }) }));
}

function onEvent(event) {
  const index = event.index;
  switch (event.type) {
    case "status":
      setStatus(event.status);
      if (event.status === "failed") failed(event.reason || "");
      if (event.status === "written") waiting(false);
      break;
    case "chunk_started":
    case "chunk_restarted":
      waiting(false);
      if (event.type === "chunk_restarted" && (chunks.get(index)?.status === "done" || superseded(index, event))) break;
      if (node(index)) { node(index).textContent = ""; node(index).parentElement.dataset.status = "writing"; node(index).dataset.synced = ""; }
      if (chunks.has(index)) chunks.get(index).status = "writing";
      streamed.set(index, { attempt: event.attempt ?? null, end: 0, whole: true });
      break;
    case "delta":
      waiting(false);
      if (chunks.get(index)?.status === "done") break; // its stored text is shown
      if (superseded(index, event)) break; // a taken-over worker still writing
      showDelta(index, event);
      break;
    case "chunk_done":
      streamed.delete(index);
      if (chunks.has(index)) { chunks.get(index).status = "done"; chunks.get(index).words = event.words || 0; }
      if (node(index)) { node(index).dataset.synced = "1"; storedText(index); }
      break;
    case "progress":
      break;
    case "usage":
      cost = event.cost_usd || 0;
      break;
    case "waiting":
      waiting(true);
      break;
    case "error":
      if (event.error && event.error.message) failed(event.error.message);
      break;
    default:
      break;
  }
  progress();
}

function connectionNotice(text, kind) {
  const area = document.getElementById("connection");
  area.replaceChildren(text ? el("p", { class: kind, text }) : "");
}

async function post(path, body) {
  try {
    await api("POST", path, body);
  } catch (error) {
    document.getElementById("book-message").replaceChildren(el("p", { class: "alert", role: "alert", text: format(t.error, { message: error.message }) }));
  }
}

export function start() {
  t = pageData("i18n-data");
  book = pageData("book-data");
  nf = new Intl.NumberFormat(book.lang);
  money = new Intl.NumberFormat(book.lang, { style: "currency", currency: "USD", maximumFractionDigits: 4 });
  setStatus(book.status);
  document.getElementById("start").addEventListener("click", () => post(`/api/books/${book.id}/write`, { lanes: 1 }));
  document.getElementById("resume").addEventListener("click", () => post(`/api/books/${book.id}/resume`, { lanes: 1 }));
  document.getElementById("cancel").addEventListener("click", () => { if (confirm(t.confirm_cancel)) post(`/api/books/${book.id}/cancel`); });
  document.querySelectorAll(".regenerate").forEach((b) => b.addEventListener("click", () => {
    const index = Number(b.dataset.index);
    node(index).textContent = t.regenerating;
    b.classList.add("hidden");
    post(`/api/books/${book.id}/chunks/${index}/regenerate`);
  }));
  let dropped = false;
  socket = new BookSocket(book.id, {
    onSnapshot, onEvent,
    onResumed: () => {},
    onOpen: (again) => { if (again && dropped) { connectionNotice(t.reconnected, "notice"); dropped = false; } },
    onDrop: () => { dropped = true; connectionNotice(t.reconnecting, "warning"); },
    onFatal: () => connectionNotice(t.fatal, "alert"),
  });
  window.bukoLive = socket; // lets a person (or a test) look at the connection
  socket.open();
  setInterval(() => progress(), 1000);
}

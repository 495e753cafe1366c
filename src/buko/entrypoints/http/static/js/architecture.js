// Architecture review and editor: titles, summaries, order (drag and drop with SortableJS, or the
// arrow buttons), budgets against the target, the bible; revise; approve. A draft survives a reload
// (localStorage); an edit made elsewhere meanwhile is shown beside yours, never overwritten.
import Sortable from "../vendor/sortable.esm.js";
import { api, el, format, pageData } from "./common.js";
import { BookSocket } from "./socket.js";

const TOLERANCE = 0.10;
let t, book, nf, state, sortables = [];

function clean(arch) {
  // Only the fields an edit may carry (the API refuses unknown ones).
  return {
    title: arch.title || "", subtitle: arch.subtitle || "", synopsis: arch.synopsis || "",
    audience: arch.audience || "", tone: arch.tone || "", language: arch.language || "en",
    style_guide: arch.style_guide || "",
    bible: {
      characters: [...((arch.bible || {}).characters || [])],
      key_terms: [...((arch.bible || {}).key_terms || [])],
      facts: [...((arch.bible || {}).facts || [])],
    },
    chapters: (arch.chapters || []).map((c) => ({
      title: c.title || "", summary: c.summary || "",
      sections: (c.sections || []).map((s) => ({ title: s.title || "", summary: s.summary || "", words: Number(s.words) || 0 })),
    })),
  };
}

const draftKey = () => `buko-draft-${book.id}`;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function saveDraft() {
  state.dirty = !same(state.arch, state.server);
  if (state.dirty) localStorage.setItem(draftKey(), JSON.stringify({ version: state.version, architecture: state.arch }));
  else localStorage.removeItem(draftKey());
  document.getElementById("save-state").textContent = state.dirty ? t.unsaved : "";
  updateTotal();
}

function announce(text) {
  const region = document.getElementById("live-region");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}

function words(arch) {
  return arch.chapters.reduce((sum, c) => sum + c.sections.reduce((s, x) => s + (Number(x.words) || 0), 0), 0);
}

function updateTotal() {
  const total = words(state.arch);
  const target = state.target;
  const diff = total - target;
  let where = t.on_target;
  if (Math.abs(diff) > target * TOLERANCE) where = diff > 0 ? format(t.over, { n: nf.format(diff) }) : format(t.under, { n: nf.format(-diff) });
  const node = document.getElementById("budget-total");
  node.textContent = `${format(t.total, { words: nf.format(total), target: nf.format(target) })} — ${where}`;
  node.classList.toggle("text-red-800", Math.abs(diff) > target * TOLERANCE);
}

function input(label, value, onInput, { multiline = false, type = "text", id, min } = {}) {
  const field = el(multiline ? "textarea" : "input", {
    class: `input ${multiline ? "min-h-16" : ""}`, id, type: multiline ? undefined : type, min,
    inputmode: type === "number" ? "numeric" : undefined,
  });
  field.value = value;
  field.addEventListener("input", () => { onInput(field.value); saveDraft(); });
  return el("div", { class: "field" }, el("label", { class: "label", for: id, text: label }), field);
}

function button(text, label, onClick, extra = "") {
  return el("button", { type: "button", class: `btn-secondary btn-small ${extra}`, "aria-label": label, text, onclick: onClick });
}

function move(list, from, to) {
  if (to < 0 || to >= list.length) return false;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
  return true;
}

function render(focusSelector) {
  sortables.forEach((s) => s.destroy());
  sortables = [];
  const form = document.getElementById("editor");
  form.replaceChildren();
  const a = state.arch;
  const head = el("div", { class: "card" },
    input(t.book_title, a.title, (v) => { a.title = v; }, { id: "arch-title" }),
    input(t.subtitle, a.subtitle, (v) => { a.subtitle = v; }, { id: "arch-subtitle" }),
    input(t.synopsis, a.synopsis, (v) => { a.synopsis = v; }, { id: "arch-synopsis", multiline: true }),
    input(t.style_guide, a.style_guide, (v) => { a.style_guide = v; }, { id: "arch-style", multiline: true }));
  const list = el("ol", { id: "chapters", class: "mt-6 grid gap-4", "aria-label": t.chapters_heading });
  a.chapters.forEach((chapter, i) => list.append(chapterItem(chapter, i)));
  const addChapter = el("button", { type: "button", class: "btn-secondary mt-4", id: "add-chapter", text: t.add_chapter, onclick: () => {
    a.chapters.push({ title: t.new_chapter, summary: "", sections: [{ title: t.new_section, summary: "", words: 500 }] });
    saveDraft(); render(`#chapter-${a.chapters.length - 1}-title`); announce(t.added);
  } });
  const bible = el("section", { class: "card mt-6", "aria-labelledby": "bible-heading" },
    el("h2", { id: "bible-heading", text: t.bible_heading }),
    el("p", { class: "hint mt-1", text: t.one_per_line }),
    ...["characters", "key_terms", "facts"].map((key) => input(t[key], a.bible[key].join("\n"), (v) => {
      a.bible[key] = v.split("\n").map((x) => x.trim()).filter(Boolean);
    }, { id: `bible-${key}`, multiline: true })));
  form.append(head, el("h2", { class: "mt-8", text: t.chapters_heading }), list, addChapter, bible);
  sortables.push(Sortable.create(list, {
    handle: ".chapter-handle", animation: 120, forceFallback: true, fallbackTolerance: 3, draggable: ".chapter-item",
    onEnd: (event) => {
      if (event.oldIndex === event.newIndex) return;
      move(a.chapters, event.oldIndex, event.newIndex);
      saveDraft(); render(); announce(format(t.moved, { n: event.newIndex + 1 }));
    },
  }));
  form.querySelectorAll(".sections").forEach((sectionList) => {
    const c = Number(sectionList.dataset.chapter);
    sortables.push(Sortable.create(sectionList, {
      handle: ".section-handle", animation: 120, forceFallback: true, fallbackTolerance: 3, draggable: ".section-item",
      onEnd: (event) => {
        if (event.oldIndex === event.newIndex) return;
        move(a.chapters[c].sections, event.oldIndex, event.newIndex);
        saveDraft(); render();
      },
    }));
  });
  updateTotal();
  if (focusSelector) document.querySelector(focusSelector)?.focus();
}

function chapterItem(chapter, i) {
  const n = i + 1;
  const a = state.arch;
  const controls = el("div", { class: "flex flex-wrap gap-1" },
    button("↑", format(t.move_up, { n }), () => { if (move(a.chapters, i, i - 1)) { saveDraft(); render(`#chapter-${i - 1}-up`); announce(format(t.moved, { n: i })); } }, i === 0 ? "invisible" : ""),
    button("↓", format(t.move_down, { n }), () => { if (move(a.chapters, i, i + 1)) { saveDraft(); render(`#chapter-${i + 1}-down`); announce(format(t.moved, { n: i + 2 })); } }, i === a.chapters.length - 1 ? "invisible" : ""),
    button("✕", format(t.remove_chapter, { n }), () => { a.chapters.splice(i, 1); saveDraft(); render("#add-chapter"); announce(t.removed); }));
  controls.children[0].id = `chapter-${i}-up`;
  controls.children[1].id = `chapter-${i}-down`;
  const sections = el("ol", { class: "sections mt-2 grid gap-3", "data-chapter": i });
  chapter.sections.forEach((section, j) => sections.append(sectionItem(chapter, i, section, j)));
  return el("li", { class: "chapter-item card", "data-index": i },
    el("div", { class: "flex flex-wrap items-center justify-between gap-2" },
      el("div", { class: "flex items-center gap-2" },
        el("span", { class: "drag-handle chapter-handle", title: format(t.drag, { n }), "aria-hidden": "true", text: "⠿" }),
        el("h3", { text: format(t.chapter, { n }) })),
      controls),
    input(format(t.chapter_title, { n }), chapter.title, (v) => { chapter.title = v; }, { id: `chapter-${i}-title` }),
    input(format(t.chapter_summary, { n }), chapter.summary, (v) => { chapter.summary = v; }, { id: `chapter-${i}-summary`, multiline: true }),
    sections,
    el("button", { type: "button", class: "btn-secondary btn-small mt-3", text: t.add_section, onclick: () => {
      chapter.sections.push({ title: t.new_section, summary: "", words: 300 });
      saveDraft(); render(`#section-${i}-${chapter.sections.length - 1}-title`); announce(t.added);
    } }));
}

function sectionItem(chapter, i, section, j) {
  const c = i + 1, n = j + 1;
  return el("li", { class: "section-item rounded-md border border-stone-200 bg-stone-50 p-3" },
    el("div", { class: "flex flex-wrap items-center justify-between gap-2" },
      el("div", { class: "flex items-center gap-2" },
        el("span", { class: "drag-handle section-handle", title: format(t.drag_section, { c, n }), "aria-hidden": "true", text: "⠿" }),
        el("h4", { class: "font-semibold", text: format(t.section, { n: `${c}.${n}` }) })),
      el("div", { class: "flex gap-1" },
        button("↑", format(t.section_up, { c, n }), () => { if (move(chapter.sections, j, j - 1)) { saveDraft(); render(); } }, j === 0 ? "invisible" : ""),
        button("↓", format(t.section_down, { c, n }), () => { if (move(chapter.sections, j, j + 1)) { saveDraft(); render(); } }, j === chapter.sections.length - 1 ? "invisible" : ""),
        button("✕", format(t.remove_section, { c, n }), () => { chapter.sections.splice(j, 1); saveDraft(); render(); announce(t.removed); }))),
    el("div", { class: "grid gap-x-3 sm:grid-cols-[1fr_8rem]" },
      input(format(t.section_title, { c, n }), section.title, (v) => { section.title = v; }, { id: `section-${i}-${j}-title` }),
      input(format(t.section_words, { c, n }), String(section.words), (v) => { section.words = parseInt(v, 10) || 0; }, { id: `section-${i}-${j}-words`, type: "number", min: 1 })),
    input(format(t.section_summary, { c, n }), section.summary, (v) => { section.summary = v; }, { id: `section-${i}-${j}-summary`, multiline: true }));
}

function statusMessage(text, kind = "notice", extra) {
  const area = document.getElementById("status-area");
  area.replaceChildren();
  if (text) area.append(el("div", { class: kind, role: kind === "alert" ? "alert" : undefined }, el("p", { text }), extra));
}

function showProblems(problems) {
  statusMessage(t.invalid, "alert", el("ul", { class: "mt-2 list-disc pl-6" }, ...problems.map((p) => el("li", { text: p }))));
}

function showConflict(theirs) {
  const area = document.getElementById("conflict-area");
  const outline = (arch) => el("ol", { class: "mt-2 list-decimal pl-6 text-sm" }, ...arch.chapters.map((c) => el("li", { text: `${c.title} (${nf.format(c.sections.reduce((s, x) => s + x.words, 0))} ${t.words_unit})` })));
  area.replaceChildren(el("section", { class: "warning mt-4", role: "alert", id: "conflict" },
    el("p", { class: "font-semibold", text: t.conflict }),
    el("div", { class: "mt-3 grid gap-4 sm:grid-cols-2" },
      el("div", {}, el("h3", { text: t.yours }), el("p", { class: "text-sm font-semibold", text: state.arch.title }), outline(state.arch)),
      el("div", {}, el("h3", { text: t.theirs }), el("p", { class: "text-sm font-semibold", text: theirs.architecture.title }), outline(theirs.architecture))),
    el("div", { class: "mt-3 flex flex-wrap gap-2" },
      el("button", { type: "button", class: "btn-primary", id: "keep-mine", text: t.keep_mine, onclick: () => {
        state.version = theirs.version; state.server = theirs.architecture; area.replaceChildren(); save();
      } }),
      el("button", { type: "button", class: "btn-secondary", id: "use-theirs", text: t.use_theirs, onclick: () => {
        state.version = theirs.version; state.server = theirs.architecture; state.arch = clean(theirs.architecture);
        area.replaceChildren(); saveDraft(); render();
      } }))));
  area.querySelector("#conflict").scrollIntoView({ block: "center" });
}

async function save() {
  const saveState = document.getElementById("save-state");
  saveState.textContent = t.saving;
  try {
    const { data } = await api("PUT", `/api/books/${book.id}/architecture`, { version: state.version, architecture: state.arch });
    state.version = data.version;
    state.server = clean(data.architecture);
    state.arch = clean(data.architecture);
    saveDraft();
    saveState.textContent = t.saved;
    statusMessage("");
    return true;
  } catch (error) {
    saveState.textContent = "";
    const details = (error.body && error.body.error && error.body.error.details) || {};
    if (error.status === 409 && details.current && details.current.architecture) {
      showConflict({ version: details.current.version, architecture: clean(details.current.architecture) });
    } else if (error.status === 422 && details.problems) {
      showProblems(details.problems.map((p) => (typeof p === "string" ? p : `${p.field}: ${p.message}`)));
    } else {
      statusMessage(format(t.error, { message: error.message }), "alert");
    }
    return false;
  }
}

async function approve() {
  const approveButton = document.getElementById("approve");
  approveButton.disabled = true;
  approveButton.textContent = t.approving;
  if (state.dirty && !(await save())) { approveButton.disabled = false; return; }
  try {
    await api("POST", `/api/books/${book.id}/approve`);
    await api("POST", `/api/books/${book.id}/write`, { lanes: 1 });
    localStorage.removeItem(draftKey());
    location.assign(`/books/${book.id}/write`);
  } catch (error) {
    approveButton.disabled = false;
    const details = (error.body && error.body.error && error.body.error.details) || {};
    if (details.problems) showProblems(details.problems);
    else statusMessage(format(t.error, { message: error.message }), "alert");
  }
}

async function revise() {
  const notes = document.getElementById("revise-notes").value.trim();
  if (!notes) { document.getElementById("revise-notes").focus(); return; }
  try {
    await api("POST", `/api/books/${book.id}/revise`, { notes });
    localStorage.removeItem(draftKey());
    book.status = "planning";
    showPlanning();
    statusMessage(t.revising, "notice", el("progress", { class: "bar mt-3", "aria-label": t.planning }));
    watchPlanning();
  } catch (error) {
    statusMessage(format(t.error, { message: error.message }), "alert");
  }
}

function showPlanning() {
  document.getElementById("editor").classList.add("hidden");
  document.getElementById("actions").classList.add("hidden");
  state.planningSteps = 0;
  const progress = el("progress", { class: "bar mt-3", id: "planning-progress", "aria-label": t.planning });
  statusMessage(t.planning, "notice", progress);
}

async function load() {
  const { data } = await api("GET", `/api/books/${book.id}/architecture`);
  if (!data.architecture) { showPlanning(); return; }
  state.version = data.version;
  state.target = data.target_words;
  state.server = clean(data.architecture);
  state.arch = clean(data.architecture);
  const stored = localStorage.getItem(draftKey());
  if (stored) {
    const draft = JSON.parse(stored);
    if (draft.version === state.version && !same(draft.architecture, state.server)) {
      state.arch = clean(draft.architecture);
      statusMessage(t.restored);
    } else if (draft.version !== state.version && !same(draft.architecture, state.server)) {
      state.arch = clean(draft.architecture);
      showConflict({ version: state.version, architecture: state.server });
      state.version = draft.version;
    } else {
      localStorage.removeItem(draftKey());
    }
  }
  const editable = book.status === "planned";
  document.getElementById("editor").classList.remove("hidden");
  document.getElementById("actions").classList.toggle("hidden", !editable);
  if (!editable) statusMessage(t.read_only);
  render();
  if (!editable) document.querySelectorAll("#editor input, #editor textarea, #editor button").forEach((x) => { x.disabled = true; });
  saveDraft();
}

export function start() {
  t = pageData("i18n-data");
  book = pageData("book-data");
  nf = new Intl.NumberFormat(book.lang);
  state = { version: 0, target: book.target_words, arch: null, server: null, dirty: false };
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("approve").addEventListener("click", approve);
  document.getElementById("revise").addEventListener("click", revise);
  load();
  if (book.status === "planning" || book.status === "draft") watchPlanning();
}

function watchPlanning() {
  {
    const socket = new BookSocket(book.id, {
      onEvent: (event) => {
        if (event.type === "planning") {
          state.planningSteps += 1;
          const area = document.querySelector("#status-area p");
          if (area) area.textContent = format(t.planning_step, { n: state.planningSteps });
        } else if (event.type === "status" && event.status === "planned") {
          book.status = "planned"; socket.close(); statusMessage(""); load();
        } else if (event.type === "status" && event.status === "failed") {
          socket.close();
          statusMessage(format(t.failed, { reason: event.reason || "" }), "alert",
            el("button", { type: "button", class: "btn-primary mt-2", text: t.try_again, onclick: async () => {
              await api("POST", `/api/books/${book.id}/plan`); location.reload();
            } }));
        }
      },
      onSnapshot: (snapshot) => {
        if (snapshot.book.status === "planned" && book.status !== "planned") { book.status = "planned"; socket.close(); statusMessage(""); load(); }
      },
    });
    socket.open();
  }
}

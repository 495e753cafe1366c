// Downloads: ask for the file; while it renders (202 + Retry-After) its button says "Preparing…" (and is
// aria-busy), then the file downloads. Every file has its own state: a click on one while another renders
// starts that one too (the server renders them side by side), a second click on a file already being
// prepared changes nothing, and a file that cannot be prepared says so by name.
// The printer's files carry their options in the link: the interior `?bleed=`, the cover `?paper=`.
import { csrf } from "./common.js";

const ATTEMPTS = 150; // answers "still rendering" or "too many requests" before the page gives up
const LONGEST_WAIT = { 202: 5, 429: 60 }; // seconds: at most this long between tries, whatever Retry-After says

async function fetchFile(href) {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const response = await fetch(href, { credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } });
    // 202: still rendering. 429: the polls of several files at once went over the export rate limit.
    if (response.status === 202 || response.status === 429) {
      const wait = Number(response.headers.get("Retry-After")) || 2;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, LONGEST_WAIT[response.status]) * 1000));
      continue;
    }
    if (!response.ok) throw new Error(String(response.status));
    return response;
  }
  throw new Error("timeout");
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function exportsPanel() {
  return {
    preparing: {}, // format → true while its file renders
    failed: {}, // format → true when its last try failed
    exports: "",
    bleed: false,
    paper: "",
    init() {
      this.exports = this.$el.dataset.exports || "";
      this.paper = this.$el.dataset.paper || "white";
    },
    get interiorHref() { return `${this.exports}/pdf-print?bleed=${this.bleed ? "true" : "false"}`; },
    get coverHref() { return `${this.exports}/cover-pdf?paper=${encodeURIComponent(this.paper)}`; },
    async download(event) {
      const link = event.currentTarget;
      const fmt = link.dataset.format;
      if (this.preparing[fmt]) return; // on its way already, and its button says so
      const href = link.href; // the options as they were when it was clicked
      this.preparing = { ...this.preparing, [fmt]: true };
      this.failed = { ...this.failed, [fmt]: false };
      try {
        const response = await fetchFile(href);
        const blob = await response.blob();
        const name = (response.headers.get("Content-Disposition") || "").match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
        save(blob, name ? decodeURIComponent(name[1]) : `book.${link.dataset.extension || fmt}`);
      } catch {
        this.failed = { ...this.failed, [fmt]: true };
      } finally {
        this.preparing = { ...this.preparing, [fmt]: false };
      }
    },
    isBusy(fmt) { return Boolean(this.preparing[fmt]); },
    hasFailed(fmt) { return Boolean(this.failed[fmt]); },
  };
}

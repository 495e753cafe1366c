// Downloads: ask for the file; while it renders (202 + Retry-After) show "preparing…", then download it.
// The printer's files carry their options in the link: the interior `?bleed=`, the cover `?paper=`.
import { csrf } from "./common.js";

export function exportsPanel() {
  return {
    busy: "",
    failed: "",
    exports: "",
    bleed: false,
    paper: "white",
    init() {
      this.exports = this.$el.dataset.exports || "";
    },
    get interiorHref() { return `${this.exports}/pdf-print?bleed=${this.bleed ? "true" : "false"}`; },
    get coverHref() { return `${this.exports}/cover-pdf?paper=${encodeURIComponent(this.paper)}`; },
    async download(event) {
      const link = event.currentTarget;
      const fmt = link.dataset.format;
      if (this.busy) return;
      this.busy = fmt;
      this.failed = "";
      try {
        for (let attempt = 0; attempt < 150; attempt++) {
          const response = await fetch(link.href, { credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } });
          if (response.status === 202) {
            const wait = Number(response.headers.get("Retry-After")) || 2;
            await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5) * 1000));
            continue;
          }
          if (!response.ok) throw new Error(String(response.status));
          const blob = await response.blob();
          const name = (response.headers.get("Content-Disposition") || "").match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
          const url = URL.createObjectURL(blob);
          const a = document.createElement("a");
          a.href = url;
          a.download = name ? decodeURIComponent(name[1]) : `book.${link.dataset.extension || fmt}`;
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10000);
          return;
        }
        throw new Error("timeout");
      } catch {
        this.failed = fmt;
      } finally {
        this.busy = "";
      }
    },
    isBusy(fmt) { return this.busy === fmt; },
  };
}

// New book wizard: the length in words or pages, and what one means in the other.
import { format } from "./common.js";

export function wizard() {
  return {
    length: "",
    unit: "words",
    perPage: 250,
    init() {
      this.perPage = Number(this.$el.dataset.wordsPerPage) || 250;
      const input = this.$el.querySelector("#f-length");
      const unit = this.$el.querySelector('select[name="length_unit"]');
      this.length = input ? input.value : "";
      this.unit = unit ? unit.value : "words";
    },
    get summary() {
      const amount = parseInt(String(this.length).replace(/[^\d]/g, ""), 10);
      if (!amount) return "";
      const hint = document.querySelector("[data-words-label]");
      const lang = document.documentElement.lang;
      const n = new Intl.NumberFormat(lang);
      if (this.unit === "pages") return format(hint.dataset.pagesLabel, { n: n.format(amount * this.perPage) });
      return format(hint.dataset.wordsLabel, { n: n.format(Math.max(1, Math.round(amount / this.perPage))) });
    },
  };
}

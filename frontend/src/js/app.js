// Buko's pages: Alpine.js (CSP build: components are registered here, templates name them) and page modules.
import Alpine from "../vendor/alpine-csp.esm.js";
import { wizard } from "./wizard.js";
import { tokenCopy } from "./tokens.js";
import { exportsPanel } from "./exports.js";
import { coverEditor } from "./cover.js";

Alpine.data("wizard", wizard);
Alpine.data("tokenCopy", tokenCopy);
Alpine.data("exportsPanel", exportsPanel);
Alpine.data("coverEditor", coverEditor);
window.Alpine = Alpine;
Alpine.start();

const page = document.body.dataset.page;
if (page === "architecture") import("./architecture.js").then((m) => m.start());
if (page === "live") import("./live.js").then((m) => m.start());
if (page === "billing-return") import("./billing-return.js").then((m) => m.start());

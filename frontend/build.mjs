// Builds Buko's web assets into src/buko/entrypoints/http/static (run by scripts/setup: npm ci && npm run build).
// Tailwind compiles src/app.css against the templates; vendor files are copied from the pinned npm packages.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "buko", "entrypoints", "http", "static");
const modules = join(here, "node_modules");

const vendor = [
  ["@alpinejs/csp", "dist/module.esm.min.js", "alpine-csp.esm.js", "LICENSE.md"],
  ["sortablejs", "modular/sortable.core.esm.js", "sortable.esm.js", "LICENSE"],
  ["three", "build/three.module.min.js", "three/three.module.min.js", "LICENSE"],
  ["three", "build/three.core.min.js", "three/three.core.min.js", "LICENSE"],
  ["uplot", "dist/uPlot.esm.js", "uplot/uPlot.esm.js", "LICENSE"],
  ["uplot", "dist/uPlot.min.css", "uplot/uPlot.min.css", "LICENSE"],
];

rmSync(join(out, "vendor"), { recursive: true, force: true });
rmSync(join(out, "js"), { recursive: true, force: true });
mkdirSync(join(out, "vendor", "three"), { recursive: true });
mkdirSync(join(out, "vendor", "uplot"), { recursive: true });
mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "vendor", "LICENSES"), { recursive: true });

const versions = [];
for (const [pkg, file, target, licence] of vendor) {
  cpSync(join(modules, pkg, file), join(out, "vendor", target));
  const meta = JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8"));
  versions.push(`${target}\t${pkg}@${meta.version}\t${meta.license}`);
  try {
    cpSync(join(modules, pkg, licence), join(out, "vendor", "LICENSES", `${pkg.replace("/", "-")}.txt`));
  } catch {
    writeFileSync(join(out, "vendor", "LICENSES", `${pkg.replace("/", "-")}.txt`), `${pkg}: ${meta.license} licence\n`);
  }
}
writeFileSync(join(out, "vendor", "VERSIONS.txt"),
  "# file\tpackage@version\tlicence (built by frontend/build.mjs from frontend/package-lock.json)\n" + [...new Set(versions)].join("\n") + "\n");

cpSync(join(here, "src", "js"), join(out, "js"), { recursive: true });
cpSync(join(here, "src", "favicon.svg"), join(out, "favicon.svg"));

execFileSync(process.execPath, [join(modules, "@tailwindcss", "cli", "dist", "index.mjs"),
  "-i", join(here, "src", "app.css"), "-o", join(out, "css", "app.css"), "--minify"], { stdio: "inherit", cwd: here });
console.log(`assets built into ${out}`);

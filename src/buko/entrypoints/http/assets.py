"""Versioned URLs of the static files: `/static/js/app.js?v=<the first 12 hex digits of its SHA-256>`.

The digests are computed once, when the app is made, so a file changed by a deploy gets a new URL (a
browser cannot keep the old one) and an unchanged file keeps its URL (and the browser's copy).

Templates name their files with `asset('js/app.js')`. The module scripts also load each other by relative
paths (`import { exportsPanel } from "./exports.js"`, `import("./live.js")`) that no template writes: an
import map at the top of every page sends each of those to its versioned URL too. The map is the pages'
only inline script; the Content-Security-Policy allows it by its hash (`csp_source`), nothing else inline.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

DIGITS = 12  # of the SHA-256 in hex: 48 bits, plenty to tell two versions of one file apart


class StaticAssets:
    def __init__(self, folder: Path | str, url_path: str = "/static"):
        folder = Path(folder)
        self.url_path = url_path.rstrip("/")
        self.versions = {path.relative_to(folder).as_posix(): _digest(path)
                         for path in sorted(folder.rglob("*")) if path.is_file()}
        imports = {f"{self.url_path}/{name}": self.url(name) for name in self.versions if name.endswith(".js")}
        self.import_map = script_json({"imports": imports}, separators=(",", ":"))
        digest = base64.b64encode(hashlib.sha256(self.import_map.encode()).digest()).decode()
        self.csp_source = f"'sha256-{digest}'"

    def url(self, name: str) -> str:
        """The versioned URL of `name` (a path under the static folder, such as `js/app.js`)."""
        version = self.versions.get(name)
        if version is None:  # a typo in a template: loud in every test that renders it, not a broken page
            raise LookupError(f"no static file {name!r}: the templates name files under entrypoints/http/static")
        return f"{self.url_path}/{name}?v={version}"


def script_json(value, **dumps) -> str:
    """JSON to write inside a page's `<script>`: `<`, `>` and `&` escaped, so it can never close its element."""
    return json.dumps(value, **dumps).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:DIGITS]

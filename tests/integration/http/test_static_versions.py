"""Every static file a page loads carries its content's version (`?v=` + the start of its SHA-256), so a
browser fetches a file again once a deploy changes it: the files the templates name (stylesheets, scripts,
the icon) and, through the import map at the top of each page, the modules the scripts import themselves
(`./exports.js` from app.js). The import map is the pages' only inline script and the CSP allows it by hash."""
from __future__ import annotations

import base64
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

from buko.application.commands import MakeAdmin
from tests.integration.http.client import BRIEF, wait_status

STATIC = Path(__file__).resolve().parents[3] / "src" / "buko" / "entrypoints" / "http" / "static"
HTML = {"Accept": "text/html"}


class Page(HTMLParser):
    """The URLs a page loads (script src, link href, img src) and its inline scripts (type, text)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[tuple[str, str]] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            else:
                self._script = attrs.get("type") or ""
                self.inline.append((self._script, ""))
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag in ("img", "source") and (attrs.get("src") or "").startswith("/static/"):
            self.urls.append(attrs["src"])

    def handle_data(self, data):
        if self._script is not None:
            kind, text = self.inline[-1]
            self.inline[-1] = (kind, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


async def test_every_static_url_of_the_pages_carries_its_files_version(api, app):
    client, csrf, user = await api.register()
    await app.app.extensions["buko_container"].use_cases.account_admin().make_admin(MakeAdmin(user["email"]))
    created = await client.post("/api/books", json=BRIEF, headers={"X-CSRF-Token": csrf})
    book_id = (await created.get_json())["id"]
    await wait_status(client, book_id, {"planned"}, {})
    visitor = api.client()
    pages = [(visitor, path) for path in ("/", "/login", "/register", "/pricing", "/no-such-page")]
    pages += [(client, path) for path in (
        "/books", "/books/new", f"/books/{book_id}/architecture", f"/books/{book_id}/write",
        f"/books/{book_id}/read", f"/books/{book_id}/cover", "/account", "/account/billing",
        "/admin/users", "/admin/analytics")]
    scripts = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js"))
    expected_map = {f"/static/{name}": f"/static/{name}?v={version(name)}" for name in scripts}
    loaded: set[str] = set()
    for who, path in pages:
        response = await who.get(path, headers=HTML)
        text = await response.get_data(as_text=True)
        assert response.status_code == (404 if path == "/no-such-page" else 200), (path, text[:500])
        page = parsed(text)
        assert page.urls, path
        for url in page.urls:
            if not url.startswith("/static/"):
                continue
            name, _, query = url.removeprefix("/static/").partition("?")
            assert query == f"v={version(name)}", f"{path}: {url} does not carry its file's version"
            loaded.add(url)
        # the import map comes first (before any module script) and versions every script the others import
        kinds = [kind for kind, _ in page.inline]
        assert kinds.count("importmap") == 1 and set(kinds) <= {"importmap", "application/json"}, (path, kinds)
        import_map = next(text for kind, text in page.inline if kind == "importmap")
        assert json.loads(import_map) == {"imports": expected_map}, path
        assert text.index('<script type="importmap">') < text.index('<script type="module"'), path
        # ...allowed by its hash, and by nothing looser
        policy = response.headers["Content-Security-Policy"]
        digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
        assert f"script-src 'self' 'sha256-{digest}';" in policy, (path, policy)
        assert "unsafe-inline" not in policy
    assert {"/static/css/app.css", "/static/js/app.js", "/static/favicon.svg", "/static/js/admin-analytics.js",
            "/static/vendor/uplot/uPlot.min.css"} <= {url.partition("?")[0] for url in loaded}
    for url in sorted(loaded | set(expected_map.values())):  # and every versioned URL is served
        served = await visitor.get(url)
        assert served.status_code == 200, url
        assert await served.get_data() == (STATIC / url.removeprefix("/static/").partition("?")[0]).read_bytes()

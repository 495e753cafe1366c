"""Versioned static URLs: a file's version follows its content (not its modification time), is read once
when the app is made, and the import map names every script with the same versioned URL."""
from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest

from buko.entrypoints.http.assets import StaticAssets


def _folder(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text('import { x } from "./exports.js";\n')
    (tmp_path / "js" / "exports.js").write_text("export const x = 1;\n")
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body{}\n")
    return tmp_path


def test_a_url_carries_the_start_of_the_files_sha256(tmp_path):
    assets = StaticAssets(_folder(tmp_path))
    digest = hashlib.sha256(b"export const x = 1;\n").hexdigest()[:12]
    assert assets.url("js/exports.js") == f"/static/js/exports.js?v={digest}"
    assert assets.url("css/app.css").startswith("/static/css/app.css?v=")


def test_the_version_changes_with_the_content_only(tmp_path):
    folder = _folder(tmp_path)
    before = StaticAssets(folder)
    os.utime(folder / "js" / "exports.js", (0, 0))  # touched, same content: same URL
    assert StaticAssets(folder).url("js/exports.js") == before.url("js/exports.js")
    (folder / "js" / "exports.js").write_text("export const x = 2;\n")
    assert before.url("js/exports.js") == before.url("js/exports.js")  # read once, when made
    after = StaticAssets(folder)
    assert after.url("js/exports.js") != before.url("js/exports.js")
    assert after.url("js/app.js") == before.url("js/app.js")  # the other files keep their URLs (and caches)


def test_the_import_map_versions_every_script_and_its_hash_is_the_csp_source(tmp_path):
    assets = StaticAssets(_folder(tmp_path), "/static/")
    assert json.loads(assets.import_map) == {"imports": {
        "/static/js/app.js": assets.url("js/app.js"), "/static/js/exports.js": assets.url("js/exports.js")}}
    digest = base64.b64encode(hashlib.sha256(assets.import_map.encode()).digest()).decode()
    assert assets.csp_source == f"'sha256-{digest}'"


def test_a_file_that_is_not_there_is_an_error_not_a_broken_link(tmp_path):
    with pytest.raises(LookupError, match="js/missing.js"):
        StaticAssets(_folder(tmp_path)).url("js/missing.js")

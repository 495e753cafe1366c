"""API docs (Swagger UI) served with Buko's own copy of its assets: no CDN."""
from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from quart import Blueprint, render_template_string, send_from_directory
from werkzeug.exceptions import NotFound

from buko.entrypoints.http.auth import public

bp = Blueprint("docs", __name__)
ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
ALLOWED = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}
INIT = Path(__file__).with_name("docs_init.js")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Buko API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>"""


@bp.get("/docs")
@public
async def docs():
    """The API's interactive documentation."""
    return await render_template_string(PAGE)


@bp.get("/docs/init.js")
@public
async def docs_init():
    return await send_from_directory(INIT.parent, INIT.name, mimetype="text/javascript")


@bp.get("/docs/assets/<name>")
@public
async def docs_asset(name: str):
    if name not in ALLOWED:
        raise NotFound()
    return await send_from_directory(ASSETS, name)

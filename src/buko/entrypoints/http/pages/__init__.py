"""The author's web pages: server-rendered Jinja templates over the same use cases as the API.

`register_pages(app)` adds the blueprints, the translated error page browsers get, and (with
BUKO_DEMO=1 or `buko serve --demo`) the demo account seeded at start-up.
"""
from __future__ import annotations

from quart import Quart

from buko.entrypoints.http.pages import account, admin, admin_billing, admin_dashboard, billing, books, public
from buko.entrypoints.http.pages.errors import error_page


def register_pages(app: Quart) -> None:
    for blueprint in (public.bp, books.bp, account.bp, billing.bp, admin.bp, admin_dashboard.bp, admin_billing.bp):
        app.register_blueprint(blueprint)
    app.extensions["buko_error_page"] = error_page
    from buko.entrypoints.http.pages import demo

    demo.register(app)

"""Who may do what, generated from the app's own route list: a new route is covered by itself."""
from __future__ import annotations

import json
import re

from tests.integration.http.client import BRIEF, bearer, wait_status

# The only API routes anyone may call without credentials.
PUBLIC = ("/api/auth/register", "/api/auth/login", "/api/auth/verify-email", "/api/billing/plans", "/api/webhooks/")
ARG = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def api_routes(app) -> list[tuple[str, str]]:
    """Every (method, rule) of the API, with its view function."""
    found = []
    app = getattr(app, "app", app)  # the Quart app behind a TestApp
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, app.view_functions[rule.endpoint]))
    return found


def fill(rule: str, values: dict) -> str:
    rule = re.sub(r"<any\([^)]*\):fmt>", "pdf", rule)
    return ARG.sub(lambda match: values.get(match.group(1), "x"), rule)


async def call(client, method: str, path: str, headers: dict):
    return await client.open(path, method=method, json={} if method in ("POST", "PUT", "PATCH") else None,
                             headers=headers)


async def test_another_author_gets_404_for_every_book_route_and_the_socket(api):
    owner, owner_csrf, owner_user = await api.register()
    owner_auth = bearer(await api.token_for(owner, owner_csrf))
    book_id = (await (await owner.post("/api/books", json=BRIEF, headers=owner_auth)).get_json())["id"]
    await wait_status(owner, book_id, {"planned"}, owner_auth)
    other, other_csrf, _ = await api.register()
    other_auth = bearer(await api.token_for(other, other_csrf))

    checked = 0
    for method, rule, _view in api_routes(api.app):
        if "<book_id>" not in rule or rule.startswith("/api/admin/"):
            continue
        path = fill(rule, {"book_id": book_id, "index": "0"})
        response = await call(other, method, path, other_auth)
        body = await response.get_json()
        assert response.status_code == 404, (method, path, body)
        assert body["error"]["code"] == "not_found" and book_id in body["error"]["message"]
        missing = await call(other, method, fill(rule, {"book_id": "0" * 32, "index": "0"}), other_auth)
        assert (await missing.get_json())["error"]["message"].replace("0" * 32, book_id) == body["error"]["message"]
        checked += 1
    assert checked >= 14

    async with other.websocket(f"/ws/books/{book_id}", headers=other_auth) as ws:
        refused = json.loads(await ws.receive())
    assert refused["type"] == "error" and refused["error"]["code"] == "not_found"

    # The owner still has the book, untouched by all of that.
    mine = await (await owner.get(f"/api/books/{book_id}", headers=owner_auth)).get_json()
    assert mine["status"] == "planned"


async def test_admin_routes_refuse_authors_and_everything_refuses_strangers(api):
    author, csrf, author_user = await api.register()
    auth = bearer(await api.token_for(author, csrf))
    stranger = api.client()
    admin_routes = public_routes = 0
    for method, rule, view in api_routes(api.app):
        path = fill(rule, {"book_id": "b" * 32, "index": "0", "user_id": author_user["id"], "token_id": "t"})
        if getattr(view, "buko_public", False):
            assert rule.startswith(PUBLIC), f"{rule} is public: add it to PUBLIC only if it must be"
            public_routes += 1
            continue
        anonymous = await call(stranger, method, path, {})
        assert anonymous.status_code == 401, (method, path)
        assert (await anonymous.get_json())["error"]["code"] == "unauthenticated"
        if rule.startswith("/api/admin/"):
            refused = await call(author, method, path, auth)
            assert refused.status_code == 403, (method, path)
            assert (await refused.get_json())["error"]["code"] == "forbidden"
            admin_routes += 1
    assert admin_routes >= 6 and public_routes >= 2

    async with stranger.websocket("/ws/books/whatever") as ws:
        refused = json.loads(await ws.receive())
    assert refused["error"]["code"] == "unauthenticated"


async def test_an_admin_can_reach_other_authors_books_and_run_the_admin_routes(api, app):
    author, csrf, author_user = await api.register()
    author_auth = bearer(await api.token_for(author, csrf))
    book_id = (await (await author.post("/api/books", json=BRIEF, headers=author_auth)).get_json())["id"]
    admin, admin_csrf, admin_user = await api.register()
    container = getattr(app, "app", app).extensions["buko_container"]
    from buko.application.commands import MakeAdmin

    await container.use_cases.account_admin().make_admin(MakeAdmin(admin_user["email"]))
    admin_auth = bearer(await api.token_for(admin, admin_csrf))
    seen = await admin.get(f"/api/books/{book_id}", headers=admin_auth)
    assert seen.status_code == 200
    users = await (await admin.get(f"/api/admin/users?q={author_user['email']}", headers=admin_auth)).get_json()
    assert [u["id"] for u in users["users"]] == [author_user["id"]]
    books = await (await admin.get("/api/admin/books", headers=admin_auth)).get_json()
    assert book_id in [b["id"] for b in books["books"]] and books["books"][0]["owner_id"] == author_user["id"]
    queues = await (await admin.get("/api/admin/queues", headers=admin_auth)).get_json()
    assert {q["queue"] for q in queues["queues"]} == {"architecture_high", "book_generation_normal", "emails_low"}
    plan = await admin.post(f"/api/admin/users/{author_user['id']}/plan", json={"plan": "pro"}, headers=admin_auth)
    assert plan.status_code == 200
    me = await (await author.get("/api/auth/me", headers=author_auth)).get_json()
    assert me["plan"]["plan"] == "pro"


"""CSRF, rate limits, sizes, error shapes, suspension: the API's defences, each answered in JSON."""
from __future__ import annotations

import json

from buko.application.commands import MakeAdmin
from tests.integration.http.client import BRIEF, PASSWORD, bearer


async def test_a_cookie_session_needs_its_csrf_token_for_changes_but_a_bearer_token_does_not(api):
    client, csrf, _ = await api.register()
    refused = await client.post("/api/books", json=BRIEF)
    assert refused.status_code == 403
    assert (await refused.get_json())["error"]["code"] == "forbidden"
    wrong = await client.post("/api/books", json=BRIEF, headers={"X-CSRF-Token": "not-it"})
    assert wrong.status_code == 403
    listed = await (await client.get("/api/books")).get_json()
    assert listed["total"] == 0  # nothing was created by the refused requests
    accepted = await client.post("/api/books", json=BRIEF, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201
    token = await api.token_for(client, csrf)
    scripted = api.client()  # no cookies at all: the token alone
    with_token = await scripted.post("/api/books", json=BRIEF, headers=bearer(token))
    assert with_token.status_code in (201, 402)  # created, or refused by the free plan's quota: not by CSRF
    assert (await with_token.get_json()).get("error", {}).get("code") != "forbidden"


async def test_the_eleventh_failed_login_in_a_minute_from_one_ip_is_rate_limited(api):
    client = api.client()
    for attempt in range(10):
        failed = await client.post("/api/auth/login", json={"email": f"nobody{attempt}@example.com",
                                                            "password": "wrong password"})
        assert failed.status_code == 401
        body = await failed.get_json()
        assert body["error"] == {"code": "unauthenticated", "message": "email or password is not correct",
                                 "details": {}}
    limited = await client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert (await limited.get_json())["error"]["code"] == "rate_limited"


async def test_login_never_says_whether_an_email_exists(api):
    _, _, user = await api.register()
    client = api.client()
    known = await client.post("/api/auth/login", json={"email": user["email"], "password": "wrong password"})
    unknown = await client.post("/api/auth/login", json={"email": "ghost@example.com", "password": "wrong password"})
    assert known.status_code == unknown.status_code == 401
    assert await known.get_json() == await unknown.get_json()
    good = await client.post("/api/auth/login", json={"email": user["email"].upper(), "password": PASSWORD})
    assert good.status_code == 200 and "buko_session" in good.headers.get("Set-Cookie", "")
    assert "HttpOnly" in good.headers["Set-Cookie"] and "SameSite=Lax" in good.headers["Set-Cookie"]


async def test_bad_input_answers_4xx_json_and_never_500(api):
    client, csrf, _ = await api.register()
    auth = bearer(await api.token_for(client, csrf))
    cases = [
        ("POST", "/api/books", {"idea": "short"}, 422, "invalid_request"),
        ("POST", "/api/books", {**BRIEF, "target_words": 10}, 422, "invalid_request"),
        ("POST", "/api/books", {**BRIEF, "surprise": 1}, 422, "invalid_request"),
        ("POST", "/api/books", {**BRIEF, "target_words": 3000, "chapters": 60}, 422, "invalid_brief"),
        ("POST", "/api/books", {**BRIEF, "target_words": 100000}, 402, "quota_exceeded"),
        ("GET", "/api/books?limit=0", None, 422, "invalid_request"),
        ("GET", "/api/books?limit=abc", None, 422, "invalid_request"),
        ("GET", "/api/nothing-here", None, 404, "not_found"),
        ("DELETE", "/api/books", None, 405, "method_not_allowed"),
        ("POST", "/api/auth/register", {"email": "x@example.com", "password": "short", "name": "X"}, 422,
         "weak_password"),
        ("POST", "/api/auth/register", {"email": "not-an-email", "password": PASSWORD, "name": "X"}, 422,
         "invalid_user"),
    ]
    for method, path, body, status, code in cases:
        response = await client.open(path, method=method, json=body, headers=auth)
        answer = await response.get_json()
        assert response.status_code == status, (path, body, answer)
        assert answer["error"]["code"] == code, (path, body, answer)
        assert set(answer["error"]) == {"code", "message", "details"}
    broken = await client.post("/api/books", data=b"{not json", headers={**auth, "Content-Type": "application/json"})
    assert broken.status_code in (400, 422) and "error" in await broken.get_json()
    huge = await client.post("/api/books", data=b"x" * (2 * 1024 * 1024),
                             headers={**auth, "Content-Type": "application/json"})
    assert huge.status_code == 413
    assert (await huge.get_json())["error"]["code"] == "request_entity_too_large"


async def test_a_suspended_account_is_refused_everywhere_and_its_socket_closes(api, app):
    client, csrf, user = await api.register()
    token = await api.token_for(client, csrf)
    book = await (await client.post("/api/books", json=BRIEF, headers=bearer(token))).get_json()
    admin, admin_csrf, admin_user = await api.register()
    container = app.app.extensions["buko_container"]
    await container.use_cases.account_admin().make_admin(MakeAdmin(admin_user["email"]))
    async with client.websocket(f"/ws/books/{book['id']}", headers=bearer(token)) as ws:
        assert json.loads(await ws.receive())["type"] == "snapshot"
        suspended = await admin.post(f"/api/admin/users/{user['id']}/suspend", json={"suspended": True},
                                     headers={"X-CSRF-Token": admin_csrf})
        assert suspended.status_code == 200 and (await suspended.get_json())["suspended"] is True
        while True:
            event = json.loads(await ws.receive())
            if event["type"] == "error":
                break
    assert event["error"]["code"] == "account_suspended"
    for headers in (bearer(token), {}):
        refused = await client.get("/api/books", headers=headers)
        assert refused.status_code in (401, 403)
    login = await api.client().post("/api/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert login.status_code == 403 and "suspended" in (await login.get_json())["error"]["message"]


async def test_health_and_readiness(api):
    client = api.client()
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert (await ready.get_json())["checks"]["database"] == "ok"


async def test_the_openapi_document_and_docs_need_no_cdn(api):
    client = api.client()
    spec = await (await client.get("/openapi.json")).get_json()
    assert {"/api/books/{book_id}/export/{fmt}", "/api/books/{book_id}/chunks/{index}/regenerate"} <= set(spec["paths"])
    assert all(path.startswith(("/api/", "/healthz", "/readyz")) for path in spec["paths"])
    page = await (await client.get("/docs")).get_data(as_text=True)
    assert "http" not in page.replace("http-equiv", "")  # every asset is Buko's own
    assert (await client.get("/docs/assets/swagger-ui-bundle.js")).status_code == 200

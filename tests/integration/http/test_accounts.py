"""Accounts over HTTP: tokens shown once and revocable, password changes end other sessions,
logout, profile and language."""
from __future__ import annotations

import asyncio
import json

from buko.bootstrap import build_container
from buko.entrypoints.http.app import create_app
from tests.integration.http.client import PASSWORD, ApiClient, bearer
from tests.integration.http.conftest import embedded_settings


async def test_a_token_works_until_it_is_revoked_and_its_secret_is_never_shown_again(api):
    client, csrf, _ = await api.register()
    made = await (await client.post("/api/tokens", json={"name": "laptop"}, headers={"X-CSRF-Token": csrf})).get_json()
    assert made["token"].startswith("buko_") and made["name"] == "laptop"
    listed = await (await client.get("/api/tokens")).get_json()
    assert [t["id"] for t in listed["tokens"]] == [made["id"]] and "token" not in listed["tokens"][0]
    script = api.client()
    assert (await script.get("/api/auth/me", headers=bearer(made["token"]))).status_code == 200
    revoked = await client.delete(f"/api/tokens/{made['id']}", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200
    refused = await script.get("/api/auth/me", headers=bearer(made["token"]))
    assert refused.status_code == 401 and "revoked" in (await refused.get_json())["error"]["message"]
    assert (await script.get("/api/auth/me", headers=bearer("buko_made-up"))).status_code == 401
    assert (await script.get("/api/auth/me", headers={"Authorization": "Basic abc"})).status_code == 401


async def test_changing_the_password_ends_every_other_session(api):
    first, csrf, user = await api.register()
    second = api.client()
    login = await second.post("/api/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert login.status_code == 200
    wrong = await first.post("/api/auth/password", json={"current_password": "not it at all",
                                                         "new_password": "a brand new secret"},
                             headers={"X-CSRF-Token": csrf})
    assert wrong.status_code == 403
    changed = await first.post("/api/auth/password", json={"current_password": PASSWORD,
                                                           "new_password": "a brand new secret"},
                               headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200
    new_csrf = (await changed.get_json())["csrf_token"]
    assert (await first.get("/api/auth/me")).status_code == 200  # this browser got a new session
    assert (await second.get("/api/auth/me")).status_code == 401  # the other one is out
    old = await api.client().post("/api/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert old.status_code == 401
    out = await first.post("/api/auth/logout", headers={"X-CSRF-Token": new_csrf})
    assert out.status_code == 200
    assert (await first.get("/api/auth/me")).status_code == 401


async def test_profile_and_language(api):
    client, csrf, user = await api.register(locale="es")
    assert user["locale"] == "es"
    changed = await client.patch("/api/auth/me", json={"name": "Ana María", "locale": "en"},
                                 headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200
    me = await (await client.get("/api/auth/me")).get_json()
    assert me["user"]["name"] == "Ana María" and me["user"]["locale"] == "en"
    assert me["plan"]["plan"] == "free" and me["plan"]["books_left"] == 1
    taken = await api.client().post("/api/auth/register", json={"email": user["email"], "password": PASSWORD,
                                                                "name": "Copy"})
    assert taken.status_code == 409 and (await taken.get_json())["error"]["code"] == "email_taken"


async def test_a_socket_that_never_answers_pings_is_closed_and_one_that_does_stays(tmp_path):
    app = create_app(build_container(embedded_settings(tmp_path, ws_ping_interval=0.2, ws_ping_timeout=0.3)))
    async with app.test_app() as running:
        api = ApiClient(running)
        client, csrf, _ = await api.register()
        auth = bearer(await api.token_for(client, csrf))
        book_id = (await (await client.post("/api/books", json={"idea": "A practical guide to urban beekeeping",
                                                                 "target_words": 3000, "chapters": 3},
                                             headers=auth)).get_json())["id"]
        async with client.websocket(f"/ws/books/{book_id}", headers=auth) as silent, \
                client.websocket(f"/ws/books/{book_id}", headers=auth) as polite:
            assert json.loads(await silent.receive())["type"] == "snapshot"
            assert json.loads(await polite.receive())["type"] == "snapshot"

            async def answer_pings() -> int:
                pongs = 0
                while pongs < 8:  # well past the silent socket's deadline
                    event = json.loads(await polite.receive())
                    assert event["type"] != "error", event
                    if event["type"] == "ping":
                        await polite.send(json.dumps({"type": "pong"}))
                        pongs += 1
                return pongs

            answering = asyncio.create_task(answer_pings())
            async with asyncio.timeout(10):
                while True:
                    event = json.loads(await silent.receive())
                    if event["type"] == "error":
                        break
                assert await answering == 8
        assert event["error"]["code"] == "ping_timeout"

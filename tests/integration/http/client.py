"""A small API client over Quart's test client: sessions, CSRF, tokens, waiting for a status."""
from __future__ import annotations

import asyncio
import itertools
import json

from buko.entrypoints.http.auth import SESSION_COOKIE

BRIEF = {"idea": "A practical guide to urban beekeeping on small balconies", "target_words": 3000, "chapters": 3}
PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


class ApiClient:
    def __init__(self, app):
        self.app = app

    def client(self):
        return self.app.test_client()

    async def register(self, client=None, email: str | None = None, locale: str = "en"):
        """A new author logged in on `client` (a fresh one by default); returns (client, csrf, user)."""
        client = client or self.client()
        email = email or f"author{next(_numbers)}@example.com"
        response = await client.post("/api/auth/register", json={"email": email, "password": PASSWORD,
                                                                  "name": "Ana Autora", "locale": locale})
        assert response.status_code == 201, await response.get_data(as_text=True)
        body = await response.get_json()
        return client, body["csrf_token"], body["user"]

    async def token_for(self, client, csrf: str, name: str = "script") -> str:
        response = await client.post("/api/tokens", json={"name": name}, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 201, await response.get_data(as_text=True)
        return (await response.get_json())["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def wait_status(client, book_id: str, wanted: set[str], headers: dict, timeout: float = 60) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(f"/api/books/{book_id}", headers=headers)
            body = await response.get_json()
            if body["status"] in wanted:
                return body
            await asyncio.sleep(0.05)


async def ws_events(ws, until, timeout: float = 60) -> list[dict]:
    """Receive JSON frames until `until(event)` is true (answering pings); returns them all."""
    received = []
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await ws.receive())
            if event.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            received.append(event)
            if until(event):
                return received


__all__ = ["SESSION_COOKIE"]

"""Helpers for the billing tests: the web app on the test's database, an author logged in over the API."""
from __future__ import annotations

import asyncio
import uuid

from buko.bootstrap import build_container
from buko.config import Settings
from buko.entrypoints.http.app import create_app


def billing_settings(database_url: str, data_dir, **extra) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir, anthropic_api_key=None, redis_url="",
                    fast_password_hashing=True, secret_key="test-secret", public_base_url="http://buko.test",
                    rate_limit_register="1000/minute", **extra)


class Author:
    def __init__(self, client, csrf: str, user_id: str):
        self.client, self.csrf, self.user_id = client, csrf, user_id

    async def get(self, path: str):
        return await self.client.get(path)

    async def post(self, path: str, json=None):
        return await self.client.post(path, json=json or {}, headers={"X-CSRF-Token": self.csrf})


async def register(client, locale: str = "en") -> Author:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    reply = await client.post("/api/auth/register", json={"email": email, "password": "correct horse battery",
                                                          "name": "Ana", "locale": locale})
    assert reply.status_code == 201, await reply.get_data(as_text=True)
    body = await reply.get_json()
    return Author(client, body["csrf_token"], body["user"]["id"])


async def eventually(check, timeout: float = 10.0):
    """Poll an async check until it returns something truthy (queued tasks run in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def app_for(settings: Settings):
    container = build_container(settings)
    return container, create_app(container)

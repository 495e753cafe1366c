"""The web app on the embedded defaults (SQLite in a temporary folder, in-process queues and live
events, the offline writer), driven through Quart's test client with `app.test_app()` so that
start-up (migrations, brokers, the live hub) and shut-down run as in `buko serve`."""
from __future__ import annotations

import pytest

from buko.bootstrap import build_container
from buko.config import Settings
from buko.entrypoints.http.app import create_app
from tests.integration.http.client import ApiClient


def embedded_settings(tmp_path, **extra) -> Settings:
    values = dict(data_dir=tmp_path / "data", database_url="", redis_url="", anthropic_api_key=None,
                  offline_words_per_second=0, fast_password_hashing=True, chunk_words=600)
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return embedded_settings(tmp_path)


@pytest.fixture
async def app(settings):
    quart_app = create_app(build_container(settings))
    async with quart_app.test_app() as running:
        yield running


@pytest.fixture
def api(app) -> ApiClient:
    return ApiClient(app)

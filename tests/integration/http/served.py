"""A real `buko serve` in a child process on a free loopback port (embedded defaults, generous limits)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[dict, list[str]]:
    """The JSON answer and its Set-Cookie headers."""
    request = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read()), answer.headers.get_all("Set-Cookie") or []


def start_server(tmp_path) -> tuple[subprocess.Popen, str, Path]:
    """`buko serve` up and answering /healthz: its process, base URL and log file."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "BUKO_", "DATABASE_", "REDIS_"))}
    env.update(BUKO_DATA_DIR=str(tmp_path / "data"), BUKO_FAST_PASSWORD_HASHING="1", BUKO_OFFLINE_WPS="0",
               BUKO_RATE_LIMIT_WORK="100000/minute", BUKO_RATE_LIMIT_EXPORT="100000/minute",
               BUKO_RATE_LIMIT_LOGIN="100000/minute", BUKO_RATE_LIMIT_REGISTER="100000/minute")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "buko.entrypoints.cli", "serve", "--port", str(port)],
                                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return proc, base, log_path
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("buko serve did not come up:\n" + log_path.read_text()) from None
            time.sleep(0.2)


@pytest.fixture
def server(tmp_path):
    proc, base, log_path = start_server(tmp_path)
    yield base, log_path
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def register_with_token(base: str, email: str) -> str:
    """A new author's API token."""
    body, cookies = call(base, "/api/auth/register", {"email": email, "password": "correct horse battery",
                                                      "name": "Served"})
    token, _ = call(base, "/api/tokens", {"name": "test"},
                    {"Cookie": cookies[0].split(";")[0], "X-CSRF-Token": body["csrf_token"]})
    return token["token"]

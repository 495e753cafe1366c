"""schemathesis against a running `buko serve` (authenticated with an API token): no operation may
answer a 5xx, whatever it is sent. Bounded: a few examples per operation, two workers."""
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
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


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


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "BUKO_", "DATABASE_", "REDIS_"))}
    env.update(BUKO_DATA_DIR=str(tmp_path / "data"), BUKO_FAST_PASSWORD_HASHING="1", BUKO_OFFLINE_WPS="0",
               BUKO_RATE_LIMIT_WORK="100000/minute", BUKO_RATE_LIMIT_EXPORT="100000/minute",
               BUKO_RATE_LIMIT_LOGIN="100000/minute", BUKO_RATE_LIMIT_REGISTER="100000/minute")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "buko.entrypoints.cli", "serve", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "buko serve did not come up"
            time.sleep(0.2)
    yield base, tmp_path / "serve.log"
    proc.terminate()
    proc.wait(15)
    log.close()


@pytest.mark.slow
def test_no_operation_answers_a_server_error(server, tmp_path):
    base, log = server
    body, headers = call(base, "/api/auth/register",
                         {"email": "fuzz@example.com", "password": "correct horse battery", "name": "Fuzz"})
    cookie = headers[0].split(";")[0]
    token, _ = call(base, "/api/tokens", {"name": "schemathesis"},
                    {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]})
    auth = {"Authorization": f"Bearer {token['token']}"}
    book, _ = call(base, "/api/books", {"idea": "A practical guide to urban beekeeping", "target_words": 3000,
                                        "chapters": 3}, auth)
    report = tmp_path / "report.json"
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{base}/openapi.json", "-H", f"Authorization: Bearer {token['token']}",
         "--checks", "not_a_server_error", "--max-examples", "10", "--workers", "2", "--seed", "20261127",
         "--phases", "examples,coverage,fuzzing", "--exclude-path", "/api/tokens/{token_id}",
         "--report", "json", "--report-json-path", str(report), "--request-timeout", "30"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    summary = run.stdout[-3000:]
    print(summary)
    assert run.returncode == 0, summary + "\n--- server log ---\n" + log.read_text()[-5000:]
    assert "Traceback" not in log.read_text()
    assert book["id"] and "Tested:" in run.stdout

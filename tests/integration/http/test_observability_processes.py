"""On PostgreSQL and Redis: `buko serve --workers 2` and a `buko worker` process share a metrics folder,
so any web worker's /metrics counts what every process did; their JSON log lines share the ids."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import ROOT, WorkerProcess, env_for, redis_prefix, unused_port  # noqa: F401
from tests.support.prom import value

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
BRIEF = {"idea": "A practical guide to urban beekeeping on small balconies", "target_words": 1800, "chapters": 2}


def call(base: str, method: str, path: str, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_metrics_add_up_across_web_and_worker_processes_and_logs_follow_the_book(postgresql_url, redis_prefix,
                                                                                 tmp_path):
    log_file = tmp_path / "logs" / "structured.jsonl"
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data", BUKO_OFFLINE_WPS=3000, BUKO_CHUNK_WORDS=600,
                  BUKO_FAST_PASSWORD_HASHING=1, BUKO_METRICS_DIR=tmp_path / "metrics", BUKO_LOG_FILE=log_file,
                  BUKO_RATE_LIMIT_EXPORT="100000/minute")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    port = unused_port()
    serve_log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "buko.entrypoints.cli", "serve", "--port", str(port),
                               "--workers", "2"], env=env, cwd=ROOT, stdout=serve_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        worker.wait_ready()
        wait(lambda: server.poll() is None and call(base, "GET", "/healthz")[0] == 200 if _up(base) else None,
             90, "buko serve")
        status, body, _ = call(base, "POST", "/api/auth/register",
                               {"email": "ops@example.com", "password": "correct horse battery", "name": "Ops"})
        assert status == 201, body
        registered = json.loads(body)
        cookie = None
        status, body, headers = call(base, "POST", "/api/auth/login",
                                     {"email": "ops@example.com", "password": "correct horse battery"})
        cookie = headers.get("Set-Cookie").split(";")[0]
        csrf = json.loads(body)["csrf_token"]
        status, body, _ = call(base, "POST", "/api/tokens", {"name": "ops"}, {"Cookie": cookie, "X-CSRF-Token": csrf})
        auth = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        status, body, headers = call(base, "POST", "/api/books", BRIEF, {**auth, "X-Request-ID": "journey-1"})
        assert status == 201 and headers["X-Request-ID"] == "journey-1"
        book_id = json.loads(body)["id"]
        book = lambda: json.loads(call(base, "GET", f"/api/books/{book_id}", headers=auth)[1])  # noqa: E731
        wait(lambda: book()["status"] == "planned", 90, "the plan")
        assert call(base, "POST", f"/api/books/{book_id}/approve", headers=auth)[0] < 300
        assert call(base, "POST", f"/api/books/{book_id}/write", {"lanes": 2}, auth)[0] == 202
        written = wait(lambda: (b := book())["status"] == "written" and b, 180, "the book")
        chunks = len(written["chunks"])
        pdf = wait(lambda: (r := call(base, "GET", f"/api/books/{book_id}/export/pdf", headers=auth))[0] == 200
                   and r[1], 120, "the PDF")
        assert pdf.startswith(b"%PDF")

        def totals_seen():
            text = call(base, "GET", "/metrics")[1].decode()
            return (value(text, "buko_http_requests_total", method="POST", route="/api/books", status="201"),
                    value(text, "buko_tasks_total", task="plan_book", outcome="ok"),
                    value(text, "buko_tasks_total", task="write_chunk", outcome="ok"),
                    value(text, "buko_model_calls_total", kind="chunk", outcome="ok"),
                    value(text, "buko_export_duration_seconds_count", format="pdf", outcome="ok"),
                    value(text, "buko_books", status="written"),
                    value(text, "buko_queue_live_workers", queue="book_generation_normal"))

        # Eight scrapes land on both web workers: each sees every process's samples added up.
        seen = {totals_seen() for _ in range(8)}
        assert seen == {(1, 1, chunks, chunks, 1, 1, 1)}, seen
        assert call(base, "GET", "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})[0] == 200  # not trusted

        lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
        journey = [line for line in lines if line.get("request_id") == "journey-1"]
        web = [line for line in journey if line.get("logger") == "buko.http" and line.get("book_id") == book_id]
        assert web and web[0]["status"] == 201
        plan = [line for line in journey if line.get("task") == "plan_book"]
        assert {"task taken", "model call", "task finished"} <= {line["event"] for line in plan}
        assert all(line["book_id"] == book_id for line in plan)
        chunk_calls = [line for line in lines if line.get("book_id") == book_id and line["event"] == "model call"
                       and line.get("kind") == "chunk"]
        assert len(chunk_calls) == chunks and all(line.get("task_id") for line in chunk_calls)
        assert '"event": "task taken"' in worker.output()  # JSON on the worker's stdout too
        assert registered["user"]["email"] == "ops@example.com"
    finally:
        server.terminate()
        server.wait(20)
        serve_log.close()
        worker.stop()
        worker.ensure_stopped()


def _up(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/healthz", timeout=2)
        return True
    except OSError:
        return False

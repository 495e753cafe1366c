"""schemathesis against a running `buko serve` (authenticated with an API token): no operation may
answer a 5xx, whatever it is sent. Bounded: a few examples per operation, two workers."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.http.served import call, server  # noqa: F401  (fixture)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


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

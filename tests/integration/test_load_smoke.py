"""CI-sized load run: `scripts/load smoke` starts the whole stack (model stub, `buko serve --workers 2`, a
worker for every queue, this machine's PostgreSQL and Redis), runs Locust headless with authors,
readers, writers and an admin for ~20 s, and then checks that no request failed and that every book
whose writing started was written. Locust runs as its own process: it is never imported here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCUST = Path(sys.executable).with_name("locust")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_smoke_load_has_no_errors_and_every_book_completes(tmp_path):
    assert LOCUST.exists(), "the load extra is not installed: pip install -e '.[load]' (scripts/setup does)"
    out = tmp_path / "smoke"
    done = subprocess.run([str(ROOT / "scripts/load"), "--out", str(out), "smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=420)
    assert (out / "summary.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    figures, books = summary["figures"], summary["books"]
    assert figures["errors_whole_run"] == 0, figures["error_examples"]
    assert figures["http"]["count"] > 20  # the users really ran
    kinds = {name for name in figures["by_name"]}
    assert {"/api/books", "/api/books [create]", "/api/books/{id}/write"} <= kinds, kinds
    assert figures["ws"].get("delta gap", {}).get("count", 0) > 0  # readers and writers saw live text
    assert books["written"] >= 3 and books["failed"] == 0, books  # the seeded books and the journeys' books
    assert books["writing"] == 0 and books["planning"] == 0, books  # every started book completed
    assert (out / "locust" / "locust.html").exists() and (out / "locust" / "locust_stats.csv").exists()
    assert done.returncode == 0, done.stdout[-3000:]

"""`buko write` with REDIS_URL: the book is written by `buko worker` processes, or the CLI says none runs."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.private_redis import private_redis  # noqa: F401  (fixture)
from tests.integration.infra import (  # noqa: F401  (fixture)
    IDEA,
    ROOT,
    WorkerProcess,
    env_for,
    redis_prefix,
    unused_port,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def write(env: dict, out) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "buko.entrypoints.cli", "write", IDEA, "--chapters", "2", "--words", "1500",
         "--formats", "docx", "--out", str(out), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_write_enqueues_and_follows_while_a_worker_writes(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data")
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        cli = write(env, tmp_path / "out")
        output, _ = cli.communicate(timeout=120)
    finally:
        worker.ensure_stopped()
    assert cli.returncode == 0, output + worker.output()
    assert "Queue book_generation_normal: handled by `buko worker` processes" in output
    assert "words written of 1500 planned" in output
    assert "Executing task buko.write_chunk" in worker.output()
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1


def test_write_says_so_when_no_worker_consumes_the_queue(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    cli = write(env_for(postgresql_url, redis_prefix, tmp_path / "data"), tmp_path / "out")
    lines, deadline = [], time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = cli.stdout.readline()
            lines.append(line)
            if "planning with" in line or not line:
                break
        cli.send_signal(signal.SIGINT)
        rest, _ = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    output = "".join(lines) + rest
    assert "No worker consumes the queue architecture_high" in output
    assert "buko worker --queue architecture_high" in output
    assert cli.returncode == 130, output


def test_a_worker_that_cannot_reach_redis_says_so(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data")
    env["REDIS_URL"] = f"redis://127.0.0.1:{unused_port()}/0"
    env["BUKO_WORKER_START_WAIT_SECONDS"] = "2"  # a Redis that is restarting would be waited for this long
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "buko.entrypoints.cli", "worker", "--queue", "emails_low"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "buko worker: waiting for the services" in result.stderr
    assert "buko worker: cannot start" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started > 1.5


def test_a_worker_started_while_redis_restarts_waits_for_it(postgresql_url, private_redis, redis_prefix,  # noqa: F811
                                                             tmp_path):
    """A replacement worker started as Redis restarts (the chaos test's case) does not give up."""
    private_redis.stop()
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data", REDIS_URL=private_redis.url)
    worker = WorkerProcess(env, tmp_path / "worker.log", queue="book_generation_normal", concurrency=1)
    try:
        deadline = time.monotonic() + 60
        while "waiting for the services" not in worker.output():
            assert worker.proc.poll() is None, worker.output()
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.1)
        private_redis.start()
        worker.wait_ready(60)
        code, _ = worker.stop()
        assert code == 0, worker.output()
    finally:
        worker.ensure_stopped()

"""A redis-server of the test's own, on a free port, that the test may stop, restart empty or kill.

The machine's shared Redis is never touched: tests that take Redis away use this one.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis as sync_redis


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """redis-server without persistence: a restart comes back empty, as after losing its data."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:  # never skipped: CI installs Redis (scripts/services)
            raise RuntimeError("redis-server is not installed")
        self.binary, self.workdir, self.port = binary, workdir, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / f"redis-{self.restarts}.log").open("wb")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                client = sync_redis.Redis.from_url(self.url, socket_timeout=1)
                client.ping()
                client.close()
                return
            except sync_redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def restart_empty(self, down_for: float = 0.0) -> None:
        """Kill it (no save) and start it again on the same port: every key, stream and group is gone."""
        self.stop()
        time.sleep(down_for)
        self.restarts += 1
        self.start()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""`buko doctor` against the machine's PostgreSQL and Redis, and against a Redis port where nothing listens."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import env_for, redis_prefix, unused_port  # noqa: F401  (fixture)
from tests.support.anthropic_stub import AnthropicStub

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def doctor(env: dict, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "buko.entrypoints.cli", "doctor"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_doctor_passes_against_the_machines_services(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    result = doctor(env_for(postgresql_url, redis_prefix, tmp_path / "data"), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "data" / "verification_results.json").read_text())
    assert report["ok"] is True
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == {"database", "redis", "queue architecture_high", "queue book_generation_normal",
                           "queue emails_low", "claude", "exports", "disk"}
    assert checks["exports"]["status"] == "ok" and checks["exports"]["data"]["serif_file"]
    # No worker runs in this test: an unconsumed queue is a warning, never "ok".
    assert {checks[f"queue {q}"]["status"] for q in ("architecture_high", "book_generation_normal")} == {"warn"}
    assert "no live worker" in checks["queue emails_low"]["detail"]
    assert checks["database"]["data"]["max_connections"] > 0
    assert checks["redis"]["data"]["maxclients"] > 0
    assert checks["queue book_generation_normal"]["data"]["waiting"] == 0
    assert "offline demo writer" in checks["claude"]["detail"]
    assert "All checks passed" in result.stdout


def test_doctor_fails_clearly_when_redis_does_not_answer(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data")
    env["REDIS_URL"] = f"redis://127.0.0.1:{unused_port()}/0"
    result = doctor(env, tmp_path)
    assert result.returncode == 1
    assert "cannot reach Redis" in result.stdout
    assert "check(s) failed" in result.stdout
    report = json.loads((tmp_path / "data" / "verification_results.json").read_text())
    assert report["ok"] is False
    assert {c["name"]: c["status"] for c in report["checks"]}["redis"] == "fail"


async def test_doctor_pings_claude_only_when_asked(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    async with AnthropicStub() as stub:
        env = env_for(postgresql_url, redis_prefix, tmp_path / "data")
        env.update(ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=stub.base_url)
        for extra in ([], ["--ping"]):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "buko.entrypoints.cli", "doctor", *extra, cwd=tmp_path, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            output = (await asyncio.wait_for(proc.communicate(), 60))[0].decode()
            assert proc.returncode == 0, output
            claude = {c["name"]: c for c in json.loads((tmp_path / "data" / "verification_results.json").read_text())["checks"]}
            assert claude["claude"]["status"] == "ok"
            assert ("ping answered" in claude["claude"]["detail"]) == bool(extra)
        assert len(stub.requests) == 1


async def test_doctor_names_the_url_it_tried_when_claude_is_unreachable(postgresql_url, redis_prefix,  # noqa: F811
                                                                        tmp_path):
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data")
    url = f"http://127.0.0.1:{unused_port()}"
    env.update(ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "buko.entrypoints.cli", "doctor", "--ping", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output = (await asyncio.wait_for(proc.communicate(), 90))[0].decode()
    assert proc.returncode == 1, output
    claude = {c["name"]: c for c in json.loads((tmp_path / "data" / "verification_results.json").read_text())["checks"]}["claude"]
    assert claude["status"] == "fail" and claude["data"]["tried_url"].rstrip("/") == url
    assert url in claude["detail"]

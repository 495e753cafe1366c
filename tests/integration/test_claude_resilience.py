"""The circuit breaker and the client-side limiter, through the real SDK against the stub."""
from __future__ import annotations

import asyncio
import os
import time
import uuid

import pytest
from purgatory import AsyncCircuitBreakerFactory, AsyncRedisUnitOfWork

from buko.adapters.llm.claude import ClaudeLanguageModel
from buko.adapters.llm.claude.limiter import ClientLimiter
from buko.adapters.llm.claude.resilience import Resilience, is_transient
from buko.application.ports import ModelUnavailable
from buko.config import Settings
from tests.integration.test_claude_book import BRIEF, assert_complete_without_repeats, settings_for, write_whole_book
from tests.integration.test_claude_length import chunk_request
from tests.support.anthropic_stub import AnthropicStub, Fault
from tests.support.claude_replies import architecture_reply

pytestmark = pytest.mark.asyncio
TTL = 0.6


async def nothing(_: str) -> None:
    return None


async def test_breaker_opens_after_repeated_failures_and_closes_after_its_ttl():
    async with AnthropicStub() as stub:
        model = ClaudeLanguageModel.from_settings(Settings(
            anthropic_api_key="test", anthropic_base_url=stub.base_url, claude_backoff_seconds=0.01,
            claude_max_attempts=3, claude_breaker_threshold=3, claude_breaker_ttl=TTL))
        stub.inject(Fault.server_error(), times=3)
        with pytest.raises(ModelUnavailable, match="keeps failing"):
            await model.write(chunk_request(), nothing)
        assert len(stub.requests) == 3
        with pytest.raises(ModelUnavailable, match="circuit open") as opened:
            await model.write(chunk_request(), nothing)
        assert len(stub.requests) == 3  # an open circuit sends nothing
        assert 0 < opened.value.retry_after <= TTL + 1
        await asyncio.sleep(TTL + 0.05)
        result = await model.write(chunk_request(), nothing)  # half-open: one trial call, which succeeds
        assert result.text and len(stub.requests) == 4
        stub.inject(Fault.overloaded(), times=2)
        assert (await model.write(chunk_request(), nothing)).text  # closed again: failures counted afresh


async def test_an_open_breaker_makes_the_book_wait_then_finish(tmp_path):
    async with AnthropicStub(responder=architecture_reply) as stub:
        settings = settings_for(stub, tmp_path, claude_max_attempts=2, claude_breaker_threshold=2,
                                claude_breaker_ttl=TTL)
        task = asyncio.create_task(write_whole_book(settings))
        while not any(r.json.get("tools") is None for r in stub.requests):
            await asyncio.sleep(0.01)
        stub.inject(Fault.server_error(), times=2)
        book, seen = await task
    assert_complete_without_repeats(book, seen)
    waiting = [e for e in seen if e["type"] == "waiting"]
    assert waiting and all(0 < e["retry_after"] <= TTL + 1 for e in waiting)
    assert any("circuit open" in e["reason"] or "keeps failing" in e["reason"] for e in waiting)


async def test_only_transient_errors_are_retried_or_counted():
    import anthropic
    import httpx2

    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    bad = anthropic.BadRequestError("bad", response=httpx2.Response(400, request=request), body=None)
    assert not is_transient(bad) and not is_transient(ValueError())
    assert is_transient(httpx2.ReadTimeout("stalled")) and is_transient(httpx2.RemoteProtocolError("cut"))


async def test_bad_requests_fail_at_once():
    async with AnthropicStub() as stub:
        stub.inject(Fault.http_error(400, "invalid_request_error"))
        model = ClaudeLanguageModel.from_settings(Settings(anthropic_api_key="test", anthropic_base_url=stub.base_url))
        import anthropic

        with pytest.raises(anthropic.BadRequestError):
            await model.write(chunk_request(), nothing)
        assert len(stub.requests) == 1


async def test_limiter_keeps_requests_under_the_per_minute_limit():
    # limits' sliding-window counter weighs the previous wall-clock minute: two hits on either side of a
    # minute's turn count as less than two. The test stays inside one minute.
    if time.time() % 60 > 57:
        await asyncio.sleep(60.1 - time.time() % 60)
    limiter = ClientLimiter(requests_per_minute=2, output_tokens_per_minute=10_000, max_in_flight=1)
    started = time.monotonic()
    for _ in range(2):
        async with limiter.reserve(100):
            pass
    assert time.monotonic() - started < 0.5
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            async with limiter.reserve(100):
                pass


async def test_limiter_pauses_when_the_server_says_the_budget_is_spent():
    reset = "2099-01-01T00:00:30Z"
    async with AnthropicStub(ratelimits={"requests-remaining": 0, "requests-reset": reset}) as stub:
        model = ClaudeLanguageModel.from_settings(Settings(anthropic_api_key="test", anthropic_base_url=stub.base_url))
        await model.write(chunk_request(), nothing)
    limiter = model.writer.streamer.limiter
    assert 50 < limiter.paused_until - time.time() <= 60  # until the reset, capped


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.redis
async def test_the_breaker_state_is_shared_through_redis():
    import httpx2
    from redis.asyncio import Redis

    circuit = f"buko-test-claude-{uuid.uuid4().hex[:8]}"
    workers = [  # two processes' worth of breakers on one Redis
        Resilience(AsyncCircuitBreakerFactory(uow=AsyncRedisUnitOfWork(REDIS_URL)), attempts=1, threshold=1,
                   ttl=30, circuit=circuit)
        for _ in range(2)
    ]

    async def stalled():
        raise httpx2.ReadTimeout("stalled")

    try:
        with pytest.raises(ModelUnavailable, match="keeps failing"):
            await workers[0].run(stalled)
        with pytest.raises(ModelUnavailable, match="circuit open"):
            await workers[1].run(stalled)
    finally:
        redis = Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(f"*{circuit}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


@pytest.mark.redis
async def test_limits_are_shared_through_redis():
    key = f"buko-test-claude-{uuid.uuid4().hex[:8]}"
    uri = "async+" + REDIS_URL
    first, second = (ClientLimiter(uri, requests_per_minute=2, key=key) for _ in range(2))
    async with first.reserve(10):
        pass
    async with second.reserve(10):
        pass
    with pytest.raises(TimeoutError):  # the third request this minute waits, whichever process sends it
        async with asyncio.timeout(0.3):
            async with first.reserve(10):
                pass

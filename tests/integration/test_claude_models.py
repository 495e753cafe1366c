"""Every model right, through the real SDK against the stub (which refuses what the API refuses):
thinking fitted under max_tokens, unknown and older models safe, prices per model, the limiter settles."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest

from buko.adapters.llm.claude import ClaudeLanguageModel
from buko.adapters.llm.claude.limiter import ClientLimiter
from buko.application.ports import ArchitectureRequest
from buko.config import Settings
from tests.integration.test_claude_architecture import BRIEF as PLAN_BRIEF
from tests.integration.test_claude_length import chunk_request
from tests.support.anthropic_stub import AnthropicStub, request_problem
from tests.support.claude_replies import architecture_reply

pytestmark = pytest.mark.asyncio


async def nothing(_: str) -> None:
    return None


def model_for(stub: AnthropicStub, **extra) -> ClaudeLanguageModel:
    return ClaudeLanguageModel.from_settings(Settings(
        anthropic_api_key="test", anthropic_base_url=stub.base_url, claude_backoff_seconds=0.01, **extra))


@pytest.mark.parametrize("model, max_tokens, budget", [
    ("claude-sonnet-4-20250514", 4096, 4096),    # budget == CLAUDE_MAX_TOKENS used to be sent as is: a 400
    ("claude-opus-4-1-20250805", 64_000, 32_000),  # the model's own 32,000 ceiling
    ("claude-opus-4-1", 64_000, 40_000),
    ("claude-sonnet-4-5", 2048, 1024),           # no room for thinking and text: thinking off
])
async def test_thinking_never_reaches_max_tokens_and_planning_honours_the_ceiling(model, max_tokens, budget):
    async with AnthropicStub(responder=architecture_reply) as stub:
        claude = model_for(stub, claude_model=model, claude_max_tokens=max_tokens, claude_thinking_budget=budget)
        await claude.architect(ArchitectureRequest(PLAN_BRIEF))
        result = await claude.write(chunk_request(), nothing)
    assert result.text and not stub.refused
    for request in (r.json for r in stub.requests):
        assert request["max_tokens"] <= max_tokens and not request_problem(request)
        thinking = request.get("thinking")
        if thinking:
            assert 1024 <= thinking["budget_tokens"] < request["max_tokens"]
    assert stub.requests[0].json["max_tokens"] <= min(16_000, max_tokens)  # planning too


async def test_the_stub_refuses_what_the_api_refuses():
    assert request_problem({"max_tokens": 4096, "thinking": {"type": "enabled", "budget_tokens": 4096}})
    assert request_problem({"max_tokens": 4096, "model": "claude-3-5-haiku-20241022", "thinking": {"type": "adaptive"}})
    assert not request_problem({"max_tokens": 4097, "thinking": {"type": "enabled", "budget_tokens": 4096}})


async def test_an_unknown_model_warns_and_sends_no_adaptive_thinking(caplog):
    async with AnthropicStub() as stub:
        with caplog.at_level(logging.WARNING):
            claude = model_for(stub, claude_model="claude-3-5-haiku-2024102")  # a typo
        result = await claude.write(chunk_request(), nothing)
    assert "unknown model 'claude-3-5-haiku-2024102'" in caplog.text
    assert result.text and "thinking" not in stub.requests[0].json and not stub.refused


async def test_an_older_model_gets_its_own_price_ceiling_and_no_thinking():
    async with AnthropicStub() as stub:
        claude = model_for(stub, claude_model="claude-3-5-haiku-20241022", claude_thinking_budget=2048)
        result = await claude.write(chunk_request(), nothing)
    request = stub.requests[0].json
    assert "thinking" not in request and request["max_tokens"] <= 8_192 and not stub.refused
    u = result.usage
    expected = (u.input_tokens * 0.80 + (u.output_tokens + u.thinking_tokens) * 4.0 + u.cache_write_tokens * 1.0
                + u.cache_read_tokens * 0.08) / 1e6
    assert u.cost_usd == pytest.approx(expected) and u.cost_usd > 0


async def test_unknown_model_prices_come_from_settings():
    async with AnthropicStub() as stub:
        claude = model_for(stub, claude_model="claude-next-1", claude_prices="2,10,2.5,0.2")
        result = await claude.write(chunk_request(), nothing)
    u = result.usage
    expected = (u.input_tokens * 2 + (u.output_tokens + u.thinking_tokens) * 10 + u.cache_write_tokens * 2.5
                + u.cache_read_tokens * 0.2) / 1e6
    assert u.cost_usd == pytest.approx(expected)


async def test_the_limiter_gives_back_what_a_call_did_not_use():
    limiter = ClientLimiter(output_tokens_per_minute=10_000)
    async with limiter.reserve(8_000) as held:
        held.settle(500)
    async with asyncio.timeout(0.5):  # 8,000 + 8,000 reserved would wait for the window; 500 + 8,000 does not
        async with limiter.reserve(8_000) as held:
            held.settle(9_000)  # an overrun is charged
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            async with limiter.reserve(1_000):
                pass


async def test_chunks_with_a_large_thinking_budget_do_not_stall_on_the_output_limit():
    async with AnthropicStub() as stub:
        claude = model_for(stub, claude_thinking_budget=6_000, claude_output_tokens_per_minute=20_000)
        started = time.monotonic()
        async with asyncio.timeout(20):
            for _ in range(4):  # each reserves ~8,000 tokens, uses ~2,000: unsettled, the 3rd would wait
                await claude.write(chunk_request(), nothing)
    assert time.monotonic() - started < 10
    assert all(r.json["thinking"]["budget_tokens"] == 6_000 for r in stub.requests)

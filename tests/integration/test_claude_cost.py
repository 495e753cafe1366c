"""Exact cost and nothing thrown away, through the real SDK against the stub.

Every billed call ends up on the book (a failed plan, broken streams, outages that open the
circuit mid-chunk), and a chunk interrupted by an open circuit keeps the text it had streamed.
"""
from __future__ import annotations

import asyncio

import pytest

from buko.adapters.llm.claude import ClaudeLanguageModel
from buko.adapters.llm.claude.schema import TOOL_NAME
from buko.application.commands import ApproveArchitecture, CreateBook, RegisterUser, ResumeBook, Subscribe, WriteBook
from buko.application.ports import ModelUnavailable, spent_on
from buko.bootstrap import build_container
from buko.config import Settings
from buko.domain.books.brief import Brief
from buko.domain.errors import InvalidArchitecture
from buko.entrypoints.worker.runtime import running
from tests.integration.test_claude_book import assert_complete_without_repeats, settings_for
from tests.integration.test_claude_length import chunk_request
from tests.support.anthropic_stub import AnthropicStub, Fault, Reply
from tests.support.claude_replies import architecture, architecture_reply

pytestmark = pytest.mark.asyncio
BRIEF = Brief(idea="The salt roads of the high desert", genre="history", target_words=3_000, chapter_count=3)
TTL = 0.4


def billed(stub: AnthropicStub) -> dict:
    return dict(stub.usage)


def assert_book_carries_every_billed_token(book, stub: AnthropicStub) -> None:
    usage, billed_ = book.usage, billed(stub)
    assert usage.input_tokens == billed_["input_tokens"]
    assert usage.cache_read_tokens == billed_["cache_read_input_tokens"]
    assert usage.cache_write_tokens == billed_["cache_creation_input_tokens"]
    assert usage.output_tokens + usage.thinking_tokens == billed_["output_tokens"]
    answered = sum(1 for r in stub.requests if r.json and r.json.get("model")) - stub.http_faults_served
    assert usage.calls == answered  # every request the stub answered with a message was metered


async def test_usage_on_the_book_is_what_the_stub_billed_with_a_failed_plan_faults_and_outages(tmp_path):
    placeholders = architecture(3_000, 3, "en", "x")
    placeholders["title"] = "TBD"
    first_plan = iter([Reply(tool_name=TOOL_NAME, tool_input=placeholders)] * 2)

    def responder(req):
        if req.get("tools"):
            return next(first_plan, None) or architecture_reply(req)
        return None

    async with AnthropicStub(responder=responder) as stub:
        settings = settings_for(stub, tmp_path, claude_architecture_attempts=2, claude_max_attempts=2,
                                claude_breaker_threshold=2, claude_breaker_ttl=TTL, claude_thinking_budget=1024)
        container = build_container(settings)
        uc, seen = container.use_cases, []
        async with running(container):
            user = await uc.register_user()(RegisterUser("cost@example.com", "Ana", "author"))
            await uc.subscribe()(Subscribe(user, "studio"))
            book_id = await uc.create_book()(CreateBook(user, BRIEF))
            events = container.gateways.live().subscribe(book_id)

            async def until(*kinds: str) -> dict:
                async for event in events:
                    seen.append(event)
                    if event["type"] in kinds:
                        return event

            failed = await asyncio.wait_for(until("book_failed", "planned"), 30)
            assert failed["type"] == "book_failed"  # two placeholder plans: the plan failed
            after_failed_plan = await uc.queries().book(book_id)
            assert after_failed_plan.planning_usage.calls == 2 and after_failed_plan.planning_usage.cost_usd > 0
            assert after_failed_plan.usage.input_tokens == billed(stub)["input_tokens"]

            await uc.resume_book()(ResumeBook(book_id, 1, takeover=True))
            await asyncio.wait_for(until("planned"), 30)
            await uc.approve_architecture()(ApproveArchitecture(book_id))
            # Mid-chunk: a broken stream, then failures that open the circuit (an outage), then more faults.
            stub.inject(Fault.error_mid_stream(after_tokens=250))
            stub.inject(Fault.server_error(), times=3)
            stub.inject(Fault.truncate(after_tokens=120))
            await uc.write_book()(WriteBook(book_id, 1))
            await asyncio.wait_for(until("book_written", "book_failed"), 60)
            await events.aclose()
            book = await uc.queries().book(book_id)
    assert book.status.value == "written", book.failure
    assert any(e["type"] == "waiting" for e in seen)  # the circuit opened: the chunk waited
    assert not any(e["type"] == "chunk_restarted" for e in seen)  # ... and kept its streamed text
    kept = [r.json for r in stub.requests if not r.json.get("tools") and len(r.json["messages"]) == 3]
    assert kept  # the chunk went on as a continuation of what it had streamed
    assert_complete_without_repeats(book, [e for e in seen if e.get("type") != "book_failed"])
    assert_book_carries_every_billed_token(book, stub)
    assert book.usage.cost_usd == pytest.approx(book.planning_usage.cost_usd + sum(c.usage.cost_usd for c in book.chunks))


async def test_a_circuit_opened_mid_chunk_keeps_the_streamed_text_and_continues_it():
    async with AnthropicStub() as stub:
        model = ClaudeLanguageModel.from_settings(Settings(
            anthropic_api_key="test", anthropic_base_url=stub.base_url, claude_backoff_seconds=0.01,
            claude_max_attempts=3, claude_breaker_threshold=1, claude_breaker_ttl=TTL))
        shown, restarts = [], []

        async def on_text(delta: str) -> None:
            shown.append(delta)

        async def on_restart() -> None:
            restarts.append(True)

        stub.inject(Fault.error_mid_stream(after_tokens=400))
        request = chunk_request()
        with pytest.raises(ModelUnavailable) as busy:
            await model.write(request, on_text, on_restart)
        partial = busy.value.partial
        assert partial and partial == "".join(shown) and not restarts  # kept, not dropped
        assert partial.rstrip()[-1] in ".!?…\"”»"  # up to its last whole sentence
        assert spent_on(busy.value).calls == 1 and spent_on(busy.value).input_tokens > 0  # the broken call is billed
        await asyncio.sleep(TTL + 0.05)
        result = await model.write(request.__class__(**{**request.__dict__, "written_so_far": partial}), on_text,
                                   on_restart)
    assert result.text.startswith(partial.rstrip())
    assert "".join(shown).strip() == result.text.strip()  # watchers saw exactly the stored text, once
    continuation = stub.requests[-1].json["messages"]
    assert [m["role"] for m in continuation] == ["user", "assistant", "user"]  # continued, not started over
    assert continuation[1]["content"] == partial.rstrip()
    assert len(stub.requests) == 2


async def test_a_plan_that_stays_invalid_carries_its_cost():
    bad = architecture(3_000, 3, "en", "y")
    bad["chapters"][0]["title"] = "TBD"
    async with AnthropicStub(responder=lambda req: Reply(tool_name=TOOL_NAME, tool_input=bad)) as stub:
        model = ClaudeLanguageModel.from_settings(Settings(
            anthropic_api_key="test", anthropic_base_url=stub.base_url, claude_architecture_attempts=2))
        from buko.application.ports import ArchitectureRequest

        with pytest.raises(InvalidArchitecture) as invalid:
            await model.architect(ArchitectureRequest(BRIEF))
    spent = spent_on(invalid.value)
    assert spent.calls == 2 and spent.input_tokens == stub.usage["input_tokens"]
    assert spent.output_tokens == stub.usage["output_tokens"]

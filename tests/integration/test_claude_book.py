"""Books planned and written end to end through the app, with Claude played by the local stub."""
from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest

from buko.adapters.llm.claude.profiles import profile_for
from buko.application.commands import ApproveArchitecture, CreateBook, RegisterUser, Subscribe, WriteBook
from buko.bootstrap import build_container
from buko.config import Settings
from buko.domain.books.brief import Brief
from buko.domain.books.usage import Usage
from buko.entrypoints.worker.runtime import running
from tests.support.anthropic_stub import AnthropicStub, Fault
from tests.support.claude_replies import architecture_reply

pytestmark = pytest.mark.asyncio
MODEL = "claude-sonnet-4-20250514"
BRIEF = Brief(idea="A lighthouse keeper's daughter maps the drowned villages of the coast", genre="literary fiction",
              target_words=5_000, chapter_count=5)
FAST = dict(claude_backoff_seconds=0.01, claude_backoff_max_seconds=0.05, claude_stream_idle_timeout=1.0)


def settings_for(stub: AnthropicStub, tmp_path, **extra) -> Settings:
    return Settings(anthropic_api_key="test", anthropic_base_url=stub.base_url, data_dir=tmp_path, redis_url="",
                    database_url="", claude_model=MODEL, chunk_words=600, **{**FAST, **extra})


async def write_whole_book(settings: Settings, brief: Brief = BRIEF, lanes: int = 1, timeout: float = 30):
    """Plan, approve and write a book like `buko write` does; returns (book, live events seen)."""
    container = build_container(settings)
    uc, seen = container.use_cases, []
    async with running(container):
        user = await uc.register_user()(RegisterUser("author@example.com", "Ana", "author"))
        await uc.subscribe()(Subscribe(user, "studio"))
        book_id = await uc.create_book()(CreateBook(user, brief))
        events = container.gateways.live().subscribe(book_id)

        async def until(kind: str) -> None:
            async for event in events:
                seen.append(event)
                assert event["type"] not in ("book_failed", "book_cancelled"), event
                if event["type"] == kind:
                    return

        await asyncio.wait_for(until("planned"), timeout)
        await uc.approve_architecture()(ApproveArchitecture(book_id))
        await uc.write_book()(WriteBook(book_id, lanes))
        await asyncio.wait_for(until("book_written"), timeout)
        await events.aclose()
        return await uc.queries().book(book_id), seen


def assert_complete_without_repeats(book, seen) -> None:
    assert book.status.value == "written"
    assert all(c.done for c in book.chunks)
    written = Counter(e["index"] for e in seen if e["type"] == "chunk_written")
    assert written == Counter(range(len(book.chunks)))  # each chunk stored exactly once
    paragraphs = [p.strip() for c in book.chunks for p in c.text.split("\n\n") if len(p.split()) > 12]
    assert len(paragraphs) == len(set(paragraphs))  # no passage written twice
    for chunk in book.chunks:
        assert "<summary" not in chunk.text and "</summary>" not in chunk.text
        assert re.search(r"[.!?…»\"”]\s*$", chunk.text), chunk.text[-80:]
        streamed = ""
        for e in seen:
            if e.get("index") == chunk.index and e["type"] in ("delta", "chunk_restarted"):
                streamed = streamed + e["text"] if e["type"] == "delta" else ""
        assert streamed.strip() == chunk.text.strip()  # watchers saw exactly what was stored


async def test_five_chapter_book_planned_and_written(tmp_path):
    async with AnthropicStub(responder=architecture_reply) as stub:
        book, seen = await write_whole_book(settings_for(stub, tmp_path), lanes=2)
    assert book.writer == f"Claude ({MODEL})" and not book.demo
    assert len(book.architecture.chapters) == 5
    assert_complete_without_repeats(book, seen)
    for chunk in book.chunks:
        assert 0.85 * chunk.target_words <= chunk.actual_words <= 1.15 * chunk.target_words
        for part in chunk.parts:
            if part.part == 1:
                assert f"## {part.title}" in chunk.text
    last = book.summary_before(len(book.chunks))
    assert last and "<summary>" not in last
    writes = [r.json for r in stub.requests if not r.json.get("tools")]
    assert all(r.json["stream"] is True for r in stub.requests)
    assert len(writes) == len(book.chunks)  # stub honours budgets: no continuation was needed
    assert writes[0]["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert len({r["system"][-1]["text"] for r in writes}) == 1  # the cached prefix is stable
    assert "<author_data" in writes[0]["system"][-1]["text"]
    assert "You are here: chapter 3" in next(r for r in writes if "chapter 3" in r["messages"][0]["content"])["messages"][0]["content"]


async def test_spanish_book_is_written_in_spanish(tmp_path):
    brief = Brief(idea="La hija del farero cartografía los pueblos sumergidos de la costa", language="es",
                  genre="novela", target_words=2_000, chapter_count=2)
    async with AnthropicStub(responder=architecture_reply) as stub:
        book, seen = await write_whole_book(settings_for(stub, tmp_path), brief)
    assert_complete_without_repeats(book, seen)
    words = " ".join(c.text for c in book.chunks).lower().split()
    assert sum(w in {"el", "la", "los", "las", "de", "que", "y"} for w in words) > 0.1 * len(words)
    assert "en español" in stub.requests[-1].json["system"][0]["text"]


async def test_every_fault_is_recovered_without_duplicates(tmp_path):
    async with AnthropicStub(responder=architecture_reply) as stub:
        for fault in (Fault.rate_limited(retry_after=0.2), Fault.overloaded(), Fault.server_error()):
            stub.inject(fault)  # these hit planning
        book_task = asyncio.create_task(write_whole_book(settings_for(stub, tmp_path, claude_breaker_threshold=20, claude_breaker_ttl=0.5)))
        while not any(r.json.get("tools") is None for r in stub.requests):
            await asyncio.sleep(0.01)
        for fault in (Fault.error_mid_stream(after_tokens=150), Fault.truncate(after_tokens=200), Fault.stall(3),
                      Fault.rate_limited(retry_after=0.1), Fault.overloaded(), Fault.server_error(),
                      Fault.truncate(after_tokens=5), Fault.error_mid_stream(after_tokens=400)):
            stub.inject(fault)
        book, seen = await book_task
    assert_complete_without_repeats(book, seen)
    assert not stub._faults  # every fault was served
    waits = [e for e in seen if e["type"] == "waiting"]
    assert waits and "keeps failing" in waits[0]["reason"]  # six faults in a row: the chunk waited, then went on
    assert "retrying" not in waits[0]["reason"]  # the wait is the event's own retry_after


async def test_cost_totals_equal_the_sum_of_per_call_usage(tmp_path):
    async with AnthropicStub(responder=architecture_reply) as stub:
        stub.inject(Fault.error_mid_stream(after_tokens=100))
        stub.inject(Fault.truncate(after_tokens=300))
        book, _ = await write_whole_book(settings_for(stub, tmp_path, claude_thinking_budget=2048))
    billed = stub.usage
    usage = book.usage
    assert usage.input_tokens == billed["input_tokens"]
    assert usage.cache_read_tokens == billed["cache_read_input_tokens"] > 0
    assert usage.cache_write_tokens == billed["cache_creation_input_tokens"] > 0
    assert usage.output_tokens + usage.thinking_tokens == billed["output_tokens"]
    assert usage.thinking_tokens > 0
    assert usage.calls == sum(1 for r in stub.requests) - 0  # every request was metered
    expected = profile_for(MODEL).cost(Usage(
        input_tokens=billed["input_tokens"], output_tokens=billed["output_tokens"],
        cache_read_tokens=billed["cache_read_input_tokens"], cache_write_tokens=billed["cache_creation_input_tokens"]))
    assert usage.cost_usd == pytest.approx(expected, rel=1e-9)
    assert usage.cost_usd == pytest.approx(book.planning_usage.cost_usd + sum(c.usage.cost_usd for c in book.chunks))

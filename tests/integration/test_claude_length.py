"""Length control through the real SDK: truncated and short chunks are continued to within budget."""
from __future__ import annotations

import random
import re

import pytest

from buko.adapters.llm.claude import ClaudeLanguageModel
from buko.application.ports import ChunkRequest
from buko.config import Settings
from buko.adapters.llm.offline import OfflineDemoWriter
from buko.domain.books.brief import Brief
from buko.domain.books.chunks import count_words, plan_chunks
from tests.support.anthropic_stub import AnthropicStub, Fault, Reply, prose

pytestmark = pytest.mark.asyncio
SENTENCE_END = re.compile(r"[.!?…»\"”]\s*$")


def chunk_request() -> ChunkRequest:
    brief = Brief(idea="The drowned villages of the northern coast", target_words=2_400, chapter_count=2)
    arch = OfflineDemoWriter().plan(brief)
    chunk = plan_chunks(arch, 1_200)[0]
    return ChunkRequest("book-1", brief, arch, chunk, "", "")


async def write(stub: AnthropicStub, **extra):
    model = ClaudeLanguageModel.from_settings(Settings(
        anthropic_api_key="test", anthropic_base_url=stub.base_url, claude_backoff_seconds=0.01, **extra))
    shown: list[str] = []

    async def on_text(delta: str) -> None:
        shown.append(delta)

    result = await model.write(chunk_request(), on_text)
    assert "".join(shown).strip() == result.text.strip()  # watchers saw exactly what is stored
    return result


async def test_a_truncated_chunk_is_continued_without_its_cut_sentence():
    target = chunk_request().chunk.target_words
    async with AnthropicStub() as stub:
        stub.inject(Fault.max_tokens(after_tokens=round(target * 0.5 / 0.75) + 1))
        result = await write(stub)
    first, second = (r.json for r in stub.requests)
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    kept = second["messages"][1]["content"]
    assert SENTENCE_END.search(kept)  # the cut fragment was dropped before continuing
    assert result.text.startswith(kept)
    more = re.search(r"another (\d+) words", second["messages"][2]["content"])
    assert int(more.group(1)) == target - count_words(kept)
    assert 0.85 * target <= count_words(result.text) <= 1.15 * target
    assert SENTENCE_END.search(result.text) and "<summary>" not in result.text
    assert result.summary and result.usage.calls == 2


async def test_a_short_chunk_is_continued_to_its_budget():
    target = chunk_request().chunk.target_words
    answers = iter([Reply(text=prose(random.Random(1), 150) + "\n\n<summary>Too short so far.</summary>")])
    async with AnthropicStub(responder=lambda req: next(answers, None)) as stub:
        result = await write(stub)
    assert len(stub.requests) == 2
    assert 0.85 * target <= count_words(result.text) <= 1.15 * target
    assert result.summary and result.summary != "Too short so far."  # the last summary wins


async def test_continuations_are_bounded():
    async with AnthropicStub(responder=lambda req: Reply(text=prose(random.Random(len(stub.requests)), 60))) as stub:
        result = await write(stub, claude_max_continuations=2)
    assert len(stub.requests) == 3  # the first call and two continuations, then what there is is kept
    assert 150 <= count_words(result.text) < 0.85 * chunk_request().chunk.target_words
    assert SENTENCE_END.search(result.text)


async def test_thinking_is_counted_but_never_shown():
    async with AnthropicStub() as stub:
        result = await write(stub, claude_thinking_budget=2_048)
    request = stub.requests[0].json
    assert request["thinking"] == {"type": "enabled", "budget_tokens": 2_048}
    assert request["max_tokens"] > 2_048
    assert result.usage.thinking_tokens > 0
    assert "Let me consider" not in result.text and "I should first outline" not in result.text

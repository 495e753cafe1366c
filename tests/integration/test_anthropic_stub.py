"""Tests of tests/support/anthropic_stub.py through the real ``anthropic`` SDK."""
from __future__ import annotations

import asyncio
import pathlib
import re
import sys
import time

import anthropic
import httpx2  # the SDK's HTTP client; transport errors surface as its exceptions
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.anthropic_stub import AnthropicStub, Fault, Reply  # noqa: E402

MODEL = "claude-sonnet-4-6"
PROMPT = "Write the opening of a chapter about a harbor town, about 200 words."
pytestmark = pytest.mark.asyncio


def make_client(stub: AnthropicStub, max_retries: int = 0, **kw) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=stub.base_url, api_key="test", max_retries=max_retries, **kw)


async def stream(client: anthropic.AsyncAnthropic, **kw):
    """Run one streamed request; returns (final message, event types, response headers)."""
    params = {"model": MODEL, "max_tokens": 4096, "messages": [{"role": "user", "content": PROMPT}], **kw}
    async with client.messages.stream(**params) as s:
        types = [event.type async for event in s]
        return await s.get_final_message(), types, s.response.headers


def text_of(message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


async def test_text_stream_has_requested_length_and_usage():
    async with AnthropicStub() as stub:
        message, types, headers = await stream(make_client(stub))
    text = text_of(message)
    words = len(text.split())
    assert 190 <= words <= 240
    sentences = re.split(r"(?<=[.?!])\s+", text)
    assert "\n\n" in text and len(sentences) > 10  # Markdown paragraphs
    assert len(set(sentences)) >= 0.9 * len(sentences)  # varied sentences
    assert message.stop_reason == "end_turn" and message.model == MODEL
    assert message.usage.output_tokens == round(words / 0.75)
    assert message.usage.input_tokens > 10
    assert message.usage.cache_read_input_tokens == 0 and message.usage.cache_creation_input_tokens == 0
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert {"content_block_start", "content_block_stop", "message_delta", "text"} <= set(types)
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["request-id"].startswith("req_")
    assert int(headers["anthropic-ratelimit-requests-limit"]) > 0
    assert "anthropic-ratelimit-tokens-remaining" in headers and "anthropic-ratelimit-tokens-reset" in headers
    assert stub.usage["output_tokens"] == message.usage.output_tokens
    assert stub.usage["input_tokens"] == message.usage.input_tokens
    recorded = stub.requests[-1]
    assert recorded.json["stream"] is True and recorded.json["model"] == MODEL
    assert "test" in (recorded.headers.get("x-api-key", ""), recorded.headers.get("authorization", "")[7:])


async def test_output_is_deterministic_and_default_length():
    async with AnthropicStub() as stub:
        client = make_client(stub)
        msgs = [{"role": "user", "content": "Tell me a story."}]
        first, _, _ = await stream(client, messages=msgs)
        second, _, _ = await stream(client, messages=msgs)
        other, _, _ = await stream(client, messages=[{"role": "user", "content": "Another story."}])
    assert text_of(first) == text_of(second) != text_of(other)
    assert 290 <= len(text_of(first).split()) <= 340


async def test_spanish_prose_and_largest_word_count():
    prompt = "Escribe la escena del puerto en unas 120 palabras (el capítulo entero tendrá 3000 palabras más tarde)."
    async with AnthropicStub() as stub:
        message, _, _ = await stream(make_client(stub), messages=[{"role": "user", "content": prompt}])
    words = text_of(message).split()
    assert len(words) >= 3000
    assert sum(w.lower() in {"el", "la", "los", "las", "de", "que", "y"} for w in words) > 100


async def test_max_tokens_cap_cuts_text():
    async with AnthropicStub() as stub:
        message, _, _ = await stream(make_client(stub), max_tokens=60)
    assert message.stop_reason == "max_tokens"
    assert len(text_of(message).split()) == 45
    assert message.usage.output_tokens == 60


@pytest.mark.parametrize("thinking", [{"type": "enabled", "budget_tokens": 2048}, {"type": "adaptive"}])
async def test_thinking_block_when_enabled(thinking):
    async with AnthropicStub() as stub:
        message, types, _ = await stream(make_client(stub), thinking=thinking)
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert len(message.content[0].thinking.split()) >= 40 and message.content[0].signature
    assert "thinking" in types and "signature" in types
    words = len(message.content[0].thinking.split()) + len(text_of(message).split())
    assert abs(message.usage.output_tokens - words / 0.75) <= 2


OUTLINE_TOOL = {
    "name": "outline",
    "description": "Record a chapter outline.",
    "input_schema": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 40},
            "chapters": {
                "type": "array", "minItems": 3, "maxItems": 5,
                "items": {"$ref": "#/$defs/Chapter"},
            },
            "tone": {"enum": ["dark", "light", "wry"]},
            "draft": {"type": "boolean"},
        },
        "required": ["title", "chapters"],
        "$defs": {
            "Chapter": {
                "type": "object",
                "properties": {
                    "heading": {"type": "string"},
                    "words": {"type": "integer", "minimum": 100, "maximum": 500},
                    "beats": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
                    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
            }
        },
    },
}


@pytest.mark.parametrize("choice", [{"type": "tool", "name": "outline"}, {"type": "any"}])
async def test_tool_use_input_follows_schema(choice):
    tools = [OUTLINE_TOOL, {"name": "other", "input_schema": {"type": "object", "properties": {}}}]
    if choice["type"] == "tool":
        tools.reverse()  # a named tool is found wherever it is; "any" uses the first one
    async with AnthropicStub() as stub:
        message, types, _ = await stream(make_client(stub), tools=tools, tool_choice=choice)
    assert message.stop_reason == "tool_use" and "input_json" in types
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "outline" and block.id.startswith("toolu_")
    data = block.input
    assert isinstance(data["title"], str) and 0 < len(data["title"]) <= 40
    assert 3 <= len(data["chapters"]) <= 5 and data["tone"] in {"dark", "light", "wry"}
    assert isinstance(data["draft"], bool)
    for chapter in data["chapters"]:
        assert isinstance(chapter["heading"], str) and 100 <= chapter["words"] <= 500
        assert 1 <= len(chapter["beats"]) <= 2 and isinstance(chapter["note"], str)


async def test_custom_responder_controls_reply():
    seen = []

    def responder(request):
        seen.append(request)
        if request.get("tools"):
            return Reply(text="Let me record it.", tool_name="save", tool_input={"ok": True, "n": [1, 2]})
        return Reply(text="Hello there.", thinking="Short.", stop_reason="end_turn", input_tokens=7,
                     cache_read=3, cache_write=2, output_tokens=11)

    async with AnthropicStub(responder=responder) as stub:
        client = make_client(stub)
        message, _, _ = await stream(client)
        tool_msg, _, _ = await stream(client, tools=[{"name": "save", "input_schema": {"type": "object"}}])
    assert [b.type for b in message.content] == ["thinking", "text"] and text_of(message) == "Hello there."
    u = message.usage
    assert (u.input_tokens, u.cache_read_input_tokens, u.cache_creation_input_tokens, u.output_tokens) == (7, 3, 2, 11)
    assert [b.type for b in tool_msg.content] == ["text", "tool_use"] and tool_msg.stop_reason == "tool_use"
    assert tool_msg.content[1].input == {"ok": True, "n": [1, 2]}
    assert len(seen) == 2 and seen[0]["messages"][0]["content"] == PROMPT


async def test_cache_accounting():
    system = [{"type": "text", "text": "You are a novelist. " * 200, "cache_control": {"type": "ephemeral"}}]
    async with AnthropicStub() as stub:
        client = make_client(stub)
        first, _, _ = await stream(client, system=system)
        second, _, _ = await stream(client, system=system,
                                    messages=[{"role": "user", "content": "Now another 50 words."}])
    assert first.usage.cache_creation_input_tokens > 900 and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0 and second.usage.input_tokens < 50
    assert stub.usage["cache_read_input_tokens"] == second.usage.cache_read_input_tokens


async def test_non_streaming_create():
    async with AnthropicStub() as stub:
        message = await make_client(stub).messages.create(
            model=MODEL, max_tokens=1000, messages=[{"role": "user", "content": "Give me 80 words."}])
    assert message.stop_reason == "end_turn" and 80 <= len(text_of(message).split()) <= 110
    assert message.usage.output_tokens > 100


async def test_rate_limited_raises_without_retries():
    async with AnthropicStub() as stub:
        stub.inject(Fault.rate_limited(retry_after=3))
        with pytest.raises(anthropic.RateLimitError) as info:
            await stream(make_client(stub))
    assert info.value.status_code == 429 and info.value.response.headers["retry-after"] == "3"
    assert info.value.body["error"]["type"] == "rate_limit_error"


async def test_sdk_retry_honours_retry_after():
    async with AnthropicStub() as stub:
        stub.inject(Fault.rate_limited(retry_after=1))
        started = time.monotonic()
        message, _, _ = await stream(make_client(stub, max_retries=1))
        elapsed = time.monotonic() - started
    assert message.stop_reason == "end_turn" and len(stub.requests) == 2
    assert 0.95 <= elapsed < 3
    assert stub.requests[1].headers["x-stainless-retry-count"] == "1"


@pytest.mark.parametrize("fault,status,error_type", [
    (Fault.overloaded(), 529, "overloaded_error"),
    (Fault.server_error(), 500, "api_error"),
])
async def test_http_error_faults(fault, status, error_type):
    async with AnthropicStub() as stub:
        stub.inject(fault, times=2)
        client = make_client(stub)
        for _ in range(2):
            with pytest.raises(anthropic.InternalServerError) as info:
                await stream(client)
            assert info.value.status_code == status and info.value.body["error"]["type"] == error_type
        message, _, _ = await stream(client)  # the queue is used up
    assert message.stop_reason == "end_turn" and len(stub.requests) == 3


async def test_error_mid_stream_raises_while_iterating():
    received = []
    async with AnthropicStub() as stub:
        stub.inject(Fault.error_mid_stream(after_tokens=40))
        with pytest.raises(anthropic.APIStatusError) as info:
            async with make_client(stub).messages.stream(
                    model=MODEL, max_tokens=4096, messages=[{"role": "user", "content": PROMPT}]) as s:
                async for text in s.text_stream:
                    received.append(text)
    assert info.value.body["error"]["type"] == "overloaded_error"
    assert 30 <= len("".join(received).split()) <= 36  # ~40 tokens arrived first


async def test_truncate_raises_while_iterating():
    received = []
    async with AnthropicStub() as stub:
        stub.inject(Fault.truncate(after_tokens=20))
        with pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"):
            async with make_client(stub).messages.stream(
                    model=MODEL, max_tokens=4096, messages=[{"role": "user", "content": PROMPT}]) as s:
                async for text in s.text_stream:
                    received.append(text)
        message, _, _ = await stream(make_client(stub))  # the stub keeps serving
    assert 12 <= len("".join(received).split()) <= 18  # ~20 tokens arrived first
    assert message.stop_reason == "end_turn"


async def test_stall_times_out_or_delays():
    async with AnthropicStub() as stub:
        stub.inject(Fault.stall(3))
        with pytest.raises(httpx2.ReadTimeout):  # headers arrived, then the body read timed out
            await stream(make_client(stub, timeout=0.5))
        stub.inject(Fault.stall(0.4))
        started = time.monotonic()
        message, _, _ = await stream(make_client(stub))
    assert time.monotonic() - started >= 0.4 and message.stop_reason == "end_turn"


async def test_max_tokens_fault():
    async with AnthropicStub() as stub:
        stub.inject(Fault.max_tokens(after_tokens=40))
        message, types, _ = await stream(make_client(stub))
    assert message.stop_reason == "max_tokens" and types[-1] == "message_stop"
    assert len(text_of(message).split()) == 30 and message.usage.output_tokens == 40


async def test_pace_and_ttft():
    async with AnthropicStub(tokens_per_second=63, ttft=0.2, responder=lambda r: "word " * 44 + "end.") as stub:
        client = make_client(stub)
        started = time.monotonic()
        first_token = None
        async with client.messages.stream(model=MODEL, max_tokens=1000,
                                          messages=[{"role": "user", "content": "hi"}]) as s:
            async for _ in s.text_stream:
                first_token = first_token or time.monotonic() - started
            message = await s.get_final_message()
        elapsed = time.monotonic() - started
    assert message.usage.output_tokens == 60
    assert 0.15 <= first_token <= 0.45
    assert 1.05 <= elapsed <= 1.6


async def test_concurrent_streams_and_keep_alive():
    async with AnthropicStub(tokens_per_second=200) as stub:
        client = make_client(stub)
        started = time.monotonic()
        results = await asyncio.gather(*[
            stream(client, messages=[{"role": "user", "content": f"Story {i}, 100 words."}]) for i in range(8)])
        elapsed = time.monotonic() - started
        for _ in range(3):  # sequential requests reuse pooled connections
            await stream(client, messages=[{"role": "user", "content": "Again, 20 words."}])
    assert all(m.stop_reason == "end_turn" for m, _, _ in results)
    assert len({text_of(m) for m, _, _ in results}) == 8
    assert elapsed < 2.5  # 8 x ~0.7 s streams overlap
    assert stub.connections_opened <= 8


async def test_runs_as_a_process():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.anthropic_stub", "--port", "0", "--tokens-per-second", "500",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        base_url = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        client = anthropic.AsyncAnthropic(base_url=base_url, api_key="test", max_retries=0)
        async with client.messages.stream(model=MODEL, max_tokens=500,
                                          messages=[{"role": "user", "content": "30 words"}]) as s:
            message = await s.get_final_message()
        assert message.stop_reason == "end_turn" and len(text_of(message).split()) >= 30
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) is not None

"""Writes one chunk: streams it, keeps it to budget by continuing short or cut answers, strips the summary."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from buko.adapters.llm.claude.prompts import book_prefix, chunk_message, continuation_message
from buko.adapters.llm.claude.resilience import Resilience
from buko.adapters.llm.claude.streaming import WORDS_PER_TOKEN, Streamer
from buko.adapters.llm.claude.textstream import SentenceGate, SummaryFilter
from buko.application.ports import ChunkRequest, ChunkResult, ModelUnavailable, RestartSink, TextSink
from buko.domain.books.chunks import count_words
from buko.domain.books.usage import Usage, total

SHORT = 0.85
MIN_MORE_WORDS = 50
SUMMARY_TOKENS = 400


@dataclass
class _Draft:
    """What is written so far: only whole sentences, exactly what watchers were shown."""

    text: str = ""
    summary: str = ""
    cut: bool = False
    meter: list[Usage] = field(default_factory=list)


@dataclass(frozen=True)
class WritingOptions:
    """Settings of chunk writing: output ceiling, thinking, prompt caching, continuation bound."""

    max_tokens: int = 64_000
    thinking_budget: int = 0
    adaptive_allowance: int = 8_000
    caching: bool = True
    max_continuations: int = 3


class ChunkWriter:
    """A chunk is one call, plus at most `max_continuations` follow-ups when it stops short or is cut.

    A call that breaks mid-stream is retried from the last whole sentence already shown, so nothing
    is written twice. When the model stays unavailable, the text shown so far travels back with the
    `ModelUnavailable` (its `partial`) and the next attempt continues it (`written_so_far`). Only a
    failure for good tells watchers, through `on_restart`, to drop the partial text. Every failure
    carries the cost of the calls it made (`spent`).
    """

    def __init__(self, streamer: Streamer, resilience: Resilience, options: WritingOptions):
        self.streamer, self.resilience, self.options = streamer, resilience, options

    async def write(self, request: ChunkRequest, on_text: TextSink, on_restart: RestartSink) -> ChunkResult:
        draft = _Draft(text=request.written_so_far)
        system = book_prefix(request, self.options.caching)
        target = request.chunk.target_words
        try:
            for _ in range(self.options.max_continuations + 1):
                await self.resilience.run(lambda: self._segment(request, system, draft, on_text))
                words = count_words(draft.text)
                if words >= SHORT * target and not (draft.cut and words < target):
                    break
        except ModelUnavailable as busy:  # keep what watchers saw: the next attempt continues it
            raise ModelUnavailable(str(busy), busy.retry_after, partial=draft.text,
                                   spent=total(draft.meter)) from busy.__cause__
        except Exception as failure:
            if draft.text:  # the caller will start this chunk over: watchers drop what they saw
                await on_restart()
            failure.spent = total(draft.meter)
            raise
        return ChunkResult(draft.text.strip() + "\n", total(draft.meter), draft.summary)

    async def _segment(self, request: ChunkRequest, system: list[dict], draft: _Draft, on_text: TextSink) -> None:
        wanted = request.chunk.target_words
        messages = [{"role": "user", "content": chunk_message(request)}]
        if draft.text.strip():
            wanted = max(MIN_MORE_WORDS, wanted - count_words(draft.text))
            more = continuation_message(request.architecture.language, request.chunk, draft.text, wanted)
            messages += [{"role": "assistant", "content": draft.text.rstrip()}, {"role": "user", "content": more}]
        tags, gate = SummaryFilter(), SentenceGate()
        joined = [not draft.text.strip()]

        async def show(text: str) -> None:
            if not text:
                return
            if not joined[0]:  # the first words of a follow-up: join them to what is there
                text = text.lstrip()
                if not text:
                    return
                if not draft.text[-1:].isspace():
                    text = ("\n\n" if text.startswith("#") else " ") + text
                joined[0] = True
            draft.text += text
            await on_text(text)

        async def on_delta(delta: str) -> None:
            await show(gate.feed(tags.feed(delta)))

        params = self._params(request, system, messages, wanted)
        try:
            message = await self.streamer.stream(params, draft.meter, on_delta, reserve=self._expected(params, wanted))
        except Exception:
            await show(gate.cut() if not tags.inside else gate.flush())
            if tags.inside and count_words(draft.text) >= SHORT * request.chunk.target_words:
                draft.cut = False
                return  # only the summary was lost: the chunk itself is complete
            raise
        visible = gate.feed(tags.finish())
        draft.cut = message.stop_reason == "max_tokens" and not tags.inside and not tags.closed
        await show(visible + (gate.cut() if draft.cut else gate.flush()))
        if tags.closed:
            draft.summary = tags.summary

    def _params(self, request: ChunkRequest, system: list[dict], messages: list[dict], words: int) -> dict:
        """max_tokens is capped first (setting and model), then a manual thinking budget is fitted
        under it, so the request never has budget_tokens >= max_tokens."""
        ceiling = self.ceiling
        room = math.ceil(words / WORDS_PER_TOKEN * 1.5) + SUMMARY_TOKENS
        thinking = self.streamer.profile.thinking_param(self.options.thinking_budget, ceiling)
        if thinking and thinking["type"] == "enabled":
            room += thinking["budget_tokens"]
        elif thinking:
            room += self.options.adaptive_allowance
        params = {"max_tokens": min(room, ceiling), "system": system, "messages": messages}
        if thinking:
            params["thinking"] = thinking
        return params

    @property
    def ceiling(self) -> int:
        return min(self.options.max_tokens, self.streamer.profile.max_output)

    def _expected(self, params: dict, words: int) -> int:
        """Output tokens to reserve with the limiter (settled with the real count afterwards)."""
        thinking = params.get("thinking") or {}
        allowance = thinking.get("budget_tokens", self.options.adaptive_allowance if thinking else 0)
        return min(params["max_tokens"], math.ceil(words / WORDS_PER_TOKEN) + SUMMARY_TOKENS + allowance)

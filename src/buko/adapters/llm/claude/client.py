"""ClaudeLanguageModel: the LanguageModel port on the official `anthropic` SDK, always streaming."""
from __future__ import annotations

import logging

import anthropic

from buko.adapters.llm.claude.architect import Architect
from buko.adapters.llm.claude.chunk_writer import ChunkWriter, WritingOptions
from buko.adapters.llm.claude.limiter import ClientLimiter
from buko.adapters.llm.claude.profiles import ModelProfile, Prices, profile_for
from buko.adapters.llm.claude.resilience import Resilience
from buko.adapters.llm.claude.streaming import Streamer
from buko.application.ports import (
    ArchitectureRequest,
    ArchitectureResult,
    ChunkRequest,
    ChunkResult,
    LanguageModel,
    RestartSink,
    TextSink,
    no_restart,
)

log = logging.getLogger(__name__)


def profile_from_settings(settings) -> ModelProfile:
    """The catalogue's profile of CLAUDE_MODEL, with CLAUDE_PRICES when given."""
    prices = Prices.parse(settings.claude_prices) if settings.claude_prices else None
    return profile_for(settings.claude_model, prices, settings.claude_max_tokens, settings.claude_thinking_budget)


class ClaudeLanguageModel(LanguageModel):
    """Plans with a validated tool call and writes chunk by chunk, with retries, a breaker and limits.

    The SDK's own retries are off (`max_retries=0`): `Resilience` owns them, so that a stream that
    breaks halfway is retried too.
    """

    demo = False

    def __init__(self, architect: Architect, writer: ChunkWriter, model: str, client=None):
        self.planner, self.writer, self.client = architect, writer, client
        self.name = f"Claude ({model})"

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()

    @classmethod
    def from_settings(cls, settings) -> ClaudeLanguageModel:
        client = anthropic.AsyncAnthropic(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url or None,  # None: the SDK reads ANTHROPIC_BASE_URL itself
            max_retries=0,
            timeout=anthropic.Timeout(settings.claude_request_timeout, connect=10.0,
                                      read=settings.claude_stream_idle_timeout),
        )
        profile = profile_from_settings(settings)
        if profile.warning:
            log.warning("%s", profile.warning)
        streamer = Streamer(client, profile, ClientLimiter.from_settings(settings))
        resilience = Resilience.from_settings(settings)
        options = WritingOptions(
            max_tokens=settings.claude_max_tokens,
            thinking_budget=settings.claude_thinking_budget,
            caching=settings.claude_prompt_caching,
            max_continuations=settings.claude_max_continuations,
        )
        architect = Architect(streamer, resilience, attempts=settings.claude_architecture_attempts,
                              max_tokens=settings.claude_max_tokens)
        return cls(architect, ChunkWriter(streamer, resilience, options), settings.claude_model, client)

    async def architect(self, request: ArchitectureRequest) -> ArchitectureResult:
        return await self.planner.plan(request)

    async def write(self, request: ChunkRequest, on_text: TextSink, on_restart: RestartSink = no_restart) -> ChunkResult:
        return await self.writer.write(request, on_text, on_restart)

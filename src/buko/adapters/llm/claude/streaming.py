"""One streamed Messages API call, metered: every attempt's tokens are recorded, even a broken one."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import anthropic
from anthropic.types import Message

from buko.adapters.llm.claude.limiter import ClientLimiter
from buko.adapters.llm.claude.profiles import ModelProfile
from buko.adapters.llm.claude.resilience import StreamBroken
from buko.domain.books.usage import Usage

WORDS_PER_TOKEN = 0.75
TextSink = Callable[[str], Awaitable[None]]


class Streamer:
    """Streams requests through the client-side limiter; thinking text is counted, never passed on."""

    def __init__(self, client: anthropic.AsyncAnthropic, profile: ModelProfile, limiter: ClientLimiter):
        self.client, self.profile, self.limiter = client, profile, limiter

    async def stream(self, params: dict, meter: list[Usage], on_text: TextSink | None = None,
                     reserve: int = 4_096) -> Message:
        """The final message; its usage (and that of a broken attempt, as far as it got) goes to `meter`."""
        started = None
        thinking: list[str] = []
        async with self.limiter.reserve(reserve) as held:
            try:
                async with self.client.messages.stream(**{"model": self.profile.model, **params}) as stream:
                    self.limiter.observe(stream.response.headers)
                    async for event in stream:
                        if event.type == "message_start":
                            started = event.message.usage
                        elif event.type == "thinking":
                            thinking.append(event.thinking)
                        elif event.type == "text" and on_text is not None:
                            await on_text(event.text)
                    message = await stream.get_final_message()
                    held.settle(message.usage.output_tokens or 0)
            except BaseException:
                if started is not None:  # the input was billed even though the answer broke
                    meter.append(self._usage(started, output=0, thinking=0))
                raise
        meter.append(self._usage(message.usage, message.usage.output_tokens, _tokens("".join(thinking))))
        if message.stop_reason is None:
            raise StreamBroken("the stream ended before its final event")
        return message

    def _usage(self, usage, output: int, thinking: int) -> Usage:
        return self.profile.usage(
            input_tokens=usage.input_tokens or 0,
            output_tokens=output or 0,
            thinking_tokens=thinking,
            cache_read=usage.cache_read_input_tokens or 0,
            cache_write=usage.cache_creation_input_tokens or 0,
        )


def _tokens(text: str) -> int:
    return round(len(text.split()) / WORDS_PER_TOKEN)

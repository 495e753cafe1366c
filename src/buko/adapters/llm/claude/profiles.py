"""Per-model profiles: how a model thinks, what it may output and what its tokens cost."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from buko.domain.books.usage import Usage

ThinkingMode = Literal["manual", "adaptive", "none"]
MIN_THINKING_BUDGET = 1024


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens. Cache writes are the 5-minute kind."""

    input: float
    output: float
    cache_write: float
    cache_read: float


@dataclass(frozen=True)
class ModelProfile:
    """What Buko needs to know about one Claude model."""

    model: str
    thinking: ThinkingMode
    prices: Prices
    max_output: int

    def thinking_param(self, budget: int, max_tokens: int) -> dict | None:
        """The `thinking` request field, or None when thinking is off for this call."""
        if self.thinking == "adaptive":
            return {"type": "adaptive"}
        if self.thinking == "manual" and budget >= MIN_THINKING_BUDGET:
            return {"type": "enabled", "budget_tokens": min(budget, max_tokens - 1)}
        return None

    def cost(self, usage: Usage) -> float:
        p = self.prices
        dollars = (
            usage.input_tokens * p.input
            + (usage.output_tokens + usage.thinking_tokens) * p.output
            + usage.cache_write_tokens * p.cache_write
            + usage.cache_read_tokens * p.cache_read
        )
        return dollars / 1_000_000

    def usage(self, input_tokens: int, output_tokens: int, thinking_tokens: int, cache_read: int,
              cache_write: int) -> Usage:
        """One call's usage with its cost. `output_tokens` is what the API reports (thinking included)."""
        thinking = min(thinking_tokens, output_tokens)
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens - thinking,
            thinking_tokens=thinking,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            calls=1,
        )
        return Usage(**{**usage.as_dict(), "cost_usd": self.cost(usage)})


SONNET = Prices(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30)
OPUS_4 = Prices(input=15.0, output=75.0, cache_write=18.75, cache_read=1.50)
OPUS_45 = Prices(input=5.0, output=25.0, cache_write=6.25, cache_read=0.50)
HAIKU_45 = Prices(input=1.0, output=5.0, cache_write=1.25, cache_read=0.10)

# Newest first: the first prefix that matches a model id wins.
_KNOWN: tuple[tuple[str, ThinkingMode, Prices, int], ...] = (
    ("claude-opus-4-6", "adaptive", OPUS_45, 128_000),
    ("claude-sonnet-4-6", "adaptive", SONNET, 64_000),
    ("claude-opus-4-5", "manual", OPUS_45, 64_000),
    ("claude-haiku-4-5", "manual", HAIKU_45, 64_000),
    ("claude-sonnet-4-5", "manual", SONNET, 64_000),
    ("claude-opus-4-1", "manual", OPUS_4, 32_000),
    ("claude-opus-4", "manual", OPUS_4, 32_000),
    ("claude-sonnet-4", "manual", SONNET, 64_000),
    ("claude-3-7-sonnet", "manual", SONNET, 64_000),
)
# Models newer than this table reject manual budgets; assume adaptive thinking, priced by family.
_FAMILY = {"opus": OPUS_45, "haiku": HAIKU_45, "sonnet": SONNET}


def profile_for(model: str) -> ModelProfile:
    """The profile of `model` (a dated id or an alias); unknown models get their family's defaults."""
    for prefix, thinking, prices, max_output in _KNOWN:
        if model.startswith(prefix):
            return ModelProfile(model, thinking, prices, max_output)
    prices = next((p for family, p in _FAMILY.items() if family in model), SONNET)
    return ModelProfile(model, "adaptive", prices, 64_000)

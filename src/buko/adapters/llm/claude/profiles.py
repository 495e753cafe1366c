"""The model catalogue: how each Claude model thinks, what it may output and what its tokens cost.

A model id is known when it is a catalogue name, that name with a date (`-20250514`) or `-latest`.
Anything else (a newer model, a typo) gets the safe choice: no thinking unless a budget is set,
the configured output ceiling, the prices given in settings (else its family's, as an estimate),
and a warning (`ModelProfile.warning`) that start-up and `buko doctor` show.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from buko.domain.books.usage import Usage

ThinkingMode = Literal["manual", "adaptive", "none"]
MIN_THINKING_BUDGET = 1024
# A thinking budget always leaves this much of max_tokens for the text itself.
MIN_TEXT_TOKENS = 1024
_DATED = re.compile(r"^(?P<base>.+?)(?:-\d{8}|-latest)?$")


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens. Cache writes are the 5-minute kind."""

    input: float
    output: float
    cache_write: float
    cache_read: float

    @classmethod
    def parse(cls, text: str) -> Prices:
        """'input,output[,cache_write,cache_read]' in dollars per million tokens; cache prices
        default to the API's multiples of the input price (1.25 and 0.1)."""
        try:
            values = [float(v) for v in text.split(",")]
        except ValueError:
            raise ValueError(f"prices must be numbers separated by commas, got {text!r}") from None
        if len(values) not in (2, 4) or any(v < 0 for v in values):
            raise ValueError("give 2 or 4 non-negative prices in dollars per million tokens: "
                             f"input,output[,cache_write,cache_read]; got {text!r}")
        if len(values) == 2:
            values += [round(values[0] * 1.25, 6), round(values[0] * 0.1, 6)]
        return cls(*values)


@dataclass(frozen=True)
class ModelProfile:
    """What Buko needs to know about one Claude model."""

    model: str
    thinking: ThinkingMode
    prices: Prices
    max_output: int
    known: bool = True
    warning: str = ""

    def thinking_param(self, budget: int, max_tokens: int) -> dict | None:
        """The `thinking` request field for a call whose max_tokens may be at most `max_tokens`,
        or None when thinking is off. A manual budget is always below max_tokens by at least
        MIN_TEXT_TOKENS (the API refuses budget >= max_tokens); squeezed under 1024, it is off."""
        if self.thinking == "adaptive":
            return {"type": "adaptive"}
        if self.thinking == "manual" and budget >= MIN_THINKING_BUDGET:
            fitted = min(budget, max_tokens - MIN_TEXT_TOKENS)
            if fitted >= MIN_THINKING_BUDGET:
                return {"type": "enabled", "budget_tokens": fitted}
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
HAIKU_35 = Prices(input=0.80, output=4.0, cache_write=1.0, cache_read=0.08)
HAIKU_3 = Prices(input=0.25, output=1.25, cache_write=0.30, cache_read=0.03)

# name: (thinking mode, prices, output ceiling). Models before 3.7 do not think; 4.6 thinks adaptively.
CATALOGUE: dict[str, tuple[ThinkingMode, Prices, int]] = {
    "claude-opus-4-6": ("adaptive", OPUS_45, 128_000),
    "claude-sonnet-4-6": ("adaptive", SONNET, 64_000),
    "claude-opus-4-5": ("manual", OPUS_45, 64_000),
    "claude-haiku-4-5": ("manual", HAIKU_45, 64_000),
    "claude-sonnet-4-5": ("manual", SONNET, 64_000),
    "claude-opus-4-1": ("manual", OPUS_4, 32_000),
    "claude-opus-4-0": ("manual", OPUS_4, 32_000),
    "claude-opus-4": ("manual", OPUS_4, 32_000),
    "claude-sonnet-4-0": ("manual", SONNET, 64_000),
    "claude-sonnet-4": ("manual", SONNET, 64_000),
    "claude-3-7-sonnet": ("manual", SONNET, 64_000),
    "claude-3-5-sonnet": ("none", SONNET, 8_192),
    "claude-3-5-haiku": ("none", HAIKU_35, 8_192),
    "claude-3-haiku": ("none", HAIKU_3, 4_096),
    "claude-3-opus": ("none", OPUS_4, 4_096),
}
_FAMILY = {"opus": OPUS_45, "haiku": HAIKU_45, "sonnet": SONNET}


def profile_for(model: str, prices: Prices | None = None, max_tokens: int = 64_000,
                thinking_budget: int = 0) -> ModelProfile:
    """The profile of `model` (a catalogue name, dated or `-latest`); `prices` overrides the
    catalogue's. An unknown model thinks only with a manual budget, may output `max_tokens`, and
    carries a warning."""
    base = _DATED.match(model).group("base")
    if base in CATALOGUE:
        thinking, listed, ceiling = CATALOGUE[base]
        profile = ModelProfile(model, thinking, prices or listed, ceiling)
        if thinking == "none" and thinking_budget:
            profile = replace(profile, warning=f"model {model} cannot think: CLAUDE_THINKING_BUDGET is ignored")
        return profile
    family = next((f for f in _FAMILY if f in model), "sonnet")
    priced = ("prices from CLAUDE_PRICES" if prices else
              f"costs are estimated at {family} prices (set CLAUDE_PRICES=input,output[,cache_write,cache_read])")
    thinks = (f"thinking with a budget of {thinking_budget} tokens" if thinking_budget
              else "no thinking (set CLAUDE_THINKING_BUDGET to ask for it)")
    warning = (f"unknown model {model!r} (not in Buko's catalogue; check the name): {thinks}, "
               f"output ceiling CLAUDE_MAX_TOKENS={max_tokens}, {priced}")
    return ModelProfile(model, "manual", prices or _FAMILY[family], max_tokens, known=False, warning=warning)

"""The model catalogue: thinking mode, output ceiling and prices per model; unknown models are safe."""
import itertools

import pytest
from pydantic import ValidationError

from buko.adapters.llm.claude.chunk_writer import ChunkWriter, WritingOptions
from buko.adapters.llm.claude.client import profile_from_settings
from buko.adapters.llm.claude.profiles import MIN_TEXT_TOKENS, Prices, profile_for
from buko.config import Settings
from buko.domain.books.usage import Usage


def test_sonnet_4_takes_a_manual_budget_always_below_max_tokens():
    profile = profile_for("claude-sonnet-4-20250514")
    assert profile.thinking == "manual" and profile.known and not profile.warning
    assert profile.thinking_param(0, 8000) is None
    assert profile.thinking_param(500, 8000) is None  # below the API minimum: off
    assert profile.thinking_param(4096, 8000) == {"type": "enabled", "budget_tokens": 4096}
    assert profile.thinking_param(9000, 8000) == {"type": "enabled", "budget_tokens": 8000 - MIN_TEXT_TOKENS}
    assert profile.thinking_param(4096, 2000) is None  # no room for a 1024 budget and the text


def test_dated_ids_aliases_and_latest_are_known_but_typos_are_not():
    assert profile_for("claude-opus-4-1-20250805").max_output == 32_000
    assert profile_for("claude-sonnet-4-5").known and profile_for("claude-3-5-haiku-latest").known
    for typo in ("claude-sonet-4-20250514", "claude-sonnet-4-2025051", "claude-sonnet-4-x", "claude-opus-9"):
        assert not profile_for(typo).known, typo


def test_older_models_get_their_own_prices_and_no_thinking():
    haiku = profile_for("claude-3-5-haiku-20241022")
    assert (haiku.prices.input, haiku.prices.output, haiku.thinking, haiku.max_output) == (0.80, 4.0, "none", 8_192)
    assert haiku.thinking_param(4096, 8000) is None
    assert profile_for("claude-3-5-haiku-20241022", thinking_budget=2048).warning  # the budget is ignored: said
    assert profile_for("claude-sonnet-4-6").thinking_param(0, 8000) == {"type": "adaptive"}


def test_unknown_models_think_only_with_a_budget_and_warn():
    future = profile_for("claude-opus-9", max_tokens=32_000)
    assert future.thinking_param(0, 8000) is None  # never adaptive: older models reject it
    assert future.thinking_param(2048, 8000) == {"type": "enabled", "budget_tokens": 2048}
    assert future.max_output == 32_000 and future.prices.input == 5.0
    assert "unknown model 'claude-opus-9'" in future.warning and "CLAUDE_PRICES" in future.warning


def test_prices_come_from_settings_for_any_model():
    settings = Settings(claude_model="claude-next-1", claude_prices="2,10")
    profile = profile_from_settings(settings)
    assert profile.prices == Prices(2.0, 10.0, 2.5, 0.2) and "prices from CLAUDE_PRICES" in profile.warning
    assert profile.cost(Usage(input_tokens=1_000_000, output_tokens=1_000_000)) == pytest.approx(12.0)
    assert Prices.parse("1,2,3,4") == Prices(1, 2, 3, 4)


@pytest.mark.parametrize("env, message", [
    ({"CLAUDE_THINKING_BUDGET": "500"}, "CLAUDE_THINKING_BUDGET must be 0 (thinking off) or at least 1024"),
    ({"CLAUDE_THINKING_BUDGET": "1"}, "at least 1024 tokens, not 1"),
    ({"CLAUDE_PRICES": "cheap"}, "CLAUDE_PRICES must be 2 or 4 non-negative numbers"),
    ({"CLAUDE_PRICES": "1,2,3"}, "CLAUDE_PRICES must be 2 or 4"),
])
def test_bad_claude_settings_are_refused_at_start_up(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings()


class _Streamer:
    def __init__(self, profile):
        self.profile = profile


def test_no_request_ever_has_a_budget_at_or_above_max_tokens():
    models = ["claude-sonnet-4-20250514", "claude-opus-4-1", "claude-3-7-sonnet-latest", "claude-haiku-4-5",
              "claude-unknown-7"]
    sent = 0
    for model, max_tokens, budget, words in itertools.product(
            models, [256, 1024, 2048, 4096, 8192, 32_000, 64_000, 200_000],
            [0, 1024, 4096, 31_999, 32_000, 64_000, 100_000], [50, 600, 2500, 20_000]):
        profile = profile_for(model, max_tokens=max_tokens, thinking_budget=budget)
        writer = ChunkWriter(_Streamer(profile), None, WritingOptions(max_tokens=max_tokens, thinking_budget=budget))
        params = writer._params(None, [], [], words)
        assert params["max_tokens"] <= min(max_tokens, profile.max_output)
        thinking = params.get("thinking")
        if thinking:
            sent += 1
            assert thinking["type"] == "enabled"
            assert 1024 <= thinking["budget_tokens"] < params["max_tokens"], (model, max_tokens, budget, words)
    assert sent > 300  # thinking was on in most combinations, so the bound was really exercised


def test_cost_prices_every_kind_of_token():
    profile = profile_for("claude-sonnet-4-20250514")
    usage = profile.usage(input_tokens=1_000_000, output_tokens=1_000_000, thinking_tokens=200_000,
                          cache_read=1_000_000, cache_write=1_000_000)
    assert usage.output_tokens == 800_000 and usage.thinking_tokens == 200_000 and usage.calls == 1
    assert usage.cost_usd == pytest.approx(3 + 15 + 0.30 + 3.75)
    assert profile.cost(Usage(output_tokens=1000, thinking_tokens=1000)) == pytest.approx(0.03)


def test_thinking_estimate_never_exceeds_reported_output():
    usage = profile_for("claude-haiku-4-5").usage(10, 50, 80, 0, 0)
    assert usage.thinking_tokens == 50 and usage.output_tokens == 0

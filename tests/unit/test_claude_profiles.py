"""Model profiles: thinking mode per model and the price table."""
import pytest

from buko.adapters.llm.claude.profiles import profile_for
from buko.domain.books.usage import Usage


def test_sonnet_4_takes_a_manual_budget_below_max_tokens():
    profile = profile_for("claude-sonnet-4-20250514")
    assert profile.thinking == "manual"
    assert profile.thinking_param(0, 8000) is None
    assert profile.thinking_param(500, 8000) is None  # below the API minimum: off
    assert profile.thinking_param(4096, 8000) == {"type": "enabled", "budget_tokens": 4096}
    assert profile.thinking_param(9000, 8000) == {"type": "enabled", "budget_tokens": 7999}


def test_newer_and_unknown_models_think_adaptively():
    assert profile_for("claude-sonnet-4-6").thinking_param(0, 8000) == {"type": "adaptive"}
    future = profile_for("claude-opus-9")
    assert future.thinking == "adaptive" and future.prices.input == 5.0


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

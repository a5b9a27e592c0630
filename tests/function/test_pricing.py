"""Cost per answer: the shipped table, its replacement from the environment, and model ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stream_chat.accounting.pricing import DEFAULT_PRICES, Prices, price_of
from stream_chat.answer.relay import UsageTally
from stream_chat.protocol.frames import Usage
from stream_chat.providers.events import UsageUpdate
from stream_chat.settings import (
    DEFAULT_BEDROCK_MODEL,
    DEFAULT_MODEL,
    ENV,
    Settings,
    SettingsError,
)

SONNET = DEFAULT_PRICES["claude-sonnet-4-6"]


def test_the_shipped_table_has_the_published_prices_per_million_tokens() -> None:
    assert Prices(input=3, output=15, cache_write=3.75, cache_read=0.30) == SONNET
    assert DEFAULT_PRICES["claude-haiku-4-5"] == Prices(1, 5, 1.25, 0.10)
    for prices in DEFAULT_PRICES.values():  # as published: writes 1.25× input, output 5×
        assert prices.cache_write == pytest.approx(prices.input * 1.25)
        assert prices.output == pytest.approx(prices.input * 5)


def test_cost_counts_every_kind_of_token_to_the_micro_dollar() -> None:
    usage = Usage(
        input_tokens=1_234,
        output_tokens=567,
        cache_creation_input_tokens=2_000,
        cache_read_input_tokens=10_000,
    )
    # 1234 × 3 + 567 × 15 + 2000 × 3.75 + 10000 × 0.30 = 3702 + 8505 + 7500 + 3000 micro-dollars
    assert SONNET.cost(usage) == 0.022707
    assert DEFAULT_PRICES["claude-haiku-4-5"].cost(usage) == 0.007569
    assert SONNET.cost(Usage(1, 0)) == 0.000003
    assert SONNET.cost(Usage(0, 0)) == 0.0


def test_web_searches_cost_ten_dollars_per_thousand_and_fetches_nothing_more() -> None:
    assert SONNET.cost(Usage(0, 0, web_search_requests=3)) == 0.03
    assert SONNET.cost(Usage(1_000, 100, web_search_requests=1)) == 0.0145  # 0.003 + 0.0015 + 0.01
    assert SONNET.cost(Usage(0, 0, web_fetch_requests=5)) == 0.0


@pytest.mark.parametrize(
    "model",
    [
        "claude-sonnet-4-6",
        "anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-sonnet-4-6",
        "global.anthropic.claude-sonnet-4-6",
        "eu.anthropic.claude-sonnet-4-6-v1:0",
        "apac.anthropic.claude-sonnet-4-6-20260217-v1:0",
    ],
)
def test_bedrock_and_dated_ids_resolve_to_the_base_model(model: str) -> None:
    assert price_of(DEFAULT_PRICES, model) is SONNET


def test_haiku_ids_in_every_spelling() -> None:
    haiku = DEFAULT_PRICES["claude-haiku-4-5"]
    assert price_of(DEFAULT_PRICES, "claude-haiku-4-5-20251001") is haiku
    assert price_of(DEFAULT_PRICES, "us.anthropic.claude-haiku-4-5-20251001-v1:0") is haiku


def test_every_model_a_deployment_offers_by_default_has_a_price() -> None:
    # The page's picker offers each allowed model: an answer from any of them shows its cost.
    context = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]
    offered = [*context["stream-chat:allowed_models"], context["stream-chat:model"]]
    for model in [*offered, DEFAULT_MODEL, DEFAULT_BEDROCK_MODEL]:
        assert price_of(DEFAULT_PRICES, model) is not None, model


def test_an_exact_entry_wins_and_an_unknown_model_has_no_price() -> None:
    bedrock = Prices(3.3, 16.5, 4.125, 0.33)
    table = {**DEFAULT_PRICES, "us.anthropic.claude-sonnet-4-6": bedrock}
    assert price_of(table, "us.anthropic.claude-sonnet-4-6") is bedrock
    assert price_of(table, "claude-sonnet-4-6") is SONNET
    for unknown in ("demo", "claude-sonnet-9", "gpt-4o", "anthropic.", ""):
        assert price_of(DEFAULT_PRICES, unknown) is None


def test_the_environment_replaces_the_whole_table() -> None:
    raw = json.dumps(
        {"claude-sonnet-4-6": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}}
    )
    settings = Settings.from_env({ENV["prices"]: raw})
    assert dict(settings.prices) == {"claude-sonnet-4-6": SONNET}
    assert price_of(settings.prices, "claude-haiku-4-5") is None
    assert Settings.from_env({}).prices == DEFAULT_PRICES


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not JSON"),
        ("[]", "expected"),
        ("{}", "expected"),
        ('{"m": {"input": 1, "output": 2}}', "m: expected exactly the keys"),
        ('{"m": {"input": 1, "output": 2, "cache_write": 1, "cache_read": -1}}', "m.cache_read"),
        ('{"m": {"input": "1", "output": 2, "cache_write": 1, "cache_read": 1}}', "m.input"),
        ('{"m": {"input": true, "output": 2, "cache_write": 1, "cache_read": 1}}', "m.input"),
    ],
)
def test_a_bad_price_table_is_refused_naming_the_variable(raw: str, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({ENV["prices"]: raw})
    assert "STREAM_CHAT_PRICES_JSON" in str(error.value) and message in str(error.value)


def test_the_usage_frame_carries_the_cost_of_its_counts_estimated_or_not() -> None:
    tally = UsageTally(max_tokens=100, reported=UsageUpdate(input_tokens=10), chars=8)
    assert tally.frame(SONNET) == Usage(10, 2, estimated=True, cost_usd=0.00006)
    assert tally.frame(None) == Usage(10, 2, estimated=True)  # no price: no cost, never a guess
    tally.add(UsageUpdate(output_tokens=3))
    tally.final = True
    assert tally.frame(SONNET) == Usage(10, 3, cost_usd=0.000075)


def test_log_content_is_off_unless_switched_on() -> None:
    assert Settings.from_env({}).log_content is False
    assert Settings.from_env({ENV["log_content"]: "true"}).log_content is True
    with pytest.raises(SettingsError, match="STREAM_CHAT_LOG_CONTENT"):
        Settings.from_env({ENV["log_content"]: "sometimes"})

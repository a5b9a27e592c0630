"""What an answer costs: a price table per model and the cost of one ``usage`` frame.

Prices are USD per million tokens, as published on the model pages of the Claude API docs
(https://platform.claude.com/docs/en/about-claude/pricing and each model's overview page),
checked on 2026-11-29. ``cache_write`` is the 5-minute cache-write price: the function never
asks for the 1-hour cache. Models whose price depends on the prompt's length, and models whose
published prices disagreed between pages on that date, are left out on purpose: an unknown model
gets no ``cost_usd`` rather than a wrong one. ``STREAM_CHAT_PRICES_JSON`` replaces the whole
table, e.g. ``{"claude-sonnet-4-6": {"input": 3, "output": 15, "cache_write": 3.75,
"cache_read": 0.3}}``.

Bedrock model ids (``anthropic.claude-haiku-4-5-20251001-v1:0``, with a ``us.``/``eu.``/
``global.`` inference-profile prefix) and dated Anthropic ids resolve to the base model's price.
Bedrock's regional-endpoint surcharge is not modelled; list an exact id to price it differently.

Web search is billed per use, whatever the model: $10 per 1,000 searches
(https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool, "Usage and
pricing"). Web fetch has no charge of its own: the pages it reads are input tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from stream_chat.protocol.frames import Usage

PER_TOKENS = 1_000_000
WEB_SEARCH_USD = 10 / 1000  # per search
# Micro-dollars: finer than any single token's price, so nothing is rounded away.
DIGITS = 6

_PROFILE_PREFIX = re.compile(r"^(?:[a-z]{2,6}\.)?anthropic\.")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")
_DATE_SUFFIX = re.compile(r"-\d{8}$")


@dataclass(frozen=True)
class Prices:
    """USD per million tokens."""

    input: float
    output: float
    cache_write: float
    cache_read: float

    def cost(self, usage: Usage) -> float:
        """The cost of the token counts and searches in a ``usage`` frame, in USD."""
        total: float = (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + (usage.cache_creation_input_tokens or 0) * self.cache_write
            + (usage.cache_read_input_tokens or 0) * self.cache_read
        )
        searches = (usage.web_search_requests or 0) * WEB_SEARCH_USD
        return round(total / PER_TOKENS + searches, DIGITS)


PriceTable = Mapping[str, Prices]

DEFAULT_PRICES: PriceTable = {
    "claude-sonnet-4-6": Prices(input=3, output=15, cache_write=3.75, cache_read=0.30),
    "claude-haiku-4-5": Prices(input=1, output=5, cache_write=1.25, cache_read=0.10),
    "claude-opus-4-6": Prices(input=5, output=25, cache_write=6.25, cache_read=0.50),
    "claude-opus-5": Prices(input=5, output=25, cache_write=6.25, cache_read=0.50),
    "claude-opus-5-5": Prices(input=4, output=20, cache_write=5, cache_read=0.20),
    "claude-sonnet-5": Prices(input=2, output=10, cache_write=2.50, cache_read=0.20),
}


def price_of(table: PriceTable, model: str) -> Prices | None:
    """The model's prices: an exact entry first, else its base model's; None when unknown."""
    if model in table:
        return table[model]
    base = _DATE_SUFFIX.sub("", _BEDROCK_VERSION.sub("", _PROFILE_PREFIX.sub("", model)))
    return table.get(base)


def parse_prices(raw: str) -> PriceTable:
    """A table from JSON; raises ``ValueError`` naming the model and field at fault."""
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from exc
    if not isinstance(document, dict) or not document:
        raise ValueError('expected {"<model>": {"input": ..., "output": ..., ...}, ...}')
    return {str(model): _prices(str(model), entry) for model, entry in document.items()}


def _prices(model: str, entry: Any) -> Prices:
    names = [f.name for f in fields(Prices)]
    if not isinstance(entry, dict) or set(entry) != set(names):
        raise ValueError(f"{model}: expected exactly the keys {', '.join(names)}")
    for name in names:
        value = entry[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{model}.{name}: expected a price of 0 or more")
    return Prices(**{name: float(entry[name]) for name in names})

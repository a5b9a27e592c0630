"""What one message asks of the Messages API besides its text: extended thinking, the server
tools, and the room thinking needs in ``max_tokens``. Anthropic and Bedrock take the same
request body, so both providers build it here.

Thinking: ``{"type": "adaptive"}`` on Claude 4.6 and later (the only mode of the newest models,
where ``{"type": "enabled", "budget_tokens": N}`` is refused); ``enabled`` with a budget on the
earlier models, which know nothing else. ``display: "summarized"`` is sent by default because
the newest models otherwise return their thinking empty, and the page shows it.

Server tools: ``web_search_20250305`` and ``web_fetch_20250910`` are generally available and
need no beta header. Their later versions filter results by running code, whose blocks the
relay does not map, so the basic versions are sent. Bedrock offers neither: ``Settings``
refuses them there at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from anthropic import Omit, omit
from anthropic.types import (
    ThinkingConfigAdaptiveParam,
    ThinkingConfigEnabledParam,
    ThinkingConfigParam,
    ToolUnionParam,
    WebFetchTool20250910Param,
    WebSearchTool20250305Param,
)

from stream_chat.chat_request import ChatRequest
from stream_chat.settings import Settings

WEB_SEARCH_TOOL: Final = "web_search_20250305"
WEB_FETCH_TOOL: Final = "web_fetch_20250910"
# The models that think only with a fixed budget (Claude 3.7 to the 4.5 family), as Anthropic
# or Bedrock ids: a closed list, since every later model takes adaptive thinking.
BUDGET_ONLY_MODEL = re.compile(
    r"(?:^|\.)claude-(?:3-[a-z0-9-]+|(?:opus|sonnet|haiku)-4(?:-[015])?(?:-\d{8})?)"
    r"(?:-v\d+(?::\d+)?)?$"
)


@dataclass(frozen=True)
class MessageParams:
    """Keyword arguments of ``messages.create``; ``omit`` leaves a parameter out of the body."""

    max_tokens: int
    thinking: ThinkingConfigParam | Omit = omit
    tools: list[ToolUnionParam] | Omit = omit


def message_params(request: ChatRequest, settings: Settings) -> MessageParams:
    if not request.thinking:
        return MessageParams(request.max_tokens, tools=_tools(request, settings))
    # The budget comes on top of the answer's cap: asking for thinking never shortens the
    # answer, and the API's rule (budget below max_tokens) holds whatever the request says.
    return MessageParams(
        request.max_tokens + settings.thinking_budget_tokens,
        thinking_config(request.model, settings),
        _tools(request, settings),
    )


def thinking_config(model: str, settings: Settings) -> ThinkingConfigParam:
    mode = settings.thinking_mode
    if mode == "auto":
        mode = "budget" if BUDGET_ONLY_MODEL.search(model) else "adaptive"
    config: ThinkingConfigEnabledParam | ThinkingConfigAdaptiveParam = (
        {"type": "enabled", "budget_tokens": settings.thinking_budget_tokens}
        if mode == "budget"
        else {"type": "adaptive"}
    )
    # "default" sends no display: the model's own, for an endpoint that refuses the field.
    if settings.thinking_display != "default":
        config["display"] = settings.thinking_display
    return config


def server_tools(settings: Settings) -> list[ToolUnionParam]:
    """The server tools the deployment offers, with their limits."""
    tools: list[ToolUnionParam] = []
    if settings.web_search:
        search: WebSearchTool20250305Param = {
            "type": WEB_SEARCH_TOOL,
            "name": "web_search",
            "max_uses": settings.web_search_max_uses,
        }
        if settings.web_search_allowed_domains:
            search["allowed_domains"] = list(settings.web_search_allowed_domains)
        tools.append(search)
    if settings.web_fetch:
        fetch: WebFetchTool20250910Param = {
            "type": WEB_FETCH_TOOL,
            "name": "web_fetch",
            "max_uses": settings.web_fetch_max_uses,
            "max_content_tokens": settings.web_fetch_max_content_tokens,
        }
        if settings.web_fetch_allowed_domains:
            fetch["allowed_domains"] = list(settings.web_fetch_allowed_domains)
        tools.append(fetch)
    return tools


def _tools(request: ChatRequest, settings: Settings) -> list[ToolUnionParam] | Omit:
    return server_tools(settings) if request.search else omit

"""An offline model: a realistic Markdown answer about the user's message, streamed word by word.

It lets the product run with no key and no network, and exercises the same relay as the real
provider (pacing, usage, stop reason, abort). A message that asks for thinking or search gets a
short thinking and a pretend web search with one cited source (``example.com``), so the page's
thinking section, search step and sources can be seen without a key.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.providers.events import (
    Citation,
    MessageEnd,
    ProviderEvent,
    Source,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolResult,
    UsageUpdate,
)

MODEL_LABEL = "demo"

_ANSWER = """\
## About "{topic}"

This answer comes from the **built-in demo model**: no API key is configured, so stream-chat \
is streaming a canned response, token by token, through exactly the same path a real model \
would take.

Here is what happened to your message:

1. The page sent it as JSON to `POST /api/chat/stream`, with a SHA-256 hash of the body.
2. The function validated it before sending a single byte back.
3. The answer streams as server-sent events: `start`, many `text` frames, `usage`, `done`.

> Streaming fixes *perceived* latency: the first words arrive long before the last.

A short example of reading the stream from Python:

```python
for line in response.iter_lines():
    if line.startswith("data: "):
        print(line[6:])
```

To talk to Claude instead, set `ANTHROPIC_API_KEY` and restart `make dev`. \
You asked about: *{topic}*. Press **Stop** at any time to cancel the answer.
"""
_THINKING = (
    "The user asked about {topic}. This is the demo model, so there is no real reasoning "
    "to do, but a short plan helps the page show its thinking section: restate the question, "
    "look for one source, then answer in a few paragraphs."
)
_SOURCE = Source("https://example.com/stream-chat-demo", "Example Domain: a demo source")
_CITED = "This domain is for use in documentation examples without needing permission."


def _steps(topic: str, thinking: bool, search: bool) -> list[ProviderEvent]:
    """The thinking and search a message asked for, before the answer's text."""
    steps: list[ProviderEvent] = []
    if thinking:
        steps += [ThinkingDelta(t) for t in re.findall(r"\S+\s*", _THINKING.format(topic=topic))]
    if search:
        steps += [
            TextDelta("Let me look that up. "),
            ToolCall("srvtoolu_demo", "web_search", {"query": topic}),
            ToolResult("srvtoolu_demo", results=(_SOURCE,)),
            Citation(_SOURCE.url, _SOURCE.title, _CITED),
            TextDelta("Example pages like this one exist for demonstrations. "),
        ]
    return steps


class DemoProvider:
    def __init__(self, token_delay_s: float, seed: int | None = None) -> None:
        self._delay = token_delay_s
        self._seed = seed

    def model_label(self, request: ChatRequest) -> str:
        return MODEL_LABEL

    def open(
        self, request: ChatRequest, deadline: Deadline, paused: Sequence[dict[str, Any]] = ()
    ) -> DemoStream:
        """The demo's answer; it never pauses a turn, so ``paused`` is never given."""
        # A message may be files alone: the demo cannot read them, only say what it was given.
        texts = request.messages[-1].texts
        topic = _topic(texts[-1]) if texts else f"{len(request.messages[-1].attachments)} files"
        input_tokens = sum(len(t) for m in request.messages for t in m.texts) // 4 + 1
        return DemoStream(
            _steps(topic, request.thinking, request.search),
            _ANSWER.format(topic=topic),
            input_tokens=input_tokens,
            max_tokens=request.max_tokens,
            delay_s=self._delay,
            rng=random.Random(self._seed),  # noqa: S311  # pacing, not secrets
        )


class DemoStream:
    request_id: str | None = None

    def __init__(
        self,
        steps: list[ProviderEvent],
        answer: str,
        *,
        input_tokens: int,
        max_tokens: int,
        delay_s: float,
        rng: random.Random,
    ) -> None:
        self._steps = steps
        self._tokens = re.findall(r"\s*\S+|\s+", answer)
        self._input_tokens = input_tokens
        self._max_tokens = max_tokens
        self._delay = delay_s
        self._rng = rng
        self._aborted = threading.Event()

    def __iter__(self) -> Iterator[ProviderEvent]:
        yield UsageUpdate(input_tokens=self._input_tokens, output_tokens=1)
        for step in self._steps:
            if self._aborted.wait(self._delay * self._rng.uniform(0.5, 1.5)):
                return
            yield step
        sent = 0
        for token in self._tokens[: self._max_tokens]:
            # Jittered pacing, like a real model; an abort ends the wait at once.
            if self._aborted.wait(self._delay * self._rng.uniform(0.5, 1.5)):
                return
            yield TextDelta(token)
            sent += 1
        searches = int(any(isinstance(step, ToolCall) for step in self._steps))
        yield UsageUpdate(
            input_tokens=self._input_tokens,
            output_tokens=sent + len(self._steps),
            web_search_requests=searches or None,
        )
        yield MessageEnd("max_tokens" if sent < len(self._tokens) else "end_turn")

    def content(self) -> list[dict[str, Any]]:
        return []  # never asked for: the demo's turns do not pause

    def abort(self) -> None:
        self._aborted.set()

    def close(self) -> None:
        self._aborted.set()


def _topic(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 60 else words[:57].rstrip() + "…"

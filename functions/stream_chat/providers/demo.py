"""An offline model: a realistic Markdown answer about the user's message, streamed word by word.

It lets the product run with no key and no network, and exercises the same relay as the real
provider (pacing, usage, stop reason, abort).
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator

from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.providers.events import MessageEnd, ProviderEvent, TextDelta, UsageUpdate

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


class DemoProvider:
    def __init__(self, token_delay_s: float, seed: int | None = None) -> None:
        self._delay = token_delay_s
        self._seed = seed

    def model_label(self, request: ChatRequest) -> str:
        return MODEL_LABEL

    def open(self, request: ChatRequest, deadline: Deadline) -> DemoStream:
        topic = _topic(request.messages[-1].texts[-1])
        input_tokens = sum(len(t) for m in request.messages for t in m.texts) // 4 + 1
        return DemoStream(
            _ANSWER.format(topic=topic),
            input_tokens,
            request.max_tokens,
            self._delay,
            random.Random(self._seed),  # noqa: S311  # pacing, not secrets
        )


class DemoStream:
    request_id: str | None = None

    def __init__(
        self, answer: str, input_tokens: int, max_tokens: int, delay_s: float, rng: random.Random
    ) -> None:
        self._tokens = re.findall(r"\s*\S+|\s+", answer)
        self._input_tokens = input_tokens
        self._max_tokens = max_tokens
        self._delay = delay_s
        self._rng = rng
        self._aborted = threading.Event()

    def __iter__(self) -> Iterator[ProviderEvent]:
        yield UsageUpdate(input_tokens=self._input_tokens, output_tokens=1)
        sent = 0
        for token in self._tokens[: self._max_tokens]:
            # Jittered pacing, like a real model; an abort ends the wait at once.
            if self._aborted.wait(self._delay * self._rng.uniform(0.5, 1.5)):
                return
            yield TextDelta(token)
            sent += 1
        yield UsageUpdate(input_tokens=self._input_tokens, output_tokens=sent)
        yield MessageEnd("max_tokens" if sent < len(self._tokens) else "end_turn")

    def abort(self) -> None:
        self._aborted.set()

    def close(self) -> None:
        self._aborted.set()


def _topic(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 60 else words[:57].rstrip() + "…"

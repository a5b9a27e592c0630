"""A turn the model paused (``pause_turn``), continued in the same answer.

A server tool's turn may pause before it is complete; the answer continues it with a new call
that carries the turn's content so far as the assistant's message. The page sees one answer: the
calls' usage is summed here into the one cumulative count the relay expects, and only the last
call's stop reason reaches it.
"""

from __future__ import annotations

from dataclasses import fields, replace

from stream_chat.chat_request import ChatRequest
from stream_chat.providers.events import UsageUpdate

MAX_CONTINUATIONS = 3
# A continuation needs at least this long left before the deadline, or it could not answer.
CONTINUE_FLOOR_S = 1.0


def output_cap(request: ChatRequest, thinking_budget_tokens: int) -> int:
    """The most output tokens an answer can bill: each call's cap (the thinking budget comes on
    top of the answer's, as ``message_params`` asks) times the calls a paused turn may take."""
    per_call = request.max_tokens + (thinking_budget_tokens if request.thinking else 0)
    return per_call * (1 + MAX_CONTINUATIONS if request.search else 1)


class SummedUsage:
    """The usage of a turn's calls, each reported cumulatively by its own call, added up."""

    def __init__(self) -> None:
        self._before = UsageUpdate()  # the sum of the calls that ended
        self._current = UsageUpdate()  # the call in progress, as last reported

    def add(self, update: UsageUpdate) -> UsageUpdate:
        """The turn's totals once the call in progress reported ``update``."""
        newer = {
            f.name: value
            for f in fields(UsageUpdate)
            if (value := getattr(update, f.name)) is not None
        }
        self._current = replace(self._current, **newer)
        return _sum(self._before, self._current)

    def next_call(self) -> None:
        self._before, self._current = _sum(self._before, self._current), UsageUpdate()


def _sum(first: UsageUpdate, second: UsageUpdate) -> UsageUpdate:
    counts: dict[str, int | None] = {}
    for f in fields(UsageUpdate):
        a, b = getattr(first, f.name), getattr(second, f.name)
        counts[f.name] = None if a is None and b is None else (a or 0) + (b or 0)
    return UsageUpdate(**counts)

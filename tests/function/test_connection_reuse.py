"""Answers on a warm instance share one pooled upstream connection; an aborted one is dropped.

Connections are counted where they are accepted, at the fake server, through the real SDK.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import httpcore2._sync.http11
import pytest

from stream_chat.providers.abortable_http import KEEPALIVE_EXPIRY_S
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.function.answers import LONG, Answer, assert_cancelled, cancel
from tests.function.conftest import build_function


def test_five_answers_in_a_row_use_one_connection(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(settings)
    for _ in range(5):
        fake_anthropic.enqueue(Reply())
        assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert len(fake_anthropic.streams) == 5
    assert all(fake_anthropic.wait_for_end(n, timeout=5).completed for n in range(5))
    assert fake_anthropic.connections == 1


def test_a_question_asked_a_while_later_still_reuses_the_connection(
    fake_anthropic: FakeAnthropic, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pool's idle clock is moved on instead of sleeping: a reader's pause, then a long one.
    idle = SimpleNamespace(offset=0.0)
    clock = SimpleNamespace(monotonic=lambda: time.monotonic() + idle.offset)
    monkeypatch.setattr(httpcore2._sync.http11, "time", clock)
    function = build_function(settings)
    for pause_s in (0.0, 30.0, KEEPALIVE_EXPIRY_S + 1):
        idle.offset += pause_s
        fake_anthropic.enqueue(Reply())
        assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}
    first, after_a_pause, after_a_long_pause = fake_anthropic.streams
    assert after_a_pause.connection == first.connection  # httpx's default would have dropped it
    assert after_a_long_pause.connection != first.connection  # expired: a fresh one
    assert fake_anthropic.connections == 2


def test_over_tls_too(tls_anthropic: FakeAnthropic, settings: Settings) -> None:
    function = build_function(settings)
    for _ in range(3):
        tls_anthropic.enqueue(Reply())
        assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert tls_anthropic.connections == 1


def test_after_a_cancel_the_next_answer_opens_a_fresh_connection(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(settings)
    fake_anthropic.enqueue(Reply(), LONG, Reply(), Reply())
    Answer(function).finish()
    cancelled = Answer(function)
    cancelled.read(3)
    cancel(settings, cancelled.stream_id)
    assert_cancelled(cancelled.finish())
    fake_anthropic.wait_for_close(1, timeout=5)
    for _ in range(2):
        assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}
    first, aborted, fresh, again = fake_anthropic.streams
    assert aborted.connection == first.connection  # the pooled connection carried the cancel
    assert fresh.connection != aborted.connection  # which was dropped, not reused
    assert again.connection == fresh.connection
    assert fake_anthropic.connections == 2

"""The SDK's HTTP client: an attempt's sockets are shut down by ``abort()`` from another thread.

Driven with plain ``httpx2`` requests against the fake server, so each moment is exact.
"""

from __future__ import annotations

import json
import threading
import time

import httpx2
import pytest

from stream_chat.providers.abortable_http import Attempt, abortable_client
from tests.fakes.anthropic_server import FakeAnthropic, Reply

BODY = {
    "model": "m",
    "max_tokens": 5,
    "stream": True,
    "messages": [{"role": "user", "content": "Hi"}],
}


def post(client: httpx2.Client, fake: FakeAnthropic) -> httpx2.Response:
    response = client.post(fake.base_url + "/v1/messages", content=json.dumps(BODY), timeout=30)
    response.read()
    return response


def test_an_aborted_attempt_opens_no_connection(fake_anthropic: FakeAnthropic) -> None:
    client, attempt = abortable_client(), Attempt()
    attempt.abort()
    with attempt.running(), pytest.raises(httpx2.ConnectError):
        post(client, fake_anthropic)
    assert fake_anthropic.connections == 0


def test_an_aborted_attempt_sends_nothing_on_a_pooled_connection(
    fake_anthropic: FakeAnthropic,
) -> None:
    client = abortable_client()
    with Attempt().running():
        post(client, fake_anthropic)
    attempt = Attempt()
    attempt.abort()
    started = time.monotonic()
    with attempt.running(), pytest.raises(httpx2.TransportError):
        post(client, fake_anthropic)
    assert time.monotonic() - started < 5  # no read left waiting for a response never asked for
    assert len(fake_anthropic.requests) == 1


def test_abort_wakes_a_read_blocked_before_the_response_head(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.enqueue(Reply(fault="no_head"))
    client, attempt = abortable_client(), Attempt()
    failed = threading.Event()

    def request() -> None:
        with attempt.running(), pytest.raises(httpx2.TransportError):
            post(client, fake_anthropic)
        failed.set()

    threading.Thread(target=request, daemon=True).start()
    record = fake_anthropic.wait_for_stream(0, timeout=5)
    aborted_at = time.time()
    attempt.abort()
    assert failed.wait(5)
    assert record.closed.wait(5) and record.client_closed
    assert record.closed_at is not None and record.closed_at - aborted_at < 1.0


def test_a_released_attempt_leaves_its_pooled_connection_alone(
    fake_anthropic: FakeAnthropic,
) -> None:
    client, attempt = abortable_client(), Attempt()
    with attempt.running():
        post(client, fake_anthropic)
    attempt.release()
    attempt.abort()
    with Attempt().running():
        assert post(client, fake_anthropic).status_code == 200
    assert fake_anthropic.connections == 1

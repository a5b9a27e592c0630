"""The page streams an answer as it is generated, and a Stop really stops the upstream request."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.chat_page import EMPTY_BODY_SHA256, answer, expect_status, send, text_of
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import ServeProcess

pytestmark = pytest.mark.browser

# Cancels are polled every 0.25 s by default; the rest is slack for a shared CI machine.
UPSTREAM_CLOSE_BOUND_S = 3.0


def slow_reply(pieces: int = 200) -> Reply:
    return Reply(texts=[f"tick{i} " for i in range(pieces)], delay_s=0.1)


def test_text_appears_before_the_upstream_finishes(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=[f"word{i} " for i in range(12)], delay_s=0.25)
    index = len(fake.streams)
    turn = send(page, "Hello")

    expect(answer(turn)).to_contain_text("word1")
    record = fake.streams[index]
    assert record.closed_at is None and not record.completed, "the upstream is still generating"
    assert "word11" not in answer(turn).inner_text()

    expect_status(turn, "done")
    expect(answer(turn)).to_contain_text("word11")
    turn.locator(".stats").click()
    expect(turn.locator(".stats-list")).to_contain_text("First token")
    # The usage frame's cost: 12 input and 12 output tokens of claude-sonnet-4-6 at $3 / $15.
    expect(turn.locator(".stats-list")).to_contain_text("12 tokens")
    expect(turn.locator(".stats-list")).to_contain_text("$0.00022")
    assert text_of(fake.requests[-1]["messages"][-1]) == "Hello"


@pytest.mark.parametrize("how", ["button", "escape"])
def test_stop_cancels_the_upstream_request(page: Page, fake: FakeAnthropic, how: str) -> None:
    fake.default = slow_reply()
    cancels: list[Request] = []
    page.on("request", lambda r: cancels.append(r) if r.url.endswith("/cancel") else None)
    index = len(fake.streams)
    turn = send(page, "Count slowly")
    expect(answer(turn)).to_contain_text("tick1")

    stopped_at = time.time()
    if how == "button":
        page.get_by_role("button", name="Stop").click()
    else:
        page.keyboard.press("Escape")

    expect_status(turn, "stopped")
    fake.wait_for_close(index, timeout=10)
    record = fake.streams[index]
    assert record.client_closed and not record.completed
    assert record.closed_at is not None
    assert record.closed_at - stopped_at < UPSTREAM_CLOSE_BOUND_S
    assert record.deltas_sent < 200
    assert [r.method for r in cancels] == ["POST"]
    assert cancels[0].headers["x-amz-content-sha256"] == EMPTY_BODY_SHA256
    cancel_response = cancels[0].response()
    assert cancel_response is not None and cancel_response.status == 202
    expect(answer(turn)).to_contain_text("tick1")
    expect(turn.get_by_role("button", name="Regenerate", exact=True)).to_be_visible()
    expect(turn.get_by_role("button", name="Continue", exact=True)).to_be_visible()
    expect(page.locator("#stop")).to_be_hidden()
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()
    expect(page.locator("#announcer")).to_have_text("Answer stopped")


def test_send_becomes_stop_and_stop_sends_the_queued_message(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = slow_reply()
    sent = len(fake.requests)
    index = len(fake.streams)
    first = send(page, "First question")
    expect(answer(first)).to_contain_text("tick1")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible()

    # Enter does not stop the running answer: the new message is queued for its end.
    page.fill("#prompt", "Second question")
    page.press("#prompt", "Enter")
    queued = page.get_by_role("list", name="Queued messages").get_by_role("listitem")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("Second question")
    expect(page.locator("#prompt")).to_have_value("")
    page.wait_for_timeout(300)
    expect(page.locator(".turn")).to_have_count(1)
    expect_status(first, "streaming")
    assert len(fake.requests) == sent + 1

    # Stop sends it at once: the first answer never reached its end upstream.
    fake.default = Reply(texts=["Second ", "answer."])
    page.get_by_role("button", name="Stop", exact=True).click()
    expect_status(first, "stopped")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".bubble")).to_have_text("Second question")
    expect(queued).to_have_count(0)
    expect_status(second, "done")
    assert not fake.streams[index].completed
    # The stopped answer's partial text is part of the history the second request carried.
    messages = fake.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert text_of(messages[1]).startswith("tick0 tick1")
    assert text_of(messages[2]) == "Second question"
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()


def test_leaving_the_page_leaves_the_answer_running(
    page: Page, fake: FakeAnthropic, served: ServeProcess
) -> None:
    fake.default = slow_reply(30)
    index = len(fake.streams)
    with page.expect_response("**/api/chat/stream") as started:
        turn = send(page, "Count slowly")
    stream_id = started.value.headers["x-stream-id"]
    expect(answer(turn)).to_contain_text("tick1")

    page.goto("about:blank")

    # The page cannot tell a close from a reload, and a reload takes the answer up again (the
    # server journals it): so it runs on to its end, and nobody cancels it.
    record = fake.streams[index]
    assert record.ended.wait(timeout=15)
    assert record.completed and not record.client_closed
    assert f"/api/chat/stream/{stream_id}/cancel" not in served.output()

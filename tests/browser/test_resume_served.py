"""An answer outlives its connection, end to end: ``serve`` journals the fake Anthropic API's slow
answer, and the page takes it up again after a reload, after two seconds offline, in a second
tab and when a tab comes back to a silent connection, ending with exactly the text the fake
sent; Stop still cancels a resumed answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, expect

from tests.browser.chat_page import answer, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import ServeProcess

pytestmark = pytest.mark.browser

# Long enough to be cut in the middle on a loaded machine, short enough to wait for.
PIECES = [f"tick{i} " for i in range(50)]
WHOLE = "".join(PIECES).strip()
FINISH_MS = 30_000


@pytest.fixture
def slow(fake: FakeAnthropic) -> FakeAnthropic:
    fake.default = Reply(texts=PIECES, delay_s=0.1)
    return fake


def record_resumes(page: Page) -> list[Request]:
    """Every resume request the page sends from now on (reloads included)."""
    resumes: list[Request] = []

    def seen(request: Request) -> None:
        if request.method == "GET" and "/api/chat/stream/" in request.url:
            resumes.append(request)

    page.on("request", seen)
    return resumes


def reload(page: Page) -> None:
    page.reload()
    page.wait_for_selector("html[data-ready='true']")


def test_a_reload_mid_answer_completes_it_exactly(page: Page, slow: FakeAnthropic) -> None:
    asked = len(slow.requests)
    turn = send(page, "Count slowly")
    expect(answer(turn)).to_contain_text("tick8")
    resumes = record_resumes(page)

    reload(page)
    restored = page.locator(".turn")
    expect(restored).to_have_count(1)
    expect(restored).to_have_attribute("data-status", "done", timeout=FINISH_MS)
    expect(answer(restored)).to_have_text(WHOLE)
    assert resumes[0].headers["last-event-id"] == "0"
    assert len(slow.requests) == asked + 1, "the question was asked once"
    # What was saved is the whole answer, once.
    reload(page)
    expect(answer(page.locator(".turn"))).to_have_text(WHOLE)


def test_two_seconds_offline_mid_answer_lose_nothing(page: Page, slow: FakeAnthropic) -> None:
    resumes = record_resumes(page)
    turn = send(page, "Count slowly")
    expect(answer(turn)).to_contain_text("tick5")

    page.context.set_offline(True)
    expect_status(turn, "reconnecting")
    page.wait_for_timeout(2000)
    page.context.set_offline(False)

    expect(turn).to_have_attribute("data-status", "done", timeout=FINISH_MS)
    expect(answer(turn)).to_have_text(WHOLE)
    assert resumes, "the answer came back through a resume"
    assert all(int(request.headers["last-event-id"]) > 1 for request in resumes)


def test_a_second_tab_on_the_conversation_shows_the_answer_too(
    page: Page, slow: FakeAnthropic, browser: BrowserContext, served: ServeProcess
) -> None:
    turn = send(page, "Count slowly")
    expect(answer(turn)).to_contain_text("tick3")
    page.wait_for_url("**/#*")
    conversation = page.url.split("#", 1)[1]

    for other in _second_tab(browser):
        resumes = record_resumes(other)
        other.goto(f"{served.url}/#{conversation}")
        other.wait_for_selector("html[data-ready='true']")
        there = other.locator(".turn")
        expect(there).to_have_attribute("data-status", "done", timeout=FINISH_MS)
        expect(answer(there)).to_have_text(WHOLE)
        # It followed the answer live, from its first frame, while the first tab did too.
        assert [request.headers["last-event-id"] for request in resumes] == ["0"]
    expect_status(turn, "done")
    expect(answer(turn)).to_have_text(WHOLE)


def test_a_tab_back_from_the_background_resumes_a_silent_connection(
    page: Page, fake: FakeAnthropic
) -> None:
    # Heartbeats every 0.2 s, as far as the page knows: the fake's 2 s pauses between pieces are
    # then a silence no live connection would keep (anything over 0.4 s).
    fake.default = Reply(texts=PIECES[:4], delay_s=2.0)
    page.route("**/config.json", _with_heartbeat_s(0.2))
    reload(page)
    resumes = record_resumes(page)
    turn = send(page, "Count slowly")
    expect(answer(turn)).to_contain_text("tick1")
    page.wait_for_timeout(800)
    assert resumes == []

    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(turn).to_have_attribute("data-status", "done", timeout=FINISH_MS)
    expect(answer(turn)).to_have_text("".join(PIECES[:4]).strip())
    assert resumes, "the silent connection was dropped and resumed"


def test_stop_on_a_resumed_answer_cancels_it(page: Page, slow: FakeAnthropic) -> None:
    # Long enough never to end before the Stop, however slow the reload.
    slow.default = Reply(texts=[f"tick{i} " for i in range(300)], delay_s=0.1)
    index = len(slow.streams)
    with page.expect_response("**/api/chat/stream") as started:
        turn = send(page, "Count slowly")
    stream_id = started.value.headers["x-stream-id"]
    expect(answer(turn)).to_contain_text("tick3")
    reload(page)
    restored = page.locator(".turn")
    expect(answer(restored)).to_contain_text("tick10")

    with page.expect_request("**/api/chat/stream/*/cancel") as cancelled:
        page.get_by_role("button", name="Stop", exact=True).click()
    expect_status(restored, "stopped")
    assert cancelled.value.method == "POST"
    assert cancelled.value.url.endswith(f"/api/chat/stream/{stream_id}/cancel")
    slow.wait_for_close(index, timeout=10)
    assert slow.streams[index].client_closed and not slow.streams[index].completed


def _with_heartbeat_s(heartbeat_s: float) -> Callable[[Route], None]:
    def fulfil(route: Route) -> None:
        response = route.fetch()
        config = response.json()
        config["heartbeatS"] = heartbeat_s
        route.fulfill(response=response, body=json.dumps(config))

    return fulfil


def _second_tab(browser: BrowserContext) -> Iterator[Page]:
    """A second tab of the same browser, sharing its saved conversations; closed afterwards."""
    other = browser.new_page()
    other.set_default_timeout(10_000)
    try:
        yield other
    finally:
        other.close()

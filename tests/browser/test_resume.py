"""An answer outlives its connection: the page resumes a dropped stream after the last frame it
rendered, takes a streaming answer up again after a reload, and marks one the server no longer has
as incomplete. The streams here are canned (Playwright routes), so every byte and header is
known; test_resume_served.py does the same through ``serve`` and the fake Anthropic API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.canned_stream import encode, ending, start, text
from tests.browser.chat_page import answer, expect_status, send

pytestmark = pytest.mark.browser

PIECES = ["One, ", "two, ", "three, ", "four, ", "five."]
FRAMES = [start(), *[text(piece) for piece in PIECES], *ending("end_turn")]
WHOLE = "".join(PIECES)
SSE = {"content-type": "text/event-stream", "x-stream-id": "canned-1"}
RECORD_ANNOUNCEMENTS = """() => {
  window.__said = [];
  const region = document.getElementById("announcer");
  new MutationObserver(() => window.__said.push(region.textContent))
    .observe(region, { childList: true, characterData: true, subtree: true });
}"""


def ask_cut_after(page: Page, frames: int) -> None:
    """The question's stream sends its first `frames` frames and ends without `done`."""
    page.route(
        "**/api/chat/stream",
        lambda route: route.fulfill(status=200, headers=SSE, body=encode(FRAMES[:frames])),
    )


def journal(page: Page, *, hold_first: bool = False) -> list[dict[str, str]]:
    """Resumes answer with the frames after their Last-Event-ID (the first is left hanging with
    `hold_first`, as a connection still open when the page goes away); returns their headers."""
    resumes: list[dict[str, str]] = []

    def fulfil(route: Route) -> None:
        resumes.append(route.request.headers)
        if hold_first and len(resumes) == 1:
            return  # never answered: the page's reload ends it
        after = int(route.request.headers.get("last-event-id", "0"))
        body = encode(FRAMES[after:], after + 1)
        route.fulfill(status=200, headers=SSE, body=body)

    page.route("**/api/chat/stream/canned-1", fulfil)
    return resumes


def refuse_resumes(page: Page, status: int, code: str) -> None:
    body = {"error": {"code": code, "message": "The rest of this answer was lost."}}
    page.route(
        "**/api/chat/stream/canned-1",
        lambda route: route.fulfill(
            status=status, content_type="application/json", body=json.dumps(body)
        ),
    )


def test_a_dropped_stream_resumes_after_the_last_frame_it_rendered(page: Page) -> None:
    ask_cut_after(page, 3)
    resumes = journal(page)
    page.evaluate(RECORD_ANNOUNCEMENTS)
    turn = send(page, "Count")

    expect_status(turn, "done")
    expect(answer(turn)).to_have_text(WHOLE)
    assert len(resumes) == 1
    assert resumes[0]["last-event-id"] == "3"
    said: list[Any] = page.evaluate("window.__said")
    assert "Reconnecting…" in said
    assert said[-1] == "Answer done"


@pytest.mark.parametrize(("status", "code"), [(404, "not_found"), (410, "answer_lost")])
def test_a_resume_the_server_refuses_leaves_the_answer_incomplete_with_continue(
    page: Page, status: int, code: str
) -> None:
    ask_cut_after(page, 3)
    refuse_resumes(page, status, code)
    turn = send(page, "Count")

    expect_status(turn, "incomplete")
    expect(answer(turn)).to_have_text("One, two,")
    expect(turn.locator(".error-title")).to_have_text("The rest of this answer was lost.")
    expect(turn.get_by_role("button", name="Continue", exact=True)).to_be_visible()
    expect(page.locator("#announcer")).to_contain_text("Answer incomplete")


def test_a_reload_mid_answer_replays_it_from_the_first_frame(page: Page) -> None:
    ask_cut_after(page, 3)
    resumes = journal(page, hold_first=True)
    turn = send(page, "Count")
    expect(answer(turn)).to_have_text("One, two,")
    expect_status(turn, "reconnecting")
    # Saved every second while it streams: past a save, the page reloads.
    page.wait_for_timeout(1300)

    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    restored = page.locator(".turn")
    expect(restored).to_have_count(1)
    expect_status(restored, "done")
    # The replay rebuilt the answer: what was saved is not followed by its repetition.
    expect(answer(restored)).to_have_text(WHOLE)
    assert [headers["last-event-id"] for headers in resumes] == ["3", "0"]
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(answer(page.locator(".turn"))).to_have_text(WHOLE)
    expect(page.locator(".turn")).to_have_attribute("data-status", "done")

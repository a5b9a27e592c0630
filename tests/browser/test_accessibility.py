"""axe-core finds no violations in any state of the page, at both sizes and in both themes; each
state is saved as screenshots for review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.canned_stream import encode, start, text
from tests.browser.chat_page import (
    SCREENSHOTS,
    accessible_everywhere,
    answer,
    axe_violations,
    expect_status,
    screenshots,
    send,
)
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

RICH_ANSWER = [
    "Here is a small function:\n\n",
    "```python\ndef is_palindrome(text: str) -> bool:\n",
    '    """Whether *text* reads the same backwards."""\n',
    "    cleaned = [c.lower() for c in text if c.isalnum()]\n",
    "    return cleaned == cleaned[::-1]\n```\n\n",
    "| input | result | note |\n|:--|:-:|--:|\n",
    "| `A man, a plan, a canal: Panama` | True | punctuation and case are ignored |\n",
    "| `hello` | False | |\n\n",
    "It ignores **case** and punctuation.",
]


def test_empty(page: Page) -> None:
    accessible_everywhere(page, "empty")


def test_streaming_and_done(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=[*RICH_ANSWER[:4], *[f" word{i}" for i in range(200)]], delay_s=0.05)
    turn = send(page, "Write a palindrome check in Python.")
    expect(answer(turn)).to_contain_text("word3")
    expect(turn).to_have_attribute("data-status", "streaming")
    # New text fades in: axe must see the theme's colours, not the words on their way in.
    page.emulate_media(reduced_motion="reduce")
    assert axe_violations(page) == [], "streaming"
    screenshots(page, "streaming")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect_status(turn, "stopped")

    fake.default = Reply(texts=RICH_ANSWER, delay_s=0.02)
    done = send(page, "And a table of examples?")
    expect_status(done, "done")
    done.locator(".stats").click()
    accessible_everywhere(page, "done")


def test_error(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(
        texts=["Partial ", "answer ", "never sent"], fault="overloaded_midstream", fault_after=2
    )
    expect_status(send(page, "Hello"), "error")
    # Ended after the start frame and before any text, the usage counting no output and no
    # cost: the details have rows (model, input) but no summary line.
    fake.default = Reply(texts=["never sent"], fault="overloaded_midstream", fault_after=0)
    page.route("**/api/chat/stream", _no_output_counted)
    early = send(page, "Hello again")
    expect_status(early, "error")
    expect(early.locator(".stats")).to_be_visible()
    early.locator(".stats").click()
    expect(early.locator(".stats-list")).to_contain_text("Input")
    accessible_everywhere(page, "error")
    # The same, restored from storage.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    page.locator(".turn").nth(1).locator(".stats").click()
    assert axe_violations(page) == [], "error, restored"


def test_reconnecting_and_lost(page: Page) -> None:
    sse = {"content-type": "text/event-stream", "x-stream-id": "canned-1"}
    cut = encode([start(), text("Half of "), text("an answer")])
    page.route("**/api/chat/stream", lambda route: route.fulfill(headers=sse, body=cut))
    # The resume is never answered: the answer stays "Reconnecting…".
    page.route("**/api/chat/stream/canned-1", lambda route: None)
    turn = send(page, "Hello")
    expect_status(turn, "reconnecting")
    expect(page.locator("#announcer")).to_have_text("Reconnecting…")
    accessible_everywhere(page, "reconnecting")

    page.unroute("**/api/chat/stream/canned-1")
    lost = '{"error": {"code": "not_found", "message": "No such stream."}}'
    page.route(
        "**/api/chat/stream/canned-1",
        lambda route: route.fulfill(status=404, content_type="application/json", body=lost),
    )
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect_status(page.locator(".turn"), "incomplete")
    accessible_everywhere(page, "lost")


def _no_output_counted(route: Route) -> None:
    response = route.fetch()
    body = re.sub(rb'"output_tokens":\s*\d+', b'"output_tokens":0', response.body())
    body = re.sub(rb',\s*"cost_usd":\s*[-+.eE\d]+', b"", body)
    route.fulfill(response=response, body=body)


def test_history(page: Page, fake: FakeAnthropic) -> None:
    expect_status(send(page, "Explain server-sent events"), "done")
    page.get_by_role("button", name="New chat").click()
    expect_status(send(page, "Streaming behind a CDN"), "done")
    accessible_everywhere(page, "history")
    page.set_viewport_size({"width": 375, "height": 740})
    page.get_by_role("button", name="Conversations").click()
    expect(
        page.get_by_role("navigation", name="Conversations").locator(".history-open").first
    ).to_be_visible()
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
        assert axe_violations(page) == [], f"history drawer, {scheme}"
        page.screenshot(path=SCREENSHOTS / f"history-drawer-narrow-{scheme}.png")


def test_touch_screens_get_no_keyboard_hints(page: Page) -> None:
    expect(page.locator("#composer-hint")).to_be_visible()
    expect(page.locator("#empty")).to_contain_text("Esc")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")
        expect(page.locator("#composer-hint")).to_be_hidden()
        assert "Esc" not in page.locator("#empty").inner_text()
    finally:
        cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
        cdp.detach()

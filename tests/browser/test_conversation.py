"""A whole conversation: keyboard, history across turns, new chat, and the finished page's look."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import answer, expect_status, send, text_of
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import ROOT

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CODE_ANSWER = [
    "Here is a small function:\n\n",
    "```python\ndef is_palindrome(text: str) -> bool:\n",
    '    """Whether *text* reads the same backwards."""\n',
    "    cleaned = [c.lower() for c in text if c.isalnum()]\n",
    "    return cleaned == cleaned[::-1]\n```\n\n",
    "It ignores **case** and punctuation, so `A man, a plan` works too.",
]
LIST_ANSWER = [
    "Three things to check:\n\n",
    "1. **Buffering**: the CDN must pass bytes through as they come.\n",
    "2. **Timeouts**: idle reads must outlast the longest pause; send heartbeats.\n",
    "3. **Cancellation**: closing the tab must stop generation upstream.\n",
]


def test_enter_sends_and_shift_enter_adds_a_line(page: Page, fake: FakeAnthropic) -> None:
    sent = len(fake.requests)
    page.fill("#prompt", "line one")
    page.press("#prompt", "Shift+Enter")
    page.keyboard.type("line two")
    expect(page.locator("#prompt")).to_have_value("line one\nline two")
    assert page.locator(".turn").count() == 0

    page.press("#prompt", "Enter")
    turn = page.locator(".turn").first
    expect(turn.locator(".bubble")).to_have_text("line one\nline two")
    expect(page.locator("#prompt")).to_have_value("")
    expect_status(turn, "done")
    assert text_of(fake.requests[sent]["messages"][-1]) == "line one\nline two"


def test_turns_carry_the_history_and_new_chat_forgets_it(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["First ", "answer."])
    expect_status(send(page, "One"), "done")
    fake.default = Reply(texts=["Second ", "answer."])
    expect_status(send(page, "Two"), "done")
    assert [m["role"] for m in fake.requests[-1]["messages"]] == ["user", "assistant", "user"]

    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".turn")).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("#prompt")).to_be_focused()
    expect_status(send(page, "Three"), "done")
    assert [m["role"] for m in fake.requests[-1]["messages"]] == ["user"]


def test_a_finished_conversation(page: Page, fake: FakeAnthropic) -> None:
    """Markdown, code with a copy button, live numbers; saved as screenshots for review."""
    fake.default = Reply(texts=CODE_ANSWER, delay_s=0.08)
    first = send(page, "Write a palindrome check in Python.")
    expect_status(first, "done")
    expect(answer(first).locator(".code-block .code-language")).to_have_text("python")
    expect(answer(first).locator(".code-block pre code")).to_contain_text("def is_palindrome")
    expect(answer(first).locator(".copy-button")).to_be_visible()
    first.locator(".stats").click()
    expect(first.locator(".stats-list")).to_contain_text("tokens/s")

    fake.default = Reply(texts=LIST_ANSWER, delay_s=0.03)
    second = send(page, "What should I check before putting a streaming API behind a CDN?")
    expect_status(second, "done")
    expect(answer(second).locator("ol > li")).to_have_count(3)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "conversation.png")
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 320, "height": 640})
    page.screenshot(path=SCREENSHOTS / "conversation-320-dark.png")
    # Readable at 320 px: nothing wider than the screen (long code scrolls inside its block).
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_auto_scroll_follows_the_answer_until_the_user_scrolls_up(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = Reply(texts=[f"Line {i}.\n\n" for i in range(80)], delay_s=0.04)
    turn = send(page, "Many lines, please")
    expect(answer(turn)).to_contain_text("Line 30.")
    assert _distance_from_bottom(page) < 50, "following the answer while it streams"

    page.hover("#log")
    page.mouse.wheel(0, -600)
    held = _settled_scroll_top(page)
    expect(answer(turn)).to_contain_text("Line 50.")
    assert page.evaluate("document.getElementById('log').scrollTop") == held
    expect(page.locator("#jump")).to_be_visible()

    page.click("#jump")
    expect(page.locator("#jump")).to_be_hidden()
    assert _distance_from_bottom(page) < 50
    expect_status(turn, "done")
    assert _distance_from_bottom(page) < 50, "following again after jumping back"


def _distance_from_bottom(page: Page) -> float:
    distance: float = page.evaluate(
        "(() => { const l = document.getElementById('log');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight; })()"
    )
    return distance


def _settled_scroll_top(page: Page) -> float:
    """The log's scroll position once a (smooth) wheel scroll has come to rest."""
    previous: float = -1.0
    for _ in range(50):
        page.wait_for_timeout(100)
        current: float = page.evaluate("document.getElementById('log').scrollTop")
        if current == previous:
            return current
        previous = current
    raise AssertionError("the log kept scrolling")

"""What a person does on the chat page, and what they see, for the browser tests."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

# SHA-256 of the empty body: the header every cancel request must carry behind CloudFront OAC.
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
STREAM_TIMEOUT_MS = 15_000


def send(page: Page, text: str) -> Locator:
    """Type a message, press Enter, and return the new turn."""
    count = page.locator(".turn").count()
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")
    turn = page.locator(".turn").nth(count)
    expect(turn).to_be_attached()
    return turn


def answer(turn: Locator) -> Locator:
    return turn.locator(".answer-body")


def expect_status(turn: Locator, status: str) -> None:
    expect(turn).to_have_attribute("data-status", status, timeout=STREAM_TIMEOUT_MS)


def text_of(message: dict[str, Any]) -> str:
    """The text of a Messages API message, whether its content is a string or text blocks."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(block["text"] for block in content if block["type"] == "text")

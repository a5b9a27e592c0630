"""The keyboard shortcuts dialog: "?" (outside a text field) or its button opens it, it lists
the shortcuts, Escape closes it and the focus goes back where it was."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import accessible_everywhere, answer, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser


def test_question_mark_opens_the_list_and_escape_closes_it(page: Page) -> None:
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    # In the message box "?" is a character like any other.
    page.press("#prompt", "?")
    expect(page.locator("#prompt")).to_have_value("?")
    expect(dialog).to_be_hidden()

    new_chat = page.get_by_role("button", name="New chat")
    new_chat.focus()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    terms = dialog.locator("dt").all_inner_texts()
    assert terms[:4] == ["Enter", "Shift+Enter", "Esc", "?"]
    expect(dialog).to_contain_text("queue it")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(new_chat).to_be_focused()


def test_the_button_opens_it_and_close_returns_the_focus(page: Page) -> None:
    button = page.get_by_role("button", name="Keyboard shortcuts")
    button.click()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    accessible_everywhere(page, "shortcuts")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()


def test_escape_in_the_dialog_does_not_stop_the_answer(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=[f"word{i} " for i in range(40)], delay_s=0.1)
    turn = send(page, "Hello")
    expect(answer(turn)).to_contain_text("word1")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    expect_status(turn, "streaming")
    # Outside the dialog Escape stops it, as before.
    page.keyboard.press("Escape")
    expect_status(turn, "stopped")

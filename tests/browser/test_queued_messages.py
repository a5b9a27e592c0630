"""Typing while it answers: Enter queues the message, which can be edited or removed while it
waits, and it is sent when the answer ends (Stop sends it at once: see test_streaming.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import accessible_everywhere, answer, expect_status, send, text_of
from tests.browser.test_attachments import CAT, NOTES, attach, file, tray
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.sample_files import image_block

pytestmark = pytest.mark.browser

SLOW = [f"word{i} " for i in range(40)]


def queue(page: Page, text: str) -> None:
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")


def test_queued_messages_wait_for_the_end_of_the_answer(page: Page, fake: FakeAnthropic) -> None:
    # Long enough to outlast the checks below on a busy machine.
    fake.default = Reply(texts=SLOW, delay_s=0.2)
    sent = len(fake.requests)
    first = send(page, "First question")
    expect(answer(first)).to_contain_text("word1")

    # The message box stays usable: both messages wait, in order, marked "Queued".
    expect(page.locator("#prompt")).to_be_enabled()
    queue(page, "Second question")
    queue(page, "Third question")
    listed = page.get_by_role("list", name="Queued messages").get_by_role("listitem")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text("Queued")
    expect(listed.nth(0)).to_contain_text("Second question")
    expect(page.locator("#announcer")).to_contain_text("queued")

    # Edit the first (Enter saves), remove the second.
    listed.nth(0).get_by_role("button", name="Edit queued message").click()
    field = listed.nth(0).get_by_role("textbox", name="Queued message")
    expect(field).to_be_focused()
    field.fill("Second question, reworded")
    field.press("Enter")
    expect(listed.nth(0)).to_contain_text("Second question, reworded")
    expect(listed.nth(0).get_by_role("button", name="Edit queued message")).to_be_focused()
    listed.nth(1).get_by_role("button", name="Remove queued message").click()
    expect(listed).to_have_count(1)
    expect(page.locator("#prompt")).to_be_focused()

    expect_status(first, "streaming")
    assert len(fake.requests) == sent + 1, "nothing is sent while the answer streams"
    accessible_everywhere(page, "queued")

    fake.default = Reply(texts=["Second ", "answer."])
    expect_status(first, "done")
    second = page.locator(".turn").nth(1)
    expect(second.locator(".bubble")).to_have_text("Second question, reworded")
    expect_status(second, "done")
    expect(listed).to_have_count(0)
    expect(page.get_by_role("list", name="Queued messages")).to_be_hidden()
    # Sent after the first answer's end: its request carries that whole answer.
    messages = fake.requests[sent + 1]["messages"]
    assert [text_of(m) for m in messages] == [
        "First question",
        "".join(SLOW),
        "Second question, reworded",
    ]
    page.wait_for_timeout(500)
    assert len(fake.requests) == sent + 2, "the removed message is never sent"


def test_escape_in_a_queued_edit_cancels_it_and_leaves_the_answer_running(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = Reply(texts=SLOW, delay_s=0.2)
    first = send(page, "First question")
    expect(answer(first)).to_contain_text("word1")
    queue(page, "Later")
    listed = page.get_by_role("list", name="Queued messages").get_by_role("listitem")
    listed.get_by_role("button", name="Edit queued message").click()
    field = listed.get_by_role("textbox", name="Queued message")
    field.fill("Changed my mind")
    accessible_everywhere(page, "queued-editing")
    field.focus()
    field.press("Escape")
    expect(listed).to_contain_text("Later")
    expect(listed.get_by_role("button", name="Edit queued message")).to_be_focused()
    expect_status(first, "streaming")
    # Removing the last one leaves nothing to send after the answer.
    listed.get_by_role("button", name="Remove queued message").click()
    expect_status(first, "done")
    page.wait_for_timeout(300)
    expect(page.locator(".turn")).to_have_count(1)


def test_a_queued_message_keeps_its_own_files(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=SLOW * 2, delay_s=0.2)
    sent = len(fake.requests)
    first = send(page, "First question")
    expect(answer(first)).to_contain_text("word1")

    # Queued, the message takes the files attached with it: the tray is free for the next one.
    attach(page, file("cat.png", CAT, "image/png"))
    queue(page, "What is in this picture?")
    expect(tray(page)).to_be_hidden()
    listed = page.get_by_role("list", name="Queued messages").get_by_role("listitem")
    expect(listed).to_have_count(1)
    expect(listed.nth(0)).to_contain_text("1 file")
    expect(listed.nth(0)).to_contain_text("What is in this picture?")
    accessible_everywhere(page, "queued-with-files")
    # A file attached after it waits for a later message: it does not go with the queued one.
    attach(page, file("notes.pdf", NOTES, "application/pdf"))
    expect_status(first, "streaming")

    fake.default = Reply(texts=["A cat."])
    expect_status(first, "done")
    second = page.locator(".turn").nth(1)
    expect_status(second, "done")
    assert fake.requests[sent + 1]["messages"][-1]["content"] == [
        image_block(CAT),
        {"type": "text", "text": "What is in this picture?"},
    ]
    expect(second.locator(".attachment-name")).to_have_text(["cat.png"])
    expect(tray(page).locator(".attachment-name")).to_have_text(["notes.pdf"])

"""Branches, not overwrites: an edited question is a sibling of the one first asked, each with the
turns that followed it; the question shows "‹ 2 / 2 ›" to switch, and what is sent next is the
branch on screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_page import (
    accessible_everywhere,
    answer,
    expect_status,
    send,
    text_of,
)
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser


def sent(fake: FakeAnthropic) -> list[str]:
    return [text_of(message) for message in fake.requests[-1]["messages"]]


def edit(turn: Locator, text: str) -> None:
    turn.get_by_role("button", name="Edit message", exact=True).click()
    turn.get_by_role("textbox", name="Edited message").fill(text)
    turn.get_by_role("button", name="Save and send", exact=True).click()


def test_an_edit_makes_two_branches_and_the_one_shown_is_sent(
    page: Page, fake: FakeAnthropic
) -> None:
    turns = page.locator(".turn")
    fake.default = Reply(texts=["Blue."])
    first = send(page, "Name a colour")
    expect_status(first, "done")
    fake.default = Reply(texts=["Because the sky is."])
    expect_status(send(page, "Why that one?"), "done")

    fake.default = Reply(texts=["Apple."])
    edit(first, "Name a fruit")
    expect_status(first, "done")
    expect(turns).to_have_count(1)
    switch = first.locator(".message-versions")
    expect(switch).to_be_visible()
    expect(switch).to_have_text("‹2 / 2›")
    expect(switch.get_by_label("Message version 2 of 2")).to_be_visible()
    expect(first.get_by_role("button", name="Next message version")).to_be_disabled()
    # One answer to the edited question: the answer has no switch of its own.
    expect(first.locator(".answer .versions")).to_be_hidden()
    accessible_everywhere(page, "question-versions")

    # Back to the first branch: its question, its answer and the turn that followed it.
    first.get_by_role("button", name="Previous message version").click()
    expect(first.locator(".bubble")).to_have_text("Name a colour")
    expect(answer(first)).to_have_text("Blue.")
    expect(turns).to_have_count(2)
    expect(answer(turns.nth(1))).to_have_text("Because the sky is.")
    expect(switch.get_by_label("Message version 1 of 2")).to_be_visible()
    fake.default = Reply(texts=["Sure."])
    expect_status(send(page, "Another?"), "done")
    assert sent(fake) == [
        "Name a colour",
        "Blue.",
        "Why that one?",
        "Because the sky is.",
        "Another?",
    ]

    # And to the second: what is sent follows the screen again.
    first.get_by_role("button", name="Next message version").click()
    expect(first.locator(".bubble")).to_have_text("Name a fruit")
    expect(turns).to_have_count(1)
    fake.default = Reply(texts=["Pear."])
    expect_status(send(page, "Another?"), "done")
    assert sent(fake) == ["Name a fruit", "Apple.", "Another?"]

    # Regenerating the edited question's answer makes answer siblings under that question.
    fake.default = Reply(texts=["Banana."])
    first.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(first, "done")
    expect(first.locator(".version-position")).to_have_text("2 / 2")
    expect(first.locator(".message-position")).to_have_text("2 / 2")
    assert sent(fake) == ["Name a fruit"]
    first.get_by_role("button", name="Previous version", exact=True).click()
    expect(answer(first)).to_have_text("Apple.")
    expect(turns).to_have_count(2)

    # Every branch survives a reload.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(turns).to_have_count(2)
    expect(answer(turns.nth(0))).to_have_text("Apple.")
    turns.nth(0).get_by_role("button", name="Previous message version").click()
    expect(turns.nth(0).locator(".bubble")).to_have_text("Name a colour")
    expect(turns).to_have_count(3)
    expect(answer(turns.nth(2))).to_have_text("Sure.")

"""What can be done with an answer: copy it, regenerate it (keeping every version), edit the
question and resend, continue a cut answer; and what the stream said about it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import answer, expect_status, send, text_of
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

MARKDOWN = [
    "Some **bold** text.\n\n",
    "```python\nprint('hi')\n```\n\n",
    "| a | b |\n|--:|:-:|\n| 1 | 2 |",
]


def test_copy_answer_puts_its_markdown_on_the_clipboard(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=MARKDOWN)
    turn = send(page, "Show me markdown")
    expect_status(turn, "done")
    turn.get_by_role("button", name="Copy answer", exact=True).click()
    expect(turn.get_by_role("button", name="Copy answer", exact=True)).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "".join(MARKDOWN)
    # GFM alignment reaches the cells, and python code is highlighted with classes.
    expect(answer(turn).locator("th").first).to_have_css("text-align", "right")
    expect(answer(turn).locator("td").nth(1)).to_have_css("text-align", "center")
    expect(answer(turn).locator("pre code .hljs-built_in")).to_have_text("print")


def test_regenerate_keeps_both_versions(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["First ", "version."])
    turn = send(page, "Tell me something")
    expect_status(turn, "done")
    assert turn.locator(".version-position").is_hidden(), "one version: no version switcher"

    fake.default = Reply(texts=["Second ", "version."])
    turn.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(turn, "done")
    expect(answer(turn)).to_have_text("Second version.")
    expect(turn.locator(".version-position")).to_have_text("2 / 2")
    # The regenerated request is the same question, without the answer it replaces.
    assert [text_of(m) for m in fake.requests[-1]["messages"]] == ["Tell me something"]

    turn.get_by_role("button", name="Previous version", exact=True).click()
    expect(answer(turn)).to_have_text("First version.")
    expect(turn.locator(".version-position")).to_have_text("1 / 2")
    expect(turn.get_by_role("button", name="Previous version", exact=True)).to_be_disabled()
    turn.get_by_role("button", name="Next version", exact=True).click()
    expect(answer(turn)).to_have_text("Second version.")


def test_an_earlier_turn_can_be_regenerated_or_edited_as_a_new_branch(
    page: Page, fake: FakeAnthropic
) -> None:
    turns = page.locator(".turn")
    for n in ("One", "Two", "Three"):
        fake.default = Reply(texts=[f"Answer {n}."])
        expect_status(send(page, n), "done")
    first, second = turns.nth(0), turns.nth(1)

    # Regenerating the first answer asks it again with nothing after it: a new branch.
    fake.default = Reply(texts=["Answer One, again."])
    first.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(first, "done")
    expect(turns).to_have_count(1)
    expect(answer(first)).to_have_text("Answer One, again.")
    assert [text_of(m) for m in fake.requests[-1]["messages"]] == ["One"]
    first.get_by_role("button", name="Previous version", exact=True).click()
    expect(answer(first)).to_have_text("Answer One.")
    expect(turns).to_have_count(3)
    expect(answer(turns.nth(2))).to_have_text("Answer Three.")

    # Editing the second question resends it after the first turn only.
    fake.default = Reply(texts=["Answer Two, edited."])
    second.get_by_role("button", name="Edit message", exact=True).click()
    second.get_by_role("textbox", name="Edited message").fill("Two, edited")
    second.get_by_role("button", name="Save and send", exact=True).click()
    expect_status(second, "done")
    expect(turns).to_have_count(2)
    assert [text_of(m) for m in fake.requests[-1]["messages"]] == [
        "One",
        "Answer One.",
        "Two, edited",
    ]
    # The edited question is a sibling of the first: the question switches, its answer has one.
    expect(second.locator(".message-position")).to_have_text("2 / 2")
    expect(second.locator(".version-position")).to_be_hidden()

    # The whole tree is kept across a reload.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(turns).to_have_count(2)
    expect(turns.nth(1).locator(".bubble")).to_have_text("Two, edited")
    turns.nth(1).get_by_role("button", name="Previous message version", exact=True).click()
    expect(turns).to_have_count(3)
    expect(turns.nth(1).locator(".bubble")).to_have_text("Two")
    turns.nth(0).get_by_role("button", name="Next version", exact=True).click()
    expect(turns).to_have_count(1)
    expect(answer(turns.nth(0))).to_have_text("Answer One, again.")


def test_edit_message_resends_the_edited_question(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["About ", "cats."])
    turn = send(page, "Tell me about cats")
    expect_status(turn, "done")

    fake.default = Reply(texts=["About ", "dogs."])
    turn.get_by_role("button", name="Edit message", exact=True).click()
    field = turn.get_by_role("textbox", name="Edited message")
    expect(field).to_be_focused()
    expect(field).to_have_value("Tell me about cats")
    field.fill("Tell me about dogs")
    turn.get_by_role("button", name="Save and send", exact=True).click()

    expect_status(turn, "done")
    expect(turn.locator(".bubble")).to_have_text("Tell me about dogs")
    expect(answer(turn)).to_have_text("About dogs.")
    assert [text_of(m) for m in fake.requests[-1]["messages"]] == ["Tell me about dogs"]
    # The answer to the question as first asked stays reachable, with that question.
    turn.get_by_role("button", name="Previous message version", exact=True).click()
    expect(turn.locator(".bubble")).to_have_text("Tell me about cats")
    expect(answer(turn)).to_have_text("About cats.")


def test_continue_after_the_length_limit(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["The list: one, ", "two,"], stop_reason="max_tokens")
    turn = send(page, "Count")
    expect_status(turn, "done")
    expect(turn.locator(".status")).to_contain_text("length limit")

    fake.default = Reply(texts=[" three."])
    turn.get_by_role("button", name="Continue", exact=True).click()
    expect_status(turn, "done")
    expect(answer(turn)).to_have_text("The list: one, two, three.")
    roles = [m["role"] for m in fake.requests[-1]["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert text_of(fake.requests[-1]["messages"][1]) == "The list: one, two,"
    expect(turn.get_by_role("button", name="Continue", exact=True)).to_be_hidden()


def test_model_tokens_and_speed_are_shown(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=[f"w{i} " for i in range(10)], delay_s=0.05, input_tokens=321)
    turn = send(page, "Hello")
    expect_status(turn, "done")
    model = fake.requests[-1]["model"]
    expect(turn.locator(".model")).to_have_text(model)
    # The numbers are for developers: one click away, not on every answer.
    summary = turn.get_by_text("Details", exact=True)
    details = turn.locator(".stats-list")
    expect(details).to_be_hidden()
    assert "tok" not in turn.inner_text() and "TTFT" not in turn.inner_text()
    summary.click()
    expect(details).to_contain_text("321 tokens")
    expect(details).to_contain_text("10 tokens")
    expect(details).to_contain_text(model)
    expect(details).to_contain_text("First token")
    expect(details).to_contain_text("tokens/s")
    stream_id = details.locator("dt:text-is('Stream id') + dd").inner_text()
    assert len(stream_id) >= 16, stream_id

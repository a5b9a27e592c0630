"""Conversations as files: the open one exports as Markdown and as JSON, the whole history
exports as one JSON file and imports into an empty browser with the same conversations (ids
kept); importing again changes nothing, and a bad file changes nothing and says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import expect_status, send
from tests.browser.sidebar_checks import check_sidebar, sidebar
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

# Every stored record, as JSON has it (a field kept as `undefined` is no field).
ALL_RECORDS = """async () => {
  const { openStore } = await import("./js/conversation-store.js");
  return JSON.parse(JSON.stringify(await (await openStore(undefined)).all()));
}"""


def download(page: Page, name: str) -> tuple[str, str]:
    """Click the sidebar button `name`; the file it saves, and its content."""
    with page.expect_download() as saving:
        sidebar(page).get_by_role("button", name=name, exact=True).click()
    saved = saving.value
    return saved.suggested_filename, Path(saved.path()).read_text()


def choose_file(page: Page, name: str, content: bytes) -> None:
    with page.expect_file_chooser() as choosing:
        sidebar(page).get_by_role("button", name="Import", exact=True).click()
    choosing.value.set_files({"name": name, "mimeType": "application/json", "buffer": content})


def titles(page: Page) -> list[str]:
    return sidebar(page).locator(".history-open-title").all_inner_texts()


def empty_the_browser(page: Page) -> None:
    """What a fresh profile has: no conversations (the page's init script clears them)."""
    page.evaluate("sessionStorage.removeItem('fresh')")
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#history-empty")).to_be_visible()


def test_the_open_conversation_exports_as_markdown_and_json(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = Reply(texts=["Use **server-sent** ", "events."])
    expect_status(send(page, "How do I stream?"), "done")
    name, markdown = download(page, "Export as Markdown")
    assert name == "how-do-i-stream.md"
    model = fake.requests[-1]["model"]
    assert markdown == (
        f"# How do I stream?\n\n## You\n\nHow do I stream?\n\n## Answer ({model})\n\n"
        "Use **server-sent** events.\n"
    )
    name, text = download(page, "Export as JSON")
    assert name == "how-do-i-stream.json"
    file: dict[str, Any] = json.loads(text)
    assert file["format"] == "stream-chat-history" and file["version"] == 1
    [record] = file["conversations"]
    assert record["id"] == page.evaluate("location.hash.slice(1)")
    [turn] = record["turns"]
    assert turn["versions"][0]["text"] == "Use **server-sent** events."


def test_export_then_import_into_an_empty_browser(
    page: Page, fake: FakeAnthropic, tmp_path: Path
) -> None:
    for question in ("First question", "Second question"):
        page.get_by_role("button", name="New chat").click()
        fake.default = Reply(texts=[f"Answer to {question.lower()}."])
        turn = send(page, question)
        expect_status(turn, "done")
    # A branch, so the tree travels too.
    fake.default = Reply(texts=["Another answer."])
    turn.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(turn, "done")
    name, text = download(page, "Export")
    before = page.evaluate(ALL_RECORDS)
    assert json.loads(text)["conversations"] == before
    assert name.startswith("stream-chat-history-") and name.endswith(".json")
    expect(sidebar(page).get_by_role("status").last).to_have_text("Exported 2 conversations.")

    empty_the_browser(page)
    choose_file(page, name, text.encode())
    message = sidebar(page).locator("#files-message")
    expect(message).to_have_text("Imported 2 conversations.")
    assert titles(page) == ["Second question", "First question"]
    assert page.evaluate(ALL_RECORDS) == before
    sidebar(page).locator(".history-open").first.click()
    expect(page.locator(".version-position")).to_have_text("2 / 2")

    # Again: nothing is overwritten, and the message counts what was skipped.
    choose_file(page, name, text.encode())
    expect(message).to_have_text(
        "Imported 0 conversations. 2 conversations were already here and were skipped."
    )
    assert page.evaluate(ALL_RECORDS) == before
    check_sidebar(page, "import-message")


def test_a_bad_file_changes_nothing_and_says_why(page: Page, fake: FakeAnthropic) -> None:
    expect_status(send(page, "Keep me"), "done")
    before = page.evaluate(ALL_RECORDS)
    message = sidebar(page).locator("#files-message")
    choose_file(page, "notes.json", b"this is not json")
    expect(message).to_contain_text("This file is not JSON")
    expect(message).to_contain_text("Nothing was imported.")
    check_sidebar(page, "import-refused")

    # A valid file but for one record: none of it is kept.
    good = {"id": "new-1", "title": "New", "updatedAt": 1, "turns": []}
    bad = {"id": "new-2", "title": "Bad", "updatedAt": 1, "turns": [{"id": 1}]}
    file = {"format": "stream-chat-history", "version": 1, "conversations": [good, bad]}
    choose_file(page, "history.json", json.dumps(file).encode())
    expect(message).to_contain_text("Conversation 2 in the file is not valid: turn 1 has no")
    assert page.evaluate(ALL_RECORDS) == before
    assert titles(page) == ["Keep me"]

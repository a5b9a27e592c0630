"""The "Search conversations" box: it filters the history by title and full text, answers
included, ignoring case and accents, and marks what it found."""

from __future__ import annotations

import json
import subprocess
from statistics import median
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_page import expect_status, send
from tests.browser.sidebar_checks import check_sidebar, sidebar
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import ROOT

pytestmark = pytest.mark.browser


def titles(page: Page) -> Locator:
    return sidebar(page).locator(".history-open-title")


def test_search_finds_a_word_only_an_answer_holds(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["Fly to ", "Reykjavík in March; ", "the light is long."])
    expect_status(send(page, "Plan a trip north"), "done")
    page.get_by_role("button", name="New chat").click()
    fake.default = Reply(texts=["Bread wants ", "time."])
    expect_status(send(page, "How do I bake bread?"), "done")
    expect(titles(page)).to_have_count(2)

    box = page.get_by_role("searchbox", name="Search conversations")
    # Typed without the accent and in capitals: it still matches the answer's word.
    box.fill("REYKJAVIK")
    expect(titles(page)).to_have_text(["Plan a trip north"])
    found = sidebar(page).locator(".history-snippet")
    expect(found).to_contain_text("Reykjavík in March")
    expect(found.locator("mark")).to_have_text(["Reykjavík"])
    expect(sidebar(page).get_by_role("status")).to_have_text("1 conversation found.")
    check_sidebar(page, "search-results")
    page.set_viewport_size({"width": 375, "height": 740})
    # In the closed drawer: its height is what it will have when opened.
    height = page.locator("#history-search").evaluate("b => b.getBoundingClientRect().height")
    assert height >= 44, "a touch-sized search box"
    page.set_viewport_size({"width": 1280, "height": 800})

    # Opening the found conversation shows it; the filter stays until the box is emptied.
    titles(page).first.click()
    expect(page.locator(".bubble")).to_have_text(["Plan a trip north"])
    expect(titles(page)).to_have_text(["Plan a trip north"])

    # A title match is marked in the title.
    box.fill("bread")
    expect(titles(page)).to_have_text(["How do I bake bread?"])
    expect(titles(page).locator("mark")).to_have_text(["bread"])

    box.fill("kumquat")
    expect(titles(page)).to_have_count(0)
    expect(sidebar(page).get_by_role("status")).to_have_text("No conversations match “kumquat”.")
    expect(page.locator("#history-empty")).to_be_hidden()
    check_sidebar(page, "search-none")

    box.focus()
    page.keyboard.press("Escape")
    expect(box).to_have_value("")
    expect(titles(page)).to_have_count(2)
    expect(sidebar(page).locator("mark")).to_have_count(0)


def test_the_index_follows_new_answers(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["Nothing special."])
    expect_status(send(page, "First"), "done")
    box = page.get_by_role("searchbox", name="Search conversations")
    box.fill("quince")
    expect(titles(page)).to_have_count(0)
    # An answer that arrives after the index was built is found too.
    fake.default = Reply(texts=["A quince ", "jam."])
    expect_status(send(page, "Second"), "done")
    expect(titles(page)).to_have_text(["First"])
    expect(sidebar(page).locator(".history-snippet mark")).to_have_text(["quince"])


SAMPLE = ROOT / "tests" / "bench" / "history-search.mjs"
KEYSTROKES = "SEARCH_KEYSTROKES "
STORE_ALL = """async (records) => {
  const { openStore } = await import("./js/conversation-store.js");
  const store = await openStore(undefined);
  for (const record of records) await store.put(record);
}"""
# Each keystroke as the page takes it: the input event, the match, the list drawn and laid out.
TYPE = """(query) => {
  const box = document.getElementById("history-search");
  const times = [];
  for (let end = 1; end <= query.length; end += 1) {
    const started = performance.now();
    box.value = query.slice(0, end);
    box.dispatchEvent(new Event("input"));
    void document.body.offsetHeight;
    times.push(performance.now() - started);
  }
  return times;
}"""


def test_search_in_a_history_of_500_conversations(page: Page) -> None:
    """What `make bench` times in the page (tests/bench/history_search.py); here, that it works."""
    made = subprocess.run(
        ["node", str(SAMPLE), "--records"], capture_output=True, check=True, timeout=120
    )
    records: list[dict[str, Any]] = json.loads(made.stdout)
    page.evaluate(STORE_ALL, records)
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    items = sidebar(page).locator(".history-open")
    expect(items).to_have_count(500, timeout=20_000)
    box = page.get_by_role("searchbox", name="Search conversations")
    # The first query builds the index from the store.
    box.fill("zqxj")
    status = sidebar(page).get_by_role("status")
    expect(status).to_have_text("No conversations match “zqxj”.")
    # Each query typed three times: a keystroke's time is its median, so that a pause of a shared
    # machine is not taken for the page's.
    times: list[float] = []
    for query in ("cloudfront", "résumé", "stream lambda timeout", "e", "zqxj"):
        rounds: list[list[float]] = [page.evaluate(TYPE, query) for _ in range(3)]
        times += [median(keystroke) for keystroke in zip(*rounds, strict=True)]
    expect(items).to_have_count(0)
    page.evaluate(TYPE, "facade")
    expect(sidebar(page).locator(".history-snippet mark").first).to_have_text("façade")
    print(KEYSTROKES + json.dumps(times))
    # A query most conversations match lists the newest hundred, then all on request.
    box.fill("the")
    expect(status).to_have_text("500 conversations found. The 100 most recent are shown.")
    expect(items).to_have_count(100)
    expect(items.first).to_contain_text(records[0]["title"])
    sidebar(page).get_by_role("button", name="Show all 500").click()
    expect(items).to_have_count(500)
    expect(status).to_have_text("500 conversations found.")
    expect(box).to_be_focused()

"""Everything an answer streams besides its text: thinking, search steps, sources and citations,
and why it stopped; shown as it arrives, and again after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.canned_stream import answer_with, ending, start, text, with_features
from tests.browser.chat_page import answer, axe_violations, expect_status, screenshots, send
from tests.fakes import anthropic_blocks as blocks
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

PARIS = "https://example.org/paris"
CENSUS = "https://stats.example.org/census"
SEARCHED = [
    start(),
    {"type": "thinking", "text": "The user asks about Paris. "},
    {"type": "thinking", "text": "I should search."},
    {"type": "thinking", "redacted": True},
    text("Let me search."),
    {"type": "tool", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "Paris facts"}},
    {
        "type": "tool_result",
        "tool_use_id": "srvtoolu_1",
        "results": [{"url": PARIS, "title": "Paris"}, {"url": CENSUS, "title": "Census"}],
    },
    {"type": "tool", "id": "srvtoolu_2", "name": "web_fetch", "input": {"url": CENSUS}},
    {"type": "tool_result", "tool_use_id": "srvtoolu_2", "error_code": "url_not_accessible"},
    text("\n\n"),
    {"type": "citation", "url": PARIS, "title": "Paris", "cited_text": "Paris is the capital"},
    text("Paris is the capital of France."),
    {"type": "citation", "url": CENSUS, "title": "Census", "cited_text": "2.1 million"},
    text(" It has about 2.1 million people."),
    {"type": "citation", "url": PARIS, "title": "Paris again", "cited_text": "on the Seine"},
    text(" It lies on the Seine."),
    *ending("end_turn", web_search_requests=1),
]


def expect_parts(turn: Locator) -> None:
    """What the searched answer shows, streamed or replayed."""
    expect(answer(turn)).to_contain_text("Paris is the capital of France.")
    thinking = turn.get_by_role("button", name="Thinking", exact=True)
    # Closed once the answer began; the reader opens it.
    expect(thinking).to_have_attribute("aria-expanded", "false")
    expect(turn.locator(".thinking-text")).to_be_hidden()
    expect(turn.locator(".thinking-duration")).to_have_text("Thought for 1 s")
    thinking.click()
    expect(thinking).to_have_attribute("aria-expanded", "true")
    thought = "The user asks about Paris. I should search."
    expect(turn.locator(".thinking-text")).to_have_text(thought)
    expect(turn.locator(".thinking-redacted")).to_contain_text("encrypted")
    thinking.click()
    expect(turn.locator(".thinking-text")).to_be_hidden()

    steps = turn.get_by_role("list", name="Steps").get_by_role("listitem")
    expect(steps).to_have_text(
        [
            "Searched: Paris facts · 2 results",
            f"Read: {CENSUS} · failed (url_not_accessible)",
        ]
    )
    sources = turn.get_by_role("list", name="Sources")
    expect(sources.get_by_role("listitem")).to_have_count(2)
    links = sources.get_by_role("link")
    expect(links).to_have_text(["Paris", "Census"])
    assert [links.nth(i).get_attribute("href") for i in range(2)] == [PARIS, CENSUS]

    marks = answer(turn).locator("sup.citation a")
    expect(marks).to_have_text(["[1]", "[2]", "[1]"])
    assert [marks.nth(i).get_attribute("href") for i in range(3)] == [PARIS, CENSUS, PARIS]
    # Each mark stands where its citation arrived, in front of the text it supports.
    paragraph = answer(turn).locator("p").nth(1)
    expect(paragraph).to_have_text(
        "[1]Paris is the capital of France.[2] It has about 2.1 million people.[1] It lies on the "
        "Seine."
    )
    expect(turn.locator(".stop-notice")).to_be_hidden()


def test_thinking_steps_sources_and_citations_show_and_replay(page: Page) -> None:
    answer_with(page, SEARCHED)
    turn = send(page, "Tell me about Paris")
    expect_status(turn, "done")
    expect_parts(turn)
    turn.locator(".stats-details summary").click()
    expect(turn.locator(".stats-list dt", has_text="Web searches")).to_be_visible()
    expect(turn.locator(".stats-list dt", has_text="Web searches").locator("+ dd")).to_have_text(
        "1"
    )
    turn.locator(".stats-details summary").click()
    turn.get_by_role("button", name="Thinking", exact=True).click()
    assert axe_violations(page) == []
    screenshots(page, "answer-parts")

    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    replayed = page.locator(".turn").first
    expect_status(replayed, "done")
    expect_parts(replayed)


def test_a_refusal_says_so_rather_than_showing_an_empty_answer(page: Page) -> None:
    explanation = "The request asks for something harmful."
    refusal = {"type": "refusal", "category": "cyber", "explanation": explanation}
    answer_with(page, [start(), refusal, *ending("refusal", output_tokens=0)])
    turn = send(page, "Something it will not do")
    expect_status(turn, "done")
    notice = turn.locator(".stop-notice")
    expect(notice).to_contain_text("Claude declined to answer this request.")
    expect(notice).to_contain_text(explanation)
    expect(answer(turn)).to_be_empty()

    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator(".turn").first.locator(".stop-notice")).to_contain_text(explanation)


def test_the_length_limit_is_said_and_offers_continue(page: Page) -> None:
    answer_with(page, [start(), text("One, two,"), *ending("max_tokens")])
    turn = send(page, "Count")
    expect_status(turn, "done")
    expect(turn.locator(".stop-notice")).to_have_text("The answer reached its length limit.")
    expect(turn.get_by_role("button", name="Continue", exact=True)).to_be_visible()


def test_the_switches_are_sent_when_the_deployment_offers_them(page: Page) -> None:
    with_features(page, thinking=True, search=True)
    bodies = answer_with(page, [start(), text("Fine."), *ending("end_turn")])
    think = page.get_by_role("button", name="Think", exact=True)
    search = page.get_by_role("button", name="Search the web", exact=True)
    expect(think).to_have_attribute("aria-pressed", "false")
    expect_status(send(page, "Plain"), "done")
    think.click()
    expect(think).to_have_attribute("aria-pressed", "true")
    assert axe_violations(page) == []
    expect_status(send(page, "Thinking"), "done")
    search.click()
    expect_status(send(page, "Both"), "done")
    assert [{k: v for k, v in body.items() if k != "messages"} for body in bodies] == [
        {},
        {"thinking": True},
        {"thinking": True, "search": True},
    ]
    # Remembered in this browser, for every conversation.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(page.get_by_role("button", name="Search the web", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )


def test_the_switches_are_hidden_and_never_sent_when_not_offered(page: Page) -> None:
    page.evaluate("localStorage.setItem('stream-chat:asks', '{\"thinking\":true,\"search\":true}')")
    with_features(page, thinking=False, search=False)
    bodies = answer_with(page, [start(), text("Fine."), *ending("end_turn")])
    expect(page.get_by_role("button", name="Think", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Search the web", exact=True)).to_have_count(0)
    expect_status(send(page, "Plain"), "done")
    assert set(bodies[0]) == {"messages"}


def test_thinking_is_open_while_it_streams_and_closes_when_the_answer_starts(page: Page) -> None:
    """A canned response arrives whole; the page's own turn view is fed frame by frame instead."""
    page.evaluate(
        """async () => {
          const { TurnView } = await import("./js/turn-view.js");
          const { emptyParts, foldEvent } = await import("./js/answer-parts.js");
          const noop = () => {};
          const view = new TurnView("Q", {
            onRegenerate: noop, onContinue: noop, onShowVersion: noop, onChange: noop,
            onEdit: noop,
          });
          document.getElementById("turns").append(view.element);
          view.startAnswer("Q");
          const parts = emptyParts();
          view.setParts(parts);
          window.__feed = (event) => {
            foldEvent(parts, event, 0, performance.now());
            if (event.type === "text") view.appendText(event.text);
            view.partsChanged();
          };
        }"""
    )
    page.evaluate("window.__feed({type: 'thinking', text: 'Considering'})")
    thinking = page.get_by_role("button", name="Thinking", exact=True)
    expect(thinking).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".thinking-text")).to_have_text("Considering")
    page.evaluate("window.__feed({type: 'thinking', text: ' more.'})")
    expect(page.locator(".thinking-text")).to_have_text("Considering more.")
    page.evaluate("window.__feed({type: 'text', text: 'The answer.'})")
    expect(thinking).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".thinking-text")).to_be_hidden()


def test_only_web_addresses_become_links(page: Page) -> None:
    bad = "javascript:window.__pwned=1"
    forged = "\ue0001\ue001"
    answer_with(
        page,
        [
            start(),
            {"type": "citation", "url": bad, "title": "<b>Bad</b>", "cited_text": "x"},
            text(f"Claim{forged}."),
            *ending("end_turn"),
        ],
    )
    turn = send(page, "Cite something odd")
    expect_status(turn, "done")
    sources = turn.get_by_role("list", name="Sources")
    expect(sources.get_by_role("listitem")).to_have_text(["<b>Bad</b>"])
    expect(sources.get_by_role("link")).to_have_count(0)
    # The citation is a superscript without a link; the model's own marker characters are text.
    expect(answer(turn).locator("sup.citation")).to_have_text(["[1]"])
    expect(answer(turn).locator("a")).to_have_count(0)
    expect(answer(turn)).to_have_text("[1]Claim1.")


def test_through_serve_a_searched_cited_answer_and_a_refusal_reach_the_page(
    page: Page, fake: FakeAnthropic
) -> None:
    """The whole path: the fake API's blocks, split at awkward bytes, through the function and
    ``serve``, parsed and rendered by the page."""
    weather = "https://example.com/weather"
    explanation = "The request asks for something harmful."
    fake.enqueue(
        Reply(
            blocks=(
                blocks.thinking("Search ", "first."),
                blocks.server_tool(
                    "srvtoolu_1", "web_search", *blocks.split_json({"query": "weather"}, 5)
                ),
                blocks.search_results("srvtoolu_1", (weather, "Weather")),
                blocks.cited_text(weather, "Weather", "Sunny.", "It is ", "sunny."),
            ),
            server_tool_use={"web_search_requests": 1},
            chunk_bytes=5,
        ),
        Reply(
            texts=[],
            stop_reason="refusal",
            stop_details={"category": "cyber", "explanation": explanation},
        ),
    )
    turn = send(page, "Weather in Paris?")
    expect_status(turn, "done")
    expect(answer(turn)).to_contain_text("It is sunny.")
    expect(turn.get_by_role("button", name="Thinking", exact=True)).to_be_visible()
    steps = turn.get_by_role("list", name="Steps").get_by_role("listitem")
    expect(steps).to_have_text(["Searched: weather · 1 result"])
    expect(turn.get_by_role("list", name="Sources").get_by_role("link")).to_have_text(["Weather"])
    expect(answer(turn).locator("sup.citation a")).to_have_text(["[1]"])

    refused = send(page, "Something it will not do")
    expect_status(refused, "done")
    expect(refused.locator(".stop-notice")).to_contain_text(
        "Claude declined to answer this request."
    )
    expect(refused.locator(".stop-notice")).to_contain_text(explanation)
    expect(answer(refused)).to_be_empty()

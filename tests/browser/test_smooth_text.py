"""Answer text appears smoothly: revealed over the repaints after it arrives and faded in, unless
the reader asks for reduced motion; and a streaming answer never gets shorter under their eyes."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chat_page import answer, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

# Every frame while the last answer streams: its height, and the fading runs in it.
WATCH = """
() => {
  window.__frames = [];
  const sample = () => {
    const turn = document.querySelector(".turn:last-child");
    const body = turn?.querySelector(".answer-body");
    if (body && turn.dataset.status === "streaming") {
      const fresh = [...body.querySelectorAll(".md-fresh")];
      window.__frames.push({
        height: body.getBoundingClientRect().height,
        fresh: fresh.length,
        animations: fresh.map((span) => getComputedStyle(span).animationName),
      });
    }
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}
"""

# A bullet list whose next line is "-", then "--", then "---": an empty second item (taller),
# then a lazy continuation line of the first (shorter), then a rule. Streamed a piece at a time,
# the rendered answer shrinks twice on the way unless the page holds its height.
SHRINKING = [
    "Some words first.\n\n",
    "- one\n",
    "-",
    "-",
    "-\n\n",
    "A paragraph after the rule, ",
    "long enough to wrap on a narrow screen, word by word, ",
    *[f"more{i} " for i in range(30)],
]


def frames(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("window.__frames")
    return found


def test_text_fades_in_and_the_answer_never_shrinks(page: Page, fake: FakeAnthropic) -> None:
    page.emulate_media(reduced_motion="no-preference")
    fake.default = Reply(texts=SHRINKING, delay_s=0.15)
    page.evaluate(WATCH)
    turn = send(page, "Show me a list and a rule")
    expect_status(turn, "done")
    seen = frames(page)
    assert len(seen) > 20
    heights = [frame["height"] for frame in seen]
    shrinks = [(a, b) for a, b in pairwise(heights) if b < a - 0.5]
    assert shrinks == [], "the answer got shorter while it streamed"
    assert any(frame["fresh"] > 0 for frame in seen), "no text faded in"
    names = {name for frame in seen for name in frame["animations"]}
    assert names == {"text-in"}
    # Settled, nothing fades and nothing holds the height any more.
    expect(answer(turn).locator(".md-fresh")).to_have_count(0)
    assert answer(turn).evaluate("(body) => body.style.minHeight") == ""
    expect(answer(turn)).to_contain_text("more29")


def test_reduced_motion_shows_text_as_it_arrives(page: Page, fake: FakeAnthropic) -> None:
    page.emulate_media(reduced_motion="reduce")
    fake.default = Reply(texts=[f"word{i} " for i in range(30)], delay_s=0.1)
    page.evaluate(WATCH)
    turn = send(page, "Hello")
    expect(answer(turn)).to_contain_text("word3")
    # The caret's blink and the status's pulse are off too.
    caret = answer(turn).evaluate(
        """(body) => {
             const line = body.querySelector(".md-growing p:last-child");
             return line && getComputedStyle(line, "::after").animationName;
           }"""
    )
    assert caret == "none"
    expect_status(turn, "done")
    seen = frames(page)
    assert len(seen) > 10
    assert all(frame["fresh"] == 0 for frame in seen), "text faded in under reduced motion"
    # And the rule that would fade it is off as well, should a run be marked.
    name = page.evaluate(
        """() => {
             const span = document.createElement("span");
             span.className = "md-fresh";
             document.querySelector(".answer-body").append(span);
             const name = getComputedStyle(span).animationName;
             span.remove();
             return name;
           }"""
    )
    assert name == "none"

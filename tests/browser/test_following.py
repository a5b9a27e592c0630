"""The view follows the answer to its end, on a wide screen and on a phone.

Answer blocks off screen are laid out only when near it (`content-visibility: auto`), so a new
block first counts as a short placeholder and then grows: the answers here are made of blocks
far taller than that placeholder (code, tables, long paragraphs), the case where a follow logic
that trusts the scroll position takes layout for the user scrolling up.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_page import SCREENSHOTS, answer, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

VIEWPORTS = {"wide": (1280, 800), "phone": (390, 844)}

# Counts every time "Jump to latest" is shown: it must never be while the user has not scrolled.
WATCH_JUMP = """() => {
  window.__jumpShown = 0;
  const jump = document.getElementById("jump");
  new MutationObserver(() => { if (!jump.hidden) window.__jumpShown += 1; })
    .observe(jump, { attributes: true, attributeFilter: ["hidden"] });
}"""

# The answer's last line and its action row are inside the visible part of the log.
END_IN_VIEW = """(turn) => {
  const log = document.getElementById("log").getBoundingClientRect();
  const blocks = turn.querySelectorAll(".answer-body .md-block:not(.md-growing)");
  const last = blocks[blocks.length - 1];
  const actions = turn.querySelector(".answer-actions");
  if (!last || !actions || actions.hidden) return false;
  const inside = (rect) => rect.top >= log.top - 1 && rect.bottom <= log.bottom + 1;
  return inside(last.lastElementChild.getBoundingClientRect())
    && inside(actions.getBoundingClientRect());
}"""


def tall_answer(parts: int = 6, tag: str = "") -> list[str]:
    """Streamed line by line: each part a long paragraph, a 24-line code block and a table."""
    lines: list[str] = []
    for i in range(parts):
        lines.append(
            f"Part {i}{tag}: "
            + " ".join(f"this paragraph wraps over many lines ({i}.{w})" for w in range(24))
            + "\n\n"
        )
        lines.append("```python\n")
        lines += [f"value_{i}_{n} = compute({n}) * {i}  # line {n}\n" for n in range(24)]
        lines.append("```\n\n")
        lines.append("| key | value | note |\n|---|---|---|\n")
        lines += [f"| k{i}.{n} | {n * i} | row {n} of the table |\n" for n in range(10)]
        lines.append("\n")
    lines.append(f"The last line of the answer{tag}.")
    return lines


def distance_from_bottom(page: Page) -> float:
    distance: float = page.evaluate(
        "(() => { const l = document.getElementById('log');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight; })()"
    )
    return distance


def scroll_top(page: Page) -> float:
    top: float = page.evaluate("document.getElementById('log').scrollTop")
    return top


def expect_end_in_view(page: Page, turn: Locator) -> None:
    page.wait_for_function(END_IN_VIEW, arg=turn.element_handle(), timeout=5_000)
    assert distance_from_bottom(page) <= 2


def settled_scroll_top(page: Page) -> float:
    """The log's scroll position once a (smooth) wheel scroll has come to rest."""
    previous = -1.0
    for _ in range(50):
        page.wait_for_timeout(100)
        current = scroll_top(page)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the log kept scrolling")


def scroll_up(page: Page, turn: Locator, how: str) -> None:
    """Scroll the conversation up by about half a screen, as a person would."""
    log = page.locator("#log").bounding_box()
    assert log
    if how == "wheel":
        page.hover("#log")
        page.mouse.wheel(0, -400)
    elif how == "keys":
        # A click on the text leaves the keyboard scrolling the conversation.
        turn.locator(".bubble").click()
        page.keyboard.press("PageUp")
    else:
        # A finger dragged down the screen, through the browser's whole input path.
        cdp = page.context.new_cdp_session(page)
        x, y = log["x"] + log["width"] / 2, log["y"] + 80
        try:
            cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
            for kind, dy in [("touchStart", 0), *[("touchMove", 40 * i) for i in range(1, 11)]]:
                points = [{"x": x, "y": y + dy}]
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
                page.wait_for_timeout(16)
            # Held still before it lifts, so that no fling glides on for seconds.
            page.wait_for_timeout(150)
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        finally:
            cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": False})
            cdp.detach()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest, page: Page) -> str:
    width, height = VIEWPORTS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    name: str = request.param
    return name


def test_the_view_ends_at_the_last_line_and_the_actions(
    page: Page, fake: FakeAnthropic, viewport: str
) -> None:
    fake.default = Reply(texts=tall_answer(), delay_s=0.01)
    page.evaluate(WATCH_JUMP)
    turn = send(page, "A long answer with code and tables")
    expect(answer(turn)).to_contain_text("Part 2")
    assert distance_from_bottom(page) <= 2, "following while it streams"
    expect_status(turn, "done")

    expect_end_in_view(page, turn)
    expect(answer(turn)).to_contain_text("The last line of the answer.")
    expect(turn.get_by_role("button", name="Regenerate", exact=True)).to_be_in_viewport()
    expect(page.locator("#jump")).to_be_hidden()
    assert page.evaluate("window.__jumpShown") == 0, "the user never scrolled"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"following-end-{viewport}.png")


@pytest.mark.parametrize("how", ["wheel", "keys", "touch"])
def test_scrolling_up_holds_the_view_and_jump_follows_again_for_good(
    page: Page, fake: FakeAnthropic, viewport: str, how: str
) -> None:
    fake.default = Reply(texts=tall_answer(parts=8), delay_s=0.02)
    turn = send(page, "A long answer with code and tables")
    expect(answer(turn)).to_contain_text("Part 1")

    scroll_up(page, turn, how)
    held = settled_scroll_top(page)
    expect(answer(turn)).to_contain_text("Part 3")
    assert scroll_top(page) == held, "not pulled down by the answer"
    expect(page.locator("#jump")).to_be_visible()

    page.click("#jump")
    expect(page.locator("#jump")).to_be_hidden()
    page.evaluate(WATCH_JUMP)
    expect(answer(turn)).to_contain_text("Part 5")
    assert distance_from_bottom(page) <= 2, "following again after the jump"
    expect_status(turn, "done")
    expect_end_in_view(page, turn)
    assert page.evaluate("window.__jumpShown") == 0, "following stayed on to the end"


def test_a_past_conversation_and_a_reload_open_at_the_end(
    page: Page, fake: FakeAnthropic, viewport: str
) -> None:
    fake.default = Reply(texts=tall_answer(tag=" (first)"), delay_s=0.0)
    expect_status(send(page, "The first long question"), "done")
    fake.default = Reply(texts=tall_answer(parts=4, tag=" (second)"), delay_s=0.0)
    last = send(page, "The second long question")
    expect_status(last, "done")
    page.get_by_role("button", name="New chat").click()
    expect_status(send(page, "Something short"), "done")

    if page.locator("#history-toggle").is_visible():
        page.locator("#history-toggle").click()
    page.get_by_role("navigation", name="Conversations").locator(".history-open").nth(1).click()
    opened = page.locator(".turn").nth(1)
    expect(answer(opened)).to_contain_text("The last line of the answer (second).")
    expect_end_in_view(page, opened)
    page.screenshot(path=SCREENSHOTS / f"following-opened-{viewport}.png")

    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect_end_in_view(page, page.locator(".turn").nth(1))
    page.screenshot(path=SCREENSHOTS / f"following-reloaded-{viewport}.png")

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


# The conversation has grown by a block or more since it was ``height`` tall.
GREW = "(height) => document.getElementById('log').scrollHeight > height + 200"


def distance_from_bottom(page: Page) -> float:
    distance: float = page.evaluate(
        "(() => { const l = document.getElementById('log');"
        " return l.scrollHeight - l.scrollTop - l.clientHeight; })()"
    )
    return distance


def expect_end_in_view(page: Page, turn: Locator) -> None:
    page.wait_for_function(END_IN_VIEW, arg=turn.element_handle(), timeout=5_000)
    assert distance_from_bottom(page) <= 2


def scroll_up(page: Page, turn: Locator, how: str) -> None:
    """Scroll the conversation up by about half a screen, as a person would."""
    log = page.locator("#log").bounding_box()
    assert log
    if how == "wheel":
        page.hover("#log")
        page.mouse.wheel(0, -400)
    elif how == "keys":
        # A click in the conversation leaves the keyboard scrolling it. At a fixed point: a
        # click on an element would first scroll it into view, while the answer moves it.
        page.mouse.click(log["x"] + 4, log["y"] + log["height"] / 2)
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


def scroll_up_until_left(page: Page, turn: Locator, how: str, attempts: int = 3) -> None:
    """Scroll up until the view has left the end, as a person tries again when it did not move.
    On a loaded machine a first wheel is now and then undone by the growing answer before the
    page hears of it; more than one retry would be a defect."""
    for _ in range(attempts):
        scroll_up(page, turn, how)
        try:
            expect(page.locator("#jump")).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"{attempts} scrolls up ({how}) never left the end of the answer")


@pytest.mark.parametrize("how", ["wheel", "keys", "touch"])
def test_scrolling_up_holds_the_view_and_jump_follows_again_for_good(
    page: Page, fake: FakeAnthropic, viewport: str, how: str
) -> None:
    fake.default = Reply(texts=tall_answer(parts=8), delay_s=0.02)
    turn = send(page, "A long answer with code and tables")
    expect(answer(turn)).to_contain_text("Part 1")

    scroll_up_until_left(page, turn, how)
    expect(answer(turn)).to_contain_text("Part 3")
    # Not pulled down: the answer grows below the view. (The scroll position itself may still
    # move a little while blocks above the view are laid out: the browser's scroll anchoring
    # keeps what the reader sees in place, and on a busy machine that goes on for seconds.)
    left = distance_from_bottom(page)
    height = page.evaluate("document.getElementById('log').scrollHeight")
    page.wait_for_function(GREW, arg=height)
    now = distance_from_bottom(page)
    assert now > left > 2, f"not pulled down by the answer ({left} px, then {now} px, from the end)"

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

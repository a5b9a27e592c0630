"""Markdown the model writes shows as meant on a phone: a wide table scrolls sideways instead of
breaking its words, task lists keep their boxes, and an image leaves a trace (never loaded)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_page import SCREENSHOTS, answer, axe_violations, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

COLUMNS = [
    "region",
    "latency",
    "throughput",
    "availability",
    "replication",
    "encryption",
    "retention",
    "compliance",
]
WIDE_TABLE = (
    "| "
    + " | ".join(COLUMNS)
    + " |\n|"
    + "---|" * len(COLUMNS)
    + "\n"
    + "".join(
        "| " + " | ".join(f"{name}Value{row}" for name in COLUMNS) + " |\n" for row in range(3)
    )
)
TASKS = "Plan:\n\n- [x] write the parser\n- [ ] test the renderer\n\n"
IMAGES = (
    "A figure: ![A diagram of the stream](https://example.invalid/diagram.png)"
    " and a local one ![logo](logo.png).\n\n"
)

# Words of table cells the layout broke across lines: a broken word has more than one box.
BROKEN_WORDS = """(root) => {
  const broken = [];
  for (const cell of root.querySelectorAll("th, td")) {
    const text = cell.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) continue;
    for (const match of text.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(text, match.index);
      range.setEnd(text, match.index + match[0].length);
      if (range.getClientRects().length > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def test_tables_task_lists_and_images_on_a_phone(page: Page, fake: FakeAnthropic) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    fake.default = Reply(texts=[TASKS, IMAGES, WIDE_TABLE, "\nThat is all."], delay_s=0.02)
    turn = send(page, "A table, a plan and a figure")
    expect_status(turn, "done")
    body = answer(turn)

    table = body.locator("table")
    cells = body.locator("th, td")
    expect(cells).to_have_count(len(COLUMNS) * 4)
    assert table.evaluate(BROKEN_WORDS) == []
    assert table.evaluate("t => t.scrollWidth > t.clientWidth"), "the table scrolls sideways"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    boxes = body.locator(".task-box")
    expect(boxes).to_have_count(2)
    expect(boxes.nth(0)).to_have_attribute("aria-label", "Done")
    expect(boxes.nth(1)).to_have_attribute("aria-label", "Not done")
    expect(body.locator("li").filter(has_text="write the parser")).to_be_visible()

    remote = body.get_by_role("link", name="Image: A diagram of the stream")
    expect(remote).to_have_attribute("href", "https://example.invalid/diagram.png")
    expect(remote).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(body.locator(".md-image").filter(has_text="Image: logo")).to_be_visible()
    assert body.locator("img").count() == 0, "images are never loaded"
    assert axe_violations(page) == []
    page.screenshot(path=SCREENSHOTS / "markdown-phone.png", full_page=True)


MATH = [
    "Energy: $E = mc^2$ and \\(a^2 + b^2 = c^2\\) within a line.\n\n",
    "$$\\int_0^1 x\\,dx = \\frac{1}{2}$$\n\n",
    "\\[ \\sum_{n=1}^{\\infty} \\frac{1}{n^2} = \\frac{\\pi^2}{6} \\]\n\n",
    "It costs $5 and $10, and `$not math$` is code.\n\n",
    "```tex\n$$\\frac{a}{b}$$\n```\n\n",
    "Done.",
]


def test_latex_is_typeset_by_katex_but_never_in_code(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=MATH, delay_s=0.05)
    turn = send(page, "Some formulas")
    expect_status(turn, "done")
    body = answer(turn)
    check_math(body)
    assert axe_violations(page) == []
    page.screenshot(path=SCREENSHOTS / "math.png")

    # Restored from storage, before KaTeX is loaded: typeset once it is.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    check_math(answer(page.locator(".turn").first))


def check_math(body: Locator) -> None:
    expect(body.locator("math")).to_have_count(4)
    expect(body.locator(".math-block math")).to_have_count(2)
    expect(body.locator(".math-block math[display='block']")).to_have_count(2)
    expect(body.locator("math mfrac")).to_have_count(3)
    assert body.locator("annotation, .math-source").count() == 0
    money = body.locator("p").filter(has_text="It costs")
    expect(money).to_contain_text("It costs $5 and $10")
    assert money.locator("math").count() == 0
    expect(money.locator("code")).to_have_text("$not math$")
    expect(body.locator("pre code")).to_contain_text("$$\\frac{a}{b}$$")
    prose = body.evaluate(
        "b => [...b.querySelectorAll('p, .math-block')].map((e) => e.textContent).join(' ')"
    )
    assert "\\frac" not in prose and "$$" not in prose, prose

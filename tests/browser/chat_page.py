"""What a person does on the chat page, and what they see, for the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.support.serve import ROOT

# SHA-256 of the empty body: the header every cancel request must carry behind CloudFront OAC.
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
STREAM_TIMEOUT_MS = 15_000


def send(page: Page, text: str) -> Locator:
    """Type a message, press Enter, and return the new turn."""
    count = page.locator(".turn").count()
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")
    turn = page.locator(".turn").nth(count)
    expect(turn).to_be_attached()
    return turn


def answer(turn: Locator) -> Locator:
    return turn.locator(".answer-body")


def expect_status(turn: Locator, status: str) -> None:
    expect(turn).to_have_attribute("data-status", status, timeout=STREAM_TIMEOUT_MS)


def text_of(message: dict[str, Any]) -> str:
    """The text of a Messages API message, whether its content is a string or text blocks."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(block["text"] for block in content if block["type"] == "text")


SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"wide": (1280, 800), "narrow": (375, 740)}


def accessible_everywhere(page: Page, state: str) -> None:
    """No axe violations at either size or theme; then screenshots of each."""
    for width, height in SIZES.values():
        page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            # No colour transitions: axe must see the theme's colours, not a blend on the way.
            page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            assert axe_violations(page) == [], f"{state} at {width} px, {scheme}"
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshots(page, state)


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG A/AA and best-practice violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated through the debugging protocol, so the page's CSP does not apply to it.
        page.evaluate(f"() => {{ {AXE.read_text()}\n window.axe = axe; }}")
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {
             runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
           })).violations.map((v) => ({id: v.id, nodes: v.nodes.map((n) => n.target.join(" "))}))"""
    )
    return [f"{v['id']}: {', '.join(v['nodes'][:3])}" for v in found]


def screenshots(page: Page, name: str) -> list[Path]:
    """The page at both sizes, light and dark, saved for review; the viewport is restored."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    paths = []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            path = SCREENSHOTS / f"{name}-{size}-{scheme}.png"
            page.screenshot(path=path)
            paths.append(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path.name
    page.emulate_media(color_scheme="light")
    if before:
        page.set_viewport_size(before)
    return paths

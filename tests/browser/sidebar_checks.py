"""The history sidebar in a given state, checked by axe at both sizes and in both themes, with
screenshots for review. On the narrow size the sidebar is a drawer: it is opened for the check."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_page import SCREENSHOTS, SIZES, axe_violations


def sidebar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Conversations")


def check_sidebar(page: Page, state: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        toggle = page.get_by_role("button", name="Conversations")
        drawer = width <= 800
        if drawer:
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            assert axe_violations(page) == [], f"{state} at {width} px, {scheme}"
            page.screenshot(path=SCREENSHOTS / f"{state}-{size}-{scheme}.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, state
        if drawer:
            sidebar(page).get_by_role("button").first.focus()
            page.keyboard.press("Escape")
            expect(toggle).to_have_attribute("aria-expanded", "false")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})

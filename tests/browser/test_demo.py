"""Without a model key the function answers from its offline demo model: the page says so, so
that nobody takes the sample text for a real answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.chat_page import SCREENSHOTS, answer, expect_status, send
from tests.browser.conftest import RECORD_CSP_VIOLATIONS
from tests.support.serve import ServeProcess, clean_env, running_serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    env = clean_env(STREAM_CHAT_PROVIDER="demo", STREAM_CHAT_DEMO_TOKEN_DELAY_S="0.001")
    log_path = tmp_path_factory.mktemp("serve-demo") / "serve.log"
    with running_serve(env=env, log_path=log_path) as running:
        yield running


def test_the_demo_model_is_announced_as_such(
    browser: BrowserContext, demo_served: ServeProcess
) -> None:
    page = browser.new_page()
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    try:
        page.goto(demo_served.url + "/")
        page.wait_for_selector("html[data-ready='true']")
        notice = page.locator("#demo-notice")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("offline model")
        turn = send(page, "Hello")
        expect_status(turn, "done")
        expect(answer(turn)).to_contain_text("demo")
        expect(notice).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "demo-notice.png")
        assert page.evaluate("window.__cspViolations") == []
    finally:
        page.close()


def test_a_real_model_has_no_demo_notice(page: Page) -> None:
    expect(page.locator("#demo-notice")).to_be_hidden()

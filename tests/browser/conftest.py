"""The browser suite's world: a fake Anthropic API, ``stream-chat serve`` on top of it, and Debian's
headless Chromium driven by Playwright. All three live while this package's tests run; each test
gets a new page. They end with the package: Playwright's sync API keeps an event loop running in
the main thread, where later suites' ``asyncio.run()`` would then refuse to start.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import ServeProcess, clean_env, running_serve

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every page records CSP violations, so each test also proves the page runs under its policy.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}`);
});
"""

# Each test starts with no saved conversations; reloads within the test keep them.
FRESH_STORAGE = """
if (location.protocol === "http:" && !sessionStorage.getItem("fresh")) {
  sessionStorage.setItem("fresh", "1");
  indexedDB.deleteDatabase("stream-chat");
  localStorage.clear();
}
"""


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: under CI the browser suite must run, not skip")
    pytest.skip("chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="package")
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake(fake_anthropic: FakeAnthropic) -> FakeAnthropic:
    """The shared fake, with a short default answer; tests set their own ``default``."""
    fake_anthropic.default = Reply(texts=["Hello", " there", "!"], delay_s=0.02)
    return fake_anthropic


@pytest.fixture(scope="package")
def served(
    fake_anthropic: FakeAnthropic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    env = clean_env(
        ANTHROPIC_BASE_URL=fake_anthropic.base_url,
        ANTHROPIC_API_KEY=fake_anthropic.api_key,
        STREAM_CHAT_PROVIDER="anthropic",
        # One attempt: a fault must reach the page, not be retried away by the server.
        STREAM_CHAT_PROVIDER_ATTEMPTS="1",
    )
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    # Two instances warm: an answer asked right after a Stop starts while the stopped one is
    # still winding down, and a cold start on a busy machine would take most of a test's patience.
    with running_serve("--warm", "2", env=env, log_path=log_path) as running:
        yield running


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    executable = chromium_path()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 800},
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        try:
            yield context
        finally:
            context.close()


@contextmanager
def opened_page(browser: BrowserContext, url: str, *, fresh: bool = True) -> Iterator[Page]:
    """The page at ``url``, loaded and wired up (with no saved conversations when ``fresh``); no
    script error or CSP violation may happen on it."""
    page = browser.new_page()
    page.set_default_timeout(10_000)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    if fresh:
        page.add_init_script(FRESH_STORAGE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url + "/")
        page.wait_for_selector("html[data-ready='true']")
        yield page
        if page.url.startswith(url):
            assert page.evaluate("window.__cspViolations") == []
        assert errors == []
    finally:
        page.close()


@pytest.fixture
def page(browser: BrowserContext, served: ServeProcess, fake: FakeAnthropic) -> Iterator[Page]:
    """The chat page, loaded and wired up; no script error or CSP violation may happen on it."""
    with opened_page(browser, served.url) as opened:
        yield opened

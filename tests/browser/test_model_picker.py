"""The Model combobox: shown when the deployment allows more than one model, its pick sent with
every message and remembered, each answer naming the model that wrote it; a model outside the
allow-list is refused before the provider hears of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.chat_page import accessible_everywhere, answer, expect_status, send
from tests.browser.conftest import opened_page
from tests.fakes.anthropic_server import FakeAnthropic
from tests.support.serve import ServeProcess, clean_env, running_serve

pytestmark = pytest.mark.browser

SONNET = "claude-sonnet-4-6"
HAIKU = "claude-haiku-4-5"


@pytest.fixture(scope="module")
def two_models(
    fake_anthropic: FakeAnthropic, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    env = clean_env(
        ANTHROPIC_BASE_URL=fake_anthropic.base_url,
        ANTHROPIC_API_KEY=fake_anthropic.api_key,
        STREAM_CHAT_PROVIDER="anthropic",
        STREAM_CHAT_PROVIDER_ATTEMPTS="1",
        STREAM_CHAT_ALLOWED_MODELS=f"{SONNET},{HAIKU}",
        STREAM_CHAT_MODEL=SONNET,
    )
    log_path = tmp_path_factory.mktemp("serve-models") / "serve.log"
    with running_serve(env=env, log_path=log_path) as running:
        yield running


@pytest.fixture
def picker_page(
    browser: BrowserContext, two_models: ServeProcess, fake: FakeAnthropic
) -> Iterator[Page]:
    with opened_page(browser, two_models.url) as page:
        yield page


def test_the_picked_model_answers_is_remembered_and_named(
    picker_page: Page, fake: FakeAnthropic
) -> None:
    page = picker_page
    picker = page.get_by_role("combobox", name="Model")
    expect(picker).to_be_visible()
    expect(picker).to_have_value(SONNET)  # the deployment's default
    assert picker.locator("option").all_inner_texts() == [SONNET, HAIKU]

    picker.select_option(HAIKU)
    first = send(page, "Hello")
    expect_status(first, "done")
    assert fake.requests[-1]["model"] == HAIKU
    expect(first.locator(".model")).to_have_text(HAIKU)

    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    expect(picker).to_have_value(HAIKU)
    expect(page.locator(".turn").first.locator(".model")).to_have_text(HAIKU)

    picker.select_option(SONNET)
    second = send(page, "And again")
    expect_status(second, "done")
    assert fake.requests[-1]["model"] == SONNET
    # Each answer keeps the name of the model that wrote it.
    expect(page.locator(".turn .model")).to_have_text([HAIKU, SONNET])
    expect(answer(second)).to_have_text("Hello there!")


def test_a_model_not_allowed_is_refused_before_any_provider_call(
    picker_page: Page, fake: FakeAnthropic
) -> None:
    asked = len(fake.requests)
    refusal = picker_page.evaluate(
        """async () => {
             const response = await fetch("/api/chat/stream", {
               method: "POST",
               headers: {"content-type": "application/json"},
               body: JSON.stringify({
                 messages: [{role: "user", content: "hi"}], model: "claude-opus-4-6",
               }),
             });
             return {status: response.status, body: await response.json()};
           }"""
    )
    assert refusal["status"] == 400
    assert refusal["body"]["error"]["code"] == "model_not_allowed"
    assert len(fake.requests) == asked


def test_the_picker_passes_axe(picker_page: Page) -> None:
    picker_page.get_by_role("combobox", name="Model").focus()
    accessible_everywhere(picker_page, "model-picker")


def test_with_one_model_there_is_no_picker(page: Page, fake: FakeAnthropic) -> None:
    expect(page.get_by_role("combobox", name="Model")).to_be_hidden()
    expect_status(send(page, "Hello"), "done")
    # The request names no model: the function answers with its default.
    assert fake.requests[-1]["model"] == SONNET
    expect(page.locator(".turn .model")).to_have_text(SONNET)

"""Failures are shown as what they are, keep what was already said, and never retry on their own."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.chat_page import answer, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser


def test_a_provider_error_mid_stream_keeps_the_partial_text(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = Reply(
        texts=["Partial ", "answer ", "never sent"], fault="overloaded_midstream", fault_after=2
    )
    turn = send(page, "Hello")

    expect_status(turn, "error")
    expect(answer(turn)).to_have_text("Partial answer")
    expect(turn.locator(".answer-error")).to_be_visible()
    expect(turn.locator(".error-detail")).to_contain_text("code ")
    expect(page.locator("#announcer")).to_contain_text("Answer error: ")
    sent = len(fake.requests)
    # Nothing is re-sent behind the user's back: a retry would re-generate and re-bill.
    page.wait_for_timeout(1000)
    assert len(fake.requests) == sent

    fake.default = Reply(texts=["Recovered", "."])
    turn.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(turn, "done")
    expect(answer(turn)).to_have_text("Recovered.")
    expect(turn.locator(".answer-error")).to_be_hidden()
    expect(turn.locator(".version-position")).to_have_text("2 / 2")
    assert len(fake.requests) == sent + 1


def test_a_refused_request_shows_the_error_without_a_stream(
    page: Page, fake: FakeAnthropic
) -> None:
    sent = len(fake.requests)
    turn = send(page, "x" * 300_000)  # over the server's character limit

    expect_status(turn, "error")
    expect(turn.locator(".error-title")).to_contain_text("too long")
    expect(turn.locator(".error-detail")).to_contain_text("too_many_characters")
    expect(answer(turn)).to_be_empty()
    assert len(fake.requests) == sent, "refused before reaching the provider"


def test_a_stream_cut_before_done_that_cannot_be_resumed_is_incomplete(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = Reply(texts=["Cut ", "short"], delay_s=0.02)
    # Lambda and CloudFront end streams at their timeouts without any trailer: the real
    # server's stream is replayed without its last frames, as such a cut would leave it; and
    # the server no longer has the answer when the page asks for the rest.
    page.route("**/api/chat/stream", _without_done)
    resumes: list[str] = []
    page.route("**/api/chat/stream/*", lambda route: _not_found(route, resumes))
    turn = send(page, "Hello")

    expect_status(turn, "incomplete")
    expect(answer(turn)).to_have_text("Cut short")
    expect(turn.locator(".error-title")).to_contain_text("lost")
    expect(turn.get_by_role("button", name="Regenerate", exact=True)).to_be_visible()
    expect(turn.get_by_role("button", name="Continue", exact=True)).to_be_visible()
    assert resumes == ["GET"], "the rest was asked for once; the question never again"


def test_markup_in_an_answer_is_inert(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(
        texts=[
            "Look: <script>window.__pwned = 1</script>",
            '<img src="x" onerror="window.__pwned = 2">',
            ' <a href="javascript:window.__pwned = 3">link</a> ',
            '<svg onload="window.__pwned = 4"></svg> ',
            "[markdown link](javascript:window.__pwned=5) ![pixel](https://example.invalid/p.png)",
            " and **bold**",
        ],
        delay_s=0.05,
    )
    # Watch every node that ever enters the page, partial renders included.
    page.evaluate(
        """() => {
          window.__unsafe = [];
          new MutationObserver((records) => {
            for (const record of records) for (const node of record.addedNodes) {
              if (!(node instanceof Element)) continue;
              for (const el of [node, ...node.querySelectorAll("*")]) {
                const handlers = [...el.attributes].filter((a) => a.name.startsWith("on"));
                if (/^(SCRIPT|IMG|IFRAME|svg)$/.test(el.tagName) || handlers.length) {
                  window.__unsafe.push(el.outerHTML);
                }
              }
            }
          }).observe(document.body, { childList: true, subtree: true });
        }"""
    )
    turn = send(page, "Show me some HTML")

    expect_status(turn, "done")
    expect(answer(turn).locator("strong")).to_have_text("bold")
    # Raw HTML from the model is shown as text, as a chat should show it.
    expect(answer(turn)).to_contain_text("Look: <script>window.__pwned = 1</script>")
    expect(answer(turn)).to_contain_text('<img src="x" onerror="window.__pwned = 2">')
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__unsafe") == []
    assert answer(turn).locator("[onerror], [onload], script, img, svg").count() == 0
    assert answer(turn).locator("a[href^='javascript']").count() == 0


def _not_found(route: Route, methods: list[str]) -> None:
    methods.append(route.request.method)
    body = '{"error": {"code": "not_found", "message": "No such stream."}}'
    route.fulfill(status=404, content_type="application/json", body=body)


def _without_done(route: Route) -> None:
    response = route.fetch()
    frames = response.body().split(b"\n\n")
    trailer = (b"event: usage", b"event: done")
    kept = [frame for frame in frames if not any(name in frame for name in trailer)]
    assert len(kept) < len(frames), "the server's stream had a done frame to cut"
    route.fulfill(response=response, body=b"\n\n".join(kept))


def test_copy_on_a_failed_answer_copies_what_was_shown(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(
        texts=["Partial ", "answer ", "never sent"], fault="overloaded_midstream", fault_after=2
    )
    turn = send(page, "Hello")
    expect_status(turn, "error")
    title = turn.locator(".error-title").inner_text()
    detail = turn.locator(".error-detail").inner_text()
    turn.get_by_role("button", name="Copy answer", exact=True).click()
    expect(turn.get_by_role("button", name="Copy answer", exact=True)).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"Partial answer\n\n{title}\n{detail}"

    # Failed before any text: the error alone.
    refused = send(page, "x" * 300_000)
    expect_status(refused, "error")
    refused.get_by_role("button", name="Copy answer", exact=True).click()
    expect(refused.get_by_role("button", name="Copy answer", exact=True)).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(refused.locator(".error-title").inner_text())
    assert "too_many_characters" in copied

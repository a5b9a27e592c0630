"""Sign-in in the browser: the page runs the authorization code + PKCE flow against a stand-in
Cognito (real HTTP on 127.0.0.1, which checks the verifier), streams an answer with the access
token in X-Authorization, renews or asks to sign in again on a 401, and signs out."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.browser.chat_page import answer, expect_status, send
from tests.browser.conftest import opened_page
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.identity_provider import FakeIdentityProvider
from tests.support.serve import ROOT, ServeProcess, clean_env, running_serve

pytestmark = pytest.mark.browser

CLIENT_ID = "page-client"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider(CLIENT_ID) as provider:
        yield provider


@pytest.fixture(scope="module")
def signed_served(
    idp: FakeIdentityProvider,
    fake_anthropic: FakeAnthropic,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServeProcess]:
    """serve as deployed with sign-in: the function checks the stand-in's tokens for the page's
    client, and config.json tells the page where to sign in."""
    env = clean_env(
        ANTHROPIC_BASE_URL=fake_anthropic.base_url,
        ANTHROPIC_API_KEY=fake_anthropic.api_key,
        STREAM_CHAT_PROVIDER="anthropic",
        STREAM_CHAT_PROVIDER_ATTEMPTS="1",
        STREAM_CHAT_AUTH="cognito",
        STREAM_CHAT_AUTH_ISSUER=idp.issuer,
        STREAM_CHAT_AUTH_CLIENT_ID=CLIENT_ID,
    )
    log_path = tmp_path_factory.mktemp("serve-auth") / "serve.log"
    options = ("--auth-domain", idp.base_url, "--auth-client-id", CLIENT_ID)
    with running_serve(*options, env=env, log_path=log_path) as running:
        # Like the app client's registered URLs: only the page itself.
        idp.redirect_uris = idp.logout_uris = [f"{running.url}/"]
        yield running


@pytest.fixture
def auth_page(
    browser: BrowserContext, signed_served: ServeProcess, fake: FakeAnthropic
) -> Iterator[Page]:
    with opened_page(browser, signed_served.url, fresh=False) as page:
        yield page


def sign_in(page: Page, idp: FakeIdentityProvider, served: ServeProcess) -> None:
    exchanges = len(idp.token_requests)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served.url}/")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.locator("#account-name")).to_have_text(idp.user.email)
    assert len(idp.token_requests) == exchanges + 1


def test_sign_in_stream_and_sign_out(
    auth_page: Page, idp: FakeIdentityProvider, signed_served: ServeProcess, fake: FakeAnthropic
) -> None:
    page = auth_page
    expect(page.get_by_role("heading", name="Sign in to chat")).to_be_visible()
    expect(page.locator("#prompt")).to_be_disabled()
    expect(page.locator("#account")).to_be_hidden()

    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if "/oauth2/authorize" in r.url else None)
    sign_in(page, idp, signed_served)

    # The authorize request carried an S256 challenge; the code exchange its verifier, which the
    # stand-in checked (it answers invalid_grant otherwise).
    (request,) = authorize
    query = {k: v[0] for k, v in parse_qs(urlsplit(request).query).items()}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == f"{signed_served.url}/"
    exchange = idp.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert len(exchange["code_verifier"]) == 43
    assert "code=" not in page.url and "state=" not in page.url
    # Tokens stay in this tab's sessionStorage, never in localStorage.
    assert page.evaluate("Object.keys(localStorage)") == []
    assert page.evaluate("Object.keys(sessionStorage)") == ["stream-chat:tokens"]
    expect(page.get_by_role("heading", name="Sign in to chat")).to_be_hidden()

    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.url.endswith("/api/chat/stream") else None)
    fake.default = Reply(texts=["Signed ", "in ", "and ", "streaming."], delay_s=0.05)
    turn = send(page, "Hello")
    expect_status(turn, "done")
    expect(answer(turn)).to_have_text("Signed in and streaming.")

    (post,) = posts
    scheme, token = post.headers["x-authorization"].split(" ")
    assert scheme == "Bearer" and "authorization" not in post.headers
    claims = jwt.decode(
        token, idp.public_key(), algorithms=["RS256"], options={"verify_aud": False}
    )
    assert (claims["token_use"], claims["client_id"], claims["iss"]) == (
        "access",
        CLIENT_ID,
        idp.issuer,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "signed-in.png")
    page.set_viewport_size({"width": 375, "height": 740})
    # On a phone the top bar still fits, its buttons side by side.
    sign_out = page.locator("#sign-out").bounding_box()
    new_chat = page.locator("#new-chat").bounding_box()
    assert sign_out is not None and new_chat is not None
    assert sign_out["x"] + sign_out["width"] <= new_chat["x"]
    assert new_chat["x"] + new_chat["width"] <= 375
    assert sign_out["height"] == new_chat["height"] < 48  # one line each
    page.screenshot(path=SCREENSHOTS / "signed-in-375.png")
    page.set_viewport_size({"width": 1100, "height": 800})

    revoked = len(idp.requests)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{signed_served.url}/")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.get_by_role("heading", name="Sign in to chat")).to_be_visible()
    assert ("POST", "/oauth2/revoke") in idp.requests[revoked:]
    assert ("GET", "/logout") in idp.requests[revoked:]
    assert page.evaluate("Object.keys(sessionStorage)") == []
    page.screenshot(path=SCREENSHOTS / "signed-out.png")


def test_a_refused_token_leads_to_a_sign_in_prompt_not_an_error(
    auth_page: Page, idp: FakeIdentityProvider, signed_served: ServeProcess, fake: FakeAnthropic
) -> None:
    page = auth_page
    sign_in(page, idp, signed_served)
    # The session ends elsewhere: the token the tab holds no longer verifies, and its refresh
    # token has been revoked.
    saved = page.evaluate("JSON.parse(sessionStorage['stream-chat:tokens'])")
    idp.revoke({"client_id": CLIENT_ID, "token": saved["refreshToken"]})
    forged = saved["accessToken"].rsplit(".", 1)[0] + ".c2lnbmF0dXJl"  # another signature
    page.evaluate(
        "(token) => { const t = JSON.parse(sessionStorage['stream-chat:tokens']);"
        " t.accessToken = token; sessionStorage['stream-chat:tokens'] = JSON.stringify(t); }",
        forged,
    )
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    asked = len(fake.requests)

    with page.expect_response("**/api/chat/stream") as refused:
        turn = send(page, "Hello?")

    assert refused.value.status == 401
    expect_status(turn, "error")
    expect(turn).to_contain_text("Sign in to continue.")
    expect(page.get_by_role("heading", name="Sign in to chat")).to_be_visible()
    expect(page.locator("#sign-in-message")).to_contain_text("session has ended")
    expect(page.locator("#account")).to_be_hidden()
    expect(page.locator("#prompt")).to_be_disabled()
    assert idp.token_requests[-1]["grant_type"] == "refresh_token"
    assert len(fake.requests) == asked, "the provider never saw the refused request"
    page.screenshot(path=SCREENSHOTS / "session-ended.png")


def test_the_api_refuses_a_request_without_a_token(
    auth_page: Page, signed_served: ServeProcess, fake: FakeAnthropic
) -> None:
    asked = len(fake.requests)
    body = {"messages": [{"role": "user", "content": "Hi"}]}
    response = auth_page.request.post(f"{signed_served.url}/api/chat/stream", data=body)
    assert response.status == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert len(fake.requests) == asked


def test_make_dev_needs_no_sign_in(page: Page) -> None:
    """Without sign-in configured (the default serve), there is no prompt and no account."""
    expect(page.locator("#sign-in")).to_be_hidden()
    expect(page.locator("#account")).to_be_hidden()
    expect(page.locator("#prompt")).to_be_enabled()


def test_conversations_are_kept_per_user(
    auth_page: Page, idp: FakeIdentityProvider, signed_served: ServeProcess, fake: FakeAnthropic
) -> None:
    page = auth_page
    sign_in(page, idp, signed_served)
    fake.default = Reply(texts=["Kept ", "for you."])
    expect_status(send(page, "Only mine"), "done")
    names = page.evaluate("indexedDB.databases().then((found) => found.map((d) => d.name))")
    assert f"stream-chat:{idp.user.email}" in names
    history = page.get_by_role("navigation", name="Conversations").locator(".history-open")
    expect(history.first).to_have_text("Only mine")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{signed_served.url}/")
    page.wait_for_selector("html[data-ready='true']")
    expect(page.get_by_role("heading", name="Sign in to chat")).to_be_visible()
    expect(history).to_have_count(0)
    expect(page.locator(".turn")).to_have_count(0)

    sign_in(page, idp, signed_served)
    expect(history.first).to_have_text("Only mine")
    history.first.click()
    expect(page.locator(".bubble")).to_have_text(["Only mine"])

"""Safe on a developer's machine: no other site, and no rebound domain, can spend the key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from stream_chat_local.static import CONTENT_SECURITY_POLICY
from tests.local.conftest import RawResponse, Serve, exchange, host_of
from tests.support.serve import clean_env, running_serve

CHAT = json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}).encode()


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    tmp = tmp_path_factory.mktemp("safety")
    env = clean_env(
        STREAM_CHAT_CANCEL_SQLITE_PATH=str(tmp / "cancel.sqlite3"), STREAM_CHAT_PROVIDER="demo"
    )
    with running_serve(env=env, log_path=tmp / "serve.log") as running:
        yield Serve(running.process, running.url, running.log_path)


def post(serve: Serve, *headers: str, host: str | None = None, body: bytes = CHAT) -> RawResponse:
    lines = [
        "POST /api/chat/stream HTTP/1.1",
        f"Host: {host or host_of(serve.url)}",
        "Connection: close",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return RawResponse(exchange(serve.url, ("\r\n".join(lines) + "\r\n\r\n").encode() + body))


def test_the_page_itself_may_post_json(serve: Serve) -> None:
    own = f"Origin: {serve.url}"
    response = post(serve, "Content-Type: application/json", own, "Sec-Fetch-Site: same-origin")
    assert response.status == 200
    assert b'"type":"done"' in response.body


@pytest.mark.parametrize(
    "headers",
    [
        ("Content-Type: application/json", "Origin: http://evil.example"),
        ("Content-Type: application/json", "Origin: null"),
        ("Content-Type: application/json", "Origin: http://127.0.0.1:1"),
        ("Content-Type: application/json", "Origin: https://127.0.0.1"),
        ("Content-Type: application/json", "Sec-Fetch-Site: cross-site"),
    ],
)
def test_a_cross_origin_request_is_refused(serve: Serve, headers: tuple[str, ...]) -> None:
    response = post(serve, *headers)
    assert response.status == 403
    assert "refused" in response.json()["Message"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_form_post_is_refused(serve: Serve, content_type: str | None) -> None:
    headers = (f"Content-Type: {content_type}",) if content_type else ()
    assert post(serve, *headers).status == 415


def test_a_cors_preflight_is_refused(serve: Serve) -> None:
    request = (
        f"OPTIONS /api/chat/stream HTTP/1.1\r\nHost: {host_of(serve.url)}\r\n"
        "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
        "Connection: close\r\n\r\n"
    )
    response = RawResponse(exchange(serve.url, request.encode()))
    assert response.status == 403
    assert not any(name.startswith("access-control-") for name in response.headers)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1"])
def test_a_foreign_host_is_refused_everywhere(serve: Serve, host: str) -> None:
    port = host_of(serve.url).split(":")[1]
    host = host.format(port=port)
    page = f"GET /config.json HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"

    assert post(serve, "Content-Type: application/json", host=host).status == 403
    assert RawResponse(exchange(serve.url, page.encode())).status == 403


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "LOCALHOST"])
def test_the_loopback_names_are_served(serve: Serve, name: str) -> None:
    port = host_of(serve.url).split(":")[1]
    response = post(serve, "Content-Type: application/json", host=f"{name}:{port}")
    assert response.status == 200


def test_the_page_carries_the_deployed_site_security_headers(serve: Serve) -> None:
    page = f"GET / HTTP/1.1\r\nHost: {host_of(serve.url)}\r\nConnection: close\r\n\r\n"
    response = RawResponse(exchange(serve.url, page.encode()))

    assert response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.infra
def test_the_local_policy_is_the_deployed_one() -> None:
    from infra.security_headers import CONTENT_SECURITY_POLICY as DEPLOYED

    assert CONTENT_SECURITY_POLICY == DEPLOYED

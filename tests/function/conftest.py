from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.handler import ChatFunction
from stream_chat.providers import make_provider
from stream_chat.runtime.context import LambdaContext
from stream_chat.runtime.response import StreamingResponse
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.bedrock_server import FakeBedrock
from tests.function.output import Output, capture
from tests.support.protocol import read_frames

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def fake_anthropic(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
        yield fake


@pytest.fixture
def fake_bedrock() -> Iterator[FakeBedrock]:
    """Reached through the endpoint setting (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``)."""
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture
def output(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Output:
    """What the function writes to stdout (its log on Lambda) during the test."""
    return capture(monkeypatch, capsys)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fast, small limits suited to tests; each test tweaks with ``dataclasses.replace``."""
    return Settings(
        provider="anthropic",
        demo_token_delay_s=0.0,
        heartbeat_s=5.0,
        first_token_timeout_s=5.0,
        stall_timeout_s=5.0,
        deadline_margin_s=0.5,
        cancel_backend="sqlite",
        cancel_sqlite_path=str(tmp_path / "cancel.sqlite3"),
        cancel_poll_s=0.05,
        limits_sqlite_path=str(tmp_path / "limits.sqlite3"),
        journal_sqlite_path=str(tmp_path / "journal.sqlite3"),
    )


Invoke = Callable[..., tuple[StreamingResponse, list[dict[str, Any]]]]


@pytest.fixture
def invoke(settings: Settings) -> Invoke:
    """Run a fresh ChatFunction on an event; returns the response and its decoded frames."""

    def run(
        event: dict[str, Any] | str, timeout_s: float = 30.0, read: bool = True, **overrides: Any
    ) -> tuple[StreamingResponse, list[dict[str, Any]]]:
        function = build_function(replace(settings, **overrides))
        raw = load_event(event) if isinstance(event, str) else event
        response = function(raw, LambdaContext.local("test-request", timeout_s))
        if not read:
            return response, []
        if response.headers["content-type"].startswith("application/json"):
            return response, [json.loads(b"".join(response.body))]
        return response, read_frames(response.body)

    return run


def timed_invoke(
    settings: Settings, event: dict[str, Any], timeout_s: float, **overrides: Any
) -> tuple[float, list[dict[str, Any]]]:
    """Seconds from the invocation's start to its last byte, and its frames.

    The function is built (its SDK client included) before the clock starts, as on a warm
    instance; the clock starts where Lambda's deadline does, with the invocation.
    """
    function = build_function(replace(settings, **overrides))
    started = time.monotonic()
    response = function(event, LambdaContext.local("test-request", timeout_s))
    frames = read_frames(response.body)
    return time.monotonic() - started, frames


def build_function(settings: Settings) -> ChatFunction:
    registry = SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=settings.cancel_ttl_s)
    return ChatFunction(settings, make_provider(settings), registry)


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return event


def chat_event(
    body: Any,
    *,
    path: str = "/api/chat/stream",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    source_ip: str | None = None,
) -> dict[str, Any]:
    event = load_event("chat")
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"].update(headers or {})
    if source_ip is not None:
        event["requestContext"]["http"]["sourceIp"] = source_ip
    return event


def malformed_event(name: str, flaw: str) -> dict[str, Any]:
    """Event ``name`` with one flaw that makes it no function URL event: each handler answers
    it the same way (400 ``invalid_event``), whatever route it names."""
    event = load_event(name)
    if flaw == "no rawPath":
        del event["rawPath"]
    elif flaw == "no requestContext":
        del event["requestContext"]
    elif flaw == "no method":
        del event["requestContext"]["http"]["method"]
    elif flaw == "http not an object":
        event["requestContext"]["http"] = "POST"
    elif flaw == "rawPath not a string":
        event["rawPath"] = ["/api/chat/stream"]
    elif flaw == "no sourceIp":
        del event["requestContext"]["http"]["sourceIp"]
    else:
        raise ValueError(flaw)
    return event


FLAWS = [
    "no rawPath",
    "no requestContext",
    "no method",
    "http not an object",
    "rawPath not a string",
    "no sourceIp",
]


def user(text: str = "Hello") -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture
def tls_anthropic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeAnthropic]:
    """The fake over HTTPS with a throwaway CA, trusted by the SDK through ``SSL_CERT_FILE``."""
    import ssl

    import trustme

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "test-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with FakeAnthropic(tls=server_context) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
        yield fake


@pytest.fixture
def secret() -> Iterator[tuple[object, str]]:
    """A moto Secrets Manager client and an Anthropic key's ARN, padded as pasted keys are."""
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn: str = client.create_secret(Name="anthropic", SecretString=" sk-first\n")["ARN"]
        yield client, arn

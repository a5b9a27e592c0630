"""The cancel function: route → stream id → registry write, answered as a buffered URL response."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from stream_chat.cancel_handler import CancelFunction
from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.routes import is_cancel_route
from stream_chat.runtime.context import LambdaContext
from stream_chat.stores.tables import CANCEL_TABLE
from tests.function.conftest import FLAWS, chat_event, load_event, malformed_event
from tests.support.imports import modules_loaded_by, top_level
from tests.support.stores import is_cancelled, moto_tables

ROOT = Path(__file__).resolve().parents[2]
STREAM_ID = "3q2-example-stream-id-0123456789AB"
URL_RESPONSE_KEYS = {"statusCode", "headers", "body", "isBase64Encoded"}


def call(function: CancelFunction, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = function(event, LambdaContext.local("req-cancel", 5))
    assert set(result) == URL_RESPONSE_KEYS and result["isBase64Encoded"] is False
    assert result["headers"]["content-type"] == "application/json"
    json.dumps(result)  # what the managed runtime does with it must succeed
    return result["statusCode"], json.loads(result["body"])


def test_a_cancel_is_recorded_and_answered_202(tmp_path: Path) -> None:
    registry = SQLiteRegistry(str(tmp_path / "c.sqlite3"), ttl_s=60)
    status, body = call(CancelFunction(registry), load_event("cancel"))
    assert status == 202
    assert body == {"stream_id": STREAM_ID, "cancelled": True}
    assert is_cancelled(registry, STREAM_ID)


def test_a_cancel_on_dynamodb_is_one_put_with_a_ttl() -> None:
    with moto_tables({"cancels": CANCEL_TABLE}) as client:
        from stream_chat.cancellation.dynamodb import DynamoDBRegistry

        calls: list[str] = []
        client.meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
        )
        function = CancelFunction(DynamoDBRegistry("cancels", ttl_s=600, client=client))
        assert call(function, load_event("cancel"))[0] == 202
        assert calls == ["PutItem"]
        item = client.get_item(TableName="cancels", Key={"stream_id": {"S": STREAM_ID}})["Item"]
    # The cancel's time in milliseconds (the stream's cancel latency starts there); the TTL whole.
    cancelled_at, expires_at = float(item["cancelled_at"]["N"]), int(item["expires_at"]["N"])
    assert len(item["cancelled_at"]["N"].split(".")[1]) == 3
    assert 599 < expires_at - cancelled_at <= 600


@pytest.mark.parametrize("stream_id", ["short", "has.dot.in.it.aaaaaaaaa", "x" * 65, ""])
def test_malformed_stream_ids_are_refused(tmp_path: Path, stream_id: str) -> None:
    registry = SQLiteRegistry(str(tmp_path / "c.sqlite3"), ttl_s=60)
    event = chat_event("", path=f"/api/chat/stream/{stream_id}/cancel")
    status, body = call(CancelFunction(registry), event)
    assert (status, body["error"]["code"]) == (400, "invalid_stream_id")


def test_other_routes_and_methods_are_refused(tmp_path: Path) -> None:
    function = CancelFunction(SQLiteRegistry(str(tmp_path / "c.sqlite3"), ttl_s=60))
    assert call(function, load_event("chat"))[0] == 404
    wrong_method = chat_event("", path=f"/api/chat/stream/{STREAM_ID}/cancel", method="GET")
    result = function(wrong_method, LambdaContext.local("r", 5))
    assert result["statusCode"] == 405 and result["headers"]["allow"] == "POST"
    assert call(CancelFunction(None), load_event("cancel"))[0] == 404  # cancels switched off


@pytest.mark.parametrize("flaw", FLAWS)
def test_an_event_that_is_no_function_url_event_is_a_400(tmp_path: Path, flaw: str) -> None:
    """As the streaming function answers it: the same code for the same malformed event."""
    registry = SQLiteRegistry(str(tmp_path / "c.sqlite3"), ttl_s=60)
    status, body = call(CancelFunction(registry), malformed_event("cancel", flaw))
    assert (status, body["error"]["code"]) == (400, "invalid_event")
    assert registry.cancelled_at(STREAM_ID) is None


def test_a_failing_registry_is_a_json_500_without_internals() -> None:
    class Broken:
        def cancel(self, stream_id: str, owner: str = "") -> None:
            raise RuntimeError("secret internals")

        def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
            return None

    status, body = call(CancelFunction(Broken()), load_event("cancel"))
    assert (status, body["error"]["code"]) == (500, "internal_error")
    assert "secret" not in json.dumps(body)


@pytest.mark.parametrize(
    ("path", "cancel"),
    [
        (f"/api/chat/stream/{STREAM_ID}/cancel", True),
        ("/api/chat/stream//cancel", True),
        ("/api/chat/stream/a/b/cancel", True),  # CloudFront's * spans slashes; the handler 404s
        ("/api/chat/stream", False),
        (f"/api/chat/stream/{STREAM_ID}/cancel/", False),
        (f"/API/chat/stream/{STREAM_ID}/cancel", False),
    ],
)
def test_the_cancel_route_matches_as_cloudfront_matches(path: str, cancel: bool) -> None:
    assert is_cancel_route(path) is cancel


def test_the_cancel_function_imports_only_what_a_registry_write_needs() -> None:
    """Its init must stay light: no Anthropic SDK, no HTTP client stack, no Powertools."""
    loaded = cancel_handler_imports(
        STREAM_CHAT_CANCEL_BACKEND="dynamodb",
        STREAM_CHAT_CANCEL_TABLE="cancels",
        AWS_DEFAULT_REGION="us-east-1",
    )
    assert "boto3" in loaded  # the DynamoDB write is all it brings
    assert not loaded & {"anthropic", "httpx2", "httpcore2", "aws_lambda_powertools", "pydantic"}


def test_with_sign_in_the_cancel_function_stays_free_of_powertools_and_the_sdk() -> None:
    loaded = cancel_handler_imports(
        STREAM_CHAT_CANCEL_BACKEND="sqlite",
        STREAM_CHAT_AUTH="cognito",
        # Nothing listens there: the keys fetched at init fail at once, and nothing leaves the host.
        STREAM_CHAT_AUTH_ISSUER="http://127.0.0.1:9/us-east-1_x",
        STREAM_CHAT_AUTH_CLIENT_ID="client",
    )
    assert {"jwt", "cryptography"} <= loaded  # tokens are checked here too: a cancel is owned
    assert not loaded & {"anthropic", "httpx2", "httpcore2", "aws_lambda_powertools", "pydantic"}


def cancel_handler_imports(**settings: str) -> set[str]:
    """The packages the cancel function's init loads, with only ``settings`` configured."""
    own = ("STREAM_CHAT_", "ANTHROPIC")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    loaded = modules_loaded_by("stream_chat.cancel_handler", {**env, **settings}, init=True)
    return top_level(loaded)

"""HTTP requests as function URL events (payload format 2.0)."""

from __future__ import annotations

import base64

from stream_chat_local.url_event import HttpRequest, build_event


def request(**overrides: object) -> HttpRequest:
    fields: dict[str, object] = {
        "method": "POST",
        "target": "/api/chat/stream?a=1&a=2&b=",
        "body": b'{"x": "\xc3\xa9"}',
        "headers": [
            ("Host", "127.0.0.1:8000"),
            ("X-Amz-Content-Sha256", "abc"),
            ("Accept", "text/event-stream"),
            ("accept", "*/*"),
            ("Cookie", "a=1; b=2"),
            ("User-Agent", "test"),
        ],
        "source_ip": "127.0.0.1",
        "request_id": "rid",
    }
    fields.update(overrides)
    return HttpRequest(**fields)  # type: ignore[arg-type]


def test_a_request_becomes_a_payload_2_event() -> None:
    event = build_event(request())

    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert (event["rawPath"], event["rawQueryString"]) == ("/api/chat/stream", "a=1&a=2&b=")
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"] == {
        "host": "127.0.0.1:8000",
        "x-amz-content-sha256": "abc",
        "accept": "text/event-stream,*/*",
        "user-agent": "test",
    }
    assert event["cookies"] == ["a=1", "b=2"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"x": "é"}', False)
    http = event["requestContext"]["http"]
    assert http == {
        "method": "POST",
        "path": "/api/chat/stream",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "test",
    }
    assert event["requestContext"]["requestId"] == "rid"
    assert event["requestContext"]["domainName"] == "127.0.0.1"


def test_a_body_that_is_not_utf8_travels_as_base64() -> None:
    raw = b"\xff\xfe binary"

    event = build_event(request(body=raw))

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_no_body_no_query_no_cookies_means_no_such_keys() -> None:
    event = build_event(request(method="GET", target="/api/x", body=b"", headers=[]))

    assert "body" not in event and "cookies" not in event
    assert "queryStringParameters" not in event
    assert event["isBase64Encoded"] is False

"""A buffered function URL response becomes HTTP as the function URL documents it."""

from __future__ import annotations

import base64
import json
from typing import Any

from stream_chat_local.http_head import Answer, buffered_answer


def parse(answer: Answer) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers]
    return answer.status, headers, answer.body


def answer(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return parse(buffered_answer(json.dumps(result).encode(), "req-1"))


def test_status_headers_body_and_cookies_are_used_as_given() -> None:
    status, headers, body = answer(
        {
            "statusCode": 202,
            "headers": {"content-type": "application/json", "x-a": "1", "Content-Length": "99"},
            "body": '{"ok":true}',
            "cookies": ["a=1; Secure", "b=2"],
            "isBase64Encoded": False,
        }
    )
    assert status == 202 and body == b'{"ok":true}'
    assert ("x-a", "1") in headers and ("x-amzn-requestid", "req-1") in headers
    assert [v for k, v in headers if k == "set-cookie"] == ["a=1; Secure", "b=2"]
    assert "content-length" not in [k for k, _ in headers]  # the server's own, not the function's


def test_a_base64_body_is_decoded() -> None:
    data = bytes(range(256))
    status, headers, body = answer(
        {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(data).decode(),
            "isBase64Encoded": True,
        }
    )
    assert (status, body) == (200, data)
    assert ("content-type", "application/octet-stream") in headers


def test_a_result_without_status_code_is_the_json_body_of_a_200() -> None:
    status, headers, body = answer({"message": "hi"})
    assert status == 200 and json.loads(body) == {"message": "hi"}
    assert ("content-type", "application/json") in headers
    assert answer("plain")[2] == b'"plain"'


def test_an_unusable_result_is_a_502() -> None:
    for result in (
        {"statusCode": "abc"},
        {"statusCode": 42},
        {"statusCode": 200, "body": "@@", "isBase64Encoded": True},
    ):
        assert answer(result)[0] == 502
    assert parse(buffered_answer(b"not json", "r"))[0] == 502

"""The bytes a function URL answers with: the head built from a prelude, a buffered response
built from the function's result, and the URL's own errors.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


def response_head(metadata: Mapping[str, Any], request_id: str) -> bytes:
    """Status line and headers of a streamed response, from the function's prelude."""
    status = int(metadata.get("statusCode", 200))
    headers = {str(k): str(v) for k, v in (metadata.get("headers") or {}).items()}
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in HOP_BY_HOP]
    lines += [f"Set-Cookie: {cookie}" for cookie in metadata.get("cookies") or ()]
    lines += [f"X-Amzn-RequestId: {request_id}", "Transfer-Encoding: chunked"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def buffered_response(payload: bytes, request_id: str) -> bytes:
    """A ``BUFFERED`` function URL's answer, from the function's JSON result, as documented:
    ``statusCode``, ``headers``, ``body`` (base64 when ``isBase64Encoded``) and ``cookies``;
    a result without ``statusCode`` is itself the body of a 200 ``application/json``.
    """
    headers: dict[str, str]
    cookies: list[str]
    try:
        result = json.loads(payload)
        if not isinstance(result, dict) or "statusCode" not in result:
            status, headers, body, cookies = 200, {}, payload, []
        else:
            status, headers, body, cookies = _parts(result)
    except (ValueError, TypeError, binascii.Error):
        return error_response(502, "Internal Server Error")
    if not any(name.lower() == "content-type" for name in headers):
        headers["content-type"] = "application/json"
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in HOP_BY_HOP]
    lines += [f"Set-Cookie: {cookie}" for cookie in cookies]
    lines += [f"X-Amzn-RequestId: {request_id}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body


def _parts(result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes, list[str]]:
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"statusCode {status}")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    raw = result.get("body")
    text = "" if raw is None else raw if isinstance(raw, str) else json.dumps(raw)
    body = base64.b64decode(text, validate=True) if result.get("isBase64Encoded") else text.encode()
    return status, headers, body, [str(c) for c in result.get("cookies") or ()]


def error_response(status: int, message: str) -> bytes:
    """A function URL's own error answer (throttled, function error), JSON like AWS's."""
    body = json.dumps({"Message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {_reason(status)}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def stream_id(metadata: Mapping[str, Any]) -> str | None:
    """The prelude's ``x-stream-id``: what a cancel on disconnect names."""
    headers = metadata.get("headers") or {}
    found = [str(v) for k, v in headers.items() if str(k).lower() == "x-stream-id"]
    return found[0] if found else None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""

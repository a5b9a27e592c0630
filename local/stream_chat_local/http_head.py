"""The bytes a function URL answers with: the head built from a prelude, and its own errors."""

from __future__ import annotations

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

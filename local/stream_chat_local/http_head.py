"""What the local function URL answers with, as ASGI status and headers: the head built from a
streamed response's prelude, a buffered response built from the function's result, and the URL's
own errors (JSON ``{"Message": ...}``, as AWS writes them).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Headers = list[tuple[bytes, bytes]]

# Framing is the server's business, never the function's (as behind a real function URL).
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"}
JSON = (b"content-type", b"application/json")
NO_STORE = (b"cache-control", b"no-store")
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 section 5.1)
FIELD_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


@dataclass(frozen=True)
class Answer:
    """A whole response the front writes itself: an error, or a page file."""

    status: int
    body: bytes
    headers: Headers = field(default_factory=list)


def error_answer(status: int, message: str, *extra: tuple[str, str]) -> Answer:
    headers = [JSON, NO_STORE] + [(k.encode(), v.encode()) for k, v in extra]
    return Answer(status, json.dumps({"Message": message}).encode(), headers)


def prelude_head(metadata: Mapping[str, Any], request_id: str) -> tuple[int, Headers]:
    """Status and headers of a streamed response; ValueError if the prelude cannot be one."""
    status = int(metadata.get("statusCode", 200))
    if not 200 <= status <= 599:
        raise ValueError(f"statusCode {status} is not a final HTTP status")
    pairs = [(str(k), str(v)) for k, v in (metadata.get("headers") or {}).items()]
    pairs = [(k, v) for k, v in pairs if k.lower() not in HOP_BY_HOP]
    pairs += [("set-cookie", str(cookie)) for cookie in metadata.get("cookies") or ()]
    pairs.append(("x-amzn-requestid", request_id))
    return status, _encoded(pairs)


def buffered_answer(payload: bytes, request_id: str) -> Answer:
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
        return error_answer(502, "Internal Server Error")
    if not any(name.lower() == "content-type" for name in headers):
        headers["content-type"] = "application/json"
    pairs = [(k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP]
    pairs += [("set-cookie", cookie) for cookie in cookies]
    pairs.append(("x-amzn-requestid", request_id))
    return Answer(status, body, _encoded(pairs))


def _parts(result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes, list[str]]:
    status = int(result["statusCode"])
    if not 200 <= status <= 599:
        raise ValueError(f"statusCode {status} is not a final HTTP status")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    raw = result.get("body")
    text = "" if raw is None else raw if isinstance(raw, str) else json.dumps(raw)
    body = base64.b64decode(text, validate=True) if result.get("isBase64Encoded") else text.encode()
    return status, headers, body, [str(c) for c in result.get("cookies") or ()]


def stream_id(metadata: Mapping[str, Any]) -> str | None:
    """The prelude's ``x-stream-id``: what a cancel on disconnect names."""
    headers = metadata.get("headers") or {}
    found = [str(v) for k, v in headers.items() if str(k).lower() == "x-stream-id"]
    return found[0] if found else None


def _encoded(pairs: Iterable[tuple[str, str]]) -> Headers:
    # A header HTTP cannot carry (a CR or LF would split the head) is dropped, not repaired.
    return [
        (k.encode("latin-1", "replace"), v.strip().encode("latin-1", "replace"))
        for k, v in pairs
        if TOKEN.fullmatch(k) and FIELD_VALUE.fullmatch(v)
    ]

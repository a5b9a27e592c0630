"""An HTTP request as a Lambda function URL event (payload format 2.0).

https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # path and query, as on the request line
    headers: Iterable[tuple[str, str]]
    body: bytes
    source_ip: str
    request_id: str


def build_event(request: HttpRequest) -> dict[str, Any]:
    """The event a function URL hands the function for ``request``."""
    url = urlsplit(request.target)
    headers, cookies = _headers(request.headers)
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path or "/",
        "rawQueryString": url.query,
        "headers": headers,
        "requestContext": _request_context(request, url.path or "/", headers, now),
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query := _query(url.query):
        event["queryStringParameters"] = query
    if request.body:
        event["body"], event["isBase64Encoded"] = _body(request.body)
    return event


def _headers(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    # Function URLs lowercase names, join repeated headers with commas and move cookies apart.
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in pairs:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        elif key in headers:
            headers[key] = f"{headers[key]},{value}"
        else:
            headers[key] = value
    return headers, cookies


def _query(raw: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def _body(raw: bytes) -> tuple[str, bool]:
    # Like AWS: text stays text; anything that is not valid UTF-8 travels as base64.
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def _request_context(
    request: HttpRequest, path: str, headers: dict[str, str], now: float
) -> dict[str, Any]:
    domain = headers.get("host", "localhost").split(":")[0]
    return {
        "accountId": "anonymous",
        "apiId": "local",
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": request.method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }

"""Who may use ``stream-chat serve``: the developer's own browser tab, nothing else.

With a real Anthropic key every answer costs money, so two attacks matter on a developer machine:
a web page on another site posting to ``http://127.0.0.1:8000/api/...`` (cross-site request), and
a hostile domain resolving to 127.0.0.1 (DNS rebinding). The first carries a foreign ``Origin``
(browsers send it on every POST) or, from a form, a content type other than JSON; the second a
foreign ``Host``. Sending JSON cross-site needs a CORS preflight, which is refused here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from stream_chat_local.http_head import Answer, error_answer

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_TYPES = ("application/json",)
SAME_SITE_FETCHES = ("same-origin", "none")
# The parser bounds a head that arrives in pieces; these bound one that arrives whole. The URL
# limit is CloudFront's.
MAX_TARGET_BYTES = 8192
MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class Head:
    """What the policy looks at in an ASGI request scope."""

    path: str
    http_version: str
    headers: dict[str, str]
    target_bytes: int
    header_bytes: int

    @classmethod
    def of(cls, scope: Mapping[str, Any]) -> Head:
        raw = scope["headers"]
        return cls(
            scope["path"],
            scope["http_version"],
            header_map(raw),
            len(scope.get("raw_path") or b"") + len(scope["query_string"]),
            sum(len(name) + len(value) + 4 for name, value in raw),
        )


class RequestPolicy:
    def __init__(self, host: str, port: int) -> None:
        self.port = port
        self.names = set(LOOPBACK_NAMES)
        if not _wildcard(host):
            self.names.add(f"[{host}]" if ":" in host else host.lower())

    def refuse(self, head: Head) -> Answer | None:
        """Any request: too big a head, a foreign Host, or a path nothing can have."""
        if head.http_version not in ("1.0", "1.1"):
            return error_answer(505, f"HTTP/{head.http_version[:10]} is not supported.")
        if head.target_bytes > MAX_TARGET_BYTES:
            return error_answer(414, f"The URL is longer than {MAX_TARGET_BYTES} bytes.")
        if head.header_bytes > MAX_HEADER_BYTES:
            return error_answer(431, f"The headers are larger than {MAX_HEADER_BYTES} bytes.")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in head.path):
            return error_answer(400, "The path holds a control character.")
        return self._refuse_host(head.headers.get("host"), head.http_version)

    def _refuse_host(self, host: str | None, http_version: str) -> Answer | None:
        if host is None:
            # HTTP/1.0 may omit Host; no browser does, so no rebinding attack can.
            return None if http_version == "1.0" else error_answer(400, "Send a Host header.")
        if not self._ours(host):
            return error_answer(403, f"Host {host[:100]!r} is not served here.")
        return None

    def refuse_api(self, method: str, headers: dict[str, str], has_body: bool) -> Answer | None:
        """A request to a function: only from a page of this origin, with JSON."""
        origin = headers.get("origin")
        if origin is not None and not self._own_origin(origin):
            return error_answer(403, "Cross-origin requests are refused.")
        if headers.get("sec-fetch-site", "same-origin") not in SAME_SITE_FETCHES:
            return error_answer(403, "Cross-site requests are refused.")
        if method == "OPTIONS" and "access-control-request-method" in headers:
            return error_answer(403, "Cross-origin requests are refused.")
        content_type = headers.get("content-type")
        if method in BODY_METHODS and (has_body or content_type is not None):
            media = (content_type or "").split(";")[0].strip().lower()
            if media not in JSON_TYPES:
                return error_answer(415, "Send the body as application/json.")
        return None

    def _ours(self, host: str) -> bool:
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if not name:
            name, port = host, ""
        return name.lower() in self.names and port in ("", str(self.port))

    def _own_origin(self, origin: str) -> bool:
        try:
            url = urlsplit(origin)
            port = url.port
        except ValueError:
            return False
        return url.scheme == "http" and port == self.port and self._ours(url.netloc)


def _wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def header_map(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lowercase names; repeated headers joined with commas, as a function URL does."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers

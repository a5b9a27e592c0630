"""What the handler returns: the Lambda streaming HTTP integration response."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stream_chat.errors import StreamChatError

JSON_HEADERS: Mapping[str, str] = {
    "content-type": "application/json",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class StreamingResponse:
    """Status and headers (the prelude), then body chunks written one by one as produced."""

    status_code: int
    headers: Mapping[str, str]
    body: Iterable[bytes]
    cookies: Sequence[str] = field(default_factory=tuple)

    def prelude(self) -> dict[str, Any]:
        """The JSON metadata Lambda reads before the 8-NUL delimiter."""
        return {
            "statusCode": self.status_code,
            "headers": dict(self.headers),
            "cookies": list(self.cookies),
        }


def json_response(
    status_code: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return StreamingResponse(status_code, {**JSON_HEADERS, **(headers or {})}, (body,))


def error_response(error: StreamChatError) -> StreamingResponse:
    return json_response(error.status, error.to_json(), error.headers())

"""JSON answers both handlers give: the cancel's 202 and every error before a stream starts.

Each handler wraps one in its own response type: the chat handler streams it as a single chunk,
the cancel handler returns it as a buffered function URL response.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stream_chat.errors import StreamChatError

JSON_HEADERS: Mapping[str, str] = {
    "content-type": "application/json",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class JsonResponse:
    status_code: int
    headers: Mapping[str, str]
    body: bytes

    def url_response(self) -> dict[str, Any]:
        """The buffered function URL response: what a managed-runtime handler returns."""
        return {
            "statusCode": self.status_code,
            "headers": dict(self.headers),
            "body": self.body.decode(),
            "isBase64Encoded": False,
        }


def json_response(
    status_code: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> JsonResponse:
    # ASCII escapes: an error may echo client text, and a lone surrogate has no UTF-8 form.
    body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return JsonResponse(status_code, {**JSON_HEADERS, **(headers or {})}, body)


def error_response(error: StreamChatError) -> JsonResponse:
    return json_response(error.status, error.to_json(), error.headers())

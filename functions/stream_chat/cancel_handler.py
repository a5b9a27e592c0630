"""The cancel function's entry point: route → authorize → check the stream id → record the cancel.

A function of its own, answered buffered by the runtime loop, so that "Stop" never waits
for a cold start of the streaming function (whose init imports the Anthropic SDK): when every
streaming instance is busy, the cancel lands on a light instance that imports only what a
registry write needs — settings, the error tree, and the registry's client (boto3 on AWS,
sqlite3 locally). No Powertools either: its Logger alone takes ~120 ms to import, two thirds of
everything else this module imports; a log line is one JSON object on stdout, as Powertools
writes it. With sign-in on, PyJWT and cryptography are imported too: a cancel is owned, so it
needs the same access token as the stream, and is recorded under the user who sent it.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Mapping
from typing import Any

from stream_chat.access import Authorizer, Viewer
from stream_chat.accounting.refusals import count_refused
from stream_chat.cancellation import CancelRegistry, make_registry
from stream_chat.errors import (
    InternalError,
    InvalidStreamId,
    MethodNotAllowed,
    NotFound,
    StreamChatError,
)
from stream_chat.json_response import JsonResponse, error_response, json_response
from stream_chat.routes import CANCEL_PATH, STREAM_ID, route_key
from stream_chat.runtime.entry import LambdaEntry
from stream_chat.settings import Settings

SERVICE = "stream-chat-cancel"


class CancelFunction:
    def __init__(
        self, registry: CancelRegistry | None, authorizer: Authorizer | None = None
    ) -> None:
        self.registry = registry
        self.authorizer = authorizer or Authorizer(None)  # None: without sign-in

    @classmethod
    def from_settings(cls, settings: Settings) -> CancelFunction:
        return cls(make_registry(settings), Authorizer.from_settings(settings).warm())

    def __call__(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request_id = getattr(context, "aws_request_id", None)
        try:
            return self.route(event, request_id).url_response()
        except StreamChatError as error:
            log("INFO", "request refused", request_id, code=error.code, status=error.status)
            return refuse(error)
        except Exception as exc:
            log("ERROR", "cancel failed", request_id, **exception_fields(exc))
            return refuse(InternalError("The cancel failed unexpectedly."))

    def route(self, event: Mapping[str, Any], request_id: str | None) -> JsonResponse:
        path, method = route_key(event)
        cancel = CANCEL_PATH.match(path)
        if cancel is None or self.registry is None:
            raise NotFound(f"no route for {path}")
        if method != "POST":
            raise MethodNotAllowed(f"{method} is not allowed on {path}; use POST")
        viewer = self.authorize(event)
        return self.cancel(cancel["stream_id"], viewer, request_id)

    def authorize(self, event: Mapping[str, Any]) -> Viewer:
        source_ip = event.get("requestContext", {}).get("http", {}).get("sourceIp", "")
        return self.authorizer.authorize(event.get("headers") or {}, str(source_ip))

    def cancel(self, stream_id: str, viewer: Viewer, request_id: str | None) -> JsonResponse:
        if not STREAM_ID.match(stream_id):
            raise InvalidStreamId("malformed stream id", field="stream_id")
        assert self.registry is not None  # the route exists only with a registry
        # Keyed by owner too: another user's cancel is recorded where no stream looks.
        self.registry.cancel(stream_id, viewer.owner)
        log("INFO", "stream cancel recorded", request_id, cancelled_stream_id=stream_id)
        # Unknown and expired ids get the same answer, so ids cannot be probed.
        return json_response(202, {"stream_id": stream_id, "cancelled": True})


def refuse(error: StreamChatError) -> dict[str, Any]:
    """Counted by code, as the streaming function counts its refusals."""
    count_refused(error)
    return error_response(error).url_response()


def exception_fields(exc: BaseException) -> dict[str, str]:
    """The exception's fields as Powertools' ``logger.exception`` writes them: its name, and
    its whole traceback as one string (one log line, the stack inside)."""
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"exception_name": type(exc).__name__, "exception": stack.rstrip("\n")}


def log(
    level: str, message: str, request_id: str | None, *, service: str = SERVICE, **fields: object
) -> None:
    """One JSON line, the shape of the streaming function's Powertools logs."""
    line = {
        "level": level,
        "message": message,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "service": service,
        "correlation_id": request_id,
        **fields,
    }
    print(json.dumps(line, default=str, separators=(",", ":")), file=sys.stdout, flush=True)


def build() -> CancelFunction:
    return CancelFunction.from_settings(Settings.from_env())


lambda_handler = LambdaEntry(build)

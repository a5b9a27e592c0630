"""The resume function's entry point: route → authorize → parse the last id → read the journal
and check its owner → follow it.

A client whose stream broke off (a reload, a dropped network, a sleeping tab) asks for the rest:
``GET /api/chat/stream/{stream_id}`` with ``Last-Event-ID: n`` (or ``?after=n``; the header
wins). The answer is every journaled frame with an id above ``n``, byte for byte as the live
stream sent it, then the journal followed until ``done`` (``journal.follow``). An unknown or
expired id and another viewer's answer get the same 404.

Light, like the cancel function: it imports no provider SDK and no Powertools (a resume lands on
a cold instance right when a connection broke, and the user waits for it); a log line is one
JSON object on stdout. With sign-in on, PyJWT and cryptography are imported too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stream_chat.access import Authorizer, Viewer
from stream_chat.accounting.refusals import count_refused
from stream_chat.cancel_handler import exception_fields, log
from stream_chat.deadline import Deadline, RemainingTime
from stream_chat.errors import (
    InternalError,
    InvalidField,
    InvalidStreamId,
    MethodNotAllowed,
    NotFound,
    StreamChatError,
)
from stream_chat.journal import Journal, make_journal
from stream_chat.journal.follow import Follow, opening
from stream_chat.json_response import error_response
from stream_chat.protocol.sse import HEADERS
from stream_chat.routes import RESUME_PATH, STREAM_ID, is_resume_route, route_key
from stream_chat.runtime.entry import LambdaEntry
from stream_chat.runtime.response import StreamingResponse
from stream_chat.settings import Settings

SERVICE = "stream-chat-resume"
LAST_ID_HEADER = "last-event-id"
LAST_ID_QUERY = "after"
LAST_ID = re.compile(r"^[0-9]{1,15}$")


class ResumeFunction:
    def __init__(
        self, settings: Settings, journal: Journal | None, authorizer: Authorizer | None = None
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.authorizer = authorizer or Authorizer(None)  # None: without sign-in

    @classmethod
    def from_settings(cls, settings: Settings) -> ResumeFunction:
        authorizer = Authorizer.from_settings(settings).warm()
        return cls(settings, make_journal(settings), authorizer)

    def __call__(self, event: Mapping[str, Any], context: Any) -> StreamingResponse:
        request_id = getattr(context, "aws_request_id", None)
        try:
            return self.route(event, context, request_id)
        except StreamChatError as error:
            log("INFO", "request refused", request_id, service=SERVICE, code=error.code)
            return refuse(error)
        except Exception as exc:
            log("ERROR", "resume failed", request_id, service=SERVICE, **exception_fields(exc))
            return refuse(InternalError("The resume failed unexpectedly."))

    def route(
        self, event: Mapping[str, Any], context: RemainingTime, request_id: str | None
    ) -> StreamingResponse:
        path, method = route_key(event)
        resume = RESUME_PATH.match(path)
        if resume is None or not is_resume_route(path) or self.journal is None:
            raise NotFound(f"no route for {path}")
        if method != "GET":
            raise MethodNotAllowed(f"{method} is not allowed on {path}; use GET", allow="GET")
        viewer = self.authorize(event)
        stream_id = resume["stream_id"]
        if not STREAM_ID.match(stream_id):
            raise InvalidStreamId("malformed stream id", field="stream_id")
        return self.resume(stream_id, last_event_id(event), viewer, context, request_id)

    def authorize(self, event: Mapping[str, Any]) -> Viewer:
        source_ip = event.get("requestContext", {}).get("http", {}).get("sourceIp", "")
        return self.authorizer.authorize(event.get("headers") or {}, str(source_ip))

    def resume(
        self,
        stream_id: str,
        last_id: int,
        viewer: Viewer,
        context: RemainingTime,
        request_id: str | None,
    ) -> StreamingResponse:
        assert self.journal is not None  # the route exists only with a journal
        batches = opening(self.journal, stream_id, viewer.owner)
        follow = Follow(
            self.journal,
            stream_id,
            last_id,
            Deadline.from_context(context, self.settings.deadline_margin_s),
            self.settings.heartbeat_s,
            on_read_failure=lambda exc: log(
                "WARNING",
                "journal read failed",
                request_id,
                service=SERVICE,
                **exception_fields(exc),
            ),
        )
        resumed = {"resumed_stream_id": stream_id, "last_id": last_id}
        log("INFO", "answer resumed", request_id, service=SERVICE, **resumed)
        headers = {**HEADERS, "x-stream-id": stream_id}
        return StreamingResponse(200, headers, follow.frames(batches))


def last_event_id(event: Mapping[str, Any]) -> int:
    """The client's last id: ``Last-Event-ID``, else ``?after=``, else 0."""
    header = (event.get("headers") or {}).get(LAST_ID_HEADER)
    query = (event.get("queryStringParameters") or {}).get(LAST_ID_QUERY)
    raw = header if header is not None else query
    if raw is None:
        return 0
    if not isinstance(raw, str) or not LAST_ID.match(raw.strip()):
        raise InvalidField(
            "The last event id must be a non-negative integer.", field="last_event_id"
        )
    return int(raw)


def refuse(error: StreamChatError) -> StreamingResponse:
    """Counted by code, as the other functions count their refusals."""
    count_refused(error)
    response = error_response(error)
    return StreamingResponse(response.status_code, response.headers, (response.body,))


def build() -> ResumeFunction:
    return ResumeFunction.from_settings(Settings.from_env())


lambda_handler = LambdaEntry(build)

"""The API's paths, shared by both handlers, the CDK routing and the local server.

Each route is served by its own function: the chat stream by the streaming function, the cancel
by the small cancel function, so that "Stop" never waits behind a stream or a cold start of the
streaming function, and a resume by the light resume function, which reads the journal.
CloudFront (and ``serve``) pick the function by ``CANCEL_PATTERN``, then ``RESUME_PATTERN``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from stream_chat.errors import InvalidEvent

CHAT_PATH = "/api/chat/stream"
CANCEL_PATH = re.compile(r"^/api/chat/stream/(?P<stream_id>[^/]*)/cancel$")
# A CloudFront path pattern: ``*`` matches any characters, ``/`` included, case-sensitively.
CANCEL_PATTERN = "/api/chat/stream/*/cancel"
# A resume (the resume function): CloudFront lists the cancel behaviour first, which wins.
RESUME_PATH = re.compile(r"^/api/chat/stream/(?P<stream_id>[^/]+)$")
RESUME_PATTERN = "/api/chat/stream/*"
API_PATTERN = "/api/*"
STREAM_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_cancel_route(path: str) -> bool:
    """Whether CloudFront's cancel behaviour (not ``/api/*``) takes ``path``."""
    return fnmatch.fnmatchcase(path, CANCEL_PATTERN)


def is_resume_route(path: str) -> bool:
    """Whether CloudFront's resume behaviour takes ``path``: it matches ``RESUME_PATTERN`` and
    the cancel behaviour, listed before it, does not."""
    return fnmatch.fnmatchcase(path, RESUME_PATTERN) and not is_cancel_route(path)


def route_key(event: Mapping[str, Any]) -> tuple[str, str]:
    """(path, method) of a function URL event; an event without them (or without the source IP
    every function URL event carries, which sign-in and limits read) is no function URL event,
    whichever function it reached: a 400, not a crash and not a 404."""
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, Mapping) else {}
    http = http if isinstance(http, Mapping) else {}
    path, method, source = event.get("rawPath"), http.get("method"), http.get("sourceIp")
    if not (isinstance(path, str) and isinstance(method, str) and isinstance(source, str)):
        raise InvalidEvent(
            "The event has no rawPath, requestContext.http.method or requestContext.http.sourceIp."
        )
    return path, method

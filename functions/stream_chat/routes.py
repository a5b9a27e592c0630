"""The API's paths, shared by both handlers, the CDK routing and the local server.

Each route is served by its own function: the chat stream by the streaming function, the cancel
by the small cancel function, so that "Stop" never waits behind a stream or a cold start of the
streaming function. CloudFront (and ``serve``) pick the function by ``CANCEL_PATTERN``.
"""

from __future__ import annotations

import fnmatch
import re

CHAT_PATH = "/api/chat/stream"
CANCEL_PATH = re.compile(r"^/api/chat/stream/(?P<stream_id>[^/]*)/cancel$")
# A CloudFront path pattern: ``*`` matches any characters, ``/`` included, case-sensitively.
CANCEL_PATTERN = "/api/chat/stream/*/cancel"
API_PATTERN = "/api/*"
STREAM_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_cancel_route(path: str) -> bool:
    """Whether CloudFront's cancel behaviour (not ``/api/*``) takes ``path``."""
    return fnmatch.fnmatchcase(path, CANCEL_PATTERN)

"""One error tree for the whole function, and the registry of every error code.

Every concrete error class declares a stable ``code`` (clients switch on it), an HTTP ``status``
and two flags that answer different questions: ``retryable``, sent to the client, says whether
the same request sent again *by the user* may succeed; ``transient``, never sent, says whether
*the server* retries the failure on its own before giving up (only a provider's failure, before
any content). Each class's docstring says what its code means. Before the first byte of a stream
an error becomes a JSON response with that status; after it, an in-band ``error`` frame followed
by ``done``. ``ERROR_CODES`` maps each code to its class: it is the one list that
``docs/protocol.md`` and the web client's messages are checked against.

    StreamChatError
    ├── RequestError (4xx)      InvalidRequest (400: one class per rule), PayloadTooLarge,
    │                           AttachmentTooLarge (413), UnsupportedMediaType (415),
    │                           NotFound, MethodNotAllowed, Unauthorized (401)
    ├── LimitExceeded (429)     TooManyStreams, TooManyRequests, TokenBudgetSpent
    ├── AuthUnavailable (503)
    ├── ProviderError (502)     ProviderUnavailable, RateLimited, ProviderRejected,
    │                           ProviderProtocolError
    ├── StreamTimeout (504)     FirstTokenTimeout, StallTimeout, DeadlineExceeded
    ├── ShuttingDown (503)      the execution environment is being shut down
    ├── AnswerLost (410)        a resumed answer's journal ends before ``done``, for good
    └── InternalError (500)
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from stream_chat.protocol.frames import Error

ERROR_CODES: dict[str, type[StreamChatError]] = {}


class StreamChatError(Exception):
    """Base of every error the function reports to a client; only classes with a code of their
    own are raised."""

    code: ClassVar[str]
    status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False
    """The client's flag (``retryable`` of an ``error`` frame): the same request, sent again by
    the user, may succeed. Nothing on the server reads it."""
    transient: ClassVar[bool] = False
    """The server's flag, never sent: the upstream retries this provider failure itself, with
    jittered backoff, while no content has been sent and attempts and time remain. Independent of
    ``retryable``: a timeout is worth a retry by the user, but not an automatic one."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            if cls.code in ERROR_CODES:
                raise TypeError(f"{cls.__name__}: code {cls.code!r} is already taken")
            ERROR_CODES[cls.code] = cls

    def __init__(
        self, message: str, *, field: str | None = None, request_id: str | None = None
    ) -> None:
        if ERROR_CODES.get(getattr(type(self), "code", "")) is not type(self):
            raise TypeError(f"{type(self).__name__} has no error code of its own")
        super().__init__(message)
        self.message = message
        self.field = field
        self.request_id = request_id

    @classmethod
    def meaning(cls) -> str:
        return " ".join(inspect.getdoc(cls).split())  # type: ignore[union-attr]  # all have one

    def headers(self) -> dict[str, str]:
        """Extra headers of the JSON error response."""
        return {}

    def to_json(self) -> dict[str, Any]:
        """The body of a JSON error response."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.request_id is not None:
            error["request_id"] = self.request_id
        return {"error": error}

    def to_frame(self) -> Error:
        """The in-band ``error`` frame."""
        return Error(self.code, self.message, self.retryable, self.request_id)


class RequestError(StreamChatError):
    """The request was refused before anything was streamed."""

    status = 400


class InvalidRequest(RequestError):
    """The body is not a valid chat request; ``field`` names the offending part."""


class InvalidEvent(InvalidRequest):
    """The invocation is not a function URL event (no ``rawPath`` or request method)."""

    code = "invalid_event"


class InvalidJson(InvalidRequest):
    """The body is not valid UTF-8 JSON."""

    code = "invalid_json"


class InvalidBody(InvalidRequest):
    """The body is not valid base64, or its JSON is not an object."""

    code = "invalid_body"


class InvalidField(InvalidRequest):
    """An unknown field, or a known one of the wrong type."""

    code = "invalid_field"


class InvalidMessages(InvalidRequest):
    """``messages`` is not a non-empty list of objects."""

    code = "invalid_messages"


class InvalidRole(InvalidRequest):
    """Roles must alternate, starting and ending with ``user``."""

    code = "invalid_role"


class InvalidContent(InvalidRequest):
    """A message's content is not non-blank text or a list of non-blank text blocks."""

    code = "invalid_content"


class InvalidMaxTokens(InvalidRequest):
    """``max_tokens`` is not a positive integer within the server's cap."""

    code = "invalid_max_tokens"


class ModelNotAllowed(InvalidRequest):
    """``model`` is not in the server's allow-list."""

    code = "model_not_allowed"


class SystemNotAllowed(InvalidRequest):
    """The server does not let clients set the system prompt."""

    code = "system_not_allowed"


class FeatureNotAllowed(InvalidRequest):
    """``thinking`` or ``search`` is true, but this server does not offer it (the page learns
    what it offers from ``features`` in its ``config.json``); ``field`` names which."""

    code = "feature_not_allowed"


class TooManyMessages(InvalidRequest):
    """The conversation has more messages than the server allows."""

    code = "too_many_messages"


class TooManyCharacters(InvalidRequest):
    """The conversation has more characters than the server allows."""

    code = "too_many_characters"


class InvalidAttachment(InvalidRequest):
    """An ``image`` or ``document`` block is malformed: a missing or unknown field, a source that
    is not ``base64``, or data that is not valid base64."""

    code = "invalid_attachment"


class TooManyAttachments(InvalidRequest):
    """A message carries more files (``image`` and ``document`` blocks) than the server allows."""

    code = "too_many_attachments"


class InvalidStreamId(InvalidRequest):
    """The stream id in a cancel or resume path is malformed."""

    code = "invalid_stream_id"


class PayloadTooLarge(RequestError):
    """The body is larger than the server's limit."""

    status = 413
    code = "payload_too_large"


class AttachmentTooLarge(RequestError):
    """A file (an ``image`` or ``document`` block) is larger, decoded, than the server allows."""

    status = 413
    code = "attachment_too_large"


class UnsupportedMediaType(RequestError):
    """A file's bytes are none of PNG, JPEG, GIF, WebP or PDF (by their magic number, whatever the
    name or the declared type), or not the ``media_type`` its block declares."""

    status = 415
    code = "unsupported_media_type"


class NotFound(RequestError):
    """No route for this path."""

    status = 404
    code = "not_found"


class MethodNotAllowed(RequestError):
    """The route exists, but not for this method (``Allow`` names the one it takes: POST, or GET
    for a resume)."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allow: str = "POST") -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"allow": self.allow}


class Unauthorized(RequestError):
    """Sign-in is on and the request has no valid access token in ``X-Authorization``."""

    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"www-authenticate": 'Bearer realm="stream-chat"'}


class LimitExceeded(StreamChatError):
    """A per-viewer limit is reached; ``retry_after_s`` says when a new request may pass."""

    status = 429
    retryable = True

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)

    def headers(self) -> dict[str, str]:
        return {"retry-after": str(self.retry_after_s)}

    def to_json(self) -> dict[str, Any]:
        body = super().to_json()
        body["error"]["retry_after_s"] = self.retry_after_s
        return body


class TooManyStreams(LimitExceeded):
    """The viewer already has as many answers running as the server allows."""

    code = "limit_concurrent"


class TooManyRequests(LimitExceeded):
    """The viewer sent more requests this minute than the server allows."""

    code = "limit_rate"


class TokenBudgetSpent(LimitExceeded):
    """The viewer's answers used up today's output-token allowance (UTC day)."""

    code = "limit_tokens"


class AuthUnavailable(StreamChatError):
    """The user pool's signing keys cannot be fetched, so no token can be checked for now."""

    status = 503
    code = "auth_unavailable"
    retryable = True


class ProviderError(StreamChatError):
    """The model provider failed in an unexpected way."""

    status = 502
    code = "provider_error"


class ProviderUnavailable(ProviderError):
    """The provider is overloaded, failing or unreachable: a later attempt may succeed."""

    status = 503
    code = "provider_unavailable"
    retryable = True
    transient = True


class RateLimited(ProviderError):
    """The provider's rate limit was reached."""

    status = 429
    code = "rate_limited"
    retryable = True
    transient = True


class ProviderRejected(ProviderError):
    """The provider refused the request (bad key, unknown model, invalid request)."""

    code = "provider_rejected"


class ProviderProtocolError(ProviderError):
    """The provider's stream was malformed or ended without ``message_stop``."""

    code = "provider_protocol_error"
    retryable = True
    transient = True


class StreamTimeout(StreamChatError):
    """The answer took too long."""

    status = 504
    retryable = True


class FirstTokenTimeout(StreamTimeout):
    """The model sent no content (text, thinking, a tool call) in time."""

    code = "first_token_timeout"


class StallTimeout(StreamTimeout):
    """The model sent nothing (text, thinking, a tool's call or result, a citation) for too
    long; while a server tool runs, the silence may last longer (``answer.watch``)."""

    code = "stall_timeout"


class DeadlineExceeded(StreamTimeout):
    """The function's time ran out before the answer ended."""

    code = "deadline"


class ShuttingDown(StreamChatError):
    """The process was told to stop (SIGTERM) while answering: ``stream-chat serve`` is stopping.
    Lambda sends its runtime SIGTERM only when an extension is registered, and then between
    invocations, so a deployed function is not expected to send this (``stream_chat.shutdown``)."""

    status = 503
    code = "shutdown"
    retryable = True


class AnswerLost(StreamChatError):
    """A resumed answer can no longer be followed: its journal has no ``done`` and the function
    that wrote it ran out of time (it died, or its journal store failed). Sent by the resume
    function only, as an ``error`` frame without an id; the answer itself ended elsewhere."""

    status = 410
    code = "answer_lost"


class InternalError(StreamChatError):
    """A bug or an unexpected failure on the server."""

    code = "internal_error"

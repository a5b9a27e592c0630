"""One error tree for the whole function.

Every error carries a stable ``code`` (clients switch on it), an HTTP ``status`` and whether a
retry by the user may succeed. Before the first byte of a stream an error becomes a JSON
response with that status; after it, an in-band ``error`` frame followed by ``done``.

    StreamChatError
    ├── RequestError (4xx)          InvalidRequest, PayloadTooLarge, NotFound, MethodNotAllowed,
    │                               Unauthorized (401)
    ├── LimitExceeded (429)         TooManyStreams, TooManyRequests, TokenBudgetSpent
    ├── AuthUnavailable (503)       the issuer's keys could not be fetched
    ├── ProviderError (502)         ProviderUnavailable, RateLimited, ProviderRejected,
    │                               ProviderProtocolError
    ├── StreamTimeout (504)         FirstTokenTimeout, StallTimeout, DeadlineExceeded
    └── InternalError (500)
"""

from __future__ import annotations

from typing import Any, ClassVar


class StreamChatError(Exception):
    """Base of every error the function reports to a client."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.request_id = request_id
        if code is not None:
            self.code = code  # type: ignore[misc]  # per-instance refinement of the class code

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

    def to_frame(self) -> dict[str, Any]:
        """The data of an in-band ``error`` frame."""
        frame: dict[str, Any] = {
            "type": "error",
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
        }
        if self.request_id is not None:
            frame["request_id"] = self.request_id
        return frame


class RequestError(StreamChatError):
    status = 400
    code = "invalid_request"


class InvalidRequest(RequestError):
    """The body is not a valid chat request; ``field`` names the offending part."""


class PayloadTooLarge(RequestError):
    status = 413
    code = "payload_too_large"


class NotFound(RequestError):
    status = 404
    code = "not_found"


class MethodNotAllowed(RequestError):
    status = 405
    code = "method_not_allowed"

    def headers(self) -> dict[str, str]:
        return {"allow": "POST"}


class Unauthorized(RequestError):
    """No valid access token; the message never says which check failed."""

    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"www-authenticate": 'Bearer realm="stream-chat"'}


class LimitExceeded(StreamChatError):
    """A per-user limit is reached; ``retry_after_s`` says when a new request may pass."""

    status = 429
    code = "limit"
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
    code = "limit_concurrent"


class TooManyRequests(LimitExceeded):
    code = "limit_rate"


class TokenBudgetSpent(LimitExceeded):
    code = "limit_tokens"


class AuthUnavailable(StreamChatError):
    """The issuer's signing keys could not be fetched: no token can be checked for now."""

    status = 503
    code = "auth_unavailable"
    retryable = True


class ProviderError(StreamChatError):
    status = 502
    code = "provider_error"


class ProviderUnavailable(ProviderError):
    """Overloaded, 5xx, or unreachable: a later attempt may succeed."""

    status = 503
    code = "provider_unavailable"
    retryable = True


class RateLimited(ProviderError):
    status = 429
    code = "rate_limited"
    retryable = True


class ProviderRejected(ProviderError):
    """The provider refused the request (bad key, unknown model, invalid request)."""

    code = "provider_rejected"


class ProviderProtocolError(ProviderError):
    """The provider's stream was malformed or ended without ``message_stop``."""

    code = "provider_protocol_error"
    retryable = True


class StreamTimeout(StreamChatError):
    status = 504
    code = "timeout"
    retryable = True


class FirstTokenTimeout(StreamTimeout):
    code = "first_token_timeout"


class StallTimeout(StreamTimeout):
    code = "stall_timeout"


class DeadlineExceeded(StreamTimeout):
    code = "deadline"


class InternalError(StreamChatError):
    code = "internal_error"

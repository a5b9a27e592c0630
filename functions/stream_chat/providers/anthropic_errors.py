"""Anthropic failures mapped onto the function's error tree.

Client messages are ours, never the provider's body (it may echo the request or account
details); the provider's request id is kept for support.
"""

from __future__ import annotations

import json

import anthropic
import httpx2

from stream_chat.errors import (
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    StreamChatError,
)

# In-band `error` events arrive after HTTP 200, so the SDK raises a bare APIStatusError with
# status 200: the error *type* is the only reliable signal.
_BY_TYPE: dict[str, type[ProviderError]] = {
    "overloaded_error": ProviderUnavailable,
    "api_error": ProviderUnavailable,
    "rate_limit_error": RateLimited,
    "timeout_error": ProviderUnavailable,
    "invalid_request_error": ProviderRejected,
    "authentication_error": ProviderRejected,
    "permission_error": ProviderRejected,
    "not_found_error": ProviderRejected,
    "request_too_large": ProviderRejected,
    "billing_error": ProviderRejected,
}

_MESSAGES: dict[type[ProviderError], str] = {
    ProviderUnavailable: "The model provider is temporarily unavailable. Try again shortly.",
    RateLimited: "The model provider's rate limit was reached. Try again shortly.",
    ProviderRejected: "The model provider rejected the request (check the server's key and "
    "model configuration).",
    ProviderProtocolError: "The connection to the model provider broke off mid-answer.",
}


def map_error(exc: BaseException) -> StreamChatError:
    """The error to report for an exception raised by the SDK or its transport."""
    if isinstance(exc, anthropic.APIStatusError):
        return _from_status(exc)
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        kind: type[ProviderError] = (
            ProviderUnavailable if _before_response(exc) else ProviderProtocolError
        )
        message = (
            "The model provider could not be reached."
            if kind is ProviderUnavailable
            else _MESSAGES[kind]
        )
        return kind(message)
    if isinstance(exc, json.JSONDecodeError | anthropic.APIResponseValidationError):
        return ProviderProtocolError("The model provider sent a malformed stream.")
    return ProviderError("The model provider failed unexpectedly.")


def _from_status(exc: anthropic.APIStatusError) -> ProviderError:
    kind = _BY_TYPE.get(exc.type or "") if exc.type else None
    if kind is None:
        kind = kind_for_status(exc.status_code)
    return kind(_MESSAGES[kind], request_id=exc.request_id)


def kind_for_status(status: int) -> type[ProviderError]:
    """The error an HTTP status means when the body names no error type."""
    if status == 429:
        return RateLimited
    if status >= 500 or status in (408, 409):
        return ProviderUnavailable
    return ProviderRejected


def _before_response(exc: BaseException) -> bool:
    """Connect and TLS failures happen before any response; read failures after it."""
    return isinstance(
        exc, anthropic.APIConnectionError | httpx2.ConnectError | httpx2.ConnectTimeout
    )

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

MALFORMED = "The model provider sent a malformed stream."
_MESSAGES: dict[type[ProviderError], str] = {
    ProviderUnavailable: "The model provider is temporarily unavailable. Try again shortly.",
    RateLimited: "The model provider's rate limit was reached. Try again shortly.",
    ProviderRejected: "The model provider rejected the request (check the server's key and "
    "model configuration).",
    ProviderProtocolError: "The connection to the model provider broke off mid-answer.",
}


def map_error(exc: BaseException, responded: bool) -> StreamChatError | None:
    """The error to report for an exception raised by the SDK or its transport; None for any
    other exception: that is a bug, to be logged with its traceback, not a provider's failure.

    ``responded``: the response head had arrived. A transport failure after it broke the
    stream; before it, the provider could not be reached. Which exception type the SDK wraps a
    transport failure in changes between releases (2.17.0 wraps a failed body read in
    ``APIConnectionError``, 2.16.0 let httpx's ``ReadError`` through), so it does not decide.
    """
    if isinstance(exc, anthropic.APIStatusError):
        return from_status(exc)
    if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
        if responded:
            return ProviderProtocolError(_MESSAGES[ProviderProtocolError])
        return ProviderUnavailable("The model provider could not be reached.")
    if isinstance(exc, json.JSONDecodeError | anthropic.APIResponseValidationError):
        return ProviderProtocolError(MALFORMED)
    return None


def from_status(exc: anthropic.APIStatusError) -> ProviderError:
    """The error an HTTP error response, or an in-band ``error`` event, stands for."""
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

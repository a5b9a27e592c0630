"""Amazon Bedrock failures mapped onto the function's error tree.

Bedrock names its errors in two places: before the stream, the ``x-amzn-ErrorType`` header of an
HTTP error (``ThrottlingException:http://…``); during it, the ``:exception-type`` of an
eventstream exception message (``throttlingException``), which the SDK raises as an
``APIStatusError`` whose error *type* is that name. Both are looked up in one table; transport
and decoding failures are the same as for the Anthropic API.
"""

from __future__ import annotations

import anthropic
from botocore.eventstream import ParserError
from botocore.exceptions import BotoCoreError

from stream_chat.errors import (
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    StreamChatError,
)
from stream_chat.providers import anthropic_errors

REQUEST_ID_HEADER = "x-amzn-requestid"
ERROR_TYPE_HEADER = "x-amzn-errortype"

# Keyed by the lower-cased error name without its "Exception" suffix.
_BY_NAME: dict[str, tuple[type[ProviderError], str]] = {
    "throttling": (RateLimited, "Bedrock is throttling requests to the model. Try again shortly."),
    "servicequotaexceeded": (
        RateLimited,
        "The account's Bedrock quota for the model is used up. Try again later.",
    ),
    "modelnotready": (
        ProviderUnavailable,
        "The model is not ready on Bedrock yet. Try again shortly.",
    ),
    "serviceunavailable": (
        ProviderUnavailable,
        "Bedrock is temporarily unavailable. Try again shortly.",
    ),
    "internalserver": (ProviderUnavailable, "Bedrock failed internally. Try again shortly."),
    "modeltimeout": (ProviderUnavailable, "The model timed out on Bedrock. Try again shortly."),
    "modelstreamerror": (
        ProviderUnavailable,
        "Bedrock's stream from the model broke off. Try again shortly.",
    ),
    "modelerror": (ProviderUnavailable, "The model failed on Bedrock. Try again shortly."),
    "accessdenied": (
        ProviderRejected,
        "Bedrock denied access to the model (enable model access in the Bedrock console and "
        "check the function's IAM permissions).",
    ),
    "validation": (
        ProviderRejected,
        "Bedrock rejected the request (check the model id, its region and the request limits).",
    ),
    "resourcenotfound": (
        ProviderRejected,
        "Bedrock does not know the model in this region (check the model id and region).",
    ),
    "unrecognizedclient": (ProviderRejected, "Bedrock did not accept the server's credentials."),
    "invalidsignature": (ProviderRejected, "Bedrock did not accept the server's credentials."),
    "expiredtoken": (ProviderRejected, "The server's AWS credentials have expired."),
}

_BY_STATUS: dict[type[ProviderError], str] = {
    RateLimited: "Bedrock's rate limit was reached. Try again shortly.",
    ProviderUnavailable: "Bedrock is temporarily unavailable. Try again shortly.",
    ProviderRejected: "Bedrock rejected the request (check the server's AWS configuration).",
}


def map_error(exc: BaseException, responded: bool) -> StreamChatError | None:
    """The error to report for an exception raised by the SDK's Bedrock client or its transport;
    None for any other exception (see ``anthropic_errors.map_error``)."""
    if isinstance(exc, ParserError):  # a frame's CRC or length does not add up
        return ProviderProtocolError(anthropic_errors.MALFORMED)
    if _no_credentials(exc):
        return ProviderRejected("The server has no usable AWS credentials to call Bedrock with.")
    if not isinstance(exc, anthropic.APIStatusError):
        return anthropic_errors.map_error(exc, responded)
    request_id = exc.response.headers.get(REQUEST_ID_HEADER)
    known = _BY_NAME.get(_error_name(exc))
    if known is not None:
        kind, message = known
        return kind(message, request_id=request_id)
    if exc.type:  # an Anthropic `error` event relayed inside a chunk
        error = anthropic_errors.from_status(exc)
        error.request_id = error.request_id or request_id
        return error
    kind = anthropic_errors.kind_for_status(exc.status_code)
    return kind(_BY_STATUS.get(kind, _BY_STATUS[ProviderRejected]), request_id=request_id)


def _error_name(exc: anthropic.APIStatusError) -> str:
    """``ThrottlingException:http://…`` or ``throttlingException`` → ``throttling``."""
    name = exc.response.headers.get(ERROR_TYPE_HEADER) or exc.type or ""
    name = str(name).split(":", 1)[0].strip().lower()
    return name.removesuffix("exception")


def _no_credentials(exc: BaseException) -> bool:
    """None found (the SDK's RuntimeError), or a provider that failed (SSO, role, process)."""
    if isinstance(exc, BotoCoreError):
        return True
    return isinstance(exc, RuntimeError) and "credentials" in str(exc).lower()

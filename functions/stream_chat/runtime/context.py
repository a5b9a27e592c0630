"""The Lambda context object handed to the handler, built from ``/next`` response headers."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stream_chat.runtime.diagnostics import RuntimeFault

# Header names of the ``/next`` response (Runtime API 2018-06-01), lowercase as we store them.
REQUEST_ID = "lambda-runtime-aws-request-id"
DEADLINE_MS = "lambda-runtime-deadline-ms"
FUNCTION_ARN = "lambda-runtime-invoked-function-arn"
TRACE_ID = "lambda-runtime-trace-id"
CLIENT_CONTEXT = "lambda-runtime-client-context"
COGNITO_IDENTITY = "lambda-runtime-cognito-identity"
TENANT_ID = "lambda-runtime-aws-tenant-id"
# Newer Runtime API versions send it so that a late response of a timed-out invocation cannot be
# taken for the current one; a runtime echoes it on /response and /error.
INVOCATION_ID = "lambda-runtime-invocation-id"


@dataclass
class LambdaContext:
    """The attributes of the managed runtime's context that handlers and Powertools read."""

    aws_request_id: str
    deadline_ms: int
    invoked_function_arn: str = ""
    function_name: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "stream-chat")
    )
    function_version: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    )
    memory_limit_in_mb: int = field(
        default_factory=lambda: int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    )
    log_group_name: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    )
    log_stream_name: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
    )
    trace_id: str | None = None
    identity: object = None
    client_context: object = None
    tenant_id: str | None = None
    invocation_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))

    @classmethod
    def local(cls, request_id: str, timeout_s: float) -> LambdaContext:
        """A context for running the handler outside Lambda with a given function timeout."""
        deadline = int((time.time() + timeout_s) * 1000)
        return cls(
            aws_request_id=request_id,
            deadline_ms=deadline,
            invoked_function_arn="arn:aws:lambda:local:000000000000:function:stream-chat",
        )

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> LambdaContext:
        """The context of one invocation, from the lowercased headers of its ``/next`` response."""
        return cls(
            aws_request_id=headers[REQUEST_ID],
            deadline_ms=_deadline_ms(headers.get(DEADLINE_MS)),
            invoked_function_arn=headers.get(FUNCTION_ARN, ""),
            trace_id=headers.get(TRACE_ID),
            identity=_json_or_none(headers.get(COGNITO_IDENTITY)),
            client_context=_json_or_none(headers.get(CLIENT_CONTEXT)),
            tenant_id=headers.get(TENANT_ID),
            invocation_id=headers.get(INVOCATION_ID),
        )


def _deadline_ms(raw: str | None) -> int:
    # Without its deadline an invocation cannot bound a single wait: refuse it rather than
    # guess (taking "now" would end every answer at once, and "never" would overrun).
    if raw is None or not raw.strip().isdigit():
        raise RuntimeFault(
            "Runtime.InvalidDeadline",
            f"Lambda-Runtime-Deadline-Ms is {raw!r}, not epoch milliseconds",
        )
    return int(raw)


def _json_or_none(raw: str | None) -> Any:
    # Only mobile-SDK invocations carry these; a garbled value must not fail the invocation.
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None

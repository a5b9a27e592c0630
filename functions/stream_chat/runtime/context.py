"""The Lambda context object handed to the handler, built from ``/next`` response headers."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    """The attributes of the managed runtime's context that handlers and Powertools read."""

    aws_request_id: str
    deadline_ms: int
    invoked_function_arn: str = ""
    function_name: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "stream-chat"))
    function_version: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"))
    memory_limit_in_mb: int = field(
        default_factory=lambda: int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")))
    log_group_name: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", ""))
    log_stream_name: str = field(
        default_factory=lambda: os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", ""))
    trace_id: str | None = None
    identity: object = None
    client_context: object = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))

    @classmethod
    def local(cls, request_id: str, timeout_s: float) -> LambdaContext:
        """A context for running the handler outside Lambda with a given function timeout."""
        deadline = int((time.time() + timeout_s) * 1000)
        return cls(aws_request_id=request_id, deadline_ms=deadline,
                   invoked_function_arn="arn:aws:lambda:local:000000000000:function:stream-chat")

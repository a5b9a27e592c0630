"""The resume function: an answer's journal replayed, then followed to its ``done``.

Same asset as the streaming function, its own handler and its own ``RESPONSE_STREAM`` URL: a
client that lost its connection (a reload, a dropped network, a sleeping tab) gets the rest of
the answer from the journal the streaming function writes, while that function goes on
answering. It starts through the same exec wrapper and runtime loop. Its init is light (boto3,
no Anthropic SDK), so it needs no SnapStart and sits on the function itself, not an alias.

It may follow an answer for as long as the answer may still run: the streaming function's
timeout, plus a minute for the last batch and for telling a lost answer from a slow one. Lambda
caps a timeout at 15 minutes; a resume cut there ends its stream without ``done``, and the client
resumes again.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.python_function import PythonFunction

HANDLER = "stream_chat.resume_handler.lambda_handler"
# Polling the journal and relaying bytes need little CPU; an answer's batches are small.
MEMORY_MB = 512
FOLLOW_MARGIN_S = 60
LAMBDA_MAX_TIMEOUT_S = 900


def resume_timeout_s(streaming_timeout_s: int) -> int:
    """The streaming function's timeout and a minute, within Lambda's maximum."""
    return min(streaming_timeout_s + FOLLOW_MARGIN_S, LAMBDA_MAX_TIMEOUT_S)


class ResumeFunction(PythonFunction):
    """The function, its role, its log group and its ``RESPONSE_STREAM`` IAM-authorised URL."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        streaming_timeout_s: int,
        log_retention_days: int,
        reserved_concurrency: int | None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="stream-chat: replays and follows an answer's journal (resume)",
            handler=HANDLER,
            code=code,
            memory_mb=MEMORY_MB,
            timeout=cdk.Duration.seconds(resume_timeout_s(streaming_timeout_s)),
            log_retention_days=log_retention_days,
            environment=environment,
            reserved_concurrency=reserved_concurrency,
        )
        self.url = self.function.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.RESPONSE_STREAM,
        )

"""The cancel function: the stream's "Stop", on its own small function and function URL.

Same asset as the streaming function, its own handler and a ``BUFFERED`` URL: a cancel is one
DynamoDB write and a 202. It starts through the same exec wrapper, so that the same runtime loop
builds its function at init (``stream_chat.runtime.entry``; the managed runtime's own client would
leave that to the first cancel) and answers buffered. Its own reserved concurrency keeps
instances for it that streams cannot take, and its init (boto3 only, no Anthropic SDK) is what a
cancel landing on a new instance waits for.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.python_function import PythonFunction

HANDLER = "stream_chat.cancel_handler.lambda_handler"
# Init is CPU-bound (importing boto3 and building its client) and Lambda's CPU grows with memory;
# a cancel bills a few milliseconds, so the faster cold start is worth the larger size.
MEMORY_MB = 1024
TIMEOUT = cdk.Duration.seconds(10)


class CancelFunction(PythonFunction):
    """The function, its role, its log group and its ``BUFFERED`` IAM-authorised URL."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        log_retention_days: int,
        reserved_concurrency: int | None,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="stream-chat: records a stream's cancel (Stop)",
            handler=HANDLER,
            code=code,
            memory_mb=MEMORY_MB,
            timeout=TIMEOUT,
            log_retention_days=log_retention_days,
            environment=environment,
            reserved_concurrency=reserved_concurrency,
        )
        self.url = self.function.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.BUFFERED,
        )

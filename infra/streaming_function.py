"""The streaming function: Lambda on the managed Python runtime, reached through a function URL.

The managed runtime starts ``stream_chat/bootstrap`` through ``AWS_LAMBDA_EXEC_WRAPPER``; it runs
our own runtime loop, which speaks the Runtime API's streaming protocol. No VPC: function URLs
cannot stream from inside one.

SnapStart (on by default): every deploy publishes a version, Lambda initialises it once and
snapshots it, and new instances are restored from that snapshot instead of paying the init
(~1.2 s of CPU: the Anthropic SDK, Powertools, boto3) before their first byte. SnapStart applies
to published versions only, so the function URL sits on the ``live`` alias, which follows the
latest version, and CloudFront reaches the function through that URL. Our runtime loop takes part
in the snapshot lifecycle itself (``stream_chat.runtime.snapstart``); without it the snapshot
would never be taken. https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html

Memory: 512 MB by default (``stream-chat:memory_mb``), chosen from measurements on a 2-vCPU
machine (``make bench``: ``snap_start``, ``init_time``; docs/performance.md). An instance peaks at
~87 MB RSS answering (local configuration) and ~105 MB after the deployed init (with boto3's
DynamoDB and Secrets Manager clients), so 256 MB would hold it; but Lambda's CPU grows with
memory (1 vCPU at 1769 MB) and what an instance does on the CPU must stay quick at its share:
the relay costs ~10 µs of CPU per frame, the after-restore renewal ~50 ms (loading the trust
store), and without SnapStart the init's ~1.2 s of CPU becomes ~4 s at 512 MB (0.29 vCPU) and
~8 s at 256 MB. An answer's duration is mostly waiting on the model, billed per GB-second, so
more than 512 MB buys nothing but cost.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.python_function import PythonFunction

HANDLER = "stream_chat.handler.lambda_handler"
ALIAS = "live"


class StreamingFunction(PythonFunction):
    """The function, its role, its log group, its ``live`` alias and that alias's
    ``RESPONSE_STREAM`` IAM-authorised URL."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        memory_mb: int,
        timeout: cdk.Duration,
        log_retention_days: int,
        reserved_concurrency: int | None = None,
        snap_start: bool = True,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="stream-chat: streams model answers as server-sent events",
            handler=HANDLER,
            code=code,
            memory_mb=memory_mb,
            timeout=timeout,
            log_retention_days=log_retention_days,
            environment=environment,
            reserved_concurrency=reserved_concurrency,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
        )

        # current_version: a new version whenever the code or configuration changes, which is
        # when Lambda takes a new snapshot; the alias moves to it once it is ready.
        self.alias = lambda_.Alias(
            self, "Live", alias_name=ALIAS, version=self.function.current_version
        )
        self.url = self.alias.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.RESPONSE_STREAM,
        )

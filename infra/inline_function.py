"""A small Python Lambda deployed as inline code: one source file, no dependencies beyond the
runtime's boto3, its own role and a log group with retention (no managed policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.python_function import PythonFunction

# CloudFormation's limit for inline code.
MAX_INLINE_BYTES = 4096


class InlineFunction(PythonFunction):
    """``source``'s ``handler(event, context)`` as ``index.handler`` on Python 3.13, arm64."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: Path,
        description: str,
        log_retention_days: int,
        environment: Mapping[str, str] | None = None,
        timeout: cdk.Duration | None = None,
    ) -> None:
        code = source.read_text()
        if len(code.encode()) > MAX_INLINE_BYTES:
            raise ValueError(f"{source.name} is over CloudFormation's {MAX_INLINE_BYTES} bytes")
        super().__init__(
            scope,
            construct_id,
            description=description,
            handler="index.handler",
            code=lambda_.Code.from_inline(code),
            memory_mb=128,
            timeout=timeout or cdk.Duration.seconds(10),
            log_retention_days=log_retention_days,
            environment=environment or {},
            runtime_loop=False,
        )

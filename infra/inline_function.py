"""A small Python Lambda deployed as inline code: one source file, no dependencies beyond the
runtime's boto3, its own role and a log group with retention (no managed policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.streaming_function import RUNTIME_REASON, retained_log_group

# CloudFormation's limit for inline code.
MAX_INLINE_BYTES = 4096


class InlineFunction(Construct):
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
        super().__init__(scope, construct_id)
        code = source.read_text()
        if len(code.encode()) > MAX_INLINE_BYTES:
            raise ValueError(f"{source.name} is over CloudFormation's {MAX_INLINE_BYTES} bytes")
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group = retained_log_group(self, log_retention_days)
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(code),
            role=self.role,
            log_group=log_group,
            environment=dict(environment or {}),
            timeout=timeout or cdk.Duration.seconds(10),
            memory_size=128,
        )
        NagSuppressions.add_resource_suppressions(
            self.function, [NagPackSuppression(id="AwsSolutions-L1", reason=RUNTIME_REASON)]
        )

    def allow(self, actions: list[str], resource_arn: str) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=[resource_arn])
        )

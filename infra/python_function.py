"""What every function of the stack shares: Python 3.13 on arm64, a role of its own whose only
grants are its log group and what ``allow`` adds (no managed policy), and a log group with
retention that goes with the stack. The two functions of the ``stream_chat`` asset start through
its runtime loop (``runtime_loop``: the managed runtime runs ``stream_chat/bootstrap`` as its exec
wrapper, which runs the loop); the small inline functions run on the managed runtime as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

RUNTIME_REASON = "The runtime loop and its dependencies are built and tested for Python 3.13."
EXEC_WRAPPER = "/var/task/stream_chat/bootstrap"
EXEC_WRAPPER_ENV = "AWS_LAMBDA_EXEC_WRAPPER"


class PythonFunction(Construct):
    """The base of the stack's function constructs: ``function``, ``role`` and ``log_group``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        handler: str,
        code: lambda_.Code,
        memory_mb: int,
        timeout: cdk.Duration,
        log_retention_days: int,
        environment: Mapping[str, str],
        reserved_concurrency: int | None = None,
        snap_start: lambda_.SnapStartConf | None = None,
        runtime_loop: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = retained_log_group(self, log_retention_days)
        # A role of our own instead of AWSLambdaBasicExecutionRole: logs go to this group only.
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            memory_size=memory_mb,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            environment={
                **environment,
                **({EXEC_WRAPPER_ENV: EXEC_WRAPPER} if runtime_loop else {}),
            },
            snap_start=snap_start,
        )
        NagSuppressions.add_resource_suppressions(
            self.function, [NagPackSuppression(id="AwsSolutions-L1", reason=RUNTIME_REASON)]
        )

    def allow(self, actions: list[str], *resource_arns: str) -> None:
        """Let the function call ``actions`` on these resources, and nothing else."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=list(resource_arns))
        )


def retained_log_group(scope: Construct, retention_days: int) -> logs.LogGroup:
    """A log group of the function's own, deleted with the stack, kept ``retention_days``."""
    group = logs.LogGroup(scope, "Logs", removal_policy=cdk.RemovalPolicy.DESTROY)
    # RetentionDays cannot be looked up by number in Python; the value was validated.
    resource = group.node.default_child
    assert isinstance(resource, logs.CfnLogGroup)
    resource.retention_in_days = retention_days
    return group

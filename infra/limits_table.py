"""The limits table: per-user request and token counters and concurrent-stream leases, all
expiring through TTL (``functions/stream_chat/limits/dynamodb.py`` owns the item layout).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stream_chat.settings import ENV

PARTITION_KEY = "limit_key"
TTL_ATTRIBUTE = "expires_at"
# One admission is a transaction of conditional updates and puts; a lease is deleted at the end.
FUNCTION_ACTIONS = [
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]
NO_PITR_REASON = (
    "Items are counters of the current minute or day and leases of running streams, all expiring "
    "by TTL: there is nothing worth restoring."
)


class LimitsTable(Construct):
    """On-demand table keyed by ``limit_key``, items expiring at ``expires_at`` (epoch seconds)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        NagSuppressions.add_resource_suppressions(
            self.table, [NagPackSuppression(id="AwsSolutions-DDB3", reason=NO_PITR_REASON)]
        )

    @property
    def function_env(self) -> dict[str, str]:
        return {ENV["limits_backend"]: "dynamodb", ENV["limits_table"]: self.table.table_name}

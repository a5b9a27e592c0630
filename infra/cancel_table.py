"""The cancel table: one item per cancelled stream, polled by the running stream, expired by TTL."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

PARTITION_KEY = "stream_id"
TTL_ATTRIBUTE = "expires_at"
# What each function does with the table: the stream reads its flag, the cancel function writes it.
STREAM_ACTIONS = ["dynamodb:GetItem"]
CANCEL_ACTIONS = ["dynamodb:PutItem"]
NO_PITR_REASON = (
    "Items are short-lived cancel flags with a TTL, so there is nothing to restore "
    "(stream-chat:cancel_table_pitr turns recovery on)."
)


class CancelTable(Construct):
    """On-demand table keyed by ``stream_id``, items expiring at ``expires_at`` (epoch seconds)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, point_in_time_recovery: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            ),
            # Cancel flags live for an hour at most; nothing here is worth keeping.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        if not point_in_time_recovery:
            NagSuppressions.add_resource_suppressions(
                self.table,
                [NagPackSuppression(id="AwsSolutions-DDB3", reason=NO_PITR_REASON)],
            )

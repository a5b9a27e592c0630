"""A table of short-lived items: on demand, keyed by a String attribute (and, when the layout
has one, a Number sort key), items expired by TTL.

Every table of the stack is one: the cancel flags, the per-user limits and the answers' journal.
Their layouts (the keys and the TTL attribute) come from the function's package
(``stream_chat.stores.tables``), which its stores write by, so the table and the code that writes
it cannot drift apart.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stream_chat.stores.tables import TableLayout


class TtlTable(Construct):
    """``table``: its items expire at the layout's TTL attribute (epoch seconds).

    Without point-in-time recovery, ``no_recovery_reason`` says why nothing in it is worth
    restoring (cdk-nag's AwsSolutions-DDB3 asks).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layout: TableLayout,
        point_in_time_recovery: bool,
        no_recovery_reason: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(
                name=layout.partition_key, type=dynamodb.AttributeType.STRING
            ),
            sort_key=(
                dynamodb.Attribute(name=layout.sort_key, type=dynamodb.AttributeType.NUMBER)
                if layout.sort_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=layout.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            ),
            # Every item expires by TTL (within a day, by default): nothing here is worth keeping.
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        if not point_in_time_recovery:
            NagSuppressions.add_resource_suppressions(
                self.table, [NagPackSuppression(id="AwsSolutions-DDB3", reason=no_recovery_reason)]
            )


# The cancel table: the stream reads its flag, the cancel function writes it.
CANCEL_STREAM_ACTIONS = ["dynamodb:GetItem"]
CANCEL_ACTIONS = ["dynamodb:PutItem"]
CANCEL_NO_PITR_REASON = (
    "Items are short-lived cancel flags with a TTL, so there is nothing to restore "
    "(stream-chat:cancel_table_pitr turns recovery on)."
)
# The limits table: one admission is a transaction of conditional updates and puts; a lease is
# deleted at the end.
LIMITS_ACTIONS = [
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]
LIMITS_NO_PITR_REASON = (
    "Items are counters of the current minute or day and leases of running streams, all expiring "
    "by TTL: there is nothing worth restoring."
)
# The journal: the streaming function writes each batch once, the resume function reads them in
# order; neither updates nor deletes (TTL does).
JOURNAL_STREAM_ACTIONS = ["dynamodb:PutItem"]
JOURNAL_RESUME_ACTIONS = ["dynamodb:Query"]
JOURNAL_NO_PITR_REASON = (
    "Items are batches of answers already delivered (and kept by the page), expiring by TTL (a "
    "day by default): there is nothing worth restoring."
)

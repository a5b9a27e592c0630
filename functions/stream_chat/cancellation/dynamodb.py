"""Cancel registry on DynamoDB: one item per cancelled (stream, owner), expired by TTL."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.config import Config

from stream_chat.cancellation import record_key
from stream_chat.stores.dynamodb import DynamoDBStore
from stream_chat.stores.tables import CANCEL_TABLE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = CANCEL_TABLE.partition_key
TTL_ATTRIBUTE = CANCEL_TABLE.ttl_attribute
CANCELLED_AT = "cancelled_at"


class DynamoDBRegistry(DynamoDBStore):
    # A poll must never hold up the stream's closing frames: short timeouts, no SDK retries (the
    # watcher retries at its next interval anyway).
    CLIENT_CONFIG = Config(
        connect_timeout=1, read_timeout=1, retries={"max_attempts": 1, "mode": "standard"}
    )

    def __init__(self, table: str, ttl_s: int, client: DynamoDBClient | None = None) -> None:
        super().__init__(table, client)
        self._ttl_s = ttl_s

    def cancel(self, stream_id: str, owner: str = "") -> None:
        now = time.time()
        item: dict[str, Any] = {
            KEY: {"S": record_key(stream_id, owner)},
            # Seconds to the millisecond: the stream measures its cancel latency from this.
            CANCELLED_AT: {"N": f"{now:.3f}"},
            TTL_ATTRIBUTE: {"N": str(int(now) + self._ttl_s)},
        }
        self._client.put_item(TableName=self._table, Item=item)

    def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
        # Strongly consistent: a cancel written a moment ago on another instance must be seen.
        response = self._client.get_item(
            TableName=self._table,
            Key={KEY: {"S": record_key(stream_id, owner)}},
            ConsistentRead=True,
            ProjectionExpression=f"{KEY}, {CANCELLED_AT}",
        )
        if "Item" not in response:
            return None
        recorded = response["Item"].get(CANCELLED_AT, {}).get("N")
        return float(recorded) if recorded is not None else time.time()

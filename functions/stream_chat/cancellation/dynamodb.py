"""Cancel registry on DynamoDB: one item per cancelled (stream, owner), expired by TTL."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from stream_chat.cancellation import record_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# A poll must never hold up the stream's closing frames: short timeouts, no SDK retries (the
# watcher retries at its next interval anyway).
_CLIENT_CONFIG = Config(
    connect_timeout=1, read_timeout=1, retries={"max_attempts": 1, "mode": "standard"}
)

KEY = "stream_id"
TTL_ATTRIBUTE = "expires_at"
CANCELLED_AT = "cancelled_at"


class DynamoDBRegistry:
    def __init__(self, client: DynamoDBClient, table: str, ttl_s: int) -> None:
        self._client = client
        self._table = table
        self._ttl_s = ttl_s

    @classmethod
    def create(cls, table: str, ttl_s: int) -> DynamoDBRegistry:
        return cls(_new_client(), table, ttl_s)

    def before_snapshot(self) -> None:
        """Close the client's pool: no connection goes into a SnapStart snapshot."""
        self._client.close()

    def reset_after_restore(self) -> None:
        """A restored copy builds its own client (fresh pool, credentials resolved anew) in the
        background (~15 ms); until then the old one, its pool closed, opens new connections.
        """
        threading.Thread(target=self._renew, name="registry-renew", daemon=True).start()

    def _renew(self) -> None:
        self._client = _new_client()

    def cancel(self, stream_id: str, owner: str = "") -> None:
        now = time.time()
        item: dict[str, Any] = {
            KEY: {"S": record_key(stream_id, owner)},
            # Seconds to the millisecond: the stream measures its cancel latency from this.
            CANCELLED_AT: {"N": f"{now:.3f}"},
            TTL_ATTRIBUTE: {"N": str(int(now) + self._ttl_s)},
        }
        self._client.put_item(TableName=self._table, Item=item)

    def is_cancelled(self, stream_id: str, owner: str = "") -> bool:
        return self.cancelled_at(stream_id, owner) is not None

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


def _new_client() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CLIENT_CONFIG)

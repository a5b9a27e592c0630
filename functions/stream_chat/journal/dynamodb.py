"""The journal on DynamoDB: one item per batch, keyed by the stream id and the batch's number,
expired by TTL (``stores.tables.JOURNAL_TABLE``). A write is one PutItem; a read is one Query
(strongly consistent: a batch written a moment ago on another instance must be seen)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.config import Config

from stream_chat.journal import Batch, pack, unpack
from stream_chat.stores.dynamodb import DynamoDBStore
from stream_chat.stores.tables import JOURNAL_TABLE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = JOURNAL_TABLE.partition_key
BATCH = JOURNAL_TABLE.sort_key or "batch"
TTL_ATTRIBUTE = JOURNAL_TABLE.ttl_attribute


class DynamoDBJournal(DynamoDBStore):
    # The writer runs off the delivery path and gives up at the first failure: short timeouts
    # and one retry, so that a slow table costs a batch or two, never the answer's deadline.
    CLIENT_CONFIG = Config(
        connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}
    )

    def __init__(self, table: str, ttl_s: int, client: DynamoDBClient | None = None) -> None:
        super().__init__(table, client)
        self._ttl_s = ttl_s

    def write(self, batch: Batch) -> None:
        item: dict[str, Any] = {
            KEY: {"S": batch.stream_id},
            BATCH: {"N": str(batch.number)},
            "owner": {"S": batch.owner},
            "first_id": {"N": str(batch.first_id)},
            "frames": {"B": pack(batch.frames)},
            "done": {"BOOL": batch.done},
            "deadline_at": {"N": f"{batch.deadline_at:.3f}"},
            TTL_ATTRIBUTE: {"N": str(int(time.time()) + self._ttl_s)},
        }
        self._client.put_item(TableName=self._table, Item=item)

    def read(self, stream_id: str, after: int = -1) -> list[Batch]:
        batches: list[Batch] = []
        now = time.time()
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#key = :key AND #batch > :after",
            "ExpressionAttributeNames": {"#key": KEY, "#batch": BATCH},
            "ExpressionAttributeValues": {":key": {"S": stream_id}, ":after": {"N": str(after)}},
            "ConsistentRead": True,
        }
        while True:
            page = self._client.query(**query)
            # TTL deletes some time after expiry: an expired item is gone already for a reader.
            batches += [_batch(item) for item in page["Items"] if not _expired(item, now)]
            if "LastEvaluatedKey" not in page:
                return batches
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _batch(item: dict[str, Any]) -> Batch:
    return Batch(
        stream_id=item[KEY]["S"],
        number=int(item[BATCH]["N"]),
        owner=item["owner"]["S"],
        first_id=int(item["first_id"]["N"]),
        frames=unpack(item["frames"]["B"]),
        done=item["done"]["BOOL"],
        deadline_at=float(item["deadline_at"]["N"]),
    )


def _expired(item: dict[str, Any], now: float) -> bool:
    return int(item[TTL_ATTRIBUTE]["N"]) < now

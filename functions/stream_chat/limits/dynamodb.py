"""Limits on DynamoDB: one transaction per admission, exact under concurrency.

Table: ``stores.tables.LIMITS_TABLE`` (partition key ``limit_key``, TTL attribute ``expires_at``).
Items:

    <subject>#rate#<utc minute>   requests    counted with a conditional ADD
    <subject>#tokens#<utc day>    output_tokens  checked in the transaction, added after a stream
    <subject>#stream#<n>          lease_id    one slot per allowed concurrent stream

A stream takes the first slot that is free or whose lease has expired (``expires_at`` is compared
in the condition, so a dead instance's lease frees itself without waiting for TTL deletion).
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from stream_chat.errors import TokenBudgetSpent, TooManyRequests, TooManyStreams
from stream_chat.limits import CONCURRENT_RETRY_S, Limits, day_window, minute_window
from stream_chat.stores.dynamodb import DynamoDBStore
from stream_chat.stores.tables import LIMITS_TABLE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = LIMITS_TABLE.partition_key
TTL_ATTRIBUTE = LIMITS_TABLE.ttl_attribute
CONFLICT_ATTEMPTS = 8  # concurrent transactions on one viewer's items are retried, briefly
FAILED = "ConditionalCheckFailed"


class DynamoDBLimits(DynamoDBStore):
    CLIENT_CONFIG = Config(
        connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}
    )

    def __init__(self, table: str, limits: Limits, client: DynamoDBClient | None = None) -> None:
        super().__init__(table, client)
        self.limits = limits

    def admit(self, subject: str, lease_id: str, lease_expires_at: float, now: float) -> str | None:
        counters = self._counters(subject, now)
        slots = self.limits.concurrent_streams
        if slots is None:
            self._transact(counters, now)
            return None
        for slot in range(slots):
            key = f"{subject}#stream#{slot}"
            if self._transact([*counters, self._take(key, lease_id, lease_expires_at, now)], now):
                return key
        raise TooManyStreams("Too many answers at once.", retry_after_s=CONCURRENT_RETRY_S)

    def _counters(self, subject: str, now: float) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        minute, _, minute_expiry = minute_window(now)
        if (per_minute := self.limits.requests_per_minute) is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {KEY: {"S": f"{subject}#rate#{minute}"}},
                        "UpdateExpression": f"ADD requests :one SET {TTL_ATTRIBUTE} = :expiry",
                        "ConditionExpression": "attribute_not_exists(requests) OR requests < :max",
                        "ExpressionAttributeValues": {
                            ":one": {"N": "1"},
                            ":max": {"N": str(per_minute)},
                            ":expiry": {"N": str(int(minute_expiry))},
                        },
                    }
                }
            )
        if (per_day := self.limits.output_tokens_per_day) is not None:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": {KEY: {"S": f"{subject}#tokens#{day_window(now)[0]}"}},
                        "ConditionExpression": "attribute_not_exists(output_tokens)"
                        " OR output_tokens < :max",
                        "ExpressionAttributeValues": {":max": {"N": str(per_day)}},
                    }
                }
            )
        return items

    def _take(self, key: str, lease_id: str, expires_at: float, now: float) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    KEY: {"S": key},
                    "lease_id": {"S": lease_id},
                    TTL_ATTRIBUTE: {"N": str(int(expires_at) + 1)},
                },
                "ConditionExpression": f"attribute_not_exists({KEY}) OR {TTL_ATTRIBUTE} < :now",
                "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
            }
        }

    def _transact(self, items: list[dict[str, Any]], now: float) -> bool:
        """True when written; False when only the stream slot (the last item) was taken."""
        if not items:
            return True
        for _ in range(CONFLICT_ATTEMPTS):
            try:
                self._client.transact_write_items(TransactItems=items)  # type: ignore[arg-type]
                return True
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [
                    r.get("Code", "None") for r in error.response.get("CancellationReasons", [])
                ]
            if FAILED in reasons:
                self._refuse(items, reasons, now)
                return False
            time.sleep(random.uniform(0.005, 0.05))  # noqa: S311  # jitter, not secrecy
        raise TooManyRequests("Too many requests at once.", retry_after_s=1)

    def _refuse(self, items: list[dict[str, Any]], reasons: list[str], now: float) -> None:
        for item, reason in zip(items, reasons, strict=False):
            if reason != FAILED:
                continue
            if "Update" in item:
                retry = minute_window(now)[1]
                raise TooManyRequests("Too many requests this minute.", retry_after_s=retry)
            if "ConditionCheck" in item:
                retry = day_window(now)[1]
                raise TokenBudgetSpent("Today's answer budget is spent.", retry_after_s=retry)

    def release(self, lease_key: str, lease_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={KEY: {"S": lease_key}},
                ConditionExpression="lease_id = :mine",
                ExpressionAttributeValues={":mine": {"S": lease_id}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def add_output_tokens(self, subject: str, tokens: int, now: float) -> None:
        day, _, expiry = day_window(now)
        self._client.update_item(
            TableName=self._table,
            Key={KEY: {"S": f"{subject}#tokens#{day}"}},
            UpdateExpression=f"ADD output_tokens :n SET {TTL_ATTRIBUTE} = :expiry",
            ExpressionAttributeValues={
                ":n": {"N": str(tokens)},
                ":expiry": {"N": str(int(expiry))},
            },
        )

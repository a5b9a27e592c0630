"""The DynamoDB tables' layouts: the one place both the stores that write the items and the stack
that creates the tables (``infra/ttl_table.py``) read their key and TTL attribute from.

No imports beyond the standard library: the CDK app imports this module at synth.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPIRES_AT = "expires_at"


@dataclass(frozen=True)
class TableLayout:
    """A table keyed by one String attribute (and, with ``sort_key``, a Number attribute after
    it), its items expired by DynamoDB's TTL."""

    partition_key: str
    ttl_attribute: str = EXPIRES_AT  # epoch seconds; DynamoDB deletes the item some time after
    sort_key: str | None = None  # a Number attribute: items of one partition in its order


# One item per cancelled (stream, owner): ``cancellation.dynamodb``.
CANCEL_TABLE = TableLayout(partition_key="stream_id")
# Counters per viewer and minute or day, and stream leases: ``limits.dynamodb``.
LIMITS_TABLE = TableLayout(partition_key="limit_key")
# One item per batch of an answer's frames, numbered 0, 1, 2, … in the answer: ``journal.dynamodb``.
JOURNAL_TABLE = TableLayout(partition_key="stream_id", sort_key="batch")

"""The stores as tests use them: their DynamoDB tables in moto, made from the same layouts the
stack creates the real tables from (``stream_chat.stores.tables``), and what a test asks of a
cancel registry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from stream_chat.cancellation import CancelRegistry
from stream_chat.stores.tables import TableLayout

REGION = "us-east-1"


def create_table(client: Any, name: str, layout: TableLayout) -> None:
    """The table as ``infra/ttl_table.py`` defines it: on demand, one String key (then a Number
    sort key, when the layout has one), TTL on."""
    attributes = [{"AttributeName": layout.partition_key, "AttributeType": "S"}]
    keys = [{"AttributeName": layout.partition_key, "KeyType": "HASH"}]
    if layout.sort_key is not None:
        attributes.append({"AttributeName": layout.sort_key, "AttributeType": "N"})
        keys.append({"AttributeName": layout.sort_key, "KeyType": "RANGE"})
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=attributes,
        KeySchema=keys,
    )
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": layout.ttl_attribute},
    )


@contextmanager
def moto_tables(tables: Mapping[str, TableLayout]) -> Iterator[Any]:
    """moto's DynamoDB holding ``tables`` (name → layout), and a client on it."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        for name, layout in tables.items():
            create_table(client, name, layout)
        yield client


def is_cancelled(registry: CancelRegistry, stream_id: str, owner: str = "") -> bool:
    return registry.cancelled_at(stream_id, owner) is not None

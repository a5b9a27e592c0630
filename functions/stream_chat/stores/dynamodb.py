"""A store's DynamoDB client: built at init, closed before a SnapStart snapshot, and built anew in
each restored copy (see ``stream_chat.restore``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

import boto3

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBStore:
    """The base of the DynamoDB stores: ``_client`` on ``_table``, renewed after a restore."""

    # Each store bounds its calls its own way: timeouts and retries of its client.
    CLIENT_CONFIG: ClassVar[Config]

    def __init__(self, table: str, client: DynamoDBClient | None) -> None:
        # None: a client of its own, built now (at init: warm when the snapshot is taken).
        self._client = client if client is not None else self.new_client()
        self._table = table

    @classmethod
    def new_client(cls) -> DynamoDBClient:
        return boto3.client("dynamodb", config=cls.CLIENT_CONFIG)

    def before_snapshot(self) -> None:
        """Close the client's pool: no connection goes into a SnapStart snapshot."""
        self._client.close()

    def reset_after_restore(self) -> None:
        """A restored copy builds its own client (fresh pool, credentials resolved anew) in the
        background (~15 ms); until then the old one, its pool closed, opens new connections.
        """
        name = f"{type(self).__name__}-renew"
        threading.Thread(target=self._renew, name=name, daemon=True).start()

    def _renew(self) -> None:
        self._client = self.new_client()

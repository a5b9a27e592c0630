"""What a SnapStart snapshot may hold, and what each restored copy redoes.

Init builds the provider, its SDK client and the AWS clients so that the snapshot holds them
warm. Every copy restored from it then starts with the same memory, so:

- nothing open goes into the snapshot (``before_snapshot``): a connection in it would be shared
  by every copy, each talking over the same TLS session;
- each copy gets fresh connection pools and re-reads cached secrets and credentials
  (``reset_after_restore``), the slow part (trust store, Secrets Manager, credentials) on a
  background thread so that the copy is ready for its first request in milliseconds;
- nothing unique is made at init: stream ids come from ``secrets`` (the kernel's generator) per
  request, and the runtime reseeds ``random`` before these hooks run.

See https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html and
https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html (networking).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Restorable(Protocol):
    def before_snapshot(self) -> None:
        """Close whatever is open: the snapshot must not hold it."""

    def reset_after_restore(self) -> None:
        """Fresh pools and re-validated secrets for this copy; returns in milliseconds."""


def before_snapshot(parts: Iterable[object]) -> None:
    for part in parts:
        if isinstance(part, Restorable):
            part.before_snapshot()


def after_restore(parts: Iterable[object]) -> None:
    for part in parts:
        if isinstance(part, Restorable):
            part.reset_after_restore()

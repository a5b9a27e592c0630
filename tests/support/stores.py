"""What tests ask of the stores."""

from __future__ import annotations

from stream_chat.cancellation import CancelRegistry


def is_cancelled(registry: CancelRegistry, stream_id: str, owner: str = "") -> bool:
    return registry.cancelled_at(stream_id, owner) is not None

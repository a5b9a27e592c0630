"""What the relay reads: provider events and the upstream's and the cancel watcher's news.

The upstream thread and the cancel watcher put items on one queue; the relay takes them with
deadlines, so heartbeats and timeouts keep working while both are silent.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass

from stream_chat.errors import StreamChatError
from stream_chat.providers.events import ProviderEvent


class Finished:
    """The provider's stream ended normally."""


class CancelRequested:
    """The cancel registry holds this stream's id (the upstream is already being aborted)."""


@dataclass(frozen=True)
class Failed:
    error: StreamChatError


InboxItem = ProviderEvent | Finished | Failed | CancelRequested
Inbox = queue.Queue[InboxItem]

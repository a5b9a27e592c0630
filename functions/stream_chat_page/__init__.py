"""What the page is told about the function: ``/config.json``, derived from its settings.

Shared by the CDK stack, which deploys the file next to the page, and by ``stream-chat serve``,
which serves it. It sits beside the Lambda asset, not in it: the function never needs it.
"""

from __future__ import annotations

from typing import Any

from stream_chat.settings import Settings


def page_config(settings: Settings) -> dict[str, Any]:
    """Same origin for ``/api/*``, and the function's timing the page should expect."""
    return {
        "apiBase": "",
        "stallTimeoutS": settings.stall_timeout_s,
        "heartbeatS": settings.heartbeat_s,
        "firstTokenTimeoutS": settings.first_token_timeout_s,
    }

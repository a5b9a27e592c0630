"""A handler module whose import fails, as a missing dependency or bad configuration would."""

from __future__ import annotations

raise RuntimeError("configuration is missing at import time")


def handler(event: object, context: object) -> None:  # pragma: no cover - never reached
    pass

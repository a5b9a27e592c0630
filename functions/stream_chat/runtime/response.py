"""What a streaming handler returns: the Lambda streaming HTTP integration response.

The runtime's contract with the handler, and nothing else: it knows no application error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StreamingResponse:
    """Status and headers (the prelude), then body chunks written one by one as produced."""

    status_code: int
    headers: Mapping[str, str]
    body: Iterable[bytes]
    cookies: Sequence[str] = field(default_factory=tuple)

    def prelude(self) -> dict[str, Any]:
        """The JSON metadata Lambda reads before the 8-NUL delimiter."""
        return {
            "statusCode": self.status_code,
            "headers": dict(self.headers),
            "cookies": list(self.cookies),
        }

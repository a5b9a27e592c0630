"""What CloudFront does to an API request's headers before the function URL sees it, which the
local front does too, since the function relies on it.

On AWS the origin request policy (``infra/site.py``) forwards a short allow-list of the viewer's
headers and adds ``CloudFront-Viewer-Address`` itself, from the connection it accepted: the
``CloudFront-*`` headers are CloudFront's to set, never the viewer's. The function keys its
no-sign-in limits on that address, so a forged one would make every request a new viewer.
"""

from __future__ import annotations

CLOUDFRONT_PREFIX = "cloudfront-"
VIEWER_ADDRESS = "cloudfront-viewer-address"


def as_cloudfront_forwards(headers: dict[str, str], peer: tuple[str, int]) -> list[tuple[str, str]]:
    """The headers as CloudFront hands them on: none of the viewer's own ``CloudFront-*`` headers,
    and the viewer's address, the peer's, as ``ip:port`` the way CloudFront writes it (an IPv6
    address unbracketed)."""
    kept = [
        (name, value) for name, value in headers.items() if not name.startswith(CLOUDFRONT_PREFIX)
    ]
    return [*kept, (VIEWER_ADDRESS, f"{peer[0]}:{peer[1]}")]

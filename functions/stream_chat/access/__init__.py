"""Who is asking: a signed-in user (access token verified) or, without sign-in, an address.

Both the chat route and the cancel route call ``Authorizer.authorize`` first. The ``Viewer`` it
returns keys the per-viewer limits (``subject``) and owns the streams it starts (``owner``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stream_chat.access.tokens import AccessTokens
    from stream_chat.settings import Settings

TOKEN_HEADER = "x-authorization"  # noqa: S105  # a header name; CloudFront OAC signs and replaces Authorization itself
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"  # ip:port, set by CloudFront


@dataclass(frozen=True)
class Viewer:
    subject: str  # limits count against it: "user:<sub>" or "ip:<address>"
    owner: str = ""  # cancels must match it; empty without sign-in (the stream id is the key)


class Authorizer:
    def __init__(self, tokens: AccessTokens | None) -> None:
        self.tokens = tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> Authorizer:
        """With sign-in, PyJWT and cryptography are imported here, at init."""
        if settings.auth != "cognito":
            return cls(None)
        from stream_chat.access.tokens import AccessTokens

        assert settings.auth_issuer and settings.auth_client_id  # enforced by Settings
        return cls(AccessTokens.for_issuer(settings.auth_issuer, settings.auth_client_id))

    def warm(self) -> Authorizer:
        """Fetch the pool's signing keys now (at init) rather than in the first request."""
        if self.tokens is not None:
            self.tokens.keys.prefetch()
        return self

    def authorize(self, headers: Mapping[str, str], source_ip: str) -> Viewer:
        """The viewer; raises ``Unauthorized`` when sign-in is on and the token is not valid."""
        if self.tokens is None:
            return Viewer(subject=f"ip:{viewer_address(headers, source_ip)}")
        user = self.tokens.verify(headers.get(TOKEN_HEADER))
        return Viewer(subject=f"user:{user}", owner=user)


def viewer_address(headers: Mapping[str, str], source_ip: str) -> str:
    """The viewer's address; an IPv6 viewer is its /64, as one host can use a whole /64.

    Behind CloudFront ``sourceIp`` is CloudFront's own address: the viewer's is in
    ``CloudFront-Viewer-Address``, which CloudFront sets itself (a viewer's copy never passes).
    """
    raw = headers.get(VIEWER_ADDRESS_HEADER, "")
    host = raw.rpartition(":")[0] if ":" in raw else raw
    for candidate in (host.strip("[]"), source_ip):
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)
    return source_ip or "unknown"

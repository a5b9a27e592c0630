"""What the page is told about the function: ``/config.json``, derived from its settings.

Shared by the CDK stack, which deploys the file next to the page, and by ``stream-chat serve``,
which serves it. It sits beside the Lambda asset, not in it: the function never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from stream_chat.attachments import MEDIA_TYPES
from stream_chat.settings import Settings

SIGN_IN_SCOPES = ("openid", "email", "profile")


@dataclass(frozen=True)
class PageAuth:
    """The public app client the page signs in with, and its managed-login domain.

    ``domain_url`` is the domain's base URL (``https://<prefix>.auth.<region>.amazoncognito.com``,
    or a stand-in's); in the stack both values are deploy-time tokens, which is why the endpoint
    URLs are built by concatenation only.
    """

    client_id: str
    domain_url: str
    scopes: tuple[str, ...] = SIGN_IN_SCOPES

    @property
    def origin(self) -> str:
        """Where the page sends its token requests (for the policy's ``connect-src``)."""
        parts = urlsplit(self.domain_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else self.domain_url

    def config(self) -> dict[str, Any]:
        base = self.domain_url.removesuffix("/")
        return {
            "kind": "cognito",
            "client_id": self.client_id,
            "authorize_url": f"{base}/oauth2/authorize",
            "token_url": f"{base}/oauth2/token",
            "logout_url": f"{base}/logout",
            "revoke_url": f"{base}/oauth2/revoke",
            "scopes": list(self.scopes),
        }


def page_config(settings: Settings, auth: PageAuth | None = None) -> dict[str, Any]:
    """Same origin for ``/api/*``, who answers (the page says when it is the offline demo model),
    the function's timing the page should expect, how to sign in (``auth``: null when the API
    is open), what a message may ask for (``features``: the switches the page shows, each
    refused by the function when off; search is never on with Bedrock, which refuses it), the
    files a message may carry (``attachments``: the page checks them before sending), and the
    models a message may name (``models``, in the allow-list's order; ``model``, the one a
    message that names none gets)."""
    return {
        "apiBase": "",
        "provider": settings.provider,
        "stallTimeoutS": settings.stall_timeout_s,
        "heartbeatS": settings.heartbeat_s,
        "firstTokenTimeoutS": settings.first_token_timeout_s,
        "auth": auth.config() if auth else None,
        "features": {"thinking": settings.thinking, "search": settings.search},
        "attachments": {
            "maxFileBytes": settings.max_attachment_bytes,
            "maxFiles": settings.max_attachments,
            "maxRequestBytes": settings.max_body_bytes,
            "mediaTypes": list(MEDIA_TYPES),
        },
        "models": list(settings.allowed_models),
        "model": settings.model,
    }


def content_security_policy(connect_sources: Sequence[str] = ()) -> str:
    """The page's policy, deployed (CloudFront) and local (serve) alike: it loads only its own
    modules and styles (no inline script), talks only to its own origin and to the sign-in
    domain's token endpoint, and no other site may frame it."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            " ".join(["connect-src 'self'", *connect_sources]),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

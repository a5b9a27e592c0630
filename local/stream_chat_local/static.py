"""The page, served from ``web/`` next to the API as CloudFront serves it from S3 (same origin)."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stream_chat.settings import Settings

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "web"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json"}


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
    """``/config.json``: same origin for ``/api/*``, the function's timing to expect, and how to
    sign in (``auth``: null when the API is open).

    The CDK stack deploys the same file next to the page.
    """
    return {
        "apiBase": "",
        "stallTimeoutS": settings.stall_timeout_s,
        "heartbeatS": settings.heartbeat_s,
        "firstTokenTimeoutS": settings.first_token_timeout_s,
        "auth": auth.config() if auth else None,
    }


class StaticFiles:
    def __init__(self, root: Path, settings: Settings, auth: PageAuth | None = None) -> None:
        self.root = root.resolve()
        self.config = json.dumps(page_config(settings, auth)).encode()

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        """(content, content type) of a page file, or None for anything outside ``root``."""
        if path == "/config.json":
            return self.config, "application/json"
        relative = path.lstrip("/") or "index.html"
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file():
            return None
        kind = TYPES.get(candidate.suffix) or mimetypes.guess_type(candidate.name)[0]
        return candidate.read_bytes(), kind or "application/octet-stream"

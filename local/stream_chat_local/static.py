"""The page, served from ``web/`` next to the API as CloudFront serves it from S3 (same origin),
with the security headers the deployed site's response headers policy adds.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from stream_chat.settings import Settings
from stream_chat_local.http_head import Answer, error_answer
from stream_chat_page import PageAuth, content_security_policy, page_config

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "web"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json"}
# The same policy as infra/security_headers.py (a test keeps the two equal).
CONTENT_SECURITY_POLICY = content_security_policy()
OTHER_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cache-control", b"no-cache"),
]


class StaticFiles:
    def __init__(self, root: Path, settings: Settings, auth: PageAuth | None = None) -> None:
        self.root = root.resolve()
        self.config = json.dumps(page_config(settings, auth)).encode()
        policy = content_security_policy([auth.origin] if auth else [])
        self.security_headers = [
            (b"content-security-policy", policy.encode()),
            *OTHER_SECURITY_HEADERS,
        ]

    def answer(self, path: str) -> Answer:
        """A page file with its security headers, or a 404."""
        found = self.lookup(path)
        if found is None:
            return error_answer(404, "Not Found")
        content, kind = found
        return Answer(200, content, [(b"content-type", kind.encode()), *self.security_headers])

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        """(content, content type) of a page file, or None for anything outside ``root``."""
        if path == "/config.json":
            return self.config, "application/json"
        try:
            return self._file(path)
        except (OSError, ValueError):  # a name too long for the file system, a NUL byte...
            return None

    def _file(self, path: str) -> tuple[bytes, str] | None:
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

"""The page, served from ``web/`` next to the API as CloudFront serves it from S3 (same origin)."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from stream_chat.settings import Settings
from stream_chat_page import page_config

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[2] / "web"
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json"}


class StaticFiles:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root.resolve()
        self.config = json.dumps(page_config(settings)).encode()

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

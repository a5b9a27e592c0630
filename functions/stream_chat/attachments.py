"""Files in a user message: the Messages API's ``image`` and ``document`` blocks, each with a
base64 ``source``, checked before the provider is called.

What a file is comes from its bytes (the magic number at its start), never from a name or the
type a client declares: a renamed executable called ``cat.png`` is refused here, with ``415``,
rather than by the provider after the answer's stream has begun. The block is then sent on as it
came (the same JSON for Anthropic and for Bedrock's Anthropic-format body).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeGuard

from stream_chat.errors import (
    AttachmentTooLarge,
    InvalidAttachment,
    UnsupportedMediaType,
)

Kind = Literal["image", "document"]
IMAGE_TYPES: Final = ("image/png", "image/jpeg", "image/gif", "image/webp")
DOCUMENT_TYPES: Final = ("application/pdf",)
# Every type a file may have, in the order the page lists them.
MEDIA_TYPES: Final = (*IMAGE_TYPES, *DOCUMENT_TYPES)
KINDS: Final[dict[str, tuple[str, ...]]] = {"image": IMAGE_TYPES, "document": DOCUMENT_TYPES}
NAMES: Final = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "application/pdf": "a PDF document",
}
# A document's title is shown to the model beside the file; the provider takes no longer one.
MAX_TITLE_CHARS: Final = 500
_SOURCE_KEYS = frozenset({"type", "media_type", "data"})


@dataclass(frozen=True)
class Attachment:
    kind: Kind
    media_type: str
    data: str  # base64, exactly as it came
    size: int  # bytes, decoded
    title: str | None = None

    def to_api(self) -> dict[str, Any]:
        source = {"type": "base64", "media_type": self.media_type, "data": self.data}
        block: dict[str, Any] = {"type": self.kind, "source": source}
        if self.title is not None:
            block["title"] = self.title
        return block


def is_attachment(block: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(block, dict) and block.get("type") in KINDS


def media_type_of(data: bytes) -> str | None:
    """The file's type by its magic number; None when it is none of ``MEDIA_TYPES``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def read_attachment(field: str, block: dict[str, Any], max_bytes: int) -> Attachment:
    """One ``image`` or ``document`` block, refused with the rule it breaks."""
    kind: Kind = "image" if block["type"] == "image" else "document"
    allowed = {"type", "source", "title"} if kind == "document" else {"type", "source"}
    for key in block:
        if key not in allowed:
            raise InvalidAttachment(f"unknown field {key!r} in {field}", field=f"{field}.{key}")
    source = block.get("source")
    if not isinstance(source, dict) or set(source) != _SOURCE_KEYS or source["type"] != "base64":
        raise InvalidAttachment(
            f'{field}.source must be {{"type": "base64", "media_type": ..., "data": ...}}',
            field=f"{field}.source",
        )
    media_type = _media_type(f"{field}.source.media_type", kind, source["media_type"])
    data = _decoded(f"{field}.source.data", source["data"], max_bytes)
    found = media_type_of(data)
    if found != media_type:
        what = f"are {NAMES[found]}" if found else "are none of PNG, JPEG, GIF, WebP or PDF"
        raise UnsupportedMediaType(
            f"{field}: the file's bytes {what}, not {media_type}", field=f"{field}.source.data"
        )
    title = _title(f"{field}.title", block) if kind == "document" else None
    return Attachment(kind, media_type, source["data"], len(data), title)


def _media_type(field: str, kind: Kind, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidAttachment(f"{field} must be a string", field=field)
    if value not in KINDS[kind]:
        raise UnsupportedMediaType(
            f"{field} must be one of {', '.join(KINDS[kind])} in an {kind} block", field=field
        )
    return value


def _decoded(field: str, value: object, max_bytes: int) -> bytes:
    if not isinstance(value, str):
        raise InvalidAttachment(f"{field} must be a base64 string", field=field)
    # Refused on the encoded length first: nothing larger than allowed is ever decoded.
    padding = len(value) - len(value.rstrip("="))
    if (size := len(value) // 4 * 3 - min(padding, 2)) > max_bytes:
        raise _too_large(field, size, max_bytes)
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidAttachment(f"{field} is not valid base64", field=field) from exc
    if len(data) > max_bytes:
        raise _too_large(field, len(data), max_bytes)
    return data


def _too_large(field: str, size: int, max_bytes: int) -> AttachmentTooLarge:
    return AttachmentTooLarge(
        f"{field}: the file is {size} bytes; at most {max_bytes} are allowed", field=field
    )


def _title(field: str, block: dict[str, Any]) -> str | None:
    if "title" not in block:
        return None
    title = block["title"]
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
        raise InvalidAttachment(
            f"{field} must be a non-blank string of at most {MAX_TITLE_CHARS} characters",
            field=field,
        )
    if any("\ud800" <= ch <= "\udfff" for ch in title):
        raise InvalidAttachment(f"{field} holds a lone surrogate", field=field)
    return title

"""The chat request: read from the function URL event and validated before any byte is streamed.

Every rule names the exact field and limit it enforces; nothing here may raise anything but
``InvalidRequest``, ``PayloadTooLarge`` or, for a file in a user message, ``AttachmentTooLarge``
and ``UnsupportedMediaType`` (attachments.py) for any input.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stream_chat.attachments import Attachment, is_attachment, read_attachment
from stream_chat.errors import (
    FeatureNotAllowed,
    InvalidBody,
    InvalidContent,
    InvalidField,
    InvalidJson,
    InvalidMaxTokens,
    InvalidMessages,
    InvalidRole,
    ModelNotAllowed,
    PayloadTooLarge,
    SystemNotAllowed,
    TooManyAttachments,
    TooManyCharacters,
    TooManyMessages,
)
from stream_chat.settings import Settings

Role = Literal["user", "assistant"]
_TOP_LEVEL = frozenset({"messages", "system", "max_tokens", "model", "thinking", "search"})
# What each switch of a request asks for, in the words of its refusal.
_FEATURES = {"thinking": "extended thinking", "search": "web search or web fetch"}
_MESSAGE_KEYS = frozenset({"role", "content"})
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    # The message's blocks, in order: its texts, and a user message's files.
    content: tuple[str | Attachment, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(block for block in self.content if isinstance(block, str))

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(block for block in self.content if isinstance(block, Attachment))

    def to_api(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "content": [
                {"type": "text", "text": block} if isinstance(block, str) else block.to_api()
                for block in self.content
            ],
        }


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[ChatMessage, ...]
    system: str
    max_tokens: int
    model: str
    thinking: bool = False  # extended thinking asked for, and allowed
    search: bool = False  # the server tools the deployment allows, asked for


def read_body(body: str | None, is_base64: bool, max_bytes: int) -> bytes:
    """The raw request body, decoded from the event, within the size limit."""
    text = body or ""
    # A base64 body is 4/3 of the raw size: reject on the encoded length before decoding.
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    try:
        raw = base64.b64decode(text, validate=True) if is_base64 else text.encode("utf-8")
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise InvalidBody("request body is not valid base64 or UTF-8") from exc
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    return raw


def parse_chat_request(raw: bytes, settings: Settings) -> ChatRequest:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidJson("request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise InvalidBody("request body must be a JSON object")
    for key in body:
        if key not in _TOP_LEVEL:
            raise InvalidField(f"unknown field {key!r}", field=key)
    messages = _messages(body.get("messages"), settings)
    system = _system(body, settings)
    _within_characters(messages, system if "system" in body else None, settings)
    return ChatRequest(
        messages=messages,
        system=system,
        max_tokens=_max_tokens(body, settings),
        model=_model(body, settings),
        thinking=_feature(body, "thinking", allowed=settings.thinking),
        search=_feature(body, "search", allowed=settings.search),
    )


def _messages(value: object, settings: Settings) -> tuple[ChatMessage, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidMessages("messages must be a non-empty list", field="messages")
    if len(value) > settings.max_messages:
        raise TooManyMessages(
            f"at most {settings.max_messages} messages are allowed",
            field="messages",
        )
    messages = tuple(_message(index, item, settings) for index, item in enumerate(value))
    if messages[-1].role != "user":
        raise InvalidRole(
            "the last message must have role 'user'",
            field=f"messages[{len(messages) - 1}].role",
        )
    return messages


def _within_characters(
    messages: Sequence[ChatMessage], system: str | None, settings: Settings
) -> None:
    """The character limit, over the messages and a client's own system prompt (the server's
    prompt is the server's business). The field names what crossed the limit."""
    in_messages = sum(len(text) for message in messages for text in message.texts)
    total = in_messages + len(system or "")
    if total <= settings.max_chars:
        return
    where = "messages" if system is None else "messages and system"
    raise TooManyCharacters(
        f"{where} hold {total} characters; at most {settings.max_chars} are allowed",
        field="messages" if in_messages > settings.max_chars else "system",
    )


def _message(index: int, item: object, settings: Settings) -> ChatMessage:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise InvalidMessages(f"{where} must be an object", field=where)
    for key in item:
        if key not in _MESSAGE_KEYS:
            raise InvalidField(f"unknown field {key!r} in {where}", field=f"{where}.{key}")
    expected: Role = "user" if index % 2 == 0 else "assistant"
    if item.get("role") != expected:
        raise InvalidRole(
            f"{where}.role must be {expected!r} (roles alternate, starting with 'user')",
            field=f"{where}.role",
        )
    # Only a user message may carry files: an assistant's content is text.
    files = settings if expected == "user" else None
    return ChatMessage(expected, _content(f"{where}.content", item.get("content"), files))


def _content(field: str, content: object, files: Settings | None) -> tuple[str | Attachment, ...]:
    """A message's blocks; ``files``, the limits of a message that may carry files."""
    if isinstance(content, str):
        return (_text(field, content),)
    if not isinstance(content, list) or not content:
        raise InvalidContent(
            f"{field} must be a non-empty string or list of text blocks", field=field
        )
    count = sum(1 for block in content if is_attachment(block)) if files else 0
    if files and count > files.max_attachments:
        raise TooManyAttachments(
            f"{field} carries {count} files; at most {files.max_attachments} are allowed",
            field=field,
        )
    return tuple(_block(f"{field}[{number}]", block, files) for number, block in enumerate(content))


def _block(field: str, block: object, files: Settings | None) -> str | Attachment:
    if files and is_attachment(block):
        return read_attachment(field, block, files.max_attachment_bytes)
    return _text_block(field, block)


def _text_block(field: str, block: object) -> str:
    if not isinstance(block, dict) or block.get("type") != "text" or set(block) != {"type", "text"}:
        raise InvalidContent(f'{field} must be {{"type": "text", "text": "..."}}', field=field)
    text = block["text"]
    if not isinstance(text, str):
        raise InvalidContent(f"{field}.text must be a string", field=f"{field}.text")
    return _text(f"{field}.text", text)


def _text(field: str, text: str) -> str:
    # The provider refuses blank text only once the stream has started: refuse it up front.
    if not any(_visible(ch) for ch in text):
        raise InvalidContent(f"{field} must contain visible text", field=field)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        # A lone surrogate (JSON allows "\ud800") cannot be sent on as UTF-8.
        raise InvalidContent(f"{field} holds a lone surrogate", field=field)
    return text


def _visible(ch: str) -> bool:
    """Not whitespace, a control or a format character (zero-width space, BOM, joiners)."""
    return not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE


def _system(body: Mapping[str, object], settings: Settings) -> str:
    if "system" not in body:
        return settings.system_prompt
    if not settings.allow_client_system:
        raise SystemNotAllowed(
            "this server does not accept a client system prompt",
            field="system",
        )
    value = body["system"]
    if not isinstance(value, str):
        raise InvalidField("system must be a string", field="system")
    # It reaches the provider as text does: the same rules, refused up front.
    return _text("system", value)


def _max_tokens(body: Mapping[str, object], settings: Settings) -> int:
    value = body.get("max_tokens", settings.max_tokens)
    # bool is an int in Python; true is not a token count.
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidMaxTokens("max_tokens must be a positive integer", field="max_tokens")
    if value > settings.max_tokens:
        raise InvalidMaxTokens(
            f"max_tokens may be at most {settings.max_tokens}",
            field="max_tokens",
        )
    return value


def _model(body: Mapping[str, object], settings: Settings) -> str:
    value = body.get("model", settings.model)
    if not isinstance(value, str) or value not in settings.allowed_models:
        allowed: Sequence[str] = settings.allowed_models
        raise ModelNotAllowed(f"model must be one of: {', '.join(allowed)}", field="model")
    return value


def _feature(body: Mapping[str, object], name: str, *, allowed: bool) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise InvalidField(f"{name} must be true or false", field=name)
    if value and not allowed:
        raise FeatureNotAllowed(f"this server does not offer {_FEATURES[name]}", field=name)
    return value

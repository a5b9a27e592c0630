"""The chat request: read from the function URL event and validated before any byte is streamed.

Every rule names the exact field and limit it enforces; nothing here may raise anything but
``InvalidRequest`` or ``PayloadTooLarge`` for any input.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stream_chat.errors import InvalidRequest, PayloadTooLarge
from stream_chat.settings import Settings

Role = Literal["user", "assistant"]
_TOP_LEVEL = frozenset({"messages", "system", "max_tokens", "model"})
_MESSAGE_KEYS = frozenset({"role", "content"})


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    texts: tuple[str, ...]  # the message's text blocks, in order

    def to_api(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "content": [{"type": "text", "text": text} for text in self.texts],
        }


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[ChatMessage, ...]
    system: str
    max_tokens: int
    model: str


def read_body(body: str | None, is_base64: bool, max_bytes: int) -> bytes:
    """The raw request body, decoded from the event, within the size limit."""
    text = body or ""
    # A base64 body is 4/3 of the raw size: reject on the encoded length before decoding.
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    try:
        raw = base64.b64decode(text, validate=True) if is_base64 else text.encode("utf-8")
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise InvalidRequest(
            "request body is not valid base64 or UTF-8", code="invalid_body"
        ) from exc
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body is larger than {max_bytes} bytes")
    return raw


def parse_chat_request(raw: bytes, settings: Settings) -> ChatRequest:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidRequest("request body is not valid JSON", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object", code="invalid_body")
    for key in body:
        if key not in _TOP_LEVEL:
            raise InvalidRequest(f"unknown field {key!r}", code="invalid_field", field=key)
    messages = _messages(body.get("messages"), settings)
    return ChatRequest(
        messages=messages,
        system=_system(body, settings),
        max_tokens=_max_tokens(body, settings),
        model=_model(body, settings),
    )


def _messages(value: object, settings: Settings) -> tuple[ChatMessage, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidRequest(
            "messages must be a non-empty list", code="invalid_messages", field="messages"
        )
    if len(value) > settings.max_messages:
        raise InvalidRequest(
            f"at most {settings.max_messages} messages are allowed",
            code="too_many_messages",
            field="messages",
        )
    messages = tuple(_message(index, item) for index, item in enumerate(value))
    if messages[-1].role != "user":
        raise InvalidRequest(
            "the last message must have role 'user'",
            code="invalid_role",
            field=f"messages[{len(messages) - 1}].role",
        )
    total = sum(len(text) for message in messages for text in message.texts)
    if total > settings.max_chars:
        raise InvalidRequest(
            f"messages hold {total} characters; at most {settings.max_chars} are allowed",
            code="too_many_characters",
            field="messages",
        )
    return messages


def _message(index: int, item: object) -> ChatMessage:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise InvalidRequest(f"{where} must be an object", code="invalid_messages", field=where)
    for key in item:
        if key not in _MESSAGE_KEYS:
            raise InvalidRequest(
                f"unknown field {key!r} in {where}", code="invalid_field", field=f"{where}.{key}"
            )
    expected: Role = "user" if index % 2 == 0 else "assistant"
    if item.get("role") != expected:
        raise InvalidRequest(
            f"{where}.role must be {expected!r} (roles alternate, starting with 'user')",
            code="invalid_role",
            field=f"{where}.role",
        )
    return ChatMessage(role=expected, texts=_texts(where, item.get("content")))


def _texts(where: str, content: object) -> tuple[str, ...]:
    field = f"{where}.content"
    if isinstance(content, str):
        if not content:
            raise InvalidRequest(f"{field} must not be empty", code="invalid_content", field=field)
        return (content,)
    if not isinstance(content, list) or not content:
        raise InvalidRequest(
            f"{field} must be a non-empty string or list of text blocks",
            code="invalid_content",
            field=field,
        )
    return tuple(_text_block(f"{field}[{number}]", block) for number, block in enumerate(content))


def _text_block(field: str, block: object) -> str:
    if not isinstance(block, dict) or block.get("type") != "text" or set(block) != {"type", "text"}:
        raise InvalidRequest(
            f'{field} must be {{"type": "text", "text": "..."}}',
            code="invalid_content",
            field=field,
        )
    text = block["text"]
    if not isinstance(text, str) or not text:
        raise InvalidRequest(
            f"{field}.text must be a non-empty string",
            code="invalid_content",
            field=f"{field}.text",
        )
    return text


def _system(body: Mapping[str, object], settings: Settings) -> str:
    if "system" not in body:
        return settings.system_prompt
    if not settings.allow_client_system:
        raise InvalidRequest(
            "this server does not accept a client system prompt",
            code="system_not_allowed",
            field="system",
        )
    value = body["system"]
    if not isinstance(value, str):
        raise InvalidRequest("system must be a string", code="invalid_field", field="system")
    return value


def _max_tokens(body: Mapping[str, object], settings: Settings) -> int:
    value = body.get("max_tokens", settings.max_tokens)
    # bool is an int in Python; true is not a token count.
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidRequest(
            "max_tokens must be a positive integer", code="invalid_max_tokens", field="max_tokens"
        )
    if value > settings.max_tokens:
        raise InvalidRequest(
            f"max_tokens may be at most {settings.max_tokens}",
            code="invalid_max_tokens",
            field="max_tokens",
        )
    return value


def _model(body: Mapping[str, object], settings: Settings) -> str:
    value = body.get("model", settings.model)
    if not isinstance(value, str) or value not in settings.allowed_models:
        allowed: Sequence[str] = settings.allowed_models
        raise InvalidRequest(
            f"model must be one of: {', '.join(allowed)}", code="model_not_allowed", field="model"
        )
    return value

"""Images and PDFs in a user message: accepted in the Messages API's own block shape and sent on
unchanged, or refused with their code before any provider call, whatever the file's name says."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest

from stream_chat.attachments import media_type_of
from stream_chat.chat_request import parse_chat_request
from stream_chat.errors import StreamChatError
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.function.conftest import Invoke, chat_event
from tests.support.sample_files import (
    EXE,
    GIF,
    JPEG,
    WEBP,
    b64,
    document_block,
    image_block,
    pdf,
    png,
)

LIMITS = Settings(max_attachment_bytes=1000, max_attachments=2)
TEXT = {"type": "text", "text": "What is in these?"}


def ask(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": list(blocks)}]}


def parse(body: dict[str, Any], settings: Settings = LIMITS) -> Any:
    return parse_chat_request(json.dumps(body).encode(), settings)


def refusal(body: dict[str, Any], settings: Settings = LIMITS) -> StreamChatError:
    with pytest.raises(StreamChatError) as caught:
        parse(body, settings)
    return caught.value


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (png(), "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (pdf(), "application/pdf"),
    ],
)
def test_each_type_is_known_by_its_bytes(data: bytes, media_type: str) -> None:
    assert media_type_of(data) == media_type
    block = (
        document_block(data) if media_type == "application/pdf" else image_block(data, media_type)
    )
    (message,) = parse(ask(block, TEXT)).messages
    (attachment,) = message.attachments
    assert (attachment.media_type, attachment.size) == (media_type, len(data))
    # Sent on exactly as it came, in its place among the message's blocks.
    assert message.to_api() == {"role": "user", "content": [block, TEXT]}
    assert message.texts == ("What is in these?",)


def test_a_documents_title_is_kept_and_files_may_come_alone() -> None:
    blocks = (image_block(png()), document_block(pdf(), title="report.pdf"))
    (message,) = parse(ask(*blocks)).messages
    assert message.to_api()["content"] == list(blocks)
    assert message.texts == ()


@pytest.mark.parametrize(
    ("block", "field"),
    [
        # A renamed executable called cat.png: the bytes say what it is.
        (image_block(EXE), "messages[0].content[0].source.data"),
        # A real image, declared as another type.
        (image_block(png(), "image/jpeg"), "messages[0].content[0].source.data"),
        (image_block(b"just text"), "messages[0].content[0].source.data"),
        (document_block(png()), "messages[0].content[0].source.data"),
        # Types no block takes, or not that block.
        (image_block(png(), "image/bmp"), "messages[0].content[0].source.media_type"),
        (image_block(pdf(), "application/pdf"), "messages[0].content[0].source.media_type"),
    ],
)
def test_bytes_that_are_not_the_declared_type_are_unsupported(
    block: dict[str, Any], field: str
) -> None:
    error = refusal(ask(block, TEXT))
    assert (error.status, error.code, error.field) == (415, "unsupported_media_type", field)


def test_the_refusal_says_what_the_bytes_are() -> None:
    assert "none of PNG, JPEG, GIF, WebP or PDF" in refusal(ask(image_block(EXE))).message
    assert "are a PNG image, not image/gif" in refusal(ask(image_block(png(), "image/gif"))).message


@pytest.mark.parametrize("size", [1001, 1002, 1003, 5000])
def test_a_file_over_the_limit_is_too_large(size: int) -> None:
    data = png(1, 1)
    data += bytes(size - len(data))
    error = refusal(ask(image_block(data), TEXT))
    assert (error.status, error.code) == (413, "attachment_too_large")
    assert error.field == "messages[0].content[0].source.data"
    assert f"the file is {size} bytes; at most 1000 are allowed" in error.message
    # At the limit it passes.
    assert parse(ask(image_block(data[:1000]), TEXT)).messages[0].attachments[0].size == 1000


def test_more_files_than_allowed_in_one_message_are_refused() -> None:
    files = [image_block(png())] * 3
    error = refusal(ask(*files, TEXT))
    assert (error.status, error.code, error.field) == (
        400,
        "too_many_attachments",
        "messages[0].content",
    )
    assert "3 files; at most 2" in error.message
    assert len(parse(ask(*files[:2], TEXT)).messages[0].attachments) == 2
    # The limit is per message: two earlier files and two now are fine.
    earlier = {"role": "user", "content": [*files[:2], TEXT]}
    answer = {"role": "assistant", "content": "Two squares."}
    both = {"messages": [earlier, answer, {"role": "user", "content": [*files[:2], TEXT]}]}
    assert [len(m.attachments) for m in parse(both).messages] == [2, 0, 2]
    # 0 turns files off.
    off = refusal(ask(files[0], TEXT), replace(LIMITS, max_attachments=0))
    assert off.code == "too_many_attachments"


def _source(**changes: Any) -> dict[str, Any]:
    source = {"type": "base64", "media_type": "image/png", "data": b64(png())}
    return {"type": "image", "source": {k: v for k, v in {**source, **changes}.items() if v != ...}}


@pytest.mark.parametrize(
    ("block", "field"),
    [
        ({"type": "image"}, "messages[0].content[0].source"),
        ({"type": "image", "source": "cat.png"}, "messages[0].content[0].source"),
        (_source(type="url"), "messages[0].content[0].source"),
        (_source(data=...), "messages[0].content[0].source"),
        (_source(url="https://example.com/cat.png"), "messages[0].content[0].source"),
        (_source(data="not base64!"), "messages[0].content[0].source.data"),
        (_source(data=b64(png())[:-1]), "messages[0].content[0].source.data"),
        (_source(data=12), "messages[0].content[0].source.data"),
        (_source(media_type=None), "messages[0].content[0].source.media_type"),
        ({**image_block(png()), "title": "cat"}, "messages[0].content[0].title"),
        ({**image_block(png()), "cache_control": {}}, "messages[0].content[0].cache_control"),
        (document_block(pdf(), title=" "), "messages[0].content[0].title"),
        (document_block(pdf(), title="x" * 501), "messages[0].content[0].title"),
        ({**document_block(pdf()), "title": 5}, "messages[0].content[0].title"),
    ],
)
def test_a_malformed_file_block_is_an_invalid_attachment(block: dict[str, Any], field: str) -> None:
    error = refusal(ask(block, TEXT))
    assert (error.status, error.code, error.field) == (400, "invalid_attachment", field)


def test_only_a_users_message_carries_files() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "Draw me a square."},
            {"role": "assistant", "content": [image_block(png())]},
            {"role": "user", "content": "Thanks"},
        ]
    }
    error = refusal(body)
    assert (error.code, error.field) == ("invalid_content", "messages[1].content[0]")


# Through the function: refused before the provider is called, or sent on byte for byte.


def test_refused_files_never_reach_the_provider(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    limits = {"max_attachment_bytes": 1000, "max_attachments": 1}
    cases = [
        (ask(image_block(EXE), TEXT), 415, "unsupported_media_type"),
        (ask(image_block(png(1, 1) + bytes(1000)), TEXT), 413, "attachment_too_large"),
        (ask(image_block(png()), image_block(png()), TEXT), 400, "too_many_attachments"),
        (ask(_source(data="%%%"), TEXT), 400, "invalid_attachment"),
    ]
    for body, status, code in cases:
        response, (error,) = invoke(chat_event(body), **limits)
        assert (response.status_code, error["error"]["code"]) == (status, code)
        assert response.headers["content-type"].startswith("application/json")
    assert fake_anthropic.requests == []


def test_the_provider_receives_the_files_byte_for_byte(
    invoke: Invoke, fake_anthropic: FakeAnthropic
) -> None:
    image, document = png(), pdf()
    blocks = [image_block(image), document_block(document, title="notes.pdf"), TEXT]
    _, frames = invoke(chat_event(ask(*blocks)))
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    (sent,) = fake_anthropic.requests[0]["messages"]
    assert sent == {"role": "user", "content": blocks}
    assert base64.b64decode(sent["content"][0]["source"]["data"]) == image
    assert base64.b64decode(sent["content"][1]["source"]["data"]) == document


def test_a_body_over_the_limit_is_refused_whole(invoke: Invoke) -> None:
    body = ask(image_block(png(1, 1) + bytes(2000)), TEXT)
    response, (error,) = invoke(chat_event(body), max_body_bytes=2000, max_attachment_bytes=1000)
    assert (response.status_code, error["error"]["code"]) == (413, "payload_too_large")


def test_the_demo_model_answers_a_message_of_files_alone(invoke: Invoke) -> None:
    _, frames = invoke(
        chat_event(ask(image_block(png()), image_block(GIF, "image/gif"))), provider="demo"
    )
    text = "".join(frame["text"] for frame in frames if frame["type"] == "text")
    assert "2 files" in text and frames[-1]["type"] == "done"

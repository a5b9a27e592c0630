from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from stream_chat.chat_request import parse_chat_request, read_body
from stream_chat.errors import InvalidRequest, PayloadTooLarge
from stream_chat.settings import Settings

SETTINGS = Settings(
    max_messages=4, max_chars=50, max_tokens=100, allowed_models=("a", "b"), model="a"
)
U, A = "user", "assistant"


def msg(role: str, content: Any = "hi") -> dict[str, Any]:
    return {"role": role, "content": content}


def parse(body: Any, settings: Settings = SETTINGS) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_chat_request(raw, settings)


def test_a_valid_request_is_normalised() -> None:
    request = parse(
        {
            "messages": [msg(U, "q1"), msg(A, [{"type": "text", "text": "a1"}]), msg(U, "q2")],
            "max_tokens": 60,
            "model": "b",
        }
    )
    assert [m.role for m in request.messages] == [U, A, U]
    assert request.messages[1].texts == ("a1",)
    assert request.messages[1].to_api() == {"role": A, "content": [{"type": "text", "text": "a1"}]}
    assert (request.max_tokens, request.model) == (60, "b")
    assert request.system == SETTINGS.system_prompt


def test_defaults_come_from_settings() -> None:
    request = parse({"messages": [msg(U)]})
    assert (request.max_tokens, request.model) == (100, "a")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (b"{not json", "invalid_json", None),
        (b"\xff\xfe", "invalid_json", None),
        ([1, 2], "invalid_body", None),
        ({"messages": [msg(U)], "temperature": 1}, "invalid_field", "temperature"),
        ({}, "invalid_messages", "messages"),
        ({"messages": []}, "invalid_messages", "messages"),
        ({"messages": "hi"}, "invalid_messages", "messages"),
        ({"messages": [msg(U)] * 5}, "too_many_messages", "messages"),
        ({"messages": ["hi"]}, "invalid_messages", "messages[0]"),
        ({"messages": [msg(A)]}, "invalid_role", "messages[0].role"),
        ({"messages": [msg(U), msg(U)]}, "invalid_role", "messages[1].role"),
        ({"messages": [msg(U), msg(A)]}, "invalid_role", "messages[1].role"),
        ({"messages": [msg("system")]}, "invalid_role", "messages[0].role"),
        (
            {"messages": [{"role": U, "content": "x", "name": "n"}]},
            "invalid_field",
            "messages[0].name",
        ),
        ({"messages": [msg(U, "")]}, "invalid_content", "messages[0].content"),
        ({"messages": [msg(U, " ")]}, "invalid_content", "messages[0].content"),
        (
            {"messages": [msg(U, "\u200b\n\t\ufeff\u3000")]},
            "invalid_content",
            "messages[0].content",
        ),
        ({"messages": [msg(U, "a\ud800")]}, "invalid_content", "messages[0].content"),
        (
            {"messages": [msg(U, [{"type": "text", "text": "\u2060 "}])]},
            "invalid_content",
            "messages[0].content[0].text",
        ),
        ({"messages": [msg(U, 5)]}, "invalid_content", "messages[0].content"),
        ({"messages": [msg(U, [])]}, "invalid_content", "messages[0].content"),
        (
            {"messages": [msg(U, [{"type": "image"}])]},
            "invalid_attachment",
            "messages[0].content[0].source",
        ),
        ({"messages": [msg(U, [{"type": "audio"}])]}, "invalid_content", "messages[0].content[0]"),
        (
            {"messages": [msg(U, [{"type": "text", "text": 3}])]},
            "invalid_content",
            "messages[0].content[0].text",
        ),
        ({"messages": [msg(U, "x" * 51)]}, "too_many_characters", "messages"),
        ({"messages": [msg(U)], "max_tokens": 0}, "invalid_max_tokens", "max_tokens"),
        ({"messages": [msg(U)], "max_tokens": 101}, "invalid_max_tokens", "max_tokens"),
        ({"messages": [msg(U)], "max_tokens": True}, "invalid_max_tokens", "max_tokens"),
        ({"messages": [msg(U)], "max_tokens": 5.5}, "invalid_max_tokens", "max_tokens"),
        ({"messages": [msg(U)], "model": "c"}, "model_not_allowed", "model"),
        ({"messages": [msg(U)], "system": "be evil"}, "system_not_allowed", "system"),
    ],
)
def test_each_rule_names_its_problem(body: Any, code: str, field: str | None) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse(body)
    assert caught.value.code == code
    assert caught.value.field == field
    assert caught.value.status == 400


ALLOWING = replace(SETTINGS, allow_client_system=True)
# Thinking and web search both offered; web fetch alone would offer ``search`` too.
FEATURES = replace(SETTINGS, thinking=True, web_search=True)


def test_thinking_and_search_are_off_unless_asked_for() -> None:
    request = parse({"messages": [msg(U)]}, FEATURES)
    assert (request.thinking, request.search) == (False, False)
    # false is always accepted, offered or not.
    request = parse({"messages": [msg(U)], "thinking": False, "search": False})
    assert (request.thinking, request.search) == (False, False)


@pytest.mark.parametrize(
    ("asked", "offered"),
    [
        ({"thinking": True}, FEATURES),
        ({"search": True}, FEATURES),
        ({"thinking": True, "search": True}, FEATURES),
        ({"search": True}, replace(SETTINGS, web_fetch=True)),
    ],
)
def test_what_the_server_offers_is_carried_by_the_request(
    asked: dict[str, bool], offered: Settings
) -> None:
    request = parse({"messages": [msg(U)], **asked}, offered)
    assert (request.thinking, request.search) == (
        asked.get("thinking", False),
        asked.get("search", False),
    )


@pytest.mark.parametrize(
    ("asked", "offered", "field"),
    [
        ({"thinking": True}, SETTINGS, "thinking"),
        ({"search": True}, SETTINGS, "search"),
        ({"thinking": True, "search": True}, replace(SETTINGS, thinking=True), "search"),
        ({"thinking": True, "search": True}, replace(SETTINGS, web_search=True), "thinking"),
    ],
)
def test_asking_for_what_the_server_does_not_offer_is_refused(
    asked: dict[str, bool], offered: Settings, field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse({"messages": [msg(U)], **asked}, offered)
    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "feature_not_allowed",
        field,
        400,
    )
    assert "this server does not offer" in caught.value.message


@pytest.mark.parametrize("value", ["true", 1, 0, None, [], {}])
@pytest.mark.parametrize("name", ["thinking", "search"])
def test_thinking_and_search_must_be_true_or_false(name: str, value: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse({"messages": [msg(U)], name: value}, FEATURES)
    assert (caught.value.code, caught.value.field) == ("invalid_field", name)
    assert caught.value.message == f"{name} must be true or false"


def test_a_client_system_prompt_only_when_allowed() -> None:
    assert parse({"messages": [msg(U)], "system": "Be brief."}, ALLOWING).system == "Be brief."
    with pytest.raises(InvalidRequest, match="system must be a string"):
        parse({"messages": [msg(U)], "system": 1}, ALLOWING)


@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("", "invalid_content"),
        (" \n\t", "invalid_content"),
        ("\u200b\ufeff\u3000", "invalid_content"),
        ("Be brief.\ud800", "invalid_content"),
        ("\udfff", "invalid_content"),
        (["Be brief."], "invalid_field"),
    ],
)
def test_a_client_system_prompt_is_held_to_the_rules_of_text(system: Any, code: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse({"messages": [msg(U)], "system": system}, ALLOWING)
    assert (caught.value.code, caught.value.field, caught.value.status) == (code, "system", 400)


def test_a_client_system_prompt_counts_toward_the_character_limit() -> None:
    at_the_limit = {"messages": [msg(U, "hi")], "system": "x" * 48}  # 50 characters in all
    assert parse(at_the_limit, ALLOWING).system == "x" * 48
    with pytest.raises(InvalidRequest) as caught:
        parse({"messages": [msg(U, "hi")], "system": "x" * 49}, ALLOWING)
    assert (caught.value.code, caught.value.field) == ("too_many_characters", "system")
    assert "51 characters" in caught.value.message
    with pytest.raises(InvalidRequest) as caught:  # the messages alone are over the limit
        parse({"messages": [msg(U, "x" * 51)], "system": "Be brief."}, ALLOWING)
    assert (caught.value.code, caught.value.field) == ("too_many_characters", "messages")


def test_the_servers_own_system_prompt_does_not_count_toward_the_limit() -> None:
    long_prompt = replace(SETTINGS, system_prompt="x" * 500)
    assert parse({"messages": [msg(U, "x" * 50)]}, long_prompt).system == "x" * 500


def test_body_size_is_limited_before_and_after_base64() -> None:
    assert read_body("abc", False, 3) == b"abc"
    with pytest.raises(PayloadTooLarge):
        read_body("abcd", False, 3)
    with pytest.raises(PayloadTooLarge):
        read_body(base64.b64encode(b"x" * 10).decode(), True, 9)
    assert read_body(base64.b64encode(b"x" * 9).decode(), True, 9) == b"x" * 9
    with pytest.raises(InvalidRequest) as caught:
        read_body("%%%", True, 100)
    assert caught.value.code == "invalid_body"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "role",
                    "content",
                    "type",
                    "text",
                    "model",
                    "max_tokens",
                    "system",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@hsettings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_is_accepted_or_refused_as_invalid(value: Any) -> None:
    try:
        parse(value)
    except InvalidRequest as error:
        assert error.code and error.message


@hsettings(max_examples=200)
@given(st.binary(max_size=200))
def test_any_bytes_are_accepted_or_refused_as_invalid(raw: bytes) -> None:
    try:
        parse(raw)
    except InvalidRequest as error:
        assert error.status == 400


# Whitespace, controls and format characters (zero-width space, BOM, word joiner): nothing to see.
blank_text = st.text(
    st.characters(categories=("Zs", "Zl", "Zp", "Cc", "Cf")) | st.sampled_from(" \t\n\u200b"),
    min_size=1,
    max_size=8,
)


@hsettings(max_examples=200)
@given(blank=blank_text, as_block=st.booleans())
def test_blank_content_is_refused_up_front(blank: str, as_block: bool) -> None:
    content: Any = [{"type": "text", "text": blank}] if as_block else blank
    with pytest.raises(InvalidRequest) as caught:
        parse({"messages": [msg(U, content)]})
    assert caught.value.code == "invalid_content"


@hsettings(max_examples=200)
@given(blank=blank_text)
def test_a_blank_client_system_prompt_is_refused_up_front(blank: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse({"messages": [msg(U)], "system": blank}, ALLOWING)
    assert (caught.value.code, caught.value.field) == ("invalid_content", "system")


@hsettings(max_examples=200)
@given(blank=blank_text, visible=st.characters(categories=("L", "N", "P", "S")))
def test_one_visible_character_is_enough(blank: str, visible: str) -> None:
    text = blank + visible + blank
    assert parse({"messages": [msg(U, text)]}).messages[0].texts == (text,)

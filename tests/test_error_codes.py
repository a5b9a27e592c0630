"""Error codes are defined once (``stream_chat.errors``): the protocol document and the web
client's messages must list exactly the registry's codes, with the registry's status and
retryable flag; the server's own retry flag (``transient``) is set apart from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stream_chat.errors import ERROR_CODES, InvalidRequest, ProviderError, StreamChatError
from tests.support.web_module import exported

ROOT = Path(__file__).resolve().parents[1]
# What the upstream retries on its own, before any text: the provider's passing failures.
TRANSIENT = {"provider_unavailable", "rate_limited", "provider_protocol_error"}
ROW = re.compile(r"^\| `(?P<code>[a-z_]+)` \| (?P<status>\d{3}) \| (?P<retryable>yes|no) \|")


def documented_codes() -> dict[str, tuple[int, bool]]:
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    rows = [ROW.match(line) for line in section.splitlines() if line.startswith("| `")]
    assert all(rows), "every row of the table names a code, a status and yes/no"
    codes = [row["code"] for row in rows if row]
    assert len(codes) == len(set(codes)), "each code once"
    return {row["code"]: (int(row["status"]), row["retryable"] == "yes") for row in rows if row}


def web_titles(name: str) -> set[str]:
    return set(exported("error-messages.js", name))


def test_the_protocol_document_lists_exactly_the_registry() -> None:
    registry = {code: (cls.status, cls.retryable) for code, cls in ERROR_CODES.items()}
    assert documented_codes() == registry


def test_the_web_client_has_a_message_for_exactly_the_server_codes() -> None:
    assert web_titles("SERVER_TITLES") == set(ERROR_CODES)


def test_client_side_codes_never_shadow_a_server_code() -> None:
    assert not web_titles("CLIENT_TITLES") & set(ERROR_CODES)


def test_a_code_is_taken_once_and_only_coded_errors_are_raised() -> None:
    with pytest.raises(TypeError, match="already taken"):

        class Duplicate(InvalidRequest):
            code = "invalid_json"

    with pytest.raises(TypeError, match="no error code of its own"):
        InvalidRequest("which rule?")
    assert all(issubclass(cls, StreamChatError) for cls in ERROR_CODES.values())
    assert all(cls.meaning() for cls in ERROR_CODES.values())


def test_the_server_retries_on_its_own_exactly_the_transient_provider_failures() -> None:
    transient = {code for code, cls in ERROR_CODES.items() if cls.transient}
    assert transient == TRANSIENT
    assert all(issubclass(ERROR_CODES[code], ProviderError) for code in transient)


def test_retryable_and_transient_are_independent_flags() -> None:
    worth_a_retry_by_the_user_only = {
        code for code, cls in ERROR_CODES.items() if cls.retryable and not cls.transient
    }
    assert worth_a_retry_by_the_user_only == {
        "limit_concurrent",
        "limit_rate",
        "limit_tokens",
        "auth_unavailable",
        "first_token_timeout",
        "stall_timeout",
        "deadline",
        "shutdown",
    }
    assert all(ERROR_CODES[code].retryable for code in TRANSIENT)


def test_the_client_is_told_retryable_and_never_transient() -> None:
    error = ERROR_CODES["rate_limited"]("slow down")
    assert error.to_frame().data()["retryable"] is True
    assert "transient" not in error.to_frame().data()
    assert "transient" not in error.to_json()["error"]

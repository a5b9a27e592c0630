"""What a SnapStart restore redoes: fresh clients and pools, secrets read again, nothing shared."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from stream_chat.cancellation.dynamodb import DynamoDBRegistry
from stream_chat.limits import Limits
from stream_chat.limits.dynamodb import DynamoDBLimits
from stream_chat.providers.anthropic import AnthropicProvider
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from stream_chat.stores.tables import CANCEL_TABLE, LIMITS_TABLE
from tests.fakes.anthropic_server import FakeAnthropic
from tests.function.conftest import EVENTS, build_function, chat_event, user
from tests.support.protocol import read_frames
from tests.support.stores import is_cancelled, moto_tables

ROOT = EVENTS.parent


def answer(function: object) -> str:
    response = function(chat_event(user()), LambdaContext.local("r", 10))  # type: ignore[operator]
    frames = read_frames(response.body)
    return str(frames[-1].get("stop_reason"))


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the background renewal never finished"
        time.sleep(0.01)


def test_the_provider_client_is_closed_before_the_snapshot_and_renewed_after(
    fake_anthropic: FakeAnthropic, settings: Settings
) -> None:
    function = build_function(settings)
    provider = function.clients[0]
    assert isinstance(provider, AnthropicProvider)
    assert answer(function) == "end_turn"
    (before,) = provider._clients.values()

    function.before_snapshot()
    assert before.is_closed(), "a pooled connection would go into the snapshot"
    assert provider._clients == {}
    function.after_restore()
    wait_for(lambda: provider._clients)

    (after,) = provider._clients.values()
    assert after is not before and not after.is_closed()
    assert answer(function) == "end_turn"
    assert list(provider._clients.values()) == [after], "the renewed client is used"


def test_a_restored_copy_reads_the_secret_again(
    secret: tuple[object, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, arn = secret
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        function = build_function(replace(settings, anthropic_secret_arn=arn))
        answer(function)  # the key is cached from here on, for SECRET_MAX_AGE_S
        client.put_secret_value(SecretId=arn, SecretString="sk-rotated")  # type: ignore[attr-defined]

        function.before_snapshot()
        function.after_restore()
        answer(function)
    keys = [headers.get("x-api-key") or headers["authorization"][7:] for headers in fake.headers]
    assert keys == ["sk-first", "sk-rotated"]


def test_the_dynamodb_registry_closes_its_pool_and_builds_a_new_client() -> None:
    with moto_tables({"cancels": CANCEL_TABLE}):
        registry = DynamoDBRegistry("cancels", ttl_s=60)
        registry.cancel("before")
        old = registry._client

        registry.before_snapshot()
        assert is_cancelled(registry, "before"), "a closed pool opens new connections"
        registry.reset_after_restore()
        wait_for(lambda: registry._client is not old)

        registry.cancel("after")
        assert is_cancelled(registry, "after")


def test_the_handler_registers_its_hooks_with_the_managed_registry(tmp_path: Path) -> None:
    probe = (
        "from stream_chat import handler; import snapshot_restore_py as r; "
        "handler.lambda_handler.init(); "
        "print([f.__name__ for f, _, _ in r.get_before_snapshot()], "
        "[f.__name__ for f, _, _ in r.get_after_restore()])"
    )
    env = {
        **os.environ,
        "STREAM_CHAT_CANCEL_BACKEND": "none",
        "PYTHONPATH": str(ROOT / "functions"),
    }
    env.pop("ANTHROPIC_API_KEY", None)
    shown = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()[-1]
    assert shown == "['before_snapshot'] ['after_restore']"


def test_the_dynamodb_limit_store_closes_its_pool_and_builds_a_new_client() -> None:
    with moto_tables({"limits": LIMITS_TABLE}):
        store = DynamoDBLimits("limits", Limits(requests_per_minute=5))
        old = store._client

        store.before_snapshot()
        store.reset_after_restore()
        wait_for(lambda: store._client is not old)

        store.admit("user:a", "lease-1", time.time() + 60, time.time())  # works, renewed
        assert store._client.describe_table(TableName="limits")["Table"]["TableName"] == "limits"

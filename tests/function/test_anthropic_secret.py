"""On AWS the Anthropic key comes from Secrets Manager, fetched once and cached."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
from moto import mock_aws

from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.function.conftest import build_function, chat_event, user
from tests.support.protocol import read_frames


def test_the_key_comes_from_the_secret_and_is_cached(
    secret: tuple[object, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, arn = secret
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        function = build_function(replace(settings, anthropic_secret_arn=arn))
        for _ in range(2):
            response = function(chat_event(user()), LambdaContext.local("r", 10))
            assert read_frames(response.body)[-1]["stop_reason"] == "end_turn"
            # A rotation is picked up after the cache's max age, not per request.
            client.put_secret_value(SecretId=arn, SecretString="sk-second")  # type: ignore[attr-defined]
    keys = [headers.get("x-api-key") or headers["authorization"][7:] for headers in fake.headers]
    assert keys == ["sk-first", "sk-first"]


def test_an_unset_secret_is_a_clear_error(settings: Settings) -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="anthropic-empty")["ARN"]  # created empty, as by the stack
        function = build_function(replace(settings, anthropic_secret_arn=arn))
        response = function(chat_event(user()), LambdaContext.local("r", 10))
        frames = read_frames(response.body)
    assert [frame["type"] for frame in frames] == ["start", "error", "done"]
    assert frames[1]["code"] == "provider_rejected"
    assert frames[1]["message"] == "The server's Anthropic API key is not available."

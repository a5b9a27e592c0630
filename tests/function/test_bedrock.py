"""The bedrock provider: the real SDK client, signed with SigV4, against the fake Bedrock endpoint.

The same relay, frames, retries, timeouts and cancel path as the anthropic provider; the only
differences are on the wire (eventstream framing, Bedrock's error names and request ids).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.providers import make_provider
from stream_chat.providers.bedrock import BedrockProvider
from stream_chat.runtime.context import LambdaContext
from stream_chat.settings import Settings, SettingsError
from tests.fakes import anthropic_blocks as blocks
from tests.fakes.bedrock_server import FakeBedrock, Reply
from tests.function.answers import SILENT, Answer, assert_cancelled, cancel, closed_after, warm
from tests.function.conftest import Invoke, build_function, chat_event, timed_invoke, user
from tests.function.test_cancellation import check_cancelled, stream_then_cancel
from tests.function.test_faults import TEXTS, error_frames, estimated_usage
from tests.function.test_upstream_abort import BOUND_S
from tests.support.protocol import read_frames, text_of, types_of
from tests.support.sample_files import document_block, image_block, pdf, png

MODEL = "us.anthropic.claude-sonnet-4-6"
GLOBAL_MODEL = "global.anthropic.claude-sonnet-4-6"
UUID = re.compile(r"^[0-9a-f-]{36}$")


@pytest.fixture
def settings(settings: Settings, fake_bedrock: FakeBedrock) -> Settings:
    return replace(
        settings,
        provider="bedrock",
        model=MODEL,
        allowed_models=(MODEL, GLOBAL_MODEL),
        bedrock_region="us-east-1",
        bedrock_endpoint_url=fake_bedrock.base_url,
    )


def test_an_answer_streams_with_the_same_frames(invoke: Invoke, fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.enqueue(Reply(texts=["Hel", "lo\n", "wörld 🚀"], input_tokens=21, output_tokens=7))
    response, frames = invoke(chat_event(user("Hi there")))
    assert frames == [
        {"type": "start", "stream_id": response.headers["x-stream-id"], "model": MODEL},
        {"type": "text", "text": "Hel"},
        {"type": "text", "text": "lo\n"},
        {"type": "text", "text": "wörld 🚀"},
        {
            "type": "usage",
            "input_tokens": 21,
            "output_tokens": 7,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            # A Bedrock id is priced as its base model: $3 / $15 per million tokens.
            "cost_usd": round((21 * 3 + 7 * 15) / 1e6, 6),
            "stop_reason": "end_turn",
        },
        {"type": "done", "stop_reason": "end_turn"},
    ]
    assert fake_bedrock.wait_for_end(0, timeout=5).completed


def test_thinking_streams_with_the_same_frames_and_its_signature_stays(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    turn = (blocks.thinking("Let me ", "thínk."), blocks.redacted_thinking(), blocks.text("Done."))
    fake_bedrock.enqueue(Reply(blocks=turn, stop_reason="max_tokens"))
    body = {**user(), "thinking": True}
    _, frames = invoke(chat_event(body), thinking=True)
    assert frames[1:-2] == [
        {"type": "thinking", "text": "Let me "},
        {"type": "thinking", "text": "thínk."},
        {"type": "thinking", "redacted": True},
        {"type": "text", "text": "Done."},
    ]
    assert frames[-2]["stop_reason"] == "max_tokens" == frames[-1]["stop_reason"]
    assert blocks.SIGNATURE not in str(frames)
    assert fake_bedrock.requests[0]["thinking"]["type"] == "adaptive"


def test_the_request_is_signed_for_bedrock_in_the_region(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    invoke(chat_event({**user("q"), "max_tokens": 50}), system_prompt="Server prompt.")
    sent, headers = fake_bedrock.requests[0], fake_bedrock.headers[0]
    assert fake_bedrock.models == [MODEL]
    assert sent["anthropic_version"] and "anthropic-version" not in headers
    assert sent["max_tokens"] == 50 and sent["system"] == "Server prompt."
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "q"}]}]
    # SigV4 with the credentials boto3 finds, scoped to the Bedrock service in the region.
    assert re.match(
        r"^AWS4-HMAC-SHA256 Credential=testing/\d{8}/us-east-1/bedrock/aws4_request, "
        r"SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$",
        headers["authorization"],
    )
    assert "x-api-key" not in headers and headers["x-amz-date"]


def test_images_and_pdfs_reach_bedrock_in_the_same_blocks(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    blocks = [image_block(png()), document_block(pdf(), title="notes.pdf")]
    content = [*blocks, {"type": "text", "text": "Compare them."}]
    _, frames = invoke(chat_event({"messages": [{"role": "user", "content": content}]}))
    assert frames[-1]["stop_reason"] == "end_turn"
    # Bedrock's Anthropic-format body: the Messages API's blocks, unchanged.
    assert fake_bedrock.requests[0]["messages"] == [{"role": "user", "content": content}]


def test_a_request_signed_with_other_credentials_is_refused_once(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    fake_bedrock.secret_key = "not-the-client-secret"  # as Bedrock would, the fake checks SigV4
    _, frames = invoke(chat_event(user()), provider_attempts=3)
    error = error_frames(frames, "provider_rejected", retryable=False)
    assert error["message"] == "Bedrock did not accept the server's credentials."
    assert fake_bedrock.requests == []  # refused before the body was read as a request


@pytest.mark.parametrize("model", [MODEL, GLOBAL_MODEL])
def test_cross_region_profile_ids_reach_the_path(
    invoke: Invoke, fake_bedrock: FakeBedrock, model: str
) -> None:
    _, frames = invoke(chat_event({**user(), "model": model}))
    assert frames[0]["model"] == model and frames[-1]["stop_reason"] == "end_turn"
    assert fake_bedrock.models == [model]


def test_the_endpoint_and_region_come_from_the_environment(fake_bedrock: FakeBedrock) -> None:
    settings = Settings.from_env(
        {
            "STREAM_CHAT_PROVIDER": "bedrock",
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_bedrock.base_url,
        }
    )
    assert settings.model == GLOBAL_MODEL and settings.bedrock_region == "eu-west-1"
    provider = make_provider(settings)
    assert isinstance(provider, BedrockProvider) and provider.region == "eu-west-1"
    function = build_function(replace(settings, cancel_backend="none"))
    response = function(chat_event(user()), LambdaContext.local("r", 30))
    assert text_of(read_frames(response.body)) == "Hello, world!"
    assert "/eu-west-1/bedrock/" in fake_bedrock.headers[0]["authorization"]
    assert fake_bedrock.models == [GLOBAL_MODEL]


def test_a_mid_stream_throttling_keeps_the_text_and_is_not_retried(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    fake_bedrock.enqueue(Reply(texts=TEXTS, fault="exception:throttlingException", fault_after=2))
    _, frames = invoke(chat_event(user()))
    sent = "".join(TEXTS[:2])
    assert types_of(frames) == ["start", "text", "text", "error", "usage", "done"]
    assert text_of(frames) == sent and frames[4] == estimated_usage(sent)
    error = error_frames(frames, "rate_limited", retryable=True)
    assert error["request_id"] == fake_bedrock.streams[0].request_id
    assert UUID.match(error["request_id"])
    assert len(fake_bedrock.requests) == 1


@pytest.mark.parametrize(
    ("exception", "code", "retryable"),
    [
        ("modelStreamErrorException", "provider_unavailable", True),
        ("internalServerException", "provider_unavailable", True),
        ("serviceUnavailableException", "provider_unavailable", True),
        ("modelTimeoutException", "provider_unavailable", True),
        ("validationException", "provider_rejected", False),
    ],
)
def test_every_in_stream_exception_has_its_code(
    invoke: Invoke, fake_bedrock: FakeBedrock, exception: str, code: str, retryable: bool
) -> None:
    fake_bedrock.enqueue(Reply(texts=TEXTS, fault=f"exception:{exception}", fault_after=1))
    _, frames = invoke(chat_event(user()))
    assert text_of(frames) == TEXTS[0]
    error_frames(frames, code, retryable)


def test_an_exception_before_any_text_is_retried(invoke: Invoke, fake_bedrock: FakeBedrock) -> None:
    fake_bedrock.enqueue(
        Reply(fault="exception:modelStreamErrorException", fault_after=0), Reply(texts=TEXTS)
    )
    _, frames = invoke(chat_event(user()))
    assert text_of(frames) == "".join(TEXTS) and frames[-1]["stop_reason"] == "end_turn"
    assert len(fake_bedrock.requests) == 2


@pytest.mark.parametrize("fault", ["bad_crc", "malformed", "malformed_delta", "cut", "reset"])
def test_a_broken_stream_is_a_protocol_error(
    invoke: Invoke, fake_bedrock: FakeBedrock, fault: str
) -> None:
    fake_bedrock.enqueue(Reply(texts=TEXTS, fault=fault, fault_after=2))
    _, frames = invoke(chat_event(user()))
    assert text_of(frames) == "".join(TEXTS[:2])
    error_frames(frames, "provider_protocol_error", retryable=True)


def test_an_http_429_is_retried_within_the_budget(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    fake_bedrock.enqueue(Reply(fault="http_429"), Reply(texts=TEXTS))
    _, frames = invoke(chat_event(user()), provider_attempts=3)
    assert text_of(frames) == "".join(TEXTS) and frames[-1]["stop_reason"] == "end_turn"
    assert len(fake_bedrock.requests) == 2


def test_throttling_that_outlasts_the_attempts_is_reported(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    fake_bedrock.enqueue(*[Reply(fault="http_429")] * 3)
    _, frames = invoke(chat_event(user()), provider_attempts=3)
    assert types_of(frames) == ["start", "error", "done"]
    error = error_frames(frames, "rate_limited", retryable=True)
    assert UUID.match(error["request_id"])
    assert len(fake_bedrock.requests) == 3


def test_throttling_retries_never_outlive_the_budget(
    settings: Settings, fake_bedrock: FakeBedrock
) -> None:
    fake_bedrock.enqueue(*[Reply(fault="http_429")] * 10)
    took_s, frames = timed_invoke(settings, chat_event(user()), 1.2, provider_attempts=10)
    assert took_s < 1.2
    error_frames(frames, "rate_limited", retryable=True)


@pytest.mark.parametrize(
    ("fault", "code", "attempts"),
    [
        ("http_403", "provider_rejected", 1),
        ("http_400", "provider_rejected", 1),
        ("http_404", "provider_rejected", 1),
        ("http_429_not_ready", "provider_unavailable", 3),
        ("http_503", "provider_unavailable", 3),
        ("http_500", "provider_unavailable", 3),
    ],
)
def test_errors_before_the_stream_map_to_their_codes(
    invoke: Invoke, fake_bedrock: FakeBedrock, fault: str, code: str, attempts: int
) -> None:
    fake_bedrock.enqueue(*[Reply(fault=fault)] * 3)
    _, frames = invoke(chat_event(user()), provider_attempts=3)
    assert types_of(frames) == ["start", "error", "done"]
    error = error_frames(frames, code, retryable=attempts > 1)
    assert UUID.match(error["request_id"])
    assert len(fake_bedrock.requests) == attempts  # access denied and validation: not retried
    if fault == "http_403":
        assert "model access" in error["message"] and "You don't have" not in error["message"]


def test_cancel_closes_the_bedrock_connection(
    fake_bedrock: FakeBedrock, settings: Settings
) -> None:
    registry = SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=60)
    frames, delay = stream_then_cancel(settings, registry, fake_bedrock)
    check_cancelled(frames, delay, settings.cancel_poll_s)
    assert fake_bedrock.streams[0].client_closed


def test_the_deadline_ends_the_stream_and_the_connection(
    settings: Settings, fake_bedrock: FakeBedrock
) -> None:
    texts = [f"t{n} " for n in range(40)]
    fake_bedrock.enqueue(Reply(texts=texts, delay_s=0.1))
    took_s, frames = timed_invoke(settings, chat_event(user()), 2.0, deadline_margin_s=0.5)
    assert 1.3 < took_s < 2.0
    sent = text_of(frames)
    assert sent and "".join(texts).startswith(sent)
    assert frames[-2] == estimated_usage(sent)
    error_frames(frames, "deadline", retryable=True)
    assert fake_bedrock.wait_for_close(0, timeout=1) < 2.0
    assert fake_bedrock.streams[0].client_closed


def test_a_silent_endpoint_hits_the_first_token_timeout(
    invoke: Invoke, fake_bedrock: FakeBedrock
) -> None:
    fake_bedrock.enqueue(Reply(texts=TEXTS, first_delay_s=10))
    _, frames = invoke(chat_event(user()), first_token_timeout_s=0.5)
    error_frames(frames, "first_token_timeout", retryable=True)
    assert fake_bedrock.wait_for_close(0, timeout=2) < 0.5 + 1.0
    assert fake_bedrock.streams[0].client_closed


def test_without_any_region_the_provider_says_which_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = Settings.from_env({"STREAM_CHAT_PROVIDER": "bedrock"})
    assert settings.bedrock_region is None
    with pytest.raises(SettingsError, match="STREAM_CHAT_BEDROCK_REGION"):
        make_provider(settings)


def test_without_aws_credentials_the_answer_says_so(
    invoke: Invoke, fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a metadata service
    # A region no other test uses: the SDK keeps one credential session per region.
    _, frames = invoke(chat_event(user()), bedrock_region="ap-south-2")
    error = error_frames(frames, "provider_rejected", retryable=False)
    assert "AWS credentials" in error["message"]
    assert fake_bedrock.requests == []


@pytest.mark.parametrize(
    "silent",
    [SILENT, Reply(texts=TEXTS, first_delay_s=20)],
    ids=["before-the-response-head", "before-any-text"],
)
def test_a_cancel_while_bedrock_is_silent_closes_the_connection(
    fake_bedrock: FakeBedrock, settings: Settings, silent: Reply
) -> None:
    function = build_function(settings)
    warm(function, fake_bedrock)  # the cancel must not wait for a cold client or connection
    fake_bedrock.enqueue(silent)
    answer = Answer(function)
    answer.read(1)  # `start`: the request is on its way
    answer.read_rest_in_background()
    fake_bedrock.wait_for_stream(1, timeout=5)  # it reached Bedrock, which says nothing
    cancelled_at = cancel(settings, answer.stream_id)
    assert closed_after(fake_bedrock, 1, cancelled_at) < settings.cancel_poll_s + BOUND_S
    frames = answer.finish()
    assert_cancelled(frames)
    assert "text" not in types_of(frames)


def test_answers_through_bedrock_share_one_pooled_connection(
    fake_bedrock: FakeBedrock, settings: Settings
) -> None:
    function = build_function(settings)
    for _ in range(5):
        fake_bedrock.enqueue(Reply())
        assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert all(fake_bedrock.wait_for_end(n, timeout=5).completed for n in range(5))
    assert fake_bedrock.connections == 1


def test_a_copy_restored_from_a_snapshot_answers_over_its_own_connection(
    fake_bedrock: FakeBedrock, settings: Settings
) -> None:
    function = build_function(settings)
    warm(function, fake_bedrock)
    function.before_snapshot()  # the snapshot holds no connection
    function.after_restore()
    fake_bedrock.enqueue(Reply())
    assert Answer(function).finish()[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert fake_bedrock.connections == 2  # a fresh pool, not the snapshot's

"""Which client streams Claude on Bedrock cheaper: the anthropic SDK's ``AnthropicBedrock`` or
boto3's ``bedrock-runtime`` (``invoke_model_with_response_stream`` on the same wire, and
``converse_stream``), each against the fake Bedrock endpoint, in this process.

CPU per text delta is the consuming thread's, warm, reading every event to its text; init is a
fresh process importing the client's modules and building the client.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import boto3
from anthropic.lib.bedrock import AnthropicBedrock

from tests.fakes.bedrock_server import FakeBedrock, Reply
from tests.support.serve import clean_env

DELTAS = 2000
STREAMS = 5
MODEL = "global.anthropic.claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": [{"type": "text", "text": "Benchmark"}]}]
# The deployed configuration, with either client built at init.
DEPLOYED = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "STREAM_CHAT_CANCEL_BACKEND": "dynamodb",
    "STREAM_CHAT_CANCEL_TABLE": "stream-chat-cancel",
}
INIT = {
    "bedrock provider (AnthropicBedrock)": ({"STREAM_CHAT_PROVIDER": "bedrock"}, ""),
    "no SDK, a boto3 bedrock-runtime client": (
        {"STREAM_CHAT_PROVIDER": "demo"},
        "import boto3; boto3.client('bedrock-runtime')",
    ),
}


def run() -> list[str]:
    texts = [f"w{n} " for n in range(DELTAS)]
    with FakeBedrock(Reply(texts=texts)) as fake:
        clients: dict[str, Callable[[], Iterator[str]]] = {
            "AnthropicBedrock (messages.create)": _sdk(fake.base_url),
            "boto3 invoke_model_with_response_stream": _boto3_invoke(fake.base_url),
            "boto3 converse_stream": _boto3_converse(fake.base_url),
        }
        lines = [f"fake Bedrock: {DELTAS} deltas per stream, {STREAMS} streams each, warm"]
        for name, stream in clients.items():
            assert "".join(stream()) == "".join(texts)  # warm, and checked
            cpu = statistics.median(_cpu(stream) for _ in range(STREAMS))
            lines.append(f"{name:42s} CPU per delta {cpu / DELTAS * 1e6:6.1f} µs")
    for name, (env, code) in INIT.items():
        median = _init_ms(env, code)
        lines.append(f"function init, {name}: median {median:.0f} ms (5 runs)")
    return lines


def _cpu(stream: Callable[[], Iterator[str]]) -> float:
    started = time.thread_time()
    for _ in stream():
        pass
    return time.thread_time() - started


def _sdk(url: str) -> Callable[[], Iterator[str]]:
    client = AnthropicBedrock(aws_region="us-east-1", base_url=url, max_retries=0)

    def stream() -> Iterator[str]:
        for event in client.messages.create(
            model=MODEL,
            max_tokens=4096,
            messages=MESSAGES,
            stream=True,  # type: ignore[arg-type]
        ):
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text

    return stream


def _boto3_invoke(url: str) -> Callable[[], Iterator[str]]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=url)
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 4096, "messages": MESSAGES}
    )

    def stream() -> Iterator[str]:
        response = client.invoke_model_with_response_stream(modelId=MODEL, body=body)
        for part in response["body"]:
            event = json.loads(part["chunk"]["bytes"])
            if event["type"] == "content_block_delta":
                yield event["delta"]["text"]

    return stream


def _boto3_converse(url: str) -> Callable[[], Iterator[str]]:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=url)
    messages = [{"role": "user", "content": [{"text": "Benchmark"}]}]

    def stream() -> Iterator[str]:
        response = client.converse_stream(
            modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 4096}
        )
        for event in response["stream"]:
            if "contentBlockDelta" in event:
                yield event["contentBlockDelta"]["delta"]["text"]

    return stream


def _init_ms(env: dict[str, str], code: str) -> float:
    """Process start → the function built as at init (settings, provider, cancel registry)."""
    script = f"import stream_chat.handler; stream_chat.handler.lambda_handler.init(); {code}"
    full = clean_env(**{**DEPLOYED, **env})
    times = []
    for _ in range(5):
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-c", script], check=True, timeout=60, env=full, capture_output=True
        )
        times.append(time.monotonic() - started)
    return statistics.median(times) * 1e3

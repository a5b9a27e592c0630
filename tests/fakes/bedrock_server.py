"""A fake Amazon Bedrock runtime endpoint that speaks the real wire format over real HTTP.

The real client (the anthropic SDK's ``AnthropicBedrock``) reaches it through
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, signing each request with SigV4 as it would for AWS; the
fake recomputes the signature over what arrived and refuses a wrong one.
``POST /model/{modelId}/invoke-with-response-stream`` answers with
``application/vnd.amazon.eventstream``: binary messages (prelude with its CRC, typed headers,
payload, message CRC), each ``chunk`` event carrying one Anthropic Messages event as base64 JSON
in ``bytes``; in-stream failures are ``exception`` messages named by ``:exception-type``; errors
before the stream are JSON ``{"message"}`` bodies named by ``x-amzn-ErrorType``. The event
sequence, pauses, records and shared faults are those of the fake Anthropic server.
``converse-stream`` plays the same script as Converse events, for the client benchmark.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import ssl
import struct
import urllib.parse
import uuid
import zlib
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.fakes.anthropic_server import FakeAnthropic, Reply, _MessagesHandler

__all__ = ["BEDROCK_HTTP_FAULTS", "FakeBedrock", "Reply", "eventstream_message"]

STREAM_PATH = re.compile(
    r"^/model/(?P<model>[^/]+)/(?P<api>invoke-with-response-stream|converse-stream)$"
)
# Faults before the stream: status, x-amzn-ErrorType, message.
BEDROCK_HTTP_FAULTS: dict[str, tuple[int, str, str]] = {
    "http_429": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "http_429_not_ready": (429, "ModelNotReadyException", "Model is not ready for inference."),
    "http_403": (403, "AccessDeniedException", "You don't have access to the model."),
    "http_400": (400, "ValidationException", "The provided model identifier is invalid."),
    "http_404": (404, "ResourceNotFoundException", "Model not found."),
    "http_503": (503, "ServiceUnavailableException", "Service is temporarily unavailable."),
    "http_500": (500, "InternalServerException", "Internal server error."),
}
# Mid-stream: "exception:<member>", e.g. "exception:throttlingException".
EXCEPTION_PREFIX = "exception:"
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/"
    r"aws4_request, SignedHeaders=(?P<headers>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
_STRING = 7  # eventstream header value type: UTF-8 string with a 2-byte length


def eventstream_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One ``application/vnd.amazon.eventstream`` message, CRCs and all."""
    encoded = b"".join(
        struct.pack("!B", len(name))
        + name.encode()
        + struct.pack("!BH", _STRING, len(value.encode()))
        + value.encode()
        for name, value in headers.items()
    )
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack("!I", zlib.crc32(message))


def sigv4_valid(method: str, path: str, headers: dict[str, str], body: bytes, secret: str) -> bool:
    """Recompute the request's SigV4 signature over what arrived, with the known secret."""
    match = AUTHORIZATION.match(headers.get("authorization", ""))
    if match is None or "x-amz-date" not in headers:
        return False
    signed = match["headers"].split(";")
    if "host" not in signed or any(name not in headers for name in signed):
        return False
    request = AWSRequest(
        method=method,
        url=f"http://{headers['host']}{path}",
        headers={name: headers[name] for name in signed},
        data=body,
    )
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(match["key"], secret), match["service"], match["region"])
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    return match["service"] == "bedrock" and hmac.compare_digest(expected, match["signature"])


class FakeBedrock(FakeAnthropic):
    """Context manager: a Bedrock runtime endpoint on 127.0.0.1 in a background thread.

    Like Bedrock, it checks each request's SigV4 signature against ``secret_key`` (the test
    suite's credentials) and refuses a bad one with ``InvalidSignatureException``.
    """

    def __init__(
        self,
        default: Reply | None = None,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        secret_key: str = "testing",
    ) -> None:
        super().__init__(default, port, tls)
        self.secret_key = secret_key
        self.models: list[str] = []

    def _make_handler(self) -> type[_MessagesHandler]:
        class Handler(_BedrockHandler):
            server_fake = self

        return Handler


class _BedrockHandler(_MessagesHandler):
    content_type = "application/vnd.amazon.eventstream"
    request_id_header = "x-amzn-RequestId"
    server_fake: FakeBedrock
    converse = False  # this request came through the Converse API
    _converse_output = 0

    def is_stream_route(self, path: str) -> bool:
        return STREAM_PATH.match(path) is not None

    def authorised(self, raw: bytes) -> bool:
        headers = {name.lower(): value for name, value in self.headers.items()}
        if sigv4_valid("POST", self.path, headers, raw, self.server_fake.secret_key):
            return True
        self.send_error_reply(
            403, "InvalidSignatureException", "The request signature we calculated does not match."
        )
        return False

    def messages_request(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        match = STREAM_PATH.match(path)
        assert match is not None
        model = urllib.parse.unquote(match["model"])
        self.converse = match["api"] == "converse-stream"
        if self.converse:  # the benchmark's other client: the same script in Converse events
            body = _from_converse(body)
        # The version travels in the body (the SDK picks it), not in a header.
        elif not isinstance(body.get("anthropic_version"), str):
            raise ValueError("anthropic_version: required")
        if "model" in body or "stream" in body:
            raise ValueError("model and stream belong in the path, not the body")
        self.server_fake.models.append(model)
        return {**body, "model": model, "stream": True}

    def send_http_fault(self, fault: str) -> bool:
        if fault not in BEDROCK_HTTP_FAULTS:
            return False
        self.send_error_reply(*BEDROCK_HTTP_FAULTS[fault])
        return True

    def send_error_reply(self, status: int, kind: str, message: str) -> None:
        name = kind if kind[0].isupper() else "ValidationException"
        data = json.dumps({"message": message}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header(self.request_id_header, self.new_request_id())
        self.send_header(
            "x-amzn-ErrorType", f"{name}:http://internal.amazon.com/coral/com.amazon.bedrock/"
        )
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def new_request_id(self) -> str:
        return str(uuid.uuid4())

    def send_event(self, name: str, data: dict[str, Any] | str) -> None:
        if self.converse and isinstance(data, dict):
            self._send_converse(data)
            return
        if name == "error":  # Bedrock reports a failure mid-answer as an exception message
            self.send_exception("modelStreamErrorException", "The model stream failed.")
            return
        event = (data if isinstance(data, str) else json.dumps(data)).encode()
        payload = json.dumps(
            # "p" pads the payload as Bedrock does, so sizes do not reveal the text.
            {"bytes": base64.b64encode(event).decode(), "p": "abcdefghijklmnop"[: len(event) % 16]}
        ).encode()
        headers = {
            ":event-type": "chunk",
            ":content-type": "application/json",
            ":message-type": "event",
        }
        self.send_chunk(eventstream_message(headers, payload))

    def _send_converse(self, event: dict[str, Any]) -> None:
        """The Converse API's own events for the same Messages event (text answers only)."""
        kind = event["type"]
        if kind == "message_start":
            name, body = "messageStart", {"role": "assistant"}
        elif kind == "content_block_delta":
            name = "contentBlockDelta"
            body = {"contentBlockIndex": 0, "delta": {"text": event["delta"]["text"]}}
        elif kind == "content_block_stop":
            name, body = "contentBlockStop", {"contentBlockIndex": 0}
        elif kind == "message_delta":
            self._converse_output = event["usage"]["output_tokens"]
            name, body = "messageStop", {"stopReason": event["delta"]["stop_reason"]}
        elif kind == "message_stop":
            output = self._converse_output
            usage = {"inputTokens": 12, "outputTokens": output, "totalTokens": 12 + output}
            name, body = "metadata", {"usage": usage, "metrics": {"latencyMs": 1}}
        else:
            return
        headers = {
            ":event-type": name,
            ":content-type": "application/json",
            ":message-type": "event",
        }
        self.send_chunk(eventstream_message(headers, json.dumps(body).encode()))

    def send_exception(self, exception_type: str, message: str) -> None:
        headers = {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        }
        self.send_chunk(eventstream_message(headers, json.dumps({"message": message}).encode()))

    def midstream_fault(self, fault: str) -> None:
        if fault == "bad_crc":  # a frame damaged in transit: its message CRC does not match
            message = bytearray(eventstream_message({":message-type": "event"}, b"{}"))
            message[-1] ^= 0xFF
            self.send_chunk(bytes(message))
        elif fault.startswith(EXCEPTION_PREFIX):
            self.send_exception(fault.removeprefix(EXCEPTION_PREFIX), "Mid-stream failure.")
        else:
            raise AssertionError(f"unknown fault {fault!r}")
        self.end_chunks()


def _from_converse(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "max_tokens": body["inferenceConfig"]["maxTokens"],
        "messages": [
            {
                "role": m["role"],
                "content": [{"type": "text", "text": c["text"]} for c in m["content"]],
            }
            for m in body["messages"]
        ],
    }

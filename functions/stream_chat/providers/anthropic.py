"""The Anthropic Messages API through the official SDK's raw event stream.

``messages.create(stream=True)`` yields the wire events without rebuilding a message snapshot
per event (the ``messages.stream()`` helper costs more than twice as much CPU per event).
``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` are honoured by the SDK itself; on AWS the key
comes from Secrets Manager, cached across invocations.
"""

from __future__ import annotations

import contextlib
import importlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
from aws_lambda_powertools import Logger

from stream_chat.budget import Budget
from stream_chat.chat_request import ChatRequest
from stream_chat.errors import ProviderProtocolError, ProviderRejected
from stream_chat.providers import MessageEnd, ProviderEvent, TextDelta, UsageReport
from stream_chat.providers.anthropic_errors import map_error
from stream_chat.settings import Settings

SECRET_MAX_AGE_S = 300
# What the SDK imports lazily on its first request (transport, TLS trust store, trace context
# propagation): loaded at init instead, so the first answer does not pay for it.
FIRST_REQUEST_MODULES = ("httpcore2", "h11", "truststore", "opentelemetry.propagate")
logger = Logger(service="stream-chat", child=True)


class AnthropicProvider:
    def __init__(self, settings: Settings, api_key: Callable[[], str | None]) -> None:
        self._settings = settings
        self._api_key = api_key
        self._clients: dict[str | None, anthropic.Anthropic] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        for name in FIRST_REQUEST_MODULES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        arn = settings.anthropic_secret_arn
        if arn is None:
            return cls(settings, lambda: None)  # the SDK reads ANTHROPIC_API_KEY
        from aws_lambda_powertools.utilities import parameters

        secrets = parameters.SecretsProvider()  # builds the boto3 client now, at init

        def fetch() -> str | None:
            value = secrets.get(arn, max_age=SECRET_MAX_AGE_S)
            return str(value).strip() if value else None

        return cls(settings, fetch)

    def model_label(self, request: ChatRequest) -> str:
        return request.model

    def open(self, request: ChatRequest, budget: Budget) -> AnthropicStream:
        client = self._client()
        remaining = max(0.001, budget.remaining())
        timeout = httpx2.Timeout(
            remaining, connect=min(self._settings.connect_timeout_s, remaining)
        )
        try:
            stream = client.messages.create(
                model=request.model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=[message.to_api() for message in request.messages],  # type: ignore[misc]
                stream=True,
                timeout=timeout,
            )
        except Exception as exc:
            raise map_error(exc) from exc
        return AnthropicStream(stream)  # type: ignore[arg-type]  # stream=True gives a Stream

    def _client(self) -> anthropic.Anthropic:
        try:
            key = self._api_key()
        except Exception as exc:
            # Typically a secret created empty by the stack and not set yet.
            logger.exception("the Anthropic API key could not be read")
            raise ProviderRejected("The server's Anthropic API key is not available.") from exc
        with self._lock:
            if key not in self._clients:
                # Retries are ours: they must respect the invocation's remaining time.
                self._clients[key] = anthropic.Anthropic(api_key=key, max_retries=0)
            return self._clients[key]


class AnthropicStream:
    def __init__(self, stream: anthropic.Stream[Any]) -> None:
        self._stream = stream
        self.request_id: str | None = stream.response.headers.get("request-id")
        self._complete = False

    def __iter__(self) -> Iterator[ProviderEvent]:
        stop_reason: str | None = None
        try:
            for event in self._stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield TextDelta(event.delta.text)
                elif event.type == "message_start":
                    yield _usage(event.message.usage)
                elif event.type == "message_delta":
                    stop_reason = event.delta.stop_reason or stop_reason
                    yield _usage(event.usage)
                elif event.type == "message_stop":
                    yield MessageEnd(stop_reason or "end_turn")
                    # Read to the body's end: only a fully read response goes back to the pool,
                    # so the next answer skips the TCP and TLS handshakes.
                    for _ in self._stream:
                        pass
                    self._complete = True
                    return
        except Exception as exc:
            error = map_error(exc)
            error.request_id = error.request_id or self.request_id
            raise error from exc
        raise ProviderProtocolError(
            "The model provider's stream ended before message_stop.", request_id=self.request_id
        )

    def abort(self) -> None:
        """End the upstream request now, from any thread.

        Closing a socket does not wake a ``recv`` blocked in another thread, and the peer sees
        nothing until that read returns; ``shutdown`` wakes the reader and sends FIN at once.
        Closing the descriptor is left to the reading thread, so its number cannot be reused
        under a read still in flight.
        """
        if self._complete:  # nothing left to stop; the connection is back in the pool
            return
        network = self._stream.response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed by the other side
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Release the connection; only the thread that iterates calls this (see ``abort``)."""
        self._stream.close()


def _usage(usage: Any) -> UsageReport:
    return UsageReport(
        input_tokens=getattr(usage, "input_tokens", None),
        output_tokens=getattr(usage, "output_tokens", None),
        cache_creation_input_tokens=getattr(usage, "cache_creation_input_tokens", None),
        cache_read_input_tokens=getattr(usage, "cache_read_input_tokens", None),
    )

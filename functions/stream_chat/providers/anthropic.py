"""The Anthropic Messages API through the official SDK's raw event stream.

``messages.create(stream=True)`` yields the wire events without rebuilding a message snapshot
per event (the ``messages.stream()`` helper costs more than twice as much CPU per event).
``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` are honoured by the SDK itself; on AWS the key
comes from Secrets Manager, cached across invocations.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anthropic
import httpx2
from aws_lambda_powertools import Logger

from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.errors import ProviderProtocolError, ProviderRejected, StreamChatError
from stream_chat.providers import sdk_internals
from stream_chat.providers.abortable_http import Attempt, abortable_client
from stream_chat.providers.anthropic_blocks import BlockReader
from stream_chat.providers.anthropic_errors import map_error
from stream_chat.providers.anthropic_events import field
from stream_chat.providers.events import MessageEnd, ProviderEvent
from stream_chat.providers.message_params import message_params
from stream_chat.settings import Settings

if TYPE_CHECKING:
    from anthropic.lib.bedrock import AnthropicBedrock

SECRET_MAX_AGE_S = 300
# What the SDK imports lazily on its first request (transport, TLS trust store, trace context
# propagation): loaded at init instead, so the first answer does not pay for it.
FIRST_REQUEST_MODULES = ("httpcore2", "h11", "truststore", "opentelemetry.propagate")
logger = Logger(service="stream-chat", child=True)


class AnthropicProvider:
    def __init__(
        self,
        settings: Settings,
        api_key: Callable[[], str | None],
        reset_key: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._api_key = api_key
        self._reset_key = reset_key
        self._clients: dict[str | None, anthropic.Anthropic] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> AnthropicProvider:
        for name in FIRST_REQUEST_MODULES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        sdk_internals.check(sdk_internals.ANTHROPIC_INTERNALS)  # now, not at the first answer
        arn = settings.anthropic_secret_arn
        if arn is None:
            provider = cls(settings, lambda: None)  # the SDK reads ANTHROPIC_API_KEY
            provider._client()  # built now, at init: the first answer does not pay for it
            return provider
        from aws_lambda_powertools.utilities import parameters

        secrets = parameters.SecretsProvider()  # builds the boto3 client now, at init

        def fetch() -> str | None:
            value = secrets.get(arn, max_age=SECRET_MAX_AGE_S)
            return str(value).strip() if value else None

        def reset() -> None:
            # Read the key again, over a new connection: close the pool, empty the cache.
            secrets.client.close()
            secrets.clear_cache()  # type: ignore[no-untyped-call]  # Powertools leaves it untyped

        return cls(settings, fetch, reset)  # the key, and its client, come with the first answer

    def before_snapshot(self) -> None:
        """No client (and so no pooled connection) goes into a SnapStart snapshot."""
        self._drop_clients()
        self._reset_key()

    def reset_after_restore(self) -> None:
        """A restored copy re-reads the key and builds its own client, on a background thread:
        the trust store alone takes ~50 ms to load, and a first request that comes sooner
        simply waits for the same lock.
        """
        self._drop_clients()
        self._reset_key()
        threading.Thread(target=self._warm, name="provider-warm", daemon=True).start()

    def _warm(self) -> None:
        with contextlib.suppress(ProviderRejected):  # logged; the request will say it again
            self._client()

    def _drop_clients(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def model_label(self, request: ChatRequest) -> str:
        return request.model

    def open(
        self, request: ChatRequest, deadline: Deadline, paused: Sequence[dict[str, Any]] = ()
    ) -> AnthropicStream:
        send = messages_sender(self._client(), request, deadline, self._settings, paused)
        return AnthropicStream(send)

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
                self._clients[key] = anthropic.Anthropic(
                    api_key=key, max_retries=0, http_client=abortable_client()
                )
            return self._clients[key]


@dataclass(frozen=True)
class Wire:
    """What differs between platforms serving the same Messages stream: error names, headers."""

    map_error: Callable[[BaseException, bool], StreamChatError | None] = map_error
    request_id_header: str = "request-id"


ANTHROPIC_WIRE = Wire()


def messages_sender(
    client: anthropic.Anthropic | AnthropicBedrock,
    request: ChatRequest,
    deadline: Deadline,
    settings: Settings,
    paused: Sequence[dict[str, Any]] = (),
) -> Callable[[], anthropic.Stream[Any]]:
    """A streamed Messages request, sent when called, within the time left at that moment.

    ``paused``: the content of a turn that paused (``pause_turn``), sent back as the assistant's
    message so the model continues it, with the same thinking and tools.
    """
    params = message_params(request, settings)
    connect_timeout_s = settings.connect_timeout_s
    messages: list[Any] = [message.to_api() for message in request.messages]
    if paused:
        messages.append({"role": "assistant", "content": list(paused)})

    def send() -> anthropic.Stream[Any]:
        remaining = max(0.001, deadline.remaining())
        return client.messages.create(
            model=request.model,
            max_tokens=params.max_tokens,
            system=request.system,
            messages=messages,
            thinking=params.thinking,
            tools=params.tools,
            stream=True,
            timeout=httpx2.Timeout(remaining, connect=min(connect_timeout_s, remaining)),
        )

    return send


class AnthropicStream:
    """One attempt at an answer: sent when iterated, abortable at every moment from any thread."""

    def __init__(
        self, send: Callable[[], anthropic.Stream[Any]], wire: Wire = ANTHROPIC_WIRE
    ) -> None:
        self._send = send
        self._wire = wire
        self._attempt = Attempt()
        self._events: anthropic.Stream[Any] | None = None
        self._reader = BlockReader()
        self.request_id: str | None = None

    def __iter__(self) -> Iterator[ProviderEvent]:
        with self._attempt.running():
            try:
                self._events = self._send()
                self.request_id = self._events.response.headers.get(self._wire.request_id_header)
                yield from self._translate(self._events)
            except StreamChatError as known:
                known.request_id = known.request_id or self.request_id
                raise
            except Exception as exc:
                error = self._wire.map_error(exc, self._events is not None)
                if error is None:  # not the provider's failure: ours, logged with its traceback
                    raise
                error.request_id = error.request_id or self.request_id
                raise error from exc

    def content(self) -> list[dict[str, Any]]:
        """The turn's complete content blocks so far, as a request carries them."""
        return self._reader.content()

    def _translate(self, events: anthropic.Stream[Any]) -> Iterator[ProviderEvent]:
        reader = self._reader
        for event in events:
            kind = field(event, "type", str)
            if kind == "message_stop":
                self._attempt.release()  # nothing is left to stop: an abort must not cut the drain
                yield MessageEnd(reader.stop_reason, reader.details)
                _drain(events)
                return
            yield from reader.read(event, kind)
        raise ProviderProtocolError(
            "The model provider's stream ended before message_stop.", request_id=self.request_id
        )

    def abort(self) -> None:
        """End the request now, from any thread: its socket is shut down (see abortable_http)."""
        self._attempt.abort()

    def close(self) -> None:
        """Release the connection; only the thread that iterates calls this."""
        self._attempt.release()
        if self._events is not None:
            self._events.close()


def _drain(events: anthropic.Stream[Any]) -> None:
    """Read to the end of the body, so the connection returns to the pool for the next answer."""
    try:
        for _ in events:
            pass
    except Exception:  # the answer is complete; only the connection's reuse is lost
        logger.debug("the end of the response could not be read", exc_info=True)

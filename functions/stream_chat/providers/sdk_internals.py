"""Every use of a dependency's non-public API, in one place, each checked at init.

Each use below names the versions it was read and tested against. A release may move any of
them without notice: ``check`` looks for every shape at init (``make_provider``), so a changed
one stops the function before its first request with an error that names it, instead of
breaking Stop or the first answer. ``tests/function/test_sdk_internals.py`` runs the same check
against the installed versions.

Why not public API: httpx's ``HTTPTransport`` builds its connection pool itself and takes no
network backend (httpcore's ``ConnectionPool`` does, publicly); a transport of our own around a
pool we build would have to copy httpx's request conversion and its mapping of httpcore's
exceptions, which the SDK's error handling depends on — more internals, not fewer. The Bedrock
client keeps its boto3 session to itself, so only its own signing hook resolves the credentials
it will use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpcore2
import httpx2

if TYPE_CHECKING:
    from anthropic.lib.bedrock import AnthropicBedrock

ANTHROPIC_CHECKED = "anthropic 2.16.0 and 2.17.0"
HTTP_CHECKED = "httpx2 2.16.2 with httpcore2 2.16.2"


class InternalsChanged(RuntimeError):
    """An installed dependency no longer has an internal shape this function relies on."""


@dataclass(frozen=True)
class Internal:
    symbol: str
    checked: str  # the versions it was read and tested against
    present: Callable[[], bool]

    def changed(self) -> InternalsChanged:
        return InternalsChanged(
            f"{self.symbol} is gone or changed (checked against {self.checked}); "
            "see stream_chat/providers/sdk_internals.py"
        )

    def check(self) -> None:
        if not self.present():
            raise self.changed()


# -- httpx2 / httpcore2: the network backend of the SDK's connection pool ------------------


def _pool_of(transport: httpx2.HTTPTransport) -> Any:
    """The transport's connection pool, or None when it is not the shape used here."""
    # httpx2 2.16.2: HTTPTransport.__init__ stores its httpcore2.ConnectionPool as ``_pool``.
    pool = getattr(transport, "_pool", None)
    # httpcore2 2.16.2: ConnectionPool keeps its backend as ``_network_backend`` and hands it
    # to every connection it opens (``network_backend=`` is public only in its __init__).
    backend = getattr(pool, "_network_backend", None)
    if type(pool) is httpcore2.ConnectionPool and isinstance(backend, httpcore2.NetworkBackend):
        return pool
    return None


def _has_pool_backend() -> bool:
    # Without TLS setup (~0.2 ms); a pool that never connected holds nothing to close.
    return _pool_of(httpx2.HTTPTransport(verify=False, trust_env=False)) is not None


def wrap_network_backend(
    transport: httpx2.HTTPTransport,
    wrap: Callable[[httpcore2.NetworkBackend], httpcore2.NetworkBackend],
) -> None:
    """Every socket the transport opens goes through ``wrap(its backend)``."""
    pool = _pool_of(transport)
    if pool is None:
        raise POOL_BACKEND.changed()
    pool._network_backend = wrap(pool._network_backend)


POOL_BACKEND = Internal(
    "httpx2.HTTPTransport._pool._network_backend", HTTP_CHECKED, _has_pool_backend
)


# -- anthropic's Bedrock client: credentials and the eventstream model at init -------------


def _has_signing_hook() -> bool:
    from anthropic.lib.bedrock import AnthropicBedrock

    # anthropic 2.16.0/2.17.0: AnthropicBedrock overrides BaseClient's ``_prepare_request`` hook
    # (a no-op there) to sign with SigV4, resolving the credentials of its cached boto3 session.
    return callable(AnthropicBedrock.__dict__.get("_prepare_request"))


def sign_unsent(client: AnthropicBedrock, request: httpx2.Request) -> None:
    """Sign ``request`` as the client signs its own, without sending it."""
    SIGNING_HOOK.check()
    client._prepare_request(request)


def _has_stream_shape() -> bool:
    try:
        # anthropic 2.16.0/2.17.0: the eventstream decoder parses each frame with the service
        # model's ``ResponseStream`` shape, loaded once (lru_cache) by this function.
        from anthropic.lib.bedrock import _stream_decoder
    except ImportError:
        return False
    return callable(getattr(_stream_decoder, "get_response_stream_shape", None))


def load_stream_shape() -> None:
    """Parse the Bedrock service model for eventstream decoding now, not on the first answer."""
    STREAM_SHAPE.check()
    from anthropic.lib.bedrock import _stream_decoder

    _stream_decoder.get_response_stream_shape()


SIGNING_HOOK = Internal(
    "anthropic.lib.bedrock.AnthropicBedrock._prepare_request", ANTHROPIC_CHECKED, _has_signing_hook
)
STREAM_SHAPE = Internal(
    "anthropic.lib.bedrock._stream_decoder.get_response_stream_shape",
    ANTHROPIC_CHECKED,
    _has_stream_shape,
)

ANTHROPIC_INTERNALS = (POOL_BACKEND,)
BEDROCK_INTERNALS = (POOL_BACKEND, SIGNING_HOOK, STREAM_SHAPE)


def check(internals: tuple[Internal, ...]) -> None:
    """Raise ``InternalsChanged`` naming every shape the installed versions lack."""
    missing = [internal.changed() for internal in internals if not internal.present()]
    if missing:
        raise InternalsChanged("; ".join(str(error) for error in missing))

"""The members of uvicorn and h11 that the local front relies on, though neither documents them,
are still there in the installed versions: a release that drops one fails here, by name, rather
than as an AttributeError in the middle of a malformed request."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn
from uvicorn.server import ServerState

from stream_chat_local.http_front import CHECKED, INTERNALS, FrontProtocol, server_config


async def app(scope: object, receive: object, send: object) -> None:
    """Never called: the protocol is only built."""


@pytest.fixture
def protocol() -> FrontProtocol:
    config = server_config(app, read_timeout_s=1, write_timeout_s=1)
    config.load()
    loop = asyncio.new_event_loop()
    try:
        built = config.http_protocol_class(config, ServerState(), {}, _loop=loop)
    finally:
        loop.close()
    assert isinstance(built, FrontProtocol)
    return built


def missing(owner: object, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not hasattr(owner, name)]


def test_the_protocol_and_its_connection_have_what_the_front_uses(protocol: FrontProtocol) -> None:
    gone = missing(protocol, INTERNALS["protocol"])
    gone += [f"conn.{name}" for name in missing(protocol.conn, INTERNALS["connection"])]
    assert not gone, f"uvicorn's H11Protocol no longer has {gone} (checked against {CHECKED})"


def test_the_server_has_what_the_front_overrides() -> None:
    gone = missing(uvicorn.Server, INTERNALS["server"])
    assert not gone, f"uvicorn.Server no longer has {gone} (checked against {CHECKED})"

"""The dependencies' internals the function relies on are there, in the versions installed.

Each shape is looked for as the function does at init: a release that moves one fails here,
naming it and the versions it was checked against, not with an AttributeError at the first
Stop or answer in production.
"""

from __future__ import annotations

from dataclasses import replace
from importlib.metadata import version

import httpx2
import pytest
from anthropic.lib.bedrock import AnthropicBedrock

from stream_chat.providers import make_provider, sdk_internals
from stream_chat.providers.abortable_http import abortable_client
from stream_chat.providers.sdk_internals import InternalsChanged
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.bedrock_server import FakeBedrock
from tests.function.test_bedrock import MODEL

INTERNALS = {
    internal.symbol: internal
    for internal in (*sdk_internals.ANTHROPIC_INTERNALS, *sdk_internals.BEDROCK_INTERNALS)
}


@pytest.mark.parametrize("symbol", INTERNALS)
def test_the_installed_versions_have_each_shape(symbol: str) -> None:
    internal = INTERNALS[symbol]
    if not internal.present():
        installed = ", ".join(f"{name} {version(name)}" for name in ("anthropic", "httpx2"))
        pytest.fail(f"{internal.changed()} — installed: {installed}")


def test_each_use_names_the_versions_it_was_checked_against() -> None:
    for internal in INTERNALS.values():
        assert any(f"{name} " in internal.checked for name in ("anthropic", "httpx2"))
        assert any(character.isdigit() for character in internal.checked)


class PoolElsewhere(httpx2.HTTPTransport):
    """A transport as a release that renamed its pool attribute would build it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._connections = self.__dict__.pop("_pool")


def test_a_moved_connection_pool_stops_the_anthropic_provider_at_init(
    settings: Settings, fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httpx2, "HTTPTransport", PoolElsewhere)
    with pytest.raises(InternalsChanged) as raised:
        make_provider(settings)
    message = str(raised.value)
    assert "httpx2.HTTPTransport._pool._network_backend is gone or changed" in message
    assert "checked against httpx2 2.16.2 with httpcore2 2.16.2" in message
    with pytest.raises(InternalsChanged, match="_network_backend"):
        abortable_client()  # and never half-built, should a client be made later anyway


def test_a_lost_signing_hook_stops_the_bedrock_provider_at_init(
    settings: Settings, fake_bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(AnthropicBedrock, "_prepare_request")  # the base class's no-op remains
    bedrock = replace(
        settings,
        provider="bedrock",
        model=MODEL,
        allowed_models=(MODEL,),
        bedrock_region="us-east-1",
        bedrock_endpoint_url=fake_bedrock.base_url,
    )
    with pytest.raises(InternalsChanged) as raised:
        make_provider(bedrock)
    message = str(raised.value)
    assert "anthropic.lib.bedrock.AnthropicBedrock._prepare_request" in message
    assert "checked against anthropic 2.16.0 and 2.17.0" in message

"""Shared fixtures: no test reaches AWS or Anthropic, and none inherits the developer's config."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

_FOREIGN = ("ANTHROPIC_", "STREAM_CHAT_", "AWS_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_FOREIGN):
            monkeypatch.delenv(name)
    # botocore must never find real credentials or a real region.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield

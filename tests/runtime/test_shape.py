"""The runtime is generic: it knows its own contract (``StreamingResponse``), not the app."""

from __future__ import annotations

import os

from tests.support.imports import modules_loaded_by


def test_the_runtime_imports_nothing_of_the_application() -> None:
    loaded = {
        name
        for name in modules_loaded_by("stream_chat.runtime.loop", os.environ)
        if name.startswith("stream_chat")
    }
    assert "stream_chat.runtime.response" in loaded
    assert loaded - {"stream_chat"} == {m for m in loaded if m.startswith("stream_chat.runtime")}

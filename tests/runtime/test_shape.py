"""The runtime is generic: it knows its own contract (``StreamingResponse``), not the app."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.runtime.recorder import ROOT


def test_the_runtime_imports_nothing_of_the_application() -> None:
    code = (
        "import sys, stream_chat.runtime.loop;"
        "print(' '.join(m for m in sys.modules if m.startswith('stream_chat')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert "stream_chat.runtime.response" in loaded
    assert loaded - {"stream_chat"} == {m for m in loaded if m.startswith("stream_chat.runtime")}

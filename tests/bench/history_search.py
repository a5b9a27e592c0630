"""The history search over 500 conversations of realistic size (about 4,000 turns, 10 MB of
text): each keystroke of a few queries typed letter by letter must take under 100 ms, the
"instant" the page promises. The scenario is ``tests/bench/history-search.mjs``, run by node on
the page's own module (``web/js/history-search.js``); this module holds it to the target.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.bench.figures import detail, record

SCENARIO = Path(__file__).with_name("history-search.mjs")
MAX_KEYSTROKE_MS = 100


def run() -> list[str]:
    result = subprocess.run(
        ["node", str(SCENARIO)], capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the scenario failed:\n{result.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    slowest = record("history search, slowest keystroke", figures["maxMs"], "ms")
    record("history search, median keystroke", figures["medianMs"], "ms")
    record("history search, building the index", figures["indexMs"], "ms")
    detail("history search", figures)
    lines = [
        f"{figures['conversations']} conversations, {figures['turns']} turns, "
        f"{figures['megabytes']:.1f} MB of text; {figures['keystrokes']} keystrokes: median "
        f"{figures['medianMs']:.1f} ms, p95 {figures['p95Ms']:.1f} ms, slowest {slowest:.1f} ms; "
        f"index built in {figures['indexMs']:.0f} ms"
    ]
    if slowest > MAX_KEYSTROKE_MS:
        lines.append(f"FAILED: a keystroke took {slowest:.0f} ms (target < {MAX_KEYSTROKE_MS})")
    return lines

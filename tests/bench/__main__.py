"""``python -m tests.bench`` (``make bench``): run each benchmark module and print one report.

Each module exposes ``run() -> list[str]``, the result lines. Numbers go into
docs/performance.md by hand, with the machine they were measured on.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time

MODULES = [
    "tests.bench.relay_latency",
    "tests.bench.anthropic_latency",
    "tests.bench.init_time",
    "tests.bench.cancel_propagation",
    "tests.bench.serve_load",
]


def main(selected: list[str]) -> int:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"stream-chat benchmarks: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}, {platform.system()} {platform.release()}, load {load}"
    )
    failed = 0
    for name in MODULES:
        if selected and not any(word in name for word in selected):
            continue
        started = time.monotonic()
        print(f"\n== {name.rsplit('.', 1)[1]}")
        try:
            lines = importlib.import_module(name).run()
        except Exception as exc:
            failed += 1
            lines = [f"FAILED: {exc!r}"]
        for line in lines:
            print(f"   {line}")
        print(f"   ({time.monotonic() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

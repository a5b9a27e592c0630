"""The fake Anthropic server in its own process, logging when it writes each text delta.

``python -m tests.bench.timed_fake LOG --delay S --count N`` prints ``READY <url>`` and appends
one ``time.time()`` line to LOG per delta written. Its own process, so that its timing does not
share a GIL with whatever reads it.
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from tests.fakes import anthropic_server
from tests.fakes.anthropic_server import FakeAnthropic, Reply


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--delay", type=float, required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    log = open(args.log, "a", buffering=1)  # noqa: SIM115  # open for the process's lifetime
    original = anthropic_server._MessagesHandler.send_event

    # The fake's stream records keep counts only; the benchmark needs each delta's send time.
    def send_event(self: Any, name: str, data: dict[str, Any] | str) -> None:
        original(self, name, data)
        if name == "content_block_delta":
            log.write(f"{time.time():.6f}\n")

    anthropic_server._MessagesHandler.send_event = send_event  # type: ignore[method-assign]
    texts = [f" t{n}" for n in range(args.count)]
    with FakeAnthropic(Reply(texts=texts, delay_s=args.delay)) as fake:
        print(f"READY {fake.base_url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()

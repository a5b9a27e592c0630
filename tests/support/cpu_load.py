"""Run a command while other processes keep every core busy: the suite must hold under load.

    python -m tests.support.cpu_load [--workers N] [--runs K] -- make test

Starts ``N`` busy-looping processes (default: one per core), runs the command ``K`` times in a row
(default 1) while they spin, stops them, and exits with the first failing run's status. The load
ends with the command, and in any case after ``--max-seconds``: nothing outlives the run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time


def _spin(stop_at: float) -> None:
    # Pure-Python arithmetic holds the core the way a busy laptop's other work does.
    x = 0
    while time.monotonic() < stop_at:
        for _ in range(100_000):
            x = (x * 31 + 7) % 1_000_003


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cpu_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("name the command to run after --")
    stop_at = time.monotonic() + args.max_seconds
    spinners = [
        multiprocessing.Process(target=_spin, args=(stop_at,), daemon=True)
        for _ in range(args.workers)
    ]
    for spinner in spinners:
        spinner.start()
    try:
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            status = subprocess.call(command)
            took = time.monotonic() - started
            print(f"cpu_load: run {run}/{args.runs} exited {status} after {took:.0f} s", flush=True)
            if status != 0:
                return status
        return 0
    finally:
        for spinner in spinners:
            spinner.terminate()
        for spinner in spinners:
            spinner.join()


if __name__ == "__main__":
    sys.exit(main())

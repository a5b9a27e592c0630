"""``python -m tests.bench`` (``make bench``): run each benchmark module, print one table.

Each module exposes ``run() -> list[str]``, its detail lines, and records its headline numbers
with ``tests.bench.figures.record``. The table goes to stdout; the figures, details and lines
go to ``tests/bench/results/bench-<UTC time>.json`` for comparison across runs. Progress and the
detail lines (with ``-v``) go to stderr. Numbers go into docs/performance.md by hand, with the
machine they were measured on.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import platform
import sys
import time

from tests.bench import figures

MODULES = [
    "tests.bench.relay_latency",
    "tests.bench.anthropic_latency",
    "tests.bench.bedrock_client",
    "tests.bench.init_time",
    "tests.bench.snap_start",
    "tests.bench.cancel_propagation",
    "tests.bench.upstream_abort",
    "tests.bench.resume",
    "tests.bench.serve_load",
    "tests.bench.connections",
    "tests.bench.long_answer",
    "tests.bench.history_search",
]


def main(arguments: list[str]) -> int:
    verbose = "-v" in arguments
    selected = [word for word in arguments if word != "-v"]
    figures.CURRENT.machine.update(_machine())
    print(_describe(figures.CURRENT.machine))
    failures = []
    for name in MODULES:
        if selected and not any(word in name for word in selected):
            continue
        short = name.rsplit(".", 1)[1]
        figures.CURRENT.module = short
        started = time.monotonic()
        print(f"{short} …", end=" ", file=sys.stderr, flush=True)
        lines = _run(name, verbose)
        figures.CURRENT.lines[short] = lines
        print(f"{time.monotonic() - started:.1f} s", file=sys.stderr)
        if verbose:
            print("\n".join(f"   {line}" for line in lines), file=sys.stderr)
        failures += [f"{short}: {line}" for line in lines if line.startswith("FAILED")]
    print()
    print("\n".join(figures.CURRENT.table() + failures))
    print(f"\nwritten to {figures.CURRENT.write().relative_to(os.getcwd())}")
    return 1 if failures else 0


def _run(module: str, verbose: bool) -> list[str]:
    """The module's detail lines; modules that run the function in-process would print its logs
    and EMF documents into the table, so stdout goes elsewhere meanwhile."""
    with (
        open(os.devnull, "w") as devnull,
        contextlib.redirect_stdout(sys.stderr if verbose else devnull),
    ):
        try:
            lines: list[str] = importlib.import_module(module).run()
        except Exception as exc:
            lines = [f"FAILED: {exc!r}"]
    return lines


def _machine() -> dict[str, object]:
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "load": [round(value, 2) for value in os.getloadavg()],
    }


def _describe(machine: dict[str, object]) -> str:
    load = ", ".join(f"{value:.2f}" for value in machine["load"])  # type: ignore[attr-defined]
    return (
        f"stream-chat benchmarks: Python {machine['python']}, {machine['cpus']} CPUs, "
        f"{machine['arch']}, {machine['system']}, load {load}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The figures a benchmark run produces: one table on screen, one JSON file per run.

Each benchmark module records its headline numbers with ``record``; ``__main__`` prints them as
one table and writes them, with every module's detail lines, to ``tests/bench/results/`` (not
committed) so that runs can be compared.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Figure:
    module: str
    name: str
    value: float
    unit: str


@dataclass
class Run:
    machine: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)
    module: str = ""

    def table(self) -> list[str]:
        width = max((len(f"{f.module}: {f.name}") for f in self.figures), default=10)
        rows = [f"{'figure'.ljust(width)}  {'value':>10}  unit", "-" * (width + 20)]
        rows += [
            f"{f'{f.module}: {f.name}'.ljust(width)}  {_number(f.value):>10}  {f.unit}"
            for f in self.figures
        ]
        return rows

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = directory / f"bench-{stamp}.json"
        document = {
            "machine": self.machine,
            "figures": [asdict(f) for f in self.figures],
            "details": self.details,
            "lines": self.lines,
        }
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return path


CURRENT = Run(machine={})


def record(name: str, value: float, unit: str) -> float:
    """Add a headline figure of the running module to the table."""
    CURRENT.figures.append(Figure(CURRENT.module, name, round(float(value), 3), unit))
    return value


def detail(name: str, value: Any) -> None:
    """Add structured detail (e.g. an import breakdown) to the JSON only."""
    CURRENT.details.setdefault(CURRENT.module, {})[name] = value


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"

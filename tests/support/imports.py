"""What importing a module loads, seen from a fresh interpreter (this one has imported it all)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def modules_loaded_by(module: str, env: Mapping[str, str], *, init: bool = False) -> set[str]:
    """The names in ``sys.modules`` once ``module`` is imported with ``env`` (plus the function
    code on ``PYTHONPATH``) and, with ``init``, its ``lambda_handler`` built as the runtime's init
    builds it."""
    build = f"{module}.lambda_handler.init(); " if init else ""
    code = f"import sys, {module}; {build}print(' '.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(FUNCTIONS)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def top_level(modules: set[str]) -> set[str]:
    """The packages ``modules`` belong to."""
    return {name.split(".")[0] for name in modules}

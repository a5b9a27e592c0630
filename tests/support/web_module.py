"""Read an export of one of the page's ES modules, as JSON, through node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

WEB_JS = Path(__file__).resolve().parents[2] / "web" / "js"


def exported(module: str, name: str) -> Any:
    """The value of ``name`` exported by ``web/js/<module>``, through ``JSON.stringify``."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is needed to read {module}")
    url = (WEB_JS / module).as_uri()
    script = f"const m = await import({json.dumps(url)});\n"
    script += f"console.log(JSON.stringify(m.{name}));"
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)

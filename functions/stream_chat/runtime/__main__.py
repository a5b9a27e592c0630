"""``python -m stream_chat.runtime``: the process Lambda starts through ``bootstrap``."""

from __future__ import annotations

import sys

from stream_chat.runtime.loop import main

if __name__ == "__main__":
    sys.exit(main())

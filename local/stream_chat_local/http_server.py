"""The threaded HTTP server the emulated Runtime API runs on (the public front is uvicorn's).

The Runtime API stays on the standard library: a streamed ``/response`` ends with HTTP trailers
(``Lambda-Runtime-Function-Error-Type``/``-Body``), which ASGI servers do not hand to the app,
so its chunked body is read by our own code (``chunked``). It listens on 127.0.0.1 for the one
worker process it serves, never for a browser.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class LocalServer(ThreadingHTTPServer):
    """Request threads never block shutdown, and a peer hanging up is not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

"""Client of the Lambda Runtime API (version 2018-06-01) for everything but a streamed response.

https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stream_chat.runtime.context import INVOCATION_ID, REQUEST_ID

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"


class RuntimeApiError(Exception):
    """The Runtime API could not be reached or refused a request: the environment is broken."""


@dataclass(frozen=True)
class Invocation:
    """One event from ``/next``: its raw JSON payload and the lowercased response headers."""

    event: bytes
    headers: Mapping[str, str]

    @property
    def request_id(self) -> str:
        return self.headers[REQUEST_ID]

    @property
    def invocation_id(self) -> str | None:
        return self.headers.get(INVOCATION_ID)


def split_address(address: str) -> tuple[str, int]:
    """``AWS_LAMBDA_RUNTIME_API`` is ``host:port``."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RuntimeApiError(f"AWS_LAMBDA_RUNTIME_API={address!r} is not host:port")
    return host, int(port)


class RuntimeApi:
    """``/next``, ``/error``, ``/init/error`` and SnapStart's calls, over one connection."""

    def __init__(self, address: str) -> None:
        self.address = address
        # timeout=None: /next blocks for as long as the environment has no event (the process may
        # even be frozen in between); a client timeout would turn that into a spurious failure.
        self._conn = http.client.HTTPConnection(*split_address(address), timeout=None)

    def close(self) -> None:
        """Drop the connection; the next request opens a new one."""
        self._conn.close()

    def next_invocation(self) -> Invocation:
        status, headers, body = self._request("GET", f"{PREFIX}/invocation/next")
        if status != 200 or REQUEST_ID not in headers:
            raise RuntimeApiError(f"/next answered {status}: {body[:200]!r}")
        return Invocation(body, headers)

    def post_response(self, invocation: Invocation, payload: bytes) -> None:
        """A buffered response: the handler's whole JSON answer in one request."""
        headers = {"Content-Type": "application/json"}
        if invocation.invocation_id:
            headers[INVOCATION_ID] = invocation.invocation_id
        path = f"{PREFIX}/invocation/{invocation.request_id}/response"
        status, _, answer = self._request("POST", path, payload, headers)
        if status >= 300:
            raise RuntimeApiError(f"POST {path} answered {status}: {answer[:200]!r}")

    def post_error(self, invocation: Invocation, diagnostic: Mapping[str, Any]) -> None:
        """Fail an invocation whose response has not started."""
        headers = {ERROR_TYPE: str(diagnostic["errorType"])}
        if invocation.invocation_id:
            headers[INVOCATION_ID] = invocation.invocation_id
        path = f"{PREFIX}/invocation/{invocation.request_id}/error"
        self._post(path, diagnostic, headers)

    def post_init_error(self, diagnostic: Mapping[str, Any]) -> None:
        self._post(f"{PREFIX}/init/error", diagnostic, {ERROR_TYPE: str(diagnostic["errorType"])})

    def restore_next(self) -> None:
        """SnapStart: init is done. The answer (200) comes in a copy restored from the snapshot."""
        status, _, body = self._request("GET", f"{PREFIX}/restore/next")
        if status != 200:
            raise RuntimeApiError(f"/restore/next answered {status}: {body[:200]!r}")

    def post_restore_error(self, diagnostic: Mapping[str, Any]) -> None:
        headers = {ERROR_TYPE: str(diagnostic["errorType"])}
        self._post(f"{PREFIX}/restore/error", diagnostic, headers)

    def _post(self, path: str, diagnostic: Mapping[str, Any], headers: dict[str, str]) -> None:
        body = json.dumps(diagnostic).encode()
        headers["Content-Type"] = "application/json"
        status, _, answer = self._request("POST", path, body, headers)
        if status >= 300:
            raise RuntimeApiError(f"POST {path} answered {status}: {answer[:200]!r}")

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            self._conn.request(method, path, body, dict(headers or {}))
            response = self._conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._conn.close()
            raise RuntimeApiError(f"{method} {path}: {exc!r}") from exc
        lowered = {name.lower(): value for name, value in response.getheaders()}
        return response.status, lowered, payload

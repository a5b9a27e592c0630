"""The HTTP client of one request, as the ASGI server presents it: ``send``, and whether it left."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from stream_chat_local.http_head import Answer, Headers

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]


class Client:
    """The HTTP client of one request: the ASGI ``send``, and whether the client went away."""

    def __init__(self, send: Send, receive: Receive, on_gone: Callable[[str], None]) -> None:
        self.started = False
        self.gone = False
        self.stream_id: str | None = None  # from the prelude's x-stream-id, for the cancel
        self._send = send
        self._finishing = False
        self._on_gone = on_gone
        self._watch = asyncio.create_task(self._watch_disconnect(receive))

    @property
    def finished(self) -> bool:
        """The whole response is written (or being written): nothing more may follow."""
        return self._finishing

    async def start(self, status: int, headers: Headers) -> None:
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": headers})

    async def write(self, data: bytes) -> None:
        await self._send({"type": "http.response.body", "body": data, "more_body": True})

    async def end(self) -> None:
        self._finishing = True
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def answer(self, answer: Answer) -> None:
        self.started = self._finishing = True
        await send_answer(self._send, answer)

    def close(self) -> None:
        self._watch.cancel()

    async def _watch_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if not self._finishing:
            self.gone = True
            if self.stream_id:
                self._on_gone(self.stream_id)


async def send_answer(send: Send, answer: Answer) -> None:
    """A whole response with its length (HEAD gets the head only, from the server)."""
    length = (b"content-length", str(len(answer.body)).encode())
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [*answer.headers, length],
        }
    )
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})

"""A chat stream answered by the test itself, through Playwright's routing: the frames of protocol
v2 as the server sends them, whatever the server in this checkout already sends."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, Route

Frame = dict[str, Any]


def encode(frames: list[Frame], first_id: int = 1) -> bytes:
    """The SSE body of `frames`, each named by its type, as the server writes them; the first
    has the id `first_id` (a resume sends the frames after the one it was asked for)."""
    return "".join(
        f"id: {i}\nevent: {frame['type']}\ndata: {json.dumps(frame)}\n\n"
        for i, frame in enumerate(frames, first_id)
    ).encode()


def answer_with(page: Page, frames: list[Frame]) -> list[dict[str, Any]]:
    """Answer every chat request of `page` with `frames`; returns the request bodies, as sent."""
    bodies: list[dict[str, Any]] = []

    def fulfil(route: Route) -> None:
        bodies.append(route.request.post_data_json)
        route.fulfill(
            status=200,
            headers={"content-type": "text/event-stream", "x-stream-id": "canned-1"},
            body=encode(frames),
        )

    page.route("**/api/chat/stream", fulfil)
    return bodies


def with_features(page: Page, **features: bool) -> None:
    """Reload `page` with config.json offering `features` (thinking, search)."""

    def fulfil(route: Route) -> None:
        response = route.fetch()
        config = response.json()
        config["features"] = {"thinking": False, "search": False, **features}
        route.fulfill(response=response, body=json.dumps(config))

    page.route("**/config.json", fulfil)
    page.reload()
    page.wait_for_selector("html[data-ready='true']")


def start() -> Frame:
    return {"type": "start", "stream_id": "canned-1", "model": "claude-test"}


def text(value: str) -> Frame:
    return {"type": "text", "text": value}


def ending(reason: str, **usage: Any) -> list[Frame]:
    """The final usage and done frames of an answer that stopped for `reason`."""
    counts = {"input_tokens": 10, "output_tokens": 20, **usage}
    return [
        {"type": "usage", **counts, "stop_reason": reason},
        {"type": "done", "stop_reason": reason},
    ]

"""What one answer costs the instance: upstream connections opened, and peak memory.

Answers stream through ``serve`` (one worker, the real handler, the SDK) from the fake
Anthropic server, which counts the TCP connections it accepts. A pooled client opens one for
the first answer and reuses it after; more per answer would mean a handshake (and, on AWS, TLS)
before every first token. Peak RSS is each instance's high-water mark (``VmHWM``) after the
answers (and one cancel, for the cancel function): what each function's memory setting must hold.
"""

from __future__ import annotations

import http.client

from tests.bench.figures import record
from tests.bench.processes import peak_rss_mb, post_chunks, serve
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.serve import clean_env

ANSWERS = 20
CHAT = {"messages": [{"role": "user", "content": "Hello"}]}
REPLY = Reply(texts=[f"w{n} " for n in range(200)])


def run() -> list[str]:
    with FakeAnthropic(REPLY) as fake:
        env = clean_env(ANTHROPIC_BASE_URL=fake.base_url, ANTHROPIC_API_KEY=fake.api_key)
        with serve(env=env) as server:
            _answer(server.url)
            first = fake.connections
            for _ in range(ANSWERS):
                _answer(server.url)
            later = (fake.connections - first) / ANSWERS
            _cancel(server.url)
            rss = peak_rss_mb(server.worker())
            cancel_rss = peak_rss_mb(server.worker(b"stream-chat-cancel"))
    record("upstream connections, first answer", first, "count")
    record("upstream connections per later answer", later, "count")
    record("peak RSS per instance, streaming function", rss, "MB")
    record("peak RSS per instance, cancel function", cancel_rss, "MB")
    return [
        f"{ANSWERS + 1} answers of 200 deltas through serve, one worker, the real handler",
        f"upstream connections opened: {first} for the first answer, "
        f"{later:.2f} per answer after it",
        f"peak RSS (VmHWM): streaming instance {rss:.1f} MB, cancel instance {cancel_rss:.1f} MB",
    ]


def _cancel(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST", f"/api/chat/stream/{'x' * 32}/cancel", body=b"")
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 202:
        raise RuntimeError(f"the cancel was answered {response.status}")


def _answer(url: str) -> None:
    chunks = list(post_chunks(url, "/api/chat/stream", CHAT))
    if b'"stop_reason":"end_turn"' not in chunks[-1][1]:
        raise RuntimeError(f"the answer did not complete: {chunks[-1][1][:200]!r}")

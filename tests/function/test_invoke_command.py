"""``stream-chat invoke`` prints the live stream, from the demo model and from Anthropic."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.support.protocol import ProtocolReader, text_of, types_of
from tests.support.stores import is_cancelled

ROOT = Path(__file__).resolve().parents[2]


def command() -> list[str]:
    found = shutil.which("stream-chat", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "stream_chat_local.cli"]


def run_invoke(
    event: str, env: dict[str, str], timeout: float = 60
) -> tuple[ProtocolReader, list[float], str]:
    """Run the command, reading stdout as it arrives; returns frames and their arrival times."""
    process = subprocess.Popen(
        [*command(), "invoke", f"events/{event}.json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )
    reader, arrivals = ProtocolReader(), []
    assert process.stdout is not None
    try:
        while chunk := process.stdout.read1(65536):
            for _ in reader.feed(chunk):
                arrivals.append(time.monotonic())
        _, err = process.communicate(timeout=timeout)
    finally:
        process.kill()
        process.wait()
    reader.close()
    return reader, arrivals, err.decode()


def test_invoke_streams_the_demo_model_live() -> None:
    reader, arrivals, err = run_invoke("chat", {"STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0.01"})
    frames = reader.frames
    assert frames[0]["model"] == "demo" and frames[-1]["stop_reason"] == "end_turn"
    assert "provider: demo" in err
    assert arrivals[-1] - arrivals[0] > 0.3  # frames arrived over time, not at the end


def test_invoke_leaves_no_cancel_registry_behind(tmp_path: Path) -> None:
    env = {"TMPDIR": str(tmp_path), "STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0"}
    reader, _, _ = run_invoke("chat", env)

    assert reader.frames[-1]["type"] == "done"
    assert list(tmp_path.iterdir()) == [], "no registry file shared in the temporary directory"


def test_invoke_streams_from_anthropic() -> None:
    with FakeAnthropic(Reply(texts=["one ", "two ", "three"], delay_s=0.2)) as fake:
        reader, arrivals, _ = run_invoke(
            "chat", {"ANTHROPIC_BASE_URL": fake.base_url, "ANTHROPIC_API_KEY": fake.api_key}
        )
    assert text_of(reader.frames) == "one two three"
    text_times = [t for t, f in zip(arrivals, reader.frames, strict=True) if f["type"] == "text"]
    assert text_times[-1] - text_times[0] > 0.3


@pytest.mark.parametrize(
    ("fault", "code"),
    [("overloaded_midstream", "provider_unavailable"), ("stall_with_pings", "stall_timeout")],
)
def test_invoke_ends_faults_well_formed(fault: str, code: str) -> None:
    reply = Reply(texts=["a ", "b ", "c"], fault=fault, ping_every_s=0.1)  # type: ignore[arg-type]
    with FakeAnthropic(reply) as fake:
        reader, _, _ = run_invoke(
            "chat",
            {
                "ANTHROPIC_BASE_URL": fake.base_url,
                "ANTHROPIC_API_KEY": fake.api_key,
                "STREAM_CHAT_STALL_TIMEOUT_S": "0.5",
            },
        )
        fake.wait_for_close(0, timeout=2)
    assert types_of(reader.frames) == ["start", "text", "text", "error", "usage", "done"]
    assert reader.frames[3]["code"] == code


def test_invoke_runs_a_cancel_event_through_the_cancel_function(tmp_path: Path) -> None:
    path = str(tmp_path / "cancel.sqlite3")
    env = {**os.environ, "STREAM_CHAT_CANCEL_SQLITE_PATH": path}
    result = subprocess.run(
        [*command(), "invoke", "events/cancel.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # stdout is exactly the buffered response's body; logs and notes go to stderr.
    assert result.stdout == b'{"stream_id":"3q2-example-stream-id-0123456789AB","cancelled":true}'
    assert b"cancel function" in result.stderr and b"HTTP 202" in result.stderr
    assert b'"message":"stream cancel recorded"' in result.stderr

    from stream_chat.cancellation.sqlite import SQLiteRegistry

    assert is_cancelled(SQLiteRegistry(path, ttl_s=60), "3q2-example-stream-id-0123456789AB")


def test_invoke_resumes_an_answer_an_earlier_invoke_journaled(tmp_path: Path) -> None:
    journal = {**os.environ, "STREAM_CHAT_JOURNAL_SQLITE_PATH": str(tmp_path / "journal.sqlite3")}
    journal["STREAM_CHAT_DEMO_TOKEN_DELAY_S"] = "0"

    def invoke(event: str) -> bytes:
        result = subprocess.run(
            [*command(), "invoke", "--quiet", event],
            cwd=ROOT,
            env=journal,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    live = invoke("events/chat.json")
    stream_id = live.split(b'"stream_id":"', 1)[1].split(b'"', 1)[0].decode()
    event = json.loads((ROOT / "events" / "chat.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/chat/stream/{stream_id}"
    event["requestContext"]["http"]["method"] = "GET"
    event["headers"]["last-event-id"] = "2"
    del event["body"]
    (tmp_path / "resume.json").write_text(json.dumps(event))

    frames = live.split(b"\n\n")
    assert invoke(str(tmp_path / "resume.json")) == b"\n\n".join(frames[2:])

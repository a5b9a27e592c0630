"""The rest of the local function URL: the page, its config, and cancel on disconnect (opt-in)."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.settings import ENV, Settings, SettingsError
from stream_chat_local.lambda_env import worker_env
from stream_chat_page import page_config
from tests.local.conftest import StartServe, alive
from tests.local.test_serve import DEMO, chat, read_stream
from tests.support.serve import ROOT, clean_env
from tests.support.stores import is_cancelled


def test_the_page_is_served_next_to_the_api(start_serve: StartServe, tmp_path: Path) -> None:
    web = tmp_path / "web"
    (web / "js").mkdir(parents=True)
    (web / "index.html").write_text("<h1>chat</h1>")
    (web / "js" / "main.js").write_text("export {};")
    (tmp_path / "secret.txt").write_text("no")
    serve = start_serve("--web-dir", str(web))

    index = serve.request("GET", "/")
    script = serve.request("GET", "/js/main.js")
    outside = serve.request("GET", "/../secret.txt")
    escaped = serve.request("GET", "/js/%2e%2e/%2e%2e/secret.txt")

    assert index.head()[0] == 200 and index.body() == b"<h1>chat</h1>"
    assert script.head()[1]["content-type"] == "text/javascript"
    assert outside.head()[0] == 404
    assert escaped.head()[0] == 404


def test_config_json_comes_from_the_settings(start_serve: StartServe) -> None:
    serve = start_serve(
        STREAM_CHAT_STALL_TIMEOUT_S="12",
        STREAM_CHAT_HEARTBEAT_S="3",
        STREAM_CHAT_FIRST_TOKEN_TIMEOUT_S="40",
        STREAM_CHAT_MAX_ATTACHMENT_BYTES="1000000",
        STREAM_CHAT_MAX_ATTACHMENTS="3",
        STREAM_CHAT_MAX_BODY_BYTES="4000000",
    )

    client = serve.request("GET", "/config.json")

    assert client.head()[0] == 200
    assert json.loads(client.body()) == {
        "apiBase": "",
        "provider": "demo",
        "stallTimeoutS": 12.0,
        "heartbeatS": 3.0,
        "firstTokenTimeoutS": 40.0,
        "auth": None,
        # serve's demo model shows thinking and search, so they are offered unless turned off.
        "features": {"thinking": True, "search": True},
        "attachments": {
            "maxFileBytes": 1_000_000,
            "maxFiles": 3,
            "maxRequestBytes": 4_000_000,
            "mediaTypes": ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"],
        },
        "models": ["claude-sonnet-4-6"],
        "model": "claude-sonnet-4-6",
    }


def test_config_json_lists_the_models_a_message_may_name(start_serve: StartServe) -> None:
    serve = start_serve(
        STREAM_CHAT_ALLOWED_MODELS="claude-haiku-4-5, claude-sonnet-4-6",
        STREAM_CHAT_MODEL="claude-sonnet-4-6",
    )

    client = serve.request("GET", "/config.json")

    assert client.head()[0] == 200
    config = json.loads(client.body())

    # In the allow-list's order: the deployment decides which the picker shows first.
    assert config["models"] == ["claude-haiku-4-5", "claude-sonnet-4-6"]
    assert config["model"] == "claude-sonnet-4-6"


def test_config_json_says_what_a_message_may_ask_for(start_serve: StartServe) -> None:
    serve = start_serve(
        STREAM_CHAT_THINKING="true", STREAM_CHAT_WEB_SEARCH="false", STREAM_CHAT_WEB_FETCH="true"
    )

    client = serve.request("GET", "/config.json")

    assert client.head()[0] == 200
    # Web fetch alone is a server tool: search is offered.
    assert json.loads(client.body())["features"] == {"thinking": True, "search": True}


def test_config_json_never_offers_search_on_bedrock() -> None:
    bedrock = {ENV["provider"]: "bedrock", "AWS_REGION": "eu-west-1", ENV["thinking"]: "true"}
    assert page_config(Settings.from_env(bedrock))["features"] == {
        "thinking": True,
        "search": False,
    }
    # Search cannot be switched on there: the function would not start.
    with pytest.raises(SettingsError, match=ENV["web_search"]):
        Settings.from_env({**bedrock, ENV["web_search"]: "true"})


def test_config_json_tells_the_page_how_to_sign_in(start_serve: StartServe) -> None:
    serve = start_serve("--auth-domain", "http://127.0.0.1:9/", "--auth-client-id", "page-client")

    client = serve.request("GET", "/config.json")

    assert client.head()[0] == 200
    auth = json.loads(client.body())["auth"]

    assert auth == {
        "kind": "cognito",
        "client_id": "page-client",
        "authorize_url": "http://127.0.0.1:9/oauth2/authorize",
        "token_url": "http://127.0.0.1:9/oauth2/token",
        "logout_url": "http://127.0.0.1:9/logout",
        "revoke_url": "http://127.0.0.1:9/oauth2/revoke",
        "scopes": ["openid", "email", "profile"],
    }
    # The page may reach the sign-in domain's token endpoint, and no other origin.
    page = serve.request("GET", "/")
    status, headers = page.head()[:2]
    assert status == 200
    directives = headers["content-security-policy"].split("; ")
    assert "connect-src 'self' http://127.0.0.1:9" in directives


def test_sign_in_options_come_in_pairs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stream_chat_local.cli", "serve", "--auth-domain", "http://x"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--auth-domain and --auth-client-id together" in result.stderr


def test_with_cancel_on_disconnect_a_client_that_disconnects_cancels_its_stream(
    start_serve: StartServe, tmp_path: Path
) -> None:
    slow = {**DEMO, "STREAM_CHAT_DEMO_TOKEN_DELAY_S": "0.05", "STREAM_CHAT_CANCEL_POLL_S": "0.05"}
    serve = start_serve("--workers", "1", "--cancel-on-disconnect", **slow)
    registry = SQLiteRegistry(str(tmp_path / "cancel.sqlite3"), ttl_s=60)

    client = serve.request("POST", "/api/chat/stream", chat("a long answer"))
    stream_id = client.head()[1]["x-stream-id"]
    client.chunk()
    client.close()

    deadline = time.monotonic() + 3
    while not is_cancelled(registry, stream_id) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert is_cancelled(registry, stream_id)
    # The one instance is free again long before the uncancelled answer (~10 s) would end.
    started = time.monotonic()
    follow = serve.request("POST", "/api/chat/stream", chat("next", max_tokens=3), timeout=30)
    assert follow.head()[0] == 200
    assert read_stream(follow)[-1] == {"type": "done", "stop_reason": "max_tokens"}
    assert time.monotonic() - started < 3


def test_ctrl_c_stops_serve_and_every_worker(start_serve: StartServe) -> None:
    serve = start_serve("--workers", "3", **DEMO)
    clients = [serve.request("POST", "/api/chat/stream", chat(f"q{n}")) for n in range(3)]
    for client in clients:
        assert client.head()[0] == 200
    workers = serve.workers()
    assert len(workers) == 5  # three streaming instances, the warm cancel and resume instances

    serve.process.send_signal(signal.SIGINT)

    assert serve.process.wait(15) == 0
    assert not [pid for pid in workers if alive(pid)]


def test_cancels_on_disconnect_share_one_registry() -> None:
    from stream_chat_local.front import Front

    class Recording:
        def __init__(self) -> None:
            self.cancelled: list[str] = []

        def cancel(self, stream_id: str, owner: str = "") -> None:
            self.cancelled.append(stream_id + owner)  # without sign-in the owner is empty

        def cancelled_at(self, stream_id: str, owner: str = "") -> float | None:
            return 0.0 if stream_id + owner in self.cancelled else None

    registry = Recording()
    front = Front([], None, None, registry)  # type: ignore[arg-type]

    for stream_id in ("a", "b", "a"):
        front.cancel(stream_id)

    assert registry.cancelled == ["a", "b", "a"]  # one registry, built once by serve


@pytest.mark.parametrize(
    ("environ", "thinking", "search"),
    [
        ({}, "true", "true"),  # the demo model: offered
        ({"STREAM_CHAT_THINKING": "false"}, "false", "true"),  # turned off: stays off
        ({"ANTHROPIC_API_KEY": "k"}, None, None),  # Claude: the settings' own default (off)
        ({"STREAM_CHAT_PROVIDER": "bedrock"}, None, None),
    ],
)
def test_serve_offers_thinking_and_search_only_with_the_demo_model(
    tmp_path: Path, environ: dict[str, str], thinking: str | None, search: str | None
) -> None:
    args = argparse.Namespace(handler="stream_chat.handler.lambda_handler", timeout=30.0)
    env = worker_env(environ, args, tmp_path)
    assert env.get("STREAM_CHAT_THINKING") == thinking
    assert env.get("STREAM_CHAT_WEB_SEARCH") == search

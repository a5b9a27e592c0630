from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stream_chat.settings import DEFAULT_BEDROCK_MODEL, DEFAULT_MODEL, ENV, Settings, SettingsError


def test_defaults_run_the_demo_model_without_a_key() -> None:
    settings = Settings.from_env({})
    assert settings.provider == "demo"
    assert settings.allowed_models == (DEFAULT_MODEL,)
    assert settings.heartbeat_s == 10.0
    assert settings.cancel_poll_s == 0.25


def test_a_key_or_a_secret_selects_anthropic() -> None:
    assert Settings.from_env({"ANTHROPIC_API_KEY": "k"}).provider == "anthropic"
    arn = "arn:aws:secretsmanager:us-east-1:1:secret:x"
    assert Settings.from_env({ENV["anthropic_secret_arn"]: arn}).provider == "anthropic"
    assert Settings.from_env({"ANTHROPIC_API_KEY": "k", ENV["provider"]: "demo"}).provider == "demo"


def test_every_variable_is_read() -> None:
    env = {
        ENV["model"]: "m2",
        ENV["allowed_models"]: "m1, m2",
        ENV["max_tokens"]: "77",
        ENV["system_prompt"]: "Be terse.",
        ENV["allow_client_system"]: "true",
        ENV["heartbeat_s"]: "2.5",
        ENV["cancel_backend"]: "dynamodb",
        ENV["cancel_table"]: "cancels",
        ENV["stall_timeout_s"]: "9",
    }
    settings = Settings.from_env(env)
    assert (settings.model, settings.allowed_models, settings.max_tokens) == (
        "m2",
        ("m1", "m2"),
        77,
    )
    assert settings.system_prompt == "Be terse." and settings.allow_client_system is True
    assert settings.heartbeat_s == 2.5 and settings.stall_timeout_s == 9.0
    assert (settings.cancel_backend, settings.cancel_table) == ("dynamodb", "cancels")


def test_env_names_cover_every_field_once() -> None:
    names = [field.name for field in dataclasses.fields(Settings)]
    assert sorted(names) == sorted(ENV)
    assert len(set(ENV.values())) == len(ENV)
    # Ours, and the AWS SDKs' standard variable for Bedrock's endpoint under its own name.
    ours = {value for value in ENV.values() if value.startswith("STREAM_CHAT_")}
    assert set(ENV.values()) - ours == {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME"}


def test_bedrock_defaults_to_its_own_model_and_the_function_region() -> None:
    settings = Settings.from_env({ENV["provider"]: "bedrock", "AWS_REGION": "eu-central-1"})
    assert settings.provider == "bedrock"
    assert settings.model == DEFAULT_BEDROCK_MODEL == "global.anthropic.claude-sonnet-4-6"
    assert settings.allowed_models == (DEFAULT_BEDROCK_MODEL,)
    assert settings.bedrock_region == "eu-central-1"
    assert settings.bedrock_endpoint_url is None
    # A key does not switch Bedrock off; only the setting chooses it.
    assert Settings.from_env({"ANTHROPIC_API_KEY": "k"}).provider == "anthropic"


def test_bedrock_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            ENV["provider"]: "bedrock",
            ENV["bedrock_region"]: "us-west-2",
            "AWS_REGION": "eu-central-1",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "https://vpce-1.bedrock-runtime.example",
            ENV["model"]: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
            ENV["allowed_models"]: "us.anthropic.claude-haiku-4-5-20251001-v1:0,"
            "anthropic.claude-sonnet-4-6",
        }
    )
    assert settings.bedrock_region == "us-west-2"
    assert settings.bedrock_endpoint_url == "https://vpce-1.bedrock-runtime.example"
    assert settings.allowed_models[1] == "anthropic.claude-sonnet-4-6"


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "meta.llama3-70b", "us.Anthropic.claude"])
def test_bedrock_needs_bedrock_model_ids(model: str) -> None:
    env = {ENV["provider"]: "bedrock", ENV["model"]: model}
    with pytest.raises(SettingsError, match=r"STREAM_CHAT_ALLOWED_MODELS.*Bedrock model id"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_tokens", "many"),
        ("max_tokens", "0"),
        ("heartbeat_s", "-1"),
        ("provider", "openai"),
        ("allow_client_system", "maybe"),
        ("cancel_backend", "redis"),
        ("allowed_models", " , "),
    ],
)
def test_an_invalid_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=ENV[name]):
        Settings.from_env({ENV[name]: value})


def test_the_model_must_be_allowed() -> None:
    with pytest.raises(SettingsError, match=ENV["model"]):
        Settings.from_env({ENV["model"]: "x", ENV["allowed_models"]: "y"})


def test_dynamodb_needs_a_table() -> None:
    with pytest.raises(SettingsError, match=ENV["cancel_table"]):
        Settings.from_env({ENV["cancel_backend"]: "dynamodb"})


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().max_tokens = 5  # type: ignore[misc]


def test_auth_and_limits_are_off_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.auth == "none" and not settings.limited
    assert settings.limits_backend == "sqlite"


def test_auth_and_limit_variables_are_read() -> None:
    env = {
        ENV["auth"]: "cognito",
        ENV["auth_issuer"]: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
        ENV["auth_client_id"]: "client123",
        ENV["limit_concurrent_streams"]: "2",
        ENV["limit_requests_per_minute"]: "10",
        ENV["limit_output_tokens_per_day"]: "50000",
        ENV["limits_backend"]: "dynamodb",
        ENV["limits_table"]: "limits",
    }
    settings = Settings.from_env(env)
    assert settings.auth == "cognito" and settings.auth_client_id == "client123"
    assert settings.auth_issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert settings.limited
    assert (
        settings.limit_concurrent_streams,
        settings.limit_requests_per_minute,
        settings.limit_output_tokens_per_day,
    ) == (2, 10, 50000)
    assert (settings.limits_backend, settings.limits_table) == ("dynamodb", "limits")


@pytest.mark.parametrize(
    "issuer",
    ["http://127.0.0.1:8123/pool", "http://localhost/pool", "https://idp.example/pool"],
)
def test_issuer_accepts_https_or_local_http(issuer: str) -> None:
    settings = Settings(auth="cognito", auth_issuer=issuer, auth_client_id="c")
    assert settings.auth_issuer == issuer


@pytest.mark.parametrize(
    "issuer",
    [
        None,
        "",
        "http://idp.example/pool",
        "http://127.0.0.2/pool",
        "ftp://127.0.0.1/pool",
        "https:///pool",
        "https://idp.example/pool/",
        "https://idp.example/pool?x=1",
    ],
)
def test_bad_issuers_are_refused(issuer: str | None) -> None:
    with pytest.raises(SettingsError, match=ENV["auth_issuer"]):
        Settings(auth="cognito", auth_issuer=issuer, auth_client_id="c")


def test_cognito_needs_a_client_id() -> None:
    with pytest.raises(SettingsError, match=ENV["auth_client_id"]):
        Settings(auth="cognito", auth_issuer="https://idp.example/pool")


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({ENV["auth"]: "iam"}, ENV["auth"]),
        ({ENV["limit_concurrent_streams"]: "0"}, ENV["limit_concurrent_streams"]),
        ({ENV["limit_requests_per_minute"]: "lots"}, ENV["limit_requests_per_minute"]),
        ({ENV["limit_output_tokens_per_day"]: "1", ENV["limits_backend"]: "dynamodb"}, "TABLE"),
        ({ENV["limits_backend"]: "redis"}, ENV["limits_backend"]),
    ],
)
def test_bad_auth_and_limit_values_are_refused(env: dict[str, str], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        Settings.from_env(env)


def test_thinking_and_the_server_tools_are_off_by_default() -> None:
    settings = Settings.from_env({})
    assert (settings.thinking, settings.web_search, settings.web_fetch) == (False, False, False)
    assert not settings.search
    assert (settings.thinking_mode, settings.thinking_display) == ("auto", "summarized")
    assert settings.thinking_budget_tokens == 4096
    assert (settings.web_search_max_uses, settings.web_fetch_max_uses) == (5, 3)
    assert settings.web_search_allowed_domains == settings.web_fetch_allowed_domains == ()


def test_thinking_and_server_tool_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            ENV["thinking"]: "true",
            ENV["thinking_mode"]: "budget",
            ENV["thinking_budget_tokens"]: "2048",
            ENV["thinking_display"]: "omitted",
            ENV["web_search"]: "on",
            ENV["web_search_max_uses"]: "2",
            ENV["web_search_allowed_domains"]: "Docs.Python.org, example.com/Blog/*",
            ENV["web_fetch"]: "yes",
            ENV["web_fetch_max_uses"]: "1",
            ENV["web_fetch_allowed_domains"]: "example.org",
            ENV["web_fetch_max_content_tokens"]: "5000",
        }
    )
    assert settings.thinking and settings.search
    assert (settings.thinking_mode, settings.thinking_budget_tokens) == ("budget", 2048)
    assert settings.thinking_display == "omitted"
    assert (settings.web_search, settings.web_search_max_uses) == (True, 2)
    # Hosts are case-insensitive, paths are not.
    assert settings.web_search_allowed_domains == ("docs.python.org", "example.com/Blog/*")
    assert (settings.web_fetch, settings.web_fetch_max_uses) == (True, 1)
    assert settings.web_fetch_allowed_domains == ("example.org",)
    assert settings.web_fetch_max_content_tokens == 5000
    assert Settings.from_env({ENV["web_fetch"]: "true"}).search  # fetch alone is a server tool


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({ENV["thinking_budget_tokens"]: "1023"}, "STREAM_CHAT_THINKING_BUDGET_TOKENS must be"),
        ({ENV["thinking_budget_tokens"]: "lots"}, ENV["thinking_budget_tokens"]),
        ({ENV["thinking_mode"]: "manual"}, ENV["thinking_mode"]),
        ({ENV["thinking_display"]: "full"}, ENV["thinking_display"]),
        ({ENV["thinking"]: "sometimes"}, ENV["thinking"]),
        ({ENV["web_search"]: "maybe"}, ENV["web_search"]),
        ({ENV["web_search_max_uses"]: "0"}, "STREAM_CHAT_WEB_SEARCH_MAX_USES must be at least 1"),
        ({ENV["web_fetch_max_uses"]: "-2"}, "STREAM_CHAT_WEB_FETCH_MAX_USES must be at least 1"),
        ({ENV["web_fetch_max_content_tokens"]: "0"}, ENV["web_fetch_max_content_tokens"]),
    ],
)
def test_bad_thinking_and_server_tool_values_name_their_variable(
    env: dict[str, str], match: str
) -> None:
    with pytest.raises(SettingsError, match=match):
        Settings.from_env(env)


def test_the_thinking_budget_and_the_answer_cap_share_one_output_limit() -> None:
    # Thinking gets its budget on top of the answer's cap: together within the API's output.
    on = {ENV["thinking"]: "true", ENV["max_tokens"]: "64000"}
    assert Settings.from_env({**on, ENV["thinking_budget_tokens"]: "64000"}).thinking
    with pytest.raises(SettingsError, match=r"THINKING_BUDGET_TOKENS plus STREAM_CHAT_MAX_TOKENS"):
        Settings.from_env({**on, ENV["thinking_budget_tokens"]: "64001"})
    # Off, the budget is never spent, so only its own range is checked.
    off = {ENV["max_tokens"]: "128000", ENV["thinking_budget_tokens"]: "4096"}
    assert not Settings.from_env(off).thinking


@pytest.mark.parametrize(
    ("domain", "why"),
    [
        ("https://example.com", "leave out the scheme"),
        ("*.example.com", "one wildcard at most, in the path"),
        ("ex*.com", "one wildcard at most, in the path"),
        ("example.com/*/news/*", "one wildcard at most, in the path"),
        ("аmazon.com", "not a domain"),  # a Cyrillic а: a look-alike of another site
        ("localhost", "not a domain"),
        ("exa mple.com", "not a domain"),
        ("-example.com", "not a domain"),
        ("example.com?q=1", "not a domain"),
    ],
)
def test_allowed_domains_must_be_plain_domains(domain: str, why: str) -> None:
    for name in ("web_search_allowed_domains", "web_fetch_allowed_domains"):
        with pytest.raises(SettingsError, match=rf"^{ENV[name]}=.*{why}"):
            Settings.from_env({ENV[name]: f"example.org, {domain}"})


@pytest.mark.parametrize("tool", ["web_search", "web_fetch"])
def test_bedrock_refuses_the_server_tools_at_start_up(tool: str) -> None:
    env = {ENV["provider"]: "bedrock", "AWS_REGION": "us-east-1", ENV[tool]: "true"}
    with pytest.raises(SettingsError, match=rf"^{ENV[tool]}=true: Amazon Bedrock does not offer"):
        Settings.from_env(env)
    # Thinking is Claude's own, and Bedrock offers it.
    thinking = Settings.from_env({**env, ENV[tool]: "false", ENV["thinking"]: "true"})
    assert thinking.thinking and not thinking.search


def test_every_variable_is_in_the_readme_configuration_table() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`") for line in table.splitlines() if "| `" in line}
    assert set(ENV.values()) - rows == set()


def test_file_limits_are_read_and_fit_a_function_url() -> None:
    default = Settings()
    # A function URL takes 6 MiB in all; the body gets all but the room for headers.
    assert default.max_body_bytes == 5 * 1024 * 1024
    assert (default.max_attachment_bytes, default.max_attachments) == (3 * 1024 * 1024, 5)
    env = {ENV["max_attachment_bytes"]: "1000000", ENV["max_attachments"]: "0"}
    settings = Settings.from_env(env)
    assert (settings.max_attachment_bytes, settings.max_attachments) == (1_000_000, 0)


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"max_body_bytes": str(5 * 1024 * 1024 + 1)}, "may be at most 5242880: a function URL"),
        ({"max_attachments": "-1"}, "must be at least 0"),
        ({"max_attachments": "many"}, "STREAM_CHAT_MAX_ATTACHMENTS='many'"),
        ({"max_attachment_bytes": "0"}, "must be at least 1"),
    ],
)
def test_file_limits_that_cannot_work_are_refused(env: dict[str, str], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        Settings.from_env({ENV[name]: value for name, value in env.items()})

from __future__ import annotations

import dataclasses

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

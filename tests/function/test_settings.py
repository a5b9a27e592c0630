from __future__ import annotations

import dataclasses

import pytest

from stream_chat.settings import DEFAULT_MODEL, ENV, Settings, SettingsError


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
    assert all(value.startswith("STREAM_CHAT_") for value in ENV.values())


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

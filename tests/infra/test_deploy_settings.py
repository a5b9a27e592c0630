"""DeploySettings: context values become a validated configuration, or a message naming the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.deploy_settings import (
    FUNCTION_KEYS,
    ORIGIN_READ_TIMEOUT_S,
    DeploySettings,
    DeploySettingsError,
)
from stream_chat.settings import ENV, Settings

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]


def settings(**context: Any) -> DeploySettings:
    return DeploySettings.from_values({f"stream-chat:{k}": v for k, v in context.items()})


def test_cdk_json_context_is_valid_and_defaults_to_anthropic() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    deploy = DeploySettings.from_values(context)
    assert deploy.function.provider == "anthropic"
    assert deploy.function.model in deploy.function.allowed_models
    assert deploy.timeout_s == context["stream-chat:timeout_s"]


def test_without_context_the_documented_defaults_apply() -> None:
    deploy = DeploySettings.from_values({})
    assert (deploy.memory_mb, deploy.timeout_s, deploy.log_retention_days) == (512, 180, 30)
    assert deploy.reserved_concurrency is None and deploy.waf_rate_limit is None
    assert deploy.cancel_reserved_concurrency == 5
    assert deploy.resume_reserved_concurrency is None
    assert deploy.function_env == {ENV["provider"]: "anthropic"}


def test_json_values_and_cli_strings_give_the_same_environment() -> None:
    from_json = settings(
        allowed_models=["a", "b"],
        model="b",
        max_tokens=64,
        allow_client_system=True,
        stall_timeout_s=12.5,
    )
    from_cli = settings(
        allowed_models="a,b",
        model="b",
        max_tokens="64",
        allow_client_system="true",
        stall_timeout_s="12.5",
    )
    assert from_json.function_env == from_cli.function_env
    assert from_json.function_env[ENV["allowed_models"]] == "a,b"
    assert from_json.function == Settings.from_env(from_cli.function_env)
    assert from_json.function.allow_client_system is True


def test_null_leaves_a_function_setting_at_its_default() -> None:
    assert ENV["system_prompt"] not in settings(system_prompt=None).function_env


def test_cli_strings_for_deploy_values_are_parsed() -> None:
    deploy = settings(
        memory_mb="1024",
        reserved_concurrency="3",
        cancel_table_pitr="true",
        waf_rate_limit="none",
        anthropic_secret_name="team/anthropic",
    )
    assert deploy.memory_mb == 1024 and deploy.reserved_concurrency == 3
    assert deploy.cancel_table_pitr is True and deploy.waf_rate_limit is None
    assert deploy.anthropic_secret_name == "team/anthropic"


@pytest.mark.parametrize(
    ("context", "named"),
    [
        ({"max_tokens": "lots"}, "stream-chat:max_tokens"),
        ({"max_tokens": 0}, "stream-chat:max_tokens"),
        ({"provider": "openai"}, "stream-chat:provider"),
        ({"model": "gpt", "allowed_models": ["claude-haiku-4-5"]}, "stream-chat:model"),
        ({"stall_timeout_s": -1}, "stream-chat:stall_timeout_s"),
        ({"memory_mb": 64}, "stream-chat:memory_mb"),
        ({"timeout_s": 901}, "stream-chat:timeout_s"),
        ({"timeout_s": 1.5}, "stream-chat:timeout_s"),
        ({"reserved_concurrency": 0}, "stream-chat:reserved_concurrency"),
        ({"cancel_reserved_concurrency": 0}, "stream-chat:cancel_reserved_concurrency"),
        ({"resume_reserved_concurrency": 0}, "stream-chat:resume_reserved_concurrency"),
        ({"resume_reserved_concurrency": "some"}, "stream-chat:resume_reserved_concurrency"),
        ({"resume_reserved_concurrency": True}, "stream-chat:resume_reserved_concurrency"),
        ({"log_retention_days": 31}, "stream-chat:log_retention_days"),
        ({"waf_rate_limit": 5}, "stream-chat:waf_rate_limit"),
        ({"cancel_table_pitr": "maybe"}, "stream-chat:cancel_table_pitr"),
        ({"anthropic_secret_name": "no spaces allowed"}, "stream-chat:anthropic_secret_name"),
        ({"heartbeat_s": ORIGIN_READ_TIMEOUT_S}, "stream-chat:heartbeat_s"),
        ({"max_token": 10}, "stream-chat:max_token"),
        ({"system_prompt": {"nested": "object"}}, "stream-chat:system_prompt"),
        ({"alarm_email": "not-an-address"}, "stream-chat:alarm_email"),
        ({"daily_cost_budget_usd": 0}, "stream-chat:daily_cost_budget_usd"),
        ({"daily_cost_budget_usd": "lots"}, "stream-chat:daily_cost_budget_usd"),
        ({"error_endings_alarm": 0}, "stream-chat:error_endings_alarm"),
        ({"prices": {"m": {"input": 1}}}, "stream-chat:prices"),
        ({"log_content": "perhaps"}, "stream-chat:log_content"),
    ],
)
def test_a_bad_value_fails_naming_its_context_key(context: dict[str, Any], named: str) -> None:
    with pytest.raises(DeploySettingsError, match=named):
        settings(**context)


@pytest.mark.parametrize(
    "key",
    [
        "cancel_table",
        "cancel_backend",
        "anthropic_secret_arn",
        "journal_backend",
        "journal_table",
        "journal_sqlite_path",
    ],
)
def test_what_the_stack_wires_cannot_be_set_from_context(key: str) -> None:
    assert key not in FUNCTION_KEYS
    with pytest.raises(DeploySettingsError, match="unknown"):
        settings(**{key: "x"})


def test_other_context_keys_are_left_alone() -> None:
    deploy = DeploySettings.from_values({"@aws-cdk/core:someFlag": True, "acknowledged": [1]})
    assert deploy == DeploySettings.from_values({})


def test_the_cancel_reservation_can_be_switched_off() -> None:
    # New accounts may have no concurrency to reserve: null (or "none") deploys without it.
    assert settings(cancel_reserved_concurrency=None).cancel_reserved_concurrency is None
    assert settings(cancel_reserved_concurrency="none").cancel_reserved_concurrency is None
    assert settings(cancel_reserved_concurrency="2").cancel_reserved_concurrency == 2


def test_the_resume_function_reserves_instances_only_when_asked() -> None:
    assert settings(resume_reserved_concurrency=None).resume_reserved_concurrency is None
    assert settings(resume_reserved_concurrency="none").resume_reserved_concurrency is None
    assert settings(resume_reserved_concurrency="4").resume_reserved_concurrency == 4
    assert settings(resume_reserved_concurrency=20).resume_reserved_concurrency == 20


def test_sign_in_is_on_unless_turned_off_by_name() -> None:
    assert DeploySettings.from_values({}).auth == "cognito"
    assert settings(auth="none").auth == "none"
    with pytest.raises(DeploySettingsError, match="stream-chat:auth"):
        settings(auth="off")
    deploy = DeploySettings.from_values({})
    assert (deploy.self_sign_up, deploy.allowed_email_domains) == (False, ())


def test_allowed_email_domains_are_normalised_and_need_self_sign_up() -> None:
    deploy = settings(self_sign_up=True, allowed_email_domains="Example.COM, example.org")
    assert deploy.allowed_email_domains == ("example.com", "example.org")
    assert settings(self_sign_up="true", allowed_email_domains=["a.example"]).self_sign_up
    with pytest.raises(DeploySettingsError, match="needs stream-chat:auth=cognito"):
        settings(allowed_email_domains=["example.com"])
    with pytest.raises(DeploySettingsError, match="stream-chat:allowed_email_domains"):
        settings(self_sign_up=True, allowed_email_domains=["not a domain"])


@pytest.mark.parametrize("prefix", ["chat", "my-chat-42"])
def test_a_chosen_domain_prefix_is_kept(prefix: str) -> None:
    assert settings(auth_domain_prefix=prefix).auth_domain_prefix == prefix


@pytest.mark.parametrize("prefix", ["Chat", "-chat", "chat-", "my_chat", "aws-chat", "x" * 64])
def test_a_domain_prefix_cognito_would_refuse_fails_at_synth(prefix: str) -> None:
    with pytest.raises(DeploySettingsError, match="stream-chat:auth_domain_prefix"):
        settings(auth_domain_prefix=prefix)


def test_limits_are_function_settings_with_cdk_json_defaults() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    deploy = DeploySettings.from_values(context)
    limits = deploy.function
    assert limits.limit_concurrent_streams == context["stream-chat:limit_concurrent_streams"]
    assert limits.limit_requests_per_minute == context["stream-chat:limit_requests_per_minute"]
    assert limits.limit_output_tokens_per_day == context["stream-chat:limit_output_tokens_per_day"]
    with pytest.raises(DeploySettingsError, match="stream-chat:limit_requests_per_minute"):
        settings(limit_requests_per_minute=0)
    # The stack, not the context, decides where limits and tokens are checked.
    for owned in ("limits_table", "auth_issuer", "auth_client_id", "limits_backend"):
        with pytest.raises(DeploySettingsError, match="unknown cdk context"):
            settings(**{owned: "x"})


def test_alarm_settings_and_the_price_table_from_context() -> None:
    table = {
        "claude-sonnet-4-6": {"input": 3, "output": 15, "cache_write": 3.75, "cache_read": 0.3}
    }
    deploy = settings(
        alarm_email="ops@example.com",
        daily_cost_budget_usd="12.5",
        error_endings_alarm=7,
        prices=table,
    )
    assert deploy.alarm_email == "ops@example.com"
    assert (deploy.daily_cost_budget_usd, deploy.error_endings_alarm) == (12.5, 7)
    assert json.loads(deploy.function_env[ENV["prices"]]) == table
    assert set(deploy.function.prices) == {"claude-sonnet-4-6"}
    assert DeploySettings.from_values({}).alarm_email is None


def test_thinking_and_the_server_tools_are_off_in_cdk_json_and_switch_on_by_key() -> None:
    shipped = DeploySettings.from_values(json.loads((ROOT / "cdk.json").read_text())["context"])
    assert not shipped.function.thinking and not shipped.function.search
    deploy = settings(
        thinking=True,
        thinking_budget_tokens=8000,
        web_search=True,
        web_search_max_uses=2,
        web_search_allowed_domains=["docs.python.org", "Example.COM/blog"],
        web_fetch="true",
        web_fetch_allowed_domains=[],
    )
    assert {k: v for k, v in deploy.function_env.items() if "THINKING" in k or "WEB_" in k} == {
        ENV["thinking"]: "true",
        ENV["thinking_budget_tokens"]: "8000",
        ENV["web_search"]: "true",
        ENV["web_search_max_uses"]: "2",
        ENV["web_search_allowed_domains"]: "docs.python.org,Example.COM/blog",
        ENV["web_fetch"]: "true",
        ENV["web_fetch_allowed_domains"]: "",
    }
    function = deploy.function
    assert function.web_search_allowed_domains == ("docs.python.org", "example.com/blog")
    assert function.web_fetch_allowed_domains == ()  # an empty list: any domain
    assert function.thinking_budget_tokens == 8000 and function.search


@pytest.mark.parametrize(
    ("context", "named"),
    [
        ({"thinking_budget_tokens": 512}, "stream-chat:thinking_budget_tokens"),
        (
            {"thinking": True, "max_tokens": 100_000, "thinking_budget_tokens": 30_000},
            "stream-chat:max_tokens, stream-chat:thinking_budget_tokens",
        ),
        ({"web_search_max_uses": 0}, "stream-chat:web_search_max_uses"),
        ({"web_fetch_allowed_domains": ["https://example.com"]}, "web_fetch_allowed_domains"),
        ({"thinking_mode": "manual"}, "stream-chat:thinking_mode"),
    ],
)
def test_a_bad_thinking_or_tool_value_fails_at_synth(context: dict[str, Any], named: str) -> None:
    with pytest.raises(DeploySettingsError, match=named):
        settings(**context)


@pytest.mark.parametrize("tool", ["web_search", "web_fetch"])
def test_bedrock_deployments_refuse_the_server_tools_at_synth(tool: str) -> None:
    model = "global.anthropic.claude-sonnet-4-6"
    context = {"provider": "bedrock", "model": model, "allowed_models": [model], tool: True}
    with pytest.raises(DeploySettingsError, match=rf"stream-chat:{tool}.*Amazon Bedrock"):
        settings(**context)
    assert settings(**{**context, tool: False, "thinking": True}).function.thinking

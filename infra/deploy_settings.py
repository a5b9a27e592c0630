"""Deployment configuration, read once from CDK context (``cdk.json`` or ``-c key=value``).

Every key lives under ``stream-chat:``. Keys named after a ``stream_chat.settings.Settings``
field become the function's environment and are validated by building that ``Settings``, so a
bad value fails at synth, naming the context key. The other keys size the infrastructure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from stream_chat.settings import ENV, Settings, SettingsError

PREFIX = "stream-chat:"
# CloudFront cuts a response after this many seconds without a byte; heartbeats must be sooner.
ORIGIN_READ_TIMEOUT_S = 60
# Set by the stack from the resources it creates, never from context.
# ``auth`` is read here (cognito or none) and the stack sets the function's auth variables.
INFRA_OWNED = frozenset(
    {
        "anthropic_secret_arn",
        "cancel_backend",
        "cancel_table",
        "cancel_sqlite_path",
        "auth",
        "auth_issuer",
        "auth_client_id",
        "limits_backend",
        "limits_table",
        "limits_sqlite_path",
        "journal_backend",
        "journal_table",
        "journal_sqlite_path",
    }
)
FUNCTION_KEYS = tuple(f.name for f in fields(Settings) if f.name not in INFRA_OWNED)
# The values CloudWatch Logs accepts.
# fmt: off
LOG_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                                1096, 1827, 2192, 2557, 2922, 3288, 3653})
# fmt: on
T = TypeVar("T")

if TYPE_CHECKING:
    from constructs import Node


class DeploySettingsError(ValueError):
    """A context value is invalid; the message names the ``stream-chat:`` key."""


@dataclass(frozen=True)
class DeploySettings:
    """Everything the stack needs to know, validated."""

    function_env: Mapping[str, str] = field(default_factory=lambda: {ENV["provider"]: "anthropic"})
    memory_mb: int = 512
    timeout_s: int = 180
    reserved_concurrency: int | None = None
    cancel_reserved_concurrency: int | None = 5
    resume_reserved_concurrency: int | None = None
    log_retention_days: int = 30
    waf_rate_limit: int | None = None
    anthropic_secret_name: str | None = None
    cancel_table_pitr: bool = False
    auth: str = "cognito"
    self_sign_up: bool = False
    allowed_email_domains: tuple[str, ...] = ()
    auth_domain_prefix: str | None = None
    alarm_email: str | None = None
    daily_cost_budget_usd: float = 10.0
    error_endings_alarm: int = 5
    bedrock_profile_regions: tuple[str, ...] | None = None

    @property
    def function(self) -> Settings:
        """The function's settings as it will read them (without the stack's own variables)."""
        return Settings.from_env(self.function_env)

    @classmethod
    def from_context(cls, node: Node) -> DeploySettings:
        """Read the context of ``node``, e.g. ``App.node``."""
        return cls.from_values(node.get_all_context())

    @classmethod
    def from_values(cls, context: Mapping[str, Any]) -> DeploySettings:
        """Validate the ``stream-chat:`` entries of a context mapping; ignore the others."""
        ours = {k[len(PREFIX) :]: v for k, v in context.items() if k.startswith(PREFIX)}
        unknown = sorted(set(ours) - set(FUNCTION_KEYS) - set(_DEPLOY_PARSERS))
        if unknown:
            raise DeploySettingsError(f"unknown cdk context key(s): {_keys(unknown)}")
        # null (as in cdk.json) leaves a function setting at the function's own default.
        env = _function_env({k: v for k, v in ours.items() if k in FUNCTION_KEYS and v is not None})
        values = {k: _deploy_value(k, v) for k, v in ours.items() if k in _DEPLOY_PARSERS}
        settings = cls(function_env=env, **values)  # type: ignore[arg-type]  # parsed per key
        settings._check_heartbeat()
        settings._check_provider()
        settings._check_sign_up()
        return settings

    def _check_provider(self) -> None:
        if self.function.provider != "bedrock" and self.bedrock_profile_regions is not None:
            raise DeploySettingsError(
                f"cdk context {PREFIX}bedrock_profile_regions applies to {PREFIX}provider=bedrock"
            )
        if self.function.provider == "bedrock" and self.anthropic_secret_name is not None:
            raise DeploySettingsError(
                f"cdk context {PREFIX}anthropic_secret_name: Bedrock needs no Anthropic key "
                f"({PREFIX}provider=bedrock)"
            )

    def _check_heartbeat(self) -> None:
        if self.function.heartbeat_s >= ORIGIN_READ_TIMEOUT_S:
            raise DeploySettingsError(
                f"cdk context {PREFIX}heartbeat_s must be below CloudFront's origin read timeout "
                f"({ORIGIN_READ_TIMEOUT_S} s), or idle streams are cut"
            )

    def _check_sign_up(self) -> None:
        if self.allowed_email_domains and not (self.auth == "cognito" and self.self_sign_up):
            raise DeploySettingsError(
                f"cdk context {PREFIX}allowed_email_domains limits self sign-up: it needs "
                f"{PREFIX}auth=cognito and {PREFIX}self_sign_up=true"
            )


def _function_env(values: Mapping[str, Any]) -> dict[str, str]:
    env = {ENV["provider"]: "anthropic"}
    env.update({ENV[key]: _env_text(key, value) for key, value in values.items()})
    try:
        Settings.from_env(env)
    except SettingsError as exc:
        named = [key for key in FUNCTION_KEYS if re.search(rf"\b{ENV[key]}\b", str(exc))]
        raise DeploySettingsError(f"cdk context {_keys(named)}: {exc}") from exc
    return env


def _env_text(key: str, value: Any) -> str:
    """A JSON context value (cdk.json) or a string (``-c``) as the function reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and key == "prices":  # the price table, as JSON
        return json.dumps(value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, str | int | float):
        return str(value)
    raise DeploySettingsError(f"cdk context {PREFIX}{key}: expected a string, number or list")


def _deploy_value(key: str, value: Any) -> object:
    try:
        return _DEPLOY_PARSERS[key](value)
    except (TypeError, ValueError) as exc:
        raise DeploySettingsError(f"cdk context {PREFIX}{key}={value!r}: {exc}") from exc


def _keys(names: list[str]) -> str:
    return ", ".join(PREFIX + name for name in names)


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError("expected an integer")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"expected an integer from {low} to {high}")
        return number

    return parse


def _optional(parse: Callable[[Any], T]) -> Callable[[Any], T | None]:
    def parse_optional(value: Any) -> T | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
            return None
        return parse(value)

    return parse_optional


def _retention(value: Any) -> int:
    days = _integer(1, 3653)(value)
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"CloudWatch Logs accepts {sorted(LOG_RETENTION_DAYS)}")
    return days


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("expected true or false")


def _regions(value: Any) -> tuple[str, ...]:
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names:
        raise ValueError("expected a list of AWS region names")
    regions = tuple(str(name).strip() for name in names)
    for region in regions:
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            raise ValueError(f"{region!r} is not an AWS region name")
    return regions


def _email(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("expected an e-mail address")
    return value


def _amount(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("expected an amount in USD")
    amount = float(value)
    if not amount > 0:
        raise ValueError("expected an amount in USD above 0")
    return amount


def _name(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9/_+=.@-]{1,512}", value):
        raise ValueError("expected a Secrets Manager secret name")
    return value


def _auth(value: Any) -> str:
    if value not in ("cognito", "none"):
        raise ValueError("expected cognito or none")
    return str(value)


def _email_domains(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected a list of e-mail domains")
    domains = tuple(str(item).strip().lower() for item in items if str(item).strip())
    for domain in domains:
        if not re.fullmatch(
            r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", domain
        ):
            raise ValueError(f"{domain!r} is not a domain name")
    return domains


def _domain_prefix(value: Any) -> str:
    # Cognito's rules: lowercase letters, digits and inner hyphens, and no AWS brand words.
    if not isinstance(value, str) or not re.fullmatch(
        r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", value
    ):
        raise ValueError("expected lowercase letters, digits and hyphens (at most 63)")
    if any(word in value for word in ("aws", "amazon", "cognito")):
        raise ValueError("Cognito refuses prefixes containing aws, amazon or cognito")
    return value


_DEPLOY_PARSERS: dict[str, Callable[[Any], object]] = {
    "memory_mb": _integer(128, 10240),
    # Lambda never stops a stream when its client goes away, so the timeout caps what a
    # forgotten stream can bill.
    "timeout_s": _integer(10, 900),
    "reserved_concurrency": _optional(_integer(1, 10_000)),
    # Instances kept for the cancel function alone, so streams can never throttle "Stop".
    # null turns the reservation off (new accounts may have no concurrency to reserve).
    "cancel_reserved_concurrency": _optional(_integer(1, 100)),
    # Instances kept for resuming answers; null (the default) shares the account's pool.
    "resume_reserved_concurrency": _optional(_integer(1, 10_000)),
    "log_retention_days": _retention,
    # Requests per 5 minutes per client IP address; AWS WAF accepts 10 and more.
    "waf_rate_limit": _optional(_integer(10, 2_000_000_000)),
    "anthropic_secret_name": _optional(_name),
    "cancel_table_pitr": _flag,
    # Sign-in: on (cognito) unless deliberately turned off.
    "auth": _auth,
    "self_sign_up": _flag,
    "allowed_email_domains": _email_domains,
    "auth_domain_prefix": _optional(_domain_prefix),
    # Alarms notify an SNS topic; with an address, the topic e-mails it (confirm the first mail).
    "alarm_email": _optional(_email),
    "daily_cost_budget_usd": _amount,
    # Streams ending in an error (timeouts, provider and internal errors) per 5 minutes.
    "error_endings_alarm": _integer(1, 1_000_000),
    # The regions a geographic inference profile routes to, when infra.bedrock_access's table
    # does not know them (a new model or region).
    "bedrock_profile_regions": _optional(_regions),
}

"""Configuration, read once from the environment into a frozen object and passed explicitly.

Every variable this function reads is named in ``ENV`` below and nowhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from stream_chat.accounting.pricing import DEFAULT_PRICES, PriceTable, parse_prices

Provider = Literal["anthropic", "bedrock", "demo"]
CancelBackend = Literal["dynamodb", "sqlite", "none"]
JournalBackend = Literal["dynamodb", "sqlite", "none"]
Auth = Literal["none", "cognito"]
LimitsBackend = Literal["dynamodb", "sqlite"]
ThinkingMode = Literal["auto", "adaptive", "budget"]
ThinkingDisplay = Literal["summarized", "omitted", "default"]
T = TypeVar("T")

ENV = {
    "provider": "STREAM_CHAT_PROVIDER",
    "model": "STREAM_CHAT_MODEL",
    "allowed_models": "STREAM_CHAT_ALLOWED_MODELS",
    "max_tokens": "STREAM_CHAT_MAX_TOKENS",
    "system_prompt": "STREAM_CHAT_SYSTEM_PROMPT",
    "allow_client_system": "STREAM_CHAT_ALLOW_CLIENT_SYSTEM",
    "heartbeat_s": "STREAM_CHAT_HEARTBEAT_S",
    "anthropic_secret_arn": "STREAM_CHAT_ANTHROPIC_SECRET_ARN",
    "bedrock_region": "STREAM_CHAT_BEDROCK_REGION",
    # The AWS SDKs' own variable for a service's endpoint, honoured under the same name.
    "bedrock_endpoint_url": "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "max_body_bytes": "STREAM_CHAT_MAX_BODY_BYTES",
    "max_attachment_bytes": "STREAM_CHAT_MAX_ATTACHMENT_BYTES",
    "max_attachments": "STREAM_CHAT_MAX_ATTACHMENTS",
    "max_messages": "STREAM_CHAT_MAX_MESSAGES",
    "max_chars": "STREAM_CHAT_MAX_CHARS",
    "demo_token_delay_s": "STREAM_CHAT_DEMO_TOKEN_DELAY_S",
    "first_token_timeout_s": "STREAM_CHAT_FIRST_TOKEN_TIMEOUT_S",
    "stall_timeout_s": "STREAM_CHAT_STALL_TIMEOUT_S",
    "deadline_margin_s": "STREAM_CHAT_DEADLINE_MARGIN_S",
    "connect_timeout_s": "STREAM_CHAT_CONNECT_TIMEOUT_S",
    "provider_attempts": "STREAM_CHAT_PROVIDER_ATTEMPTS",
    "cancel_backend": "STREAM_CHAT_CANCEL_BACKEND",
    "cancel_table": "STREAM_CHAT_CANCEL_TABLE",
    "cancel_sqlite_path": "STREAM_CHAT_CANCEL_SQLITE_PATH",
    "cancel_poll_s": "STREAM_CHAT_CANCEL_POLL_S",
    "cancel_ttl_s": "STREAM_CHAT_CANCEL_TTL_S",
    "journal_backend": "STREAM_CHAT_JOURNAL_BACKEND",
    "journal_table": "STREAM_CHAT_JOURNAL_TABLE",
    "journal_sqlite_path": "STREAM_CHAT_JOURNAL_SQLITE_PATH",
    "journal_ttl_s": "STREAM_CHAT_JOURNAL_TTL_S",
    "journal_flush_s": "STREAM_CHAT_JOURNAL_FLUSH_S",
    "log_content": "STREAM_CHAT_LOG_CONTENT",
    "prices": "STREAM_CHAT_PRICES_JSON",
    "auth": "STREAM_CHAT_AUTH",
    "auth_issuer": "STREAM_CHAT_AUTH_ISSUER",
    "auth_client_id": "STREAM_CHAT_AUTH_CLIENT_ID",
    "limit_concurrent_streams": "STREAM_CHAT_LIMIT_CONCURRENT_STREAMS",
    "limit_requests_per_minute": "STREAM_CHAT_LIMIT_REQUESTS_PER_MINUTE",
    "limit_output_tokens_per_day": "STREAM_CHAT_LIMIT_OUTPUT_TOKENS_PER_DAY",
    "limits_backend": "STREAM_CHAT_LIMITS_BACKEND",
    "limits_table": "STREAM_CHAT_LIMITS_TABLE",
    "limits_sqlite_path": "STREAM_CHAT_LIMITS_SQLITE_PATH",
    "thinking": "STREAM_CHAT_THINKING",
    "thinking_mode": "STREAM_CHAT_THINKING_MODE",
    "thinking_budget_tokens": "STREAM_CHAT_THINKING_BUDGET_TOKENS",
    "thinking_display": "STREAM_CHAT_THINKING_DISPLAY",
    "web_search": "STREAM_CHAT_WEB_SEARCH",
    "web_search_max_uses": "STREAM_CHAT_WEB_SEARCH_MAX_USES",
    "web_search_allowed_domains": "STREAM_CHAT_WEB_SEARCH_ALLOWED_DOMAINS",
    "web_fetch": "STREAM_CHAT_WEB_FETCH",
    "web_fetch_max_uses": "STREAM_CHAT_WEB_FETCH_MAX_USES",
    "web_fetch_allowed_domains": "STREAM_CHAT_WEB_FETCH_ALLOWED_DOMAINS",
    "web_fetch_max_content_tokens": "STREAM_CHAT_WEB_FETCH_MAX_CONTENT_TOKENS",
}

# Read by the anthropic SDK itself; we only look at them to pick the default provider.
ANTHROPIC_KEY_ENV = "ANTHROPIC_API_KEY"
# Set by Lambda (and by AWS profiles locally): the function's region, Bedrock's default one.
REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")

DEFAULT_MODEL = "claude-sonnet-4-6"
# Bedrock names models its own way; the global profile is offered in every commercial region.
DEFAULT_BEDROCK_MODEL = "global.anthropic.claude-sonnet-4-6"
# A foundation model id, optionally behind a cross-region inference profile's geography prefix.
BEDROCK_MODEL_ID = re.compile(r"^(?:(?P<geography>[a-z]{2,6})\.)?anthropic\.[a-z0-9][a-z0-9.:-]*$")
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant. Answer clearly and concisely; use Markdown when it helps."
)


_COUNTS = (
    "max_tokens",
    "max_body_bytes",
    "max_attachment_bytes",
    "max_messages",
    "max_chars",
    "provider_attempts",
    "cancel_ttl_s",
    "journal_ttl_s",
    "web_search_max_uses",
    "web_fetch_max_uses",
    "web_fetch_max_content_tokens",
)
_POSITIVE = (
    "heartbeat_s",
    "first_token_timeout_s",
    "stall_timeout_s",
    "connect_timeout_s",
    "cancel_poll_s",
    "journal_flush_s",
)
_SECONDS = (*_POSITIVE, "demo_token_delay_s", "deadline_margin_s")
# A function URL takes a request of at most 6 MB (Lambda's invocation payload quota, 6 MiB): the
# whole event, its headers and the body as a JSON string (escaped). A body may take all but 1 MiB
# of it, which holds the event's envelope and headers and the escaping of 100,000 characters.
FUNCTION_URL_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_BODY_BYTES = FUNCTION_URL_PAYLOAD_BYTES - 1024 * 1024
# Unset means no limit.
_LIMITS = ("limit_concurrent_streams", "limit_requests_per_minute", "limit_output_tokens_per_day")
# Plain http only for a stand-in issuer on this machine (local runs and tests).
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
# The Messages API refuses a thinking budget below this.
MIN_THINKING_BUDGET_TOKENS = 1024
# The most output any current Claude model gives one request (Opus 4.6; Sonnet 4.6 gives 64K):
# the answer's cap and the thinking budget share it.
MAX_OUTPUT_TOKENS = 128_000
# A domain as the server tools' filters take it: ASCII (a look-alike letter is another domain),
# no scheme, optionally a path with at most one wildcard, which only a path may hold.
_DOMAIN = re.compile(
    r"^(?=[^/]{1,253}(?:/|$))(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    r"(?:/[A-Za-z0-9._~!$&'()+,;=:@%/-]*\*?[A-Za-z0-9._~!$&'()+,;=:@%/-]*)?$"
)


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    provider: Provider = "demo"
    model: str = DEFAULT_MODEL
    allowed_models: tuple[str, ...] = (DEFAULT_MODEL,)
    max_tokens: int = 1024
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    allow_client_system: bool = False
    heartbeat_s: float = 10.0
    anthropic_secret_arn: str | None = None
    bedrock_region: str | None = None
    bedrock_endpoint_url: str | None = None
    # The request body: its files, base64 (a third larger than the files), and its texts.
    max_body_bytes: int = MAX_BODY_BYTES
    # One file, decoded. Bedrock takes images of up to 3.75 MB, the Claude API of up to 5 MB.
    max_attachment_bytes: int = 3 * 1024 * 1024
    # Files (image and document blocks) per message; 0: none.
    max_attachments: int = 5
    max_messages: int = 100
    max_chars: int = 100_000
    demo_token_delay_s: float = 0.03
    first_token_timeout_s: float = 60.0
    stall_timeout_s: float = 30.0
    deadline_margin_s: float = 1.5
    connect_timeout_s: float = 5.0
    provider_attempts: int = 3
    cancel_backend: CancelBackend = "sqlite"
    cancel_table: str | None = None
    cancel_sqlite_path: str | None = None
    cancel_poll_s: float = 0.25
    cancel_ttl_s: int = 3600
    # The journal of each answer's frames, which a resume reads ("none": not resumable).
    journal_backend: JournalBackend = "sqlite"
    journal_table: str | None = None
    journal_sqlite_path: str | None = None
    journal_ttl_s: int = 86400
    # A batch of frames is written once its first frame is this old (or at 16 KiB).
    journal_flush_s: float = 1.0
    # Message text (prompts, answers) stays out of the logs unless this is switched on.
    log_content: bool = False
    prices: PriceTable = field(default_factory=lambda: DEFAULT_PRICES)
    auth: Auth = "none"
    auth_issuer: str | None = None
    auth_client_id: str | None = None
    limit_concurrent_streams: int | None = None
    limit_requests_per_minute: int | None = None
    limit_output_tokens_per_day: int | None = None
    limits_backend: LimitsBackend = "sqlite"
    limits_table: str | None = None
    limits_sqlite_path: str | None = None
    # What a message may ask for (``thinking`` and ``search`` in the request); all off by default.
    thinking: bool = False
    thinking_mode: ThinkingMode = "auto"
    # Output tokens a thinking answer may spend on thinking, on top of the answer's max_tokens.
    thinking_budget_tokens: int = 4096
    thinking_display: ThinkingDisplay = "summarized"
    web_search: bool = False
    web_search_max_uses: int = 5
    web_search_allowed_domains: tuple[str, ...] = ()
    web_fetch: bool = False
    web_fetch_max_uses: int = 3
    web_fetch_allowed_domains: tuple[str, ...] = ()
    web_fetch_max_content_tokens: int = 20_000

    @property
    def search(self) -> bool:
        """Whether a message may use server tools (web search, web fetch)."""
        return self.web_search or self.web_fetch

    @property
    def limited(self) -> bool:
        return any(getattr(self, name) is not None for name in _LIMITS)

    def __post_init__(self) -> None:
        if self.model not in self.allowed_models:
            raise SettingsError(f"{ENV['model']}={self.model!r} is not in {ENV['allowed_models']}")
        if self.provider == "bedrock":
            _check_bedrock_models(self.allowed_models)
        if self.cancel_backend == "dynamodb" and not self.cancel_table:
            raise SettingsError(f"{ENV['cancel_table']} is required with the dynamodb backend")
        if self.journal_backend == "dynamodb" and not self.journal_table:
            raise SettingsError(f"{ENV['journal_table']} is required with the dynamodb backend")
        self._check_numbers()
        self._check_request_size()
        if self.limited and self.limits_backend == "dynamodb" and not self.limits_table:
            raise SettingsError(f"{ENV['limits_table']} is required with the dynamodb backend")
        if self.auth == "cognito":
            self._check_cognito()
        self._check_thinking()
        self._check_server_tools()

    def _check_numbers(self) -> None:
        for name in _COUNTS:
            if getattr(self, name) < 1:
                raise SettingsError(f"{ENV[name]} must be at least 1")
        for name in _SECONDS:
            if getattr(self, name) < 0 or (name in _POSITIVE and getattr(self, name) == 0):
                raise SettingsError(f"{ENV[name]} must be positive")
        for name in _LIMITS:
            if (limit := getattr(self, name)) is not None and limit < 1:
                raise SettingsError(f"{ENV[name]} must be at least 1 (unset it for no limit)")

    def _check_request_size(self) -> None:
        if self.max_body_bytes > MAX_BODY_BYTES:
            raise SettingsError(
                f"{ENV['max_body_bytes']} may be at most {MAX_BODY_BYTES}: a function URL takes "
                f"requests of up to {FUNCTION_URL_PAYLOAD_BYTES} bytes, headers and all"
            )
        if self.max_attachments < 0:
            raise SettingsError(f"{ENV['max_attachments']} must be at least 0 (0: no files)")

    def _check_thinking(self) -> None:
        budget, name = self.thinking_budget_tokens, ENV["thinking_budget_tokens"]
        if budget < MIN_THINKING_BUDGET_TOKENS:
            raise SettingsError(
                f"{name} must be at least {MIN_THINKING_BUDGET_TOKENS} (the API's minimum)"
            )
        if self.thinking and budget + self.max_tokens > MAX_OUTPUT_TOKENS:
            raise SettingsError(
                f"{name} plus {ENV['max_tokens']} must stay within {MAX_OUTPUT_TOKENS} output "
                f"tokens (thinking is given its budget on top of the answer's cap)"
            )

    def _check_server_tools(self) -> None:
        if self.provider != "bedrock":
            return
        for tool, what in (("web_search", "web search"), ("web_fetch", "web fetch")):
            if getattr(self, tool):
                raise SettingsError(
                    f"{ENV[tool]}=true: Amazon Bedrock does not offer Anthropic's {what} tool "
                    f"(a server tool of the Claude API only); leave it off with "
                    f"{ENV['provider']}=bedrock"
                )

    def _check_cognito(self) -> None:
        if not self.auth_client_id:
            raise SettingsError(f"{ENV['auth_client_id']} is required with {ENV['auth']}=cognito")
        raw = self.auth_issuer or ""
        issuer = urlsplit(raw)
        local = issuer.scheme == "http" and issuer.hostname in _LOCAL_HOSTS
        if not (issuer.scheme == "https" or local) or not issuer.hostname:
            raise SettingsError(
                f"{ENV['auth_issuer']}={raw!r}: expected an https URL"
                " (http only on 127.0.0.1 or localhost)"
            )
        if issuer.query or issuer.fragment or raw.endswith("/"):
            raise SettingsError(f"{ENV['auth_issuer']} must be the issuer exactly, no trailing /")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``STREAM_CHAT_*`` variable once; raise ``SettingsError`` naming a bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV[f.name], "").strip()
            if raw:
                values[f.name] = _parse(f.name, raw)
        values.setdefault("provider", _default_provider(env, values))
        if values["provider"] == "bedrock":
            values.setdefault("model", DEFAULT_BEDROCK_MODEL)
            region = next((env[name].strip() for name in REGION_ENV if env.get(name)), None)
            values.setdefault("bedrock_region", region or None)
        if "allowed_models" not in values:
            values["allowed_models"] = (str(values.get("model", DEFAULT_MODEL)),)
        return cls(**values)  # type: ignore[arg-type]  # each value was parsed to its field type


def _default_provider(env: Mapping[str, str], values: Mapping[str, object]) -> Provider:
    has_key = bool(env.get(ANTHROPIC_KEY_ENV) or values.get("anthropic_secret_arn"))
    return "anthropic" if has_key else "demo"


def _check_bedrock_models(models: tuple[str, ...]) -> None:
    for model in models:
        if not BEDROCK_MODEL_ID.match(model):
            raise SettingsError(
                f"{ENV['allowed_models']}: {model!r} is not a Bedrock model id; with "
                f"{ENV['provider']}=bedrock use ids like {DEFAULT_BEDROCK_MODEL!r} or "
                "'anthropic.claude-haiku-4-5-20251001-v1:0'"
            )


def _parse(name: str, raw: str) -> object:
    parser = _PARSERS.get(name, str)
    try:
        return parser(raw)
    except ValueError as exc:
        raise SettingsError(f"{ENV[name]}={raw!r}: {exc}") from exc


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return raw

    return parse


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _names(raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not names:
        raise ValueError("expected a comma-separated list")
    return names


def _domains(raw: str) -> tuple[str, ...]:
    domains = tuple(_lower_host(name) for name in _names(raw))
    for domain in domains:
        if "://" in domain:
            raise ValueError(f"{domain!r}: leave out the scheme (example.com, not https://…)")
        if domain.count("*") > 1 or "*" in domain.partition("/")[0]:
            raise ValueError(f"{domain!r}: one wildcard at most, in the path (example.com/*/news)")
        if not _DOMAIN.match(domain):
            raise ValueError(
                f"{domain!r} is not a domain: expected an ASCII name such as example.com, "
                "optionally with a path (example.com/blog, example.com/*/news)"
            )
    return domains


def _lower_host(name: str) -> str:
    """Hosts are case-insensitive, paths are not."""
    host, slash, path = name.partition("/")
    return host.lower() + slash + path


_PARSERS: dict[str, Callable[[str], object]] = {
    "provider": _choice("anthropic", "bedrock", "demo"),
    "cancel_backend": _choice("dynamodb", "sqlite", "none"),
    "journal_backend": _choice("dynamodb", "sqlite", "none"),
    "auth": _choice("none", "cognito"),
    "limits_backend": _choice("dynamodb", "sqlite"),
    "thinking_mode": _choice("auto", "adaptive", "budget"),
    "thinking_display": _choice("summarized", "omitted", "default"),
    "allowed_models": _names,
    "web_search_allowed_domains": _domains,
    "web_fetch_allowed_domains": _domains,
    "allow_client_system": _boolean,
    "log_content": _boolean,
    "thinking": _boolean,
    "web_search": _boolean,
    "web_fetch": _boolean,
    "thinking_budget_tokens": int,
    "prices": parse_prices,
    "max_attachments": int,
    **{name: int for name in (*_COUNTS, *_LIMITS)},
    **{name: float for name in _SECONDS},
}

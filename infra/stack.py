"""The whole product in one stack, which wires the constructs together and names the outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import bedrock_access, provider_secret, ttl_table
from infra.cancel_function import CancelFunction
from infra.deploy_settings import ORIGIN_READ_TIMEOUT_S, DeploySettings
from infra.function_bundle import function_code
from infra.observability import Observability
from infra.provider_secret import ProviderSecret
from infra.rate_limit import REGION as WAF_REGION
from infra.rate_limit import RateLimitAcl
from infra.resume_function import ResumeFunction
from infra.sign_in import SignIn
from infra.site import Site
from infra.streaming_function import StreamingFunction
from infra.ttl_table import TtlTable
from stream_chat.settings import ENV, Settings
from stream_chat.stores.tables import CANCEL_TABLE, JOURNAL_TABLE, LIMITS_TABLE
from stream_chat_page import page_config

ROOT = Path(__file__).resolve().parent.parent
# What the function's asset installs: pinned and hashed for Lambda's platform (`make lock`).
LAMBDA_LOCK = ROOT / "requirements.txt"
# The function's settings the resume function reads too, when the context sets them: it
# heartbeats and keeps to its deadline as the streaming function does, and reads its journal.
RESUME_SETTINGS = ("heartbeat_s", "deadline_margin_s", "journal_ttl_s", "journal_flush_s")
# How an unresolved CDK token looks inside a string.
DEPLOY_TIME = re.compile(r"\$\{Token\[[^\]]*\]\}")
NODE_MODULES = ROOT / "node_modules"
HIGHLIGHT = NODE_MODULES / "@highlightjs" / "cdn-assets" / "es"
# The grammars the page highlights, listed once for the deployment and `make web/vendor`.
HIGHLIGHT_GRAMMARS: list[str] = json.loads((ROOT / "web" / "highlight-grammars.json").read_text())
# The browser libraries come from npm (package-lock.json), never from the repository.
VENDOR_FILES = {
    "vendor/marked.esm.js": NODE_MODULES / "marked" / "lib" / "marked.esm.js",
    "vendor/purify.es.mjs": NODE_MODULES / "dompurify" / "dist" / "purify.es.mjs",
    "vendor/katex.mjs": NODE_MODULES / "katex" / "dist" / "katex.mjs",
    "vendor/highlight/core.min.js": HIGHLIGHT / "core.min.js",
    **{
        f"vendor/highlight/languages/{name}.min.js": HIGHLIGHT / "languages" / f"{name}.min.js"
        for name in HIGHLIGHT_GRAMMARS
    },
}


class StreamChatStack(cdk.Stack):
    """Cancel and journal tables, provider access, sign-in, limits, the streaming, cancel and
    resume functions, site, and the outputs a user needs.

    The provider decides the access: ``anthropic`` gets a key secret, ``bedrock`` an IAM grant on
    exactly its models and no secret at all.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # aws-cdk-lib makes every function DependsOn its role as well as referencing it (W3005).
        self.template_options.metadata = {"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}
        table = TtlTable(
            self,
            "CancelTable",
            layout=CANCEL_TABLE,
            point_in_time_recovery=settings.cancel_table_pitr,
            no_recovery_reason=ttl_table.CANCEL_NO_PITR_REASON,
        )
        journal = TtlTable(
            self,
            "JournalTable",
            layout=JOURNAL_TABLE,
            point_in_time_recovery=False,
            no_recovery_reason=ttl_table.JOURNAL_NO_PITR_REASON,
        )
        secret = None
        if settings.function.provider == "anthropic":
            secret = ProviderSecret(
                self, "AnthropicKey", existing_name=settings.anthropic_secret_name
            )
        sign_in = self._sign_in(settings)
        # Every function checks the same tokens: a cancel counts, and a resume answers, only for
        # the stream's owner.
        auth = sign_in.function_env if sign_in else {ENV["auth"]: "none"}
        limits = self._limits_table() if settings.function.limited else None
        code = function_code(ROOT / "functions" / "stream_chat", LAMBDA_LOCK)
        function = self._function(
            settings, code, table, secret, auth=auth, limits=limits, journal=journal
        )
        cancel = self._cancel_function(settings, code, table, auth=auth)
        resume = self._resume_function(settings, code, journal, auth=auth)
        site = Site(
            self,
            "Site",
            web_dir=ROOT / "web",
            vendor_files=VENDOR_FILES,
            runtime_config=page_config(settings.function, sign_in.page_auth if sign_in else None),
            function_url=function.url,
            cancel_url=cancel.url,
            resume_url=resume.url,
            origin_read_timeout=cdk.Duration.seconds(ORIGIN_READ_TIMEOUT_S),
            web_acl_arn=self._web_acl_arn(settings.waf_rate_limit),
            connect_sources=[sign_in.domain_url] if sign_in else [],
        )
        if sign_in:
            # The page goes live only once its sign-in client accepts the site's address.
            site.entry.node.add_dependency(sign_in.point_at(site.url))
        observability = Observability(
            self,
            "Observability",
            function=function.function,
            resume=resume.function,
            timeout=cdk.Duration.seconds(settings.timeout_s),
            models=settings.function.allowed_models,
            daily_cost_budget_usd=settings.daily_cost_budget_usd,
            error_endings_threshold=settings.error_endings_alarm,
            alarm_email=settings.alarm_email,
        )
        self._outputs(
            site,
            secret=secret,
            function=function,
            cancel=cancel,
            resume=resume,
            sign_in=sign_in,
            observability=observability,
        )

    def _sign_in(self, settings: DeploySettings) -> SignIn | None:
        if settings.auth == "none":
            cdk.Annotations.of(self).add_warning_v2(
                "stream-chat:auth-none",
                "stream-chat:auth=none: the chat is open to anyone who finds its address, on "
                "your Anthropic bill, bounded only by the stream-chat:limit_* settings",
            )
            return None
        return SignIn(
            self,
            "SignIn",
            self_sign_up=settings.self_sign_up,
            allowed_email_domains=settings.allowed_email_domains,
            domain_prefix=settings.auth_domain_prefix,
            log_retention_days=settings.log_retention_days,
        )

    def _function(
        self,
        settings: DeploySettings,
        code: lambda_.Code,
        table: TtlTable,
        secret: ProviderSecret | None,
        *,
        auth: Mapping[str, str],
        limits: TtlTable | None,
        journal: TtlTable,
    ) -> StreamingFunction:
        environment = {
            **settings.function_env,
            ENV["cancel_backend"]: "dynamodb",
            ENV["cancel_table"]: table.table.table_name,
            **journal_env(journal),
            **({ENV["anthropic_secret_arn"]: secret.secret_id} if secret else {}),
            **auth,
            **(limits_env(limits) if limits else {}),
            "POWERTOOLS_SERVICE_NAME": "stream-chat",
        }
        check_readable(environment)
        function = StreamingFunction(
            self,
            "Streaming",
            code=code,
            environment=environment,
            memory_mb=settings.memory_mb,
            timeout=cdk.Duration.seconds(settings.timeout_s),
            log_retention_days=settings.log_retention_days,
            reserved_concurrency=settings.reserved_concurrency,
        )
        function.allow(ttl_table.CANCEL_STREAM_ACTIONS, table.table.table_arn)
        function.allow(ttl_table.JOURNAL_STREAM_ACTIONS, journal.table.table_arn)
        if secret is not None:
            function.allow(provider_secret.FUNCTION_ACTIONS, secret.policy_arn)
        if settings.function.provider == "bedrock":
            function.allow(bedrock_access.FUNCTION_ACTIONS, *self._bedrock_models(settings))
        if limits:
            function.allow(ttl_table.LIMITS_ACTIONS, limits.table.table_arn)
        return function

    def _limits_table(self) -> TtlTable:
        return TtlTable(
            self,
            "LimitsTable",
            layout=LIMITS_TABLE,
            point_in_time_recovery=False,
            no_recovery_reason=ttl_table.LIMITS_NO_PITR_REASON,
        )

    def _bedrock_models(self, settings: DeploySettings) -> list[str]:
        """The model ARNs, in the Bedrock region the function will call (its own by default)."""
        region = settings.function.bedrock_region or self.region
        try:
            return bedrock_access.model_arns(
                self, settings.function.allowed_models, region, settings.bedrock_profile_regions
            )
        except bedrock_access.BedrockAccessError as exc:
            raise ValueError(f"cdk context stream-chat:allowed_models: {exc}") from exc

    def _cancel_function(
        self,
        settings: DeploySettings,
        code: lambda_.Code,
        table: TtlTable,
        *,
        auth: Mapping[str, str],
    ) -> CancelFunction:
        # Only what a registry write and a token check read: no provider, no key, no model.
        ttl = ENV["cancel_ttl_s"]
        environment = {
            ENV["cancel_backend"]: "dynamodb",
            ENV["cancel_table"]: table.table.table_name,
            **({ttl: settings.function_env[ttl]} if ttl in settings.function_env else {}),
            **auth,
        }
        check_readable(environment)
        function = CancelFunction(
            self,
            "Cancel",
            code=code,
            environment=environment,
            log_retention_days=settings.log_retention_days,
            reserved_concurrency=settings.cancel_reserved_concurrency,
        )
        function.allow(ttl_table.CANCEL_ACTIONS, table.table.table_arn)
        return function

    def _resume_function(
        self,
        settings: DeploySettings,
        code: lambda_.Code,
        journal: TtlTable,
        *,
        auth: Mapping[str, str],
    ) -> ResumeFunction:
        # The journal and a token check: no provider, no key, no cancel or limits table.
        passed = [ENV[key] for key in RESUME_SETTINGS if ENV[key] in settings.function_env]
        environment = {
            **journal_env(journal),
            **{name: settings.function_env[name] for name in passed},
            **auth,
        }
        check_readable(environment)
        function = ResumeFunction(
            self,
            "Resume",
            code=code,
            environment=environment,
            streaming_timeout_s=settings.timeout_s,
            log_retention_days=settings.log_retention_days,
            reserved_concurrency=settings.resume_reserved_concurrency,
        )
        function.allow(ttl_table.JOURNAL_RESUME_ACTIONS, journal.table.table_arn)
        return function

    def _web_acl_arn(self, rate_limit: int | None) -> str | None:
        if rate_limit is None:
            return None
        if cdk.Token.is_unresolved(self.region) or self.region != WAF_REGION:
            region = "unknown" if cdk.Token.is_unresolved(self.region) else self.region
            raise ValueError(
                f"stream-chat:waf_rate_limit needs the stack in {WAF_REGION}, where AWS WAF "
                f"keeps CloudFront's web ACLs; this stack's region is {region} (set AWS_REGION)"
            )
        return RateLimitAcl(self, "RateLimit", limit=rate_limit).arn

    def _outputs(
        self,
        site: Site,
        *,
        secret: ProviderSecret | None,
        function: StreamingFunction,
        cancel: CancelFunction,
        resume: ResumeFunction,
        sign_in: SignIn | None,
        observability: Observability,
    ) -> None:
        outputs = {
            "SiteUrl": (site.url, "Open this in a browser"),
            "SmokeCommand": (
                f"stream-chat smoke {site.url}",
                "Proves the answer streams through CloudFront unbuffered",
            ),
            "LogGroupName": (function.log_group.log_group_name, "aws logs tail <this> --follow"),
            "CancelLogGroupName": (
                cancel.log_group.log_group_name,
                "aws logs tail <this> --follow (the cancel function)",
            ),
            "ResumeLogGroupName": (
                resume.log_group.log_group_name,
                "aws logs tail <this> --follow (the resume function)",
            ),
            "DashboardName": (
                observability.dashboard.dashboard_name,
                "CloudWatch dashboard: streams, endings, latency, tokens and cost",
            ),
            "AlarmTopicArn": (
                observability.topic.topic_arn,
                "Alarms notify this SNS topic; subscribe to it for notifications",
            ),
        }
        if secret is not None:
            outputs["AnthropicSecretId"] = (
                secret.secret_id,
                "aws secretsmanager put-secret-value --secret-id <this> ...",
            )
        if sign_in:
            outputs["CreateUserCommand"] = (
                sign_in.create_user_command(self.region),
                "Creates a user (replace user@example.com); Cognito e-mails a temporary password",
            )
            outputs["UserPoolId"] = (sign_in.pool.user_pool_id, "The user pool")
        for name, (value, description) in outputs.items():
            cdk.CfnOutput(self, name, value=value, description=description)


def journal_env(journal: TtlTable) -> dict[str, str]:
    return {ENV["journal_backend"]: "dynamodb", ENV["journal_table"]: journal.table.table_name}


def limits_env(limits: TtlTable) -> dict[str, str]:
    return {ENV["limits_backend"]: "dynamodb", ENV["limits_table"]: limits.table.table_name}


def check_readable(environment: Mapping[str, str]) -> None:
    """The function must be able to read what it is given (deploy-time values stand in)."""
    Settings.from_env({name: DEPLOY_TIME.sub("deploy-time", v) for name, v in environment.items()})

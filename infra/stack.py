"""The whole product in one stack, which wires the constructs together and names the outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import cancel_table, provider_secret
from infra.cancel_function import CancelFunction
from infra.cancel_table import CancelTable
from infra.deploy_settings import ORIGIN_READ_TIMEOUT_S, DeploySettings
from infra.function_bundle import function_code, runtime_requirements
from infra.provider_secret import ProviderSecret
from infra.rate_limit import REGION as WAF_REGION
from infra.rate_limit import RateLimitAcl
from infra.site import Site
from infra.streaming_function import StreamingFunction
from stream_chat.settings import ENV, Settings
from stream_chat_page import page_config

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
HIGHLIGHT = NODE_MODULES / "@highlightjs" / "cdn-assets" / "es"
# The grammars the page highlights (web/js/highlight.js); the Makefile copies the same list.
HIGHLIGHT_LANGUAGES = [
    "bash",
    "c",
    "cpp",
    "csharp",
    "css",
    "diff",
    "dockerfile",
    "go",
    "ini",
    "java",
    "javascript",
    "json",
    "kotlin",
    "markdown",
    "php",
    "python",
    "ruby",
    "rust",
    "sql",
    "swift",
    "typescript",
    "xml",
    "yaml",
]
# The browser libraries come from npm (package-lock.json), never from the repository.
VENDOR_FILES = {
    "vendor/marked.esm.js": NODE_MODULES / "marked" / "lib" / "marked.esm.js",
    "vendor/purify.es.mjs": NODE_MODULES / "dompurify" / "dist" / "purify.es.mjs",
    "vendor/highlight/core.min.js": HIGHLIGHT / "core.min.js",
    **{
        f"vendor/highlight/languages/{name}.min.js": HIGHLIGHT / "languages" / f"{name}.min.js"
        for name in HIGHLIGHT_LANGUAGES
    },
}


class StreamChatStack(cdk.Stack):
    """Cancel table, key secret, streaming and cancel functions, site, and the outputs."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # aws-cdk-lib makes every function DependsOn its role as well as referencing it (W3005).
        self.template_options.metadata = {"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}
        table = CancelTable(self, "CancelTable", point_in_time_recovery=settings.cancel_table_pitr)
        secret = ProviderSecret(self, "AnthropicKey", existing_name=settings.anthropic_secret_name)
        code = function_code(
            ROOT / "functions" / "stream_chat", runtime_requirements(ROOT / "pyproject.toml")
        )
        function = self._function(settings, code, table, secret)
        cancel = self._cancel_function(settings, code, table)
        site = Site(
            self,
            "Site",
            web_dir=ROOT / "web",
            vendor_files=VENDOR_FILES,
            runtime_config=page_config(settings.function),
            function_url=function.url,
            cancel_url=cancel.url,
            origin_read_timeout=cdk.Duration.seconds(ORIGIN_READ_TIMEOUT_S),
            web_acl_arn=self._web_acl_arn(settings.waf_rate_limit),
        )
        self._outputs(site, secret, function, cancel)

    def _function(
        self,
        settings: DeploySettings,
        code: lambda_.Code,
        table: CancelTable,
        secret: ProviderSecret,
    ) -> StreamingFunction:
        environment = {
            **settings.function_env,
            ENV["cancel_backend"]: "dynamodb",
            ENV["cancel_table"]: table.table.table_name,
            ENV["anthropic_secret_arn"]: secret.secret_id,
            "POWERTOOLS_SERVICE_NAME": "stream-chat",
        }
        Settings.from_env(environment)  # the function must be able to read what it is given
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
        function.allow(cancel_table.STREAM_ACTIONS, table.table.table_arn)
        function.allow(provider_secret.FUNCTION_ACTIONS, secret.policy_arn)
        return function

    def _cancel_function(
        self, settings: DeploySettings, code: lambda_.Code, table: CancelTable
    ) -> CancelFunction:
        # Only what a registry write reads: no provider, no key, no model settings.
        ttl = ENV["cancel_ttl_s"]
        environment = {
            ENV["cancel_backend"]: "dynamodb",
            ENV["cancel_table"]: table.table.table_name,
            **({ttl: settings.function_env[ttl]} if ttl in settings.function_env else {}),
        }
        Settings.from_env(environment)
        function = CancelFunction(
            self,
            "Cancel",
            code=code,
            environment=environment,
            log_retention_days=settings.log_retention_days,
            reserved_concurrency=settings.cancel_reserved_concurrency,
        )
        function.allow(cancel_table.CANCEL_ACTIONS, table.table.table_arn)
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
        secret: ProviderSecret,
        function: StreamingFunction,
        cancel: CancelFunction,
    ) -> None:
        cdk.CfnOutput(self, "SiteUrl", value=site.url, description="Open this in a browser")
        cdk.CfnOutput(
            self,
            "SmokeCommand",
            value=f"stream-chat smoke {site.url}",
            description="Proves the answer streams through CloudFront unbuffered",
        )
        cdk.CfnOutput(
            self,
            "AnthropicSecretId",
            value=secret.secret_id,
            description="aws secretsmanager put-secret-value --secret-id <this> ...",
        )
        cdk.CfnOutput(
            self,
            "LogGroupName",
            value=function.log_group.log_group_name,
            description="aws logs tail <this> --follow",
        )
        cdk.CfnOutput(
            self,
            "CancelLogGroupName",
            value=cancel.log_group.log_group_name,
            description="aws logs tail <this> --follow (the cancel function)",
        )

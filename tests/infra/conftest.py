"""Synthesise the app the way the CDK CLI does: ``app.py`` in a child process, offline.

The context is cdk.json's plus overrides, and bundling is switched off (``aws:cdk:bundling-
stacks`` = []), so no pip, no Docker and no network: ``make synth`` is what bundles for real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
STACK = "StreamChat"
ACCOUNT = "123456789012"
# Everything optional switched on; WAF needs the stack in us-east-1.
OPTIONS = {
    "stream-chat:waf_rate_limit": 500,
    "stream-chat:anthropic_secret_name": "prod/stream-chat/anthropic",
    "stream-chat:reserved_concurrency": 5,
    "stream-chat:cancel_reserved_concurrency": 2,
    "stream-chat:resume_reserved_concurrency": 3,
    "stream-chat:cancel_table_pitr": True,
    "stream-chat:timeout_s": 300,
    "stream-chat:deadline_margin_s": 2.5,
    "stream-chat:memory_mb": 1024,
    "stream-chat:log_retention_days": 14,
    "stream-chat:model": "claude-haiku-4-5",
    "stream-chat:self_sign_up": True,
    "stream-chat:allowed_email_domains": ["example.com", "Example.ORG"],
    "stream-chat:auth_domain_prefix": "chat-test-42",
    "stream-chat:alarm_email": "ops@example.com",
    "stream-chat:daily_cost_budget_usd": 25,
    "stream-chat:error_endings_alarm": 3,
    "stream-chat:thinking": True,
    "stream-chat:thinking_budget_tokens": 8000,
    "stream-chat:web_search": True,
    "stream-chat:web_search_allowed_domains": ["docs.python.org", "Example.COM/blog"],
    "stream-chat:web_fetch": True,
    "stream-chat:web_fetch_max_uses": 2,
}
# Sign-in and every limit switched off: a deliberately open deployment.
OPEN = {
    "stream-chat:auth": "none",
    "stream-chat:limit_concurrent_streams": None,
    "stream-chat:limit_requests_per_minute": None,
    "stream-chat:limit_output_tokens_per_day": None,
}

# Bedrock with a geographic profile, a global profile and a plain foundation model.
BEDROCK_MODELS = [
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-sonnet-4-6",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
]
BEDROCK = {
    "stream-chat:provider": "bedrock",
    "stream-chat:model": BEDROCK_MODELS[0],
    "stream-chat:allowed_models": BEDROCK_MODELS,
    "stream-chat:thinking": True,
}


@dataclass(frozen=True)
class Synth:
    returncode: int
    stderr: str
    outdir: Path

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{STACK}.template.json"

    @property
    def template(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.template_path.read_text())
        return result

    def annotations(self, kind: str = "aws:cdk:warning") -> list[str]:
        metadata = json.loads((self.outdir / f"{STACK}.metadata.json").read_text())
        return [
            str(entry["data"])
            for entries in metadata.values()
            for entry in entries
            if entry["type"] == kind
        ]

    def findings(self, prefix: str = "AwsSolutions-") -> list[str]:
        """Error and warning annotations (cdk-nag's unsuppressed findings among them)."""
        metadata = json.loads((self.outdir / f"{STACK}.metadata.json").read_text())
        return [
            f"{path}: {entry['data']}"
            for path, entries in metadata.items()
            for entry in entries
            if entry["type"] in ("aws:cdk:error", "aws:cdk:warning")
            and str(entry["data"]).startswith(prefix)
        ]


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


def synth(outdir: Path, overrides: Mapping[str, Any] = {}, region: str | None = None) -> Synth:
    context = {**cdk_json_context(), **overrides, "aws:cdk:bundling-stacks": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_"))}
    env.update(CDK_CONTEXT_JSON=json.dumps(context), CDK_OUTDIR=str(outdir))
    if region is not None:
        env.update(CDK_DEFAULT_REGION=region, CDK_DEFAULT_ACCOUNT=ACCOUNT)
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Synth(result.returncode, result.stderr, outdir)


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """cdk.json as shipped, region-agnostic (no AWS profile)."""
    return synth(tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def options_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("cdk-options"), OPTIONS, region="us-east-1")


@pytest.fixture(scope="session")
def bedrock_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The bedrock provider in us-east-1 (the region makes the model ARNs concrete)."""
    return synth(tmp_path_factory.mktemp("cdk-bedrock"), BEDROCK, region="us-east-1")


@pytest.fixture(scope="session")
def open_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("cdk-open"), OPEN)


def _template(synthesised: Synth) -> Template:
    assert synthesised.returncode == 0, synthesised.stderr
    return Template.from_json(synthesised.template)


@pytest.fixture(scope="session")
def default(default_synth: Synth) -> Template:
    return _template(default_synth)


@pytest.fixture(scope="session")
def options(options_synth: Synth) -> Template:
    return _template(options_synth)


@pytest.fixture(scope="session")
def bedrock(bedrock_synth: Synth) -> Template:
    return _template(bedrock_synth)


@pytest.fixture(scope="session")
def open_(open_synth: Synth) -> Template:
    return _template(open_synth)

"""The template's contract: what streaming, cancelling, OAC and least privilege need, checked by
property (resuming: ``test_resume``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk.assertions import Match, Template

from infra import cancel_function, resume_function
from infra.page_assets import minify
from infra.python_function import EXEC_WRAPPER
from infra.streaming_function import ALIAS, HANDLER
from stream_chat.routes import API_PATTERN, CANCEL_PATTERN, RESUME_PATTERN
from stream_chat.settings import ENV, Settings
from stream_chat.stores.tables import CANCEL_TABLE, JOURNAL_TABLE
from tests.infra.conftest import ACCOUNT, OPTIONS, ROOT, Synth, cdk_json_context

pytestmark = pytest.mark.infra


def only(template: Template, resource_type: str, **props: Any) -> tuple[str, dict[str, Any]]:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {resource_type} {props}, found {list(found)}"
    logical_id, resource = next(iter(found.items()))
    return logical_id, dict(resource)


def cancel_table_id(template: Template) -> str:
    key = [{"AttributeName": CANCEL_TABLE.partition_key, "KeyType": "HASH"}]
    return only(template, "AWS::DynamoDB::Table", KeySchema=key)[0]


def journal_table_id(template: Template) -> str:
    key = [
        {"AttributeName": JOURNAL_TABLE.partition_key, "KeyType": "HASH"},
        {"AttributeName": JOURNAL_TABLE.sort_key, "KeyType": "RANGE"},
    ]
    return only(template, "AWS::DynamoDB::Table", KeySchema=key)[0]


def resolved(value: Any) -> str:
    """A template value as CloudFormation would resolve it, with made-up ids and region."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return {"AWS::Region": "eu-west-1", "AWS::URLSuffix": "amazonaws.com"}.get(
            value["Ref"], value["Ref"].lower()
        )
    if "Fn::GetAtt" in value:
        return "-".join(value["Fn::GetAtt"]).lower()
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(resolved(part) for part in parts)
    return "resolved-at-deploy"


def streaming_function(template: Template) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::Lambda::Function", Handler=HANDLER)


def cancel_lambda(template: Template) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::Lambda::Function", Handler=cancel_function.HANDLER)


def resume_lambda(template: Template) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::Lambda::Function", Handler=resume_function.HANDLER)


def function_environment(template: Template) -> dict[str, Any]:
    env: dict[str, Any] = streaming_function(template)[1]["Properties"]["Environment"]["Variables"]
    return env


def test_function_runs_python_3_13_on_arm64_outside_any_vpc(default: Template) -> None:
    props = streaming_function(default)[1]["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Timeout"] == 180 and props["MemorySize"] == 512
    assert "VpcConfig" not in props
    assert "ReservedConcurrentExecutions" not in props


def test_function_starts_through_the_bootstrap_exec_wrapper(default: Template) -> None:
    env = function_environment(default)
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == EXEC_WRAPPER == "/var/task/stream_chat/bootstrap"
    assert env["POWERTOOLS_SERVICE_NAME"] == "stream-chat"


def test_function_environment_is_what_settings_reads(default: Template) -> None:
    env = function_environment(default)
    table_id = cancel_table_id(default)
    secret_id = only(default, "AWS::SecretsManager::Secret")[0]
    assert env[ENV["cancel_backend"]] == "dynamodb"
    assert env[ENV["cancel_table"]] == {"Ref": table_id}
    assert env[ENV["anthropic_secret_arn"]] == {"Ref": secret_id}
    assert env[ENV["journal_backend"]] == "dynamodb"
    assert env[ENV["journal_table"]] == {"Ref": journal_table_id(default)}
    assert set(env) - set(ENV.values()) == {"AWS_LAMBDA_EXEC_WRAPPER", "POWERTOOLS_SERVICE_NAME"}
    # Resolve the references as CloudFormation would, then read them as the function will.
    settings = Settings.from_env({k: resolved(v) for k, v in env.items()})
    assert settings.provider == "anthropic" and settings.cancel_backend == "dynamodb"
    assert settings.auth == "cognito" and settings.limits_backend == "dynamodb"


def test_function_logs_to_its_own_group_with_retention(
    default: Template, options: Template
) -> None:
    for template, days in ((default, 30), (options, 14)):
        groups = template.find_resources("AWS::Logs::LogGroup")
        logging = [
            function(template)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            for function in (streaming_function, cancel_lambda, resume_lambda)
        ]
        assert len(set(logging)) == 3  # one group each
        for group in logging:
            assert groups[group]["Properties"]["RetentionInDays"] == days


def test_options_size_the_function(options: Template) -> None:
    props = streaming_function(options)[1]["Properties"]
    assert props["Timeout"] == OPTIONS["stream-chat:timeout_s"]
    assert props["MemorySize"] == OPTIONS["stream-chat:memory_mb"]
    assert props["ReservedConcurrentExecutions"] == OPTIONS["stream-chat:reserved_concurrency"]
    assert function_environment(options)[ENV["model"]] == "claude-haiku-4-5"


def test_thinking_and_the_server_tools_reach_the_function_as_set(
    default: Template, options: Template
) -> None:
    assert function_environment(default)[ENV["web_search"]] == "false"
    env = function_environment(options)
    assert (env[ENV["thinking"]], env[ENV["thinking_budget_tokens"]]) == ("true", "8000")
    assert env[ENV["web_search"]] == env[ENV["web_fetch"]] == "true"
    assert env[ENV["web_search_allowed_domains"]] == "docs.python.org,Example.COM/blog"
    settings = Settings.from_env({k: resolved(v) for k, v in env.items()})
    assert settings.web_search_allowed_domains == ("docs.python.org", "example.com/blog")
    assert (settings.web_search_max_uses, settings.web_fetch_max_uses) == (5, 2)


def test_function_url_streams_and_requires_iam(default: Template) -> None:
    function_id = streaming_function(default)[0]
    only(
        default,
        "AWS::Lambda::Url",
        AuthType="AWS_IAM",
        InvokeMode="RESPONSE_STREAM",
        TargetFunctionArn={"Fn::GetAtt": [function_id, "Arn"]},
        Qualifier=ALIAS,
    )


def test_snap_start_restores_published_versions_behind_the_live_alias(default: Template) -> None:
    function_id, function = streaming_function(default)
    assert function["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    version_id = only(default, "AWS::Lambda::Version", FunctionName={"Ref": function_id})[0]
    only(
        default,
        "AWS::Lambda::Alias",
        Name=ALIAS,
        FunctionName={"Ref": function_id},
        FunctionVersion={"Fn::GetAtt": [version_id, "Version"]},
    )


def test_cloudfront_streams_from_the_alias_url(default: Template) -> None:
    url_id = only(default, "AWS::Lambda::Url", Qualifier=ALIAS)[0]
    domains = [origin["DomainName"] for origin in distribution_config(default)["Origins"]]
    url_domain = {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": [url_id, "FunctionUrl"]}]}]}
    assert url_domain in domains
    granted = default.find_resources(
        "AWS::Lambda::Permission",
        {"Properties": {"FunctionName": {"Fn::GetAtt": [url_id, "FunctionArn"]}}},
    )
    assert len(granted) == 2, "CloudFront may invoke the alias (both actions of dual auth)"


def test_the_cancel_function_is_not_snapshotted(default: Template) -> None:
    assert "SnapStart" not in cancel_lambda(default)[1]["Properties"]


def test_only_this_distribution_may_invoke_through_the_urls(default: Template) -> None:
    distribution_id = only(default, "AWS::CloudFront::Distribution")[0]
    permissions = default.find_resources("AWS::Lambda::Permission")
    urls = {
        only(default, "AWS::Lambda::Url", TargetFunctionArn={"Fn::GetAtt": [fid, "Arn"]})[0]
        for fid in (
            streaming_function(default)[0],
            cancel_lambda(default)[0],
            resume_lambda(default)[0],
        )
    }
    granted = sorted(
        (p["Properties"]["FunctionName"]["Fn::GetAtt"][0], p["Properties"]["Action"])
        for p in permissions.values()
    )
    # Since October 2025 new function URLs need both; aws-cdk-lib 2.275 grants both itself.
    assert granted == sorted(
        (url, action)
        for url in urls
        for action in ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl")
    )
    for permission in permissions.values():
        props = permission["Properties"]
        assert props["Principal"] == "cloudfront.amazonaws.com"
        assert {"Ref": distribution_id} in props["SourceArn"]["Fn::Join"][1]
        if props["Action"] == "lambda:InvokeFunction":
            assert props["InvokedViaFunctionUrl"] is True


def test_every_origin_uses_origin_access_control(default: Template) -> None:
    origins = distribution_config(default)["Origins"]
    controls = default.find_resources("AWS::CloudFront::OriginAccessControl")
    kinds: dict[str, list[dict[str, Any]]] = {}
    for origin in origins:
        control_id = origin["OriginAccessControlId"]["Fn::GetAtt"][0]
        config = controls[control_id]["Properties"]["OriginAccessControlConfig"]
        assert (config["SigningBehavior"], config["SigningProtocol"]) == ("always", "sigv4")
        kinds.setdefault(config["OriginAccessControlOriginType"], []).append(origin)
    assert {kind: len(found) for kind, found in kinds.items()} == {"lambda": 3, "s3": 1}
    # Both streaming origins wait as long between two bytes; the heartbeats come sooner.
    for streams in (streaming_function, resume_lambda):
        assert url_origin(default, streams)["CustomOriginConfig"]["OriginReadTimeout"] == 60


def url_origin(template: Template, function: Any) -> dict[str, Any]:
    """The distribution's origin whose domain is the URL of ``function``."""
    function_id = function(template)[0]
    url_id = only(
        template, "AWS::Lambda::Url", TargetFunctionArn={"Fn::GetAtt": [function_id, "Arn"]}
    )[0]
    for origin in distribution_config(template)["Origins"]:
        if url_id in json.dumps(origin["DomainName"]):
            return dict(origin)
    raise AssertionError(f"no origin for {url_id}")


def distribution_config(template: Template) -> dict[str, Any]:
    config: dict[str, Any] = only(template, "AWS::CloudFront::Distribution")[1]["Properties"][
        "DistributionConfig"
    ]
    return config


def test_api_behaviours_pass_requests_through_untouched_over_https_only(
    default: Template,
) -> None:
    config = distribution_config(default)
    # CloudFront takes the first match: the cancel pattern, then the resume pattern (which a
    # cancel's path also matches), then /api/* (test_resume checks the resume behaviour).
    cancel, resume, api = config["CacheBehaviors"]
    assert [b["PathPattern"] for b in (cancel, resume, api)] == [
        "/api/chat/stream/*/cancel",
        "/api/chat/stream/*",
        "/api/*",
    ]
    assert [b["PathPattern"] for b in (cancel, resume, api)] == [
        CANCEL_PATTERN,
        RESUME_PATTERN,
        API_PATTERN,
    ]
    assert api["TargetOriginId"] == url_origin(default, streaming_function)["Id"]
    assert cancel["TargetOriginId"] == url_origin(default, cancel_lambda)["Id"]
    # The API's own policy (tests/infra/test_sign_in.py reads what it forwards).
    assert cancel["OriginRequestPolicyId"] == api["OriginRequestPolicyId"]
    for behavior in (cancel, api):
        assert behavior["CachePolicyId"] == cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
        assert {"POST", "GET", "OPTIONS"} <= set(behavior["AllowedMethods"])
        assert behavior["Compress"] is False
        # A redirect to HTTPS would turn a POST into a body-less GET: plain HTTP is refused.
        assert behavior["ViewerProtocolPolicy"] == "https-only"


def test_cancel_function_is_small_buffered_and_on_the_runtime_loop(
    default: Template, options: Template
) -> None:
    function_id, function = cancel_lambda(default)
    props = function["Properties"]
    assert props["Handler"] == "stream_chat.cancel_handler.lambda_handler"
    assert (props["Runtime"], props["Architectures"]) == ("python3.13", ["arm64"])
    assert props["Timeout"] <= 10
    # Same asset as the streaming function.
    assert props["Code"] == streaming_function(default)[1]["Properties"]["Code"]
    # The runtime loop builds the function at init, and answers buffered.
    env = props["Environment"]["Variables"]
    assert env.pop("AWS_LAMBDA_EXEC_WRAPPER") == EXEC_WRAPPER
    table_id = cancel_table_id(default)
    # It checks the same access tokens as the stream: a cancel counts only from its owner.
    streaming_env = function_environment(default)
    auth = {name: streaming_env[ENV[name]] for name in ("auth", "auth_issuer", "auth_client_id")}
    assert env == {
        ENV["cancel_backend"]: "dynamodb",
        ENV["cancel_table"]: {"Ref": table_id},
        **{ENV[name]: value for name, value in auth.items()},
    }
    only(
        default,
        "AWS::Lambda::Url",
        AuthType="AWS_IAM",
        InvokeMode="BUFFERED",
        TargetFunctionArn={"Fn::GetAtt": [function_id, "Arn"]},
    )
    # Its own reserved instances: streams can never take them, so Stop is never throttled.
    assert (
        props["ReservedConcurrentExecutions"]
        == cdk_json_context()["stream-chat:cancel_reserved_concurrency"]
        == 5
    )
    assert (
        cancel_lambda(options)[1]["Properties"]["ReservedConcurrentExecutions"]
        == OPTIONS["stream-chat:cancel_reserved_concurrency"]
    )


def test_cancel_function_may_only_write_a_cancel(default: Template) -> None:
    grants = by_service(role_statements(default, cancel_lambda))
    table_id = cancel_table_id(default)
    log_group = cancel_lambda(default)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert grants == {
        "logs": {
            "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "resource": {"Fn::GetAtt": [log_group, "Arn"]},
        },
        "dynamodb": {
            "actions": ["dynamodb:PutItem"],
            "resource": {"Fn::GetAtt": [table_id, "Arn"]},
        },
    }


def test_cancel_function_cannot_read_the_anthropic_secret(
    default: Template, options: Template
) -> None:
    for template in (default, options):
        props = cancel_lambda(template)[1]["Properties"]
        assert ENV["anthropic_secret_arn"] not in props["Environment"]["Variables"]
        statements = json.dumps(role_statements(template, cancel_lambda))
        assert "secretsmanager" not in statements


def test_page_comes_from_the_private_bucket_over_https(default: Template) -> None:
    config = distribution_config(default)
    default_behavior = config["DefaultCacheBehavior"]
    s3_origin = next(o for o in config["Origins"] if "S3OriginConfig" in o)
    assert default_behavior["TargetOriginId"] == s3_origin["Id"]
    assert default_behavior["ViewerProtocolPolicy"] == "redirect-to-https"  # GETs of the page
    assert config["DefaultRootObject"] == "index.html"
    only(
        default,
        "AWS::S3::Bucket",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
    )


def test_every_response_carries_the_security_headers(default: Template) -> None:
    policy_id, policy = only(default, "AWS::CloudFront::ResponseHeadersPolicy")
    config = distribution_config(default)
    for behavior in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": policy_id}
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = resolved(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]).split("; ")
    assert {"default-src 'self'", "img-src 'self' data:"} <= set(csp)
    # The page talks to its own origin and to the sign-in domain's token endpoint, nothing else.
    (connect,) = [d for d in csp if d.startswith("connect-src ")]
    domain = resolved({"Ref": only(default, "AWS::Cognito::UserPoolDomain")[0]})
    assert connect.split() == [
        "connect-src",
        "'self'",
        f"https://{domain}.auth.eu-west-1.amazoncognito.com",
    ]
    assert not any("unsafe-inline" in directive for directive in csp)
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def test_waf_rate_rule_is_attached_only_when_asked(default: Template, options: Template) -> None:
    default.resource_count_is("AWS::WAFv2::WebACL", 0)
    assert "WebACLId" not in distribution_config(default)
    acl_id, acl = only(options, "AWS::WAFv2::WebACL", Scope="CLOUDFRONT")
    (rule,) = acl["Properties"]["Rules"]
    assert rule["Action"] == {"Block": {}}
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["Limit"] == OPTIONS["stream-chat:waf_rate_limit"]
    assert statement["AggregateKeyType"] == "IP"
    assert distribution_config(options)["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_cancel_table_is_on_demand_with_ttl(default: Template, options: Template) -> None:
    props = default.find_resources("AWS::DynamoDB::Table")[cancel_table_id(default)]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": CANCEL_TABLE.partition_key, "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "stream_id", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    ttl = {"AttributeName": CANCEL_TABLE.ttl_attribute, "Enabled": True}
    assert props["TimeToLiveSpecification"] == ttl
    pitr = options.find_resources("AWS::DynamoDB::Table")[cancel_table_id(options)]
    assert pitr["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }


def function_statements(template: Template) -> list[dict[str, Any]]:
    return role_statements(template, streaming_function)


def role_statements(template: Template, function: Any) -> list[dict[str, Any]]:
    role_id = function(template)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": Match.array_with([{"Ref": role_id}])}}
    )
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def by_service(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    services = {}
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        (service,) = {action.split(":")[0] for action in actions}
        services[service] = {"actions": sorted(actions), "resource": statement["Resource"]}
    return services


def test_function_may_do_only_what_it_needs(default: Template) -> None:
    statements = function_statements(default)
    limits_key = [{"AttributeName": "limit_key", "KeyType": "HASH"}]
    limits_id = only(default, "AWS::DynamoDB::Table", KeySchema=limits_key)[0]
    on_limits = [s for s in statements if s["Resource"] == {"Fn::GetAtt": [limits_id, "Arn"]}]
    (limits,) = on_limits
    assert sorted(limits["Action"]) == [
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    journal = {"Fn::GetAtt": [journal_table_id(default), "Arn"]}
    on_journal = [s for s in statements if s["Resource"] == journal]
    # It writes each batch of its journal once: no read, update or delete.
    assert [s["Action"] for s in on_journal] == ["dynamodb:PutItem"]
    grants = by_service([s for s in statements if s not in on_limits + on_journal])
    table_id = cancel_table_id(default)
    secret_id = only(default, "AWS::SecretsManager::Secret")[0]
    log_group_id = streaming_function(default)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert grants == {
        "logs": {
            "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
        "dynamodb": {
            # It only reads its cancel flag; writing one is the cancel function's job.
            "actions": ["dynamodb:GetItem"],
            "resource": {"Fn::GetAtt": [table_id, "Arn"]},
        },
        "secretsmanager": {
            "actions": ["secretsmanager:GetSecretValue"],
            "resource": {"Ref": secret_id},
        },
    }


def test_only_the_function_can_read_the_secret(default: Template) -> None:
    role_id = streaming_function(default)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    for policy in default.find_resources("AWS::IAM::Policy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any("secretsmanager" in str(s["Action"]) for s in statements):
            assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    default.resource_count_is("AWS::SecretsManager::ResourcePolicy", 0)


def test_created_secret_is_empty_until_the_user_sets_it(default: Template) -> None:
    props = only(default, "AWS::SecretsManager::Secret")[1]["Properties"]
    assert "GenerateSecretString" not in props and "SecretString" not in props


def test_a_named_secret_is_referenced_not_created(options: Template) -> None:
    options.resource_count_is("AWS::SecretsManager::Secret", 0)
    name = OPTIONS["stream-chat:anthropic_secret_name"]
    assert function_environment(options)[ENV["anthropic_secret_arn"]] == name
    resource = by_service(function_statements(options))["secretsmanager"]["resource"]
    # The real ARN ends in a random suffix of six characters.
    assert resource == f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-??????"


def test_outputs_give_the_site_and_the_smoke_command(default: Template) -> None:
    distribution_id = only(default, "AWS::CloudFront::Distribution")[0]
    domain = {"Fn::GetAtt": [distribution_id, "DomainName"]}
    default.has_output("SiteUrl", {"Value": {"Fn::Join": ["", ["https://", domain]]}})
    default.has_output(
        "SmokeCommand", {"Value": {"Fn::Join": ["", ["stream-chat smoke https://", domain]]}}
    )


def deployments(template: Template) -> dict[str, dict[str, Any]]:
    """The site's two deployments, keyed by what they hold: ``entry`` or ``assets``."""
    found = template.find_resources("Custom::CDKBucketDeployment")
    by_role = {
        "entry" if "Include" in d["Properties"] else "assets": d["Properties"]
        for d in found.values()
    }
    assert len(by_role) == len(found) == 2
    return by_role


def asset_files(synth: Synth, deployment: dict[str, Any]) -> dict[str, bytes]:
    """Every file a deployment copies to the bucket, by its key there."""
    files = {}
    for key in deployment["SourceObjectKeys"]:
        directory = synth.outdir / f"asset.{key.removesuffix('.zip')}"
        files.update(
            {
                str(p.relative_to(directory)): p.read_bytes()
                for p in directory.rglob("*")
                if p.is_file()
            }
        )
    return files


def test_page_config_and_entry_files_are_never_stale(
    default: Template, default_synth: Synth
) -> None:
    entry = deployments(default)["entry"]
    assert entry["Include"] == ["index.html", "config.json"] and entry["Exclude"] == ["*"]
    assert entry["SystemMetadata"] == {"cache-control": "no-store"}
    assert entry["DistributionPaths"] == ["/*"]
    context = cdk_json_context()
    config = page_config_json(default_synth, entry)
    assert {k: v for k, v in config.items() if k != "auth"} == {
        "apiBase": "",
        "provider": context["stream-chat:provider"],
        "stallTimeoutS": context["stream-chat:stall_timeout_s"],
        "heartbeatS": context["stream-chat:heartbeat_s"],
        "firstTokenTimeoutS": context["stream-chat:first_token_timeout_s"],
        "features": {
            "thinking": context["stream-chat:thinking"],
            "search": context["stream-chat:web_search"] or context["stream-chat:web_fetch"],
        },
        "attachments": {
            "maxFileBytes": context["stream-chat:max_attachment_bytes"],
            "maxFiles": context["stream-chat:max_attachments"],
            "maxRequestBytes": 5 * 1024 * 1024,
            "mediaTypes": ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"],
        },
        "models": context["stream-chat:allowed_models"],
        "model": context["stream-chat:model"],
    }
    assert config["features"] == {"thinking": False, "search": False}


def test_the_deployed_page_offers_what_the_function_allows(
    options: Template, options_synth: Synth, bedrock: Template, bedrock_synth: Synth
) -> None:
    offered = page_config_json(options_synth, deployments(options)["entry"])
    assert offered["features"] == {"thinking": True, "search": True}
    # Bedrock thinks, but offers no server tools: a deployment on it never offers search.
    on_bedrock = page_config_json(bedrock_synth, deployments(bedrock)["entry"])
    assert on_bedrock["features"] == {"thinking": True, "search": False}


def page_config_json(synth: Synth, entry: dict[str, Any]) -> dict[str, Any]:
    """config.json as deployed: its deploy-time markers replaced by their resolved values."""
    text = asset_files(synth, entry)["config.json"].decode()
    for markers in entry.get("SourceMarkers", []):
        for marker, value in markers.items():
            text = text.replace(marker, resolved(value))
    config: dict[str, Any] = json.loads(text)
    return config


def test_the_page_ships_versioned_with_the_locked_browser_libraries(
    default: Template, default_synth: Synth, tmp_path: Path
) -> None:
    assets = deployments(default)["assets"]
    assert set(assets["Exclude"]) == {"index.html", "config.json"}
    assert assets["SystemMetadata"]["cache-control"] == "public, max-age=31536000, immutable"
    assert assets["Prune"] is False, "a page loaded before a deploy still finds its modules"
    files = asset_files(default_synth, assets)
    versions = {path.split("/")[1] for path in files}
    assert len(versions) == 1 and all(path.startswith("assets/") for path in files)
    base = f"assets/{versions.pop()}/"
    node_modules = ROOT / "node_modules"
    libraries = {
        "vendor/marked.esm.js": node_modules / "marked" / "lib" / "marked.esm.js",
        "vendor/purify.es.mjs": node_modules / "dompurify" / "dist" / "purify.es.mjs",
        "vendor/katex.mjs": node_modules / "katex" / "dist" / "katex.mjs",
        "vendor/highlight/core.min.js": node_modules
        / "@highlightjs"
        / "cdn-assets"
        / "es"
        / "core.min.js",
    }
    for site_path, source in libraries.items():
        shipped_library = files[base + site_path]
        if source.name.endswith(".min.js"):
            assert shipped_library == source.read_bytes()
        else:
            minified = tmp_path / source.name
            minify(source, minified)
            assert shipped_library == minified.read_bytes()
            assert len(shipped_library) <= len(source.read_bytes())
    page = {str(p.relative_to(ROOT / "web")) for p in (ROOT / "web").rglob("*") if p.is_file()}
    shipped = {
        p
        for p in page
        if not p.startswith("vendor/")
        and p not in ("index.html", "config.json", "jsconfig.json", "highlight-grammars.json")
        and not p.endswith(".d.ts")
    }
    ours = {p.removeprefix(base) for p in files if not p.startswith(base + "vendor/")}
    assert ours == shipped

    # The entry page loads its modules, styles and preloads from that version only.
    entry = asset_files(default_synth, deployments(default)["entry"])
    html = entry["index.html"].decode()
    references = re.findall(r'(?:href|src)="([^"#]+)"', html)
    assert references and all(ref.startswith(base) for ref in references), references
    assert all(ref.removeprefix(base) in ours | set(libraries) for ref in references)


def test_the_cdk_app_does_not_depend_on_local_tooling() -> None:
    sources = [ROOT / "app.py", *sorted((ROOT / "infra").glob("*.py"))]
    for source in sources:
        assert "stream_chat_local" not in source.read_text(), source.name


def test_anthropic_gets_no_bedrock_access(default: Template, options: Template) -> None:
    for template in (default, options):
        assert "bedrock" not in by_service(function_statements(template))
        assert ENV["bedrock_region"] not in function_environment(template)


def test_bedrock_may_invoke_exactly_its_models_and_nothing_else(bedrock: Template) -> None:
    grants = by_service(function_statements(bedrock))
    assert set(grants) == {"logs", "dynamodb", "bedrock"}  # no secret to read
    assert grants["bedrock"]["actions"] == ["bedrock:InvokeModelWithResponseStream"]
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/"
    model = "arn:aws:bedrock:{}::foundation-model/"
    sonnet_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    us_regions = ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
    assert sorted(grants["bedrock"]["resource"]) == sorted(
        [
            # The US profile: itself, and the model in every region it routes to.
            profile + "us." + sonnet_45,
            *(model.format(region) + sonnet_45 for region in us_regions),
            # The global profile: itself, the model here, and the model in any region.
            profile + "global.anthropic.claude-sonnet-4-6",
            model.format("us-east-1") + "anthropic.claude-sonnet-4-6",
            "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6",
            # A foundation model called directly: here only.
            model.format("us-east-1") + "anthropic.claude-haiku-4-5-20251001-v1:0",
        ]
    )
    assert not any("*" in arn for arn in grants["bedrock"]["resource"])
    # The cancel function never reaches a model.
    assert "bedrock" not in json.dumps(role_statements(bedrock, cancel_lambda))


def test_bedrock_creates_and_names_no_anthropic_secret(bedrock: Template) -> None:
    bedrock.resource_count_is("AWS::SecretsManager::Secret", 0)
    env = function_environment(bedrock)
    assert ENV["anthropic_secret_arn"] not in env
    assert env[ENV["provider"]] == "bedrock"
    assert env[ENV["model"]] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert "AnthropicSecretId" not in bedrock.to_json().get("Outputs", {})
    settings = Settings.from_env(
        {**{k: resolved(v) for k, v in env.items()}, "AWS_REGION": "us-east-1"}
    )
    assert settings.provider == "bedrock" and settings.bedrock_region == "us-east-1"

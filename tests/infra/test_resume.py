"""The template's contract for resuming an answer: the journal table, who may write and read it,
the resume function and its URL, and the CloudFront behaviour that routes the resume path there.
"""

from __future__ import annotations

import ast
import fnmatch
import json
from typing import Any

import pytest
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk.assertions import Template

from infra import cancel_function, resume_function
from infra.python_function import EXEC_WRAPPER
from infra.streaming_function import HANDLER as STREAMING_HANDLER
from stream_chat.routes import API_PATTERN, CANCEL_PATTERN, RESUME_PATTERN
from stream_chat.settings import ENV, Settings
from tests.infra.conftest import OPTIONS, ROOT
from tests.infra.test_stack import (
    by_service,
    cancel_lambda,
    distribution_config,
    function_environment,
    journal_table_id,
    resolved,
    resume_lambda,
    role_statements,
    streaming_function,
    url_origin,
)

pytestmark = pytest.mark.infra

STREAM_ID = "Q2hhdFN0cmVhbUlkMDAx"
FUNCTIONS = ROOT / "functions"


def resume_behavior(template: Template) -> dict[str, Any]:
    behaviors = distribution_config(template)["CacheBehaviors"]
    (found,) = [b for b in behaviors if b["PathPattern"] == RESUME_PATTERN]
    return dict(found)


def resume_environment(template: Template) -> dict[str, Any]:
    env: dict[str, Any] = resume_lambda(template)[1]["Properties"]["Environment"]["Variables"]
    return dict(env)


def test_the_journal_table_is_keyed_by_stream_and_batch_and_expires_by_ttl(
    default: Template, open_: Template
) -> None:
    resource = default.find_resources("AWS::DynamoDB::Table")[journal_table_id(default)]
    props = resource["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "stream_id", "KeyType": "HASH"},
        {"AttributeName": "batch", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "batch", "AttributeType": "N"},
        {"AttributeName": "stream_id", "AttributeType": "S"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": False}
    # Like the other tables: nothing in it outlives a day, so it goes with the stack.
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Delete"
    # Every deployment journals, with or without sign-in and limits.
    assert journal_table_id(open_)


def test_cloudfront_sends_each_api_path_to_its_function(default: Template) -> None:
    config = distribution_config(default)
    origin = {
        "stream": url_origin(default, streaming_function)["Id"],
        "cancel": url_origin(default, cancel_lambda)["Id"],
        "resume": url_origin(default, resume_lambda)["Id"],
        "page": config["DefaultCacheBehavior"]["TargetOriginId"],
    }

    def routed(path: str) -> str:
        # CloudFront's rule: the first behaviour whose pattern matches, else the default.
        for behavior in config["CacheBehaviors"]:
            if fnmatch.fnmatchcase(path, behavior["PathPattern"]):
                return str(behavior["TargetOriginId"])
        return str(config["DefaultCacheBehavior"]["TargetOriginId"])

    assert routed(f"/api/chat/stream/{STREAM_ID}") == origin["resume"]
    assert routed(f"/api/chat/stream/{STREAM_ID}/cancel") == origin["cancel"]
    assert routed("/api/chat/stream") == origin["stream"]
    assert routed("/index.html") == origin["page"]
    patterns = [b["PathPattern"] for b in config["CacheBehaviors"]]
    cancel, resume, api = (patterns.index(p) for p in (CANCEL_PATTERN, RESUME_PATTERN, API_PATTERN))
    assert cancel < resume < api


def test_the_resume_behaviour_is_an_uncached_get_that_forwards_what_a_resume_reads(
    default: Template,
) -> None:
    behavior = resume_behavior(default)
    assert sorted(behavior["AllowedMethods"]) == ["GET", "HEAD"]
    assert behavior["CachePolicyId"] == cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
    # Streamed as the live answer is: uncompressed, over HTTPS, with the security headers.
    assert behavior["Compress"] is False
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    other = next(b for b in distribution_config(default)["CacheBehaviors"] if b != behavior)
    assert behavior["ResponseHeadersPolicyId"] == other["ResponseHeadersPolicyId"]
    policies = default.find_resources("AWS::CloudFront::OriginRequestPolicy")
    policy = policies[behavior["OriginRequestPolicyId"]["Ref"]]["Properties"]
    config = policy["OriginRequestPolicyConfig"]
    assert config["HeadersConfig"]["HeaderBehavior"] == "whitelist"
    names = {name.lower() for name in config["HeadersConfig"]["Headers"]}
    # The token travels in X-Authorization: OAC signs each request with its own Authorization.
    assert names == {"last-event-id", "x-authorization", "cloudfront-viewer-address"}
    assert config["QueryStringsConfig"]["QueryStringBehavior"] == "all"  # ?after=n
    assert config["CookiesConfig"]["CookieBehavior"] == "none"


def test_the_resume_function_streams_through_an_iam_url_of_its_own(default: Template) -> None:
    function_id, function = resume_lambda(default)
    url = default.find_resources(
        "AWS::Lambda::Url",
        {"Properties": {"TargetFunctionArn": {"Fn::GetAtt": [function_id, "Arn"]}}},
    )
    ((_, resource),) = url.items()
    assert resource["Properties"]["AuthType"] == "AWS_IAM"
    assert resource["Properties"]["InvokeMode"] == "RESPONSE_STREAM"
    assert "Qualifier" not in resource["Properties"]  # no alias: it is not snapshotted
    props = function["Properties"]
    assert (props["Runtime"], props["Architectures"]) == ("python3.13", ["arm64"])
    assert props["MemorySize"] == 512
    assert "SnapStart" not in props and "VpcConfig" not in props
    # The same asset, started by the same runtime loop.
    assert props["Code"] == streaming_function(default)[1]["Properties"]["Code"]
    assert props["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == EXEC_WRAPPER


def test_the_resume_function_outlasts_the_answer_it_follows(
    default: Template, options: Template
) -> None:
    assert resume_lambda(default)[1]["Properties"]["Timeout"] == 180 + 60
    props = resume_lambda(options)[1]["Properties"]
    assert props["Timeout"] == OPTIONS["stream-chat:timeout_s"] + 60
    assert (
        props["ReservedConcurrentExecutions"] == OPTIONS["stream-chat:resume_reserved_concurrency"]
    )
    assert "ReservedConcurrentExecutions" not in resume_lambda(default)[1]["Properties"]
    # Lambda allows 15 minutes at most: past that the client resumes again.
    assert [resume_function.resume_timeout_s(s) for s in (10, 840, 841, 900)] == [70, 900, 900, 900]


@pytest.mark.parametrize("name", ["default", "options", "bedrock", "open_"])
def test_the_resume_function_may_only_query_the_journal(
    request: pytest.FixtureRequest, name: str
) -> None:
    template: Template = request.getfixturevalue(name)
    log_group = resume_lambda(template)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    assert by_service(role_statements(template, resume_lambda)) == {
        "logs": {
            "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "resource": {"Fn::GetAtt": [log_group, "Arn"]},
        },
        "dynamodb": {
            "actions": ["dynamodb:Query"],
            "resource": {"Fn::GetAtt": [journal_table_id(template), "Arn"]},
        },
    }


def test_only_the_stream_writes_the_journal_and_only_the_resume_reads_it(
    default: Template,
) -> None:
    journal = journal_table_id(default)
    role = {
        function(default)[1]["Properties"]["Role"]["Fn::GetAtt"][0]: kind
        for kind, function in (
            ("stream", streaming_function),
            ("cancel", cancel_lambda),
            ("resume", resume_lambda),
        )
    }
    granted = []
    for policy in default.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if journal in json.dumps(statement["Resource"]):
                roles = [role.get(r["Ref"], r["Ref"]) for r in policy["Properties"]["Roles"]]
                granted.append((roles, statement["Action"]))
            assert statement["Resource"] != "*" or "dynamodb" not in json.dumps(statement)
    assert sorted(granted) == [(["resume"], "dynamodb:Query"), (["stream"], "dynamodb:PutItem")]


@pytest.mark.parametrize("name", ["default", "bedrock", "open_"])
def test_the_streaming_function_journals_every_answer_to_the_table(
    request: pytest.FixtureRequest, name: str
) -> None:
    template: Template = request.getfixturevalue(name)
    env = function_environment(template)
    assert env[ENV["journal_backend"]] == "dynamodb"
    assert env[ENV["journal_table"]] == {"Ref": journal_table_id(template)}


def test_the_resume_function_reads_the_journal_and_the_same_tokens(
    default: Template, options: Template, open_: Template
) -> None:
    env = resume_environment(default)
    assert env.pop("AWS_LAMBDA_EXEC_WRAPPER") == EXEC_WRAPPER
    streaming = function_environment(default)
    shared = ("heartbeat_s", "auth", "auth_issuer", "auth_client_id")
    assert env == {
        ENV["journal_backend"]: "dynamodb",
        ENV["journal_table"]: {"Ref": journal_table_id(default)},
        # It heartbeats as the live stream does, and checks the same pool's tokens.
        **{ENV[name]: streaming[ENV[name]] for name in shared},
    }
    settings = Settings.from_env({k: resolved(v) for k, v in env.items()})
    assert settings.auth == "cognito" and settings.heartbeat_s == 10
    # Its deadline margin too, when the context sets one.
    chosen = ENV["deadline_margin_s"]
    assert resume_environment(options)[chosen] == function_environment(options)[chosen] == "2.5"
    # No provider, no key, no cancel or limits table: it never reaches a model or a limit.
    without_sign_in = resume_environment(open_)
    assert without_sign_in[ENV["auth"]] == "none"
    assert ENV["auth_issuer"] not in without_sign_in


def test_the_resume_function_logs_where_an_output_says(default: Template) -> None:
    log_group = resume_lambda(default)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    default.has_output("ResumeLogGroupName", {"Value": {"Ref": log_group}})


def test_every_handler_the_template_names_is_defined_in_the_asset(default: Template) -> None:
    code = streaming_function(default)[1]["Properties"]["Code"]
    handlers = {
        props["Handler"]
        for resource in default.find_resources("AWS::Lambda::Function").values()
        if (props := resource["Properties"]).get("Code") == code
    }
    expected = {STREAMING_HANDLER, cancel_function.HANDLER, resume_function.HANDLER}
    assert handlers == expected
    for handler in sorted(handlers):
        module, name = handler.rsplit(".", 1)
        source = FUNCTIONS / f"{module.replace('.', '/')}.py"
        assert source.is_file(), handler
        tree = ast.parse(source.read_text())
        assigned = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert name in assigned | defined, handler

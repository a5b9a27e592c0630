"""The template's sign-in contract: the user pool, the page's public client (code + PKCE only),
the managed-login domain, the client's URLs on the site's address, the function's auth and
limits settings, the API's origin request policy, and the deliberately open variant."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.site import API_HEADERS
from stream_chat.settings import ENV
from tests.infra.conftest import Synth
from tests.infra.test_stack import (
    deployments,
    distribution_config,
    function_environment,
    only,
    page_config_json,
    resolved,
)

pytestmark = pytest.mark.infra


def pool(template: Template) -> tuple[str, dict[str, Any]]:
    logical_id, resource = only(template, "AWS::Cognito::UserPool")
    return logical_id, resource["Properties"]


def client(template: Template) -> tuple[str, dict[str, Any]]:
    logical_id, resource = only(template, "AWS::Cognito::UserPoolClient")
    return logical_id, resource["Properties"]


def test_only_an_administrator_creates_users_by_default(default: Template) -> None:
    props = pool(default)[1]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["UsernameAttributes"] == ["email"]
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["UserPoolTier"] == "ESSENTIALS"
    assert "LambdaConfig" not in props


def test_passwords_are_strong_and_mfa_is_offered(default: Template) -> None:
    props = pool(default)[1]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    for rule in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
        assert policy[rule] is True, rule
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["AccountRecoverySetting"]["RecoveryMechanisms"] == [
        {"Name": "verified_email", "Priority": 1}
    ]


def test_the_page_client_is_public_code_flow_only(default: Template) -> None:
    pool_id = pool(default)[0]
    props = client(default)[1]
    assert props["UserPoolId"] == {"Ref": pool_id}
    assert props["GenerateSecret"] is False
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["AllowedOAuthFlows"] == ["code"]  # no implicit, no client credentials
    assert props["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    assert props["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert props["EnableTokenRevocation"] is True
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert props["AccessTokenValidity"] == 60
    assert props["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert props["RefreshTokenValidity"] == 10080  # a week, in minutes


def test_managed_login_has_a_domain_and_a_style(default: Template, options: Template) -> None:
    pool_id, client_id = pool(default)[0], client(default)[0]
    domain = only(default, "AWS::Cognito::UserPoolDomain")[1]["Properties"]
    assert domain["UserPoolId"] == {"Ref": pool_id}
    assert domain["ManagedLoginVersion"] == 2
    # A prefix unique to the stack: "stream-chat-" and the first block of the stack's UUID.
    assert resolved(domain["Domain"]).startswith("stream-chat-")
    assert "AWS::StackId" in json.dumps(domain["Domain"])
    branding = only(default, "AWS::Cognito::ManagedLoginBranding")[1]["Properties"]
    assert branding == {
        "UserPoolId": {"Ref": pool_id},
        "ClientId": {"Ref": client_id},
        "UseCognitoProvidedValues": True,
    }
    chosen = only(options, "AWS::Cognito::UserPoolDomain")[1]["Properties"]
    assert chosen["Domain"] == "chat-test-42"


def test_callback_and_logout_urls_are_the_site_once_it_exists(
    default: Template, default_synth: Synth
) -> None:
    distribution_id = only(default, "AWS::CloudFront::Distribution")[0]
    pool_id, client_id = pool(default)[0], client(default)[0]
    urls_id, urls = only(default, "Custom::UserPoolClientUrls")
    props = urls["Properties"]
    assert props["UserPoolId"] == {"Ref": pool_id}
    assert props["ClientId"] == {"Ref": client_id}
    site = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/"]]}
    assert props["Urls"] == [site]
    # The handler may describe and update clients of this pool, nothing else.
    handler_arn = props["ServiceToken"]["Fn::GetAtt"]
    handler = default.find_resources("AWS::Lambda::Function")[handler_arn[0]]["Properties"]
    assert handler["Handler"] == "index.handler" and "cfnresponse" in handler["Code"]["ZipFile"]
    role_id = handler["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in default.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    cognito = [s for s in statements if "cognito-idp" in json.dumps(s["Action"])]
    assert cognito == [
        {
            "Action": ["cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [pool_id, "Arn"]},
        }
    ]
    # config.json (and so any sign-in) goes live only after the URLs are set.
    template = default_synth.template["Resources"]
    (entry_id,) = [
        k
        for k, v in template.items()
        if v["Type"] == "Custom::CDKBucketDeployment" and "Include" in v["Properties"]
    ]
    assert urls_id in template[entry_id]["DependsOn"]


def test_the_function_verifies_the_pools_tokens_for_the_page_client(default: Template) -> None:
    env = function_environment(default)
    pool_id, client_id = pool(default)[0], client(default)[0]
    assert env[ENV["auth"]] == "cognito"
    assert env[ENV["auth_client_id"]] == {"Ref": client_id}
    assert env[ENV["auth_issuer"]] == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [pool_id, "ProviderURL"]}]]
    }


def test_the_limits_live_in_an_on_demand_ttl_table(default: Template) -> None:
    env = function_environment(default)
    table_id, table = only(
        default,
        "AWS::DynamoDB::Table",
        KeySchema=[{"AttributeName": "limit_key", "KeyType": "HASH"}],
    )
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert env[ENV["limits_backend"]] == "dynamodb"
    assert env[ENV["limits_table"]] == {"Ref": table_id}
    assert env[ENV["limit_concurrent_streams"]] == "2"
    assert env[ENV["limit_requests_per_minute"]] == "10"
    assert env[ENV["limit_output_tokens_per_day"]] == "100000"


def test_the_api_gets_the_token_and_the_viewer_address_cloudfront_sets(
    default: Template,
) -> None:
    (api,) = [
        b for b in distribution_config(default)["CacheBehaviors"] if b["PathPattern"] == "/api/*"
    ]
    policies = default.find_resources("AWS::CloudFront::OriginRequestPolicy")
    config = policies[api["OriginRequestPolicyId"]["Ref"]]["Properties"][
        "OriginRequestPolicyConfig"
    ]
    headers = config["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    names = {name.lower() for name in headers["Headers"]}
    assert {"x-authorization", "cloudfront-viewer-address", "x-amz-content-sha256"} <= names
    # Never the viewer's Host (the function URL needs its own) nor Authorization (OAC's).
    assert not names & {"host", "authorization"}
    assert names == {name.lower() for name in API_HEADERS}
    assert config["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert config["CookiesConfig"]["CookieBehavior"] == "none"


def test_the_page_config_names_the_client_and_the_domain(
    default: Template, default_synth: Synth
) -> None:
    auth = page_config_json(default_synth, deployments(default)["entry"])["auth"]
    client_id = client(default)[0].lower()
    domain = resolved({"Ref": only(default, "AWS::Cognito::UserPoolDomain")[0]})
    base = f"https://{domain}.auth.eu-west-1.amazoncognito.com"
    assert auth == {
        "kind": "cognito",
        "client_id": client_id,
        "authorize_url": f"{base}/oauth2/authorize",
        "token_url": f"{base}/oauth2/token",
        "logout_url": f"{base}/logout",
        "revoke_url": f"{base}/oauth2/revoke",
        "scopes": ["openid", "email", "profile"],
    }


def test_the_outputs_give_the_command_that_creates_a_user(default: Template) -> None:
    pool_id = pool(default)[0]
    outputs = default.find_outputs("CreateUserCommand")
    command = resolved(next(iter(outputs.values()))["Value"])
    assert command.startswith("aws cognito-idp admin-create-user --region eu-west-1 ")
    assert f"--user-pool-id {pool_id.lower()} " in command
    assert "Name=email,Value=user@example.com" in command


def test_self_sign_up_can_be_limited_to_email_domains(options: Template) -> None:
    props = pool(options)[1]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    trigger_arn = props["LambdaConfig"]["PreSignUp"]["Fn::GetAtt"]
    trigger = options.find_resources("AWS::Lambda::Function")[trigger_arn[0]]["Properties"]
    assert trigger["Environment"]["Variables"] == {
        "ALLOWED_EMAIL_DOMAINS": "example.com,example.org"
    }
    assert "PreSignUp_SignUp" in trigger["Code"]["ZipFile"]
    permission = only(options, "AWS::Lambda::Permission", Principal="cognito-idp.amazonaws.com")[1]
    assert permission["Properties"]["SourceArn"] == {"Fn::GetAtt": [pool(options)[0], "Arn"]}


def test_an_open_deployment_is_possible_only_by_saying_so(
    open_: Template, open_synth: Synth
) -> None:
    for kind in ("UserPool", "UserPoolClient", "UserPoolDomain"):
        open_.resource_count_is(f"AWS::Cognito::{kind}", 0)
    env = function_environment(open_)
    assert env[ENV["auth"]] == "none"
    assert ENV["auth_issuer"] not in env and ENV["limits_table"] not in env
    open_.resource_count_is("AWS::DynamoDB::Table", 2)  # the cancel table and the journal
    assert page_config_json(open_synth, deployments(open_)["entry"])["auth"] is None
    warnings = open_synth.annotations()
    assert any("stream-chat:auth=none" in w and "open to anyone" in w for w in warnings)
    assert "stream-chat:auth=none" in open_synth.stderr  # the CLI shows it at synth and deploy

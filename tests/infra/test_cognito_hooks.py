"""The two small functions around the user pool: the pre sign-up e-mail domain check, and the
custom resource that points the app client at the site (against moto's Cognito)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cognito_hooks import client_urls, pre_sign_up
from infra.inline_function import MAX_INLINE_BYTES
from infra.sign_in import HOOKS

pytestmark = pytest.mark.infra
SITE = "https://d111111abcdef8.cloudfront.net/"


def sign_up(email: str, source: str = "PreSignUp_SignUp") -> dict[str, Any]:
    return {
        "triggerSource": source,
        "userPoolId": "eu-west-1_abc",
        "request": {"userAttributes": {"email": email}},
        "response": {"autoConfirmUser": False},
    }


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pre_sign_up.DOMAINS_ENV, "example.com, Example.ORG")


@pytest.mark.usefixtures("allowed")
@pytest.mark.parametrize("email", ["ann@example.com", "Bob@EXAMPLE.com", "eve@example.org"])
def test_addresses_in_an_allowed_domain_may_sign_up(email: str) -> None:
    event = sign_up(email)
    assert pre_sign_up.handler(event, None) is event


@pytest.mark.usefixtures("allowed")
@pytest.mark.parametrize(
    "email",
    [
        "mallory@evil.com",
        "mallory@example.com.evil.com",
        "mallory@sub.example.com",
        "mallory@evil.com@example.com",
        "example.com",
        "@example.com",
        "",
    ],
)
def test_any_other_address_is_refused_with_the_allowed_domains(email: str) -> None:
    with pytest.raises(PermissionError, match=re.escape("example.com, example.org")):
        pre_sign_up.handler(sign_up(email), None)


@pytest.mark.usefixtures("allowed")
def test_users_an_administrator_creates_are_not_checked() -> None:
    event = sign_up("contractor@elsewhere.net", source="PreSignUp_AdminCreateUser")
    assert pre_sign_up.handler(event, None) is event


def test_with_no_domain_configured_nobody_signs_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pre_sign_up.DOMAINS_ENV, raising=False)
    with pytest.raises(PermissionError, match="none"):
        pre_sign_up.handler(sign_up("ann@example.com"), None)


def test_both_hooks_fit_in_inline_code() -> None:
    for name in ("pre_sign_up.py", "client_urls.py"):
        assert len((HOOKS / name).read_bytes()) <= MAX_INLINE_BYTES, name


@pytest.fixture
def cognito() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cognito-idp", region_name="eu-west-1")


def test_the_client_gets_the_site_urls_and_keeps_everything_else(cognito: Any) -> None:
    pool = cognito.create_user_pool(PoolName="chat")["UserPool"]["Id"]
    created = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="page",
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        AllowedOAuthFlowsUserPoolClient=True,
        CallbackURLs=["https://localhost/"],
        LogoutURLs=["https://localhost/"],
        SupportedIdentityProviders=["COGNITO"],
        AccessTokenValidity=60,
        RefreshTokenValidity=7,
        TokenValidityUnits={"AccessToken": "minutes", "RefreshToken": "days"},
        EnableTokenRevocation=True,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    client_id = created["ClientId"]
    before = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)

    physical_id = client_urls.point_client_at(
        cognito, {"UserPoolId": pool, "ClientId": client_id, "Urls": [SITE]}
    )

    after = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)
    assert physical_id == f"{pool}/{client_id}"
    assert after["UserPoolClient"]["CallbackURLs"] == [SITE]
    assert after["UserPoolClient"]["LogoutURLs"] == [SITE]
    unchanged = {k: v for k, v in after["UserPoolClient"].items() if not k.endswith("URLs")}
    assert unchanged == {
        k: v for k, v in before["UserPoolClient"].items() if not k.endswith("URLs")
    }


def test_the_update_request_carries_only_what_the_api_accepts() -> None:
    current = {
        "UserPoolId": "p",
        "ClientId": "c",
        "ClientSecret": "never sent",
        "CreationDate": "2026-01-01",
        "LastModifiedDate": "2026-01-02",
        "AllowedOAuthFlows": ["code"],
        "DefaultRedirectURI": "https://localhost/",
        "CallbackURLs": ["https://localhost/"],
    }
    request = client_urls.update_request(current, [SITE])
    assert request == {
        "UserPoolId": "p",
        "ClientId": "c",
        "AllowedOAuthFlows": ["code"],
        "CallbackURLs": [SITE],
        "LogoutURLs": [SITE],
    }

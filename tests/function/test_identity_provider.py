"""The stand-in identity provider acts like Cognito where the page and the function rely on it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from tests.fakes.identity_provider import FakeIdentityProvider, User

CALLBACK = "http://127.0.0.1:9/callback"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


@pytest.fixture
def idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider("web-client", redirect_uris=[CALLBACK], logout_uris=[CALLBACK]) as f:
        yield f


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with OPENER.open(url, timeout=5) as response:
            return response.status, lower(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, lower(error.headers), error.read()


def lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def post(url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize(idp: FakeIdentityProvider, challenge: str, **extra: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": "web-client",
        "redirect_uri": CALLBACK,
        "state": "s-123",
        "scope": "openid email",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    status, headers, _ = get(f"{idp.base_url}/oauth2/authorize?{urlencode(query)}")
    assert status == 302
    location = urlsplit(headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def redeem(idp: FakeIdentityProvider, code: str, verifier: str) -> tuple[int, dict[str, Any]]:
    return post(
        f"{idp.base_url}/oauth2/token",
        {
            "grant_type": "authorization_code",
            "client_id": "web-client",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
    )


def test_code_flow_with_pkce_issues_verifiable_tokens(idp: FakeIdentityProvider) -> None:
    verifier, challenge = pkce()
    back = authorize(idp, challenge)
    assert back["state"] == "s-123"
    status, tokens = redeem(idp, back["code"], verifier)
    assert status == 200 and tokens["token_type"] == "Bearer"
    keys = jwt.PyJWKClient(idp.jwks_url)
    access = jwt.decode(
        tokens["access_token"],
        keys.get_signing_key_from_jwt(tokens["access_token"]).key,
        algorithms=["RS256"],
        issuer=idp.issuer,
    )
    assert access["token_use"] == "access" and access["client_id"] == "web-client"
    assert access["sub"] == idp.user.sub and access["username"] == "alice"
    assert access["scope"] == "openid email"
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == idp.signing_kid
    claims = jwt.decode(
        tokens["id_token"], idp.public_key(), algorithms=["RS256"], audience="web-client"
    )
    assert claims["token_use"] == "id" and claims["email"] == "alice@example.com"
    assert idp.jwks_fetches == 1


def test_a_code_works_once_and_only_with_its_verifier(idp: FakeIdentityProvider) -> None:
    verifier, challenge = pkce()
    code = authorize(idp, challenge)["code"]
    assert redeem(idp, code, pkce()[0]) == (
        400,
        {"error": "invalid_grant", "error_description": "PKCE check failed"},
    )
    code = authorize(idp, challenge)["code"]
    assert redeem(idp, code, verifier)[0] == 200
    assert redeem(idp, code, verifier)[1]["error"] == "invalid_grant"


def test_refresh_then_revoke(idp: FakeIdentityProvider) -> None:
    verifier, challenge = pkce()
    _, tokens = redeem(idp, authorize(idp, challenge)["code"], verifier)
    form = {"grant_type": "refresh_token", "client_id": "web-client"}
    status, fresh = post(
        f"{idp.base_url}/oauth2/token", {**form, "refresh_token": tokens["refresh_token"]}
    )
    assert status == 200 and fresh["access_token"] != tokens["access_token"]
    assert "refresh_token" not in fresh  # like Cognito without refresh-token rotation
    revoke = {"token": tokens["refresh_token"], "client_id": "web-client"}
    assert post(f"{idp.base_url}/oauth2/revoke", revoke)[0] == 200
    status, body = post(
        f"{idp.base_url}/oauth2/token", {**form, "refresh_token": tokens["refresh_token"]}
    )
    assert status == 400 and body["error"] == "invalid_grant"


def test_bad_authorize_requests(idp: FakeIdentityProvider) -> None:
    _, challenge = pkce()
    assert authorize(idp, challenge, code_challenge_method="plain") == {
        "error": "invalid_request",
        "state": "s-123",
    }
    assert authorize(idp, challenge, response_type="token")["error"] == "unsupported_response_type"
    elsewhere = urlencode({"client_id": "web-client", "redirect_uri": "http://evil.example/"})
    assert get(f"{idp.base_url}/oauth2/authorize?{elsewhere}")[0] == 400


def test_logout_redirects_to_the_logout_uri(idp: FakeIdentityProvider) -> None:
    query = urlencode({"client_id": "web-client", "logout_uri": CALLBACK})
    status, headers, _ = get(f"{idp.base_url}/logout?{query}")
    assert status == 302 and headers["location"] == CALLBACK


def test_key_rotation_and_claim_overrides(idp: FakeIdentityProvider) -> None:
    old = idp.signing_kid
    new = idp.add_key()
    assert {k["kid"] for k in idp.jwks()["keys"]} == {old, new}
    idp.drop_key(old)
    assert [k["kid"] for k in idp.jwks()["keys"]] == [new]
    token = idp.access_token(client_id="other", scope=None, user=User("bob", "sub-bob"))
    claims = jwt.decode(token, idp.public_key(), algorithms=["RS256"])
    assert claims["client_id"] == "other" and "scope" not in claims
    assert claims["username"] == "bob" and jwt.get_unverified_header(token)["kid"] == new

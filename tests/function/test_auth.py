"""With sign-in on, no request without a valid access token reaches the provider.

Tokens are minted by the stand-in identity provider (keys generated at its start, JWKS served
over real HTTP); the provider is the fake Anthropic server reached through the real SDK. Every
refused case asserts both the 401 and that the provider saw no request.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stream_chat.access import Authorizer
from stream_chat.access.tokens import SigningKeys
from stream_chat.cancel_handler import CancelFunction
from stream_chat.cancellation.sqlite import SQLiteRegistry
from stream_chat.errors import Unauthorized
from stream_chat.handler import ChatFunction
from stream_chat.providers import make_provider
from stream_chat.runtime.context import LambdaContext
from stream_chat.runtime.response import StreamingResponse
from stream_chat.settings import Settings
from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.identity_provider import FakeIdentityProvider, User
from tests.function.conftest import build_function, chat_event, user
from tests.support.protocol import iter_frames, read_frames, text_of
from tests.support.stores import is_cancelled

Frames = list[dict[str, Any]]


@pytest.fixture(scope="module")
def shared_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_anthropic(
    shared_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> FakeAnthropic:
    """One server for the module (stopping one takes a while); each test sees its own record."""
    shared_anthropic.requests.clear()
    shared_anthropic.streams.clear()
    shared_anthropic._queue.clear()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", shared_anthropic.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", shared_anthropic.api_key)
    return shared_anthropic


@pytest.fixture(scope="module")
def shared_idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider("chat-client") as fake:
        yield fake


@pytest.fixture
def idp(shared_idp: FakeIdentityProvider) -> FakeIdentityProvider:
    """Shared by the tests that do not change its keys (RSA key generation takes a while)."""
    return shared_idp


@pytest.fixture
def own_idp() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider("chat-client") as fake:
        yield fake


@pytest.fixture
def function(
    settings: Settings, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> ChatFunction:
    """Built after the fake provider is in place, so the SDK client points at it."""
    return build_function(signed_in(settings, idp))


def signed_in(settings: Settings, idp: FakeIdentityProvider, **more: Any) -> Settings:
    return replace(
        settings, auth="cognito", auth_issuer=idp.issuer, auth_client_id=idp.client_id, **more
    )


def call(
    function: ChatFunction, authorization: str | None, header: str = "x-authorization"
) -> tuple[StreamingResponse, Frames]:
    headers = {} if authorization is None else {header: authorization}
    response = function(chat_event(user(), headers=headers), LambdaContext.local("t", 30))
    if response.headers["content-type"].startswith("application/json"):
        return response, [json.loads(b"".join(response.body))]
    return response, read_frames(response.body)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def now() -> int:
    return int(time.time())


# -- forged and invalid tokens -----------------------------------------------------------------
def expired(idp: FakeIdentityProvider) -> str:
    return idp.access_token(iat=now() - 3700, exp=now() - 120)


def not_yet_valid(idp: FakeIdentityProvider) -> str:
    return idp.access_token(nbf=now() + 300)


def issued_in_the_future(idp: FakeIdentityProvider) -> str:
    return idp.access_token(iat=now() + 300)


def wrong_issuer(idp: FakeIdentityProvider) -> str:
    return idp.access_token(iss=idp.base_url + "/us-east-1_OtherPool")


def wrong_client(idp: FakeIdentityProvider) -> str:
    return idp.access_token(client_id="another-app")


def id_token(idp: FakeIdentityProvider) -> str:
    return idp.id_token()


def id_token_with_client_id(idp: FakeIdentityProvider) -> str:
    return idp.id_token(client_id=idp.client_id)


def no_token_use(idp: FakeIdentityProvider) -> str:
    return idp.access_token(token_use=None)


def no_expiry(idp: FakeIdentityProvider) -> str:
    return idp.access_token(exp=None)


def no_subject(idp: FakeIdentityProvider) -> str:
    return idp.access_token(sub=None)


def tampered_signature(idp: FakeIdentityProvider) -> str:
    head, body, signature = idp.access_token().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{b64(bytes(raw))}"


def tampered_claims(idp: FakeIdentityProvider) -> str:
    head, _, signature = idp.access_token().split(".")
    other = claims_of(idp.access_token(user=User("mallory", "sub-mallory")))
    return f"{head}.{b64(json.dumps(other).encode())}.{signature}"


def alg_none(idp: FakeIdentityProvider) -> str:
    claims = claims_of(idp.access_token())
    return forge({"alg": "none", "typ": "JWT", "kid": idp.signing_kid}, claims, lambda _: b"")


def alg_none_with_signature(idp: FakeIdentityProvider) -> str:
    claims = claims_of(idp.access_token())
    return forge({"alg": "none", "kid": idp.signing_kid}, claims, lambda _: b"x")


def hs256_with_the_public_key(idp: FakeIdentityProvider) -> str:
    pem = idp.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = claims_of(idp.access_token())
    header = {"alg": "HS256", "typ": "JWT", "kid": idp.signing_kid}
    return forge(header, claims, lambda data: hmac.new(pem, data, hashlib.sha256).digest())


def rs512(idp: FakeIdentityProvider) -> str:
    claims = claims_of(idp.access_token())
    return jwt.encode(claims, idp.private_key(), "RS512", headers={"kid": idp.signing_kid})


@functools.cache
def stranger() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signed_by_a_stranger_with_a_known_kid(idp: FakeIdentityProvider) -> str:
    return idp.access_token(key=stranger())


def unknown_kid(idp: FakeIdentityProvider) -> str:
    return idp.access_token(kid=f"not-published-{secrets.token_hex(4)}", key=stranger())


def no_kid(idp: FakeIdentityProvider) -> str:
    return jwt.encode(claims_of(idp.access_token()), idp.private_key(), "RS256")


FORGED = [
    expired,
    not_yet_valid,
    issued_in_the_future,
    wrong_issuer,
    wrong_client,
    id_token,
    id_token_with_client_id,
    no_token_use,
    no_expiry,
    no_subject,
    tampered_signature,
    tampered_claims,
    alg_none,
    alg_none_with_signature,
    hs256_with_the_public_key,
    rs512,
    signed_by_a_stranger_with_a_known_kid,
    unknown_kid,
    no_kid,
]


def assert_refused(response: StreamingResponse, frames: Frames, fake: FakeAnthropic) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert frames[0]["error"]["code"] == "unauthorized"
    assert fake.requests == [] and fake.streams == []


def test_a_valid_access_token_streams(
    function: ChatFunction, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    response, frames = call(function, f"Bearer {idp.access_token()}")
    assert response.status_code == 200
    assert text_of(frames) == "Hello, world!"
    assert len(fake_anthropic.requests) == 1


def test_clock_skew_within_the_leeway_is_accepted(
    function: ChatFunction, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    token = idp.access_token(exp=now() - 5, iat=now() + 5, nbf=now() + 5)
    assert call(function, f"bearer {token}")[0].status_code == 200


@pytest.mark.parametrize("make", FORGED, ids=[make.__name__ for make in FORGED])
def test_forged_and_invalid_tokens_get_401_and_no_provider_call(
    function: ChatFunction,
    idp: FakeIdentityProvider,
    fake_anthropic: FakeAnthropic,
    make: Callable[[FakeIdentityProvider], str],
) -> None:
    response, frames = call(function, f"Bearer {make(idp)}")
    assert_refused(response, frames, fake_anthropic)


def test_an_expired_token_says_so(function: ChatFunction, idp: FakeIdentityProvider) -> None:
    _, (body,) = call(function, f"Bearer {expired(idp)}")
    assert body["error"]["message"] == "The access token has expired."


MALFORMED = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer a.b",
    "Bearer a.b.c.d",
    "Bearer ...",
    "Bearer a.b.",
    "Bearer not-a-jwt-at-all",
    "Bearer eyJ!.eyJ.sig",
    "Bearer e30.e30.c2ln",  # {}.{}: no alg, no kid
    "Bearer " + "a" * 9000 + ".b.c",
    "Bearer \u00e9t\u00e9.b.c",
]


@pytest.mark.parametrize("value", MALFORMED, ids=lambda v: repr(v)[:30])
def test_malformed_header_values_get_401_and_no_provider_call(
    function: ChatFunction, fake_anthropic: FakeAnthropic, value: str | None
) -> None:
    response, frames = call(function, value)
    assert_refused(response, frames, fake_anthropic)


def test_two_tokens_in_one_header_are_refused(
    function: ChatFunction, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    token = idp.access_token()
    # A function URL joins repeated headers with commas.
    response, frames = call(function, f"Bearer {token},Bearer {token}")
    assert_refused(response, frames, fake_anthropic)


def test_the_token_is_read_from_x_authorization_only(
    function: ChatFunction, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    # CloudFront OAC signs and replaces Authorization: a token there never arrives anyway.
    response, frames = call(function, f"Bearer {idp.access_token()}", header="authorization")
    assert_refused(response, frames, fake_anthropic)


def test_a_refused_request_never_reads_the_body(
    function: ChatFunction, fake_anthropic: FakeAnthropic
) -> None:
    event = chat_event("{not json", headers={"x-authorization": "Bearer x.y.z"})
    response = function(event, LambdaContext.local("t", 30))
    assert response.status_code == 401  # not 400: authorize comes before parse


# -- the signing keys: fetched once, refetched once on rotation ----------------------------------
def test_keys_are_fetched_once_per_instance(
    function: ChatFunction, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    before = idp.jwks_fetches
    for _ in range(4):
        assert call(function, f"Bearer {idp.access_token()}")[0].status_code == 200
    assert idp.jwks_fetches == before + 1


def test_keys_are_fetched_at_init(
    settings: Settings, own_idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    authorizer = Authorizer.from_settings(signed_in(settings, own_idp)).warm()
    assert own_idp.jwks_fetches == 1
    function = ChatFunction(
        signed_in(settings, own_idp),
        make_provider(settings),
        None,
        authorizer=authorizer,
    )
    assert call(function, f"Bearer {own_idp.access_token()}")[0].status_code == 200
    assert own_idp.jwks_fetches == 1


def test_a_failed_fetch_at_init_is_retried_by_the_first_request(
    own_idp: FakeIdentityProvider,
) -> None:
    answers: list[Any] = [OSError("unreachable"), own_idp.jwks()]

    def fetch(url: str) -> dict[str, Any]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    keys = SigningKeys(own_idp.jwks_url, fetch)
    keys.prefetch()
    assert keys.get(own_idp.signing_kid).key_id == own_idp.signing_kid
    assert answers == []


def test_rotated_keys_are_fetched_once_and_forged_kids_do_not_cause_fetches(
    settings: Settings, own_idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    idp, function = own_idp, build_function(signed_in(settings, own_idp))
    old = idp.signing_kid
    assert call(function, f"Bearer {idp.access_token()}")[0].status_code == 200
    idp.add_key()  # the pool rotates: a new key signs from now on
    assert call(function, f"Bearer {idp.access_token()}")[0].status_code == 200
    assert idp.jwks_fetches == 2
    for _ in range(5):
        response, _ = call(function, f"Bearer {unknown_kid(idp)}")
        assert response.status_code == 401
    assert idp.jwks_fetches == 3  # one refetch for the first forged kid, then a quiet period
    idp.drop_key(old)
    assert call(function, f"Bearer {idp.access_token()}")[0].status_code == 200
    assert len(fake_anthropic.requests) == 3 and idp.jwks_fetches == 3


def test_an_unreachable_issuer_is_503_and_not_hammered(
    settings: Settings, fake_anthropic: FakeAnthropic
) -> None:
    with FakeIdentityProvider("chat-client") as gone:
        token = gone.access_token()
        function = build_function(signed_in(settings, gone))
    for _ in range(3):
        response, (body,) = call(function, f"Bearer {token}")
        assert response.status_code == 503
        assert body["error"]["code"] == "auth_unavailable"
    assert fake_anthropic.requests == []


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_quiet_period_ends(own_idp: FakeIdentityProvider) -> None:
    idp = own_idp
    clock = Clock()
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return idp.jwks()

    keys = SigningKeys(idp.jwks_url, fetch, quiet_s=30, clock=clock)
    assert keys.get(idp.signing_kid).key_id == idp.signing_kid
    for _ in range(3):
        with pytest.raises(Unauthorized):
            keys.get("rotated-in-later")
    assert len(fetched) == 2
    clock.now += 29
    with pytest.raises(Unauthorized):
        keys.get("rotated-in-later")
    assert len(fetched) == 2
    clock.now += 2
    new = idp.add_key()
    assert keys.get(new).key_id == new
    assert len(fetched) == 3 and fetched[0] == idp.jwks_url


def test_keys_that_are_not_rs256_signing_keys_are_ignored(idp: FakeIdentityProvider) -> None:
    (good,) = idp.jwks()["keys"]
    document = {
        "keys": [
            {**good, "kid": "enc", "use": "enc"},
            {**good, "kid": "ps256", "alg": "PS256"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {**good, "kid": "broken", "n": "AA"},
            "not a key",
            good,
        ]
    }
    keys = SigningKeys(idp.jwks_url, lambda _: document)
    assert keys.get(good["kid"]).key_id == good["kid"]
    for kid in ("enc", "ps256", "hmac", "broken"):
        with pytest.raises(Unauthorized):
            keys.get(kid)


# -- cancel is owned ------------------------------------------------------------------------------
def cancel_function(settings: Settings) -> CancelFunction:
    """The cancel function as it is built from the deployed settings."""
    registry = SQLiteRegistry(settings.cancel_sqlite_path, ttl_s=settings.cancel_ttl_s)
    return CancelFunction(registry, Authorizer.from_settings(settings))


STREAM_ID = "3q2-example-stream-id-0123456789AB"


@pytest.mark.parametrize("make", [None, expired, wrong_client, id_token, alg_none])
def test_a_cancel_needs_a_valid_token(
    settings: Settings,
    idp: FakeIdentityProvider,
    make: Callable[[FakeIdentityProvider], str] | None,
) -> None:
    signed = signed_in(settings, idp)
    headers = {} if make is None else {"x-authorization": f"Bearer {make(idp)}"}
    cancel = chat_event("", path=f"/api/chat/stream/{STREAM_ID}/cancel", headers=headers)
    answer = cancel_function(signed)(cancel, LambdaContext.local("c", 5))
    assert answer["statusCode"] == 401
    assert answer["headers"]["www-authenticate"].startswith("Bearer")
    assert json.loads(answer["body"])["error"]["code"] == "unauthorized"
    registry = SQLiteRegistry(signed.cancel_sqlite_path, ttl_s=60)
    assert not is_cancelled(registry, STREAM_ID)  # nothing was recorded, under any owner
    assert not is_cancelled(registry, STREAM_ID, idp.user.sub)


def cancel_event(stream_id: str, authorization: str) -> dict[str, Any]:
    return chat_event(
        "",
        path=f"/api/chat/stream/{stream_id}/cancel",
        headers={"x-authorization": authorization},
    )


def stream_and_cancel_midway(
    settings: Settings, canceller: str, owner: str, fake: FakeAnthropic
) -> Frames:
    """Owner streams a slow answer; after two texts ``canceller`` cancels it on another instance."""
    fake.enqueue(Reply(texts=[f"w{n} " for n in range(40)], delay_s=0.05))
    running, other = build_function(settings), cancel_function(settings)
    response = running(chat_event(user(), headers={"x-authorization": owner}), context())
    stream_id = response.headers["x-stream-id"]
    frames: Frames = []
    for frame in iter_frames(response.body):
        frames.append(frame)
        if len(frames) == 3:
            answer = other(cancel_event(stream_id, canceller), context())
            assert answer["statusCode"] == 202
            assert json.loads(answer["body"]) == {"stream_id": stream_id, "cancelled": True}
    return frames


def context() -> LambdaContext:
    return LambdaContext.local("t", 30)


def test_a_cancel_from_another_user_has_no_effect(
    settings: Settings, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    alice = f"Bearer {idp.access_token()}"
    bob = f"Bearer {idp.access_token(user=User('bob', 'sub-bob'))}"
    frames = stream_and_cancel_midway(signed_in(settings, idp), bob, alice, fake_anthropic)
    assert frames[-1] == {"type": "done", "stop_reason": "end_turn"}
    assert text_of(frames) == "".join(f"w{n} " for n in range(40))
    record = fake_anthropic.wait_for_end(0, timeout=5)
    assert record.completed and not record.client_closed


def test_the_owner_cancels_their_stream(
    settings: Settings, idp: FakeIdentityProvider, fake_anthropic: FakeAnthropic
) -> None:
    alice = f"Bearer {idp.access_token()}"
    another_alice_token = f"Bearer {idp.access_token()}"  # same user, another tab
    frames = stream_and_cancel_midway(
        signed_in(settings, idp), another_alice_token, alice, fake_anthropic
    )
    assert frames[-1] == {"type": "done", "stop_reason": "cancelled"}
    fake_anthropic.wait_for_close(0, timeout=10)
    assert fake_anthropic.streams[0].client_closed

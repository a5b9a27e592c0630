"""A stand-in for an Amazon Cognito user pool and its managed login, over real HTTP on 127.0.0.1.

One server plays both Cognito hosts: the pool's issuer (``<base>/<pool id>``, whose keys are at
``<issuer>/.well-known/jwks.json``) and the managed-login domain (``<base>/oauth2/...``,
``<base>/logout``). RSA keys are generated at start (``cryptography``); tokens are signed RS256
with a ``kid`` header and carry Cognito's claims.

Python API (``with FakeIdentityProvider(...) as idp:``)

    idp.issuer, idp.jwks_url, idp.base_url, idp.client_id, idp.user (a ``User``)
    idp.access_token(**claims)      a signed access token; ``claims`` override or, set to None,
    idp.id_token(**claims)          remove a claim; ``kid=``, ``key=`` pick the signing key
    idp.add_key(sign=True) -> kid   publish a new key (and sign with it from now on)
    idp.drop_key(kid)               unpublish a key (rotation: add_key(), then drop_key(old))
    idp.private_key(kid=None)       the RSA private key (default: the signing one)
    idp.public_key(kid=None)        its public half
    idp.jwks_fetches                how many times the JWKS was served
    idp.requests                    every (method, path) served, in order
    idp.token_requests              the decoded form of every POST /oauth2/token

HTTP API (what the page and the function use)

    GET  <issuer>/.well-known/jwks.json   {"keys": [...]} (RSA, use=sig, alg=RS256, kid)
    GET  /oauth2/authorize  response_type=code, client_id, redirect_uri, state, scope,
         code_challenge, code_challenge_method=S256. Signs in ``idp.user`` at once (no UI) and
         answers 302 to ``redirect_uri?code=…&state=…``; a bad request with a valid redirect_uri
         goes back as ``?error=…&state=…``, an unknown client or redirect_uri gets a 400 page.
    POST /oauth2/token      form: grant_type=authorization_code, code, client_id, redirect_uri,
         code_verifier (its S256 must match the challenge; a code works once), or
         grant_type=refresh_token, refresh_token, client_id. Answers {access_token, id_token,
         token_type: "Bearer", expires_in[, refresh_token]} or 400 {"error": "invalid_grant"…}.
    POST /oauth2/revoke     form: token (a refresh token), client_id → 200; the token is dead.
    GET  /logout            client_id, logout_uri → 302 to logout_uri.
    Every answer carries CORS headers (the page calls the token endpoint from its own origin).

``redirect_uris`` / ``logout_uris`` default to None: any ``http(s)`` URL is accepted.

Run alone: ``python -m tests.fakes.identity_provider --client-id ID [--port N]`` prints
``READY <issuer> <base url>`` and serves until interrupted.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

POOL_ID = "us-east-1_TestPool1"
SCOPES = ("openid", "email", "profile", "phone", "aws.cognito.signin.user.admin")


@dataclass(frozen=True)
class User:
    username: str = "alice"
    sub: str = "0c1d2e3f-4a5b-4c6d-8e7f-901234567890"
    email: str = "alice@example.com"


@dataclass
class _Grant:
    """What a code or refresh token stands for."""

    user: User
    scope: str
    redirect_uri: str = ""
    challenge: str = ""
    auth_time: int = field(default_factory=lambda: int(time.time()))


class FakeIdentityProvider:
    """Context manager: the HTTP server runs in a background thread."""

    def __init__(
        self,
        client_id: str = "test-client-id",
        user: User | None = None,
        *,
        port: int = 0,
        token_ttl_s: int = 3600,
        redirect_uris: Sequence[str] | None = None,
        logout_uris: Sequence[str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.user = user or User()
        self.token_ttl_s = token_ttl_s
        self.redirect_uris = redirect_uris
        self.logout_uris = logout_uris
        self.requests: list[tuple[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._signing_kid = ""
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.add_key()

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)  # a quick shutdown keeps tests fast

    # -- addresses ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{POOL_ID}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    @property
    def jwks_fetches(self) -> int:
        return sum(1 for method, path in self.requests if path.endswith("/jwks.json"))

    def __enter__(self) -> FakeIdentityProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- keys ----------------------------------------------------------------------------------
    def add_key(self, *, sign: bool = True) -> str:
        kid = base64.urlsafe_b64encode(secrets.token_bytes(12)).decode()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with self._lock:
            self._keys[kid] = key
            if sign or not self._signing_kid:
                self._signing_kid = kid
        return kid

    def drop_key(self, kid: str) -> None:
        with self._lock:
            del self._keys[kid]
            if kid == self._signing_kid:
                self._signing_kid = next(iter(self._keys), "")

    @property
    def signing_kid(self) -> str:
        return self._signing_kid

    def private_key(self, kid: str | None = None) -> rsa.RSAPrivateKey:
        return self._keys[kid or self._signing_kid]

    def public_key(self, kid: str | None = None) -> rsa.RSAPublicKey:
        return self.private_key(kid).public_key()

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            keys = list(self._keys.items())
        return {"keys": [_public_jwk(kid, key) for kid, key in keys]}

    # -- tokens --------------------------------------------------------------------------------
    def access_token(
        self,
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        user: User | None = None,
        **claims: Any,
    ) -> str:
        who = user or self.user
        base = {
            **self._common(who, int(time.time())),
            "token_use": "access",
            "client_id": self.client_id,
            "scope": "openid email profile",
            "username": who.username,
            "version": 2,
        }
        return self._sign(base, claims, kid, key)

    def id_token(
        self,
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        user: User | None = None,
        **claims: Any,
    ) -> str:
        who = user or self.user
        base = {
            **self._common(who, int(time.time())),
            "token_use": "id",
            "aud": self.client_id,
            "cognito:username": who.username,
            "email": who.email,
            "email_verified": True,
        }
        return self._sign(base, claims, kid, key)

    def _common(self, user: User, now: int) -> dict[str, Any]:
        return {
            "sub": user.sub,
            "iss": self.issuer,
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "auth_time": now,
            "iat": now,
            "exp": now + self.token_ttl_s,
            "jti": str(uuid.uuid4()),
        }

    def _sign(
        self,
        base: dict[str, Any],
        overrides: dict[str, Any],
        kid: str | None,
        key: rsa.RSAPrivateKey | None,
    ) -> str:
        claims = {**base, **overrides}
        claims = {name: value for name, value in claims.items() if value is not None}
        kid = kid or self._signing_kid
        signer = key or self._keys[kid]
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})

    def _issue(self, grant: _Grant, *, with_refresh: bool) -> dict[str, Any]:
        scope = grant.scope
        tokens: dict[str, Any] = {
            "access_token": self.access_token(user=grant.user, scope=scope),
            "token_type": "Bearer",
            "expires_in": self.token_ttl_s,
        }
        if "openid" in scope.split():
            tokens["id_token"] = self.id_token(user=grant.user, auth_time=grant.auth_time)
        if with_refresh:
            refresh = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = grant
            tokens["refresh_token"] = refresh
        return tokens

    # -- OAuth 2 -------------------------------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Status, headers and body of an answer to GET /oauth2/authorize."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id:
            return 400, {}, "unknown client_id"
        if not _allowed(redirect_uri, self.redirect_uris):
            return 400, {}, "redirect_mismatch"
        back = {"state": query["state"]} if "state" in query else {}
        error = _authorize_error(query)
        if error:
            return 302, {"location": _with_query(redirect_uri, {"error": error, **back})}, ""
        code = secrets.token_urlsafe(24)
        scope = query.get("scope") or "openid"
        with self._lock:
            self._codes[code] = _Grant(self.user, scope, redirect_uri, query["code_challenge"])
        return 302, {"location": _with_query(redirect_uri, {"code": code, **back})}, ""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests.append(form)
        if form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._redeem_code(form)
        if grant_type == "refresh_token":
            with self._lock:
                grant = self._refresh.get(form.get("refresh_token", ""))
            if grant is None:
                return 400, {"error": "invalid_grant", "error_description": "bad refresh token"}
            return 200, self._issue(grant, with_refresh=False)
        return 400, {"error": "unsupported_grant_type"}

    def _redeem_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "bad code"}
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or _s256(verifier) != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        return 200, self._issue(grant, with_refresh=True)

    def revoke(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client"}
        with self._lock:
            self._refresh.pop(form.get("token", ""), None)
        return 200, {}

    def logout(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        target = query.get("logout_uri", "")
        if query.get("client_id") != self.client_id or not _allowed(target, self.logout_uris):
            return 400, {}, "invalid logout request"
        return 302, {"location": target}, ""


def _public_jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _allowed(url: str, allowed: Sequence[str] | None) -> bool:
    if allowed is not None:
        return url in allowed
    return urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc)


def _authorize_error(query: dict[str, str]) -> str | None:
    if query.get("response_type") != "code":
        return "unsupported_response_type"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "invalid_request"
    if not set((query.get("scope") or "openid").split()) <= set(SCOPES):
        return "invalid_scope"
    return None


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _make_handler(idp: FakeIdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(_IdpHandler):
        fake = idp

    return Handler


class _IdpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeIdentityProvider

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_OPTIONS(self) -> None:
        self._record()
        self._send(204, {}, b"")

    def do_GET(self) -> None:
        path, query = self._record()
        if path == f"/{POOL_ID}/.well-known/jwks.json":
            self._send_json(200, self.fake.jwks())
        elif path == "/oauth2/authorize":
            self._send_text(*self.fake.authorize(query))
        elif path == "/logout":
            self._send_text(*self.fake.logout(query))
        else:
            self._send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path, _ = self._record()
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length).decode("utf-8", "replace")
        form = {name: values[0] for name, values in parse_qs(raw).items()}
        if path == "/oauth2/token":
            self._send_json(*self.fake.token(form))
        elif path == "/oauth2/revoke":
            self._send_json(*self.fake.revoke(form))
        else:
            self._send_json(404, {"error": "not_found"})

    def _record(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        with self.fake._lock:
            self.fake.requests.append((self.command, parts.path))
        return parts.path, {name: values[0] for name, values in parse_qs(parts.query).items()}

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, {"content-type": "application/json"}, json.dumps(payload).encode())

    def _send_text(self, status: int, headers: dict[str, str], text: str) -> None:
        self._send(status, {"content-type": "text/plain", **headers}, text.encode())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        origin = self.headers.get("origin")
        if origin:
            self.send_header("access-control-allow-origin", origin)
            self.send_header("access-control-allow-headers", "content-type, authorization")
            self.send_header("access-control-allow-methods", "GET, POST, OPTIONS")
            self.send_header("vary", "origin")
        for name, value in {**headers, "cache-control": "no-store"}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", default="test-client-id")
    parser.add_argument("--redirect-uri", action="append", default=None)
    parser.add_argument("--logout-uri", action="append", default=None)
    args = parser.parse_args()
    with FakeIdentityProvider(
        args.client_id,
        port=args.port,
        redirect_uris=args.redirect_uri,
        logout_uris=args.logout_uri,
    ) as idp:
        print(f"READY {idp.issuer} {idp.base_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

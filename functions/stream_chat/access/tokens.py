"""Access tokens from the user pool, checked with PyJWT against the issuer's published keys.

Only RS256 is accepted, whatever the token's header says; the keys come from
``<issuer>/.well-known/jwks.json``, fetched once per instance and again only for a key id not
seen yet (a rotation); a fetch that misses the key id quiets refetches for ``QUIET_S``, so
forged key ids cannot turn every request into a fetch.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from stream_chat.errors import AuthUnavailable, Unauthorized

# A plain child of the service's logger (what Powertools' child=True creates), so the light cancel
# function can verify tokens without importing Powertools.
logger = logging.getLogger(f"stream-chat.{__name__}")

ALGORITHM = "RS256"
LEEWAY_S = 30  # clock skew between the user pool and Lambda
QUIET_S = 30.0  # after a fetch that missed a key id
OUTAGE_QUIET_S = 5.0  # after a fetch that failed
FETCH_TIMEOUT_S = 3.0
MAX_TOKEN_CHARS = 8192
BEARER = re.compile(r"Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)", re.IGNORECASE)
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use", "client_id"]

Fetch = Callable[[str], Mapping[str, Any]]


def fetch_json(url: str) -> Mapping[str, Any]:
    # The issuer is https, or http on this machine (enforced by Settings).
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
        document: Mapping[str, Any] = json.load(response)
        return document


class SigningKeys:
    """The issuer's RSA signing keys by ``kid``, cached for the life of the instance.

    A ``kid`` not in the cache triggers one refetch (a rotation is picked up at once); when the
    refetch does not bring it, no other refetch happens for ``quiet_s`` (a few seconds after a
    failed fetch).
    """

    def __init__(
        self,
        jwks_url: str,
        fetch: Fetch = fetch_json,
        quiet_s: float = QUIET_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_url = jwks_url
        self._fetch = fetch
        self._quiet_s = quiet_s
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._quiet_until = -float("inf")
        self._lock = threading.Lock()

    def prefetch(self) -> None:
        """Fetch at init, so that the first request does not wait; if it fails, that request
        tries again."""
        with self._lock:
            try:
                self._refetch(None)
            except AuthUnavailable:
                self._quiet_until = -float("inf")

    def get(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            if self._keys is None or kid not in self._keys:
                self._refetch(kid)
            key = (self._keys or {}).get(kid)
        if key is None:
            raise Unauthorized("A valid access token is required.")
        return key

    def _refetch(self, kid: str | None) -> None:
        if self._clock() < self._quiet_until:
            if self._keys is None:
                raise AuthUnavailable("Sign-in cannot be checked right now; try again shortly.")
            return
        try:
            document = self._fetch(self.jwks_url)
        except Exception as exc:
            # An outage is not hammered.
            self._quiet_until = self._clock() + min(self._quiet_s, OUTAGE_QUIET_S)
            logger.warning("signing keys fetch failed", extra={"reason": repr(exc)})
            if self._keys is None:
                raise AuthUnavailable("Sign-in cannot be checked right now.") from exc
            return
        self._keys = _rsa_keys(document)
        logger.info("signing keys fetched", extra={"kids": sorted(self._keys)})
        if kid is not None and kid not in self._keys:
            self._quiet_until = self._clock() + self._quiet_s


def _rsa_keys(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", ()):
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            logger.warning("unusable signing key skipped", extra={"kid": entry["kid"]})
    return keys


class AccessTokens:
    """Verifies ``X-Authorization: Bearer <access token>``; returns the user's ``sub``."""

    def __init__(self, issuer: str, client_id: str, keys: SigningKeys) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.keys = keys

    @classmethod
    def for_issuer(cls, issuer: str, client_id: str) -> AccessTokens:
        return cls(issuer, client_id, SigningKeys(f"{issuer}/.well-known/jwks.json"))

    def verify(self, header_value: str | None) -> str:
        token = _bearer_token(header_value)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _refused("malformed token", exc) from None
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise _refused("algorithm or key id", header.get("alg"))
        claims = self._decode(token, self.keys.get(kid))
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id:
            raise _refused("not an access token for this client", claims.get("token_use"))
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _refused("no subject", subject)
        return subject

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                leeway=LEEWAY_S,
                # Cognito access tokens carry client_id, not aud; it is checked by the caller.
                options={"require": REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            logger.info("access token refused", extra={"reason": "expired"})
            raise Unauthorized("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise _refused("claims or signature", exc) from None
        return claims


def _bearer_token(header_value: str | None) -> str:
    if not header_value:
        raise _refused("no X-Authorization header", None)
    match = BEARER.fullmatch(header_value.strip())
    if match is None or len(match[1]) > MAX_TOKEN_CHARS:
        raise _refused("malformed X-Authorization header", None)
    return match[1]


def _refused(reason: str, detail: object) -> Unauthorized:
    # The client hears one message; the log keeps the reason.
    logger.info("access token refused", extra={"reason": reason, "detail": repr(detail)})
    return Unauthorized("A valid access token is required.")

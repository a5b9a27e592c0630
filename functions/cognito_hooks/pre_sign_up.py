"""Cognito pre sign-up trigger: self sign-up only with an e-mail address in an allowed domain.

Deployed inline (``index.handler``) when ``stream-chat:allowed_email_domains`` is set; the domains
come in ``ALLOWED_EMAIL_DOMAINS`` (comma-separated). Users an administrator creates pass: the
limit is on who may sign themselves up.
"""

from __future__ import annotations

import os
from typing import Any

DOMAINS_ENV = "ALLOWED_EMAIL_DOMAINS"
SELF_SIGN_UP = "PreSignUp_SignUp"


def allowed_domains(raw: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def email_domain(address: str) -> str | None:
    """The domain of an address (lowercase), or None if it is not ``local@domain``."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or "@" in local:
        return None
    return domain.lower()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Cognito turns the exception's message into the error the sign-up form shows."""
    if event.get("triggerSource") != SELF_SIGN_UP:
        return event
    domains = allowed_domains(os.environ.get(DOMAINS_ENV, ""))
    address = str(event.get("request", {}).get("userAttributes", {}).get("email", ""))
    if email_domain(address) not in domains:
        listed = ", ".join(sorted(domains)) or "none"
        raise PermissionError(f"Sign-up is open to e-mail addresses at: {listed}.")
    return event

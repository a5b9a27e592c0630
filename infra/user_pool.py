"""The user pool and the page's app client, as plain settings: who may sign in and how.

Sign-in by e-mail address, strong passwords, optional authenticator-app MFA, recovery by e-mail;
a public client (no secret) that only knows the authorization code flow, PKCE being the page's
part of the bargain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stream_chat_page import SIGN_IN_SCOPES

# Replaced by the site's address before config.json (and so any sign-in) exists.
PLACEHOLDER_URL = "https://localhost/"
# Change it with ClientSettings.options(), so that the client's URLs are set again (see
# SignIn.point_at).
CLIENT_CODE_VERSION = 1
POOL_FINDINGS = [
    NagPackSuppression(
        id="AwsSolutions-COG2",
        reason=(
            "MFA is optional: each user may add an authenticator app; requiring it for a chat "
            "page is left to the deployer."
        ),
    ),
    NagPackSuppression(
        id="AwsSolutions-COG8",
        reason=(
            "The Essentials plan (managed login, no threat protection): the Plus plan bills every "
            "monthly active user for risk detection a small chat deployment does not need."
        ),
    ),
]


def user_pool(scope: Construct, self_sign_up: bool) -> cognito.UserPool:
    pool = cognito.UserPool(
        scope,
        "Pool",
        feature_plan=cognito.FeaturePlan.ESSENTIALS,
        self_sign_up_enabled=self_sign_up,
        sign_in_aliases=cognito.SignInAliases(email=True),
        sign_in_case_sensitive=False,
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        standard_attributes=cognito.StandardAttributes(
            email=cognito.StandardAttribute(required=True, mutable=True)
        ),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        mfa=cognito.Mfa.OPTIONAL,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        password_policy=cognito.PasswordPolicy(
            min_length=12,
            require_lowercase=True,
            require_uppercase=True,
            require_digits=True,
            require_symbols=True,
            temp_password_validity=cdk.Duration.days(3),
        ),
        user_invitation=cognito.UserInvitationConfig(
            email_subject="Your stream-chat account",
            email_body=(
                "You can now sign in to stream-chat as {username} with the temporary password "
                "{####}. You will choose your own password at the first sign-in."
            ),
        ),
        # The pool goes with the stack, like everything else `cdk destroy` removes.
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    NagSuppressions.add_resource_suppressions(pool, POOL_FINDINGS)
    return pool


@dataclass(frozen=True)
class ClientSettings:
    """What the page's app client is, in plain values (so that it can be fingerprinted)."""

    scopes: tuple[str, ...] = SIGN_IN_SCOPES
    access_token_minutes: int = 60
    refresh_token_days: int = 7

    def options(self) -> dict[str, Any]:
        """Keyword arguments of ``UserPool.add_client``."""
        access = cdk.Duration.minutes(self.access_token_minutes)
        return {
            "generate_secret": False,  # a page cannot keep a secret: PKCE instead
            "auth_flows": cognito.AuthFlow(user_srp=True),
            "o_auth": cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.custom(scope) for scope in self.scopes],
                callback_urls=[PLACEHOLDER_URL],
                logout_urls=[PLACEHOLDER_URL],
            ),
            "supported_identity_providers": [cognito.UserPoolClientIdentityProvider.COGNITO],
            "access_token_validity": access,
            "id_token_validity": access,
            "refresh_token_validity": cdk.Duration.days(self.refresh_token_days),
            "enable_token_revocation": True,
            "prevent_user_existence_errors": True,
        }

    def fingerprint(self) -> str:
        described = json.dumps({**asdict(self), "code": CLIENT_CODE_VERSION}, sort_keys=True)
        return hashlib.sha256(described.encode()).hexdigest()[:16]

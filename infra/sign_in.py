"""Sign-in with Amazon Cognito: a user pool, its managed-login domain and the page's public app
client (authorization code + PKCE, no secret, no implicit flow).

The client's callback and logout URLs are the site's address, which exists only once the
distribution does, and the distribution comes after the function that needs the client id. So
``point_at(site_url)`` adds a custom resource that sets the URLs after both exist (see
``functions/cognito_hooks/client_urls.py``); the template's own URL is a placeholder no sign-in
ever names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.inline_function import InlineFunction
from stream_chat.settings import ENV
from stream_chat_page import SIGN_IN_SCOPES, PageAuth

HOOKS = Path(__file__).resolve().parent.parent / "functions" / "cognito_hooks"
# Replaced by the site's address before config.json (and so any sign-in) exists.
PLACEHOLDER_URL = "https://localhost/"
# Change it with ClientSettings.options(), so that the client's URLs are set again (see point_at).
CLIENT_CODE_VERSION = 1
CLIENT_URL_ACTIONS = ["cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"]
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


class SignIn(Construct):
    """User pool, managed-login domain and public app client for the page."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        self_sign_up: bool,
        allowed_email_domains: Sequence[str],
        log_retention_days: int,
        domain_prefix: str | None = None,
        client: ClientSettings | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._log_retention_days = log_retention_days
        self._client_settings = client or ClientSettings()
        self.pool = _user_pool(self, self_sign_up)
        NagSuppressions.add_resource_suppressions(self.pool, POOL_FINDINGS)
        if allowed_email_domains:
            self._limit_sign_up(allowed_email_domains)
        self.domain = self.pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=domain_prefix or _unique_prefix(self)
            ),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        self.client = self.pool.add_client("Page", **self._client_settings.options())
        # Managed login shows a client's pages only once the client has a style: Cognito's own.
        cognito.CfnManagedLoginBranding(
            self,
            "Branding",
            user_pool_id=self.pool.user_pool_id,
            client_id=self.client.user_pool_client_id,
            use_cognito_provided_values=True,
        )

    @property
    def issuer(self) -> str:
        """The access tokens' ``iss``: ``https://cognito-idp.<region>.amazonaws.com/<pool id>``."""
        return f"https://{self.pool.user_pool_provider_url}"

    @property
    def client_id(self) -> str:
        return self.client.user_pool_client_id

    @property
    def domain_url(self) -> str:
        return self.domain.base_url()

    @property
    def function_env(self) -> dict[str, str]:
        """The functions' sign-in settings: accept the pool's access tokens for the page's
        client."""
        return {
            ENV["auth"]: "cognito",
            ENV["auth_issuer"]: self.issuer,
            ENV["auth_client_id"]: self.client_id,
        }

    def create_user_command(self, region: str) -> str:
        return (
            f"aws cognito-idp admin-create-user --region {region} "
            f"--user-pool-id {self.pool.user_pool_id} --username user@example.com "
            "--user-attributes Name=email,Value=user@example.com Name=email_verified,Value=true"
        )

    @property
    def page_auth(self) -> PageAuth:
        return PageAuth(client_id=self.client_id, domain_url=self.domain_url)

    def point_at(self, site_url: str) -> cdk.CustomResource:
        """Make ``site_url`` the client's one callback and logout URL."""
        handler = InlineFunction(
            self,
            "ClientUrlsHandler",
            source=HOOKS / "client_urls.py",
            description="stream-chat: sets the sign-in client's URLs to the site's address",
            log_retention_days=self._log_retention_days,
            timeout=cdk.Duration.seconds(30),
        )
        handler.allow(CLIENT_URL_ACTIONS, self.pool.user_pool_arn)
        return cdk.CustomResource(
            self,
            "ClientUrls",
            service_token=handler.function.function_arn,
            resource_type="Custom::UserPoolClientUrls",
            properties={
                "UserPoolId": self.pool.user_pool_id,
                "ClientId": self.client_id,
                "Urls": [f"{site_url}/"],
                # A CloudFormation update of the client resets its URLs to the placeholder;
                # any change to the client's settings changes this too, so the URLs follow.
                "ClientSettings": self._client_settings.fingerprint(),
            },
        )

    def _limit_sign_up(self, domains: Sequence[str]) -> None:
        check = InlineFunction(
            self,
            "PreSignUp",
            source=HOOKS / "pre_sign_up.py",
            description="stream-chat: self sign-up only for the allowed e-mail domains",
            log_retention_days=self._log_retention_days,
            environment={"ALLOWED_EMAIL_DOMAINS": ",".join(domains)},
        )
        self.pool.add_trigger(cognito.UserPoolOperation.PRE_SIGN_UP, check.function)


def _user_pool(scope: Construct, self_sign_up: bool) -> cognito.UserPool:
    return cognito.UserPool(
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


def _unique_prefix(scope: Construct) -> str:
    """``stream-chat-`` and the first 8 hex digits of the stack's id: unique per account and
    region, as a Cognito domain prefix must be, and stable for the stack's lifetime."""
    stack_uuid = cdk.Fn.select(2, cdk.Fn.split("/", cdk.Stack.of(scope).stack_id))
    return cdk.Fn.join("", ["stream-chat-", cdk.Fn.select(0, cdk.Fn.split("-", stack_uuid))])

"""Sign-in with Amazon Cognito: a user pool, its managed-login domain and the page's public app
client (authorization code + PKCE, no secret, no implicit flow).

The client's callback and logout URLs are the site's address, which exists only once the
distribution does, and the distribution comes after the function that needs the client id. So
``point_at(site_url)`` adds a custom resource that sets the URLs after both exist (see
``functions/cognito_hooks/client_urls.py``); the template's own URL is a placeholder no sign-in
ever names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.inline_function import InlineFunction
from infra.user_pool import ClientSettings, user_pool
from stream_chat.settings import ENV
from stream_chat_page import PageAuth

HOOKS = Path(__file__).resolve().parent.parent / "functions" / "cognito_hooks"
CLIENT_URL_ACTIONS = ["cognito-idp:DescribeUserPoolClient", "cognito-idp:UpdateUserPoolClient"]


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
        self.pool = user_pool(self, self_sign_up)
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


def _unique_prefix(scope: Construct) -> str:
    """``stream-chat-`` and the first 8 hex digits of the stack's id: unique per account and
    region, as a Cognito domain prefix must be, and stable for the stack's lifetime."""
    stack_uuid = cdk.Fn.select(2, cdk.Fn.split("/", cdk.Stack.of(scope).stack_id))
    return cdk.Fn.join("", ["stream-chat-", cdk.Fn.select(0, cdk.Fn.split("-", stack_uuid))])

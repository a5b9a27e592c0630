"""The Anthropic API key: a Secrets Manager secret created empty, or one the user names.

The value never passes through CloudFormation: it is set afterwards with
``aws secretsmanager put-secret-value`` (docs/deploy.md).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

# How the function reads it: Powertools Parameters calls GetSecretValue.
FUNCTION_ACTIONS = ["secretsmanager:GetSecretValue"]
NO_ROTATION_REASON = (
    "A third-party API key cannot be rotated by a Lambda: it is replaced with "
    "put-secret-value when Anthropic issues a new one."
)


class ProviderSecret(Construct):
    """Exposes ``secret_id`` (what the function is told) and ``policy_arn`` (what it may read)."""

    def __init__(self, scope: Construct, construct_id: str, *, existing_name: str | None) -> None:
        super().__init__(scope, construct_id)
        if existing_name is not None:
            # GetSecretValue takes a name as well as an ARN; the full ARN ends in a random
            # suffix that only the policy has to match.
            self.secret_id = existing_name
            self.policy_arn = cdk.Stack.of(self).format_arn(
                service="secretsmanager",
                resource="secret",
                resource_name=f"{existing_name}-??????",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            return
        secret = secretsmanager.Secret(
            self, "Secret", description="Anthropic API key for stream-chat (set after deploy)"
        )
        resource = secret.node.default_child
        assert isinstance(resource, secretsmanager.CfnSecret)
        # Created empty: a generated random string would look like a key and fail at Anthropic.
        resource.add_property_deletion_override("GenerateSecretString")
        self.secret_id = secret.secret_arn
        self.policy_arn = secret.secret_arn
        NagSuppressions.add_resource_suppressions(
            secret,
            [NagPackSuppression(id="AwsSolutions-SMG4", reason=NO_ROTATION_REASON)],
        )

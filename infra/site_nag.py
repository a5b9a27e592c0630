"""cdk-nag findings on the site that are decisions rather than oversights, each with its reason."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct, IConstruct

# BucketDeployment's handler is a singleton at the stack's root, named after this prefix.
DEPLOYMENT_HANDLER_PREFIX = "Custom::CDKBucketDeployment"

DISTRIBUTION = [
    NagPackSuppression(
        id="AwsSolutions-CFR1",
        reason=(
            "The chat is meant for readers anywhere; a geo restriction is a per-deployment choice."
        ),
    ),
    NagPackSuppression(
        id="AwsSolutions-CFR3",
        reason=(
            "Standard logs are left off: the page is static, and every API request is already "
            "logged by the function in a log group with retention."
        ),
    ),
    NagPackSuppression(
        id="AwsSolutions-CFR4",
        reason=(
            "The default *.cloudfront.net certificate has a TLS floor CloudFront sets; a custom "
            "domain with its own certificate is needed to raise it."
        ),
    ),
]
WITHOUT_WAF = NagPackSuppression(
    id="AwsSolutions-CFR2",
    reason=(
        "AWS WAF is optional (stream-chat:waf_rate_limit): its web ACL bills monthly and must live "
        "in us-east-1; reserved concurrency is the other cost guard."
    ),
)
BUCKET = [
    NagPackSuppression(
        id="AwsSolutions-S1",
        reason=(
            "The bucket is read only by this distribution through OAC and written only by the "
            "deployment, so server access logs would record nothing of interest."
        ),
    ),
]
DEPLOYMENT_HANDLER = [
    NagPackSuppression(
        id=rule,
        reason=(
            "aws-cdk-lib's BucketDeployment handler: its runtime, managed policy and asset-bucket "
            "permissions are set by the library, and it runs only during deployments."
        ),
    )
    for rule in ("AwsSolutions-IAM4", "AwsSolutions-IAM5", "AwsSolutions-L1")
]


def suppress(site: Construct, *, waf: bool, distribution: Construct, bucket: Construct) -> None:
    """Record the site's accepted findings on the resources they concern."""
    _add(distribution, [*DISTRIBUTION, *([] if waf else [WITHOUT_WAF])])
    _add(bucket, BUCKET)
    for child in cdk.Stack.of(site).node.children:
        if child.node.id.startswith(DEPLOYMENT_HANDLER_PREFIX):
            _add(child, DEPLOYMENT_HANDLER)


def _add(construct: IConstruct, suppressions: Sequence[NagPackSuppression]) -> None:
    NagSuppressions.add_resource_suppressions(construct, list(suppressions), apply_to_children=True)

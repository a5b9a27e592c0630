"""What the function may invoke on Amazon Bedrock: the configured models, and nothing else.

A foundation model id (``anthropic.claude-…``) is one ARN in the Bedrock region. A cross-region
inference profile (``us.anthropic.claude-…``) needs the profile's ARN in the source region and the
foundation model's ARN in every region the profile routes to; a global profile
(``global.anthropic.claude-…``) needs the profile, the model in the source region and the model's
region-less ARN, which stands for all commercial regions. No ``*`` appears anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk

from stream_chat.settings import BEDROCK_MODEL_ID

# Streamed answers only: InvokeModel (one-shot) and Converse are never called.
FUNCTION_ACTIONS = ["bedrock:InvokeModelWithResponseStream"]
GLOBAL = "global"
# The regions each geography's Claude profiles route to (Bedrock's "Supported cross-Region
# inference profiles"); ``stream-chat:bedrock_profile_regions`` overrides this for a new model
# or region.
GEOGRAPHY_REGIONS: Mapping[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "eu": (
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
    ),
    "apac": (
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-4",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
}


class BedrockAccessError(ValueError):
    """A model id the stack cannot grant access to; the message says what to configure."""


def model_arns(
    stack: cdk.Stack,
    model_ids: Sequence[str],
    region: str,
    profile_regions: Sequence[str] | None = None,
) -> list[str]:
    """Every ARN the function must be allowed to invoke for ``model_ids`` called in ``region``."""
    arns: list[str] = []
    for model_id in model_ids:
        for arn in _arns(stack, model_id, region, profile_regions):
            if arn not in arns:
                arns.append(arn)
    return arns


def _arns(
    stack: cdk.Stack, model_id: str, region: str, profile_regions: Sequence[str] | None
) -> list[str]:
    match = BEDROCK_MODEL_ID.match(model_id)
    if match is None:
        raise BedrockAccessError(f"{model_id!r} is not a Bedrock model id")
    geography = match["geography"]
    if geography is None:
        return [_foundation_model(stack, model_id, region)]
    foundation = model_id.removeprefix(f"{geography}.")
    profile = stack.format_arn(
        service="bedrock", resource="inference-profile", resource_name=model_id, region=region
    )
    if geography == GLOBAL:
        return [
            profile,
            _foundation_model(stack, foundation, region),
            _foundation_model(stack, foundation, ""),
        ]
    destinations = _destinations(geography, region, profile_regions)
    return [profile, *(_foundation_model(stack, foundation, r) for r in destinations)]


def _destinations(
    geography: str, region: str, profile_regions: Sequence[str] | None
) -> Sequence[str]:
    regions = profile_regions or GEOGRAPHY_REGIONS.get(geography)
    if regions is None:
        raise BedrockAccessError(
            f"the regions of {geography!r} inference profiles are not known: list them in "
            "the cdk context stream-chat:bedrock_profile_regions"
        )
    if not cdk.Token.is_unresolved(region) and region not in regions:
        raise BedrockAccessError(
            f"a {geography!r} inference profile cannot be called from {region}: choose the "
            f"profile of {region}'s geography, or a global one"
        )
    return regions


def _foundation_model(stack: cdk.Stack, model_id: str, region: str) -> str:
    # Foundation models belong to no account, hence the empty account field.
    return stack.format_arn(
        service="bedrock",
        resource="foundation-model",
        resource_name=model_id,
        region=region,
        account="",
    )

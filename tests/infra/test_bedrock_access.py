"""Bedrock model ARNs: one per model, per profile and per region the profile routes to."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from infra.bedrock_access import GEOGRAPHY_REGIONS, BedrockAccessError, model_arns
from infra.deploy_settings import DeploySettings, DeploySettingsError

pytestmark = pytest.mark.infra

ACCOUNT = "123456789012"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def stack(region: str | None = "eu-west-1") -> cdk.Stack:
    env = cdk.Environment(account=ACCOUNT, region=region) if region else None
    app = cdk.App(context={"@aws-cdk/core:enablePartitionLiterals": True})
    return cdk.Stack(app, "S", env=env)


def test_a_geographic_profile_needs_the_model_in_each_of_its_regions() -> None:
    arns = model_arns(stack(), [f"eu.{SONNET}"], "eu-west-1")
    assert arns[0] == f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.{SONNET}"
    assert arns[1:] == [
        f"arn:aws:bedrock:{region}::foundation-model/{SONNET}" for region in GEOGRAPHY_REGIONS["eu"]
    ]


def test_the_same_model_twice_is_granted_once() -> None:
    arns = model_arns(stack(), [SONNET, SONNET, f"global.{SONNET}"], "eu-west-1")
    assert len(arns) == len(set(arns)) == 3


def test_a_profile_from_another_geography_fails_with_the_reason() -> None:
    with pytest.raises(BedrockAccessError, match="'us' inference profile cannot be called"):
        model_arns(stack(), [f"us.{SONNET}"], "eu-west-1")


def test_unknown_geographies_need_their_regions_named() -> None:
    with pytest.raises(BedrockAccessError, match="stream-chat:bedrock_profile_regions"):
        model_arns(stack("ca-central-1"), [f"ca.{SONNET}"], "ca-central-1")
    arns = model_arns(
        stack("ca-central-1"), [f"ca.{SONNET}"], "ca-central-1", ["ca-central-1", "ca-west-1"]
    )
    assert arns[-1] == f"arn:aws:bedrock:ca-west-1::foundation-model/{SONNET}"


def test_a_region_agnostic_stack_grants_in_its_deploy_region() -> None:
    scope = stack(None)
    (arn,) = model_arns(scope, [SONNET], scope.region)
    resolved = scope.resolve(arn)
    assert {"Ref": "AWS::Region"} in resolved["Fn::Join"][1]
    assert {"Ref": "AWS::Partition"} in resolved["Fn::Join"][1]


def test_profile_regions_are_a_bedrock_setting() -> None:
    deploy = DeploySettings.from_values(
        {
            "stream-chat:provider": "bedrock",
            "stream-chat:bedrock_profile_regions": "ca-central-1, ca-west-1",
        }
    )
    assert deploy.bedrock_profile_regions == ("ca-central-1", "ca-west-1")
    with pytest.raises(DeploySettingsError, match="applies to stream-chat:provider=bedrock"):
        DeploySettings.from_values({"stream-chat:bedrock_profile_regions": ["us-east-1"]})
    with pytest.raises(DeploySettingsError, match="not an AWS region"):
        DeploySettings.from_values(
            {"stream-chat:provider": "bedrock", "stream-chat:bedrock_profile_regions": ["us"]}
        )


def test_bedrock_needs_no_anthropic_secret_and_bedrock_model_ids() -> None:
    with pytest.raises(DeploySettingsError, match="Bedrock needs no Anthropic key"):
        DeploySettings.from_values(
            {"stream-chat:provider": "bedrock", "stream-chat:anthropic_secret_name": "k"}
        )
    # cdk.json's Anthropic model names are not Bedrock ids: synth says which key to change.
    with pytest.raises(DeploySettingsError, match="stream-chat:allowed_models"):
        DeploySettings.from_values(
            {"stream-chat:provider": "bedrock", "stream-chat:allowed_models": ["claude-sonnet-4-6"]}
        )
    deploy = DeploySettings.from_values({"stream-chat:provider": "bedrock"})
    assert deploy.function.model == "global.anthropic.claude-sonnet-4-6"

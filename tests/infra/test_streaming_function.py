"""The streaming function construct on its own: SnapStart is a prop, on unless switched off."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from infra.streaming_function import ALIAS, StreamingFunction

pytestmark = pytest.mark.infra


def template(**props: bool) -> Template:
    stack = cdk.Stack(cdk.App(), "Test")
    StreamingFunction(
        stack,
        "Streaming",
        code=lambda_.Code.from_inline("def handler(event, context): pass"),
        environment={},
        memory_mb=512,
        timeout=cdk.Duration.seconds(60),
        log_retention_days=7,
        **props,
    )
    return Template.from_stack(stack)


def test_snap_start_is_on_by_default() -> None:
    template().has_resource_properties(
        "AWS::Lambda::Function", {"SnapStart": {"ApplyOn": "PublishedVersions"}}
    )


def test_snap_start_can_be_switched_off_and_the_url_stays_on_the_alias() -> None:
    switched_off = template(snap_start=False)
    switched_off.has_resource_properties("AWS::Lambda::Function", {"SnapStart": Match.absent()})
    switched_off.has_resource_properties("AWS::Lambda::Url", {"Qualifier": ALIAS})

"""CDK entry point: read the context once, build the stack, check it against AWS Solutions rules."""

from __future__ import annotations

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra import DeploySettings, StreamChatStack

app = cdk.App()
settings = DeploySettings.from_context(app.node)
StreamChatStack(
    app,
    "StreamChat",
    settings=settings,
    description="stream-chat: streamed model answers through CloudFront and a Lambda function URL",
    # Set by the CDK CLI from the AWS profile; without them the template is region-agnostic.
    env=cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    ),
)
cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
app.synth()

"""The CDK app's constructs: ``app.py`` composes them, the stack wires them."""

from __future__ import annotations

from infra.deploy_settings import DeploySettings, DeploySettingsError
from infra.stack import StreamChatStack

__all__ = ["DeploySettings", "DeploySettingsError", "StreamChatStack"]

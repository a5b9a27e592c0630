"""Claude on Amazon Bedrock, through the anthropic SDK's ``AnthropicBedrock`` client.

Why this client and not boto3's ``converse_stream``: InvokeModelWithResponseStream carries
Anthropic's own Messages events (base64 JSON in each eventstream ``chunk``) and the SDK hands them
back as the very objects ``AnthropicStream`` maps, so the relay, usage (cache counts included),
stop reasons, timeouts, retries and the abort path are the anthropic provider's code, not a second
implementation. It signs with botocore's SigV4 and credential chain and decodes
``application/vnd.amazon.eventstream`` with botocore's parser (CRCs checked); its transport is the
httpx client whose socket ``abort`` shuts down, at any moment. boto3 gives no handle on its socket
before the response head, sets timeouts per client rather than per request, and would need its
own event mapping. Measured (``tests/bench/bedrock_client.py``, docs/performance.md): boto3 spends
less CPU per text delta (about 16 against 39 µs, both far below a model's pace, and Lambda bills
duration, not CPU), and an instance that never imports the anthropic SDK initialises faster (the
SDK is most of init); neither is worth a second stream implementation with a weaker cancel.

Credentials come from the environment as boto3 finds them (the Lambda role, a profile, SSO);
``AWS_BEARER_TOKEN_BEDROCK`` (a Bedrock API key) is honoured by the SDK. The endpoint is
``https://bedrock-runtime.<region>.amazonaws.com`` unless ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``
names another.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Sequence
from typing import Any

import httpx2
from anthropic.lib.bedrock import AnthropicBedrock
from aws_lambda_powertools import Logger

from stream_chat.chat_request import ChatRequest
from stream_chat.deadline import Deadline
from stream_chat.providers import bedrock_errors, sdk_internals
from stream_chat.providers.abortable_http import abortable_client
from stream_chat.providers.anthropic import (
    FIRST_REQUEST_MODULES,
    AnthropicStream,
    Wire,
    messages_sender,
)
from stream_chat.settings import ENV, Settings, SettingsError

BEDROCK_WIRE = Wire(
    map_error=bedrock_errors.map_error, request_id_header=bedrock_errors.REQUEST_ID_HEADER
)
# Signing, eventstream decoding and the service model, imported lazily by the SDK otherwise.
SIGNING_MODULES = (
    "botocore.auth",
    "botocore.awsrequest",
    "botocore.eventstream",
    "botocore.parsers",
)
logger = Logger(service="stream-chat", child=True)


class BedrockProvider:
    def __init__(self, settings: Settings, client: AnthropicBedrock) -> None:
        self._settings = settings
        self._client = client
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> BedrockProvider:
        region = settings.bedrock_region or _profile_region()
        if not region:
            raise SettingsError(
                f"{ENV['bedrock_region']} is not set and no AWS region is configured"
            )
        for name in (*FIRST_REQUEST_MODULES, *SIGNING_MODULES):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        sdk_internals.check(sdk_internals.BEDROCK_INTERNALS)
        client = _new_client(region, settings.bedrock_endpoint_url)
        sdk_internals.load_stream_shape()
        _sign_once(client)
        logger.info("answers come from Amazon Bedrock", extra={"bedrock_region": region})
        return cls(settings, client)

    def before_snapshot(self) -> None:
        """No pooled connection goes into a SnapStart snapshot."""
        self._client.close()

    def reset_after_restore(self) -> None:
        """A restored copy gets a client with its own pool; credentials refresh themselves
        (botocore's refreshable credentials) when the snapshot's have expired."""
        with self._lock:
            old, self._client = self._client, _new_client(self.region, str(self._client.base_url))
        old.close()

    @property
    def region(self) -> str:
        return self._client.aws_region

    def model_label(self, request: ChatRequest) -> str:
        return request.model

    def open(
        self, request: ChatRequest, deadline: Deadline, paused: Sequence[dict[str, Any]] = ()
    ) -> AnthropicStream:
        with self._lock:
            client = self._client
        send = messages_sender(client, request, deadline, self._settings, paused)
        return AnthropicStream(send, BEDROCK_WIRE)


def _new_client(region: str, endpoint_url: str | None) -> AnthropicBedrock:
    return AnthropicBedrock(
        aws_region=region,
        base_url=endpoint_url,
        # Retries are ours: they must respect the invocation's remaining time.
        max_retries=0,
        # The anthropic provider's transport: abortable at every moment, pooled.
        http_client=abortable_client(),
    )


def _profile_region() -> str | None:
    """The AWS profile's region, as boto3 resolves it (``make dev`` with a profile)."""
    import boto3

    return boto3.Session().region_name


def _sign_once(client: AnthropicBedrock) -> None:
    """Sign a request that is never sent: the SDK builds its boto3 session and resolves the
    credentials now, at init, instead of during the first answer (about 30 ms)."""
    url = str(client.base_url).rstrip("/") + "/model/init/invoke"
    request = httpx2.Request("POST", url, content=b"{}")
    try:
        sdk_internals.sign_unsent(client, request)
    except Exception as exc:
        error = bedrock_errors.map_error(exc, False)
        if error is None:  # not a credentials problem: a bug, with its traceback
            logger.exception("Bedrock answers may fail: signing failed unexpectedly")
        else:
            logger.warning("Bedrock answers will fail: " + error.message)

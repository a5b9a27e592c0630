"""The streaming function's entry point: route → authorize → parse → validate → admit → answer.

Built once per execution environment by the runtime's init (``lambda_handler.init()``, before the
first request; importing this module builds nothing): settings, the provider with its SDK client,
the cancel registry the stream polls, the limit store with its AWS client, the journal a resume
reads (``journal``), and the token verifier
with the user pool's signing keys. With SnapStart they are built
once per published version and renewed in each restored copy (``restore``). It serves
``/api/chat/stream`` only: cancels and resumes go to functions of their own (``cancel_handler``,
``resume_handler``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent

from stream_chat import restore
from stream_chat.access import Authorizer, Viewer
from stream_chat.accounting.refusals import count_refused
from stream_chat.answer.pipeline import AnswerPipeline, new_stream_id
from stream_chat.cancellation import CancelRegistry, make_registry
from stream_chat.chat_request import ChatRequest, parse_chat_request, read_body
from stream_chat.deadline import Deadline, RemainingTime
from stream_chat.errors import (
    InternalError,
    MethodNotAllowed,
    NotFound,
    StreamChatError,
)
from stream_chat.journal import Journal, make_journal
from stream_chat.json_response import JsonResponse, error_response
from stream_chat.limits import Lease, Limiter
from stream_chat.protocol.sse import HEADERS
from stream_chat.providers import Provider, make_provider
from stream_chat.routes import CHAT_PATH, route_key
from stream_chat.runtime import snapstart
from stream_chat.runtime.entry import LambdaEntry
from stream_chat.runtime.response import StreamingResponse
from stream_chat.settings import Settings
from stream_chat.shutdown import PROCESS_SHUTDOWN

logger = Logger(service="stream-chat")


class ChatFunction:
    def __init__(
        self,
        settings: Settings,
        provider: Provider,
        registry: CancelRegistry | None,
        *,
        authorizer: Authorizer | None = None,
        limiter: Limiter | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.settings = settings
        self.authorizer = authorizer or Authorizer.from_settings(settings)
        self.limiter = limiter or Limiter.from_settings(settings)
        # Unless one is given, the configured journal (none with journal_backend "none").
        journal = journal if journal is not None else make_journal(settings)
        self.pipeline = AnswerPipeline(provider, registry, settings, journal=journal)
        # What SnapStart's hooks close before the snapshot and renew after a restore.
        self.clients = (provider, registry, self.limiter.store, journal)

    def before_snapshot(self) -> None:
        restore.before_snapshot(self.clients)

    def after_restore(self) -> None:
        restore.after_restore(self.clients)

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatFunction:
        if settings.provider == "demo":
            logger.info("no Anthropic key configured: answers come from the offline demo model")
        if settings.auth == "none":
            logger.info("sign-in is off: anyone who reaches this function may use the model")
        PROCESS_SHUTDOWN.install()  # at init, on the main thread; when SIGTERM comes: `shutdown`
        authorizer = Authorizer.from_settings(settings).warm()
        return cls(
            settings, make_provider(settings), make_registry(settings), authorizer=authorizer
        )

    def __call__(self, raw_event: Mapping[str, Any], context: Any) -> StreamingResponse:
        event = LambdaFunctionUrlEvent(dict(raw_event))
        logger.remove_keys(["stream_id"])  # keys persist across invocations of an instance
        logger.set_correlation_id(getattr(context, "aws_request_id", None))
        try:
            return self.route(event, context)
        except StreamChatError as error:
            logger.info("request refused", extra={"code": error.code, "status": error.status})
            return self.refuse(error)
        except Exception:
            logger.exception("request failed")
            return self.refuse(InternalError("The request failed unexpectedly."))

    def refuse(self, error: StreamChatError) -> StreamingResponse:
        """Every error answered before a stream goes through here, and is counted by code."""
        count_refused(error)
        return _streamed(error_response(error))

    def route(self, event: LambdaFunctionUrlEvent, context: RemainingTime) -> StreamingResponse:
        path, method = route_key(event.raw_event)
        if path != CHAT_PATH:
            raise NotFound(f"no route for {path}")
        if method != "POST":
            raise MethodNotAllowed(f"{method} is not allowed on {path}; use POST")
        viewer = self.authorize(event)
        request = self.validate(self.parse(event))
        request_id = getattr(context, "aws_request_id", None)
        return self.answer(request, self.admit(viewer, context), context, request_id)

    def authorize(self, event: LambdaFunctionUrlEvent) -> Viewer:
        return self.authorizer.authorize(event.headers, event.request_context.http.source_ip)

    def parse(self, event: LambdaFunctionUrlEvent) -> bytes:
        return read_body(event.body, bool(event.is_base64_encoded), self.settings.max_body_bytes)

    def validate(self, body: bytes) -> ChatRequest:
        request = parse_chat_request(body, self.settings)
        details: dict[str, object] = {
            "messages": len(request.messages),
            "model": request.model,
            "max_tokens": request.max_tokens,
        }
        files = [file.size for message in request.messages for file in message.attachments]
        if files:
            details["attachments"] = {"count": len(files), "bytes": sum(files)}
        if self.settings.log_content:
            details["content"] = [message.texts for message in request.messages]
        logger.info("chat request", extra=details)
        return request

    def admit(self, viewer: Viewer, context: RemainingTime) -> Lease:
        """Within the viewer's limits, or a 429; the lease lives no longer than this invocation."""
        return self.limiter.admit(viewer, context.get_remaining_time_in_millis() / 1000.0)

    def answer(
        self,
        request: ChatRequest,
        lease: Lease,
        context: RemainingTime,
        request_id: str | None = None,
    ) -> StreamingResponse:
        stream_id = new_stream_id()
        logger.append_keys(stream_id=stream_id)
        deadline = Deadline.from_context(context, self.settings.deadline_margin_s)
        return StreamingResponse(
            200,
            {**HEADERS, "x-stream-id": stream_id},
            self.pipeline.body(request, stream_id, deadline, lease, request_id),
        )


def _streamed(response: JsonResponse) -> StreamingResponse:
    return StreamingResponse(response.status_code, response.headers, (response.body,))


def build() -> ChatFunction:
    """The function as Lambda runs it: configured from the environment, its clients warm and its
    SnapStart hooks registered. Called once, by the runtime's init (``lambda_handler.init()``)."""
    function = ChatFunction.from_settings(Settings.from_env())
    snapstart.register_before_snapshot(function.before_snapshot)
    snapstart.register_after_restore(function.after_restore)
    return function


lambda_handler = LambdaEntry(build)

"""The one accounting step at the end of every answer, however it ended.

It gives the viewer's lease back with the output tokens the answer used, writes the answer's
one EMF document and its one summary log line. None of it may fail the answer: the body has
been sent by now.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from stream_chat.accounting.metrics import publish_answer
from stream_chat.accounting.record import AnswerRecord
from stream_chat.limits import Lease

logger = Logger(service="stream-chat", child=True)


def settle(record: AnswerRecord, lease: Lease) -> None:
    lease.release(record.output_tokens)
    try:
        publish_answer(record)
    except Exception:
        logger.exception("answer metrics failed")  # never worth more than the log line below
    logger.info("stream ended", extra=record.summary())

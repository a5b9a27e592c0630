"""Requests answered with an error before any stream, counted by code in CloudWatch.

One EMF document per refusal, written by hand rather than through Powertools: the cancel
function imports no Powertools (its init must stay light), and both functions count the same
way. 4xx are ``RejectedRequests``, 5xx ``FailedRequests``; the one dimension is ``Code``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from stream_chat.accounting.names import NAMESPACE, Dimension, Metric
from stream_chat.errors import StreamChatError


def refusal_document(error: StreamChatError, now: float | None = None) -> dict[str, Any]:
    metric = Metric.REJECTED_REQUESTS if error.status < 500 else Metric.FAILED_REQUESTS
    timestamp = int((time.time() if now is None else now) * 1000)
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [[Dimension.CODE]],
        "Metrics": [{"Name": metric, "Unit": "Count"}],
    }
    return {
        "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": [directive]},
        Dimension.CODE: error.code,
        "status": error.status,
        metric: 1,
    }


def count_refused(error: StreamChatError) -> None:
    """Write the refusal's document to stdout (CloudWatch Logs on Lambda)."""
    print(json.dumps(refusal_document(error), separators=(",", ":")), file=sys.stdout, flush=True)

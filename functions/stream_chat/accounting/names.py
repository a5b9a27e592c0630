"""The names CloudWatch knows: the namespace, every metric and every dimension.

The function writes them and the infrastructure's dashboard and alarms read them (``infra``
imports this module), so the two cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

NAMESPACE = "StreamChat"


class Metric(StrEnum):
    # One per answer, in its document (dimension sets (Ending, Model), (Ending), (Model)).
    STREAM_DURATION = "StreamDuration"
    TIME_TO_FIRST_TOKEN = "TimeToFirstToken"  # noqa: S105  (a name, not a secret)
    HEARTBEATS = "Heartbeats"
    PROVIDER_RETRIES = "ProviderRetries"
    CANCEL_LATENCY = "CancelLatency"
    INPUT_TOKENS = "InputTokens"
    OUTPUT_TOKENS = "OutputTokens"
    CACHE_READ_INPUT_TOKENS = "CacheReadInputTokens"
    CACHE_CREATION_INPUT_TOKENS = "CacheCreationInputTokens"
    ESTIMATED_COST = "EstimatedCost"
    WEB_SEARCH_REQUESTS = "WebSearchRequests"
    WEB_FETCH_REQUESTS = "WebFetchRequests"
    # The answer's journal (what a resume reads): batches written, and 1 when its store failed.
    JOURNAL_WRITES = "JournalWrites"
    JOURNAL_FAILURES = "JournalFailures"
    # One per request refused before any answer (dimension Code): 4xx, then 5xx.
    REJECTED_REQUESTS = "RejectedRequests"
    FAILED_REQUESTS = "FailedRequests"


class Dimension(StrEnum):
    ENDING = "Ending"
    MODEL = "Model"
    CODE = "Code"


# The ``usage`` frame's counts, and the metric each is published as.
TOKEN_METRICS: dict[str, Metric] = {
    "input_tokens": Metric.INPUT_TOKENS,
    "output_tokens": Metric.OUTPUT_TOKENS,
    "cache_read_input_tokens": Metric.CACHE_READ_INPUT_TOKENS,
    "cache_creation_input_tokens": Metric.CACHE_CREATION_INPUT_TOKENS,
}

# The ``usage`` frame's server tool counts, and the metric each is published as.
SERVER_TOOL_METRICS: dict[str, Metric] = {
    "web_search_requests": Metric.WEB_SEARCH_REQUESTS,
    "web_fetch_requests": Metric.WEB_FETCH_REQUESTS,
}

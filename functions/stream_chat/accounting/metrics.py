"""CloudWatch metrics in Embedded Metric Format (Powertools Metrics), namespace ``StreamChat``.

A stream's document is written when the stream ends, from its ``AnswerRecord``: the handler
returns an iterator, so Powertools' ``log_metrics`` decorator would flush before the first token.
Each document gets its own ``EphemeralMetrics`` (no state shared with another stream) and is
flushed explicitly: exactly one per stream.

Dimensions stay low-cardinality: ``Ending`` and ``Model``, in the sets (Ending, Model), (Ending)
and (Model), so alarms and dashboards read totals without adding up every model. Ids are
properties of the document (searchable in Logs Insights), never dimensions. Powertools would add
a ``service`` dimension from ``POWERTOOLS_SERVICE_NAME``; an empty service keeps it out.
Refusals before any stream are counted in ``stream_chat.accounting.refusals``.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from stream_chat.accounting.record import AnswerRecord
from stream_chat.accounting.refusals import NAMESPACE

MS = MetricUnit.Milliseconds
COUNT = MetricUnit.Count
TOKEN_METRICS = {
    "input_tokens": "InputTokens",
    "output_tokens": "OutputTokens",
    "cache_read_input_tokens": "CacheReadInputTokens",
    "cache_creation_input_tokens": "CacheCreationInputTokens",
}


def publish_answer(report: AnswerRecord) -> None:
    """Write the stream's one EMF document to stdout (CloudWatch Logs on Lambda)."""
    metrics = _document()
    metrics.add_dimension(name="Ending", value=report.ending)
    metrics.add_dimension(name="Model", value=report.model)
    metrics.add_dimensions(Ending=report.ending)
    metrics.add_dimensions(Model=report.model)
    for name, unit, value in _values(report):
        metrics.add_metric(name=name, unit=unit, value=value)
    for key in ("stream_id", "request_id", "provider_request_id"):
        if (value := getattr(report, key)) is not None:
            metrics.add_metadata(key=key, value=value)
    metrics.add_metadata(key="tokens_estimated", value=bool((report.usage or {}).get("estimated")))
    metrics.flush_metrics()


def _document() -> EphemeralMetrics:
    return EphemeralMetrics(namespace=NAMESPACE, service="")


def _values(report: AnswerRecord) -> list[tuple[str, MetricUnit, float]]:
    values: list[tuple[str, MetricUnit, float]] = [
        ("StreamDuration", MS, _ms(report.duration_s or 0.0)),
        ("Heartbeats", COUNT, report.heartbeats),
        ("ProviderRetries", COUNT, report.retries),
    ]
    if report.first_text_s is not None:
        values.append(("TimeToFirstToken", MS, _ms(report.first_text_s)))
    if (latency := report.cancel_latency_s) is not None:
        values.append(("CancelLatency", MS, _ms(latency)))
    usage = report.usage or {}
    values += [(metric, COUNT, usage.get(key) or 0) for key, metric in TOKEN_METRICS.items()]
    if "cost_usd" in usage:
        values.append(("EstimatedCost", MetricUnit.NoUnit, usage["cost_usd"]))
    return values


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)

"""CloudWatch metrics in Embedded Metric Format (Powertools Metrics), namespace ``StreamChat``.

An answer's document is written when the answer ends, from its ``AnswerRecord``: the handler
returns an iterator, so Powertools' ``log_metrics`` decorator would flush before the first token.
Each document gets its own ``EphemeralMetrics`` (no state shared with another answer) and is
flushed explicitly: exactly one per answer.

Dimensions stay low-cardinality: ``Ending`` and ``Model``, in the sets (Ending, Model), (Ending)
and (Model), so alarms and dashboards read totals without adding up every model. Ids are
properties of the document (searchable in Logs Insights), never dimensions. Powertools would add
a ``service`` dimension from ``POWERTOOLS_SERVICE_NAME``; an empty service keeps it out.
Refusals before any answer are counted in ``accounting.refusals``; every name is in
``accounting.names``.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from stream_chat.accounting.names import (
    NAMESPACE,
    SERVER_TOOL_METRICS,
    TOKEN_METRICS,
    Dimension,
    Metric,
)
from stream_chat.accounting.record import AnswerRecord

MS = MetricUnit.Milliseconds
COUNT = MetricUnit.Count


def publish_answer(record: AnswerRecord) -> None:
    """Write the answer's one EMF document to stdout (CloudWatch Logs on Lambda)."""
    metrics = EphemeralMetrics(namespace=NAMESPACE, service="")
    ending, model = str(record.ending), record.model
    metrics.add_dimension(name=Dimension.ENDING, value=ending)
    metrics.add_dimension(name=Dimension.MODEL, value=model)
    metrics.add_dimensions(**{Dimension.ENDING: ending})
    metrics.add_dimensions(**{Dimension.MODEL: model})
    for name, unit, value in _values(record):
        metrics.add_metric(name=name, unit=unit, value=value)
    for key in ("stream_id", "request_id", "provider_request_id"):
        if (value := getattr(record, key)) is not None:
            metrics.add_metadata(key=key, value=value)
    usage = record.outcome.usage
    metrics.add_metadata(key="tokens_estimated", value=bool(usage and usage.estimated))
    metrics.flush_metrics()


def _values(record: AnswerRecord) -> list[tuple[str, MetricUnit, float]]:
    outcome = record.outcome
    values: list[tuple[str, MetricUnit, float]] = [
        (Metric.STREAM_DURATION, MS, _ms(record.duration_s)),
        (Metric.HEARTBEATS, COUNT, outcome.heartbeats),
        (Metric.PROVIDER_RETRIES, COUNT, record.retries),
        (Metric.JOURNAL_WRITES, COUNT, record.journal_writes),
        (Metric.JOURNAL_FAILURES, COUNT, record.journal_failures),
    ]
    if outcome.first_text_s is not None:
        values.append((Metric.TIME_TO_FIRST_TOKEN, MS, _ms(outcome.first_text_s)))
    if record.cancel_latency_s is not None:
        values.append((Metric.CANCEL_LATENCY, MS, _ms(record.cancel_latency_s)))
    usage = outcome.usage
    for field, metric in {**TOKEN_METRICS, **SERVER_TOOL_METRICS}.items():
        values.append((metric, COUNT, (getattr(usage, field) if usage else None) or 0))
    if usage is not None and usage.cost_usd is not None:
        values.append((Metric.ESTIMATED_COST, MetricUnit.NoUnit, usage.cost_usd))
    return values


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)

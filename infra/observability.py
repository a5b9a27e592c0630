"""What an operator watches: a CloudWatch dashboard, and alarms that notify an SNS topic.

The function writes one EMF document per answer (namespace ``StreamChat``, dimension sets
(Ending, Model), (Ending) and (Model)); every name, and the endings, are the function's own
(``stream_chat.accounting``). Totals are read from the (Ending) set: there are nine endings,
whatever the models, so a total always fits CloudWatch's ten metrics per alarm.
Percentiles cannot be added up, so time to first token is shown per model. The journal's
batches and failures are per answer too; the resume function is watched through Lambda's own
metrics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from stream_chat.accounting.endings import ALARMING, Ending
from stream_chat.accounting.names import (
    NAMESPACE,
    SERVER_TOOL_METRICS,
    TOKEN_METRICS,
    Dimension,
    Metric,
)

FIVE_MINUTES = cdk.Duration.minutes(5)
HOUR = cdk.Duration.hours(1)
DAY = cdk.Duration.days(1)
# p99 duration above this share of the timeout: streams are about to be cut by Lambda.
NEAR_TIMEOUT = 0.9
ENDINGS: tuple[Ending, ...] = tuple(Ending)
CODE = Dimension.CODE
TOPIC_KEY_REASON = (
    "CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and the "
    "notifications carry only alarm names and metric values, no user data."
)


class Observability(Construct):
    """The dashboard, the alarms and their topic (with an e-mail subscription when given)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        resume: lambda_.IFunction,
        timeout: cdk.Duration,
        models: Sequence[str],
        daily_cost_budget_usd: float,
        error_endings_threshold: int,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._function = function
        self._resume = resume
        self.topic = sns.Topic(self, "Alarms", display_name="stream-chat alarms", enforce_ssl=True)
        NagSuppressions.add_resource_suppressions(
            self.topic, [NagPackSuppression(id="AwsSolutions-SNS2", reason=TOPIC_KEY_REASON)]
        )
        if alarm_email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        timeout_ms = timeout.to_milliseconds()
        self.alarms = [
            self._alarm(
                "ErrorEndings",
                _sum(_by_ending(Metric.STREAM_DURATION, "SampleCount", ALARMING), FIVE_MINUTES),
                error_endings_threshold,
                f"More than {error_endings_threshold} streams in 5 minutes ended in an error.",
            ),
            self._alarm(
                "Throttles",
                function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                0,
                "Lambda refused invocations: concurrency (reserved or account) is exhausted.",
            ),
            self._alarm(
                "DurationNearTimeout",
                function.metric_duration(period=FIVE_MINUTES, statistic="p99"),
                timeout_ms * NEAR_TIMEOUT,
                f"p99 duration is above {NEAR_TIMEOUT:.0%} of the {timeout_ms / 1000:g} s timeout.",
            ),
            self._alarm(
                "DailyCost",
                _sum(_by_ending(Metric.ESTIMATED_COST, "Sum", ENDINGS), DAY),
                daily_cost_budget_usd,
                f"Estimated model cost over the last day is above ${daily_cost_budget_usd:g}.",
            ),
            self._alarm(
                "JournalFailures",
                _sum(_by_ending(Metric.JOURNAL_FAILURES, "Sum", ENDINGS), FIVE_MINUTES),
                0,
                "Answers could not be journaled: they streamed, but cannot be resumed.",
            ),
        ]
        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=cdk.Duration.hours(6))
        self.dashboard.add_widgets(*self._widgets(models, timeout_ms))

    def _alarm(self, name: str, metric: cw.IMetric, threshold: float, text: str) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=f"stream-chat: {text}",
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        return alarm

    def _widgets(self, models: Sequence[str], timeout_ms: float) -> list[cw.IWidget]:
        function = self._function
        return [
            _graph("Time to first token (ms)", _ttft(models)),
            _graph(
                "Streams by ending",
                _by_ending(Metric.STREAM_DURATION, "SampleCount", ENDINGS),
                stacked=True,
            ),
            _graph(
                "Tokens per hour",
                [
                    _sum(_by_ending(name, "Sum", ENDINGS), HOUR, name)
                    for name in TOKEN_METRICS.values()
                ],
            ),
            _graph(
                "Server tool uses per hour",
                [
                    _sum(_by_ending(name, "Sum", ENDINGS), HOUR, name)
                    for name in SERVER_TOOL_METRICS.values()
                ],
            ),
            _graph(
                "Estimated cost per hour (USD)",
                [
                    _sum(
                        _by_ending(Metric.ESTIMATED_COST, "Sum", ENDINGS),
                        HOUR,
                        Metric.ESTIMATED_COST,
                    )
                ],
            ),
            _graph(
                "Errors",
                [
                    function.metric_errors(period=FIVE_MINUTES, label="Lambda errors"),
                    *_by_ending(Metric.STREAM_DURATION, "SampleCount", ALARMING),
                    _search(Metric.REJECTED_REQUESTS),
                    _search(Metric.FAILED_REQUESTS),
                ],
            ),
            _graph(
                "Throttles and concurrency",
                [
                    function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                    function.metric("ConcurrentExecutions", statistic="Maximum"),
                ],
            ),
            cw.GraphWidget(
                title="Duration p99 against the timeout (ms)",
                left=[
                    function.metric_duration(statistic="p99", label="Lambda duration p99"),
                    _stream_metric(Metric.STREAM_DURATION, "p99", {}, "stream duration p99"),
                ],
                left_annotations=[cw.HorizontalAnnotation(value=timeout_ms, label="timeout")],
                width=12,
            ),
            _graph(
                "Cancel latency (ms): cancel recorded → upstream closed",
                [
                    _stream_metric(
                        Metric.CANCEL_LATENCY, stat, {Dimension.ENDING: Ending.CANCELLED}, stat
                    )
                    for stat in ("p50", "p99", "Maximum")
                ],
            ),
            _graph(
                "Journal: batches written and answers not journaled, per 5 minutes",
                [
                    _sum(_by_ending(name, "Sum", ENDINGS), FIVE_MINUTES, name)
                    for name in (Metric.JOURNAL_WRITES, Metric.JOURNAL_FAILURES)
                ],
            ),
            _graph(
                "Resume function: invocations, errors, throttles, concurrency",
                [
                    self._resume.metric_invocations(period=FIVE_MINUTES, statistic="Sum"),
                    self._resume.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                    self._resume.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                    self._resume.metric("ConcurrentExecutions", statistic="Maximum"),
                ],
            ),
        ]


def _stream_metric(
    name: str, statistic: str, dimensions: dict[str, str], label: str | None = None
) -> cw.Metric:
    return cw.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map=dimensions or None,
        statistic=statistic,
        period=FIVE_MINUTES,
        label=label,
    )


def _by_ending(name: str, statistic: str, endings: Sequence[str]) -> list[cw.IMetric]:
    return [
        _stream_metric(name, statistic, {Dimension.ENDING: ending}, ending) for ending in endings
    ]


def _ttft(models: Sequence[str]) -> list[cw.IMetric]:
    return [
        _stream_metric(
            Metric.TIME_TO_FIRST_TOKEN, stat, {Dimension.MODEL: model}, f"{model} {stat}"
        )
        for model in models
        for stat in ("p50", "p90", "p99")
    ]


def _sum(metrics: Sequence[cw.IMetric], period: cdk.Duration, label: str = "total") -> cw.IMetric:
    # Ids are per graph: each sum in one graph needs its own.
    prefix = re.sub(r"[^a-z0-9]", "", label.lower()) or "m"
    names = {f"{prefix}{index}": metric for index, metric in enumerate(metrics)}
    # FILL: an ending with no stream in a period has no data point, not a zero.
    expression = " + ".join(f"FILL({name}, 0)" for name in names)
    return cw.MathExpression(expression=expression, using_metrics=names, period=period, label=label)


def _search(metric: str) -> cw.IMetric:
    return cw.MathExpression(
        expression=f"SEARCH('{{{NAMESPACE},{CODE}}} MetricName=\"{metric}\"', 'Sum', 300)",
        using_metrics={},
        label=metric,
        period=FIVE_MINUTES,
    )


def _graph(title: str, metrics: Sequence[cw.IMetric], *, stacked: bool = False) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=list(metrics), stacked=stacked, width=12)

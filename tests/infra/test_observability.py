"""The operator's view in the template: dashboard widgets, alarms, and the topic they notify."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from stream_chat.accounting.endings import ALARMING, Ending
from tests.infra.conftest import OPTIONS
from tests.infra.test_stack import resolved

pytestmark = pytest.mark.infra


def dashboard(template: Template) -> list[dict[str, Any]]:
    (resource,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    widgets: list[dict[str, Any]] = json.loads(resolved(resource["Properties"]["DashboardBody"]))[
        "widgets"
    ]
    return widgets


def widget(template: Template, title_start: str) -> dict[str, Any]:
    (found,) = [w for w in dashboard(template) if w["properties"]["title"].startswith(title_start)]
    properties: dict[str, Any] = found["properties"]
    return properties


def stream_metrics(properties: dict[str, Any], name: str) -> list[list[Any]]:
    return [m for m in properties["metrics"] if "StreamChat" in m and name in m]


def alarms(template: Template) -> dict[str, dict[str, Any]]:
    found = template.find_resources("AWS::CloudWatch::Alarm")
    return {
        resource["Properties"]["AlarmDescription"]: resource["Properties"]
        for resource in found.values()
    }


def alarm(template: Template, words: str) -> dict[str, Any]:
    (properties,) = [props for text, props in alarms(template).items() if words in text]
    return properties


def test_time_to_first_token_percentiles_per_allowed_model(default: Template) -> None:
    lines = stream_metrics(widget(default, "Time to first token"), "TimeToFirstToken")
    shown = {(line[3], line[4]["stat"]) for line in lines}
    models = ("claude-sonnet-4-6", "claude-haiku-4-5")  # cdk.json's allowed models
    assert shown == {(model, stat) for model in models for stat in ("p50", "p90", "p99")}
    assert all(line[2] == "Model" for line in lines)


def test_streams_by_each_ending(default: Template) -> None:
    lines = stream_metrics(widget(default, "Streams by ending"), "StreamDuration")
    assert [(line[2], line[3], line[4]["stat"]) for line in lines] == [
        ("Ending", ending, "SampleCount") for ending in list(Ending)
    ]


def test_tokens_and_cost_per_hour_add_up_every_ending(default: Template) -> None:
    tokens = widget(default, "Tokens per hour")
    for name in ("InputTokens", "OutputTokens", "CacheReadInputTokens"):
        assert len(stream_metrics(tokens, name)) == len(list(Ending))
    sums = [m[0]["expression"] for m in tokens["metrics"] if "expression" in m[0]]
    assert len(sums) == 4 and all(s.count("FILL(") == len(list(Ending)) for s in sums)
    cost = widget(default, "Estimated cost per hour")
    assert len(stream_metrics(cost, "EstimatedCost")) == len(list(Ending))
    assert all(m[-1]["period"] == 3600 for m in cost["metrics"])


def test_web_searches_and_fetches_per_hour_add_up_every_ending(default: Template) -> None:
    tools = widget(default, "Server tool uses per hour")
    for name in ("WebSearchRequests", "WebFetchRequests"):
        assert len(stream_metrics(tools, name)) == len(list(Ending))


def test_errors_throttles_concurrency_duration_and_cancel_latency(default: Template) -> None:
    errors = widget(default, "Errors")["metrics"]
    assert any("AWS/Lambda" in m and "Errors" in m for m in errors)
    assert [m[3] for m in errors if "StreamChat" in m] == list(ALARMING)
    searches = [m[0]["expression"] for m in errors if "expression" in m[0]]
    assert any("RejectedRequests" in s and "Code" in s for s in searches)
    throttles = widget(default, "Throttles and concurrency")["metrics"]
    assert {m[1] for m in throttles} == {"Throttles", "ConcurrentExecutions"}
    duration = widget(default, "Duration p99")
    assert duration["annotations"]["horizontal"][0]["value"] == 180_000  # the timeout, in ms
    assert any("Duration" in m and m[-1]["stat"] == "p99" for m in duration["metrics"])
    cancel = stream_metrics(widget(default, "Cancel latency"), "CancelLatency")
    assert {line[4]["stat"] for line in cancel} == {"p50", "p99", "Maximum"}
    assert all(line[2:4] == ["Ending", "cancelled"] for line in cancel)


def test_five_alarms_notify_the_topic_on_alarm_and_recovery(default: Template) -> None:
    (topic_id,) = default.find_resources("AWS::SNS::Topic")
    found = alarms(default)
    assert len(found) == 5
    for properties in found.values():
        assert properties["AlarmActions"] == [{"Ref": topic_id}]
        assert properties["OKActions"] == [{"Ref": topic_id}]
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["ComparisonOperator"] == "GreaterThanThreshold"


def test_error_endings_alarm_counts_every_error_ending(
    default: Template, options: Template
) -> None:
    errors = alarm(default, "ended in an error")
    assert errors["Threshold"] == 5
    counted = [
        q["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for q in errors["Metrics"]
        if "MetricStat" in q
    ]
    assert counted == list(ALARMING)
    assert alarm(options, "ended in an error")["Threshold"] == 3


def test_throttle_and_duration_alarms_watch_the_function(
    default: Template, options: Template
) -> None:
    throttles = alarm(default, "refused invocations")
    assert (throttles["MetricName"], throttles["Threshold"]) == ("Throttles", 0)
    duration = alarm(default, "p99 duration")
    assert (duration["MetricName"], duration["ExtendedStatistic"]) == ("Duration", "p99")
    assert duration["Threshold"] == 0.9 * 180_000
    assert (
        alarm(options, "p99 duration")["Threshold"] == 0.9 * OPTIONS["stream-chat:timeout_s"] * 1000
    )


def test_daily_cost_alarm_sums_a_day_against_the_budget(
    default: Template, options: Template
) -> None:
    cost = alarm(default, "Estimated model cost")
    assert cost["Threshold"] == 10
    stats = [q["MetricStat"] for q in cost["Metrics"] if "MetricStat" in q]
    assert len(stats) == len(list(Ending))
    assert {(s["Metric"]["MetricName"], s["Stat"], s["Period"]) for s in stats} == {
        ("EstimatedCost", "Sum", 86400)
    }
    assert alarm(options, "Estimated model cost")["Threshold"] == 25


def test_the_topic_requires_tls_and_mails_only_when_an_address_is_given(
    default: Template, options: Template
) -> None:
    default.resource_count_is("AWS::SNS::Subscription", 0)
    (subscription,) = options.find_resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"
    (policy,) = default.find_resources("AWS::SNS::TopicPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("ending", list(Ending))
def test_each_ending_is_graphed_costed_and_alarmed_when_it_is_a_failure(
    default: Template, ending: Ending
) -> None:
    by_ending = stream_metrics(widget(default, "Streams by ending"), "StreamDuration")
    assert (str(ending), "SampleCount") in [(line[3], line[4]["stat"]) for line in by_ending]
    cost = [q for q in alarm(default, "Estimated model cost")["Metrics"] if "MetricStat" in q]
    assert str(ending) in [q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in cost]
    errors = [q for q in alarm(default, "ended in an error")["Metrics"] if "MetricStat" in q]
    alarmed = [q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in errors]
    failures = {
        "first_token_timeout",
        "stall_timeout",
        "deadline",
        "provider_error",
        "internal_error",
    }
    assert (str(ending) in alarmed) == (ending in failures)


def test_the_journal_is_graphed_and_an_answer_not_journaled_alarms(default: Template) -> None:
    journal = widget(default, "Journal")
    for name in ("JournalWrites", "JournalFailures"):
        lines = stream_metrics(journal, name)
        assert [(line[2], line[3], line[4]["stat"]) for line in lines] == [
            ("Ending", ending, "Sum") for ending in list(Ending)
        ]
    sums = [m[0]["expression"] for m in journal["metrics"] if "expression" in m[0]]
    assert len(sums) == 2 and all(s.count("FILL(") == len(list(Ending)) for s in sums)
    failures = alarm(default, "could not be journaled")
    assert failures["Threshold"] == 0
    stats = [q["MetricStat"] for q in failures["Metrics"] if "MetricStat" in q]
    assert {(s["Metric"]["MetricName"], s["Stat"], s["Period"]) for s in stats} == {
        ("JournalFailures", "Sum", 300)
    }
    assert [s["Metric"]["Dimensions"] for s in stats] == [
        [{"Name": "Ending", "Value": ending}] for ending in list(Ending)
    ]


def test_the_resume_function_has_its_own_graph(default: Template) -> None:
    (function_id,) = [
        logical_id
        for logical_id, resource in default.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"].get("Handler") == "stream_chat.resume_handler.lambda_handler"
    ]
    lines = widget(default, "Resume function")["metrics"]
    assert {line[1] for line in lines} == {
        "Invocations",
        "Errors",
        "Throttles",
        "ConcurrentExecutions",
    }
    # The dashboard names the function by its resolved name (test_stack.resolved: lowercased id).
    assert all(line[0] == "AWS/Lambda" and line[3] == function_id.lower() for line in lines)

"""The app synthesises cleanly: no unsuppressed cdk-nag finding, and a template cfn-lint accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.conftest import Synth, synth

pytestmark = pytest.mark.infra

CFN_LINT = Path(sys.executable).with_name("cfn-lint")


@pytest.fixture(params=["default", "options", "open", "bedrock"])
def synthesised(request: pytest.FixtureRequest) -> Synth:
    result: Synth = request.getfixturevalue(f"{request.param}_synth")
    return result


def test_synth_succeeds_with_no_unsuppressed_aws_solutions_finding(synthesised: Synth) -> None:
    # An unsuppressed cdk-nag error fails the synth itself; warnings only annotate.
    assert synthesised.returncode == 0, synthesised.stderr[-4000:]
    assert synthesised.findings() == []


def test_every_suppression_gives_its_reason(synthesised: Synth) -> None:
    report = next(synthesised.outdir.glob("AwsSolutions-*NagReport.csv")).read_text()
    suppressed = [line for line in report.splitlines() if '"Suppressed"' in line]
    assert suppressed, "the known exceptions should be listed as suppressed"
    for line in suppressed:
        reason = line.split('","')[3]
        assert len(reason) > 40, line


def test_template_passes_cfn_lint(synthesised: Synth) -> None:
    result = subprocess.run(
        [
            str(CFN_LINT),
            "--regions",
            "us-east-1",
            "eu-west-1",
            "--",
            str(synthesised.template_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_waf_outside_us_east_1_fails_at_synth_with_the_reason(tmp_path: Path) -> None:
    result = synth(tmp_path, {"stream-chat:waf_rate_limit": 500}, region="eu-west-1")
    assert result.returncode != 0
    assert "stream-chat:waf_rate_limit needs the stack in us-east-1" in result.stderr


def test_a_bad_context_value_fails_at_synth_naming_the_key(tmp_path: Path) -> None:
    result = synth(tmp_path, {"stream-chat:max_tokens": "many"})
    assert result.returncode != 0
    assert "stream-chat:max_tokens" in result.stderr

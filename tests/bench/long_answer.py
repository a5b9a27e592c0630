"""The page under a long answer: the long tasks of 5,000 tokens streamed at 100 tokens/s.

The scenario is ``tests/browser/test_long_answer.py`` (its fixtures start the fake provider, serve
and Chromium, and it checks what must hold on any machine); it prints the long tasks it saw, which
this module holds to the targets. They are figures of the page on this machine, so they live
here rather than in the test suite, which must pass on a loaded one.
"""

from __future__ import annotations

from tests.bench.figures import detail, record
from tests.bench.processes import browser_scenario

SCENARIO = "tests/browser/test_long_answer.py"
MARK = "LONG_TASKS "
MAX_LONG_TASK_MS = 100
MAX_TASKS_OVER_50_MS = 10


def run() -> list[str]:
    tasks = _long_tasks()
    over_50 = [round(task) for task in tasks if task > 50]
    longest = max(tasks, default=0.0)
    record("long answer, longest task", longest, "ms")
    record("long answer, tasks over 50 ms", len(over_50), "")
    detail("long answer: long tasks_ms", tasks)
    lines = [f"long tasks: {len(tasks)}, over 50 ms: {over_50}, longest: {longest:.0f} ms"]
    if longest > MAX_LONG_TASK_MS:
        lines.append(f"FAILED: a long task of {longest:.0f} ms (target ≤ {MAX_LONG_TASK_MS})")
    if len(over_50) > MAX_TASKS_OVER_50_MS:
        lines.append(f"FAILED: {len(over_50)} tasks over 50 ms (target ≤ {MAX_TASKS_OVER_50_MS})")
    return lines


def _long_tasks() -> list[float]:
    tasks: list[float] = browser_scenario(SCENARIO, MARK)
    return tasks

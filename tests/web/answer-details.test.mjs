// The numbers shown behind a settled answer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatDetails, formatUsd } from "../../web/js/answer-details.js";
import { titleOf } from "../../web/js/conversation.js";

test("details list what is known, exact or marked as estimated", () => {
  const answer = {
    prompt: "Hi",
    text: "Hello",
    status: "done",
    model: "claude-x",
    stats: { ttftMs: 412, tokensPerSecond: 38.4, inputTokens: 1234, outputTokens: 1, costUsd: 0.0123 },
    streamId: "Jq3abc",
    error: { code: "overloaded", message: "busy", requestId: "req_011" },
  };
  assert.deepEqual(formatDetails(answer), [
    ["Model", "claude-x"],
    ["Input", "1,234 tokens"],
    ["Output", "1 token"],
    ["Cost", "$0.01"],
    ["First token", "412 ms"],
    ["Speed", "38 tokens/s"],
    ["Stream id", "Jq3abc"],
    ["Request id", "req_011"],
  ]);
  const estimated = {
    ...answer,
    model: undefined,
    streamId: undefined,
    error: undefined,
    stats: { outputTokens: 20, estimated: true },
  };
  assert.deepEqual(formatDetails(estimated), [["Output", "~20 tokens"]]);
});

test("the web searches and pages read are listed after the cost they are part of", () => {
  const stats = { costUsd: 0.03, webSearches: 2, webFetches: 1 };
  assert.deepEqual(formatDetails({ prompt: "Q", text: "A", status: "done", stats }), [
    ["Cost", "$0.03"],
    ["Web searches", "2"],
    ["Pages read", "1"],
  ]);
});

test("costs keep two significant digits below a cent", () => {
  assert.equal(formatUsd(0), "$0");
  assert.equal(formatUsd(0.00000004), "<$0.0001");
  assert.equal(formatUsd(0.000123), "$0.00012");
  assert.equal(formatUsd(1.5), "$1.50");
});

test("titles come from the first question, on one line and not too long", () => {
  assert.equal(titleOf("  What is\n\nSSE?  "), "What is SSE?");
  const long = titleOf("word ".repeat(40));
  assert.ok(long.length <= 60 && long.endsWith("…"));
});

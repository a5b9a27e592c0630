// Time to first token and tokens per second, as shown under each answer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatStats, StreamStats } from "../../web/js/stream-stats.js";

test("nothing is known before the first text", () => {
  const stats = new StreamStats(1000);
  assert.deepEqual(stats.snapshot(1500), {
    ttftMs: undefined,
    tokens: 0,
    estimated: true,
    tokensPerSecond: undefined,
    costUsd: undefined,
  });
  assert.equal(formatStats(stats.snapshot(1500)), "");
});

test("time to first token is measured from sending", () => {
  const stats = new StreamStats(1000);
  stats.onText("Hello", 1420);
  assert.equal(stats.snapshot(1420).ttftMs, 420);
});

test("tokens are estimated from text until usage arrives, then exact", () => {
  const stats = new StreamStats(0);
  stats.onText("x".repeat(40), 100);
  stats.onText("x".repeat(40), 1100);
  const live = stats.snapshot(1100);
  assert.equal(live.tokens, 20);
  assert.equal(live.estimated, true);
  assert.equal(live.tokensPerSecond, 20);
  stats.onUsage({ output_tokens: 30 });
  const final = stats.snapshot(5000, true);
  assert.equal(final.costUsd, undefined); // no price known for the model: no cost shown
  assert.equal(final.tokens, 30);
  assert.equal(final.estimated, false);
  // Finished: the rate is over the time the text took, not up to now.
  assert.equal(final.tokensPerSecond, 30);
});

test("no rate over a window too short to mean anything", () => {
  const stats = new StreamStats(0);
  stats.onText("burst of buffered text", 10);
  assert.equal(stats.snapshot(60).tokensPerSecond, undefined);
});

test("formatting", () => {
  assert.equal(
    formatStats({ ttftMs: 412.4, tokens: 128, estimated: false, tokensPerSecond: 38.4 }),
    "TTFT 412 ms · 38 tok/s · 128 tokens",
  );
  assert.equal(
    formatStats({ ttftMs: 2345, tokens: 1, estimated: true, tokensPerSecond: undefined }),
    "TTFT 2.3 s · ~1 token",
  );
});

test("the cost comes from the usage frame, an estimate when its counts are", () => {
  const stats = new StreamStats(0);
  stats.onText("x".repeat(40), 100);
  assert.equal(stats.snapshot(100).costUsd, undefined);
  stats.onUsage({ output_tokens: 9, cost_usd: 0.000255 });
  const exact = stats.snapshot(200, true);
  assert.equal(exact.costUsd, 0.000255);
  assert.match(formatStats(exact), / · \$0\.00026$/);
  stats.onUsage({ output_tokens: 12, estimated: true, cost_usd: 0.0123 });
  assert.match(formatStats(stats.snapshot(300, true)), /~12 tokens · ~\$0\.012$/);
});

test("cost formatting: cents from a dime up, two significant digits below", () => {
  const cost = (/** @type {number} */ costUsd) =>
    formatStats({ ttftMs: undefined, tokens: 0, estimated: false, tokensPerSecond: undefined, costUsd });
  assert.equal(cost(1.234), "$1.23");
  assert.equal(cost(0.5), "$0.50");
  assert.equal(cost(0.0021), "$0.0021");
  assert.equal(cost(0.000168), "$0.00017");
  assert.equal(cost(0.00000001), "<$0.0001");
  assert.equal(cost(0), "$0");
});

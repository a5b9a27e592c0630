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

// Pacing a streaming answer's text: what arrived is revealed within DRAIN_MS, at word ends,
// all at once when motion is to be avoided; revealed runs fade for FADE_MS.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DRAIN_MS,
  FADE_MS,
  MAX_PACED_CHARS,
  revealCount,
  TextPacer,
} from "../../web/js/smooth-text.js";

test("a share of the backlog proportional to the time passed, all of it after DRAIN_MS", () => {
  const pending = "x".repeat(100);
  assert.equal(revealCount(pending, DRAIN_MS / 2), 50);
  assert.equal(revealCount(pending, DRAIN_MS), 100);
  assert.equal(revealCount(pending, DRAIN_MS * 4), 100);
  assert.equal(revealCount(pending, 0), 0);
  assert.equal(revealCount("", 50), 0);
});

test("a reveal ends at the end of a word when one is near", () => {
  const pending = "alpha beta gamma delta";
  // Due up to the middle of a word: the word is revealed whole.
  assert.equal(revealCount(pending, (DRAIN_MS * 3) / pending.length), 5);
  assert.equal(revealCount(pending, (DRAIN_MS * 7) / pending.length), 10);
  // Due up to a word's end, or a space: no further.
  assert.equal(revealCount(pending, (DRAIN_MS * 5) / pending.length), 5);
  assert.equal(revealCount(pending, (DRAIN_MS * 6) / pending.length), 6);
  // No white space within reach: the count stands.
  const long = "a".repeat(60);
  assert.equal(revealCount(long, DRAIN_MS / 2), 30);
});

test("a backlog too big to pace (a replay) is revealed at once", () => {
  const pending = "word ".repeat(MAX_PACED_CHARS / 4);
  assert.equal(revealCount(pending, 1), pending.length);
});

test("the pacer reveals in order, and flush hands over the rest", () => {
  const pacer = new TextPacer(() => false);
  pacer.push("one two ");
  pacer.push("three four");
  const first = pacer.take(1000, DRAIN_MS / 3);
  assert.ok(first.length > 0 && first.length < 18, first);
  assert.equal(first + pacer.flush(), "one two three four");
  assert.equal(pacer.pending, "");
});

test("with reduced motion everything shows at once and nothing fades", () => {
  const pacer = new TextPacer(() => true);
  pacer.push("one two three");
  assert.equal(pacer.take(1000, 1), "one two three");
  assert.deepEqual(pacer.fresh(1000), []);
});

test("fresh runs are the ones younger than FADE_MS, newest first", () => {
  const pacer = new TextPacer(() => false);
  pacer.push("aaaa bbbb cccc");
  const first = pacer.take(1000, DRAIN_MS / 3);
  pacer.take(1100, DRAIN_MS / 2);
  pacer.take(1200, DRAIN_MS);
  const fresh = pacer.fresh(1000 + FADE_MS + 50);
  assert.deepEqual(
    fresh.map((run) => run.ageMs),
    [150, 250],
  );
  assert.equal(first, "aaaa ");
  assert.equal(fresh.reduce((sum, run) => sum + run.chars, 0), 14 - first.length);
  pacer.clear();
  assert.deepEqual(pacer.fresh(1300), []);
});

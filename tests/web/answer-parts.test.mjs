// What an answer streams besides its text, folded into data the history keeps and replays.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  emptyParts,
  foldEvent,
  hasParts,
  settleParts,
  stepLine,
  stopSentence,
} from "../../web/js/answer-parts.js";

/**
 * Fold `events` as a stream would deliver them, one ms apart, keeping the text the way the
 * answer does; returns the parts, the text and the citations made on the way.
 */
function fold(events) {
  const parts = emptyParts();
  let text = "";
  const made = [];
  for (const [i, event] of events.entries()) {
    const citation = foldEvent(parts, event, text.length, i * 1000);
    if (citation) made.push(citation);
    if (event.type === "text") text += event.text;
  }
  settleParts(parts, events.length * 1000);
  return { parts, text, made };
}

const thinking = (text) => ({ type: "thinking", text });
const text = (value) => ({ type: "text", text: value });
const cite = (url, title = url) => ({ type: "citation", url, title, cited_text: "…" });

test("thinking deltas join; its time runs from the first delta to what follows it", () => {
  const { parts } = fold([
    { type: "start", stream_id: "s", model: "m" },
    thinking("Let me "),
    thinking("think."),
    thinking(""),
    text("Answer."),
  ]);
  assert.deepEqual(parts.thinking, { text: "Let me think.", redacted: 0, ms: 3000 });
});

test("thinking resumed after a tool call is a new paragraph, and its time adds up", () => {
  const { parts } = fold([
    thinking("First."),
    { type: "tool", id: "t1", name: "web_search", input: { query: "q" } },
    thinking("Second."),
    text("Done."),
  ]);
  assert.equal(parts.thinking.text, "First.\n\nSecond.");
  assert.equal(parts.thinking.ms, 2000);
});

test("redacted thinking is counted, never shown as text; an answer ending while thinking ends it", () => {
  const { parts } = fold([{ type: "thinking", redacted: true }, thinking("Visible")]);
  assert.deepEqual(parts.thinking, { text: "Visible", redacted: 1, ms: 2000 });
});

test("a tool step takes its query or url, and its result count or error", () => {
  const { parts } = fold([
    { type: "tool", id: "a", name: "web_search", input: { query: "weather Paris" } },
    { type: "tool", id: "b", name: "web_fetch", input: { url: "https://example.com/x" } },
    { type: "tool", id: "c", name: "web_search", input: { query: "again" } },
    {
      type: "tool_result",
      tool_use_id: "a",
      results: [{ url: "https://a.example", title: "A" }, { url: "https://b.example", title: "B" }],
    },
    { type: "tool_result", tool_use_id: "b", results: [{ url: "https://example.com/x", title: "X" }] },
    { type: "tool_result", tool_use_id: "c", error_code: "max_uses_exceeded" },
    { type: "tool_result", tool_use_id: "unknown", results: [] },
  ]);
  assert.deepEqual(parts.steps, [
    { id: "a", name: "web_search", subject: "weather Paris", results: 2 },
    { id: "b", name: "web_fetch", subject: "https://example.com/x", results: 1 },
    { id: "c", name: "web_search", subject: "again", error: "max_uses_exceeded" },
  ]);
  assert.deepEqual(parts.steps.map(stepLine), [
    "Searched: weather Paris · 2 results",
    "Read: https://example.com/x · done",
    "Searched: again · failed (max_uses_exceeded)",
  ]);
  assert.equal(stepLine({ id: "d", name: "web_search", subject: "pending" }), "Searched: pending");
  assert.equal(stepLine({ id: "e", name: "web_search", subject: "one", results: 1 }), "Searched: one · 1 result");
});

test("sources are numbered by first citation, one per url; each citation keeps its place", () => {
  const { parts, text: answer, made } = fold([
    text("Intro. "),
    cite("https://b.example", "B"),
    text("Bee fact. "),
    cite("https://a.example", ""),
    text("Ay fact. "),
    cite("https://b.example", "B again"),
    text("Bee again."),
  ]);
  assert.deepEqual(parts.sources, [
    { url: "https://b.example", title: "B" },
    { url: "https://a.example", title: "https://a.example" },
  ]);
  assert.deepEqual(parts.citations, [
    { source: 1, at: 7 },
    { source: 2, at: 17 },
    { source: 1, at: 26 },
  ]);
  assert.deepEqual(made, parts.citations);
  assert.equal(answer.slice(17), "Ay fact. Bee again.");
});

test("a refusal keeps its details through the usage and done frames that follow it", () => {
  const { parts } = fold([
    { type: "refusal", category: "cyber", explanation: "This could cause harm." },
    { type: "usage", input_tokens: 1, output_tokens: 0, stop_reason: "refusal" },
    { type: "done", stop_reason: "refusal" },
  ]);
  assert.deepEqual(parts.stop, {
    reason: "refusal",
    category: "cyber",
    explanation: "This could cause harm.",
  });
  assert.equal(
    stopSentence(parts.stop),
    "Claude declined to answer this request. This could cause harm. (Category: cyber.)",
  );
});

test("the stop reason comes from usage or done, but never a cancel or an error", () => {
  assert.deepEqual(fold([{ type: "done", stop_reason: "max_tokens" }]).parts.stop, {
    reason: "max_tokens",
  });
  const usage = { type: "usage", input_tokens: 1, output_tokens: 1, stop_reason: "end_turn" };
  assert.deepEqual(fold([usage]).parts.stop, { reason: "end_turn" });
  assert.equal(fold([{ type: "done", stop_reason: "cancelled" }]).parts.stop, undefined);
  assert.equal(fold([{ type: "done", stop_reason: "error" }]).parts.stop, undefined);
});

test("each stop reason's sentence; an answer that simply ended has none", () => {
  assert.equal(stopSentence({ reason: "refusal" }), "Claude declined to answer this request.");
  assert.equal(stopSentence({ reason: "max_tokens" }), "The answer reached its length limit.");
  assert.match(stopSentence({ reason: "model_context_window_exceeded" }), /conversation is too long/);
  assert.match(stopSentence({ reason: "pause_turn" }), /paused/);
  assert.equal(stopSentence({ reason: "end_turn" }), undefined);
  assert.equal(stopSentence({ reason: "stop_sequence" }), undefined);
  assert.equal(stopSentence({ reason: "some_new_reason" }), "The answer stopped (some_new_reason).");
});

test("only parts worth showing count; the parts survive the store's structured clone", () => {
  assert.equal(hasParts(undefined), false);
  assert.equal(hasParts(fold([text("Plain.")]).parts), false);
  assert.equal(hasParts(fold([{ type: "done", stop_reason: "end_turn" }]).parts), false);
  assert.equal(hasParts(fold([{ type: "done", stop_reason: "max_tokens" }]).parts), true);
  const { parts } = fold([thinking("T"), cite("https://a.example"), text("x")]);
  assert.equal(hasParts(parts), true);
  assert.deepEqual(structuredClone(parts), JSON.parse(JSON.stringify(parts)));
  assert.equal(parts.thinking.openedAt, undefined);
});

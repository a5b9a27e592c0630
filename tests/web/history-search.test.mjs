// Finding conversations: title and full text, every branch, case and accents ignored.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fold, indexEntry, rangesOf, search } from "../../web/js/history-search.js";

/**
 * @param {string} id
 * @param {string} title
 * @param {Array<[string, string]>} pairs  question and answer of each turn
 */
function record(id, title, pairs) {
  const turns = pairs.map(([prompt, text], index) => ({
    id: index + 1,
    shown: 0,
    versions: [{ prompt, text, status: "done" }],
  }));
  return { id, title, updatedAt: 1, turns };
}

/** @param {{text: string, ranges: Array<[number, number]>}} marked */
function marks(marked) {
  return marked.ranges.map(([start, end]) => marked.text.slice(start, end));
}

test("folding drops case and accents and keeps every offset", () => {
  assert.equal(fold("Crème Brûlée"), "creme brulee");
  assert.equal(fold("ÅNGSTRÖM"), "angstrom");
  for (const text of ["Ça va? Ǆ ﬁ 😀 İstanbul ß", "naïve café", "plain ASCII"]) {
    assert.equal(fold(text).length, text.length, text);
  }
});

test("a query is matched case- and accent-insensitively, in both directions", () => {
  const entries = [record("a", "Notes", [["Where to eat?", "Try the Crème Brûlée at Café Zoë."]])].map(
    indexEntry,
  );
  for (const query of ["creme", "CRÈME", "brulee", "cafe zoe", "Zoë"]) {
    assert.deepEqual(search(entries, query).map((m) => m.id), ["a"], query);
  }
  const entriesPlain = [record("b", "Cafe notes", [["Q", "plain cafe"]])].map(indexEntry);
  assert.deepEqual(search(entriesPlain, "café").map((m) => m.id), ["b"]);
});

test("a word found only in an answer gives a snippet with the word marked", () => {
  const long = "word ".repeat(40);
  const entries = [
    record("x", "Travel plans", [["Where should I go?", `${long}Visit Reykjavík in winter. ${long}`]]),
    record("y", "Other", [["Nothing", "here"]]),
  ].map(indexEntry);
  const [found, ...rest] = search(entries, "reykjavik");
  assert.equal(rest.length, 0);
  assert.equal(found.id, "x");
  assert.deepEqual(found.title.ranges, []);
  assert.ok(found.snippet);
  assert.deepEqual(marks(found.snippet), ["Reykjavík"]);
  assert.ok(found.snippet.text.startsWith("…") && found.snippet.text.endsWith("…"));
  assert.ok(found.snippet.text.length < 140, found.snippet.text);
});

test("every word must match somewhere; the title's matches are marked", () => {
  const entries = [
    record("1", "Streaming behind a CDN", [["q", "CloudFront buffers nothing"]]),
    record("2", "Streaming in Python", [["q", "asyncio"]]),
  ].map(indexEntry);
  assert.deepEqual(search(entries, "stream cloudfront").map((m) => m.id), ["1"]);
  const [first] = search(entries, "stream cloudfront");
  assert.deepEqual(marks(first.title), ["Stream"]);
  assert.ok(first.snippet);
  assert.deepEqual(marks(first.snippet), ["CloudFront"]);
  assert.deepEqual(search(entries, "streaming").map((m) => m.id), ["1", "2"]);
  assert.equal(search(entries, "streaming").every((m) => m.snippet === undefined), true);
  assert.deepEqual(search(entries, "nowhere").length, 0);
  assert.equal(search(entries, "   ").length, 2, "an empty query lists everything");
});

test("questions, and branches not shown, are searched too", () => {
  const entry = indexEntry({
    id: "t",
    title: "Branches",
    updatedAt: 1,
    turns: [
      {
        id: 1,
        shown: 1,
        versions: [
          {
            prompt: "old question",
            text: "old answer",
            status: "done",
            later: [{ id: 2, shown: 0, versions: [{ prompt: "hidden kumquat", text: "", status: "done" }] }],
          },
          { prompt: "new question", text: "new answer", status: "done" },
        ],
      },
    ],
  });
  assert.equal(search([entry], "kumquat").length, 1);
  assert.equal(search([entry], "old question").length, 1);
});

test("overlapping, touching and repeated matches merge into sorted ranges", () => {
  assert.deepEqual(rangesOf("abcabc", ["bc", "abc"]), [[0, 6]]);
  assert.deepEqual(rangesOf("ab ab", ["ab"]), [[0, 2], [3, 5]]);
  assert.deepEqual(rangesOf("aaaa", ["aa", "a"]), [[0, 4]]);
  assert.deepEqual(rangesOf("x", ["y"]), []);
});

test("a snippet keeps to the match's line, and marks every term on it", () => {
  const entries = [
    record("n", "T", [["A question", "line one\nline two with needle and\tthread\nline three"]]),
  ].map(indexEntry);
  const [found] = search(entries, "needle thread");
  assert.ok(found.snippet);
  assert.equal(found.snippet.text, "line two with needle and thread");
  assert.deepEqual(marks(found.snippet), ["needle", "thread"]);
});

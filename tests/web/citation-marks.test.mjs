// Citation markers in an answer's Markdown: written where the citation arrived, never in front
// of a line's block syntax, never forged by the model's own text.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Lexer } from "../../node_modules/marked/lib/marked.esm.js";
import {
  atLineStart,
  hasMarker,
  marker,
  markerPlace,
  splitMarked,
  withoutMarkers,
  withoutStrayMarks,
} from "../../web/js/citation-marks.js";
const lexBlocks = (source) => Lexer.lex(source, { gfm: true });

test("a marked text splits into its text and the cited numbers", () => {
  const source = `A${marker(1)} b${marker(12)}${marker(2)}`;
  assert.deepEqual(splitMarked(source), ["A", 1, " b", 12, 2]);
  assert.equal(withoutMarkers(source), "A b");
  assert.equal(hasMarker(source), true);
  assert.equal(hasMarker("plain"), false);
  assert.deepEqual(splitMarked("plain"), ["plain"]);
});

test("the model's text cannot forge a marker", () => {
  const forged = "\uE0003\uE001 text";
  assert.equal(withoutStrayMarks(forged), "3 text");
  assert.deepEqual(splitMarked(withoutStrayMarks(forged)), ["3 text"]);
});

test("a marker at a line's start waits for its first text, after the block syntax", () => {
  assert.equal(atLineStart(""), true);
  assert.equal(atLineStart("Para.\n"), true);
  assert.equal(atLineStart("Para."), false);
  const cases = [
    ["# Heading", 2],
    ["- item", 2],
    ["12. item", 4],
    ["> quote", 2],
    ["\n\n## Title", 5],
    ["| a | b |", 2],
    ["```js\ncode", 6],
    ["Plain", 0],
  ];
  for (const [rest, offset] of cases) {
    assert.equal(markerPlace(`Before\n${rest}`, 7), 7 + offset, rest);
  }
  for (const undecided of ["", "\n", "# ", "- ", "12. ", "> "]) {
    assert.equal(markerPlace(`Before\n${undecided}`, 7), -1, JSON.stringify(undecided));
  }
});

test("a marker placed there leaves the block what it was", () => {
  const source = "Intro.\n\n- item one\n";
  const at = markerPlace(source, 8);
  const marked = `${source.slice(0, at)}${marker(1)}${source.slice(at)}`;
  assert.deepEqual(
    lexBlocks(marked).map((token) => token.type),
    lexBlocks(source).map((token) => token.type),
  );
});

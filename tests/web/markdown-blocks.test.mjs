// Cutting a streaming answer into finished blocks and the growing rest, with marked's own lexer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Lexer } from "../../node_modules/marked/lib/marked.esm.js";
import { closeOpenMarkup, splitFinished } from "../../web/js/markdown-blocks.js";

const lex = (source) => Lexer.lex(source, { gfm: true });

const ANSWER = [
  "# Title\n\n",
  "A paragraph\nover two lines.\n\n",
  "1. one\n\n2. two\n\n",
  "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n",
  "```python\nx = 1\n\n\ny = 2\n```\n\n",
  "    indented\n\n    code\n\n",
  "Last words",
].join("");

test("finished blocks and the rest always add up to the source", () => {
  for (let end = 0; end <= ANSWER.length; end += 1) {
    const source = ANSWER.slice(0, end);
    const { finished, rest } = splitFinished(source, lex);
    assert.equal(finished.join("") + rest, source, `at ${end}`);
  }
});

test("streaming char by char commits each block once, as the whole answer would parse it", () => {
  let committed = 0;
  const blocks = [];
  for (let end = 1; end <= ANSWER.length; end += 1) {
    const { finished } = splitFinished(ANSWER.slice(committed, end), lex);
    for (const raw of finished) {
      blocks.push(raw.trim());
      committed += raw.length;
    }
  }
  // What is left at the end is rendered as one piece, which parses as the same blocks.
  blocks.push(...lex(ANSWER.slice(committed)).filter((t) => t.type !== "space").map((t) => t.raw.trim()));
  const whole = lex(ANSWER).filter((t) => t.type !== "space").map((t) => t.raw.trim());
  assert.ok(committed > ANSWER.indexOf("```python"), "most blocks were committed while streaming");
  assert.deepEqual(blocks, whole);
});

test("a block is held while the next one's first line is unfinished", () => {
  assert.deepEqual(splitFinished("1. a\n\n2", lex), { finished: [], rest: "1. a\n\n2" });
  assert.deepEqual(splitFinished("Para\n\nmore", lex).finished, []);
  assert.deepEqual(splitFinished("Para\n\nmore\n", lex).finished, ["Para"]);
});

test("open markup is closed so the growing block renders as it will end", () => {
  assert.equal(closeOpenMarkup("```py\nx = 1"), "```py\nx = 1\n```");
  assert.equal(closeOpenMarkup("text\n``"), "text\n");
  assert.equal(closeOpenMarkup("use `co"), "use `co`");
  assert.equal(closeOpenMarkup("a **bold "), "a **bold**");
  assert.equal(closeOpenMarkup("```\na\n```\nthen `b"), "```\na\n```\nthen `b`");
  assert.equal(closeOpenMarkup("done `x` here"), "done `x` here");
});

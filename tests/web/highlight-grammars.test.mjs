// The page asks for exactly the grammar files the Makefile and the deployment copy: both read
// web/highlight-grammars.json, and the page's table of language names is held to it here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { grammarOf, HIGHLIGHT_GRAMMARS } from "../../web/js/grammars.js";

const COPIED = JSON.parse(
  readFileSync(new URL("../../web/highlight-grammars.json", import.meta.url), "utf8"),
);

test("every grammar the page may load is copied, and every copied grammar is used", () => {
  assert.deepEqual([...HIGHLIGHT_GRAMMARS].sort(), [...COPIED].sort());
  assert.equal(new Set(COPIED).size, COPIED.length, "each grammar is listed once");
});

test("a grammar is found by its own name and the names answers give it, in any case", () => {
  for (const name of COPIED) assert.equal(grammarOf(name), name);
  assert.equal(grammarOf("PY"), "python");
  assert.equal(grammarOf("tsx"), "typescript");
  assert.equal(grammarOf("brainfuck"), undefined);
  assert.equal(grammarOf("constructor"), undefined, "only the table's own names");
});

// The store's whole-record read, which the search index and the history export use.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MemoryStore, openStore } from "../../web/js/conversation-store.js";

/**
 * @param {string} id
 * @param {number} updatedAt
 * @param {number} turns
 */
function record(id, updatedAt, turns = 1) {
  const versions = [{ prompt: id, text: "answer", status: "done" }];
  return {
    id,
    title: id,
    updatedAt,
    turns: Array.from({ length: turns }, (_, index) => ({ id: index + 1, shown: 0, versions })),
  };
}

test("all() gives every listed conversation whole, newest first, as copies", async () => {
  const store = new MemoryStore();
  for (const kept of [record("old", 1), record("new", 3), record("empty", 5, 0), record("mid", 2)]) {
    await store.put(/** @type {any} */ (kept));
  }
  const all = await store.all();
  assert.deepEqual(all.map((kept) => kept.id), ["new", "mid", "old"]);
  assert.deepEqual(all.map((kept) => kept.id), (await store.list()).map((summary) => summary.id));
  assert.equal(all[0].turns[0].versions[0].text, "answer");
  all[0].title = "changed";
  assert.equal((await store.get("new"))?.title, "new");
});

test("without IndexedDB the store works from memory, all() included", async () => {
  const store = await openStore(undefined, () => undefined);
  assert.ok(store.notice);
  await store.put(/** @type {any} */ (record("one", 1)));
  assert.deepEqual((await store.all()).map((kept) => kept.id), ["one"]);
});

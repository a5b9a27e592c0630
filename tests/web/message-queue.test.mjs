// Messages typed while an answer streams wait in order; edited, removed, or taken one by one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MessageQueue } from "../../web/js/message-queue.js";

test("messages are taken in the order they were queued, then none", () => {
  const queue = new MessageQueue();
  queue.add("first");
  queue.add("second");
  assert.equal(queue.take(), "first");
  assert.equal(queue.take(), "second");
  assert.equal(queue.take(), undefined);
  assert.deepEqual(queue.items, []);
});

test("a removed message is never sent, and the others keep their order", () => {
  const queue = new MessageQueue();
  queue.add("one");
  const two = queue.add("two");
  queue.add("three");
  queue.remove(two.id);
  assert.deepEqual(
    queue.items.map((item) => item.text),
    ["one", "three"],
  );
});

test("an edit replaces the text, trimmed; an emptied message is removed", () => {
  const queue = new MessageQueue();
  const one = queue.add("one");
  const two = queue.add("two");
  queue.setEditing(one.id, true);
  queue.edit(one.id, "  one, reworded \n");
  queue.edit(two.id, "   ");
  assert.deepEqual(queue.items, [{ id: one.id, text: "one, reworded", editing: false }]);
});

test("a message being edited waits: the next one goes first", () => {
  const queue = new MessageQueue();
  const one = queue.add("one");
  queue.add("two");
  queue.setEditing(one.id, true);
  assert.equal(queue.take(), "two");
  assert.equal(queue.take(), undefined);
  queue.setEditing(one.id, false);
  assert.equal(queue.take(), "one");
});

test("ids stay unique after removals, and unknown ids change nothing", () => {
  const queue = new MessageQueue();
  const one = queue.add("one");
  queue.remove(one.id);
  const two = queue.add("two");
  assert.notEqual(two.id, one.id);
  queue.edit(one.id, "ghost");
  queue.setEditing(one.id, true);
  assert.deepEqual(queue.items, [{ id: two.id, text: "two", editing: false }]);
});

// Messages typed while an answer streams wait in order, each with its own files; edited (the
// text only), removed (files and all), or taken one by one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MessageQueue } from "../../web/js/message-queue.js";

test("messages are taken in the order they were queued, then none", () => {
  const queue = new MessageQueue();
  queue.add("first");
  queue.add("second");
  assert.equal(queue.take()?.text, "first");
  assert.equal(queue.take()?.text, "second");
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
  assert.deepEqual(queue.items, [
    { id: one.id, text: "one, reworded", attachments: [], editing: false },
  ]);
});

test("a message being edited waits: the next one goes first", () => {
  const queue = new MessageQueue();
  const one = queue.add("one");
  queue.add("two");
  queue.setEditing(one.id, true);
  assert.equal(queue.take()?.text, "two");
  assert.equal(queue.take(), undefined);
  queue.setEditing(one.id, false);
  assert.equal(queue.take()?.text, "one");
});

test("ids stay unique after removals, and unknown ids change nothing", () => {
  const queue = new MessageQueue();
  const one = queue.add("one");
  queue.remove(one.id);
  const two = queue.add("two");
  assert.notEqual(two.id, one.id);
  queue.edit(one.id, "ghost");
  queue.setEditing(one.id, true);
  assert.deepEqual(queue.items, [{ id: two.id, text: "two", attachments: [], editing: false }]);
});

/** @param {string} name */
function file(name) {
  return { name, mediaType: "image/png", size: 3, data: new Blob(["png"]) };
}

test("each message is taken with the files it was queued with, and no others", () => {
  const queue = new MessageQueue();
  const cat = file("cat.png");
  const dog = file("dog.png");
  const given = [cat];
  queue.add("look at this", given);
  queue.add("no files here");
  queue.add("and this", [dog]);
  // The queue keeps its own list: the composer's, emptied or changed later, is not it.
  given.push(dog);
  assert.deepEqual(queue.take(), { text: "look at this", attachments: [cat] });
  assert.deepEqual(queue.take(), { text: "no files here", attachments: [] });
  assert.deepEqual(queue.take(), { text: "and this", attachments: [dog] });
});

test("an edit changes the text only; emptied, a message with files keeps them and stays", () => {
  const queue = new MessageQueue();
  const cat = file("cat.png");
  const one = queue.add("what is it?", [cat]);
  queue.setEditing(one.id, true);
  queue.edit(one.id, "what breed is it?");
  assert.deepEqual(queue.items, [
    { id: one.id, text: "what breed is it?", attachments: [cat], editing: false },
  ]);
  queue.edit(one.id, "  ");
  assert.deepEqual(queue.take(), { text: "", attachments: [cat] });
});

test("a removed message's files go with it", () => {
  const queue = new MessageQueue();
  const one = queue.add("with a file", [file("cat.png")]);
  queue.add("after it");
  queue.remove(one.id);
  assert.deepEqual(queue.take(), { text: "after it", attachments: [] });
  assert.equal(queue.take(), undefined);
});
